"""Shared pytest setup: the ``cuda`` marker skips without a GPU; no test reaches the internet."""

from __future__ import annotations

import hashlib
import ipaddress
import socket
import sys
from pathlib import Path

import pytest
import torch

# tests/loopback.py (the server and archive helpers) is imported as ``loopback`` by every test
# folder: keep tests/ on sys.path under ``--import-mode=importlib`` too.
if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))

_real_connect = socket.socket.connect


def _loopback_only_connect(sock, address):
    """Tests talk to the loopback server only: any other address is a test bug, said at once."""
    host = address[0] if isinstance(address, tuple) else None
    if host is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        try:
            loopback = ipaddress.ip_address(host.split("%")[0]).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise OSError(f"tests must not reach the network: connect to {address!r} refused "
                          "(tests/conftest.py); serve the file from the loopback_server fixture")
    return _real_connect(sock, address)


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _loopback_only_connect)


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip_cuda = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip_cuda)


@pytest.fixture
def triptych_home(tmp_path, monkeypatch):
    """A fresh ``TRIPTYCH_HOME`` for the test; no offline/mirror/progress switch leaks in from
    the shell."""
    for name in ("TRIPTYCH_OFFLINE", "TRIPTYCH_MIRROR", "TRIPTYCH_PROGRESS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRIPTYCH_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def seeded_generator() -> torch.Generator:
    """A generator with a fresh random seed per test (printed on failure via the id)."""
    seed = int(torch.randint(0, 2**31 - 1, ()).item())
    return torch.Generator().manual_seed(seed)


@pytest.fixture
def loopback_server(tmp_path_factory):
    """A :class:`loopback.LoopbackServer` on 127.0.0.1 serving a fresh temp folder (tests/loopback.py)."""
    from loopback import LoopbackServer

    with LoopbackServer(tmp_path_factory.mktemp("loopback")) as server:
        yield server


@pytest.fixture
def serve(loopback_server, monkeypatch):
    """``serve(cls, files)``: put a dataset's catalog files on the loopback server.

    It takes the real catalog entry of ``cls.name`` (every split, every file name), serves
    ``files[filename]`` under that real name, and points the class's ``resources`` at those
    copies (with their sha256), so ``cls(root, download=True)`` runs the real download,
    verification and extraction. A catalog file missing from ``files`` is a KeyError: the tests
    serve exactly the names the catalog declares.
    """
    from triptych.datasets import Resource, dataset_info

    def serve(cls, files: dict[str, bytes]):
        splits = {}
        for split, resources in dataset_info(cls.name).splits.items():
            splits[split] = []
            for r in resources:
                data = files[r.filename]
                url = loopback_server.add_file(f"{cls.name}/{r.filename}", data)
                splits[split].append(Resource(r.filename, [url], hashlib.sha256(data).hexdigest(),
                                              size=len(data), extract=r.extract))
        monkeypatch.setattr(cls, "resources", splits)
        return loopback_server
    return serve
