"""triptych.audio.transforms: each class equals its functional pipeline, keeps its setup as
buffers, and draws random parameters per sample from its own generator."""

from __future__ import annotations

import math

import pytest
import torch

from triptych.audio import functional as F
from triptych.audio import transforms as T
from triptych.transforms import Compose


def test_mel_spectrogram_is_spectrogram_then_filterbank():
    x = torch.randn(3, 2, 4000)
    t = T.MelSpectrogram(sample_rate=8000, n_fft=256, hop_length=80, n_mels=32, f_min=50.0, norm="slaney",
                         mel_scale="slaney")
    spec = F.spectrogram(x, n_fft=256, hop_length=80)
    fb = F.melscale_fbanks(129, f_min=50.0, f_max=4000.0, n_mels=32, sample_rate=8000, norm="slaney",
                           mel_scale="slaney")
    expected = torch.einsum("...ft,fm->...mt", spec, fb)
    torch.testing.assert_close(t(x), expected, rtol=1e-4, atol=1e-5)
    assert {"spectrogram.window", "mel_scale.fb"} <= set(t.state_dict())


@pytest.mark.parametrize("normalized", [False, True, "frame_length"])
def test_mel_spectrogram_fused_power_matches_the_two_steps(normalized):
    # power 2 runs the fused triptych::mel_power; other powers and the parts run separately
    x = torch.randn(2, 3, 3000, dtype=torch.float64)
    t = T.MelSpectrogram(sample_rate=16000, n_fft=400, hop_length=160, n_mels=40, normalized=normalized).double()
    torch.testing.assert_close(t(x), t.mel_scale(t.spectrogram(x)))
    magnitude = T.MelSpectrogram(sample_rate=16000, n_mels=40, power=1.0).double()
    torch.testing.assert_close(magnitude(x), magnitude.mel_scale(magnitude.spectrogram(x)))


def test_mel_spectrogram_gradient():
    x = torch.randn(2, 600, dtype=torch.float64, requires_grad=True)
    t = T.MelSpectrogram(sample_rate=8000, n_fft=64, hop_length=32, n_mels=8).double()
    assert torch.autograd.gradcheck(t, (x,))


def test_buffers_follow_the_module_dtype():
    t = T.MelSpectrogram(sample_rate=16000, n_mels=40).double()
    x = torch.randn(2, 3000, dtype=torch.float64)
    out = t(x)
    assert out.dtype == torch.float64 and t.mel_scale.fb.dtype == torch.float64
    torch.testing.assert_close(out.float(), T.MelSpectrogram(sample_rate=16000, n_mels=40)(x.float()),
                               rtol=1e-4, atol=1e-4)


def test_mfcc_is_the_dct_of_log_mel():
    x = torch.randn(2, 8000)
    melkwargs = {"n_fft": 400, "hop_length": 160, "n_mels": 40}
    mel = T.MelSpectrogram(sample_rate=16000, **melkwargs)(x)
    db = 10 * torch.log10(mel.clamp(min=1e-10))
    db = torch.max(db, db.amax(dim=(-2, -1), keepdim=True) - 80.0)
    n = torch.arange(40.0)[:, None]
    k = torch.arange(13.0)[None]
    dct = torch.cos(math.pi / 40 * (n + 0.5) * k) * math.sqrt(2 / 40)
    dct[:, 0] /= math.sqrt(2)
    expected = torch.einsum("...mt,mk->...kt", db, dct)
    torch.testing.assert_close(T.MFCC(sample_rate=16000, n_mfcc=13, melkwargs=melkwargs)(x), expected,
                               rtol=1e-4, atol=1e-3)
    logged = torch.einsum("...mt,mk->...kt", torch.log(mel + 1e-6), dct)
    torch.testing.assert_close(T.MFCC(n_mfcc=13, log_mels=True, melkwargs=melkwargs)(x), logged, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="n_mfcc"):
        T.MFCC(n_mfcc=50, melkwargs={"n_mels": 40})


def test_lfcc_is_the_dct_of_log_linear_filterbank():
    x = torch.randn(4000)
    t = T.LFCC(sample_rate=16000, n_filter=64, n_lfcc=20, speckwargs={"n_fft": 256})
    spec = F.spectrogram(x, n_fft=256)
    lin = torch.einsum("ft,fm->mt", spec, F.linear_fbanks(129, f_min=0.0, f_max=8000.0, n_filter=64,
                                                          sample_rate=16000))
    db = 10 * torch.log10(lin.clamp(min=1e-10))
    db = torch.max(db, db.max() - 80.0)
    expected = torch.einsum("mt,mk->kt", db, F.create_dct(20, 64, "ortho"))
    torch.testing.assert_close(t(x), expected, rtol=1e-4, atol=1e-3)


def test_spectrogram_round_trip_through_the_classes():
    x = torch.randn(2, 3000, dtype=torch.float64)
    spec = T.Spectrogram(n_fft=512, hop_length=128, power=None, normalized=True).double()(x)
    y = T.InverseSpectrogram(n_fft=512, hop_length=128, normalized=True).double()(spec, 3000)
    torch.testing.assert_close(y, x)


def test_resample_transform_equals_the_functional():
    x = torch.randn(2, 4410)
    t = T.Resample(44100, 16000)
    assert "kernel" in t.state_dict()
    torch.testing.assert_close(t(x), F.resample(x, 44100, 16000))
    assert T.Resample(8000, 8000)(x) is x
    torch.testing.assert_close(T.Resample(44100, 16000, quality="fast")(x), F.resample(x, 44100, 16000, quality="fast"))
    kaiser = T.Resample(16000, 24000, resampling_method="sinc_interp_kaiser", beta=8.0)
    torch.testing.assert_close(kaiser(x), F.resample(x, 16000, 24000, resampling_method="sinc_interp_kaiser",
                                                     beta=8.0))


def test_amplitude_to_db_and_deltas():
    x = torch.rand(2, 10, 30) + 1e-3
    torch.testing.assert_close(T.AmplitudeToDB("magnitude")(x), 20 * torch.log10(x))
    torch.testing.assert_close(T.ComputeDeltas(win_length=7)(x), F.compute_deltas(x, win_length=7))
    with pytest.raises(ValueError, match="stype"):
        T.AmplitudeToDB("energy")


@pytest.mark.parametrize(("cls", "axis"), [(T.FrequencyMasking, -2), (T.TimeMasking, -1)])
def test_masking_per_sample_with_iid_masks(cls, axis):
    seed = int(torch.randint(0, 2**31, ()))
    x = torch.ones(32, 1, 40, 60)
    out = cls(15, iid_masks=True, generator=torch.Generator().manual_seed(seed))(x)
    zero = (out == 0).all(dim=-1 if axis == -2 else -2).reshape(32, -1)
    widths = zero.sum(-1)
    assert widths.max() < 15
    assert len({tuple(row.tolist()) for row in zero}) > 5  # different masks per sample
    again = cls(15, iid_masks=True, generator=torch.Generator().manual_seed(seed))(x)
    assert torch.equal(out, again)
    shared = cls(15, generator=torch.Generator().manual_seed(seed))(x, mask_value=-1.0)
    masks = (shared == -1).reshape(32, -1)
    assert (masks == masks[0]).all()  # torchaudio's default: one mask for the batch


def test_time_masking_p_caps_the_width():
    x = torch.ones(200, 1, 10, 50)
    out = T.TimeMasking(40, iid_masks=True, p=0.1)(x)
    assert (out == 0).all(dim=-2).sum(-1).max() <= 5


def test_spec_augment_draws_its_masks_per_spectrogram():
    x = torch.rand(16, 1, 40, 80) + 1.0
    seed = int(torch.randint(0, 2**31, ()))
    t = T.SpecAugment(n_time_masks=2, time_mask_param=10, n_freq_masks=1, freq_mask_param=8,
                      generator=torch.Generator().manual_seed(seed))
    out = t(x)
    filled = out == x.mean()  # mask value: the mean (zero_masking=False)
    time_masked = filled.all(dim=-2).sum(-1).flatten()
    freq_masked = filled.all(dim=-1).sum(-1).flatten()
    assert time_masked.max() <= 2 * 9 and freq_masked.max() <= 7
    assert len(set(time_masked.tolist())) > 1  # per spectrogram (iid_masks=True by default)
    again = T.SpecAugment(n_time_masks=2, time_mask_param=10, n_freq_masks=1, freq_mask_param=8,
                          generator=torch.Generator().manual_seed(seed))(x)
    assert torch.equal(out, again)
    assert (T.SpecAugment(1, 10, 1, 8, zero_masking=True)(x) == 0).any()


def test_vol():
    x = torch.tensor([0.1, -0.2, 0.6])
    torch.testing.assert_close(T.Vol(2.0)(x), torch.tensor([0.2, -0.4, 1.0]))
    torch.testing.assert_close(T.Vol(20.0, gain_type="db")(x), torch.tensor([1.0, -1.0, 1.0]))
    torch.testing.assert_close(T.Vol(0.25, gain_type="power")(x), x * 0.5)
    with pytest.raises(ValueError, match="gain"):
        T.Vol(-1.0)


@pytest.mark.parametrize("shape", ["linear", "exponential", "logarithmic", "quarter_sine", "half_sine"])
def test_fade_curves(shape):
    x = torch.rand(2, 100) + 0.5
    out = T.Fade(fade_in_len=30, fade_out_len=20, fade_shape=shape)(x)
    gain = out / x
    torch.testing.assert_close(gain[:, 30:80], torch.ones(2, 50))
    assert torch.all(gain[:, :30].diff(dim=-1) >= -1e-6) and torch.all(gain[:, 80:].diff(dim=-1) <= 1e-6)
    assert gain[0, 0] == pytest.approx(0.0, abs=1e-6) and gain[0, -1] == pytest.approx(0.0, abs=1e-6)
    f = torch.linspace(0, 1, 30)
    expected_in = {"linear": f, "exponential": 2 ** ((f - 1) * 5) * f, "logarithmic": torch.log10(0.1 + f) + 1,
                   "quarter_sine": torch.sin(f * math.pi / 2),
                   "half_sine": torch.sin(f * math.pi - math.pi / 2) / 2 + 0.5}[shape].clamp(0, 1)
    torch.testing.assert_close(gain[0, :30], expected_in, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="exceed"):
        T.Fade(fade_in_len=200)(x)


def test_small_transforms_call_their_functionals():
    x = torch.rand(3, 200) - 0.5
    torch.testing.assert_close(T.Preemphasis(0.9)(x), F.preemphasis(x, coeff=0.9))
    torch.testing.assert_close(T.Deemphasis(0.9)(T.Preemphasis(0.9)(x)), x, atol=1e-5, rtol=0)
    torch.testing.assert_close(T.MuLawDecoding(256)(T.MuLawEncoding(256)(x)), F.mu_law_decoding(
        F.mu_law_encoding(x, 256), 256))
    noise = torch.randn(3, 200)
    torch.testing.assert_close(T.AddNoise()(x, noise, torch.full((3,), 6.0)), F.add_noise(x, noise, torch.full((3,), 6.0)))


def test_a_feature_pipeline_composes_on_a_batch():
    pipeline = Compose([T.Vol(0.5), T.MelSpectrogram(sample_rate=16000, hop_length=160, n_mels=64),
                        T.AmplitudeToDB(top_db=80.0), T.FrequencyMasking(8, iid_masks=True),
                        T.TimeMasking(10, iid_masks=True)])
    out = pipeline(torch.randn(4, 1, 16000) * 0.1)
    assert out.shape == (4, 1, 64, 101) and torch.isfinite(out).all()


def test_a_whole_sample_keeps_its_labels():
    waveform, label = torch.randn(2, 4000), torch.tensor(7)
    mel, same_label, name = T.MelSpectrogram(n_mels=16)((waveform, label, "yes"))
    assert mel.shape == (2, 16, 21) and same_label is label and name == "yes"
    out = T.Vol(0.5)({"audio": waveform, "label": label})
    torch.testing.assert_close(out["audio"], (waveform * 0.5).clamp(-1, 1))
    assert out["label"] is label
    codes = T.MuLawEncoding()(waveform.clamp(-1, 1))
    assert T.MuLawDecoding()(codes).is_floating_point()


def test_griffinlim_transform_equals_the_functional():
    spec = T.Spectrogram(n_fft=128)(torch.randn(2, 1000))
    t = T.GriffinLim(n_fft=128, n_iter=5, length=1000, generator=torch.Generator().manual_seed(3))
    expected = F.griffinlim(spec, n_fft=128, n_iter=5, length=1000, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(t(spec), expected)
    assert "window" in t.state_dict()
    with pytest.raises(ValueError, match="momentum"):
        T.GriffinLim(momentum=-0.1)


def test_speed_perturbation_draws_a_factor_per_call():
    x, lengths = torch.randn(2, 8000), torch.tensor([8000, 5000])
    t = T.SpeedPerturbation(8000, [0.5, 1.0, 2.0], generator=torch.Generator().manual_seed(0))
    seen = {}
    for _ in range(20):
        y, out_lengths = t(x, lengths)
        seen[y.shape[-1]] = (y, out_lengths)
    assert set(seen) == {16000, 8000, 4000}  # every factor drawn
    y, out_lengths = seen[4000]
    torch.testing.assert_close(y, F.speed(x, 8000, 2.0)[0])
    assert torch.equal(out_lengths, torch.tensor([4000, 2500]))
    assert seen[8000][0] is x and seen[8000][1] is lengths
    with pytest.raises(ValueError, match="factors"):
        T.SpeedPerturbation(8000, [])
