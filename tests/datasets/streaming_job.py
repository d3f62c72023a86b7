"""A training-loop stand-in run by tests/datasets/test_streaming_torchrun.py under torchrun.

Each step all-gathers the sample indices (and padding flags) of every rank; rank 0 then saves a
checkpoint with the data state and everything seen so far (the "model"). With ``--crash-at K``
the last rank dies at step K on the first attempt, before that step is saved; torchrun restarts
the job, which resumes from the checkpoint. ``--stop-after S`` ends the run after global step S.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import timedelta

import torch.distributed as dist

from triptych.datasets import StreamingDataLoader, StreamingDataset
from triptych.paths import write_atomic


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", required=True)
    parser.add_argument("--cache", required=True)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--crash-at", type=int, default=-1)
    parser.add_argument("--stop-after", type=int, default=-1)
    args = parser.parse_args()

    # Keys of the process group under a per-attempt prefix: after a restart, the store can
    # still hold the previous attempt's addresses, and gloo would connect to dead ranks.
    store, rank, world = next(dist.rendezvous("env://"))
    attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")
    dist.init_process_group("gloo", store=dist.PrefixStore(f"attempt-{attempt}", store),
                            rank=rank, world_size=world, timeout=timedelta(seconds=60))
    rank, world = dist.get_rank(), dist.get_world_size()
    dataset = StreamingDataset(args.source, seed=args.seed, batch_size=args.batch_size,
                               cache_dir=args.cache)
    loader = StreamingDataLoader(dataset, num_workers=args.workers)
    seen: list = []
    if os.path.exists(args.checkpoint):
        with open(args.checkpoint) as f:
            checkpoint = json.load(f)
        loader.load_state_dict(checkpoint["data"])
        seen = checkpoint["seen"]
    first_attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0") == "0"
    for batch in loader:
        step = len(seen)
        if step == args.crash_at and first_attempt and rank == world - 1:
            open(f"{args.checkpoint}.crashed", "w").close()
            os._exit(17)  # a crash: no clean-up; the other rank waits in all_gather
        gathered = [None] * world
        dist.all_gather_object(gathered, [batch["__index__"].tolist(),
                                          batch["__pad__"].tolist()])
        seen.append(gathered)
        if rank == 0:
            state = {"data": loader.state_dict(), "seen": seen}
            write_atomic(args.checkpoint, json.dumps(state).encode())
        dist.barrier()
        if len(seen) == args.stop_after:
            break
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
