"""LJSpeech 1.1 (torchaudio's ``LJSPEECH``)."""

from __future__ import annotations

import csv
import os

import torch

from ._base import AudioDataset

__all__ = ["LJSPEECH"]


class LJSPEECH(AudioDataset):
    """LJSpeech 1.1: 13,100 clips of one speaker reading, 22.05 kHz WAV, with transcripts.

    Args:
        root: the datasets root; the files are in ``root / "ljspeech"``
            (``$TRIPTYCH_HOME/datasets`` by default).
        url: a mirror URL of ``LJSpeech-1.1.tar.bz2`` (tried first; its bytes must have the
            catalog's sha256); default: the catalog's URL.
        folder_in_archive: the folder, under the archive's ``LJSpeech-1.1``, holding the WAVs.
        download: fetch, verify and extract the archive (2.7 GB) first.

    ``ds[n]`` is ``(waveform (1, frames) float32, sample_rate, transcript,
    normalized_transcript)``, in the order of ``metadata.csv`` (``id|transcript|normalized``,
    ``|``-separated, no quoting).

    Example (needs the network)::

        ds = LJSPEECH("data", download=True)
        waveform, sample_rate, transcript, normalized_transcript = ds[0]
    """

    name = "ljspeech"

    def __init__(self, root: str | os.PathLike | None = None, *, url: str | None = None,
                 folder_in_archive: str = "wavs", download: bool = False) -> None:
        super().__init__(root, url=url, download=download, folder_in_archive=folder_in_archive)
        base = self.extracted("LJSpeech-1.1", "LJSpeech-1.1")
        self._path = self.extracted("LJSpeech-1.1", "LJSpeech-1.1", folder_in_archive)
        metadata = base / "metadata.csv"
        self._rows: list[list[str]] = []
        with open(metadata, newline="", encoding="utf-8") as f:
            for number, row in enumerate(csv.reader(f, delimiter="|", quoting=csv.QUOTE_NONE), 1):
                if not row:
                    continue
                if len(row) != 3:
                    raise ValueError(f"LJSPEECH: {metadata} line {number} has {len(row)} "
                                     "fields; expected id|transcript|normalized_transcript")
                self._rows.append(row)

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, n: int) -> tuple[torch.Tensor, int, str, str]:
        fileid, transcript, normalized_transcript = self._rows[n]
        waveform, sample_rate = self.load_audio(self._path / f"{fileid}.wav")
        return waveform, sample_rate, transcript, normalized_transcript
