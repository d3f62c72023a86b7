"""Audio compiled ops: ``triptych::resample_poly``.

Defined through :func:`triptych.library.define_op`: the kernels from ``core/csrc/audio`` when
``triptych._C`` has them, else the pure-torch reference below (also the test oracle).

``resample_poly(waveform (N, T), kernel (new, 2 * width + orig), orig, new, width)`` is
torchaudio's strided-convolution form of windowed-sinc resampling: output
``j = q * new + p`` is ``sum_m x[q * orig + m - width] * kernel[p, m]`` (zeros outside the
signal), for ``j < ceil(new * T / orig)``. The compiled CPU kernel visits only each
polyphase row's non-zero taps. :func:`triptych.audio.functional.resample` builds the kernel.
"""

from __future__ import annotations

import torch
import torch.nn.functional as nnf

from triptych.library import OpDef, define_op

__all__ = ["resample_poly"]

_SCHEMA = "resample_poly(Tensor waveform, Tensor kernel, int orig, int new, int width) -> Tensor"


def _output_length(frames: int, orig: int, new: int) -> int:
    return -(-new * frames // orig)


def _resample_poly_reference(waveform, kernel, orig, new, width):
    rows, frames = waveform.shape
    padded = nnf.pad(waveform, (width, width + orig))
    out = nnf.conv1d(padded[:, None], kernel[:, None], stride=orig)  # (rows, new, blocks)
    out = out.transpose(1, 2).reshape(rows, -1)
    return out[:, : _output_length(frames, orig, new)]


def _resample_poly_fake(waveform, kernel, orig, new, width):
    torch._check(waveform.dim() == 2, lambda: "resample_poly expects a (N, T) waveform")
    return waveform.new_empty((waveform.shape[0], _output_length(waveform.shape[1], orig, new)))


def _resample_poly_setup_context(ctx, inputs, output):
    waveform, kernel, orig, new, width = inputs
    ctx.save_for_backward(kernel)
    ctx.frames, ctx.orig, ctx.new, ctx.width = waveform.shape[1], orig, new, width


def _resample_poly_backward(ctx, grad):
    """The adjoint of the strided convolution: a strided transposed convolution."""
    (kernel,) = ctx.saved_tensors
    orig, new, width, frames = ctx.orig, ctx.new, ctx.width, ctx.frames
    rows = grad.shape[0]
    blocks = frames // orig + 1
    full = nnf.pad(grad, (0, blocks * new - grad.shape[1])).reshape(rows, blocks, new).transpose(1, 2)
    spread = nnf.conv_transpose1d(full, kernel[:, None], stride=orig)[:, 0]
    padded_length = frames + 2 * width + orig
    spread = nnf.pad(spread, (0, padded_length - spread.shape[1]))
    return spread[:, width:width + frames], None, None, None, None


_resample_poly_op = define_op(
    OpDef(
        name="resample_poly",
        schema=_SCHEMA,
        reference=_resample_poly_reference,
        fake=_resample_poly_fake,
        backward=_resample_poly_backward,
        setup_context=_resample_poly_setup_context,
    )
)


def resample_poly(waveform: torch.Tensor, kernel: torch.Tensor, orig: int, new: int, width: int) -> torch.Tensor:
    """Apply polyphase resampling filters (see the module docstring for the formula).

    Args:
        waveform: float32 or float64 ``(N, T)``.
        kernel: ``(new, 2 * width + orig)``, same dtype and device.
        orig, new: the rate ratio in lowest terms. width: the filter's half-width in input samples.

    Returns:
        ``(N, ceil(new * T / orig))``.

    Example:
        >>> import torch
        >>> from triptych.audio.ops import resample_poly
        >>> kernel = torch.zeros(1, 2 * 1 + 2)
        >>> kernel[0, 1] = 1.0  # keep every second sample
        >>> resample_poly(torch.arange(6.0)[None], kernel, 2, 1, 1)
        tensor([[0., 2., 4.]])
    """
    if not isinstance(waveform, torch.Tensor) or waveform.dim() != 2:
        raise ValueError(f"waveform must be a (N, T) tensor, got {getattr(waveform, 'shape', type(waveform))}")
    if waveform.dtype not in (torch.float32, torch.float64):
        raise TypeError(f"waveform must be float32 or float64, got {waveform.dtype}")
    for name, value in (("orig", orig), ("new", new)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if isinstance(width, bool) or not isinstance(width, int) or width < 0:
        raise ValueError(f"width must be an int >= 0, got {width!r}")
    if not isinstance(kernel, torch.Tensor) or tuple(kernel.shape) != (new, 2 * width + orig):
        raise ValueError(f"kernel must have shape (new, 2 * width + orig) = ({new}, {2 * width + orig}), "
                         f"got {tuple(getattr(kernel, 'shape', ()))}")
    if kernel.dtype != waveform.dtype or kernel.device != waveform.device:
        raise ValueError(f"kernel ({kernel.dtype}, {kernel.device}) must match the waveform's dtype and "
                         f"device ({waveform.dtype}, {waveform.device})")
    return _resample_poly_op(waveform, kernel, orig, new, width)
