"""Multi30k: English-German image-description pairs for translation (map-style)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from triptych.datasets.base import Dataset

from ._extracted import extracted_member

__all__ = ["Multi30k"]


class Multi30k(Dataset):
    """Multi30k task 1 (WMT16 multimodal): Flickr30k descriptions in German and their English
    translations (29 000 train, 1 014 valid, 1 000 test pairs).

    Args:
        root: datasets root (files in ``root / "multi30k"``); default ``$TRIPTYCH_HOME/datasets``.
        split: ``"train"``, ``"valid"`` or ``"test"``.
        language_pair: ``(source, target)``: ``("de", "en")`` (default) or ``("en", "de")``.
        transform, target_transform: applied to the source / the target sentence.
        download: fetch, verify and extract the split's archive first.

    A sample is ``(source sentence, target sentence)``, newline removed (as torchtext).

    Example (a local copy of the validation archive):
        >>> import hashlib, io, pathlib, tarfile, tempfile
        >>> from triptych.datasets import Resource
        >>> archive = pathlib.Path(tempfile.mkdtemp()) / "validation.tar.gz"
        >>> with tarfile.open(archive, "w:gz") as tar:
        ...     for name, text in {"val.de": "Ein Hund.\\n", "val.en": "A dog.\\n"}.items():
        ...         info = tarfile.TarInfo(name)
        ...         info.size = len(text.encode())
        ...         tar.addfile(info, io.BytesIO(text.encode()))
        >>> sha256 = hashlib.sha256(archive.read_bytes()).hexdigest()
        >>> class LocalMulti30k(Multi30k):
        ...     resources = {"valid": [Resource(archive.name, archive.as_uri(), sha256)]}
        >>> LocalMulti30k(tempfile.mkdtemp(), split="valid", language_pair=("en", "de"),
        ...               download=True)[0]
        ('A dog.', 'Ein Hund.')
    """

    name = "multi30k"
    _prefix = {"train": "train", "valid": "val", "test": "test"}

    def __init__(self, root: str | os.PathLike | None = None, *, split: str = "train",
                 language_pair: Sequence[str] = ("de", "en"), transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False):
        if (isinstance(language_pair, str) or len(language_pair) != 2
                or sorted(language_pair) != ["de", "en"]):
            raise ValueError(f"Multi30k: language_pair must be ('de', 'en') or ('en', 'de'), "
                             f"got {language_pair!r}")
        super().__init__(root, split=split, transform=transform, target_transform=target_transform,
                         download=download)
        self.language_pair = tuple(language_pair)
        source, target = (self._lines(lang) for lang in self.language_pair)
        if len(source) != len(target):
            raise ValueError(f"Multi30k: {split} has {len(source)} {self.language_pair[0]!r} and "
                             f"{len(target)} {self.language_pair[1]!r} sentences; the files do "
                             "not pair up")
        self.pairs = list(zip(source, target))

    def _lines(self, language: str) -> list[str]:
        (archive,) = self.files()
        path = extracted_member(self, archive, f"{self._prefix[self.split]}.{language}")
        with open(path, encoding="utf-8", newline="") as f:
            return [line.rstrip("\r\n") for line in f]

    def extra_repr(self) -> str:
        return f"Language pair: {self.language_pair[0]} -> {self.language_pair[1]}"

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        return self.apply_transforms(*self.pairs[index])
