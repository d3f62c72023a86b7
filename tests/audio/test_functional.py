"""triptych.audio.functional against the formulas that define each operation.

References are written out here (explicit DFTs, loops over the difference equation, the
band-limited interpolation sum) or are properties the operation must have (a -3 dB point, a
partition of unity, an orthonormal matrix). Inputs are drawn fresh each run.
"""

from __future__ import annotations

import math

import pytest
import torch

from triptych.audio import functional as F
from triptych.audio import transforms as T

# ------------------------------------------------------------------------- spectrogram


def dft_spectrogram(x, n_fft, hop, window, center=True, power=2.0, normalized=False):
    """Frames, window, an explicit DFT matrix: the definition of a one-sided STFT (float64)."""
    x = x.double()
    if center:
        shape = x.shape
        x = torch.nn.functional.pad(x.reshape(-1, shape[-1]), (n_fft // 2, n_fft // 2), mode="reflect")
        x = x.reshape(shape[:-1] + x.shape[-1:])
    w = window.double()
    left = (n_fft - len(w)) // 2
    w = torch.nn.functional.pad(w, (left, n_fft - len(w) - left))
    frames = x.unfold(-1, n_fft, hop) * w                       # (..., frames, n_fft)
    k = torch.arange(n_fft // 2 + 1, dtype=torch.float64)[:, None]
    n = torch.arange(n_fft, dtype=torch.float64)[None]
    basis = torch.exp(-2j * math.pi * k * n / n_fft)           # (freq, n_fft)
    spec = (frames.to(torch.complex128) @ basis.T).transpose(-1, -2)
    if normalized:
        spec = spec / window.double().pow(2).sum().sqrt()
    return spec if power is None else spec.abs().pow(power)


@pytest.mark.parametrize("power", [2.0, 1.0, None, 0.5])
@pytest.mark.parametrize("normalized", [False, True])
def test_spectrogram_is_the_windowed_dft(power, normalized):
    x = torch.randn(2, 3, int(torch.randint(600, 900, ())), dtype=torch.float64)
    n_fft, win, hop = 256, 200, int(torch.randint(50, 130, ()))
    window = torch.hann_window(win, dtype=torch.float64)
    ours = F.spectrogram(x, n_fft=n_fft, win_length=win, hop_length=hop, power=power, normalized=normalized)
    expected = dft_spectrogram(x, n_fft, hop, window, power=power, normalized=normalized)
    torch.testing.assert_close(ours, expected, rtol=1e-9, atol=1e-9)


def test_spectrogram_defaults_and_pad():
    x = torch.randn(1000)
    ours = F.spectrogram(x, n_fft=128, pad=7, center=False)
    padded = torch.nn.functional.pad(x, (7, 7))
    expected = dft_spectrogram(padded, 128, 64, torch.hann_window(128, dtype=torch.float64), center=False)
    torch.testing.assert_close(ours.double(), expected, rtol=1e-4, atol=1e-4)


def test_inverse_spectrogram_inverts():
    x = torch.randn(3, 2, 1234, dtype=torch.float64)
    for kwargs in ({}, {"normalized": True, "pad": 5}, {"hop_length": 100, "win_length": 300}):
        spec = F.spectrogram(x, power=None, **kwargs)
        torch.testing.assert_close(F.inverse_spectrogram(spec, length=1234, **kwargs), x)


def test_spectrogram_bad_arguments():
    with pytest.raises(ValueError, match="win_length"):
        F.spectrogram(torch.randn(100), n_fft=64, win_length=128)
    with pytest.raises(ValueError, match="window"):
        F.spectrogram(torch.randn(100), n_fft=64, window=torch.ones(10))
    with pytest.raises(ValueError, match="normalized"):
        F.spectrogram(torch.randn(100), n_fft=64, normalized="yes")
    with pytest.raises(ValueError, match="complex"):
        F.inverse_spectrogram(torch.rand(33, 5), n_fft=64)


# ------------------------------------------------------------------------- mel


def test_mel_scales_hit_their_anchor_points():
    assert F._hz_to_mel(1000.0, "htk") == pytest.approx(1000.0, abs=0.02)
    assert F._hz_to_mel(700.0, "htk") == pytest.approx(2595 * math.log10(2))
    assert F._hz_to_mel(500.0, "slaney") == pytest.approx(7.5)       # linear: 3 mels per 200 Hz
    assert F._hz_to_mel(6400.0, "slaney") == pytest.approx(42.0)     # 15 + 27 per factor 6.4
    mels = torch.rand(100, dtype=torch.float64) * 60
    for scale in ("htk", "slaney"):
        back = torch.tensor([F._hz_to_mel(float(f), scale) for f in F._mel_to_hz(mels, scale)],
                            dtype=torch.float64)
        torch.testing.assert_close(back, mels)


@pytest.mark.parametrize("mel_scale", ["htk", "slaney"])
def test_mel_filters_are_triangles_forming_a_partition_of_unity(mel_scale):
    sample_rate, n_freqs, n_mels = 16000, 513, 40
    fb = F.melscale_fbanks(n_freqs, f_min=0.0, f_max=8000.0, n_mels=n_mels, sample_rate=sample_rate,
                           mel_scale=mel_scale)
    assert fb.shape == (n_freqs, n_mels) and fb.min() >= 0 and fb.max() <= 1
    freqs = torch.linspace(0, 8000, n_freqs)
    centers = F._mel_to_hz(torch.linspace(F._hz_to_mel(0.0, mel_scale), F._hz_to_mel(8000.0, mel_scale),
                                          n_mels + 2), mel_scale)
    inside = (freqs >= centers[1]) & (freqs <= centers[-2])
    torch.testing.assert_close(fb[inside].sum(1), torch.ones(int(inside.sum())), rtol=0, atol=1e-5)
    # each filter is zero outside (its left neighbour's centre, its right neighbour's centre)
    for m in range(n_mels):
        outside = (freqs <= centers[m]) | (freqs >= centers[m + 2])
        assert fb[outside, m].abs().max() <= 1e-6


def test_slaney_norm_gives_each_filter_unit_area():
    n_freqs = 4097  # fine grid: the sum approximates the integral
    fb = F.melscale_fbanks(n_freqs, f_min=100.0, f_max=7000.0, n_mels=20, sample_rate=16000,
                           norm="slaney", mel_scale="slaney")
    bin_hz = 8000 / (n_freqs - 1)
    torch.testing.assert_close(fb.sum(0) * bin_hz, torch.ones(20), rtol=2e-3, atol=0)


def test_melscale_fbanks_uses_integer_nyquist_and_warns_on_empty_filters():
    fb = F.melscale_fbanks(3, f_min=0.0, f_max=5.0, n_mels=2, sample_rate=11, mel_scale="htk")
    assert fb.shape == (3, 2)  # bins at 0, 2.5, 5 Hz (11 // 2)
    with pytest.warns(UserWarning, match="all zero"):
        F.melscale_fbanks(11, f_min=0.0, f_max=8000.0, n_mels=128, sample_rate=16000)
    with pytest.raises(ValueError, match="norm"):
        F.melscale_fbanks(11, f_min=0.0, f_max=8000.0, n_mels=4, sample_rate=16000, norm="htk")


def test_create_dct():
    n_mfcc, n_mels = 13, 40
    ortho = F.create_dct(n_mfcc, n_mels, "ortho").double()
    torch.testing.assert_close(ortho.T @ ortho, torch.eye(n_mfcc, dtype=torch.float64), atol=1e-6, rtol=0)
    plain = F.create_dct(n_mfcc, n_mels, None).double()
    n = torch.arange(n_mels, dtype=torch.float64)[:, None]
    k = torch.arange(n_mfcc, dtype=torch.float64)[None]
    torch.testing.assert_close(plain, 2 * torch.cos(math.pi / n_mels * (n + 0.5) * k), atol=1e-5, rtol=0)


def test_amplitude_to_db_floors_each_spectrogram_separately():
    x = torch.rand(3, 2, 10, 20) * torch.tensor([1.0, 1e-3, 1e3])[:, None, None, None]
    db = F.amplitude_to_DB(x, multiplier=10.0, amin=1e-10, db_multiplier=0.0, top_db=30.0)
    raw = 10 * torch.log10(x.clamp(min=1e-10))
    for i in range(3):
        torch.testing.assert_close(db[i], raw[i].clamp(min=raw[i].max() - 30.0))
    torch.testing.assert_close(F.DB_to_amplitude(raw, ref=1.0, power=1.0), x.clamp(min=1e-10), rtol=1e-4, atol=0)


def test_compute_deltas_matches_the_regression_formula():
    x = torch.randn(2, 5, 30, dtype=torch.float64)
    for win in (3, 5, 9):
        n = (win - 1) // 2
        padded = torch.cat([x[..., :1].expand(2, 5, n), x, x[..., -1:].expand(2, 5, n)], -1)
        expected = sum(k * (padded[..., n + k:n + k + 30] - padded[..., n - k:n - k + 30])
                       for k in range(1, n + 1)) / (2 * sum(k * k for k in range(1, n + 1)))
        torch.testing.assert_close(F.compute_deltas(x, win_length=win), expected)


# ------------------------------------------------------------------------- simple ops


def test_mu_law():
    x = torch.rand(1000) * 2 - 1
    encoded = F.mu_law_encoding(x, 256)
    mu = 255.0
    expected = ((torch.sign(x) * torch.log1p(mu * x.abs()) / math.log1p(mu) + 1) / 2 * mu + 0.5).long()
    assert torch.equal(encoded, expected) and encoded.min() >= 0 and encoded.max() <= 255
    decoded = F.mu_law_decoding(encoded, 256)
    assert (decoded - x).abs().max() < 0.04  # 8-bit mu-law: coarsest step near +-1


def test_preemphasis_and_deemphasis():
    x = torch.rand(3, 500) - 0.5
    pre = F.preemphasis(x, coeff=0.9)
    torch.testing.assert_close(pre[..., 1:], x[..., 1:] - 0.9 * x[..., :-1])
    torch.testing.assert_close(pre[..., 0], x[..., 0])
    torch.testing.assert_close(F.deemphasis(pre, coeff=0.9), x, atol=1e-5, rtol=0)


def test_add_noise_respects_lengths():
    x, noise = torch.randn(3, 100), torch.randn(3, 100)
    lengths = torch.tensor([100, 50, 10])
    y = F.add_noise(x, noise, torch.tensor([0.0, 5.0, 10.0]), lengths)
    for i, n in enumerate(lengths.tolist()):
        snr = 10 * torch.log10(x[i, :n].pow(2).sum() / (y[i, :n] - x[i, :n]).pow(2).sum())
        assert snr.item() == pytest.approx([0.0, 5.0, 10.0][i], abs=1e-3)
    with pytest.raises(ValueError, match="leading dimensions"):
        F.add_noise(x, noise, torch.tensor(1.0))


# ------------------------------------------------------------------------- resample


def interpolation_sum(x, orig, new, width=6, rolloff=0.99):
    """y[j] = sum_i x[i] k(i/orig - j/new): the windowed-sinc interpolation, directly."""
    g = math.gcd(orig, new)
    orig, new = orig // g, new // g
    base = min(orig, new) * rolloff
    out_len = math.ceil(new * x.shape[-1] / orig)
    i = torch.arange(x.shape[-1], dtype=torch.float64)[None]
    j = torch.arange(out_len, dtype=torch.float64)[:, None]
    u = (i / orig - j / new) * base
    kern = torch.where(u == 0, torch.ones_like(u), torch.sin(math.pi * u) / (math.pi * u))
    kern = kern * torch.cos(math.pi * u / width / 2) ** 2 * (base / orig)
    kern = torch.where(u.abs() >= width, torch.zeros_like(u), kern)
    return x.double() @ kern.T


@pytest.mark.parametrize(("orig", "new"), [(10, 6), (6, 10), (44100, 16000), (48000, 16000), (4, 1)])
def test_resample_is_the_interpolation_sum(orig, new):  # both CPU paths: phases > 1 and decimation
    frames = 441 if orig > 1000 else 50
    x = torch.randn(2, frames, dtype=torch.float64)
    torch.testing.assert_close(F.resample(x, orig, new, quality="fast"), interpolation_sum(x, orig, new),
                               rtol=1e-9, atol=1e-9)


def test_resample_keeps_a_low_tone():
    t_in = torch.arange(48000, dtype=torch.float64) / 48000
    t_out = torch.arange(16000, dtype=torch.float64) / 16000
    y = F.resample(torch.sin(2 * math.pi * 1000 * t_in), 48000, 16000)
    torch.testing.assert_close(y[200:-200], torch.sin(2 * math.pi * 1000 * t_out)[200:-200], atol=2e-3, rtol=0)


def test_hq_cascade_halves_first_and_matches_one_stage_in_the_passband(seeded_generator):
    stages = F._resampling_stages(44100, 16000, "hq", None, None, None, None)
    assert [(o, n) for o, n, _, _ in stages][-1] == (441, 320)  # 22.05 k -> 16 k after one halving
    assert len(stages) == 2 and len(F._resampling_stages(44100, 16000, "hq", 64, None, None, None)) == 1
    # band-limited noise (below 6 kHz): both filters are flat there, the outputs agree
    x = torch.randn(2, 44100, generator=seeded_generator, dtype=torch.float64)
    spectrum = torch.fft.rfft(x)
    spectrum[:, 6000:] = 0
    x = torch.fft.irfft(spectrum, n=44100)
    one_stage = F.resample(x, 44100, 16000, lowpass_filter_width=64)  # an option given: one stage
    cascade = F.resample(x, 44100, 16000)
    assert cascade.shape == one_stage.shape == (2, 16000)
    middle = slice(1000, -1000)
    assert (cascade - one_stage)[:, middle].abs().max() < 1e-3 * one_stage[:, middle].abs().max()
    assert "kernel_0" in T.Resample(44100, 16000).state_dict()


def test_resample_arguments():
    x = torch.randn(100)
    assert F.resample(x, 8000, 8000) is x
    with pytest.raises(ValueError, match="orig_freq"):
        F.resample(x, 0, 8000)
    with pytest.raises(ValueError, match="new_freq"):
        F.resample(x, 8000, 441.5)
    with pytest.raises(TypeError, match="floating"):
        F.resample(torch.zeros(10, dtype=torch.int16), 2, 1)
    with pytest.raises(ValueError, match="quality"):
        F.resample(x, 2, 1, quality="best")
    with pytest.raises(ValueError, match="rolloff"):
        F.resample(x, 2, 1, rolloff=1.5)


# ------------------------------------------------------------------------- lfilter and biquads


def difference_equation(x, a, b):
    """a0 y[n] = sum_k b_k x[n-k] - sum_{k>=1} a_k y[n-k], one sample at a time (float64)."""
    x, a, b = x.double(), a.double(), b.double()
    y = torch.zeros_like(x)
    for n in range(x.shape[-1]):
        acc = sum(b[..., k, None] * x[..., n - k:n - k + 1] for k in range(a.shape[-1]) if n >= k)
        acc = acc - sum(a[..., k, None] * y[..., n - k:n - k + 1] for k in range(1, a.shape[-1]) if n >= k)
        y[..., n:n + 1] = acc / a[..., :1]
    return y


def stable_coefficients(order, filters=None):
    shape = () if filters is None else (filters,)
    poles = torch.rand(*shape, order, dtype=torch.float64) * 1.9 - 0.95
    a = torch.ones(*shape, 1, dtype=torch.float64)
    for k in range(order):  # multiply out prod (1 - p z^-1)
        a = torch.cat([a, torch.zeros(*shape, 1, dtype=torch.float64)], -1)
        a = a - poles[..., k:k + 1] * torch.cat([torch.zeros(*shape, 1, dtype=torch.float64), a[..., :-1]], -1)
    gain = torch.rand(*shape, 1, dtype=torch.float64) + 0.5
    return a * gain, torch.randn(*shape, order + 1, dtype=torch.float64)


@pytest.mark.parametrize("order", [0, 1, 2, 4])
@pytest.mark.parametrize("length", [1, 37, 300])
def test_lfilter_is_the_difference_equation(order, length):
    x = torch.randn(2, 3, length, dtype=torch.float64)
    a, b = stable_coefficients(order)
    torch.testing.assert_close(F.lfilter(x, a, b, clamp=False), difference_equation(x, a, b))
    clamped = F.lfilter(x, a, b)
    torch.testing.assert_close(clamped, difference_equation(x, a, b).clamp(-1, 1))


def test_lfilter_batched_coefficients():
    x = torch.randn(2, 3, 200, dtype=torch.float64)
    a, b = stable_coefficients(2, filters=3)
    ours = F.lfilter(x, a, b, clamp=False)
    for c in range(3):
        torch.testing.assert_close(ours[:, c], difference_equation(x[:, c], a[c], b[c]))
    every = F.lfilter(x[:, 0], a, b, clamp=False, batching=False)  # every filter on each input
    assert every.shape == (2, 3, 200)
    for c in range(3):
        torch.testing.assert_close(every[:, c], difference_equation(x[:, 0], a[c], b[c]))
    with pytest.raises(ValueError, match="batching"):
        F.lfilter(torch.randn(2, 4, 10), a, b)
    with pytest.raises(ValueError, match="same shape"):
        F.lfilter(x, a, b[..., :2])
    with pytest.raises(ValueError, match="zero"):
        F.lfilter(x, torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.0]))


def test_filtfilt_is_forward_then_time_reversed():
    x = torch.rand(2, 3, 200, dtype=torch.float64) - 0.5
    a, b = stable_coefficients(2)
    forward = difference_equation(x, a, b)
    expected = difference_equation(forward.flip(-1), a, b).flip(-1)
    torch.testing.assert_close(F.filtfilt(x, a, b, clamp=False), expected)
    torch.testing.assert_close(F.filtfilt(x, a, b), expected.clamp(-1, 1))


def test_lfilter_gradients():
    x = torch.randn(2, 40, dtype=torch.float64, requires_grad=True)
    a, b = stable_coefficients(2)
    a.requires_grad_(True)
    b.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x, a, b: F.lfilter(x, a, b, clamp=False), (x, a, b))


def steady_state_gain_db(filter_fn, frequency, sample_rate=16000):
    t = torch.arange(2**14, dtype=torch.float64) / sample_rate
    x = 0.1 * torch.sin(2 * math.pi * frequency * t)
    y = filter_fn(x)
    tail = slice(2**13, None)
    return 20 * math.log10(y[tail].pow(2).mean().sqrt() / x[tail].pow(2).mean().sqrt())


def test_biquads_have_their_designed_responses():
    sr = 16000
    assert steady_state_gain_db(lambda x: F.lowpass_biquad(x, sr, 1000.0), 1000) == pytest.approx(-3.01, abs=0.05)
    assert steady_state_gain_db(lambda x: F.lowpass_biquad(x, sr, 1000.0), 100) == pytest.approx(0, abs=0.05)
    assert steady_state_gain_db(lambda x: F.lowpass_biquad(x, sr, 1000.0), 6000) < -25
    assert steady_state_gain_db(lambda x: F.highpass_biquad(x, sr, 1000.0), 1000) == pytest.approx(-3.01, abs=0.05)
    assert steady_state_gain_db(lambda x: F.highpass_biquad(x, sr, 1000.0), 100) < -35
    assert steady_state_gain_db(lambda x: F.bandpass_biquad(x, sr, 2000.0, 2.0), 2000) == pytest.approx(0, abs=0.05)
    skirt = steady_state_gain_db(lambda x: F.bandpass_biquad(x, sr, 2000.0, 2.0, const_skirt_gain=True), 2000)
    assert skirt == pytest.approx(20 * math.log10(2.0), abs=0.05)  # peak gain Q
    assert steady_state_gain_db(lambda x: F.bandreject_biquad(x, sr, 2000.0, 2.0), 2000) < -40
    for f in (100, 2000, 7000):
        assert steady_state_gain_db(lambda x: F.allpass_biquad(x, sr, 2000.0), f) == pytest.approx(0, abs=0.05)
    assert steady_state_gain_db(lambda x: F.equalizer_biquad(x, sr, 3000.0, 6.0, 1.0), 3000) == pytest.approx(6, abs=0.05)
    assert steady_state_gain_db(lambda x: F.equalizer_biquad(x, sr, 3000.0, -9.0, 1.0), 3000) == pytest.approx(-9, abs=0.05)
    assert steady_state_gain_db(lambda x: F.bass_biquad(x, sr, 6.0, 300), 20) == pytest.approx(6, abs=0.1)
    assert steady_state_gain_db(lambda x: F.bass_biquad(x, sr, 6.0, 300), 6000) == pytest.approx(0, abs=0.1)
    assert steady_state_gain_db(lambda x: F.treble_biquad(x, sr, -6.0, 2000), 7900) == pytest.approx(-6, abs=0.1)
    assert steady_state_gain_db(lambda x: F.treble_biquad(x, sr, -6.0, 2000), 50) == pytest.approx(0, abs=0.1)


def test_biquad_arguments():
    with pytest.raises(ValueError, match="Q"):
        F.lowpass_biquad(torch.zeros(10), 16000, 100.0, Q=0)
    with pytest.raises(ValueError, match="sample_rate"):
        F.highpass_biquad(torch.zeros(10), 0, 100.0)


# ------------------------------------------------------------------------- masking


def masked_spans(out, axis):
    """(start, end) of the zeroed span along ``axis`` of each spectrogram (input was all ones)."""
    zero = (out == 0).all(dim=-1 if axis == -2 else -2)  # (..., axis length)
    spans = []
    for row in zero.reshape(-1, zero.shape[-1]):
        idx = row.nonzero().flatten()
        if len(idx):
            assert torch.equal(idx, torch.arange(idx[0], idx[-1] + 1))  # one contiguous span
            spans.append((int(idx[0]), int(idx[-1]) + 1))
        else:
            spans.append((0, 0))
    return spans


def test_iid_masks_differ_per_spectrogram_and_respect_the_bound():
    g = torch.Generator().manual_seed(int(torch.randint(0, 2**31, ())))
    x = torch.ones(64, 2, 40, 50)
    out = F.mask_along_axis_iid(x, 20, 0.0, 2, generator=g)
    spans = masked_spans(out, -2)
    assert all(end - start < 20 and 0 <= start and end <= 40 for start, end in spans)
    assert len(set(spans)) > 10  # drawn per spectrogram
    g2 = torch.Generator().manual_seed(g.initial_seed())
    assert torch.equal(F.mask_along_axis_iid(x, 20, 0.0, 2, generator=g2), out)  # reproducible


def test_shared_mask_is_the_same_everywhere_and_p_caps_it():
    x = torch.ones(8, 30, 100)
    out = F.mask_along_axis(x, 80, 0.0, 2, p=0.1)
    spans = masked_spans(out, -1)
    assert len(set(spans)) == 1 and spans[0][1] - spans[0][0] <= 10
    with pytest.raises(ValueError, match="axis"):
        F.mask_along_axis_iid(x, 5, 0.0, 0)
    with pytest.raises(ValueError, match="p must"):
        F.mask_along_axis(x, 5, 0.0, 1, p=2.0)


# ------------------------------------------------------------------- griffinlim, speed


def _spectral_error(x, y, n_fft):
    mx, my = (F.spectrogram(v, n_fft=n_fft, power=1.0) for v in (x, y))
    return float((mx - my).norm() / mx.norm())


def test_griffinlim_recovers_a_signal_with_the_same_magnitudes():
    t = torch.arange(8000, dtype=torch.float64) / 8000
    x = torch.sin(2 * math.pi * 440 * t) + 0.5 * torch.sin(2 * math.pi * 1250 * t * (1 + t))
    spec = F.spectrogram(x, n_fft=256, power=2.0)
    g = torch.Generator().manual_seed(0)
    once = F.griffinlim(spec, n_fft=256, n_iter=1, length=8000, generator=g)
    many = F.griffinlim(spec, n_fft=256, n_iter=64, length=8000, generator=g)
    assert many.shape == x.shape
    assert _spectral_error(x, many, 256) < 0.1 < _spectral_error(x, once, 256)


def test_griffinlim_without_momentum_is_the_original_iteration():
    x = torch.randn(2, 1000, dtype=torch.float64)
    mag = F.spectrogram(x, n_fft=128, power=1.0)
    window = torch.hann_window(128, dtype=torch.float64)
    stft = dict(n_fft=128, hop_length=64, window=window)
    angles = torch.ones_like(mag, dtype=torch.complex128)
    for _ in range(3):  # project onto consistent spectrograms, keep the phase
        rebuilt = torch.stft(torch.istft(mag * angles, **stft, length=1000), **stft, return_complex=True)
        angles = rebuilt / (rebuilt.abs() + 1e-16)
    expected = torch.istft(mag * angles, **stft, length=1000)
    got = F.griffinlim(mag, n_fft=128, power=1.0, n_iter=3, momentum=0.0, rand_init=False, length=1000)
    torch.testing.assert_close(got, expected)


def test_griffinlim_arguments():
    spec = torch.rand(129, 10)
    with pytest.raises(ValueError, match="momentum"):
        F.griffinlim(spec, n_fft=256, momentum=1.0)
    with pytest.raises(ValueError, match="n_iter"):
        F.griffinlim(spec, n_fft=256, n_iter=-1)
    with pytest.raises(ValueError, match="n_fft // 2 \\+ 1"):
        F.griffinlim(spec, n_fft=400)


def test_speed_resamples_and_scales_lengths():
    x = torch.randn(2, 16000)
    lengths = torch.tensor([16000, 10001])
    y, out_lengths = F.speed(x, 16000, 1.1, lengths=lengths)
    torch.testing.assert_close(y, F.resample(x, 17600, 16000))  # recorded at 17.6 k, played at 16 k
    assert torch.equal(out_lengths, torch.ceil(lengths * 10 / 11).long())
    slow, none = F.speed(x, 16000, 0.9)
    assert slow.shape == (2, 17778) and none is None
    with pytest.raises(ValueError, match="factor"):
        F.speed(x, 16000, 0.0)
