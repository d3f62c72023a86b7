"""The presets against the libraries they reproduce: librosa's ``feature.melspectrogram`` and
``feature.mfcc`` defaults and torchaudio's Kaldi ``fbank``, on the fixed signals stored in
data/feature_presets.pt (made by data/make_feature_presets.py in a Python that has librosa and
torchaudio; neither is a dependency here). Within 1e-4: relative per value for the log
filterbank, relative to the largest value for the mel spectrogram and the MFCCs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from triptych.audio import functional as F
from triptych.audio import transforms as T

FIXTURE = torch.load(Path(__file__).parent / "data" / "feature_presets.pt", weights_only=True)


def assert_close_to_scale(got, expected):
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4 * float(expected.abs().max()))


def test_melspectrogram_preset_matches_librosa():
    assert_close_to_scale(T.MelSpectrogram.librosa()(FIXTURE["librosa_signal"]), FIXTURE["librosa_melspectrogram"])


def test_mfcc_preset_matches_librosa():
    assert_close_to_scale(T.MFCC.librosa()(FIXTURE["librosa_signal"]), FIXTURE["librosa_mfcc"])


def test_kaldi_fbank_matches_torchaudio_compliance():
    expected = FIXTURE["kaldi_fbank"]
    got = F.kaldi_fbank(FIXTURE["kaldi_signal"])
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=0.0)
    torch.testing.assert_close(T.KaldiFbank()(FIXTURE["kaldi_signal"][None]), expected[None], rtol=1e-4, atol=0.0)


def test_kaldi_fbank_options_and_errors():
    x = FIXTURE["kaldi_signal"]
    assert F.kaldi_fbank(x, num_mel_bins=40, frame_shift=20.0).shape == (1 + (8000 - 400) // 320, 40)
    assert F.kaldi_fbank(x[:100]).shape == (0, 23)
    linear = F.kaldi_fbank(x, use_log_fbank=False, use_power=False)
    assert (linear >= 0).all()
    with pytest.raises(ValueError, match="window_type"):
        F.kaldi_fbank(x, window_type="blackmann")
    with pytest.raises(ValueError, match="high_freq"):
        F.kaldi_fbank(x, low_freq=9000.0)
    with pytest.raises(TypeError, match="floating point"):
        F.kaldi_fbank(x.long())
    with pytest.raises(ValueError, match="window_type"):
        T.KaldiFbank(window_type="nope")
