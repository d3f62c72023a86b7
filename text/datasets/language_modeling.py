"""Language-modelling corpora: WikiText2, PennTreebank (map-style) and WikiText103 (iterable,
streamed from disk and split over DataLoader workers and torchrun ranks).

A sample is one line of text (after ``transform``), as torchtext yielded them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

from triptych.datasets.base import Dataset

from ._extracted import Extracted
from ._sharded import ShardedRows

__all__ = ["PennTreebank", "WikiText2", "WikiText103"]

_SPLITS = ("train", "valid", "test")


class _TextOnly:
    """A sample is its text alone: ``transform`` applies, there is no target."""

    transform: Callable | None

    def _text(self, line: str) -> Any:
        return self.transform(line) if self.transform is not None else line


class WikiText2(_TextOnly, Extracted):
    """WikiText-2 (v1, tokenised): lines of ``wiki.{split}.tokens``
    (36 718 train, 3 760 valid, 4 358 test lines).

    Args:
        root: datasets root (files in ``root / "wikitext2"``); default ``$TRIPTYCH_HOME/datasets``.
        split: ``"train"``, ``"valid"`` or ``"test"``.
        transform: applied to each line.
        download: fetch, verify and extract ``wikitext-2-v1.zip`` first.

    A sample is one line, its ``"\\n"`` kept and blank lines included (as torchtext); rare
    words are ``<unk>``, headings look like ``" = Title = "``.
    """

    name = "wikitext2"

    def __init__(self, root: str | os.PathLike | None = None, *, split: str = "train",
                 transform: Callable | None = None, download: bool = False):
        super().__init__(root, split=split, splits=_SPLITS, transform=transform,
                         target_transform=None, download=download)
        self.path = self._extracted(f"wiki.{split}.tokens")
        self.lines = list(self._rows())

    def _rows(self) -> Iterator[str]:
        with open(self.path, encoding="utf-8", newline="\n") as f:  # lines end at "\n" only
            yield from f

    def __len__(self) -> int:
        return len(self.lines)

    def __getitem__(self, index: int) -> Any:
        return self._text(self.lines[index])


class WikiText103(_TextOnly, ShardedRows, Extracted):
    """WikiText-103 (v1, tokenised): lines of ``wiki.{split}.tokens``
    (1 801 350 train, 3 760 valid, 4 358 test lines), streamed.

    Iterable: DataLoader workers and torchrun ranks each read their share, every line once
    (see :mod:`triptych.text.datasets`). Same arguments and samples as :class:`WikiText2`
    (files in ``root / "wikitext103"``).
    """

    name = "wikitext103"

    def __init__(self, root: str | os.PathLike | None = None, *, split: str = "train",
                 transform: Callable | None = None, download: bool = False):
        super().__init__(root, split=split, splits=_SPLITS, transform=transform,
                         target_transform=None, download=download)
        self.path = self._extracted(f"wiki.{split}.tokens")
        with open(self.path, "rb") as f:
            self.num_samples = sum(1 for _ in f)

    def _rows(self) -> Iterator[str]:
        with open(self.path, encoding="utf-8", newline="\n") as f:  # lines end at "\n" only
            yield from f

    def _sample(self, row: str) -> Any:
        return self._text(row)


class PennTreebank(_TextOnly, Dataset):
    """Penn Treebank, Mikolov's language-modelling version: sentences of ``ptb.{split}.txt``
    (42 068 train, 3 370 valid, 3 761 test), 10 000 words, rare ones as ``<unk>``.

    Args:
        root: datasets root (files in ``root / "penn_treebank"``); default
            ``$TRIPTYCH_HOME/datasets``.
        split: ``"train"``, ``"valid"`` or ``"test"``.
        transform: applied to each sentence.
        download: fetch and verify the split's file first.

    A sample is one sentence with the surrounding whitespace stripped (as torchtext).

    Example (a local copy of the file, as for a private mirror):
        >>> import hashlib, pathlib, tempfile
        >>> from triptych.datasets import Resource
        >>> src = pathlib.Path(tempfile.mkdtemp()) / "ptb.train.txt"
        >>> _ = src.write_text(" the cat sat \\n on the mat \\n")
        >>> sha256 = hashlib.sha256(src.read_bytes()).hexdigest()
        >>> class LocalPTB(PennTreebank):
        ...     resources = {"train": [Resource(src.name, src.as_uri(), sha256)]}
        >>> ds = LocalPTB(tempfile.mkdtemp(), download=True, transform=str.split)
        >>> len(ds), ds[1]
        (2, ['on', 'the', 'mat'])
    """

    name = "penn_treebank"

    def __init__(self, root: str | os.PathLike | None = None, *, split: str = "train",
                 transform: Callable | None = None, download: bool = False):
        super().__init__(root, split=split, transform=transform, download=download)
        (resource,) = self.files()
        with open(self.folder / resource.filename, encoding="utf-8", newline="") as f:
            self.lines = [line.strip() for line in f]

    def __len__(self) -> int:
        return len(self.lines)

    def __getitem__(self, index: int) -> Any:
        return self._text(self.lines[index])
