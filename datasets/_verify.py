"""Verification of downloaded files: sha256, the ``.<name>.verified`` records that spare a
re-hash, and the checks of a sha256 value and of a file name."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from triptych import paths

from ._files import CHUNK_SIZE, _Progress

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SHA256_PREFIX = re.compile(r"^[0-9a-f]{8,64}$")


def sha256_file(path: str | os.PathLike, *, progress: bool = False) -> str:
    """The sha256 of a file, as 64 hex digits, read in 1 MiB chunks.

    Example:
        >>> import pathlib, tempfile
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "a"
        >>> _ = p.write_bytes(b"abc")
        >>> sha256_file(p)[:16]
        'ba7816bf8f01cfea'
    """
    path = Path(path)
    digest = hashlib.sha256()
    with open(path, "rb") as f, _Progress(progress, path.stat().st_size, f"hash {path.name}") as bar:
        buffer = bytearray(CHUNK_SIZE)
        view = memoryview(buffer)
        while n := f.readinto(buffer):
            digest.update(view[:n])
            bar.update(n)
    return digest.hexdigest()


def is_verified(path: str | os.PathLike, sha256: str, size: int | None = None, *,
                rehash: bool = False) -> bool:
    """Whether ``path`` is a file with this sha256 (and size).

    ``sha256`` may be a published prefix (see :func:`check_sha256`): the file's digest must
    start with it.

    The answer is remembered in a sidecar ``.<name>.verified`` keyed on size, mtime and inode,
    so the file is hashed once, not on every call; ``rehash=True`` hashes it regardless.
    """
    path = Path(path)
    try:
        st = path.stat()
    except OSError:
        return False
    if not path.is_file() or (size is not None and st.st_size != size):
        return False
    sidecar = _sidecar(path)
    if not rehash:
        with contextlib.suppress(OSError):
            if sidecar.read_text().strip() == _stamp(sha256, st):
                return True
    if not sha256_file(path).startswith(sha256):
        with contextlib.suppress(OSError):
            sidecar.unlink()
        return False
    try:
        unchanged = path.stat().st_mtime_ns == st.st_mtime_ns
    except OSError:
        return False
    if unchanged:
        with contextlib.suppress(OSError):  # the record only saves a re-hash next time
            paths.write_atomic(sidecar, (_stamp(sha256, st) + "\n").encode())
    return True


def _stat_key(path: Path) -> tuple | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ino


def _stamp(sha256: str, st: os.stat_result) -> str:
    return f"{sha256} {st.st_size} {st.st_mtime_ns} {st.st_ino}"


def _remember_verified(path: Path, sha256: str) -> None:
    """Write the sidecar of a file just verified while it streamed (no second pass)."""
    with contextlib.suppress(OSError):
        paths.write_atomic(_sidecar(path), (_stamp(sha256, path.stat()) + "\n").encode())


def check_sha256(value: str, *, prefix: bool = False) -> str:
    """``value`` lower-cased, or ValueError unless it is 64 hex digits.

    ``prefix=True`` also takes the first 8 to 64 digits, for publishers that give only a prefix
    (torchvision's checkpoint names carry the first 8): weaker, so never the default.
    """
    pattern, wanted = (_SHA256_PREFIX, "8 to 64") if prefix else (_SHA256, "64")
    if not isinstance(value, str) or not pattern.match(value.strip().lower()):
        raise ValueError(f"sha256 must be {wanted} hex digits, got {value!r}")
    return value.strip().lower()


def check_filename(name: str) -> None:
    """ValueError unless ``name`` is a plain file name (no folders, not hidden-special)."""
    if (not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name
            or len(name.encode()) > 200):
        raise ValueError(f"not a usable file name: {name!r} (pass filename=...)")


def filename_from_url(url: str) -> str:
    """The last part of a URL's path, %-decoded: ``.../a/b.tar.gz?x=1`` -> ``b.tar.gz``."""
    name = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    if not name:
        raise ValueError(f"cannot take a file name from {url!r}; pass filename=...")
    return name


def _sidecar(path: Path) -> Path:
    return path.with_name(f".{path.name}.verified")

