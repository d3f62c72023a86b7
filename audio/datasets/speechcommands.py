"""Speech Commands v0.02 (torchaudio's ``SPEECHCOMMANDS``)."""

from __future__ import annotations

import os

import torch

from ._base import AudioDataset

__all__ = ["SPEECHCOMMANDS"]

_HASH_DIVIDER = "_nohash_"
_NOISE_FOLDER = "_background_noise_"
_SUBSETS = (None, "training", "validation", "testing")


class SPEECHCOMMANDS(AudioDataset):
    """Speech Commands v0.02: 105,829 one-second 16 kHz utterances of 35 words.

    Args:
        root: the datasets root; the files are in ``root / "speech_commands"``
            (``$TRIPTYCH_HOME/datasets`` by default).
        url: ``"speech_commands_v0.02"`` or a mirror URL of ``speech_commands_v0.02.tar.gz``
            (tried first; its bytes must have the catalog's sha256). v0.01 is not offered.
        download: fetch, verify and extract the archive (2.4 GB) first.
        subset: ``None`` (every utterance), ``"validation"`` / ``"testing"`` (the files named
            in the archive's ``validation_list.txt`` / ``testing_list.txt``, in their order) or
            ``"training"`` (every utterance in neither list).

    ``ds[n]`` is ``(waveform (1, frames) float32, sample_rate, label, speaker_id,
    utterance_number)``: for ``right/988e2f9a_nohash_0.wav`` the label is ``"right"``, the
    speaker ``"988e2f9a"`` and the utterance number ``0``. The ``_background_noise_`` clips are
    not samples. Without a subset, and for ``"training"``, files are in path order.

    Example (needs the network)::

        train = SPEECHCOMMANDS("data", subset="training", download=True)
        waveform, sample_rate, label, speaker_id, utterance_number = train[0]
    """

    name = "speech_commands"

    def __init__(self, root: str | os.PathLike | None = None, *,
                 url: str = "speech_commands_v0.02", download: bool = False,
                 subset: str | None = None) -> None:
        if subset not in _SUBSETS:
            raise ValueError(f"SPEECHCOMMANDS: subset must be one of {_SUBSETS}, got {subset!r}")
        if url == "speech_commands_v0.02":
            url = "full"  # the catalog's split holding that archive
        if self._parse_url(url)[0] != "full":
            raise ValueError(f"SPEECHCOMMANDS: url must name speech_commands_v0.02.tar.gz, "
                             f"got {url!r} (the separate test-set archive has no lists)")
        super().__init__(root, url=url, download=download)
        self.subset = subset
        self._path = self.extracted("speech_commands_v0.02")
        every = sorted(p.relative_to(self._path).as_posix() for p in self._path.glob("*/*.wav"))
        every = [f for f in every if _HASH_DIVIDER in f and not f.startswith(_NOISE_FOLDER + "/")]
        if subset in ("validation", "testing"):
            self._files = self._load_list(f"{subset}_list.txt", set(every))
        elif subset == "training":
            held_out = set(self._load_list("validation_list.txt", set(every)))
            held_out.update(self._load_list("testing_list.txt", set(every)))
            self._files = [f for f in every if f not in held_out]
        else:
            self._files = every

    def _load_list(self, filename: str, present: set[str]) -> list[str]:
        path = self._path / filename
        if not path.is_file():
            raise RuntimeError(f"SPEECHCOMMANDS: {path} is missing (it comes with the archive)")
        files = [line.strip() for line in path.read_text().splitlines() if line.strip()]
        missing = [f for f in files if f not in present]
        if missing:
            raise RuntimeError(f"SPEECHCOMMANDS: {filename} names {missing[0]!r}, which is not "
                               f"an utterance in {self._path} ({len(missing)} such entries)")
        return files

    def get_metadata(self, n: int) -> tuple[str, int, str, str, int]:
        """``(relative path, sample_rate, label, speaker_id, utterance_number)`` of sample
        ``n``, without loading the audio (torchaudio's method; the rate is the corpus's
        16 kHz, not read from the file)."""
        relpath = self._files[n]
        label, filename = relpath.split("/")
        speaker_id, _, number = filename.rsplit(".", 1)[0].partition(_HASH_DIVIDER)
        return relpath, 16000, label, speaker_id, int(number)

    def __len__(self) -> int:
        return len(self._files)

    def __getitem__(self, n: int) -> tuple[torch.Tensor, int, str, str, int]:
        relpath, _, label, speaker_id, utterance_number = self.get_metadata(n)
        waveform, sample_rate = self.load_audio(self._path / relpath)
        return waveform, sample_rate, label, speaker_id, utterance_number
