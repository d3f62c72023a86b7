"""Fine-grained classification: Oxford-IIIT Pet, Oxford 102 Flowers, Food-101."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._base import VisionDataset
from ._matlab import read_mat

__all__ = ["OxfordIIITPet", "Flowers102", "Food101"]


class OxfordIIITPet(VisionDataset):
    """Oxford-IIIT Pet: 7,349 images of 37 cat and dog breeds, with trimap segmentations.

    Args:
        root: the datasets root; the files are in ``root / "oxford_iiit_pet"``.
        split: ``"trainval"`` (3,680 images) or ``"test"`` (3,669).
        target_types: one of, or a list of, ``"category"`` (breed, 0-36), ``"binary-category"``
            (0 cat, 1 dog) and ``"segmentation"`` (the trimap as a ``Mask (H, W)`` uint8:
            1 pet, 2 background, 3 border). A list gives a tuple of targets.
        transform, target_transform, transforms, download: as
            :class:`~triptych.vision.datasets.VOCDetection`.

    ``ds[i]`` is ``(Image (3, H, W) uint8, target)``; ``classes`` are the breed names
    ("Abyssinian", "American Bulldog", ...), from the image names.

    Example (needs the network)::

        ds = OxfordIIITPet("data", split="test", target_types=["category", "segmentation"],
                           download=True)
        image, (breed, trimap) = ds[0]
    """

    name = "oxford_iiit_pet"
    TARGET_TYPES = ("category", "binary-category", "segmentation")

    def __init__(self, root: str | os.PathLike | None = None, *, split: str = "trainval",
                 target_types: str | Sequence[str] = "category",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 transforms: Callable | None = None, download: bool = False) -> None:
        types = [target_types] if isinstance(target_types, str) else list(target_types)
        bad = [t for t in types if t not in self.TARGET_TYPES]
        if bad:
            raise ValueError(f"OxfordIIITPet: target_types must be in "
                             f"{', '.join(self.TARGET_TYPES)}, got {bad[0]!r}")
        self._single = isinstance(target_types, str)
        self.target_types = types
        super().__init__(root, split=split, transform=transform,
                         target_transform=target_transform, transforms=transforms,
                         download=download)
        annotations = self.folder / "annotations" / "annotations"
        ids, labels, species = [], [], []
        for line in (annotations / f"{split}.txt").read_text().splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            image_id, label, kind, *_ = line.split()
            ids.append(image_id)
            labels.append(int(label) - 1)
            species.append(int(kind) - 1)
        names = {label: image_id.rsplit("_", 1)[0] for image_id, label in zip(ids, labels)}
        self.classes = [" ".join(part.title() for part in names[i].split("_"))
                        for i in sorted(names)]
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}
        self._ids, self._labels, self._species = ids, labels, species
        self._images = [self.folder / "images" / "images" / f"{i}.jpg" for i in ids]
        self._trimaps = [annotations / "trimaps" / f"{i}.png" for i in ids]

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from .voc import _palette_mask

        targets: list[Any] = []
        for kind in self.target_types:
            if kind == "category":
                targets.append(self._labels[index])
            elif kind == "binary-category":
                targets.append(self._species[index])
            else:
                targets.append(_palette_mask(self._trimaps[index]))
        target = targets[0] if self._single else tuple(targets)
        return self.apply_transforms(self.load_image(self._images[index]), target)


class Flowers102(VisionDataset):
    """Oxford 102 Flowers: 8,189 images of 102 flower categories.

    Args:
        root: the datasets root; the files are in ``root / "flowers102"``.
        split: ``"train"`` (1,020 images), ``"val"`` (1,020) or ``"test"`` (6,149): the
            official ``setid.mat`` sets.
        transform, target_transform, transforms, download: as
            :class:`~triptych.vision.datasets.VOCDetection`.

    ``ds[i]`` is ``(Image (3, H, W) uint8, int)`` with labels 0-101 (the files' 1-102, minus 1).
    ``imagelabels.mat`` and ``setid.mat`` are read with triptych's MATLAB reader (no scipy).
    The category names are not part of the downloaded files; ``classes`` holds the 102 names in
    label order as the dataset's users publish them (``flowers102_categories.txt``).

    Example:
        >>> from triptych.vision.datasets import Flowers102
        >>> len(Flowers102.classes), Flowers102.classes[0], Flowers102.classes[101]
        (102, 'pink primrose', 'blackberry lily')
    """

    name = "flowers102"
    classes = Path(__file__).with_name("flowers102_categories.txt").read_text(
        encoding="utf-8").splitlines()
    _SETS = {"train": "trnid", "val": "valid", "test": "tstid"}

    def __init__(self, root: str | os.PathLike | None = None, *, split: str = "train",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 transforms: Callable | None = None, download: bool = False) -> None:
        super().__init__(root, split=split, transform=transform,
                         target_transform=target_transform, transforms=transforms,
                         download=download)
        ids = read_mat(self.folder / "setid.mat", (self._SETS[split],))[self._SETS[split]]
        labels = read_mat(self.folder / "imagelabels.mat", ("labels",))["labels"].reshape(-1)
        ids = ids.reshape(-1).astype(np.int64)
        if ids.size and (ids.min() < 1 or ids.max() > labels.size):
            raise ValueError(f"Flowers102: setid.mat refers to image {int(ids.max())}, "
                             f"imagelabels.mat labels {labels.size}")
        self._labels = [int(labels[i - 1]) - 1 for i in ids]
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}
        self._images = [self.folder / "102flowers" / "jpg" / f"image_{i:05d}.jpg" for i in ids]

    def __len__(self) -> int:
        return len(self._images)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        return self.apply_transforms(self.load_image(self._images[index]), self._labels[index])


class Food101(VisionDataset):
    """Food-101: 101,000 images of 101 dishes (750 train and 250 test images each).

    Args:
        root: the datasets root; the files are in ``root / "food101"``.
        split: ``"train"`` or ``"test"`` (``meta/<split>.json``).
        transform, target_transform, transforms, download: as
            :class:`~triptych.vision.datasets.VOCDetection`.

    ``ds[i]`` is ``(Image (3, H, W) uint8, int)``; ``classes`` are the sorted dish names.
    """

    name = "food101"

    def __init__(self, root: str | os.PathLike | None = None, *, split: str = "train",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 transforms: Callable | None = None, download: bool = False) -> None:
        super().__init__(root, split=split, transform=transform,
                         target_transform=target_transform, transforms=transforms,
                         download=download)
        base = self.folder / "food-101" / "food-101"
        meta = base / "meta" / f"{split}.json"
        try:
            listing = json.loads(meta.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"Food101: {str(meta)!r} is not valid JSON: {exc}") from None
        self.classes = sorted(listing)
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}
        self._images, self._labels = [], []
        for name in self.classes:
            for entry in listing[name]:
                self._images.append(base / "images" / f"{entry}.jpg")
                self._labels.append(self.class_to_idx[name])

    def __len__(self) -> int:
        return len(self._images)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        return self.apply_transforms(self.load_image(self._images[index]), self._labels[index])
