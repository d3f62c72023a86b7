"""Verified, resumable downloads.

:func:`download` fetches one file from an ordered list of URLs (primary, then mirrors; every copy
must have the same sha256) into a folder:

* it streams into a temp file of its own in the destination folder, hashing while it streams,
  checks size and sha256, and only then ``os.replace``-s the temp file onto the final name: the
  final path never holds a partial or corrupt file;
* a dropped connection is resumed with an HTTP ``Range`` request into the same temp file, also
  in a later run (a stale temp file of ours is picked up, and the whole file re-verified); a
  server that ignores ``Range`` (200 instead of 206) makes it start again from zero;
* timeouts, connection errors and HTTP 408/429/5xx are retried with exponential backoff and
  jitter, honouring ``Retry-After``; then the next URL is tried. Redirects from https to http
  are refused; certificates are always verified;
* an HTML page served in place of the file (quota or login pages) is recognised and reported;
* a cross-process lock makes N processes asking for the same file share one transfer;
* ``$TRIPTYCH_MIRROR`` is tried before the listed URLs; ``TRIPTYCH_OFFLINE=1`` makes no network
  call at all.

A file verified once gets a small sidecar ``.<name>.verified`` (sha256, size, mtime, inode), so a
later call returns at once without re-hashing; ``triptych datasets verify`` re-hashes regardless.

The parts live by topic: ``_http`` (requests, retries, resume), ``_partial`` (the temp file),
``_lock`` (the cross-process lock), ``_verify`` (sha256 and its records), ``_files`` (helpers).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote, urlsplit

from triptych import paths
from triptych.paths import human_size

from ._files import _Progress
from ._http import (
    _Cap,
    _copy_local,
    _fetch_http,
    _looks_like_html_name,
    _session,
    _SourceFailed,
)
from ._lock import FileLock
from ._partial import _Partial
from ._verify import (
    _remember_verified,
    _stat_key,
    check_filename,
    check_sha256,
    filename_from_url,
    is_verified,
    sha256_file,
)

__all__ = ["DownloadError", "OfflineError", "check_filename", "check_sha256", "download",
           "filename_from_url", "is_verified", "sha256_file"]



class DownloadError(RuntimeError):
    """A file could not be fetched and verified.

    ``failures`` lists ``(source, reason)`` for every URL that was tried, in order.
    """

    def __init__(self, message: str, failures: Sequence[tuple[str, str]] = ()):
        super().__init__(message)
        self.failures = list(failures)


class OfflineError(DownloadError):
    """``TRIPTYCH_OFFLINE=1`` is set and the file is not on disk (nor in a local mirror)."""


def download(
    urls: str | Sequence[str],
    dest_dir: str | os.PathLike,
    *,
    sha256: str,
    filename: str | None = None,
    size: int | None = None,
    progress: bool = True,
    timeout: float = 30.0,
    retries: int = 5,
    backoff: float = 1.0,
    max_backoff: float = 60.0,
    mirror_path: str | None = None,
    max_size: int | None = None,
    sha256_is_prefix: bool = False,
) -> Path:
    """Download a file, verify its sha256 (and size), and return its path.

    Args:
        urls: one URL, or an ordered list: the primary, then mirrors. ``http``, ``https`` and
            ``file`` URLs. Every copy must have the same content.
        dest_dir: folder for the file (created if needed).
        sha256: expected sha256 of the file, 64 hex digits.
        filename: name in ``dest_dir``; default: the last path part of the first URL.
        size: expected size in bytes, if known (checked before and after the transfer).
        progress: show a progress bar (also off with ``TRIPTYCH_PROGRESS=0``; on a terminal
            only, unless ``TRIPTYCH_PROGRESS=1``).
        timeout: seconds to wait to connect and between two reads of the body.
        retries: retries per URL after timeouts, dropped connections, HTTP 408/429/5xx.
        backoff: base of the exponential backoff in seconds (``backoff * 2**k``, with jitter).
        max_backoff: cap on one backoff wait.
        mirror_path: where the file lies under ``$TRIPTYCH_MIRROR`` (default: ``filename``).
        max_size: when ``size`` is unknown, the most bytes to accept before giving up (an
            endless or wrong response); default: 90% of the free space in ``dest_dir``.
            With ``size`` given, ``size`` is the cap.
        sha256_is_prefix: ``sha256`` is only the first 8-64 hex digits that the publisher
            gives (torchvision's checkpoints); the file's sha256 must start with them.

    Returns:
        ``Path`` of the verified file, ``dest_dir / filename``.

    Raises:
        DownloadError: no URL gave the right bytes; ``failures`` says what each one did.
        OfflineError: ``TRIPTYCH_OFFLINE=1`` and the file is not on disk.
        ValueError: a malformed ``sha256``, ``filename``, URL, ``size`` or ``max_size``.

    Calling it again once the file is there and verified makes no request.

    Example:
        >>> import hashlib, pathlib, tempfile
        >>> src = pathlib.Path(tempfile.mkdtemp()) / "hello.txt"
        >>> _ = src.write_bytes(b"hello")
        >>> digest = hashlib.sha256(b"hello").hexdigest()
        >>> path = download(src.as_uri(), tempfile.mkdtemp(), sha256=digest, progress=False)
        >>> path.read_bytes()
        b'hello'
    """
    url_list = [urls] if isinstance(urls, str) else list(urls)
    if not url_list:
        raise ValueError("download() needs at least one URL")
    for url in url_list:
        if urlsplit(url).scheme.lower() not in ("http", "https", "file"):
            raise ValueError(f"unsupported URL {url!r}: use http, https or file")
    sha256 = check_sha256(sha256, prefix=sha256_is_prefix)
    name = filename or filename_from_url(url_list[0])
    check_filename(name)
    for option, value in (("size", size), ("max_size", max_size)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 0):
            raise ValueError(f"{option} must be an int >= 0 or None, got {value!r}")
    if size is not None and max_size is not None and size > max_size:
        raise ValueError(f"size={size} is larger than max_size={max_size}")
    dest_dir = Path(dest_dir).expanduser()
    target = dest_dir / name
    _check_destination(dest_dir, target)
    seen = _stat_key(target)
    if is_verified(target, sha256, size):
        return target

    sources = _sources(url_list, mirror_path or name)
    if paths.is_offline():
        sources = [s for s in sources if _is_local(s)]
        if not sources:
            problem = "does not match its sha256" if target.exists() else "is missing"
            raise OfflineError(
                f"TRIPTYCH_OFFLINE=1 is set and {target} {problem}; "
                f"unset TRIPTYCH_OFFLINE to download it from {url_list[0]}, "
                "or set TRIPTYCH_MIRROR to a local folder that has it"
            )
    dest_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(dest_dir / f".{name}.lock"):
        # Another process may have fetched it while we waited (a file we already found wrong
        # and that has not changed since is not hashed again).
        if _stat_key(target) != seen and is_verified(target, sha256, size):
            return target
        return _fetch(sources, target, sha256=sha256, size=size, max_size=max_size,
                      progress=progress, timeout=timeout, retries=retries, backoff=backoff,
                      max_backoff=max_backoff)


def _check_destination(dest_dir: Path, target: Path) -> None:
    """DownloadError, before any transfer, when a file or folder is in the way."""
    for path in (dest_dir, *dest_dir.parents):
        if path.exists():
            if not path.is_dir():
                raise DownloadError(
                    f"dest_dir {dest_dir} cannot be a folder: {path} is a file; remove it or "
                    "choose another folder")
            break
    if target.is_dir() and not target.is_symlink():
        raise DownloadError(
            f"{target} is a folder, so the download cannot take its name; move the folder "
            "away, or pass another dest_dir or filename")


def _sources(urls: list[str], mirror_path: str) -> list[str]:
    base = paths.mirror()
    if not base:
        return urls
    rel = "/".join(quote(part) for part in mirror_path.split("/"))
    if "://" not in base:  # a plain folder
        base = Path(base).expanduser().resolve().as_uri()
    first = f"{base}/{rel}"
    return [first, *(u for u in urls if u != first)]


def _is_local(url: str) -> bool:
    return urlsplit(url).scheme.lower() == "file"


def _cap(target: Path, size: int | None, max_size: int | None) -> _Cap:
    free = shutil.disk_usage(target.parent).free
    if size is not None:
        if free < size:
            raise DownloadError(
                f"{target.name} needs {human_size(size)} but {target.parent} has "
                f"{human_size(free)} free; choose another folder (root=... or TRIPTYCH_HOME)")
        return _Cap(size, "the expected size")
    if max_size is not None:
        return _Cap(max_size, "the max_size given: an endless or wrong response? pass a larger "
                              "max_size= if the file is genuinely bigger")
    return _Cap(free - free // 10,
                f"90% of the free space in {target.parent} (the size is not known): free some "
                "space, or pass max_size= to bound the download")


def _fetch(sources, target: Path, *, sha256, size, max_size, progress, timeout, retries,
           backoff, max_backoff) -> Path:
    dest_dir = target.parent
    cap = _cap(target, size, max_size)
    failures: list[tuple[str, str]] = []
    part = _Partial.claim(target, sha256)
    session = None
    try:
        with _Progress(progress, size, target.name) as bar:
            bar.set(part.size)
            for source in sources:
                redone_from_zero = False
                while True:
                    try:
                        if _is_local(source):
                            _copy_local(source, part, size=size, cap=cap, bar=bar)
                        else:
                            if session is None:
                                session = _session()
                            _fetch_http(session, source, part, size=size, cap=cap,
                                        timeout=timeout,
                                        retries=retries, backoff=backoff,
                                        max_backoff=max_backoff, bar=bar,
                                        check_html=not _looks_like_html_name(target.name))
                    except _SourceFailed as exc:
                        failures.append((source, exc.reason))
                        if not exc.keep_partial:
                            part.reset()
                            bar.set(0)
                        break
                    digest = part.hexdigest()
                    if digest.startswith(sha256) and (size is None or part.size == size):
                        try:
                            part.publish(target)
                        except OSError as exc:
                            part.discard()
                            raise DownloadError(
                                f"{target.name} was downloaded and verified but cannot be put "
                                f"at {target}: {exc}; fix that path and download again",
                                failures) from None
                        _remember_verified(target, sha256)
                        return target
                    if part.resumed and not redone_from_zero:
                        # A resumed file may have been stitched from two versions of the file:
                        # fetch it once more from zero before blaming this source.
                        redone_from_zero = True
                        part.reset()
                        bar.set(0)
                        continue
                    expected = "" if size is None else f"{size} bytes with "
                    failures.append((source, f"served {part.size} bytes with sha256 {digest}, "
                                             f"expected {expected}sha256 {sha256}: a changed or "
                                             "corrupt copy; nothing was kept"))
                    part.reset()
                    bar.set(0)
                    break
    finally:
        if session is not None:
            session.close()
        part.close()
        if part.size == 0:
            part.discard()
    listing = "\n".join(f"  - {src}: {why}" for src, why in failures)
    raise DownloadError(
        f"could not download {target.name} (sha256 {sha256}) into {dest_dir}:\n{listing}\n"
        "Try: check the network or proxy settings, set TRIPTYCH_MIRROR to a mirror that has "
        f"the file, or put a verified copy at {target} yourself.",
        failures,
    )

