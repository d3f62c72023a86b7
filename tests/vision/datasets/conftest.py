"""Fixtures of the vision dataset tests: a dataset's catalog files served from the loopback.

``serve(cls, files)`` takes the dataset's real catalog entry (every split, every file name),
puts ``files[filename]`` on the loopback server under that real name, and points the class's
``resources`` at those copies (with their sha256), so ``cls(root, download=True)`` runs the real
download, verification and extraction. A catalog file missing from ``files`` is a KeyError:
the tests serve exactly the names the catalog declares.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from triptych.datasets import Resource, dataset_info

# vision_files.py (the format builders) is imported by name, also under --import-mode=importlib.
if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    for name in ("TRIPTYCH_OFFLINE", "TRIPTYCH_MIRROR", "TRIPTYCH_PROGRESS", "TRIPTYCH_HOME"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def serve(loopback_server, monkeypatch):
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
