"""download(): every fault from the issue, against the loopback server (tests/loopback.py)."""

from __future__ import annotations

import errno
import hashlib
import importlib
import multiprocessing
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from loopback import Fault, LoopbackServer, closed_port_url

from triptych.datasets import DownloadError, OfflineError, download, is_verified

dl = importlib.import_module("triptych.datasets.download")
http = importlib.import_module("triptych.datasets._http")

# A generous read timeout: on a loaded machine a 2 s timeout fired spuriously and added a retry
# wait that tests counting the waits (Retry-After) then saw. Tests of timeouts set their own.
FAST = {"progress": False, "timeout": 10.0, "retries": 2, "backoff": 0.001, "max_backoff": 0.01}


def payload(n: int = 256 * 1024) -> tuple[bytes, str]:
    data = os.urandom(n)
    return data, hashlib.sha256(data).hexdigest()


def leftovers(folder: Path) -> list[str]:
    """Names in ``folder`` other than published files and their sidecars."""
    return sorted(p.name for p in folder.iterdir()
                  if p.name.endswith((".part", ".lock", ".tmp")))


@pytest.fixture
def waits(monkeypatch):
    """The waits download() asked for, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(http, "_sleep", recorded.append)
    return recorded


def test_downloads_verifies_and_publishes(loopback_server, tmp_path):
    data, sha = payload()
    url = loopback_server.add_file("a.bin", data)
    path = download(url, tmp_path, sha256=sha, size=len(data), **FAST)
    assert path == tmp_path / "a.bin"
    assert path.read_bytes() == data
    assert leftovers(tmp_path) == []
    assert loopback_server.stats("a.bin").ranges == [None]


def test_second_call_makes_no_request(loopback_server, tmp_path):
    data, sha = payload()
    url = loopback_server.add_file("a.bin", data)
    download(url, tmp_path, sha256=sha, **FAST)
    download(url, tmp_path, sha256=sha, **FAST)
    assert loopback_server.stats("a.bin").requests == 1


def test_file_changed_on_disk_is_fetched_again(loopback_server, tmp_path):
    data, sha = payload()
    url = loopback_server.add_file("a.bin", data)
    path = download(url, tmp_path, sha256=sha, **FAST)
    path.write_bytes(os.urandom(len(data)))  # same size, other bytes
    assert download(url, tmp_path, sha256=sha, **FAST).read_bytes() == data
    assert loopback_server.stats("a.bin").requests == 2


def test_drop_mid_body_resumes_with_range(loopback_server, tmp_path):
    data, sha = payload()
    url = loopback_server.add_file("a.bin", data)
    cut = len(data) * 2 // 5
    loopback_server.add_fault("a.bin", Fault.drop(after=cut))
    path = download(url, tmp_path, sha256=sha, **FAST)
    assert path.read_bytes() == data
    stats = loopback_server.stats("a.bin")
    assert stats.ranges == [None, f"bytes={cut}-"]
    assert stats.statuses == [200, 206]
    assert stats.bytes_sent - len(data) < 0.1 * len(data)  # bytes re-sent < 10 %
    assert leftovers(tmp_path) == []


def interrupted_run(server, folder) -> tuple[bytes, str, str, Path]:
    """A download that broke off half-way and ran out of retries: (data, sha, url, partial)."""
    data, sha = payload()
    url = server.add_file("a.bin", data)
    server.add_fault("a.bin", Fault.drop(after=len(data) // 2))
    server.add_fault("a.bin", Fault.status_code(503), times=2)
    with pytest.raises(DownloadError, match="gave up"):
        download(url, folder, sha256=sha, **FAST)  # dropped, then the retries run out
    assert not (folder / "a.bin").exists()
    [partial] = [p for p in folder.iterdir() if p.name.endswith(".part")]
    assert partial.stat().st_size == len(data) // 2
    return data, sha, url, partial


def test_partial_of_an_earlier_run_is_resumed_then_reverified(loopback_server, tmp_path):
    data, sha, url, _ = interrupted_run(loopback_server, tmp_path)
    cut = len(data) // 2
    before = loopback_server.stats("a.bin").bytes_sent
    path = download(url, tmp_path, sha256=sha, **FAST)  # "the next run"
    assert path.read_bytes() == data
    stats = loopback_server.stats("a.bin")
    assert stats.ranges[-1] == f"bytes={cut}-"
    assert stats.bytes_sent - before == len(data) - cut
    assert leftovers(tmp_path) == []


def test_corrupt_partial_is_caught_by_the_full_hash_and_redone(loopback_server, tmp_path):
    data, sha, url, partial = interrupted_run(loopback_server, tmp_path)
    cut = len(data) // 2
    partial.write_bytes(os.urandom(cut))  # bit rot in the stale partial
    path = download(url, tmp_path, sha256=sha, **FAST)
    assert path.read_bytes() == data
    assert loopback_server.stats("a.bin").ranges[-2:] == [f"bytes={cut}-", None]


def test_range_ignored_restarts_from_zero(loopback_server, tmp_path):
    data, sha = payload()
    url = loopback_server.add_file("a.bin", data)
    cut = len(data) // 3
    loopback_server.add_fault("a.bin", Fault.drop(after=cut))
    loopback_server.add_fault("a.bin", Fault.ignore_range())
    path = download(url, tmp_path, sha256=sha, **FAST)
    assert path.read_bytes() == data
    stats = loopback_server.stats("a.bin")
    assert stats.statuses == [200, 200]  # the second answer ignored our Range
    assert stats.bytes_sent == cut + len(data)


def test_wrong_bytes_keep_nothing_and_say_which_url(loopback_server, tmp_path):
    data, sha = payload()
    url = loopback_server.add_file("a.bin", data)
    loopback_server.add_fault("a.bin", Fault.wrong_bytes())
    with pytest.raises(DownloadError) as info:
        download(url, tmp_path, sha256=sha, **FAST)
    [(source, reason)] = info.value.failures
    assert source == url
    assert f"served {len(data)} bytes with sha256" in reason and sha in reason
    assert url in str(info.value)
    assert list(tmp_path.iterdir()) == []  # no final file, no temp file, no lock


def test_wrong_bytes_on_the_primary_fall_back_to_a_mirror(loopback_server, tmp_path):
    data, sha = payload()
    primary = loopback_server.add_file("a.bin", data)
    mirror = loopback_server.add_file("mirror/a.bin", data)
    loopback_server.add_fault("a.bin", Fault.wrong_bytes())
    path = download([primary, mirror], tmp_path, sha256=sha, **FAST)
    assert path.read_bytes() == data
    assert loopback_server.stats("mirror/a.bin").requests == 1


@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", "application/octet-stream"])
def test_html_page_is_reported_as_such(loopback_server, tmp_path, content_type):
    data, sha = payload()
    url = loopback_server.add_file("a.tar.gz", data)
    loopback_server.add_fault("a.tar.gz", Fault.html(content_type=content_type), times=3)
    with pytest.raises(DownloadError, match="the server returned a web page, not the file: "
                                            r"quota or login page\?"):
        download(url, tmp_path, sha256=sha, **FAST)
    assert loopback_server.stats("a.tar.gz").requests == 1  # not retried: it is no glitch
    assert list(tmp_path.iterdir()) == []


def test_503_with_retry_after_is_honoured(loopback_server, tmp_path, waits):
    data, sha = payload()
    url = loopback_server.add_file("a.bin", data)
    loopback_server.add_fault("a.bin", Fault.status_code(503, retry_after="7"))
    assert download(url, tmp_path, sha256=sha, **FAST).read_bytes() == data
    assert waits == [7.0]
    assert loopback_server.stats("a.bin").statuses == [503, 200]


def test_5xx_and_429_back_off_exponentially_with_jitter(loopback_server, tmp_path, waits):
    data, sha = payload()
    url = loopback_server.add_file("a.bin", data)
    for status in (500, 429, 502):
        loopback_server.add_fault("a.bin", Fault.status_code(status))
    options = {**FAST, "retries": 3, "backoff": 0.5, "max_backoff": 100.0}
    assert download(url, tmp_path, sha256=sha, **options).read_bytes() == data
    assert len(waits) == 3
    for k, wait in enumerate(waits):
        assert 0.5 * 2**k / 2 <= wait <= 0.5 * 2**k


def test_gives_up_on_a_url_after_the_retries(loopback_server, tmp_path, waits):
    data, sha = payload()
    url = loopback_server.add_file("a.bin", data)
    loopback_server.add_fault("a.bin", Fault.status_code(503), times=10)
    with pytest.raises(DownloadError, match=r"HTTP 503 \(gave up after 2 retries\)"):
        download(url, tmp_path, sha256=sha, **FAST)
    assert loopback_server.stats("a.bin").requests == 3
    assert list(tmp_path.iterdir()) == []


def test_dead_first_mirror_moves_to_the_next(loopback_server, tmp_path, waits):
    data, sha = payload()
    good = loopback_server.add_file("a.bin", data)
    dead = closed_port_url("a.bin")
    path = download([dead, good], tmp_path, sha256=sha, **FAST)
    assert path.read_bytes() == data
    assert len(waits) == FAST["retries"]  # the dead one was retried, then left


def test_404_is_not_retried_and_is_reported(loopback_server, tmp_path, waits):
    data, sha = payload()
    good = loopback_server.add_file("a.bin", data)
    missing = loopback_server.url("nowhere/a.bin")
    assert download([missing, good], tmp_path, sha256=sha, **FAST).read_bytes() == data
    assert loopback_server.stats("nowhere/a.bin").requests == 1
    assert waits == []
    with pytest.raises(DownloadError, match=r"HTTP 404 \(not found\)"):
        download(missing, tmp_path / "other", sha256=sha, **FAST)


def test_trickle_past_the_timeout_is_resumed(loopback_server, tmp_path):
    data, sha = payload()
    url = loopback_server.add_file("a.bin", data)
    cut = len(data) // 4
    loopback_server.add_fault("a.bin", Fault.trickle(after=cut, stall=5.0))
    path = download(url, tmp_path, sha256=sha, **{**FAST, "timeout": 0.3})
    assert path.read_bytes() == data
    assert loopback_server.stats("a.bin").ranges == [None, f"bytes={cut}-"]


def test_wrong_size_is_refused_before_the_body(loopback_server, tmp_path):
    data, sha = payload()
    url = loopback_server.add_file("a.bin", data)
    with pytest.raises(DownloadError, match=f"the server has {len(data)} bytes, expected 100"):
        download(url, tmp_path, sha256=sha, size=100, **FAST)
    assert list(tmp_path.iterdir()) == []


def test_plain_redirects_are_followed(loopback_server, tmp_path):
    data, sha = payload()
    target = loopback_server.add_file("real/a.bin", data)
    loopback_server.add_fault("a.bin", Fault.redirect(target))
    assert download(loopback_server.url("a.bin"), tmp_path, sha256=sha,
                    **FAST).read_bytes() == data


def test_a_failing_disk_is_raised_not_retried(loopback_server, tmp_path, monkeypatch):
    data, sha = payload()
    url = loopback_server.add_file("a.bin", data)

    def disk_full(self, chunk):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(dl._Partial, "write", disk_full)
    with pytest.raises(OSError, match="No space left"):
        download(url, tmp_path, sha256=sha, **FAST)
    assert loopback_server.stats("a.bin").requests == 1
    assert not (tmp_path / "a.bin").exists()


def test_bad_arguments_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="64 hex"):
        download("http://127.0.0.1/a", tmp_path, sha256="abc", **FAST)
    with pytest.raises(ValueError, match="file name"):
        download("http://127.0.0.1/a", tmp_path, sha256="0" * 64, filename="../a", **FAST)
    with pytest.raises(ValueError, match="unsupported URL"):
        download("ftp://127.0.0.1/a", tmp_path, sha256="0" * 64, **FAST)


# ---------------------------------------------------------------------------- offline, mirror


@pytest.fixture
def no_sockets(monkeypatch):
    """Any attempt to open a network connection fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_offline_returns_a_present_file_and_refuses_a_missing_one(
        loopback_server, tmp_path, monkeypatch):
    data, sha = payload()
    url = loopback_server.add_file("a.bin", data)
    download(url, tmp_path, sha256=sha, **FAST)
    monkeypatch.setenv("TRIPTYCH_OFFLINE", "1")
    with monkeypatch.context() as m:
        m.setattr(socket.socket, "connect", lambda *a: pytest.fail("network call offline"))
        m.setattr(socket, "create_connection", lambda *a, **k: pytest.fail("network call"))
        assert download(url, tmp_path, sha256=sha, **FAST).read_bytes() == data
        with pytest.raises(OfflineError, match="TRIPTYCH_OFFLINE=1 is set and .*b.bin is missing"):
            download(loopback_server.url("b.bin"), tmp_path, sha256=sha, **FAST)
    assert loopback_server.stats("a.bin").requests == 1
    assert loopback_server.stats("b.bin").requests == 0


def test_offline_uses_a_local_mirror_folder(tmp_path, monkeypatch, no_sockets):
    data, sha = payload()
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "a.bin").write_bytes(data)
    monkeypatch.setenv("TRIPTYCH_OFFLINE", "1")
    monkeypatch.setenv("TRIPTYCH_MIRROR", str(mirror))
    path = download("https://example.invalid/a.bin", tmp_path / "out", sha256=sha, **FAST)
    assert path.read_bytes() == data


def test_mirror_is_tried_before_the_listed_urls(loopback_server, tmp_path, monkeypatch):
    data, sha = payload()
    listed = loopback_server.add_file("a.bin", data)
    loopback_server.add_file("mirror/a.bin", data)
    monkeypatch.setenv("TRIPTYCH_MIRROR", loopback_server.url("mirror/"))
    download(listed, tmp_path, sha256=sha, **FAST)
    assert loopback_server.stats("mirror/a.bin").requests == 1
    assert loopback_server.stats("a.bin").requests == 0


def test_progress_bar_follows_the_switches(loopback_server, tmp_path, monkeypatch, capsys):
    data, sha = payload()
    url = loopback_server.add_file("a.bin", data)
    monkeypatch.setenv("TRIPTYCH_PROGRESS", "1")  # force a bar although stderr is no TTY
    download(url, tmp_path / "1", sha256=sha, **{**FAST, "progress": True})
    assert "a.bin" in capsys.readouterr().err
    monkeypatch.setenv("TRIPTYCH_PROGRESS", "0")
    download(url, tmp_path / "2", sha256=sha, **{**FAST, "progress": True})
    assert capsys.readouterr().err == ""


# ------------------------------------------------------------------------------------- https


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return str(cert), str(key)


@pytest.fixture
def https_server(tmp_path_factory, certificate):
    with LoopbackServer(tmp_path_factory.mktemp("tls-root"), tls=certificate) as server:
        yield server


def test_certificates_are_verified(https_server, tmp_path, certificate, monkeypatch):
    data, sha = payload()
    url = https_server.add_file("a.bin", data)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with pytest.raises(DownloadError, match="TLS error"):
        download(url, tmp_path, sha256=sha, **FAST)  # self-signed: not trusted
    assert https_server.stats("a.bin").requests == 0
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certificate[0])  # now it is trusted
    assert download(url, tmp_path, sha256=sha, **FAST).read_bytes() == data


def test_https_never_falls_back_to_http(https_server, loopback_server, tmp_path, certificate,
                                        monkeypatch):
    data, sha = payload()
    plain = loopback_server.add_file("a.bin", data)
    https_server.add_fault("a.bin", Fault.redirect(plain))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certificate[0])
    with pytest.raises(DownloadError, match="refused a redirect from https"):
        download(https_server.url("a.bin"), tmp_path, sha256=sha, **FAST)
    assert loopback_server.stats("a.bin").requests == 0


# ------------------------------------------------------------------------ many processes


def _download_in_child(url, dest, sha, barrier, out):
    barrier.wait()  # start together
    try:
        path = download(url, dest, sha256=sha, **FAST)
        ok = path.read_bytes() == open(out.parent / "expected", "rb").read()
        out.write_text(f"{path}\n{ok}\n")
    except BaseException as exc:
        out.write_text(f"error\n{exc!r}\n")
        os._exit(1)
    os._exit(0)


def test_eight_processes_share_one_transfer(loopback_server, tmp_path):
    data, sha = payload(4 * 1024 * 1024)
    url = loopback_server.add_file("big.bin", data)
    # The one transfer stalls for a while, so that all eight are asking at the same time.
    loopback_server.add_fault("big.bin", Fault.trickle(after=len(data) // 2, stall=0.5))
    (tmp_path / "expected").write_bytes(data)
    dest = tmp_path / "dest"
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(8)
    outs = [tmp_path / f"out{i}.txt" for i in range(8)]
    procs = [ctx.Process(target=_download_in_child, args=(url, dest, sha, barrier, out))
             for out in outs]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0] * 8, [o.read_text() for o in outs if o.exists()]
    results = [o.read_text().split() for o in outs]
    assert {r[0] for r in results} == {str(dest / "big.bin")}
    assert all(r[1] == "True" for r in results)
    stats = loopback_server.stats("big.bin")
    assert stats.requests == 1 and stats.bytes_sent == len(data)  # one transfer
    assert leftovers(dest) == []
    assert is_verified(dest / "big.bin", sha, rehash=True)


# ---------------------------------------------------------------------------- caps, destinations


def test_endless_body_stops_at_max_size_and_keeps_nothing(loopback_server, tmp_path, waits):
    data, sha = payload(1000)
    url = loopback_server.add_file("a.bin", data)
    loopback_server.add_fault("a.bin", Fault.endless())
    with pytest.raises(DownloadError, match=r"more than 1048576 bytes .*max_size") as info:
        download(url, tmp_path, sha256=sha, max_size=1 << 20, **FAST)
    assert len(info.value.failures) == 1
    assert leftovers(tmp_path) == []
    assert not (tmp_path / "a.bin").exists()
    assert loopback_server.stats("a.bin").requests == 1  # not retried: it is the response


def test_local_file_stops_at_max_size(tmp_path):
    source = tmp_path / "src" / "zeros.bin"
    source.parent.mkdir()
    with open(source, "wb") as f:
        f.truncate(8 << 20)  # sparse: no disk used
    dest = tmp_path / "dest"
    with pytest.raises(DownloadError, match="zeros.bin gave more than 65536 bytes"):
        download(source.as_uri(), dest, sha256="0" * 64, max_size=1 << 16, **FAST)
    assert leftovers(dest) == [] and not (dest / "zeros.bin").exists()


def test_default_cap_comes_from_the_free_space(loopback_server, tmp_path, monkeypatch):
    data, sha = payload(1000)
    url = loopback_server.add_file("a.bin", data)
    loopback_server.add_fault("a.bin", Fault.endless())
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(dl.shutil, "disk_usage",
                        lambda path: usage._replace(free=1 << 20))  # 1 MiB free
    with pytest.raises(DownloadError, match=r"90% of the free space .* max_size="):
        download(url, tmp_path, sha256=sha, **FAST)
    assert leftovers(tmp_path) == []


def test_announced_length_over_the_cap_is_refused_before_the_body(loopback_server, tmp_path):
    data, sha = payload(300_000)
    url = loopback_server.add_file("a.bin", data)
    with pytest.raises(DownloadError, match="announces 300000 bytes, more than 1000 bytes"):
        download(url, tmp_path, sha256=sha, max_size=1000, **FAST)
    assert leftovers(tmp_path) == []


def test_max_size_large_enough_downloads(loopback_server, tmp_path):
    data, sha = payload(5000)
    url = loopback_server.add_file("a.bin", data)
    assert download(url, tmp_path, sha256=sha, max_size=5000, **FAST).read_bytes() == data


@pytest.mark.parametrize("options, message", [
    ({"max_size": -1}, "max_size must be an int >= 0"),
    ({"max_size": 1.5}, "max_size must be an int >= 0"),
    ({"size": -1}, "size must be an int >= 0"),
    ({"size": 10, "max_size": 5}, "size=10 is larger than max_size=5"),
])
def test_bad_sizes_are_argument_errors(tmp_path, options, message):
    with pytest.raises(ValueError, match=message):
        download("http://127.0.0.1/a", tmp_path, sha256="0" * 64, **FAST, **options)
    assert list(tmp_path.iterdir()) == []


def test_destination_that_is_a_file_is_a_clear_error(loopback_server, tmp_path):
    data, sha = payload(1000)
    url = loopback_server.add_file("a.bin", data)
    (tmp_path / "taken").write_text("mine")
    for dest in (tmp_path / "taken", tmp_path / "taken" / "sub"):
        with pytest.raises(DownloadError, match="taken is a file; remove it or choose another"):
            download(url, dest, sha256=sha, **FAST)
    assert loopback_server.stats("a.bin").requests == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_target_name_that_is_a_folder_is_a_clear_error(loopback_server, tmp_path):
    data, sha = payload(1000)
    url = loopback_server.add_file("a.bin", data)
    (tmp_path / "a.bin").mkdir()
    with pytest.raises(DownloadError, match="is a folder, so the download cannot take its name"):
        download(url, tmp_path, sha256=sha, **FAST)
    assert loopback_server.stats("a.bin").requests == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin"]


def test_a_failed_publish_leaves_no_verified_part(loopback_server, tmp_path, monkeypatch):
    data, sha = payload(1000)
    url = loopback_server.add_file("a.bin", data)

    def folder_appears(src, dst):  # the name is taken by a folder while the bytes arrive
        raise IsADirectoryError(21, "Is a directory", str(dst))

    monkeypatch.setattr(dl.os, "replace", folder_appears)
    with pytest.raises(DownloadError, match="downloaded and verified but cannot be put at"):
        download(url, tmp_path, sha256=sha, **FAST)
    assert leftovers(tmp_path) == []


# ---------------------------------------------------------------------------- name resolution


@pytest.fixture
def no_dns(monkeypatch):
    """Every host name fails to resolve, as on a machine without network."""
    calls: list[str] = []

    def fail(host, *args, **kwargs):
        calls.append(host)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    return calls


def test_unresolvable_host_fails_at_once_with_the_whole_cause(tmp_path, waits, no_dns):
    urls = ["http://files.example.invalid/a.bin", "https://mirror.example.invalid/a.bin"]
    with pytest.raises(DownloadError) as info:
        download(urls, tmp_path, sha256="0" * 64, **{**FAST, "retries": 5})
    assert waits == []  # no backoff: a name that does not resolve is not transient
    assert no_dns == ["files.example.invalid", "mirror.example.invalid"]
    for (_source, reason), host in zip(info.value.failures, ["files", "mirror"]):
        assert reason == (f"cannot resolve the host name '{host}.example.invalid' ([Errno "
                          f"{socket.EAI_AGAIN}] Temporary failure in name resolution): no "
                          "network, a wrong name, or a DNS problem")
    assert leftovers(tmp_path) == []


def test_long_causes_are_not_cut(tmp_path, waits, monkeypatch):
    long_reason = "refused " + "x" * 300 + " END"

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError(111, long_reason)

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr("urllib3.util.connection.create_connection", refuse)
    with pytest.raises(DownloadError) as info:
        download(closed_port_url(), tmp_path, sha256="0" * 64, **{**FAST, "retries": 0})
    [(_, reason)] = info.value.failures
    assert long_reason + ")" in reason and "object at 0x" not in reason


def test_a_published_sha256_prefix_is_checked_only_when_asked(loopback_server, tmp_path):
    data = b"checkpoint bytes" * 100
    url = loopback_server.add_file("model-prefix.bin", data)
    prefix = hashlib.sha256(data).hexdigest()[:8]
    with pytest.raises(ValueError, match="64 hex digits"):
        download(url, tmp_path, sha256=prefix, progress=False)
    with pytest.raises(ValueError, match="8 to 64 hex digits"):
        download(url, tmp_path, sha256=prefix[:7], sha256_is_prefix=True, progress=False)
    path = download(url, tmp_path, sha256=prefix, sha256_is_prefix=True, progress=False)
    assert path.read_bytes() == data
    wrong = "0" * 8 if prefix != "0" * 8 else "1" * 8
    with pytest.raises(DownloadError, match="sha256"):
        download(url, tmp_path / "other", sha256=wrong, sha256_is_prefix=True, progress=False)
    assert not (tmp_path / "other" / "model-prefix.bin").exists()
