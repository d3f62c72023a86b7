"""``SyntheticKeywords``: a keyword-spotting set synthesised on the fly (formants, noise, tones).

Made one sample per ``__getitem__`` from ``(seed, index)`` alone (no files, nothing downloaded),
so it is the default dataset of the audio example and tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from triptych.datasets.base import Dataset, sample_index

__all__ = ["SyntheticKeywords"]

# Vowel formants (F1, F2, F3 in Hz) of an adult male voice; a speaker's vocal-tract factor
# scales them. Close pairs (o/u, e/i) keep the task from being trivial.
_VOWELS = {"a": (730, 1220, 2600), "e": (480, 1850, 2550), "i": (290, 2250, 2950),
           "o": (520, 920, 2400), "u": (320, 850, 2250)}
_BANDWIDTHS = (90.0, 120.0, 170.0)
# Consonants: (kind, noise centre Hz, noise bandwidth Hz, F2 locus Hz or None).
_CONSONANTS = {
    "b": ("plosive", 700, 900, 900), "d": ("plosive", 3600, 1800, 1750),
    "k": ("plosive", 2100, 900, 2300), "s": ("fricative", 5600, 2600, None),
    "sh": ("fricative", 2900, 1400, None), "f": ("fricative", 4000, 5000, None),
    "m": ("nasal", 1000, 0, 1000), "n": ("nasal", 1650, 0, 1650),
}
# The keywords: two consonant-vowel syllables each. Some differ only in syllable order or in
# one phoneme, so a model has to hear the whole word in order.
_KEYWORDS = {
    "badi": (("b", "a"), ("d", "i")), "diba": (("d", "i"), ("b", "a")),
    "kosu": (("k", "o"), ("s", "u")), "suko": (("s", "u"), ("k", "o")),
    "mane": (("m", "a"), ("n", "e")), "name": (("n", "a"), ("m", "e")),
    "shifu": (("sh", "i"), ("f", "u")), "fesha": (("f", "e"), ("sh", "a")),
    "dumo": (("d", "u"), ("m", "o")), "kebi": (("k", "e"), ("b", "i")),
}
SILENCE, UNKNOWN = "_silence_", "_unknown_"
_MIN_SAMPLE_RATE = 8000
_MIN_DURATION = 0.25
_MAX_HARMONIC_HZ = 5500.0


class SyntheticKeywords(Dataset):
    """Generated keyword-spotting clips: ``(waveform, label)`` samples with exact labels.

    Each keyword is two formant-synthesised consonant-vowel syllables (plosive bursts,
    fricative noise, nasal murmurs; vowel formants with transitions from the consonant) spoken
    by a random "speaker": pitch 85-260 Hz with an intonation contour, vocal-tract length
    (formants x 0.85-1.2), speaking rate (x 0.75-1.3), loudness (-26 to -3 dBFS peak) and onset,
    over background noise (white or pink, SNR 5-30 dB) and sometimes a hum or a tone.
    Like Speech Commands' usual 12-class task, :attr:`classes` starts with ``"_silence_"``
    (background only) and ``"_unknown_"`` (1 to 3 random syllables that are not one of the
    chosen keywords), then the keywords (:attr:`all_keywords`, in order).

    Every sample is drawn from ``(seed, index)`` when it is asked for: the same arguments give
    the same clip, in any order and in any DataLoader worker. Use another ``seed`` for a
    held-out set.

    Args:
        num_samples: how many samples (``len``).
        sample_rate: samples per second of the clips (>= 8000); Speech Commands' is 16000.
        duration: clip length in seconds (>= 0.25); every clip has exactly
            ``round(duration * sample_rate)`` samples (Speech Commands: 1 s clips).
        num_classes: 2 to 12: ``"_silence_"``, ``"_unknown_"`` and the first
            ``num_classes - 2`` keywords.
        seed: the samples' seed (an int >= 0).
        transform, target_transform: applied to the waveform / the label.

    Returns (``ds[i]``):
        ``(waveform, label)``: waveform float32 ``(1, T)`` (mono, channels first, in
        ``[-1, 1]``, as :func:`triptych.audio.io.load` gives a Speech Commands clip); label an
        ``int`` index into :attr:`classes` (Speech Commands gives the word itself:
        ``ds.classes[label]``). :attr:`sample_rate` holds the rate.

    Example:
        >>> ds = SyntheticKeywords(100, seed=0)
        >>> waveform, label = ds[3]
        >>> waveform.shape, waveform.dtype, ds.sample_rate
        (torch.Size([1, 16000]), torch.float32, 16000)
        >>> ds.classes[:4]
        ['_silence_', '_unknown_', 'badi', 'diba']
        >>> bool((ds[3][0] == waveform).all()), ds[3][1] == label  # deterministic
        (True, True)
    """

    name = "synthetic_keywords"
    resources: list = []
    all_keywords = tuple(_KEYWORDS)

    def __init__(self, num_samples: int = 1000, *, sample_rate: int = 16000, duration: float = 1.0,
                 num_classes: int = 12, seed: int = 0, transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        name = type(self).__name__
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 0:
            raise ValueError(f"{name}: num_samples must be an int >= 0, got {num_samples!r}")
        if (isinstance(sample_rate, bool) or not isinstance(sample_rate, int)
                or sample_rate < _MIN_SAMPLE_RATE):
            raise ValueError(f"{name}: sample_rate must be an int >= {_MIN_SAMPLE_RATE}, "
                             f"got {sample_rate!r}")
        if (isinstance(duration, bool) or not isinstance(duration, (int, float))
                or not math.isfinite(duration) or duration < _MIN_DURATION):
            raise ValueError(f"{name}: duration must be a number of seconds >= {_MIN_DURATION}, "
                             f"got {duration!r}")
        total = 2 + len(_KEYWORDS)
        if (isinstance(num_classes, bool) or not isinstance(num_classes, int)
                or not 2 <= num_classes <= total):
            raise ValueError(f"{name}: num_classes must be an int in [2, {total}], "
                             f"got {num_classes!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"{name}: seed must be an int >= 0, got {seed!r}")
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.num_samples = num_samples
        self.sample_rate = sample_rate
        self.duration = float(duration)
        self.num_frames = round(self.duration * sample_rate)
        self.seed = seed
        self.classes = [SILENCE, UNKNOWN, *list(_KEYWORDS)[:num_classes - 2]]

    def __len__(self) -> int:
        return self.num_samples

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        index = sample_index(index, self.num_samples, type(self).__name__)
        rng = np.random.default_rng((self.seed, index))
        label = int(rng.integers(len(self.classes)))
        waveform = torch.from_numpy(self._clip(rng, self.classes[label]))[None]
        return self.apply_transforms(waveform, label)

    def extra_repr(self) -> str:
        return (f"sample_rate={self.sample_rate}, duration={self.duration}, "
                f"classes={len(self.classes)}, seed={self.seed}")

    # -- synthesis -----------------------------------------------------------------------------
    def _clip(self, rng: np.random.Generator, word: str) -> np.ndarray:
        n, sr = self.num_frames, self.sample_rate
        speech = np.zeros(n, dtype=np.float64)
        if word != SILENCE:
            if word == UNKNOWN:
                syllables = self._unknown_word(rng)
            else:
                syllables = list(_KEYWORDS[word])
            voice = _Speaker(rng, sr)
            utterance = voice.say(rng, syllables)
            limit = int(0.95 * n)
            if len(utterance) > limit:  # a short clip: speak faster rather than cut the word
                voice.rate *= len(utterance) / limit
                utterance = voice.say(rng, syllables)[:limit]
            start = int(rng.integers(0, n - len(utterance) + 1))
            peak = 10 ** (rng.uniform(-26, -3) / 20)
            speech[start:start + len(utterance)] = utterance * (peak / np.abs(utterance).max())
        background = self._background(rng, n, sr)
        if word == SILENCE:
            clip = background * 10 ** (rng.uniform(-40, -15) / 20)
        else:
            snr_db = rng.uniform(5, 30)
            gain = math.sqrt(np.mean(speech ** 2) / np.mean(background ** 2)) * 10 ** (-snr_db / 20)
            clip = speech + gain * background
        return np.clip(clip, -1.0, 1.0).astype(np.float32)

    def _unknown_word(self, rng: np.random.Generator) -> list[tuple[str, str]]:
        chosen = {_KEYWORDS[k] for k in self.classes[2:]}
        consonants, vowels = list(_CONSONANTS), list(_VOWELS)
        while True:
            count = int(rng.integers(1, 4))
            word = tuple((consonants[int(rng.integers(len(consonants)))],
                          vowels[int(rng.integers(len(vowels)))]) for _ in range(count))
            if word not in chosen:
                return list(word)

    @staticmethod
    def _background(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
        noise = rng.standard_normal(n)
        if rng.random() < 0.5:  # pink: 1/f power
            spectrum = np.fft.rfft(noise)
            freqs = np.fft.rfftfreq(n, 1 / sr)
            spectrum /= np.sqrt(np.maximum(freqs, 20.0) / 20.0)
            noise = np.fft.irfft(spectrum, n)
        noise /= np.sqrt(np.mean(noise ** 2)) + 1e-12
        t = np.arange(n) / sr
        kind = rng.random()
        if kind < 0.2:  # mains hum and its harmonics
            base = 50.0 if rng.random() < 0.5 else 60.0
            hum = sum(np.sin(2 * np.pi * base * h * t + rng.uniform(0, 2 * np.pi)) / h
                      for h in (1, 2, 3))
            noise += rng.uniform(0.5, 2.0) * hum
        elif kind < 0.4:  # a steady or gliding tone
            f0, f1 = rng.uniform(200, min(3000, 0.4 * sr), 2)
            phase = 2 * np.pi * np.cumsum(np.linspace(f0, f1, n)) / sr
            noise += rng.uniform(0.3, 1.5) * np.sin(phase)
        return noise


class _Speaker:
    """One random voice: pitch, intonation, vocal-tract length, speaking rate."""

    def __init__(self, rng: np.random.Generator, sample_rate: int) -> None:
        self.sr = sample_rate
        self.f0 = math.exp(rng.uniform(math.log(85), math.log(260)))
        self.tract = rng.uniform(0.85, 1.2)
        self.rate = rng.uniform(0.75, 1.3)
        self.contour = rng.uniform(-0.2, 0.15)  # relative pitch change over the word
        self.breath = rng.uniform(0.005, 0.03)  # aspiration noise in the voicing

    def seconds(self, rng: np.random.Generator, low: float, high: float) -> int:
        return max(int(rng.uniform(low, high) / self.rate * self.sr), 8)

    def say(self, rng: np.random.Generator, syllables: list[tuple[str, str]]) -> np.ndarray:
        parts = []
        for i, (consonant, vowel) in enumerate(syllables):
            kind, centre, width, locus = _CONSONANTS[consonant]
            if kind == "plosive":
                parts.append(np.zeros(self.seconds(rng, 0.025, 0.05)))  # closure
                parts.append(self.noise(rng, self.seconds(rng, 0.008, 0.025), centre, width, 1.0))
            elif kind == "fricative":
                length = self.seconds(rng, 0.07, 0.13)
                parts.append(self.noise(rng, length, centre, width, 0.6 if consonant == "f" else 1.0))
            else:  # nasal: a low, weak voiced murmur
                formants = (260.0, float(centre), 2500.0)
                parts.append(0.35 * self.voiced(rng, self.seconds(rng, 0.05, 0.08),
                                                formants, formants, i / len(syllables)))
            target = _VOWELS[vowel]
            start = (target[0] * 0.6, float(locus), target[2]) if locus else target
            parts.append(self.voiced(rng, self.seconds(rng, 0.12, 0.19), start, target,
                                     (i + 0.5) / len(syllables)))
        return np.concatenate(parts)

    def noise(self, rng: np.random.Generator, n: int, centre: float, width: float,
              level: float) -> np.ndarray:
        spectrum = np.fft.rfft(rng.standard_normal(n))
        freqs = np.fft.rfftfreq(n, 1 / self.sr)
        centre = min(centre * self.tract, 0.42 * self.sr)
        spectrum *= np.exp(-0.5 * ((freqs - centre) / (width / 2)) ** 2)
        out = np.fft.irfft(spectrum, n)
        out *= level / (np.abs(out).max() + 1e-12) * _ramp(n, max(n // 5, 1))
        return out

    def voiced(self, rng: np.random.Generator, n: int, start: tuple, target: tuple,
               position: float) -> np.ndarray:
        """A glottal source at the speaker's pitch through formants gliding from ``start`` to
        ``target`` (filtered frame by frame: short-time Fourier, overlap-add)."""
        t = np.arange(n) / n
        f0 = self.f0 * (1 + self.contour * (position + 0.3 * (t - 0.5)))
        f0 *= 1 + 0.01 * np.sin(2 * np.pi * rng.uniform(4, 7) * t * n / self.sr
                                + rng.uniform(0, 2 * np.pi))
        cycles = np.cumsum(f0) / self.sr + rng.uniform()
        source = 2 * (cycles % 1.0) - 1  # a sawtooth: harmonics falling 6 dB per octave
        source += self.breath * rng.standard_normal(n)
        size = 1 << max(int(0.032 * self.sr).bit_length() - 1, 6)  # about 32 ms
        hop = size // 4
        count = -(-(n + size) // hop)
        padded = np.zeros((count - 1) * hop + size)
        padded[size - hop:size - hop + n] = source
        window = np.hanning(size + 1)[:-1]
        frames = np.lib.stride_tricks.sliding_window_view(padded, size)[::hop] * window
        centres = np.clip((np.arange(len(frames)) * hop + size / 2 - (size - hop)) / n, 0.0, 1.0)
        glide = np.minimum(centres / 0.35, 1.0)[:, None]
        formants = (np.asarray(start) * (1 - glide) + np.asarray(target) * glide) * self.tract
        freqs = np.fft.rfftfreq(size, 1 / self.sr)[None, :]
        envelope = np.zeros((len(frames), freqs.shape[1]))
        for j, bandwidth in enumerate(_BANDWIDTHS):
            envelope += 1.0 / (1.0 + ((freqs - formants[:, j:j + 1]) / (bandwidth / 2)) ** 2) / (j + 1)
        envelope[:, freqs[0] > min(_MAX_HARMONIC_HZ, 0.45 * self.sr)] = 0.0
        shaped = np.fft.irfft(np.fft.rfft(frames, axis=1) * envelope, size, axis=1) * window
        out = np.zeros_like(padded)
        for i, frame in enumerate(shaped):
            out[i * hop:i * hop + size] += frame
        out = out[size - hop:size - hop + n]
        return out * _ramp(n, max(n // 8, 1))


def _ramp(n: int, edge: int) -> np.ndarray:
    """1 in the middle, raised-cosine fades of ``edge`` samples at both ends."""
    window = np.ones(n)
    fade = 0.5 - 0.5 * np.cos(np.pi * np.arange(edge) / edge)
    window[:edge] *= fade
    window[n - edge:] *= fade[::-1]
    return window
