"""A tiny test-only domain on the core transforms base, without vision.

It stands for audio (``Waveform`` and ``Spectrogram`` items with a sample rate) and text (token
id sequences): typed tensors, functionals with kernels registered per input type, and random
transforms that pick their items, draw per-sample parameters for a batch and pass the rest of
the sample through. Nothing here imports ``triptych.vision``.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from triptych.transforms import (
    SampleInfo,
    Transform,
    TypedTensor,
    dispatch,
    register_kernel,
    register_passthrough,
    uniform,
    wrap,
)

# --- the items -------------------------------------------------------------------------------


class Waveform(TypedTensor):
    """``(..., channels, time)``; ``(N, channels, time)`` is a batch."""

    _metadata = ("sample_rate",)


class Spectrogram(TypedTensor):
    """Power spectrogram ``(..., channels, freq, time)``."""

    _metadata = ("sample_rate",)


class TokenIds(TypedTensor):
    """Token ids ``(length,)`` or a padded batch ``(N, length)``; kernels see the typed tensor."""

    _metadata = ("pad_id",)
    unwrap_for_kernels = False


# --- functionals and kernels ------------------------------------------------------------------


def gain(inpt, factor):
    """Scale the amplitude by ``factor`` (a number, or ``(N,)`` for a batch)."""
    return dispatch(gain, inpt, factor)


def _per_sample(factor: torch.Tensor, x: torch.Tensor, item_dims: int) -> torch.Tensor:
    return factor.to(x.dtype).reshape(factor.shape + (1,) * item_dims)


@register_kernel(gain, torch.Tensor)
def _gain_waveform(x, factor):
    assert type(x) is torch.Tensor
    return x * _per_sample(factor, x, 2)


@register_kernel(gain, Spectrogram)
def _gain_spectrogram(x, factor):
    assert type(x) is torch.Tensor  # unwrapped: Spectrogram keeps unwrap_for_kernels
    return x * _per_sample(factor, x, 3) ** 2  # power scales with the square


register_passthrough(gain, TokenIds)


def crop_tokens(inpt, start, length):
    """Keep ``length`` tokens from ``start`` (a number, or ``(N,)`` for a batch)."""
    return dispatch(crop_tokens, inpt, start, length)


@register_kernel(crop_tokens, TokenIds)
def _crop_tokens(tokens, start, length):
    assert type(tokens) is TokenIds
    plain = tokens.as_subclass(torch.Tensor)
    index = start.reshape(start.shape + (1,)) + torch.arange(length)
    return wrap(plain.gather(-1, index), like=tokens)


register_passthrough(crop_tokens, Waveform, Spectrogram)

# --- the domain's transforms ------------------------------------------------------------------


class AudioTransform(Transform):
    """The domain hooks: act on waveforms and spectrograms; a 3-D waveform is a batch."""

    def select_inputs(self, leaves):
        return [isinstance(x, (Waveform, Spectrogram)) for x in leaves]

    def sample_info(self, sample, inputs) -> SampleInfo:
        info = super().sample_info(sample, inputs)
        rates = {x.sample_rate for x in inputs}
        if len(rates) > 1:
            raise ValueError(f"items of one sample have different sample rates {sorted(rates)}")
        waves = [x for x in inputs if isinstance(x, Waveform)]
        info.batch = int(waves[0].shape[0]) if waves and waves[0].ndim == 3 else None
        return info


class RandomGain(AudioTransform):
    def __init__(self, low, high, p=1.0, *, generator=None):
        super().__init__(generator=generator)
        self.low, self.high, self.p = low, high, p

    def make_params(self, info):
        shape = () if info.batch is None else (info.batch,)
        return {"factor": uniform(self.low, self.high, self.generator, shape)}

    def transform(self, inpt, params):
        factor = params["factor"]
        if "apply" in params:
            factor = torch.where(params["apply"], factor, torch.ones_like(factor))
        return gain(inpt, factor)


class RandomTokenCrop(Transform):
    """Text: a random window of ``length`` tokens, one start per sequence of a batch."""

    def __init__(self, length, *, generator=None):
        super().__init__(generator=generator)
        self.length = length

    def select_inputs(self, leaves):
        return [isinstance(x, TokenIds) for x in leaves]

    def sample_info(self, sample, inputs):
        info = super().sample_info(sample, inputs)
        info.batch = int(inputs[0].shape[0]) if inputs[0].ndim == 2 else None
        info.total = int(inputs[0].shape[-1])
        return info

    def make_params(self, info):
        shape = () if info.batch is None else (info.batch,)
        return {"start": torch.randint(0, info.total - self.length + 1, shape, generator=self.generator)}

    def transform(self, inpt, params):
        return crop_tokens(inpt, params["start"], self.length)


# --- tests ------------------------------------------------------------------------------------


def test_single_sample_moves_waveform_and_spectrogram_together_and_passes_the_rest():
    wave = Waveform._wrap(torch.randn(2, 100), sample_rate=16000)
    spec = Spectrogram._wrap(torch.rand(2, 9, 11), sample_rate=16000)
    tokens = TokenIds._wrap(torch.arange(7), pad_id=0)
    sample = {"audio": wave, "spec": spec, "tokens": tokens, "label": 3, "text": "hello"}
    out = RandomGain(0.5, 2.0, generator=torch.Generator().manual_seed(7))(sample)
    g = torch.Generator().manual_seed(7)
    torch.rand((), generator=g)  # the p coin comes first for a single sample
    factor = float(uniform(0.5, 2.0, g))
    assert type(out["audio"]) is Waveform and out["audio"].sample_rate == 16000
    torch.testing.assert_close(out["audio"].as_subclass(torch.Tensor), wave.as_subclass(torch.Tensor) * factor)
    assert type(out["spec"]) is Spectrogram
    torch.testing.assert_close(out["spec"].as_subclass(torch.Tensor), spec.as_subclass(torch.Tensor) * factor**2)
    assert out["tokens"] is tokens and out["label"] == 3 and out["text"] == "hello"


def test_batch_gets_per_sample_parameters_and_p_per_sample():
    batch = Waveform._wrap(torch.randn(64, 1, 50), sample_rate=8000)
    labels = torch.arange(64)
    waves, out_labels = RandomGain(0.1, 0.9, p=0.5, generator=torch.Generator().manual_seed(3))(batch, labels)
    g = torch.Generator().manual_seed(3)
    factor = uniform(0.1, 0.9, g, (64,))  # make_params, then the coin: the base's order
    apply = torch.rand(64, generator=g) < 0.5
    expected = batch.as_subclass(torch.Tensor) * torch.where(apply, factor, 1.0).view(64, 1, 1)
    torch.testing.assert_close(waves.as_subclass(torch.Tensor), expected)
    assert type(waves) is Waveform and out_labels is labels
    assert 0 < int(apply.sum()) < 64  # both branches were exercised


def test_domain_hook_errors_name_the_problem():
    a = Waveform._wrap(torch.zeros(1, 4), sample_rate=16000)
    b = Spectrogram._wrap(torch.zeros(1, 2, 2), sample_rate=8000)
    with pytest.raises(ValueError, match="different sample rates"):
        RandomGain(1.0, 2.0)(a, b)
    with pytest.raises(TypeError, match="gain does not support inputs of type str"):
        gain("x", 1.0)


def test_text_batch_per_sequence_windows_keep_the_typed_metadata():
    tokens = TokenIds._wrap(torch.arange(40).reshape(4, 10), pad_id=-1)
    wave = Waveform._wrap(torch.zeros(1, 3), sample_rate=1)
    out_tokens, out_wave = RandomTokenCrop(3, generator=torch.Generator().manual_seed(5))(tokens, wave)
    start = torch.randint(0, 8, (4,), generator=torch.Generator().manual_seed(5))
    expected = torch.stack([torch.arange(10 * i + s, 10 * i + s + 3) for i, s in enumerate(start.tolist())])
    assert type(out_tokens) is TokenIds and out_tokens.pad_id == -1
    assert torch.equal(out_tokens.as_subclass(torch.Tensor), expected)
    assert out_wave is wave


def test_the_base_does_not_load_vision():
    code = "import sys, triptych.transforms; assert 'triptych.vision' not in sys.modules, sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)
