"""Reference features for tests/audio/test_feature_presets.py, made by the libraries the presets
reproduce (librosa 0.11, torchaudio 2.9: not dependencies of triptych). Run in a Python that
has them (here the anchor venv) from the repository root:

    /work/anchor/bin/python tests/audio/data/make_feature_presets.py

It writes feature_presets.pt beside this file: two fixed signals (a tone, a chirp and seeded
noise; 0.5 s at 22.05 kHz and at 16 kHz) and, for them, ``librosa.feature.melspectrogram`` and
``librosa.feature.mfcc`` with their defaults and ``torchaudio.compliance.kaldi.fbank`` with its
defaults (on int16-scaled samples, as Kaldi reads them).
"""

from __future__ import annotations

from pathlib import Path

import librosa
import numpy as np
import torch
import torchaudio


def signal(rate: int, seconds: float, seed: int) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    noise = np.random.default_rng(seed).standard_normal(t.shape)
    x = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * (300 + 2000 * t) * t) + 0.05 * noise
    return x.astype(np.float32)


def main() -> None:
    x22, x16 = signal(22050, 0.5, 0), signal(16000, 0.5, 1)
    kaldi_in = torch.from_numpy(x16)[None] * 32768
    fixture = {
        "librosa_signal": torch.from_numpy(x22),
        "librosa_melspectrogram": torch.from_numpy(librosa.feature.melspectrogram(y=x22, sr=22050)),
        "librosa_mfcc": torch.from_numpy(librosa.feature.mfcc(y=x22, sr=22050)),
        "kaldi_signal": kaldi_in[0].clone(),
        "kaldi_fbank": torchaudio.compliance.kaldi.fbank(kaldi_in, sample_frequency=16000),
        "versions": f"librosa {librosa.__version__}, torchaudio {torchaudio.__version__}",
    }
    torch.save(fixture, Path(__file__).with_name("feature_presets.pt"))


if __name__ == "__main__":
    main()
