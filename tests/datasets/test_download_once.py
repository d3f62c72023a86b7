"""download_once(): one transfer per node, ranks simulated with LOCAL_RANK or gloo on loopback."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import socket
import time

import pytest
from loopback import Fault

from triptych.datasets import download, download_once

FAST = {"progress": False, "timeout": 5.0, "retries": 2, "backoff": 0.001, "max_backoff": 0.01}


def _rank_without_process_group(rank, url, dest, sha, home, barrier, out):
    os.environ["LOCAL_RANK"] = str(rank)
    os.environ["TRIPTYCH_HOME"] = home
    barrier.wait()
    try:
        path = download_once(lambda: download(url, dest, sha256=sha, **FAST), key="toy")
        out.write_text(str(path))
    except BaseException as exc:
        out.write_text(f"error {exc!r}")
        os._exit(1)
    os._exit(0)


def test_ranks_without_a_process_group_make_one_transfer(loopback_server, tmp_path):
    data = os.urandom(1 << 20)
    sha = hashlib.sha256(data).hexdigest()
    url = loopback_server.add_file("shard.bin", data)
    loopback_server.add_fault("shard.bin", Fault.trickle(after=len(data) // 2, stall=0.4))
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(4)
    outs = [tmp_path / f"rank{r}.txt" for r in range(4)]
    procs = [ctx.Process(target=_rank_without_process_group,
                         args=(r, url, tmp_path / "data", sha, str(tmp_path / "home"), barrier,
                               outs[r])) for r in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0], [o.read_text() for o in outs]
    assert {o.read_text() for o in outs} == {str(tmp_path / "data" / "shard.bin")}
    assert loopback_server.stats("shard.bin").requests == 1


def _rank_with_gloo(rank, port, url, dest, sha, log, out):
    import torch.distributed as dist

    os.environ["LOCAL_RANK"] = str(rank)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=2)
    try:
        def fetch():
            with open(log, "a") as f:
                f.write(f"start {rank} {time.monotonic()}\n")
            path = download(url, dest, sha256=sha, **FAST)
            with open(log, "a") as f:
                f.write(f"end {rank} {time.monotonic()}\n")
            return path

        out.write_text(str(download_once(fetch)))
        dist.barrier()
    except BaseException as exc:
        out.write_text(f"error {exc!r}")
        os._exit(1)
    finally:
        dist.destroy_process_group()
    os._exit(0)


def test_local_rank_0_goes_first_under_a_process_group(loopback_server, tmp_path):
    import torch.distributed as dist

    if not dist.is_available() or not dist.is_gloo_available():
        pytest.skip("torch.distributed with gloo is not available")
    data = os.urandom(1 << 20)
    sha = hashlib.sha256(data).hexdigest()
    url = loopback_server.add_file("shard.bin", data)
    # Rank 0's transfer stalls a while: rank 1 would overtake it without the barrier.
    loopback_server.add_fault("shard.bin", Fault.trickle(after=len(data) // 2, stall=0.4))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctx = multiprocessing.get_context("fork")
    log, outs = tmp_path / "log.txt", [tmp_path / "out0.txt", tmp_path / "out1.txt"]
    procs = [ctx.Process(target=_rank_with_gloo,
                         args=(r, port, url, tmp_path / "data", sha, log, outs[r]))
             for r in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=90)
    assert [p.exitcode for p in procs] == [0, 0], [o.read_text() for o in outs if o.exists()]
    assert outs[0].read_text() == outs[1].read_text() == str(tmp_path / "data" / "shard.bin")
    events = [line.split() for line in log.read_text().splitlines()]
    assert [e[:2] for e in events] == [["start", "0"], ["end", "0"], ["start", "1"], ["end", "1"]]
    assert loopback_server.stats("shard.bin").requests == 1
