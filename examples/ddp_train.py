"""Train a small CNN with DDP on streamed tar shards, checkpoint model + data state, resume.

    torchrun --standalone --nproc_per_node=2 examples/ddp_train.py
    torchrun --standalone --nproc_per_node=2 --max-restarts=1 examples/ddp_train.py --crash-at 5
    torchrun --standalone --nproc_per_node=1 examples/ddp_train.py --batch-size 32  # resumes

CPU only (gloo). Rank 0 generates the data first if ``--data`` has no ``index.json``: images of
filled squares (label 0) and discs (label 1), 3x32x32 uint8, written with ``ShardWriter``. Each
step saves ``--checkpoint`` (model, optimizer, epoch, data position) atomically; a run that
finds one continues at the next step — also with another number of ranks, as long as
``--batch-size`` x ranks (the global batch) stays the same.
"""

from __future__ import annotations

import argparse
import io
import os
from datetime import timedelta
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn

from triptych.datasets import ShardWriter, StreamingDataLoader, StreamingDataset
from triptych.paths import write_atomic


def make_shapes(folder: Path, count: int, seed: int = 0) -> None:
    """``count`` 3x32x32 images: a filled square (0) or disc (1) of random size, place, colour."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.arange(32), torch.arange(32), indexing="ij")
    with ShardWriter(folder, samples_per_shard=128) as writer:
        for i in range(count):
            label = i % 2
            radius = int(torch.randint(5, 11, (), generator=g))
            cy, cx = (int(v) for v in torch.randint(radius, 32 - radius, (2,), generator=g))
            if label == 0:
                mask = ((yy - cy).abs() <= radius) & ((xx - cx).abs() <= radius)
            else:
                mask = (yy - cy) ** 2 + (xx - cx) ** 2 <= radius ** 2
            colour = torch.randint(80, 256, (3, 1, 1), generator=g, dtype=torch.uint8)
            image = torch.randint(0, 60, (3, 32, 32), generator=g, dtype=torch.uint8)
            image = torch.where(mask, colour, image)
            writer.write({"image": image, "label": label})


def small_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 8 * 8, 2))


def init_distributed() -> tuple[int, int]:
    # The group's keys under a per-attempt prefix: after a torchrun restart the store may still
    # hold the previous attempt's addresses (seen with torch 2.13 and gloo).
    store, rank, world = next(dist.rendezvous("env://"))
    attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")
    dist.init_process_group("gloo", store=dist.PrefixStore(f"attempt-{attempt}", store),
                            rank=rank, world_size=world, timeout=timedelta(minutes=5))
    return rank, world


def save(path: Path, state: dict) -> None:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    write_atomic(path, buffer.getvalue())  # a crash mid-save keeps the previous checkpoint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("ddp_data"), help="shard folder")
    parser.add_argument("--checkpoint", type=Path, default=Path("ddp_checkpoint.pt"))
    parser.add_argument("--samples", type=int, default=1024)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=16, help="per rank")
    parser.add_argument("--workers", type=int, default=1, help="DataLoader workers per rank")
    parser.add_argument("--crash-at", type=int, default=-1,
                        help="die at this global step on the first attempt (to try resuming)")
    args = parser.parse_args()

    torch.set_num_threads(1)
    rank, world = init_distributed()
    if rank == 0 and not (args.data / "index.json").exists():
        make_shapes(args.data, args.samples)
    dist.barrier()  # the other ranks wait for the shards

    torch.manual_seed(0)  # the same initial weights on every rank
    model = nn.parallel.DistributedDataParallel(small_cnn())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    dataset = StreamingDataset(args.data, seed=0, batch_size=args.batch_size)
    loader = StreamingDataLoader(dataset, num_workers=args.workers)
    start_epoch, step = 0, 0
    if args.checkpoint.exists():
        checkpoint = torch.load(args.checkpoint, weights_only=True)
        model.module.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        loader.load_state_dict(checkpoint["data"])  # refuses a changed global batch
        start_epoch, step = checkpoint["epoch"], checkpoint["step"]
        if rank == 0:
            print(f"resumed at epoch {start_epoch}, step {step}, sample "
                  f"{checkpoint['data']['position']} of the epoch, on {world} rank(s)")
    first_attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0") == "0"

    for epoch in range(start_epoch, args.epochs):
        loader.set_epoch(epoch)  # keeps the loaded position when it is this epoch's
        correct = seen = 0
        for batch in loader:
            if step == args.crash_at and first_attempt and rank == world - 1:
                os._exit(1)  # a simulated crash: torchrun --max-restarts=1 restarts the job
            images = batch["image"].float().div_(255)
            weight = (~batch["__pad__"]).float()  # padding repeats count for nothing
            logits = model(images)
            losses = nn.functional.cross_entropy(logits, batch["label"], reduction="none")
            loss = (losses * weight).sum() / weight.sum().clamp(min=1)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            correct += int(((logits.argmax(1) == batch["label"]).float() * weight).sum())
            seen += int(weight.sum())
            if rank == 0:
                save(args.checkpoint, {"model": model.module.state_dict(),
                                       "optimizer": optimizer.state_dict(),
                                       "data": loader.state_dict(), "epoch": epoch,
                                       "step": step})
        totals = torch.tensor([correct, seen])
        dist.all_reduce(totals)
        if rank == 0:
            print(f"epoch {epoch}: step {step}, train accuracy "
                  f"{int(totals[0])}/{int(totals[1])} (this run's part of the epoch)")
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
