"""Text classification datasets read from their published archives: AG_NEWS, IMDB.

Samples are ``(text, label)`` like torchvision's ``(input, target)`` (torchtext yielded
``(label, text)``, with AG News labels from 1); ``label`` indexes ``classes``.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from triptych.datasets.base import Dataset

__all__ = ["AG_NEWS", "IMDB"]


class _Extracted(Dataset):
    """A dataset whose one archive (from the catalog) is read after extraction."""

    def __init__(self, root, *, split: str, splits: tuple[str, ...], transform, target_transform, download):
        if split not in splits:
            raise ValueError(f"{type(self).__name__}: split must be one of {', '.join(map(repr, splits))}, "
                             f"got {split!r}")
        # The catalog entry lists one archive holding every split, so the base class is given
        # split=None (all files) and the split is applied when reading.
        super().__init__(root, split=None, transform=transform, target_transform=target_transform,
                         download=download)
        self.split = split

    def files(self):
        """The one archive, whatever the split (it holds them all)."""
        seen = {}
        for resources in self.splits().values():
            for resource in resources:
                seen.setdefault(resource.filename, resource)
        return list(seen.values())

    def _extracted(self, member: str) -> Path:
        """The path of ``member`` (e.g. ``"train.csv"``) inside the extracted archive."""
        (archive,) = self.files()
        base = self.folder / archive.extracted_name
        found = sorted(base.rglob(member)) if base.is_dir() else []
        if not found:
            raise RuntimeError(f"{type(self).__name__}: {member} not found under {base}; the archive was "
                               "not extracted (pass download=True to fetch and extract it)")
        return found[0]


class AG_NEWS(_Extracted):  # noqa: N801 - torchtext's name
    """AG News: news titles + descriptions in 4 classes (120 000 train, 7 600 test).

    Args:
        root: datasets root (files in ``root / "ag_news"``); default ``$TRIPTYCH_HOME/datasets``.
        split: ``"train"`` or ``"test"``.
        transform, target_transform: applied to the text / the label.
        download: fetch, verify and extract the archive first.

    A sample is ``(title + " " + description, label)``, label in ``0..3`` (``classes``).
    """

    name = "ag_news"
    classes = ["World", "Sports", "Business", "Sci/Tech"]

    def __init__(self, root: str | os.PathLike | None = None, *, split: str = "train",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False):
        super().__init__(root, split=split, splits=("train", "test"), transform=transform,
                         target_transform=target_transform, download=download)
        path = self._extracted(f"{split}.csv")
        self.samples: list[tuple[str, int]] = []
        with open(path, encoding="utf-8", newline="") as f:
            for number, row in enumerate(csv.reader(f), 1):
                if len(row) != 3 or not row[0].isdigit() or not 1 <= int(row[0]) <= 4:
                    raise ValueError(f"{path}:{number}: expected 'class (1-4)','title','description', got {row!r}")
                self.samples.append((f"{row[1]} {row[2]}", int(row[0]) - 1))

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        return self.apply_transforms(*self.samples[index])


class IMDB(_Extracted):
    """IMDB movie reviews labelled negative / positive (25 000 train, 25 000 test).

    Args:
        root: datasets root (files in ``root / "imdb"``); default ``$TRIPTYCH_HOME/datasets``.
        split: ``"train"`` or ``"test"``.
        transform, target_transform: applied to the text / the label.
        download: fetch, verify and extract the archive first.

    A sample is ``(review, label)`` with label 0 = ``"neg"``, 1 = ``"pos"``; reviews are in file
    name order, negatives first. The unlabelled ``train/unsup`` reviews are not included.
    """

    name = "imdb"
    classes = ["neg", "pos"]

    def __init__(self, root: str | os.PathLike | None = None, *, split: str = "train",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False):
        super().__init__(root, split=split, splits=("train", "test"), transform=transform,
                         target_transform=target_transform, download=download)
        split_dir = self._extracted(split)
        self.files_by_label: list[tuple[Path, int]] = []
        for label, name in enumerate(self.classes):
            folder = split_dir / name
            if not folder.is_dir():
                raise RuntimeError(f"IMDB: {folder} is missing; the archive is incomplete")
            self.files_by_label += [(p, label) for p in sorted(folder.glob("*.txt"))]

    def __len__(self) -> int:
        return len(self.files_by_label)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        path, label = self.files_by_label[index]
        return self.apply_transforms(path.read_text(encoding="utf-8"), label)
