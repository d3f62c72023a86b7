"""VCTK 0.92 (torchaudio's ``VCTK_092``)."""

from __future__ import annotations

import os

import torch

from ._base import AudioDataset

__all__ = ["VCTK_092"]

_MICS = ("mic1", "mic2")


class VCTK_092(AudioDataset):  # noqa: N801 - torchaudio's name
    """VCTK 0.92: about 44,000 sentences read by 110 English speakers, 48 kHz FLAC recorded
    with two microphones, silence trimmed, with transcripts.

    Args:
        root: the datasets root; the files are in ``root / "vctk_092"``
            (``$TRIPTYCH_HOME/datasets`` by default).
        mic_id: ``"mic1"`` or ``"mic2"``: which microphone's recordings.
        download: fetch, verify and extract the archive (11.7 GB) first.
        url: a mirror URL of ``VCTK-Corpus-0.92.zip`` (tried first; its bytes must have the
            catalog's sha256); default: the catalog's URL.
        audio_ext: the audio files' extension.

    ``ds[n]`` is ``(waveform (1, frames) float32, sample_rate, transcript, speaker_id,
    utterance_id)``, e.g. ``(…, 48000, "Please call Stella.", "p225", "001")``: one sample per
    transcript in ``txt/<speaker>/`` whose recording with that microphone exists in
    ``wav48_silence_trimmed/<speaker>/<speaker>_<utterance>_<mic_id><audio_ext>`` (some
    recordings are missing, e.g. all of p280 with mic2), in speaker then utterance order.
    The transcript is the file's first line, without its line break.

    Example (needs the network)::

        ds = VCTK_092("data", mic_id="mic2", download=True)
        waveform, sample_rate, transcript, speaker_id, utterance_id = ds[0]
    """

    name = "vctk_092"

    def __init__(self, root: str | os.PathLike | None = None, *, mic_id: str = "mic2",
                 download: bool = False, url: str | None = None,
                 audio_ext: str = ".flac") -> None:
        if mic_id not in _MICS:
            raise ValueError(f"VCTK_092: mic_id must be one of {_MICS}, got {mic_id!r}")
        if not isinstance(audio_ext, str) or not audio_ext.startswith("."):
            raise ValueError(f"VCTK_092: audio_ext must be an extension like '.flac', "
                             f"got {audio_ext!r}")
        super().__init__(root, url=url, download=download)
        self.mic_id = mic_id
        self._audio_ext = audio_ext
        self._txt = self.extracted("VCTK-Corpus-0.92", "txt")
        self._audio = self.extracted("VCTK-Corpus-0.92", "wav48_silence_trimmed")
        self._samples: list[tuple[str, str]] = []
        for speaker in sorted(p.name for p in self._txt.iterdir() if p.is_dir()):
            audio_dir = self._audio / speaker
            recorded = {p.name for p in audio_dir.iterdir()} if audio_dir.is_dir() else set()
            for text in sorted((self._txt / speaker).glob("*.txt")):
                speaker_id, _, utterance_id = text.stem.partition("_")
                if f"{text.stem}_{mic_id}{audio_ext}" in recorded:
                    self._samples.append((speaker_id, utterance_id))

    def __len__(self) -> int:
        return len(self._samples)

    def __getitem__(self, n: int) -> tuple[torch.Tensor, int, str, str, str]:
        speaker_id, utterance_id = self._samples[n]
        stem = f"{speaker_id}_{utterance_id}"
        with open(self._txt / speaker_id / f"{stem}.txt", encoding="utf-8") as f:
            transcript = f.readline().rstrip("\r\n")
        waveform, sample_rate = self.load_audio(
            self._audio / speaker_id / f"{stem}_{self.mic_id}{self._audio_ext}")
        return waveform, sample_rate, transcript, speaker_id, utterance_id
