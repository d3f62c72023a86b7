"""The resampler's quality, measured with pure tones (the figures the docs promise):
``quality="hq"`` is flat within +-0.1 dB up to 90 % of the lower Nyquist frequency and
attenuates every tone above the new Nyquist frequency by >= 100 dB; torchaudio's filter
(``quality="fast"``) does neither, which the same measurement shows."""

from __future__ import annotations

import math

import pytest
import torch

from triptych.audio.functional import resample

RATES = [(44100, 16000), (48000, 16000), (22050, 16000), (16000, 44100), (16000, 48000)]


def tones(orig, frequencies):
    t = torch.arange(orig, dtype=torch.float64) / orig  # one second
    phases = torch.rand(len(frequencies), 1, dtype=torch.float64) * 2 * math.pi
    return torch.sin(2 * math.pi * frequencies[:, None] * t + phases)


def middle(y):
    return y[:, y.shape[-1] // 8: -y.shape[-1] // 8]


def tone_gains_db(orig, new, frequencies, quality):
    """Output RMS over input RMS (dB) for each tone, away from the signal's ends (float64):
    for tones above the new Nyquist frequency, whatever folds back."""
    y = middle(resample(tones(orig, frequencies), orig, new, quality=quality))
    return 20 * torch.log10(y.pow(2).mean(-1).sqrt() / math.sqrt(0.5))


def passband_gains_db(orig, new, frequencies, quality):
    """Amplitude of each tone after resampling (dB re its input amplitude 1), from a least-squares
    fit of a sine and cosine at its frequency: exact for any number of periods."""
    y = resample(tones(orig, frequencies), orig, new, quality=quality)
    t = torch.arange(y.shape[-1], dtype=torch.float64) / new
    y, t = middle(y), middle(t[None])[0]
    gains = []
    for row, f in zip(y, frequencies.tolist()):
        basis = torch.stack([torch.sin(2 * math.pi * f * t), torch.cos(2 * math.pi * f * t)], 1)
        coef = torch.linalg.lstsq(basis, row[:, None]).solution
        gains.append(20 * math.log10(float(coef.norm())))
    return torch.tensor(gains, dtype=torch.float64)


def passband(orig, new):
    return torch.cat([torch.linspace(20, 0.9 * min(orig, new) / 2, 30, dtype=torch.float64),
                      torch.rand(10, dtype=torch.float64) * 0.9 * min(orig, new) / 2])


def stopband(orig, new):
    """Tones from the new Nyquist frequency to the old one (downsampling only)."""
    edge = torch.tensor([new / 2, new / 2 + 1.0, 8500.0 if new == 16000 else new / 2 * 1.06], dtype=torch.float64)
    return torch.cat([edge, new / 2 + torch.rand(30, dtype=torch.float64) * (orig / 2 - new / 2) * 0.999])


@pytest.mark.parametrize(("orig", "new"), RATES)
def test_hq_passband_is_flat_within_a_tenth_of_a_db(orig, new):
    gains = passband_gains_db(orig, new, passband(orig, new), "hq")
    assert gains.abs().max() <= 0.1, f"{gains.abs().max():.3f} dB"


@pytest.mark.parametrize(("orig", "new"), [r for r in RATES if r[1] < r[0]])
def test_hq_attenuates_everything_above_the_new_nyquist_by_100_db(orig, new):
    gains = tone_gains_db(orig, new, stopband(orig, new), "hq")
    assert gains.max() <= -100, f"{gains.max():.1f} dB"


def test_upsampling_leaves_no_images_above_the_old_nyquist():
    orig, new = 16000, 48000
    t = torch.arange(orig, dtype=torch.float64) / orig
    y = resample(torch.sin(2 * math.pi * 7000 * t), orig, new)[4000:-4000]
    spectrum = torch.fft.rfft(y * torch.kaiser_window(len(y), periodic=False, beta=20.0, dtype=torch.float64)).abs()
    freqs = torch.fft.rfftfreq(len(y), 1 / new)
    peak = spectrum.max()
    assert 20 * torch.log10(spectrum[freqs > orig / 2].max() / peak) <= -100


def test_torchaudio_filter_fails_the_same_measurement():
    # 44.1 kHz -> 16 kHz, a tone at 8.5 kHz: torchaudio's default lets it alias back loudly
    assert tone_gains_db(44100, 16000, torch.tensor([8500.0], dtype=torch.float64), "fast").item() > -20
    assert passband_gains_db(44100, 16000, passband(44100, 16000), "fast").abs().max() > 0.1
