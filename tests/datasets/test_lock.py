"""The cross-process lock: flock, and the lock-file fallback used where flock is refused."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

import pytest

lock_module = importlib.import_module("triptych.datasets._lock")
FileLock = lock_module.FileLock


@pytest.fixture(params=["flock", "lock-file"])
def mechanism(request, monkeypatch):
    if request.param == "flock" and lock_module.fcntl is None:
        pytest.skip("no fcntl on this platform")
    if request.param == "lock-file":
        monkeypatch.setattr(lock_module, "fcntl", None)
    return request.param


def test_excludes_a_second_holder_and_is_removed_on_release(tmp_path, mechanism):
    path = tmp_path / "x.lock"
    with FileLock(path) as first:
        assert first.acquired
        second = FileLock(path, timeout=0.05)
        assert second.acquire() is False  # gave up waiting; the caller goes on without it
    assert not path.exists()
    with FileLock(path, timeout=0.05) as again:
        assert again.acquired


def test_excludes_another_process(tmp_path, mechanism):
    path = tmp_path / "x.lock"
    with FileLock(path):
        # The module needs only the standard library: load it by path, without torch.
        code = ("import sys, importlib.util as u;"
                f"s = u.spec_from_file_location('lock', {lock_module.__file__!r});"
                "m = u.module_from_spec(s); s.loader.exec_module(m);"
                f"{'m.fcntl = None;' if mechanism == 'lock-file' else ''}"
                f"sys.exit(0 if m.FileLock({str(path)!r}, timeout=0.1).acquire() else 3)")
        assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 3


def test_lock_file_of_a_dead_process_is_broken(tmp_path, monkeypatch):
    monkeypatch.setattr(lock_module, "fcntl", None)
    path = tmp_path / "x.lock"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    path.write_text(f"{lock_module._HOST} {dead}\n")
    with FileLock(path, timeout=5) as lock:
        assert lock.acquired
        assert path.read_text().split()[1] == str(os.getpid())
