"""SVHN (Street View House Numbers), the cropped-digits format (``*_32x32.mat``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from ._base import VisionDataset
from ._matlab import read_mat

__all__ = ["SVHN"]


class SVHN(VisionDataset):
    """SVHN cropped digits: 32x32 colour images of house-number digits, 10 classes.

    Read from the MATLAB ``.mat`` files with triptych's own v5/v7 reader (no scipy).

    Args:
        root: the datasets root; the files are in ``root / "svhn"``.
        split: ``"train"`` (73,257 images), ``"test"`` (26,032) or ``"extra"`` (531,131).
        transform, target_transform: applied to the image / the label.
        transforms: applied to ``(image, label)`` together; excludes the two above.
        download: fetch and verify ``<split>_32x32.mat`` first.

    ``ds[i]`` is ``(Image (3, 32, 32) uint8, int)``. The files label the digit 0 as 10; here,
    as in torchvision, it is 0. ``data`` is an ``(N, 3, 32, 32)`` uint8 array, ``labels``
    ``(N,)`` int64.

    Example (needs the network)::

        test = SVHN("data", split="test", download=True)
        image, label = test[0]
    """

    name = "svhn"
    classes = [str(d) for d in range(10)]

    def __init__(self, root: str | os.PathLike | None = None, *, split: str = "train",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 transforms: Callable | None = None, download: bool = False) -> None:
        super().__init__(root, split=split, transform=transform,
                         target_transform=target_transform, transforms=transforms,
                         download=download)
        path = self.folder / f"{split}_32x32.mat"
        arrays = read_mat(path, ("X", "y"))
        images, labels = arrays["X"], arrays["y"].reshape(-1)
        if images.ndim != 4 or images.shape[:3] != (32, 32, 3) or images.shape[3] != len(labels):
            raise ValueError(f"SVHN: {path.name} holds X of shape {images.shape} and "
                             f"{len(labels)} labels; expected (32, 32, 3, N) and N")
        self.data = np.transpose(images, (3, 2, 0, 1)).astype(np.uint8, copy=False)
        self.labels = torch.from_numpy(labels.astype(np.int64) % 10)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from triptych.vision.tensors import Image

        image = Image(torch.from_numpy(np.ascontiguousarray(self.data[index])))
        return self.apply_transforms(image, int(self.labels[index]))
