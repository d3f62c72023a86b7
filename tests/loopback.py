"""A loopback HTTP(S) server for download tests, with injected faults.

It serves the files of a folder on 127.0.0.1 (an ephemeral port), in a thread, and counts for
each path the requests, the ``Range`` headers and the body bytes it sent. Faults are queued per
path and used up one request at a time::

    with LoopbackServer(tmp_path) as server:
        url = server.add_file("a.bin", data)
        server.add_fault("a.bin", Fault.drop(after=1000))   # the next request breaks off
        ...
        server.stats("a.bin").bytes_sent

Faults: ``drop`` (close the connection after N body bytes), ``wrong_bytes`` (same length,
other content), ``html`` (a login page with 200; ``content_type`` may lie), ``status`` (any code,
optional ``Retry-After``), ``ignore_range`` (200 and the whole file despite ``Range``),
``trickle`` (N bytes, then a stall longer than the client's timeout, then the rest),
``redirect`` (302 to a given URL), ``endless`` (200 without a length, then zeros until the client
hangs up, up to ``after`` bytes: 64 MiB by default, so that a client without a cap cannot fill
the disk). The server is bounded: it stops by itself after ``lifetime``
seconds, stalls end when it stops, and connections time out.

Run as a script it serves a folder until killed (the download benchmark uses that, so that
the server does not share a GIL with the client)::

    python tests/loopback.py DIR          # prints the base URL, then serves
"""

from __future__ import annotations

import contextlib
import http.server
import io
import os
import re
import socket
import ssl
import sys
import tarfile
import threading
import zipfile
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

HTML_PAGE = (b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head>"
             b"<body><p>Download quota exceeded. Please sign in to continue.</p></body></html>\n")


@dataclass(frozen=True)
class Fault:
    """One injected misbehaviour for one request (see the module docstring)."""

    kind: str
    after: int = 0
    status: int = 200
    retry_after: str | None = None
    stall: float = 0.0
    location: str = ""
    content_type: str = "text/html; charset=utf-8"

    @staticmethod
    def drop(after: int) -> Fault:
        return Fault("drop", after=after)

    @staticmethod
    def wrong_bytes() -> Fault:
        return Fault("wrong_bytes")

    @staticmethod
    def html(content_type: str = "text/html; charset=utf-8") -> Fault:
        return Fault("html", content_type=content_type)

    @staticmethod
    def status_code(status: int, retry_after: str | None = None) -> Fault:
        return Fault("status", status=status, retry_after=retry_after)

    @staticmethod
    def ignore_range() -> Fault:
        return Fault("ignore_range")

    @staticmethod
    def trickle(after: int, stall: float) -> Fault:
        return Fault("trickle", after=after, stall=stall)

    @staticmethod
    def redirect(location: str) -> Fault:
        return Fault("redirect", location=location)

    @staticmethod
    def endless(after: int = 64 << 20) -> Fault:
        return Fault("endless", after=after)


@dataclass
class PathStats:
    """What the server did for one path."""

    requests: int = 0
    bytes_sent: int = 0
    ranges: list[str | None] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


class LoopbackServer:
    """Serve ``root`` on 127.0.0.1 with per-path faults; see the module docstring.

    ``tls=(certfile, keyfile)`` serves https instead of http.
    """

    def __init__(self, root: str | os.PathLike, *, lifetime: float = 120.0,
                 tls: tuple[str, str] | None = None):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.lifetime = lifetime
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._stats: dict[str, PathStats] = defaultdict(PathStats)
        self._lock = threading.Lock()
        self.stopped = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self.scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
            self.scheme = "https"
        self.port = self._httpd.server_address[1]
        self._thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None

    # -- life cycle ------------------------------------------------------------------------
    def start(self) -> LoopbackServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        self._timer = threading.Timer(self.lifetime, self.close)
        self._timer.daemon = True
        self._timer.start()
        return self

    def close(self) -> None:
        if self.stopped.is_set():
            return
        self.stopped.set()
        if self._timer is not None and self._timer is not threading.current_thread():
            self._timer.cancel()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- content and faults ----------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"

    def add_file(self, name: str, data: bytes) -> str:
        """Write ``data`` as ``root/name`` and return its URL."""
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return self.url(name)

    def add_fault(self, name: str, fault: Fault, *, times: int = 1) -> None:
        """Apply ``fault`` to the next ``times`` requests for ``name``."""
        with self._lock:
            self._faults[name].extend([fault] * times)

    def stats(self, name: str) -> PathStats:
        with self._lock:
            s = self._stats[name]
            return PathStats(s.requests, s.bytes_sent, list(s.ranges), list(s.statuses))

    # -- used by the handler ---------------------------------------------------------------
    def _next_fault(self, name: str, range_header: str | None) -> Fault | None:
        with self._lock:
            stats = self._stats[name]
            stats.requests += 1
            stats.ranges.append(range_header)
            queue = self._faults.get(name)
            return queue.popleft() if queue else None

    def _record(self, name: str, *, status: int | None = None, sent: int = 0) -> None:
        with self._lock:
            if status is not None:
                self._stats[name].statuses.append(status)
            self._stats[name].bytes_sent += sent


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    owner: LoopbackServer

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, ssl.SSLError)):
            super().handle_error(request, client_address)  # clients hanging up are expected


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10  # a client that stops reading does not hold a thread for long
    server: _Server

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def do_GET(self):  # noqa: N802 - the base class's name
        owner = self.server.owner
        name = unquote(urlsplit(self.path).path).lstrip("/")
        range_header = self.headers.get("Range")
        fault = owner._next_fault(name, range_header)
        kind = fault.kind if fault else None
        if kind == "status":
            extra = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            return self._send_bytes(name, fault.status, b"", extra)
        if kind == "redirect":
            return self._send_bytes(name, 302, b"", {"Location": fault.location})
        if kind == "html":
            return self._send_bytes(name, 200, HTML_PAGE, {"Content-Type": fault.content_type})
        if kind == "endless":
            return self._send_endless(name, fault.after)
        path = owner.root / name
        if not name or not path.is_file() or ".." in Path(name).parts:
            return self._send_bytes(name, 404, b"not found\n", {"Content-Type": "text/plain"})
        total = path.stat().st_size
        start, end, status = 0, total - 1, 200
        if range_header and kind != "ignore_range":
            match = re.fullmatch(r"bytes=(\d+)-(\d*)", range_header.strip())
            if match:
                start = int(match.group(1))
                end = min(int(match.group(2)), total - 1) if match.group(2) else total - 1
                if start >= total:
                    return self._send_bytes(name, 416, b"", {"Content-Range": f"bytes */{total}"})
                status = 206
        length = end - start + 1
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(length),
                   "Accept-Ranges": "bytes", "ETag": f'"{total:x}-{int(path.stat().st_mtime):x}"'}
        if status == 206:
            headers["Content-Range"] = f"bytes {start}-{end}/{total}"
        owner._record(name, status=status)  # before the client can see it and ask again
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        limit = length
        if kind in ("drop", "trickle"):
            limit = min(fault.after, length)
        with open(path, "rb") as f:
            if kind == "wrong_bytes":
                data = bytearray(f.read())[start:end + 1]
                for i in range(0, len(data), 997):
                    data[i] ^= 0xFF
                self._write(name, bytes(data))
                return
            sent = self._send_file(name, f, start, limit)
            if kind == "drop" or sent < limit:
                self.close_connection = True
                return
            if kind == "trickle":
                owner.stopped.wait(fault.stall)
                with contextlib.suppress(OSError):
                    self._send_file(name, f, start + limit, length - limit)

    def _send_file(self, name: str, f, offset: int, count: int) -> int:
        if count <= 0:
            return 0
        self.wfile.flush()
        try:
            sent = self.connection.sendfile(f, offset, count)
        except OSError:
            self.close_connection = True
            return 0
        self.server.owner._record(name, sent=sent)
        return sent

    def _write(self, name: str, data: bytes) -> None:
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            self.close_connection = True
            return
        self.server.owner._record(name, sent=len(data))

    def _send_endless(self, name: str, limit: int) -> None:
        self.server.owner._record(name, status=200)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        block = bytes(64 * 1024)
        for _ in range(0, limit, len(block)):
            if self.server.owner.stopped.is_set():
                return
            try:
                self.wfile.write(block)
            except OSError:  # the client hung up
                return
            self.server.owner._record(name, sent=len(block))

    def _send_bytes(self, name: str, status: int, body: bytes, headers: dict) -> None:
        # Recorded before sending: once the client has the status it may ask again, and another
        # handler thread would otherwise record the next status first.
        self.server.owner._record(name, status=status)
        self.send_response(status)
        headers = {"Content-Length": str(len(body)), **headers}
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if body:
            self._write(name, body)


def closed_port_url(name: str = "file") -> str:
    """A loopback URL on a port nobody listens on (connections are refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/{name}"


if __name__ == "__main__":
    server = LoopbackServer(sys.argv[1], lifetime=float(os.environ.get("LOOPBACK_LIFETIME", "600")))
    server.start()
    print(server.base_url, flush=True)
    server.stopped.wait()


def tar_archive(files: dict[str, bytes], mode: str = "w:gz") -> bytes:
    """A tar archive in memory holding ``files`` (member name -> bytes), to serve; ``mode`` is
    :func:`tarfile.open`'s write mode (``"w:gz"``, ``"w:bz2"``, ``"w:xz"``, ``"w"``)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def tar_gz(files: dict[str, bytes]) -> bytes:
    """A ``.tar.gz`` archive in memory holding ``files`` (member name -> bytes), to serve."""
    return tar_archive(files, "w:gz")


def zip_archive(files: dict[str, bytes]) -> bytes:
    """A ``.zip`` archive in memory holding ``files`` (member name -> bytes), to serve."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()
