"""CIFAR-10 and CIFAR-100 from their binary versions (fixed-size records; no pickle)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from ._base import VisionDataset

__all__ = ["CIFAR10", "CIFAR100"]

_PIXELS = 3 * 32 * 32


def _read_records(paths: list[Path], labels: int) -> tuple[np.ndarray, np.ndarray]:
    """Records of ``labels`` label bytes then 3072 pixel bytes (R, G, B planes, row-major)."""
    size = labels + _PIXELS
    arrays = []
    for path in paths:
        raw = np.fromfile(path, dtype=np.uint8)
        if raw.size % size:
            raise ValueError(f"{str(path)!r} is not a CIFAR binary file: {raw.size} bytes is not "
                             f"a multiple of the {size}-byte record")
        arrays.append(raw.reshape(-1, size))
    records = np.concatenate(arrays) if len(arrays) > 1 else arrays[0]
    return records[:, labels:].reshape(-1, 3, 32, 32), records[:, :labels]


def _names(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


class _CIFAR(VisionDataset):
    """Shared reading; a subclass names its folder, files and label bytes."""

    base_folder: ClassVar[str]
    train_files: ClassVar[list[str]]
    test_files: ClassVar[list[str]]
    label_bytes: ClassVar[int]
    names_file: ClassVar[str]

    def __init__(self, root: str | os.PathLike | None = None, *, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 transforms: Callable | None = None, download: bool = False) -> None:
        self.train = bool(train)
        super().__init__(root, transform=transform, target_transform=target_transform,
                         transforms=transforms, download=download)
        folder = self.folder / self.base_folder
        names = self.train_files if self.train else self.test_files
        missing = [n for n in [*names, self.names_file] if not (folder / n).is_file()]
        if missing:
            raise RuntimeError(f"{type(self).__name__}: {', '.join(missing)} not found in "
                               f"{folder}; pass download=True to fetch and extract the archive")
        images, labels = _read_records([folder / n for n in names], self.label_bytes)
        self.data = torch.from_numpy(images)
        self._labels = torch.from_numpy(labels.astype(np.int64))
        self.targets = self._labels[:, -1]
        self.classes = _names(folder / self.names_file)

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.classes)}

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from triptych.vision.tensors import Image

        return self.apply_transforms(Image(self.data[index].clone()), int(self.targets[index]))

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"


class CIFAR10(_CIFAR):
    """CIFAR-10: 50,000 train / 10,000 test 32x32 colour images in 10 classes.

    Args:
        root: the datasets root; the files are in ``root / "cifar10"``.
        train: the training set (the five ``data_batch_*.bin``), else ``test_batch.bin``.
        transform, target_transform: applied to the image / the label.
        transforms: applied to ``(image, label)`` together; excludes the two above.
        download: fetch, verify and extract ``cifar-10-binary.tar.gz`` first.

    ``ds[i]`` is ``(Image (3, 32, 32) uint8, int)``. ``data`` is ``(N, 3, 32, 32)`` uint8 (the
    files' own planar order; torchvision's is ``(N, 32, 32, 3)``), ``targets`` ``(N,)`` int64,
    ``classes`` read from ``batches.meta.txt``.

    Example (needs the network)::

        test = CIFAR10("data", train=False, download=True)
        image, label = test[0]        # Image (3, 32, 32) uint8, 3 ('cat')
    """

    name = "cifar10"
    base_folder = "cifar-10-binary/cifar-10-batches-bin"
    train_files = [f"data_batch_{i}.bin" for i in range(1, 6)]
    test_files = ["test_batch.bin"]
    label_bytes = 1
    names_file = "batches.meta.txt"


class CIFAR100(_CIFAR):
    """CIFAR-100: 50,000 train / 10,000 test 32x32 colour images, 100 fine classes in 20
    coarse ones. As :class:`CIFAR10`; the target is the fine label (as torchvision), and
    ``coarse_targets`` / ``coarse_classes`` hold the coarse ones."""

    name = "cifar100"
    base_folder = "cifar-100-binary/cifar-100-binary"
    train_files = ["train.bin"]
    test_files = ["test.bin"]
    label_bytes = 2  # coarse, fine
    names_file = "fine_label_names.txt"

    def __init__(self, root: str | os.PathLike | None = None, *, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 transforms: Callable | None = None, download: bool = False) -> None:
        super().__init__(root, train=train, transform=transform,
                         target_transform=target_transform, transforms=transforms,
                         download=download)
        self.coarse_targets = self._labels[:, 0]
        self.coarse_classes = _names(self.folder / self.base_folder / "coarse_label_names.txt")
