"""Train the small CNN on images, evaluate it, save a checkpoint and reload it.

SyntheticShapes (5 shapes, made on the fly, nothing downloaded) by default; ``--dataset cifar10
--download`` for CIFAR-10. The training pipeline is the fused one
(``RandomResizedCrop + RandomHorizontalFlip + ToDtype + Normalize`` run as one compiled pass),
the DataLoader has 2 workers, the checkpoint is written by ``triptych.models.save_state_dict_file``
(safetensors when installed, else ``torch.save`` of the state_dict) and loaded back with
``triptych.models.get_model("small_cnn", weights=path)``.

    python examples/train_vision.py                      # ~1 minute on 2 CPU cores
    python examples/train_vision.py --dataset cifar10 --download --epochs 10 --device cuda

Prints the data-pipeline and training throughput (images/s), the held-out accuracy and whether
the reloaded checkpoint predicts exactly as the trained model. ``run(argv) -> dict`` returns the
same as data (the main-job contract that ``examples/main_job.py`` consumes).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from triptych.device import seed_all, worker_init_fn
from triptych.models import get_model, save_state_dict_file
from triptych.vision import transforms as T
from triptych.vision.datasets import CIFAR10, SyntheticShapes

MEANS = {"synthetic": (0.5, 0.5, 0.5), "cifar10": (0.4914, 0.4822, 0.4465)}
STDS = {"synthetic": (0.25, 0.25, 0.25), "cifar10": (0.2470, 0.2435, 0.2616)}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=("synthetic", "cifar10"), default="synthetic")
    parser.add_argument("--download", action="store_true", help="fetch the dataset if missing")
    parser.add_argument("--root", default=None,
                        help="datasets root (default: $TRIPTYCH_HOME/datasets)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, mps, ...")
    parser.add_argument("--num-samples", type=int, default=3000,
                        help="synthetic training images (the held-out split has a quarter)")
    parser.add_argument("--image-size", type=int, default=32, help="synthetic image side")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/train_vision", help="checkpoint folder")
    args = parser.parse_args(argv)
    for name in ("epochs", "num_samples", "batch_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    if args.workers < 0:
        parser.error("--workers must be >= 0")
    if args.image_size < 16:
        parser.error("--image-size must be >= 16")
    return args


def pipelines(args: argparse.Namespace, size: int):
    """The training (augmenting, fused) and evaluation transforms."""
    mean, std = list(MEANS[args.dataset]), list(STDS[args.dataset])
    train = T.Compose([
        T.RandomResizedCrop(size, scale=(0.7, 1.0), ratio=(0.85, 1.18), antialias=True),
        T.RandomHorizontalFlip(),
        T.ToDtype(torch.float32, scale=True),
        T.Normalize(mean, std),
    ])
    evaluate = T.Compose([T.ToDtype(torch.float32, scale=True), T.Normalize(mean, std)])
    return train, evaluate


def build_datasets(args: argparse.Namespace):
    """``(train, test, classes, image_size)``; the test split is held out (other seed / files)."""
    if args.dataset == "cifar10":
        from triptych import paths

        root = args.root or paths.datasets_dir()
        train_tf, test_tf = pipelines(args, 32)
        train = CIFAR10(root, train=True, transform=train_tf, download=args.download)
        test = CIFAR10(root, train=False, transform=test_tf, download=args.download)
        return train, test, train.classes, 32
    size = args.image_size
    train_tf, test_tf = pipelines(args, size)
    train = SyntheticShapes(args.num_samples, size, seed=args.seed, transform=train_tf)
    test = SyntheticShapes(max(args.num_samples // 4, 1), size, seed=args.seed + 1,
                           transform=test_tf)
    return train, test, train.classes, size


def loader(dataset, args: argparse.Namespace, *, shuffle: bool) -> DataLoader:
    return DataLoader(dataset, batch_size=args.batch_size, shuffle=shuffle,
                      num_workers=args.workers, worker_init_fn=worker_init_fn(args.seed),
                      generator=torch.Generator().manual_seed(args.seed),
                      persistent_workers=args.workers > 0)


@torch.no_grad()
def predict(model: torch.nn.Module, batches, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """``(predicted classes, true labels)`` over ``batches``, on the CPU."""
    model.eval()
    predictions, labels = [], []
    for images, targets in batches:
        predictions.append(model(images.to(device)).argmax(1).cpu())
        labels.append(torch.as_tensor(targets))
    return torch.cat(predictions), torch.cat(labels)


def progress(iterable, **kwargs):
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, file=sys.stdout, mininterval=1.0, **kwargs)


def augmented_preview(args: argparse.Namespace, count: int = 16) -> torch.Tensor:
    """``(count, 3, S, S)`` uint8: training images after the random crop and flip (before
    ToDtype/Normalize), for the report's picture grid."""
    size = args.image_size if args.dataset == "synthetic" else 32
    augment = T.Compose([
        T.RandomResizedCrop(size, scale=(0.7, 1.0), ratio=(0.85, 1.18), antialias=True),
        T.RandomHorizontalFlip(),
    ])
    raw = SyntheticShapes(count, size, seed=args.seed + 2)
    return torch.stack([torch.as_tensor(augment(raw[i][0])) for i in range(count)]).to(torch.uint8)


def pipeline_throughput(train_loader: DataLoader, max_batches: int = 30) -> float:
    """Images/s of the training data pipeline alone (dataset + augmentation + workers, no model),
    over up to ``max_batches`` batches after the first (which pays the workers' start-up)."""
    seen, start = 0, None
    for i, (images, _) in enumerate(train_loader):
        if i == 0:
            start = time.perf_counter()
            continue
        seen += images.shape[0]
        if i >= max_batches:
            break
    elapsed = time.perf_counter() - start if start is not None else 0.0
    return seen / elapsed if seen and elapsed > 0 else float("nan")


def run(argv: list[str] | None = None) -> dict:
    """Train, evaluate, save and reload; the main-job contract (docs/deployment.md):
    ``{"domain", "model", "model_name", "model_kwargs", "checkpoint", "accuracy", "evaluate",
    "example_inputs", "pipeline_samples_per_s", "train_samples_per_s", "history", "wall_s",
    "preview", "reloaded_identical"}``."""
    wall_start = time.perf_counter()
    args = parse_args(argv)
    seed_all(args.seed)
    device = torch.device(args.device)
    train_set, test_set, classes, _ = build_datasets(args)
    train_loader = loader(train_set, args, shuffle=True)
    test_batches = list(loader(test_set, args, shuffle=False))  # decoded once, reused
    print(f"{args.dataset}: {len(train_set)} training / {len(test_set)} held-out images, "
          f"{len(classes)} classes; device {device}")
    pipeline_rate = pipeline_throughput(train_loader)

    model_kwargs = {"num_classes": len(classes)}
    model = get_model("small_cnn", **model_kwargs).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=args.lr, total_steps=args.epochs * len(train_loader), pct_start=0.25)
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.05)

    def evaluate(candidate: torch.nn.Module, on: str | torch.device = "cpu") -> float:
        predicted, labels = predict(candidate, test_batches, torch.device(on))
        return (predicted == labels).float().mean().item()

    seen, train_time, history = 0, 0.0, []
    for epoch in range(1, args.epochs + 1):
        model.train()
        start = time.perf_counter()
        losses = []
        bar = progress(train_loader, desc=f"epoch {epoch}/{args.epochs}", unit="batch")
        for images, targets in bar:
            images, targets = images.to(device), torch.as_tensor(targets).to(device)
            loss = loss_fn(model(images), targets)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            seen += images.shape[0]
            losses.append(loss.item())
            if hasattr(bar, "set_postfix"):
                bar.set_postfix(loss=f"{losses[-1]:.3f}", refresh=False)
        train_time += time.perf_counter() - start
        history.append({"epoch": epoch, "loss": sum(losses) / len(losses),
                        "accuracy": evaluate(model, device)})

    predicted, labels = predict(model, test_batches, device)
    accuracy = (predicted == labels).float().mean().item()
    path = save_state_dict_file(model, Path(args.out) / "small_cnn")
    reloaded = get_model("small_cnn", weights=path, **model_kwargs).eval()
    again, _ = predict(reloaded, test_batches, torch.device("cpu"))
    return {
        "domain": "vision",
        "model": reloaded,
        "model_name": "small_cnn",
        "model_kwargs": model_kwargs,
        "checkpoint": path,
        "accuracy": accuracy,
        "chance": 1 / len(classes),
        "evaluate": evaluate,
        "example_inputs": (test_batches[0][0][:8].contiguous(),),
        "pipeline_samples_per_s": pipeline_rate,
        "train_samples_per_s": seen / train_time,
        "history": history,
        "wall_s": time.perf_counter() - wall_start,
        "preview": augmented_preview(args),
        "reloaded_identical": bool(torch.equal(predicted, again)),
    }


def main(argv: list[str] | None = None) -> int:
    result = run(argv)
    seen_rate = result["train_samples_per_s"]
    print(f"data pipeline throughput: {result['pipeline_samples_per_s']:.0f} img/s")
    print(f"train throughput: {seen_rate:.0f} img/s (data loading included)")
    print(f"held-out accuracy: {result['accuracy']:.4f} (chance {result['chance']:.4f})")
    print(f"checkpoint: {result['checkpoint']}")
    print(f"reloaded checkpoint predictions identical: {result['reloaded_identical']}")
    return 0 if result["reloaded_identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
