"""Download throughput: a 200 MB file from a loopback HTTP server, written to disk and verified.

Ours: ``triptych.datasets.download`` (streams into a temp file, hashes while streaming, checks
size and sha256, ``os.replace``). Anchors, run in a worker process of the same Python (they are
plain requests and plain torch, no other library needed):

* ``requests + hashlib``: ``requests.get(stream=True)`` written to disk in 1 MiB chunks, then
  a separate ``hashlib.sha256`` pass over the file — what most hand-written loaders do;
* ``torch.hub``: ``torch.hub.download_url_to_file(url, dst, hash_prefix=sha256)``.

The server (tests/loopback.py) runs in its own process, so it shares no GIL with either side.
Every timed call starts with no file at the destination (so ours really transfers). Expected:
ours >= 1.0x the plain stream (hashing while streaming costs no second pass).

    .venv/bin/python benchmarks/bench_download.py [--mb 200] [--rounds 3]
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import main

HERE = Path(__file__).resolve().parent
LOOPBACK = HERE.parent / "tests" / "loopback.py"
CHUNK = 1 << 20


def _env() -> tuple[str, str, Path]:
    return os.environ["BENCH_URL"], os.environ["BENCH_SHA256"], Path(os.environ["BENCH_DEST"])


def _fresh(folder: Path) -> Path:
    """An empty destination folder for one call."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def _ours():
    from triptych.datasets import download

    url, sha, dest = _env()
    folder = dest / "ours"

    def run():
        download(url, _fresh(folder), sha256=sha, progress=False)

    return run


def _requests_then_hashlib():
    import requests

    url, sha, dest = _env()
    folder = dest / "requests"
    session = requests.Session()

    def run():
        path = _fresh(folder) / "file.bin"
        with session.get(url, stream=True, timeout=30) as response:
            response.raise_for_status()
            with open(path, "wb") as f:
                for chunk in response.iter_content(CHUNK):
                    f.write(chunk)
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                digest.update(chunk)
        assert digest.hexdigest() == sha

    return run


def _torch_hub():
    import torch.hub

    url, sha, dest = _env()
    folder = dest / "hub"

    def run():
        torch.hub.download_url_to_file(url, str(_fresh(folder) / "file.bin"), hash_prefix=sha,
                                       progress=False)

    return run


CASES = {"vs requests + hashlib pass": (_ours, _requests_then_hashlib),
         "vs torch.hub.download_url_to_file": (_ours, _torch_hub)}


def _versions() -> dict:
    import requests
    import torch

    return {"requests": requests.__version__, "torch.hub": torch.__version__}


def _serve(size: int) -> tuple[subprocess.Popen, Path]:
    """Write a random file of ``size`` bytes and serve it from a loopback server process."""
    work = Path(tempfile.mkdtemp(prefix="bench_download_"))
    (work / "srv").mkdir()
    digest = hashlib.sha256()
    with open(work / "srv" / "file.bin", "wb") as f:
        for _ in range(size // CHUNK):
            block = os.urandom(CHUNK)
            digest.update(block)
            f.write(block)
    server = subprocess.Popen([sys.executable, str(LOOPBACK), str(work / "srv")],
                              stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "LOOPBACK_LIFETIME": "600"})
    base = server.stdout.readline().strip()
    os.environ.update(BENCH_URL=f"{base}/file.bin", BENCH_SHA256=digest.hexdigest(),
                      BENCH_DEST=str(work / "dest"))
    return server, work


if __name__ == "__main__":
    mb = 200
    if "--mb" in sys.argv:
        i = sys.argv.index("--mb")
        mb = int(sys.argv[i + 1])
        del sys.argv[i:i + 2]
    if "--anchor-worker" in sys.argv:
        main("", __file__, {}, {n: anchor for n, (_, anchor) in CASES.items()}, _versions)
        sys.exit(0)
    server, work = _serve(mb * CHUNK)
    try:
        main(f"download of a {mb} MiB file over loopback, verified (sha256): triptych vs anchors",
             __file__, {n: ours for n, (ours, _) in CASES.items()},
             {n: anchor for n, (_, anchor) in CASES.items()}, _versions,
             anchor_python=sys.executable, units=dict.fromkeys(CASES, ("MiB/s", mb)),
             min_time=0.2, rounds=3)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
