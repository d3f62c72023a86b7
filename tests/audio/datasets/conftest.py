"""Fixtures of the audio dataset tests: short clips encoded with triptych.audio.io (the archives
are built with tests/loopback.py and served with the ``serve`` fixture of tests/conftest.py)."""

from __future__ import annotations

import io

import pytest

pytest.importorskip("soundfile")


@pytest.fixture(autouse=True)
def _no_env(triptych_home):
    """No offline/mirror/progress switch leaks in from the shell."""


@pytest.fixture
def clip():
    """``clip(value, frames, sample_rate, format="wav")``: the bytes of a mono clip holding
    ``value`` in every frame (16-bit PCM; pick values k/64 so they survive exactly)."""
    import torch

    from triptych.audio import io as aio

    def clip(value: float, frames: int, sample_rate: int, format: str = "wav") -> bytes:  # noqa: A002
        buffer = io.BytesIO()
        aio.save(buffer, torch.full((1, frames), value), sample_rate, format=format,
                 bits_per_sample=16)
        return buffer.getvalue()
    return clip


@pytest.fixture
def check_clip():
    """``check_clip(waveform, sample_rate, value, frames, rate)``: it is what ``clip`` wrote."""
    def check_clip(waveform, sample_rate, value: float, frames: int, rate: int) -> None:
        assert sample_rate == rate
        assert waveform.dtype.is_floating_point and tuple(waveform.shape) == (1, frames)
        assert float(waveform.min()) == float(waveform.max()) == value
    return check_clip
