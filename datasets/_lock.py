"""A cross-process lock on a file, and the names of temp files that say who made them.

The lock saves work (N processes asking for one file make one transfer); nothing depends on it
for correctness, because every writer uses its own temp file and publishes with ``os.replace``
only after verifying. So when a file system ignores locks (some NFS set-ups) the worst case is
duplicate work, never a corrupt file.

POSIX: ``fcntl.flock`` on a lock file that is unlinked on release (the holder re-checks after
locking that the path still names the file it locked, so a waiter never keeps a stale inode).
Elsewhere, or where ``flock`` is refused: an ``O_EXCL`` lock file holding ``host pid``, broken
when its owner is a dead process on this host or when it has not been touched for ``stale_after``
seconds.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import socket
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

_HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:32] or "host"


def owner_tag() -> str:
    """``host.pid`` of this process, for names of temp files it creates."""
    return f"{_HOST}.{os.getpid()}"


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    return True


def owner_gone(host: str, pid: int, mtime: float, *, stale_after: float = 3600.0) -> bool:
    """True when a temp file made by ``host.pid`` can be taken over.

    A file of this process is only ever touched by a caller holding the lock, so it is free;
    a file of another process on this host is free once that process has exited; a file from
    another host (a shared file system) is free once untouched for ``stale_after`` seconds.
    """
    if time.time() - mtime > stale_after:
        return True
    if host != _HOST:
        return False
    return pid == os.getpid() or not pid_alive(pid)


class FileLock:
    """An exclusive lock held while inside ``with``; waits (polling) until it is free.

    ``timeout=None`` waits as long as the holder lives (a dead holder releases an ``flock`` by
    itself). After ``timeout`` seconds the block runs without the lock and ``acquired`` is False.

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.lock"
        >>> with FileLock(path) as lock:
        ...     lock.acquired
        True
        >>> path.exists()  # removed on release
        False
    """

    def __init__(self, path: str | os.PathLike, *, timeout: float | None = None,
                 stale_after: float = 600.0):
        self.path = Path(path)
        self.timeout = timeout
        self.stale_after = stale_after
        self.acquired = False
        self._fd: int | None = None
        self._exclusive_file = False

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        delay = 0.005
        while True:
            if self._try_once():
                self.acquired = True
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def _try_once(self) -> bool:
        if fcntl is not None and not self._exclusive_file:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    return False
                # ENOLCK / EOPNOTSUPP / EINVAL: this file system does not do flock.
                self._exclusive_file = True
                return self._try_exclusive_file()
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if not same:  # the previous holder unlinked it between our open and our flock
                os.close(fd)
                return False
            self._fd = fd
            return True
        return self._try_exclusive_file()

    def _try_exclusive_file(self) -> bool:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            self._break_if_stale()
            return False
        os.write(fd, f"{_HOST} {os.getpid()}\n".encode())
        self._fd = fd
        return True

    def _break_if_stale(self) -> None:
        try:
            text = self.path.read_text().split()
            mtime = self.path.stat().st_mtime
        except (OSError, ValueError):
            return
        host, pid = (text[0], int(text[1])) if len(text) == 2 and text[1].isdigit() else ("", -1)
        if time.time() - mtime > self.stale_after or (host == _HOST and not pid_alive(pid)):
            with contextlib.suppress(OSError):
                self.path.unlink()

    def refresh(self) -> None:
        """Mark a lock-file lock as alive (``flock`` locks need no refreshing)."""
        if self._fd is not None and self._exclusive_file:
            with contextlib.suppress(OSError):
                os.utime(self.path)

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()  # before closing, so that no waiter locks a name we drop
        os.close(self._fd)
        self._fd = None
        self.acquired = False
