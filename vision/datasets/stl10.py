"""STL-10 from its binary version (``stl10_binary.tar.gz``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from triptych.datasets.base import sample_index

from ._base import VisionDataset

__all__ = ["STL10"]

_SIDE = 96
_PIXELS = 3 * _SIDE * _SIDE


class STL10(VisionDataset):
    """STL-10: 96x96 colour images, 10 classes; 5,000 train, 8,000 test, 100,000 unlabeled.

    The image files are memory-mapped: an image is read from disk when it is asked for.

    Args:
        root: the datasets root; the files are in ``root / "stl10"``.
        split: ``"train"``, ``"test"``, ``"unlabeled"`` or ``"train+unlabeled"``.
        folds: 0-9: only the training images of that predefined fold (``fold_indices.txt``,
            1,000 images); train splits only. None: all.
        transform, target_transform, transforms, download: as :class:`~triptych.vision.datasets.CIFAR10`.

    ``ds[i]`` is ``(Image (3, 96, 96) uint8, int)``; unlabeled images have label -1.

    Example (needs the network: a 2.6 GB archive)::

        train = STL10("data", split="train", folds=0, download=True)
    """

    name = "stl10"
    base_folder = "stl10_binary/stl10_binary"
    SPLITS = ("train", "test", "unlabeled", "train+unlabeled")

    def __init__(self, root: str | os.PathLike | None = None, *, split: str = "train",
                 folds: int | None = None, transform: Callable | None = None,
                 target_transform: Callable | None = None, transforms: Callable | None = None,
                 download: bool = False) -> None:
        if split not in self.SPLITS:
            raise ValueError(f"STL10: split must be one of {', '.join(self.SPLITS)}, "
                             f"got {split!r}")
        if folds is not None and (isinstance(folds, bool) or not isinstance(folds, int)
                                  or not 0 <= folds <= 9):
            raise ValueError(f"STL10: folds must be None or an int in [0, 9], got {folds!r}")
        if folds is not None and split not in ("train", "train+unlabeled"):
            raise ValueError(f"STL10: folds selects training images; split {split!r} has none")
        self.folds = folds
        super().__init__(root, split=split, transform=transform,
                         target_transform=target_transform, transforms=transforms,
                         download=download)
        folder = self.folder / self.base_folder
        self.classes = [c.strip() for c in (folder / "class_names.txt").read_text().splitlines()
                        if c.strip()]
        parts = []
        if split in ("train", "train+unlabeled", "test"):
            part = "test" if split == "test" else "train"
            images = self._images(folder / f"{part}_X.bin")
            labels = np.fromfile(folder / f"{part}_y.bin", dtype=np.uint8).astype(np.int64) - 1
            if len(labels) != len(images):
                raise ValueError(f"STL10: {part}_X.bin holds {len(images)} images and "
                                 f"{part}_y.bin {len(labels)} labels")
            if folds is not None:
                line = (folder / "fold_indices.txt").read_text().splitlines()[folds]
                index = np.array(line.split(), dtype=np.int64)
                images, labels = images[index], labels[index]
            parts.append((images, labels))
        if split in ("unlabeled", "train+unlabeled"):
            images = self._images(folder / "unlabeled_X.bin")
            parts.append((images, np.full(len(images), -1, dtype=np.int64)))
        self._parts = parts
        self.labels = torch.from_numpy(np.concatenate([p[1] for p in parts]))

    @staticmethod
    def _images(path: Path) -> np.ndarray:
        size = path.stat().st_size
        if size % _PIXELS:
            raise ValueError(f"{str(path)!r} is not an STL-10 image file: {size} bytes is not a "
                             f"multiple of {_PIXELS}")
        # each image: 3 planes, each stored column by column
        return np.memmap(path, dtype=np.uint8, mode="r", shape=(size // _PIXELS, 3, _SIDE, _SIDE))

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from triptych.vision.tensors import Image

        offset = sample_index(index, len(self), "STL10")
        for images, _ in self._parts:
            if offset < len(images):
                break
            offset -= len(images)
        pixels = np.ascontiguousarray(images[offset].transpose(0, 2, 1))
        return self.apply_transforms(Image(torch.from_numpy(pixels)), int(self.labels[index]))

    def extra_repr(self) -> str:
        return "" if self.folds is None else f"Fold: {self.folds}"
