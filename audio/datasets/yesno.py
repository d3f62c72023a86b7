"""YesNo: 60 recordings of eight Hebrew yes/no words (torchaudio's ``YESNO``)."""

from __future__ import annotations

import os

import torch

from ._base import AudioDataset

__all__ = ["YESNO"]


class YESNO(AudioDataset):
    """YesNo (openslr.org/1): 60 WAV files at 8 kHz, each eight words "ken" (yes) or "lo" (no).

    Args:
        root: the datasets root; the files are in ``root / "yesno"``
            (``$TRIPTYCH_HOME/datasets`` by default).
        url: a mirror URL of ``waves_yesno.tar.gz`` (tried first; its bytes must have the
            catalog's sha256); default: the catalog's URLs.
        folder_in_archive: the archive's folder holding the WAV files.
        download: fetch, verify and extract the archive first.

    ``ds[n]`` is ``(waveform (1, frames) float32, sample_rate, labels)`` with ``labels`` the
    eight 0/1 words from the file name (``0_1_0_0_1_0_1_1.wav``); files in name order.

    Example (needs the network)::

        ds = YESNO("data", download=True)
        waveform, sample_rate, labels = ds[0]      # labels: [0, 0, 0, 0, 0, 0, 0, 0]

    The same with a one-file archive in YesNo's layout, served from a ``file://`` URL:

        >>> import hashlib, pathlib, tarfile, tempfile, torch
        >>> from triptych.audio import io as aio
        >>> from triptych.datasets import Resource
        >>> work = pathlib.Path(tempfile.mkdtemp())
        >>> aio.save(work / "0_1_1_0_0_0_1_0.wav", torch.zeros(1, 400), 8000)
        >>> with tarfile.open(work / "waves_yesno.tar.gz", "w:gz") as tar:
        ...     tar.add(work / "0_1_1_0_0_0_1_0.wav", "waves_yesno/0_1_1_0_0_0_1_0.wav")
        >>> archive = work / "waves_yesno.tar.gz"
        >>> class LocalYesNo(YESNO):
        ...     resources = [Resource(archive.name, archive.as_uri(),
        ...                           hashlib.sha256(archive.read_bytes()).hexdigest())]
        >>> waveform, sample_rate, labels = LocalYesNo(work, download=True)[0]
        >>> waveform.shape, sample_rate, labels
        (torch.Size([1, 400]), 8000, [0, 1, 1, 0, 0, 0, 1, 0])
    """

    name = "yesno"

    def __init__(self, root: str | os.PathLike | None = None, *, url: str | None = None,
                 folder_in_archive: str = "waves_yesno", download: bool = False) -> None:
        super().__init__(root, url=url, download=download, folder_in_archive=folder_in_archive)
        path = self.extracted("waves_yesno", folder_in_archive)
        self._files = sorted(path.glob("*.wav"))
        self._labels = []
        for file in self._files:
            words = file.stem.split("_")
            if not all(word in ("0", "1") for word in words):
                raise ValueError(f"YESNO: {file.name!r} is not a YesNo file name "
                                 "(0/1 words joined by '_')")
            self._labels.append([int(word) for word in words])

    def __len__(self) -> int:
        return len(self._files)

    def __getitem__(self, n: int) -> tuple[torch.Tensor, int, list[int]]:
        waveform, sample_rate = self.load_audio(self._files[n])
        return waveform, sample_rate, list(self._labels[n])
