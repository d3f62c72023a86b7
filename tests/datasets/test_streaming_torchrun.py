"""StreamingDataset under real torchrun (gloo, CPU): a crash and restart, then world sizes
2 -> 1 -> 3 from one checkpoint, shards fetched from the loopback server by 2 ranks x 2 workers
with a cold cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from triptych.datasets import ShardWriter, StreamingDataset, read_index

JOB = Path(__file__).with_name("streaming_job.py")
N = 41  # prime: the last global batch is short and padded
GLOBAL_BATCH = 6


def torchrun(world, *args, restarts=0, env):
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               f"--nproc-per-node={world}", f"--max-restarts={restarts}",
               "--monitor-interval=0.1", str(JOB), *map(str, args)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.mark.slow  # ~30 s: four torchrun launches; still run by `make test`
def test_crash_restart_and_world_size_changes(tmp_path, loopback_server):
    folder = tmp_path / "shards"
    with ShardWriter(folder, samples_per_shard=6) as writer:  # 7 shards: 6 x 6 + 5
        for i in range(N):
            writer.write({"x": torch.tensor([i]), "y": i})
    for name in os.listdir(folder):
        loopback_server.add_file(f"ds/{name}", (folder / name).read_bytes())
    source = f"{loopback_server.base_url}/ds"
    checkpoint = tmp_path / "checkpoint.json"
    env = {**os.environ, "TRIPTYCH_HOME": str(tmp_path / "home"), "OMP_NUM_THREADS": "1",
           "TRIPTYCH_PROGRESS": "0"}
    common = ["--source", source, "--cache", tmp_path / "cache", "--checkpoint", checkpoint,
              "--seed", 7]

    # 2 ranks x 2 workers, cold cache; the last rank dies at step 1 of the first attempt
    torchrun(2, *common, "--batch-size", 3, "--workers", 2, "--crash-at", 1,
             "--stop-after", 3, restarts=1, env=env)
    assert Path(f"{checkpoint}.crashed").exists()  # it did crash, and was restarted
    assert len(json.loads(checkpoint.read_text())["seen"]) == 3
    torchrun(1, *common, "--batch-size", 6, "--stop-after", 5, env=env)
    torchrun(3, *common, "--batch-size", 2, "--workers", 1, env=env)

    steps = json.loads(checkpoint.read_text())["seen"]
    assert [len(step) for step in steps] == [2, 2, 2, 1, 1, 3, 3]  # ranks per step
    for step in steps:  # every rank took part in every step with a batch of equal size
        assert len({len(ids) for ids, _ in step}) == 1
    real = [i for step in steps for ids, pads in step for i, p in zip(ids, pads) if not p]
    padding = [i for step in steps for ids, pads in step for i, p in zip(ids, pads) if p]
    expected = [i for b in StreamingDataset(folder, seed=7, batch_size=GLOBAL_BATCH)
                for i in b["__index__"].tolist()]
    assert real == expected  # 0 missing, 0 duplicated, the world-size-1 order
    assert sorted(real) == list(range(N))
    assert len(padding) == 1  # 41 = 6 x 6 + 5: the last global batch of 3 ranks is padded by 1

    for shard in read_index(folder)["shards"]:  # one download per node, crash and all
        assert loopback_server.stats(f"ds/{shard['name']}").requests == 1, shard["name"]
