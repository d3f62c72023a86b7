"""The training input pipeline the way people run it: a DataLoader with 2 worker processes over a
folder of JPEGs, batches of 32, img/s (higher is better).

Each sample: read the file -> decode -> RandomResizedCrop(224) -> RandomHorizontalFlip ->
ToDtype(float32, scale=True) -> Normalize; the loader stacks batches. Ours: ``Compose([DecodeImage(),
...])`` on the file's bytes (fused: crop-aware libjpeg-turbo decode + one kernel pass). Anchor
(in /work/anchor): torchvision v2, ``read_file`` + ``decode_jpeg`` + the same v2 transforms.
Each epoch reseeds torch's generator, from which the loader seeds its workers; ours and
torchvision draw crops and flips alike from a seed, so both sides do the same work.
The loader's defaults otherwise: workers are forked for each epoch (that start-up is timed, on both
sides) and use one intra-op thread each; the "persistent workers" rows keep them across epochs
(``persistent_workers=True``), which leaves the per-sample work and the batches' transfer.
Images: ``../shared/data/images`` (img*.jpg and large*.jpg together, each set repeated so an
epoch has 256 samples).
"""

from __future__ import annotations

import sys
from pathlib import Path

from common import main

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "images"
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
SAMPLES = 256
WORKERS = 2


def _paths(pattern: str) -> list[str]:
    files = sorted(str(p) for p in DATA.glob(pattern))
    return (files * (SAMPLES // len(files) + 1))[:SAMPLES]


def _one_thread(_worker_id: int) -> None:
    import torch

    torch.set_num_threads(1)


class OurFiles:
    def __init__(self, paths: list[str]):
        import torch

        from triptych.vision import transforms as T

        self.paths = paths
        self.transform = T.Compose([
            T.DecodeImage(), T.RandomResizedCrop(224), T.RandomHorizontalFlip(),
            T.ToDtype(torch.float32, scale=True), T.Normalize(MEAN, STD),
        ])

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int):
        with open(self.paths[index], "rb") as file:
            return self.transform(file.read())


class TorchvisionFiles:
    def __init__(self, paths: list[str]):
        import torch
        from torchvision.transforms import v2

        self.paths = paths
        self.transform = v2.Compose([
            v2.RandomResizedCrop(224, antialias=True), v2.RandomHorizontalFlip(),
            v2.ToDtype(torch.float32, scale=True), v2.Normalize(MEAN, STD),
        ])

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int):
        from torchvision.io import decode_jpeg, read_file

        return self.transform(decode_jpeg(read_file(self.paths[index])))


def _loader(dataset_class, pattern: str, persistent: bool = False):
    def make():
        import torch
        from torch.utils.data import DataLoader

        loader = DataLoader(dataset_class(_paths(pattern)), batch_size=32, num_workers=WORKERS,
                            worker_init_fn=_one_thread, persistent_workers=persistent)

        def epoch():
            # The workers' seeds come from this generator: both sides crop and flip alike.
            torch.manual_seed(0)
            for _ in loader:
                pass

        return epoch

    return make


SETS = {"img*.jpg": "img*.jpg", "large*.jpg": "large*.jpg"}


def _versions():
    import torch
    import torchvision

    return {"torch": torch.__version__, "torchvision": torchvision.__version__}


if __name__ == "__main__":
    if not DATA.exists():
        print(f"skipped: {DATA} not found")
        sys.exit(0)
    ours, anchors = {}, {}
    for persistent in (False, True):
        for name, pattern in SETS.items():
            kind = "persistent workers" if persistent else "workers"
            case = f"{name}, {WORKERS} {kind} vs torchvision v2"
            ours[case] = _loader(OurFiles, pattern, persistent)
            anchors[case] = _loader(TorchvisionFiles, pattern, persistent)
    main(f"DataLoader, {WORKERS} workers, JPEG files -> normalized 224x224 float batches of 32", __file__,
         ours, anchors, _versions, units=dict.fromkeys(ours, ("img/s", SAMPLES)), min_time=1.0)
