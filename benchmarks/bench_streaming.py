"""StreamingDataset throughput (samples/s) against a map-style dataset with DistributedSampler.

The data: 8192 samples (a 3x64x64 uint8 image as .npy and an int label) in tar shards of 256,
written by ShardWriter. Ours: ``StreamingDataset`` over an http URL whose shards are already in
the cache (cache hit: ``TRIPTYCH_OFFLINE=1`` during the timing, so no request is possible),
batch 64 per rank, ``StreamingDataLoader`` with 2 workers. Anchor: the same shards as a
map-style dataset (random access into the tar files, the same decoding), ``DistributedSampler``
and a DataLoader with batch 64 and 2 workers. Both shuffle.

Each rank is its own process (1 rank, then 2 ranks at once, as under torchrun; no process
group is needed to read). Ranks build their loader, wait at a file barrier, then run 2 epochs;
throughput per epoch = samples of all ranks / (last rank's end - first rank's start). Ours and
the anchor alternate, 3 rounds each; the best epoch of each counts. Run it on a quiet machine: ``.venv/bin/python benchmarks/bench_streaming.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLES, PER_SHARD, BATCH, WORKERS, EPOCHS, ROUNDS = 8192, 256, 64, 2, 2, 3


def make_data(folder: Path) -> None:
    import torch

    from triptych.datasets import ShardWriter

    g = torch.Generator().manual_seed(0)
    with ShardWriter(folder, samples_per_shard=PER_SHARD) as writer:
        for i in range(SAMPLES):
            writer.write({"image": torch.randint(0, 256, (3, 64, 64), generator=g,
                                                 dtype=torch.uint8), "label": i % 10})


class MapShards:
    """The shards as a map-style dataset: sample i by random access (ShardReader)."""

    def __init__(self, folder: Path):
        import numpy as np

        from triptych.datasets import read_index

        self.folder = folder
        self.index = read_index(folder)
        self.starts = np.cumsum([0] + [s["num_samples"] for s in self.index["shards"]])
        self.readers = {}

    def __len__(self) -> int:
        return int(self.starts[-1])

    def __getitem__(self, i: int) -> dict:
        import numpy as np

        from triptych.datasets.shards import ShardReader

        shard = int(np.searchsorted(self.starts, i, side="right")) - 1
        if shard not in self.readers:
            info = self.index["shards"][shard]
            self.readers[shard] = ShardReader(self.folder / info["name"], self.index["fields"],
                                              info["num_samples"])
        return self.readers[shard][i - int(self.starts[shard])]


def rank_process(kind: str, rank: int, world: int, source: str, cache: str, go: str) -> None:
    """One rank: build the loader, say it is ready, wait for ``go``, time EPOCHS epochs,
    print JSON."""
    import torch
    from torch.utils.data import DataLoader, DistributedSampler

    from triptych.datasets import StreamingDataLoader, StreamingDataset

    torch.set_num_threads(1)
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world))
    if kind == "streaming":
        loader = StreamingDataLoader(StreamingDataset(source, batch_size=BATCH, cache_dir=cache),
                                     num_workers=WORKERS)
    else:
        dataset = MapShards(Path(source))
        sampler = DistributedSampler(dataset, num_replicas=world, rank=rank, seed=0)
        loader = DataLoader(dataset, batch_size=BATCH, sampler=sampler, num_workers=WORKERS)
    Path(f"{go}.ready{rank}").touch()
    while not os.path.exists(go):
        time.sleep(0.01)
    epochs = []
    for epoch in range(EPOCHS):
        if kind == "streaming":
            loader.set_epoch(epoch)
        else:
            loader.sampler.set_epoch(epoch)
        start, count = time.time(), 0
        for batch in loader:
            count += len(batch["label"])
        epochs.append((start, time.time(), count))
    print(json.dumps(epochs), flush=True)


def run(kind: str, world: int, source: str, cache: str, tmp: Path) -> float:
    go = tmp / f"go-{kind}-{world}-{time.monotonic_ns()}"
    env = {**os.environ, "TRIPTYCH_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    procs = [subprocess.Popen([sys.executable, __file__, "--rank", kind, str(r), str(world),
                               source, cache, str(go)], stdout=subprocess.PIPE, text=True, env=env)
             for r in range(world)]
    while not all(Path(f"{go}.ready{r}").exists() for r in range(world)):
        if any(p.poll() is not None for p in procs):
            break
        time.sleep(0.01)
    go.touch()  # every rank has imported and built its loader: the clock starts now
    results = [json.loads(p.communicate()[0]) for p in procs]
    if any(p.returncode for p in procs):
        raise RuntimeError(f"a {kind} rank failed")
    best = 0.0
    for e in range(EPOCHS):
        start = min(r[e][0] for r in results)
        end = max(r[e][1] for r in results)
        best = max(best, sum(r[e][2] for r in results) / (end - start))
    return best


def main() -> None:
    sys.path.insert(0, str(HERE.parent / "tests"))
    from loopback import LoopbackServer

    from triptych.datasets import StreamingDataset

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        make_data(tmp / "shards")
        cache = str(tmp / "cache")
        with LoopbackServer(tmp / "shards", lifetime=600) as server:
            url = f"{server.base_url}/"
            for _ in StreamingDataset(url, cache_dir=cache, batch_size=BATCH):
                pass  # fills the cache
        rows = []
        for world in (1, 2):
            ours = anchor = 0.0
            for _ in range(ROUNDS):  # alternating, best of each
                ours = max(ours, run("streaming", world, url, cache, tmp))
                anchor = max(anchor, run("map", world, str(tmp / "shards"), cache, tmp))
            rows.append((world, ours, anchor))
    print(f"StreamingDataset vs map-style + DistributedSampler, {SAMPLES} samples 3x64x64 uint8, "
          f"batch {BATCH}/rank, {WORKERS} workers/rank, best epoch of {ROUNDS} x {EPOCHS}, "
          f"{os.cpu_count()} CPUs")
    print("| ranks | StreamingDataset (cache hit) | map-style + DistributedSampler | ratio |")
    print("|---|---|---|---|")
    for world, ours, anchor in rows:
        print(f"| {world} | {ours:,.0f} samples/s | {anchor:,.0f} samples/s | {ours / anchor:.2f}x |")
    one, two = rows[0][1], rows[1][1]
    print(f"StreamingDataset 2 ranks / 1 rank: {two / one:.2f}x")
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "streaming.json").write_text(json.dumps(
        {"rows": [{"ranks": w, "ours": o, "anchor": a} for w, o, a in rows],
         "scaling_2_over_1": two / one, "cpus": os.cpu_count()}, indent=1))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--rank":
        rank_process(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), *sys.argv[5:8])
    else:
        main()
