"""Where triptych keeps files, and the environment switches that change its behaviour.

===================== =============================================================
``TRIPTYCH_HOME``     cache root (default ``~/.cache/triptych``)
``TRIPTYCH_OFFLINE``  ``1``: never touch the network; missing files are errors
``TRIPTYCH_MIRROR``   a base URL tried before a resource's own URLs
``TRIPTYCH_PROGRESS`` ``0``: no progress bars
``TRIPTYCH_DEVICE``   overrides :func:`triptych.device.default_device`
``TRIPTYCH_NO_EXT``   ``1``: use the pure-torch ops instead of the compiled library
===================== =============================================================
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

_FALSE = ("", "0", "false", "no", "off")


def env_flag(name: str, default: bool = False) -> bool:
    """True when the environment variable ``name`` is set to something other than 0/false/no/off."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() not in _FALSE


def home() -> Path:
    """The cache root: ``$TRIPTYCH_HOME``, else ``~/.cache/triptych``.

    Example:
        >>> import os, triptych.paths
        >>> os.environ["TRIPTYCH_HOME"] = "/tmp/th"
        >>> str(triptych.paths.home())
        '/tmp/th'
        >>> del os.environ["TRIPTYCH_HOME"]
    """
    root = os.environ.get("TRIPTYCH_HOME")
    return Path(root).expanduser() if root else Path.home() / ".cache" / "triptych"


def datasets_dir() -> Path:
    """Default root for downloaded datasets: ``home() / "datasets"``."""
    return home() / "datasets"


def weights_dir() -> Path:
    """Default root for downloaded weights: ``home() / "weights"``."""
    return home() / "weights"


def is_offline() -> bool:
    """True when ``TRIPTYCH_OFFLINE`` is set: no network calls at all."""
    return env_flag("TRIPTYCH_OFFLINE")


def mirror() -> str | None:
    """The base URL from ``TRIPTYCH_MIRROR``, without a trailing slash, or None."""
    value = os.environ.get("TRIPTYCH_MIRROR", "").strip()
    return value.rstrip("/") or None


def progress_enabled(requested: bool = True) -> bool:
    """Whether to show progress bars: asked for, and not switched off by ``TRIPTYCH_PROGRESS=0``."""
    return requested and env_flag("TRIPTYCH_PROGRESS", default=True)


def write_atomic(path: str | os.PathLike, data) -> None:
    """Write ``data`` (bytes-like) to ``path`` through a temporary file in the same folder.

    The one writer for every file triptych produces (images, verification records, ...).

    Readers see the old file or the complete new one, never a partial file; the temporary
    file is removed on any error.
    """
    path = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write {path!r}: folder {folder!r} does not exist")
    temp = os.path.join(folder, f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def human_size(n: float) -> str:
    """Bytes for people, in powers of 1024; the one size formatter of the project.

    Example:
        >>> human_size(512), human_size(1536), human_size(3 * 1024**3)
        ('512 B', '1.5 KiB', '3.0 GiB')
    """
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")
