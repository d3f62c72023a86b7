"""ESC-50: environmental sound classification (torchaudio has no class for it)."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable

import torch

from ._base import AudioDataset

__all__ = ["ESC50"]

_COLUMNS = ("filename", "fold", "target", "category", "esc10")


class ESC50(AudioDataset):
    """ESC-50: 2,000 five-second clips (44.1 kHz WAV) of 50 environmental sound classes, in
    five cross-validation folds; ESC-10 is its 10-class subset.

    Args:
        root: the datasets root; the files are in ``root / "esc50"``
            (``$TRIPTYCH_HOME/datasets`` by default).
        folds: which folds (1-5): an int, a sequence of ints, or None for all five. Train on
            four and test on the fifth, as the dataset's authors do.
        esc10: only the ESC-10 clips; targets are then renumbered 0-9 (in the order of their
            ESC-50 targets).
        url: a mirror URL of ``ESC-50-master.zip`` (tried first; its bytes must have the
            catalog's sha256); default: the catalog's URL.
        download: fetch, verify and extract the archive (646 MB) first.

    ``ds[n]`` is ``(waveform (1, frames) float32, sample_rate, target, category)`` from
    ``meta/esc50.csv`` (e.g. ``1-100032-A-0.wav``: target 0, ``"dog"``), in that file's order;
    ``classes[target]`` is the category.

    Example (needs the network)::

        train = ESC50("data", folds=[1, 2, 3, 4], download=True)
        test = ESC50("data", folds=5)
        waveform, sample_rate, target, category = test[0]
    """

    name = "esc50"

    def __init__(self, root: str | os.PathLike | None = None, *,
                 folds: int | Iterable[int] | None = None, esc10: bool = False,
                 url: str | None = None, download: bool = False) -> None:
        chosen = self._check_folds(folds)
        super().__init__(root, url=url, download=download)
        base = self.extracted("ESC-50-master", "ESC-50-master")
        self._audio = self.extracted("ESC-50-master", "ESC-50-master", "audio")
        meta = base / "meta" / "esc50.csv"
        with open(meta, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            missing = [c for c in _COLUMNS if c not in (reader.fieldnames or ())]
            if missing:
                raise ValueError(f"ESC50: {meta} has no column {missing[0]!r}")
            rows = [row for row in reader
                    if not esc10 or row["esc10"].strip().lower() == "true"]
        names = {int(row["target"]): row["category"] for row in rows}
        renumber = {target: i for i, target in enumerate(sorted(names))} if esc10 else None
        self.classes = [names[t] for t in sorted(names)] if esc10 else [
            names.get(t, "") for t in range(max(names, default=-1) + 1)]
        self.folds = sorted(chosen)
        self.esc10 = esc10
        self._samples = []
        for row in rows:
            if int(row["fold"]) in chosen:
                target = int(row["target"])
                self._samples.append((row["filename"], renumber[target] if esc10 else target,
                                      row["category"]))

    @staticmethod
    def _check_folds(folds: int | Iterable[int] | None) -> set[int]:
        if folds is None:
            return {1, 2, 3, 4, 5}
        values = [folds] if isinstance(folds, int) else list(folds)
        if not values or not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 5
                                 for v in values):
            raise ValueError(f"ESC50: folds must be ints from 1 to 5 (or None), got {folds!r}")
        return set(values)

    def __len__(self) -> int:
        return len(self._samples)

    def __getitem__(self, n: int) -> tuple[torch.Tensor, int, int, str]:
        filename, target, category = self._samples[n]
        waveform, sample_rate = self.load_audio(self._audio / filename)
        return waveform, sample_rate, target, category
