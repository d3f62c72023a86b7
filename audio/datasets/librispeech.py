"""LibriSpeech (torchaudio's ``LIBRISPEECH``)."""

from __future__ import annotations

import os

import torch

from ._base import AudioDataset

__all__ = ["LIBRISPEECH"]


class LIBRISPEECH(AudioDataset):
    """LibriSpeech (openslr.org/12): read English speech at 16 kHz (FLAC) with transcripts.

    Args:
        root: the datasets root; the files are in ``root / "librispeech"``
            (``$TRIPTYCH_HOME/datasets`` by default).
        url: the subset: ``"dev-clean"``, ``"dev-other"``, ``"test-clean"``, ``"test-other"``,
            ``"train-clean-100"``, ``"train-clean-360"`` or ``"train-other-500"``; or a mirror
            URL of one of their archives (tried first; its bytes must have the catalog's
            sha256).
        folder_in_archive: the archive's top folder.
        download: fetch, verify and extract that subset's archive first.

    ``ds[n]`` is ``(waveform (1, frames) float32, sample_rate, transcript, speaker_id,
    chapter_id, utterance_id)`` (the three ids as ints: ``84-121123-0005`` is speaker 84,
    chapter 121123, utterance 5), utterances in id order. Transcripts come from each chapter's
    ``<speaker>-<chapter>.trans.txt``.

    Example (needs the network)::

        ds = LIBRISPEECH("data", url="dev-clean", download=True)
        waveform, sample_rate, transcript, speaker_id, chapter_id, utterance_id = ds[0]
    """

    name = "librispeech"

    def __init__(self, root: str | os.PathLike | None = None, *, url: str = "train-clean-100",
                 folder_in_archive: str = "LibriSpeech", download: bool = False) -> None:
        super().__init__(root, url=url, download=download, folder_in_archive=folder_in_archive)
        self._path = self.extracted(self.split, folder_in_archive, self.split)
        self._files = sorted(self._path.glob("*/*/*.flac"), key=lambda p: p.stem)
        self._transcripts: dict[str, str] = {}
        for chapter in sorted({p.parent for p in self._files}):
            listing = chapter / f"{chapter.parent.name}-{chapter.name}.trans.txt"
            if not listing.is_file():
                raise RuntimeError(f"LIBRISPEECH: {listing} is missing (every chapter folder "
                                   "has its transcripts)")
            for line in listing.read_text().splitlines():
                if line.strip():
                    fileid, _, text = line.strip().partition(" ")
                    self._transcripts[fileid] = text
        for file in self._files:
            ids = file.stem.split("-")
            if len(ids) != 3 or not all(i.isdigit() for i in ids):
                raise ValueError(f"LIBRISPEECH: {file.name!r} is not named "
                                 "<speaker>-<chapter>-<utterance>.flac")
            if file.stem not in self._transcripts:
                raise RuntimeError(f"LIBRISPEECH: no transcript for {file.stem} in "
                                   f"{file.parent.parent.name}-{file.parent.name}.trans.txt")

    def get_metadata(self, n: int) -> tuple[str, int, str, int, int, int]:
        """``(path relative to the subset folder, sample_rate, transcript, speaker_id,
        chapter_id, utterance_id)`` of sample ``n`` without loading the audio (torchaudio's
        method; the rate is the corpus's 16 kHz, not read from the file)."""
        file = self._files[n]
        speaker_id, chapter_id, utterance_id = (int(i) for i in file.stem.split("-"))
        return (file.relative_to(self._path).as_posix(), 16000, self._transcripts[file.stem],
                speaker_id, chapter_id, utterance_id)

    def __len__(self) -> int:
        return len(self._files)

    def __getitem__(self, n: int) -> tuple[torch.Tensor, int, str, int, int, int]:
        relpath, _, transcript, speaker_id, chapter_id, utterance_id = self.get_metadata(n)
        waveform, sample_rate = self.load_audio(self._path / relpath)
        return waveform, sample_rate, transcript, speaker_id, chapter_id, utterance_id
