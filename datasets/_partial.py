"""The temp file a download streams into (``.part``): claimed or resumed, hashed as it grows,
published onto the final name only once verified."""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from pathlib import Path

from ._files import CHUNK_SIZE, _unlink_quietly, glob_escape
from ._lock import owner_gone, owner_tag


class _Partial:
    """A temp file of this process beside the target: ``.<name>.<sha16>.<host>.<pid>.<token>.part``.

    It always holds a prefix of the download and a hash of exactly those bytes.
    """

    def __init__(self, path: Path, prefix_hash, size: int, resumed: bool):
        self.path = path
        self._hash = _Hasher(prefix_hash)
        self.size = size
        self.resumed = resumed
        self.validator: str | None = None
        self._file = open(path, "ab", buffering=0)

    @classmethod
    def claim(cls, target: Path, sha256: str) -> _Partial:
        """A new temp file, or a stale one of ours for the same file and sha256 (resumed)."""
        stem = f".{target.name}.{sha256[:16]}."
        own = target.parent / f"{stem}{owner_tag()}.{os.urandom(4).hex()}.part"
        best: tuple[int, Path] | None = None
        for candidate in target.parent.glob(f"{glob_escape(stem)}*.part"):
            fields = candidate.name[len(stem):].split(".")
            try:
                st = candidate.stat()
                host, pid = fields[-4], int(fields[-3])
            except (OSError, IndexError, ValueError):
                continue
            if not owner_gone(host, pid, st.st_mtime):
                continue
            if best is None or st.st_size > best[0]:
                if best is not None:
                    _unlink_quietly(best[1])
                best = (st.st_size, candidate)
            else:
                _unlink_quietly(candidate)
        if best is not None:
            try:
                os.replace(best[1], own)  # take it over atomically
            except OSError:
                best = None
        if best is None:
            fd = os.open(own, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            os.close(fd)
            return cls(own, hashlib.sha256(), 0, resumed=False)
        digest, size = hashlib.sha256(), 0
        with open(own, "rb") as f:
            while chunk := f.read(CHUNK_SIZE):
                digest.update(chunk)
                size += len(chunk)
        return cls(own, digest, size, resumed=size > 0)

    def write(self, chunk: bytes) -> None:
        view = memoryview(chunk)
        while view:
            view = view[self._file.write(view):]
        self._hash.update(chunk)
        self.size += len(chunk)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()

    def reset(self) -> None:
        self._file.truncate(0)
        self._file.seek(0)
        self._hash.close()
        self._hash = _Hasher(hashlib.sha256())
        self.size = 0
        self.resumed = False
        self.validator = None

    def publish(self, target: Path) -> None:
        self.close()
        os.replace(self.path, target)
        self.size = -1  # published: nothing left to discard

    def close(self) -> None:
        self._hash.close()
        if not self._file.closed:
            self._file.close()

    def discard(self) -> None:
        self.close()
        _unlink_quietly(self.path)


class _Hasher:
    """sha256 fed through a thread, so that hashing overlaps the socket reads and the disk
    writes (``hashlib`` releases the GIL on large updates): the transfer then takes about
    max(network, hashing) instead of their sum. ``hexdigest`` waits for the queue to drain."""

    _MIN_THREADED = 64 * 1024

    def __init__(self, digest):
        self._digest = digest
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None

    def update(self, chunk: bytes) -> None:
        if len(chunk) < self._MIN_THREADED:
            self._drain()
            self._digest.update(chunk)
            return
        if self._thread is None:
            self._queue = queue.Queue(maxsize=8)
            self._thread = threading.Thread(target=self._run, name="triptych-sha256",
                                            daemon=True)
            self._thread.start()
        self._queue.put(chunk)

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            self._digest.update(chunk)
            self._queue.task_done()
        self._queue.task_done()

    def _drain(self) -> None:
        if self._queue is not None:
            self._queue.join()

    def hexdigest(self) -> str:
        self._drain()
        return self._digest.hexdigest()

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = self._queue = None

