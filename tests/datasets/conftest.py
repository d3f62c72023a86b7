"""Fixtures of the datasets tests: a clean environment and a toy dataset on the loopback."""

from __future__ import annotations

import gzip
import hashlib
import os

import pytest
from loopback import tar_gz  # tests/conftest.py keeps tests/ on sys.path

from triptych.datasets import Resource, register_dataset
from triptych.registry import DATASETS


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    """The tests set the environment switches they need; none leaks in from the shell."""
    for name in ("TRIPTYCH_OFFLINE", "TRIPTYCH_MIRROR", "TRIPTYCH_PROGRESS", "TRIPTYCH_HOME"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def toy(loopback_server):
    """A dataset registered for the test, its files on the loopback server."""
    name = f"toy-{os.urandom(3).hex()}"
    members = {"toy/train/x.bin": os.urandom(5000), "toy/labels.txt": b"0\n1\n"}
    raw = os.urandom(20_000)
    files = {"train.tar.gz": tar_gz(members), "test-images.gz": gzip.compress(raw),
             "notes.csv": b"a,b\n1,2\n"}
    resources = {}
    for filename, data in files.items():
        url = loopback_server.add_file(f"files/{filename}", data)
        resources[filename] = Resource(filename, [url], hashlib.sha256(data).hexdigest(),
                                       size=len(data))
    register_dataset(name, domain="vision", description="A toy dataset for tests.",
                     homepage="https://example.org/toy", resources={
                         "train": [resources["train.tar.gz"], resources["notes.csv"]],
                         "test": [resources["test-images.gz"], resources["notes.csv"]]})
    yield {"name": name, "members": members, "raw": raw, "files": files,
           "server": loopback_server}
    DATASETS.unregister(name)


