"""The training pipeline on real JPEGs, one thread: bytes -> decode -> RandomResizedCrop(224)
-> RandomHorizontalFlip -> ToDtype(float32, scale=True) -> Normalize.

Ours: ``Compose([DecodeImage(), RandomResizedCrop(224), RandomHorizontalFlip(), ToDtype(...),
Normalize(...)])`` — Compose picks the reduced-scale decode and the fused kernel by itself.
Anchors (in /work/anchor): torchvision 0.24 v2 (decode_jpeg + the same v2 transforms on
tensors) and albumentations (OpenCV decode + the same ops). Images: ../shared/data/images.

Every timed call runs the images PASSES times, pass k after reseeding torch's global generator
with k, and ours and torchvision draw their crops and flips from it in the same order (same
numbers: ``draw_region`` follows torchvision's draws), so both sides crop and flip alike and
every call is the same work. Several passes make the crop sizes of one call many more than the
kernel's per-thread cache of filter tables holds, so it hits about as rarely as on fresh random
crops. albumentations draws from its own generator, reseeded the same way (its crops differ
from ours, but each of its calls is the same work).
"""

from __future__ import annotations

import sys
from pathlib import Path

from common import main

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "images"
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
SETS = {"img*.jpg": "img*.jpg", "large*.jpg": "large*.jpg"}
PASSES = 4


def _files(pattern: str) -> list[bytes]:
    return [p.read_bytes() for p in sorted(DATA.glob(pattern))]


def _ours(pattern: str, fused: bool = True):
    def make():
        import torch

        from triptych.vision import transforms as T

        data = _files(pattern)
        pipeline = T.Compose(
            [
                T.DecodeImage(),
                T.RandomResizedCrop(224),
                T.RandomHorizontalFlip(),
                T.ToDtype(torch.float32, scale=True),
                T.Normalize(MEAN, STD),
            ],
            fuse=fused,
        )

        def run():
            out = []
            for k in range(PASSES):
                torch.default_generator.manual_seed(k)  # torch.manual_seed also seeds GPU back-ends: slow
                out += [pipeline(b) for b in data]
            return out

        return run

    return make


def _torchvision(pattern: str):
    def make():
        import torch
        from torchvision.io import decode_jpeg
        from torchvision.transforms import v2

        data = [torch.frombuffer(bytearray(b), dtype=torch.uint8) for b in _files(pattern)]
        pipeline = v2.Compose(
            [
                v2.RandomResizedCrop(224, antialias=True),
                v2.RandomHorizontalFlip(),
                v2.ToDtype(torch.float32, scale=True),
                v2.Normalize(MEAN, STD),
            ]
        )

        def run():
            out = []
            for k in range(PASSES):
                torch.default_generator.manual_seed(k)
                out += [pipeline(decode_jpeg(b)) for b in data]
            return out

        return run

    return make


def _albumentations(pattern: str):
    def make():
        import albumentations as A
        import cv2
        import numpy as np
        import torch

        cv2.setNumThreads(1)
        data = [np.frombuffer(b, dtype=np.uint8) for b in _files(pattern)]
        pipeline = A.Compose([A.RandomResizedCrop(size=(224, 224)), A.HorizontalFlip(), A.Normalize(mean=MEAN, std=STD)])

        def one(encoded):
            rgb = cv2.cvtColor(cv2.imdecode(encoded, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
            return torch.from_numpy(pipeline(image=rgb)["image"]).permute(2, 0, 1)

        def run():
            out = []
            for k in range(PASSES):
                pipeline.set_random_seed(k)
                out += [one(b) for b in data]
            return out

        return run

    return make


def _versions():
    import albumentations
    import torch
    import torchvision

    return {"torch": torch.__version__, "torchvision": torchvision.__version__, "albumentations": albumentations.__version__}


if __name__ == "__main__":
    if not DATA.exists():
        print(f"skipped: {DATA} not found")
        sys.exit(0)
    counts = {name: len(list(DATA.glob(pattern))) for name, pattern in SETS.items()}
    ours, anchors, units = {}, {}, {}
    for name, pattern in SETS.items():
        for suffix, anchor in (("vs torchvision v2", _torchvision), ("vs albumentations", _albumentations)):
            case = f"{name} {suffix}"
            ours[case] = _ours(pattern)
            anchors[case] = anchor(pattern)
            units[case] = ("img/s", counts[name] * PASSES)
    main("vision train pipeline, JPEG bytes -> normalized 224x224 float (1 thread)", __file__, ours, anchors,
         _versions, units=units)
