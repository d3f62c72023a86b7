"""Fixtures of the vision dataset tests (``serve``, which serves a dataset's catalog files from
the loopback, is in tests/conftest.py: the audio dataset tests use it too)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# vision_files.py (the format builders) is imported by name, also under --import-mode=importlib.
if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    for name in ("TRIPTYCH_OFFLINE", "TRIPTYCH_MIRROR", "TRIPTYCH_PROGRESS", "TRIPTYCH_HOME"):
        monkeypatch.delenv(name, raising=False)
