"""How far the fused decode pipeline is from the exact chain, in uint8 levels (not a timing).

JPEG bytes -> DecodeImage -> RandomResizedCrop(224) -> RandomHorizontalFlip -> ToDtype(float32),
run three ways with identically seeded generators: the plain chain (``Compose(fuse=False)``),
the fused pipeline (reduced-scale decoding, the default) and the fused pipeline with
``DecodeImage(reduced_scale=False)``. Prints, for each fused variant against the chain, the mean
absolute difference over all output values, the largest difference, and how many samples have
a value more than 20 levels off. The figures quoted in docs/vision-transforms.md come from here.

    .venv/bin/python benchmarks/accuracy_reduced_scale.py [--images DIR] [--draws 10]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from triptych.vision import transforms as T

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "images"


def pipeline(seed: int, *, fuse: bool, reduced_scale: bool = True) -> T.Compose:
    return T.Compose([
        T.DecodeImage(reduced_scale=reduced_scale),
        T.RandomResizedCrop(224, generator=torch.Generator().manual_seed(seed)),
        T.RandomHorizontalFlip(generator=torch.Generator().manual_seed(seed + 1)),
        T.ToDtype(torch.float32, scale=True),
    ], fuse=fuse)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, default=DATA)
    parser.add_argument("--draws", type=int, default=10, help="random crops per image")
    args = parser.parse_args()
    files = sorted(args.images.glob("*.jpg"))
    if not files:
        raise SystemExit(f"no .jpg files in {args.images}")
    variants = {"reduced scale (default)": True, "reduced_scale=False": False}
    stats: dict[tuple[str, str], dict] = {}
    for index, path in enumerate(files):
        data = path.read_bytes()
        group = path.stem.rstrip("0123456789") + "*"  # img*: ImageNet-sized, large*: 2000x1500
        plain = pipeline(index, fuse=False)
        fused = {name: pipeline(index, fuse=True, reduced_scale=flag) for name, flag in variants.items()}
        for _ in range(args.draws):
            reference = plain(data)
            for name, transform in fused.items():
                diff = (transform(data) - reference).abs() * 255
                for key in ((group, name), ("all", name)):
                    entry = stats.setdefault(key, {"sum": 0.0, "count": 0, "max": 0.0, "over20": 0, "samples": 0})
                    entry["sum"] += float(diff.sum())
                    entry["count"] += diff.numel()
                    entry["samples"] += 1
                    entry["over20"] += int(float(diff.max()) > 20)
                    entry["max"] = max(entry["max"], float(diff.max()))
    print(f"{len(files)} images x {args.draws} crops; |fused - plain chain| in uint8 levels")
    for (group, name), entry in sorted(stats.items()):
        print(f"  {group:7s} {name:24s} mean {entry['sum'] / entry['count']:.2f}  max {entry['max']:5.1f}  "
              f"samples with a value > 20 levels off: {entry['over20']}/{entry['samples']}")

if __name__ == "__main__":
    main()
