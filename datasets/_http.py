"""One source of a download: HTTP(S) requests with resume (``Range``), retries with backoff,
redirects that never downgrade, web pages recognised, name-resolution failures not retried; and
local ``file://`` copies. Every transfer appends to a :class:`~._partial._Partial`."""

from __future__ import annotations

import contextlib
import os
import random
import re
import socket
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

from triptych.paths import human_size

from ._files import CHUNK_SIZE
from ._partial import _Partial

MAX_RETRY_AFTER = 300.0  # seconds; a server asking for a longer wait sends us to the next URL


_MAX_REDIRECTS = 10


_PROGRESS_RESETS_RETRIES = 1 << 20  # an attempt that got this many bytes does not count as failed


_HTML_MESSAGE = "the server returned a web page, not the file: quota or login page?"


_BINARY_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"PK\x03\x04", b"PK\x05\x06", b"\x89PNG",
                 b"\xff\xd8\xff", b"RIFF", b"fLaC", b"OggS", b"\x00\x00\x08\x03", b"\x00\x00\x08\x01")


# Patched by tests to record waits instead of sleeping.
_sleep = time.sleep


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


@dataclass(frozen=True)
class _Cap:
    """The most bytes a transfer may bring, and what to say when a source sends more."""

    limit: int
    hint: str

    def exceeded(self, what: str) -> _SourceFailed:
        return _SourceFailed(f"{what} more than {self.limit} bytes ({human_size(self.limit)}), "
                             f"{self.hint}", keep_partial=False)


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

