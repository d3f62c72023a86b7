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
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import random
import re
import shutil
import socket
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit
from urllib.request import url2pathname

from triptych import paths
from triptych.paths import human_size

from ._lock import FileLock, owner_gone, owner_tag

CHUNK_SIZE = 1 << 20
MAX_RETRY_AFTER = 300.0  # seconds; a server asking for a longer wait sends us to the next URL
_MAX_REDIRECTS = 10
_PROGRESS_RESETS_RETRIES = 1 << 20  # an attempt that got this many bytes does not count as failed
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_HTML_MESSAGE = "the server returned a web page, not the file: quota or login page?"
_BINARY_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"PK\x03\x04", b"PK\x05\x06", b"\x89PNG",
                 b"\xff\xd8\xff", b"RIFF", b"fLaC", b"OggS", b"\x00\x00\x08\x03", b"\x00\x00\x08\x01")

# Patched by tests to record waits instead of sleeping.
_sleep = time.sleep


class DownloadError(RuntimeError):
    """A file could not be fetched and verified.

    ``failures`` lists ``(source, reason)`` for every URL that was tried, in order.
    """

    def __init__(self, message: str, failures: Sequence[tuple[str, str]] = ()):
        super().__init__(message)
        self.failures = list(failures)


class OfflineError(DownloadError):
    """``TRIPTYCH_OFFLINE=1`` is set and the file is not on disk (nor in a local mirror)."""


class _SourceFailed(Exception):
    """This URL cannot give us the file; try the next one."""

    def __init__(self, reason: str, *, keep_partial: bool = True):
        super().__init__(reason)
        self.reason = reason
        self.keep_partial = keep_partial


class _Transient(Exception):
    """A failure worth retrying on the same URL (after a wait)."""

    def __init__(self, reason: str, *, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class _Restart(Exception):
    """The temp file was reset to zero bytes; ask again at once (no wait, no retry spent)."""


# --------------------------------------------------------------------------------------------
# Public API


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
    sha256 = check_sha256(sha256)
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
    if sha256_file(path) != sha256:
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


def check_sha256(value: str) -> str:
    """``value`` lower-cased, or ValueError unless it is 64 hex digits."""
    if not isinstance(value, str) or not _SHA256.match(value.strip().lower()):
        raise ValueError(f"sha256 must be 64 hex digits, got {value!r}")
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


# --------------------------------------------------------------------------------------------
# Sources and the transfer loop


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


@dataclass(frozen=True)
class _Cap:
    """The most bytes a transfer may bring, and what to say when a source sends more."""

    limit: int
    hint: str

    def exceeded(self, what: str) -> _SourceFailed:
        return _SourceFailed(f"{what} more than {self.limit} bytes ({human_size(self.limit)}), "
                             f"{self.hint}", keep_partial=False)


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
                    if digest == sha256 and (size is None or part.size == size):
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


def _fetch_http(session, url: str, part: _Partial, *, size, cap, timeout, retries, backoff,
                max_backoff, bar, check_html: bool) -> None:
    """Fill ``part`` with the whole file from ``url``, resuming and retrying as needed."""
    failed_in_a_row = 0
    while True:
        received_before = part.size
        try:
            _request_once(session, url, part, size=size, cap=cap, timeout=timeout, bar=bar,
                          check_html=check_html)
        except _Restart:
            continue
        except _Transient as exc:
            progressed = part.size - received_before >= _PROGRESS_RESETS_RETRIES
            failed_in_a_row = 0 if progressed else failed_in_a_row + 1
            if failed_in_a_row > retries:
                raise _SourceFailed(f"{exc.reason} (gave up after {retries} retries)") from None
            if exc.retry_after is not None:
                if exc.retry_after > MAX_RETRY_AFTER:
                    raise _SourceFailed(
                        f"{exc.reason}; the server asks to retry after {exc.retry_after:.0f} s"
                    ) from None
                wait = exc.retry_after
            else:
                wait = _backoff_delay(backoff, max_backoff, failed_in_a_row)
            _sleep(wait)
            continue
        return


def _backoff_delay(base: float, cap: float, attempt: int) -> float:
    """Exponential backoff with jitter: uniform in [d/2, d], d = min(cap, base * 2**(attempt-1))."""
    delay = min(cap, base * 2 ** (attempt - 1))
    return delay / 2 + random.uniform(0, delay / 2)


def _request_once(session, url: str, part: _Partial, *, size, cap, timeout, bar,
                  check_html: bool) -> None:
    """One GET from ``part.size`` on; appends to ``part``. Raises _Transient/_SourceFailed."""
    import requests
    import urllib3

    offset = part.size
    headers = {"Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
        if part.validator:
            headers["If-Range"] = part.validator
    response = _get(session, url, headers, timeout)
    with contextlib.closing(response):
        status = response.status_code
        if status in (408, 429) or 500 <= status < 600:
            raise _Transient(f"HTTP {status}", retry_after=_retry_after(response))
        if status == 416 and offset:
            total = _content_range_total(response.headers.get("Content-Range", ""))
            if total is not None and total == offset:
                return  # we already have every byte
            part.reset()
            bar.set(0)
            raise _Restart
        if status >= 400:
            raise _SourceFailed(_status_reason(status))
        if status == 206:
            start, total = _parse_content_range(response.headers.get("Content-Range", ""))
            if start != offset:
                part.reset()
                bar.set(0)
                raise _Restart
            part.resumed = part.resumed or offset > 0
        elif status == 200:
            if offset:  # Range ignored: the body is the whole file again
                part.reset()
                bar.set(0)
            total = _int_or_none(response.headers.get("Content-Length"))
        else:
            raise _SourceFailed(f"unexpected HTTP {status}")
        part.validator = _strong_etag(response.headers.get("ETag")) or part.validator
        if size is not None and total is not None and total != size:
            raise _SourceFailed(f"the server has {total} bytes, expected {size}: a different file")
        if total is not None and total > cap.limit:
            raise cap.exceeded(f"the server announces {total} bytes,")
        if total is not None:
            bar.set_total(total)
        content_type = response.headers.get("Content-Type", "")
        first = part.size == 0
        chunks = _body_chunks(response.raw)
        while True:
            try:  # only the network is retried; a failing disk write (full, read-only) is raised
                chunk = next(chunks, None)
            except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
                raise _Transient(f"connection lost after {part.size} bytes "
                                 f"({_short(exc)})") from None
            if chunk is None:
                break
            if first and check_html:
                _reject_html(chunk, content_type)
                first = False
            if part.size + len(chunk) > cap.limit:
                raise cap.exceeded("the server sent")
            part.write(chunk)
            bar.update(len(chunk))
        if first and check_html and part.size == 0 and _is_html_type(content_type):
            raise _SourceFailed(_HTML_MESSAGE, keep_partial=False)
        expected_end = total if total is not None else size
        if expected_end is not None and part.size < expected_end:
            raise _Transient(f"connection closed after {part.size} of {expected_end} bytes")


def _body_chunks(raw):
    """The body as it arrives, undecoded: ``read1`` returns what is there (up to 1 MiB), so
    bytes received before a stall are kept for the resume, not lost in a half-filled buffer."""
    read1 = getattr(raw, "read1", None)
    if read1 is None:  # urllib3 < 2.1
        yield from raw.stream(CHUNK_SIZE, decode_content=False)
        return
    while chunk := read1(CHUNK_SIZE, decode_content=False):
        yield chunk


def _get(session, url: str, headers: dict, timeout: float):
    """GET with redirects followed by hand, so that https -> http is refused."""
    import requests

    current, seen_https = url, False
    for _ in range(_MAX_REDIRECTS + 1):
        scheme = urlsplit(current).scheme.lower()
        if scheme not in ("http", "https"):
            raise _SourceFailed(f"redirected to an unsupported URL {current!r}")
        if seen_https and scheme != "https":
            raise _SourceFailed(f"refused a redirect from https to {current}: never downgrade")
        seen_https = seen_https or scheme == "https"
        try:
            response = session.get(current, headers=headers, stream=True,
                                   timeout=(timeout, timeout), allow_redirects=False)
        except requests.exceptions.SSLError as exc:
            raise _SourceFailed(f"TLS error, certificate not trusted? ({_short(exc)})") from None
        except requests.exceptions.InvalidURL as exc:
            raise _SourceFailed(f"invalid URL ({_short(exc)})") from None
        except (requests.ConnectionError, requests.Timeout, OSError) as exc:
            unresolved = _name_resolution_failure(exc)
            if unresolved is not None:  # not transient: retrying only makes the user wait
                host = urlsplit(current).hostname
                raise _SourceFailed(f"cannot resolve the host name {host!r} ({unresolved}): "
                                    "no network, a wrong name, or a DNS problem") from None
            raise _Transient(f"cannot connect ({_short(exc)})") from None
        if response.is_redirect:
            current = urljoin(current, response.headers["Location"])
            response.close()
            continue
        return response
    raise _SourceFailed(f"more than {_MAX_REDIRECTS} redirects")


def _copy_local(url: str, part: _Partial, *, size, cap, bar) -> None:
    path = Path(url2pathname(urlsplit(url).path))
    try:
        src = open(path, "rb")
    except FileNotFoundError:
        raise _SourceFailed(f"no such file {path}") from None
    except OSError as exc:
        raise _SourceFailed(f"cannot read {path}: {exc}") from None
    with src:
        total = os.fstat(src.fileno()).st_size
        if size is not None and total != size:
            raise _SourceFailed(f"{path} has {total} bytes, expected {size}: a different file")
        if part.size > total:
            part.reset()
        part.resumed = part.resumed or part.size > 0
        src.seek(part.size)
        bar.set(part.size)
        bar.set_total(total)
        while chunk := src.read(CHUNK_SIZE):
            if part.size + len(chunk) > cap.limit:
                raise cap.exceeded(f"{path} gave")
            part.write(chunk)
            bar.update(len(chunk))


def _session():
    import requests

    from triptych import __version__

    session = requests.Session()
    session.headers["User-Agent"] = f"triptych/{__version__} (+python-requests)"
    return session


# --------------------------------------------------------------------------------------------
# The temp file


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


# --------------------------------------------------------------------------------------------
# Small helpers


def glob_escape(text: str) -> str:
    """``text`` with glob metacharacters escaped."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _sidecar(path: Path) -> Path:
    return path.with_name(f".{path.name}.verified")


def _retry_after(response) -> float | None:
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _parse_content_range(value: str) -> tuple[int, int | None]:
    match = re.match(r"\s*bytes\s+(\d+)-(\d+)/(\d+|\*)", value)
    if not match:
        return -1, None
    total = None if match.group(3) == "*" else int(match.group(3))
    return int(match.group(1)), total


def _content_range_total(value: str) -> int | None:
    match = re.match(r"\s*bytes\s+\*/(\d+)", value)
    return int(match.group(1)) if match else None


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _strong_etag(value: str | None) -> str | None:
    return value if value and not value.startswith("W/") else None


def _status_reason(status: int) -> str:
    reasons = {
        401: "login required", 403: "forbidden: it may need a login, or it moved",
        404: "not found", 410: "gone",
    }
    why = reasons.get(status)
    return f"HTTP {status}" + (f" ({why})" if why else "")


def _is_html_type(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() in ("text/html", "application/xhtml+xml")


def _looks_like_html_name(name: str) -> bool:
    return name.lower().endswith((".html", ".htm", ".xhtml"))


def _reject_html(first_chunk: bytes, content_type: str) -> None:
    head = first_chunk[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    markup = head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml")) and (
        b"<html" in head or b"<!doctype html" in head or b"<head" in head or b"<body" in head)
    binary = first_chunk.startswith(_BINARY_MAGIC)
    if markup or (_is_html_type(content_type) and not binary):
        kind = content_type.split(";")[0] or "no Content-Type"
        start = first_chunk[:60].decode("utf-8", "replace").strip().replace("\n", " ")
        raise _SourceFailed(f"{_HTML_MESSAGE} ({kind}, starts with {start!r})",
                            keep_partial=False)


def _causes(exc: BaseException):
    """``exc`` and what it wraps (``reason``, ``__cause__``, ``__context__``, exception args)."""
    seen, todo = set(), [exc]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [getattr(current, "reason", None), current.__cause__, current.__context__]
        todo += [a for a in current.args if isinstance(a, BaseException)]


def _name_resolution_failure(exc: BaseException) -> str | None:
    """The resolver's message when ``exc`` comes from a host name that did not resolve."""
    for cause in _causes(exc):
        if isinstance(cause, socket.gaierror):
            return str(cause)
    for cause in _causes(exc):
        if type(cause).__name__ == "NameResolutionError":  # urllib3 >= 2, without its cause
            return _short(cause)
    return None


def _short(exc: BaseException) -> str:
    """The whole message of ``exc`` (urllib3's retry wrapper unwrapped, object reprs dropped)."""
    inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc
    reason = getattr(inner, "reason", None)  # urllib3's MaxRetryError: the real failure
    text = str(reason if isinstance(reason, BaseException) else exc)
    text = re.sub(r"<[\w.]+ object at 0x[0-9a-fA-F]+>:?\s*", "", text).strip()
    return text or type(exc).__name__


@dataclass
class _Progress:
    """A tqdm bar that costs nothing when progress is off."""

    wanted: bool
    total: int | None
    desc: str

    def __post_init__(self):
        self._bar = None
        if paths.progress_enabled(self.wanted) and (
                sys.stderr.isatty() or paths.env_flag("TRIPTYCH_PROGRESS")):
            from tqdm import tqdm

            self._bar = tqdm(total=self.total, desc=self.desc, unit="B", unit_scale=True,
                             unit_divisor=1024, leave=False, file=sys.stderr)

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.close()

    def update(self, n: int) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def set(self, n: int) -> None:
        if self._bar is not None:
            self._bar.n = n
            self._bar.refresh()

    def set_total(self, total: int) -> None:
        if self._bar is not None and self._bar.total != total:
            self._bar.total = total
            self._bar.refresh()
