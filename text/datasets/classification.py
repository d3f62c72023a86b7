"""Text classification datasets read from their published archives.

Map-style (the split fits in memory): AG_NEWS, IMDB, SST2. Iterable, streamed from disk and
split over DataLoader workers and torchrun ranks (each row read once): YelpReviewPolarity,
DBpedia.

Samples are ``(text, label)`` like torchvision's ``(input, target)`` (torchtext yielded
``(label, text)``, with labels from 1); ``label`` indexes ``classes``.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ._extracted import Extracted
from ._sharded import ShardedRows

__all__ = ["AG_NEWS", "DBpedia", "IMDB", "SST2", "YelpReviewPolarity"]


def labelled_rows(path: Path, *, columns: int, num_classes: int) -> Iterator[tuple[str, int]]:
    """``(text, label)`` for each row of a CSV in the layout of Zhang et al. (2015):
    ``"class","field",...`` quoted, ``""`` for a quote inside, class numbered from 1. The text
    fields are joined by a space (as torchtext did); the label counts from 0."""
    with open(path, encoding="utf-8", newline="") as f:
        for number, row in enumerate(csv.reader(f), 1):
            if len(row) != columns or not row[0].isdigit() or not 1 <= int(row[0]) <= num_classes:
                fields = "'title','description'" if columns == 3 else "'text'"
                raise ValueError(f"{path}:{number}: expected 'class (1-{num_classes})',{fields}, "
                                 f"got {row!r}")
            yield " ".join(row[1:]), int(row[0]) - 1


class AG_NEWS(Extracted):  # noqa: N801 - torchtext's name
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
        self.samples = list(labelled_rows(path, columns=3, num_classes=len(self.classes)))

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        return self.apply_transforms(*self.samples[index])


class IMDB(Extracted):
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


class SST2(Extracted):
    """SST-2 (GLUE): movie-review sentences labelled negative / positive
    (67 349 train, 872 dev, 1 821 test).

    Args:
        root: datasets root (files in ``root / "sst2"``); default ``$TRIPTYCH_HOME/datasets``.
        split: ``"train"``, ``"dev"`` or ``"test"``.
        transform, target_transform: applied to the sentence / the label.
        download: fetch, verify and extract ``SST-2.zip`` first.

    A sample is ``(sentence, label)``, label 0 = ``"negative"``, 1 = ``"positive"``. The test
    split is unlabelled: its label is ``-1`` (GLUE's convention; torchtext yielded the
    sentence alone). The files are tab-separated without quoting (a ``"`` is text).

    Example (a local copy of ``SST-2.zip``):
        >>> import hashlib, pathlib, tempfile, zipfile
        >>> from triptych.datasets import Resource
        >>> archive = pathlib.Path(tempfile.mkdtemp()) / "SST-2.zip"
        >>> with zipfile.ZipFile(archive, "w") as z:
        ...     z.writestr("SST-2/train.tsv", 'sentence\\tlabel\\na "gem" \\t1\\n')
        ...     z.writestr("SST-2/dev.tsv", "sentence\\tlabel\\n")
        ...     z.writestr("SST-2/test.tsv", "index\\tsentence\\n")
        >>> sha256 = hashlib.sha256(archive.read_bytes()).hexdigest()
        >>> class LocalSST2(SST2):
        ...     resources = [Resource(archive.name, archive.as_uri(), sha256)]
        >>> LocalSST2(tempfile.mkdtemp(), download=True)[0]
        ('a "gem" ', 1)
    """

    name = "sst2"
    classes = ["negative", "positive"]
    _HEADERS = {"train": ["sentence", "label"], "dev": ["sentence", "label"],
                "test": ["index", "sentence"]}

    def __init__(self, root: str | os.PathLike | None = None, *, split: str = "train",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False):
        super().__init__(root, split=split, splits=tuple(self._HEADERS), transform=transform,
                         target_transform=target_transform, download=download)
        path = self._extracted(f"{split}.tsv")
        header = self._HEADERS[split]
        self.samples: list[tuple[str, int]] = []
        with open(path, encoding="utf-8", newline="") as f:
            rows = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            first = next(rows, None)
            if first != header:
                raise ValueError(f"{path}:1: expected the header {header!r}, got {first!r}")
            for number, row in enumerate(rows, 2):
                if split == "test":
                    if len(row) != 2 or not row[0].isdigit():
                        raise ValueError(f"{path}:{number}: expected 'index<TAB>sentence', got {row!r}")
                    self.samples.append((row[1], -1))
                else:
                    if len(row) != 2 or row[1] not in ("0", "1"):
                        raise ValueError(f"{path}:{number}: expected 'sentence<TAB>0|1', got {row!r}")
                    self.samples.append((row[0], int(row[1])))

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        return self.apply_transforms(*self.samples[index])


class _StreamedCSV(ShardedRows, Extracted):
    """A split CSV (Zhang et al. layout) streamed row by row; rows are checked when opened."""

    classes: list[str]
    columns: int

    def __init__(self, root, *, split, transform, target_transform, download):
        super().__init__(root, split=split, splits=("train", "test"), transform=transform,
                         target_transform=target_transform, download=download)
        self.path = self._extracted(f"{split}.csv")
        self.num_samples = sum(1 for _ in self._rows())  # one pass: counts and checks every row

    def _rows(self) -> Iterator[tuple[str, int]]:
        return labelled_rows(self.path, columns=self.columns, num_classes=len(self.classes))

    def _sample(self, row: tuple[str, int]) -> tuple[Any, Any]:
        return self.apply_transforms(*row)


class YelpReviewPolarity(_StreamedCSV):
    """Yelp review polarity: reviews labelled negative (1-2 stars) / positive (3-4 stars)
    (560 000 train, 38 000 test). Iterable: see :mod:`triptych.text.datasets` for sharding.

    Args:
        root: datasets root (files in ``root / "yelp_review_polarity"``); default
            ``$TRIPTYCH_HOME/datasets``.
        split: ``"train"`` or ``"test"``.
        transform, target_transform: applied to the review / the label.
        download: fetch, verify and extract the archive first.

    A sample is ``(review, label)``, label 0 = ``"negative"``, 1 = ``"positive"``. Line breaks
    in reviews stay escaped as the two characters ``\\n``, as in the files (and torchtext).
    """

    name = "yelp_review_polarity"
    classes = ["negative", "positive"]
    columns = 2

    def __init__(self, root: str | os.PathLike | None = None, *, split: str = "train",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False):
        super().__init__(root, split=split, transform=transform,
                         target_transform=target_transform, download=download)


class DBpedia(_StreamedCSV):
    """DBpedia ontology: Wikipedia abstracts in 14 classes (560 000 train, 70 000 test).
    Iterable: see :mod:`triptych.text.datasets` for sharding.

    Args:
        root: datasets root (files in ``root / "dbpedia"``); default ``$TRIPTYCH_HOME/datasets``.
        split: ``"train"`` or ``"test"``.
        transform, target_transform: applied to the text / the label.
        download: fetch, verify and extract the archive first.

    A sample is ``(title + " " + abstract, label)``, label in ``0..13`` (``classes``).
    """

    name = "dbpedia"
    classes = ["Company", "EducationalInstitution", "Artist", "Athlete", "OfficeHolder",
               "MeanOfTransportation", "Building", "NaturalPlace", "Village", "Animal", "Plant",
               "Album", "Film", "WrittenWork"]
    columns = 3

    def __init__(self, root: str | os.PathLike | None = None, *, split: str = "train",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False):
        super().__init__(root, split=split, transform=transform,
                         target_transform=target_transform, download=download)
