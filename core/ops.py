"""Core compiled ops, callable on any device.

Each function here validates its arguments and calls ``torch.ops.triptych.<name>``, which is
the compiled kernel when ``triptych._C`` loaded and the pure-torch reference otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .library import OpDef, define_op

__all__ = ["normalize"]


# --- normalize ----------------------------------------------------------------------------


def _normalize_out_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.float64 if dtype == torch.float64 else torch.float32


def _normalize_reference(
    image: torch.Tensor, mean: list[float], std: list[float], channels_last: bool = False
) -> torch.Tensor:
    out_dtype = _normalize_out_dtype(image.dtype)
    x = image.to(out_dtype)
    if image.dtype == torch.uint8:
        x = x / 255
    mean_t = torch.tensor(mean, dtype=out_dtype, device=image.device).view(-1, 1, 1)
    std_t = torch.tensor(std, dtype=out_dtype, device=image.device).view(-1, 1, 1)
    out = (x - mean_t) / std_t
    return _to_layout(out, channels_last)


def _to_layout(out: torch.Tensor, channels_last: bool) -> torch.Tensor:
    if not channels_last:
        return out.contiguous()
    if out.dim() == 4:
        return out.contiguous(memory_format=torch.channels_last)
    return out.permute(1, 2, 0).contiguous().permute(2, 0, 1)


def _normalize_fake(image, mean, std, channels_last=False):
    torch._check(image.dim() in (3, 4), lambda: "normalize expects (C, H, W) or (N, C, H, W)")
    out = image.new_empty(image.shape, dtype=_normalize_out_dtype(image.dtype))
    return _to_layout(out, channels_last)


def _normalize_setup_context(ctx, inputs, output):
    image, _, std, _ = inputs
    ctx.std = std
    ctx.input_dtype = image.dtype


def _normalize_backward(ctx, grad):
    inv_std = 1.0 / torch.tensor(ctx.std, dtype=grad.dtype, device=grad.device).view(-1, 1, 1)
    return (grad * inv_std).to(ctx.input_dtype), None, None, None


_normalize_op = define_op(
    OpDef(
        name="normalize",
        schema="normalize(Tensor image, float[] mean, float[] std, bool channels_last=False) -> Tensor",
        reference=_normalize_reference,
        fake=_normalize_fake,
        backward=_normalize_backward,
        setup_context=_normalize_setup_context,
    )
)


def _per_channel(values: float | Sequence[float], channels: int, what: str) -> list[float]:
    if isinstance(values, torch.Tensor):
        values = values.tolist()
    values = [float(values)] if isinstance(values, (int, float)) else [float(v) for v in values]
    if len(values) == 1:
        values = values * channels
    if len(values) != channels:
        raise ValueError(f"{what} has {len(values)} values but the image has {channels} channels")
    return values


def normalize(
    image: torch.Tensor,
    mean: float | Sequence[float],
    std: float | Sequence[float],
    *,
    layout: str = "CHW",
    channels_last: bool = False,
) -> torch.Tensor:
    """Scale to [0, 1] (uint8 input) and normalize per channel: ``(x - mean) / std``.

    One pass over the data in the compiled kernel, instead of four in the eager expression
    ``(x.float() / 255 - mean) / std``.

    Args:
        image: ``(C, H, W)``, ``(H, W, C)`` (with ``layout="HWC"``) or ``(N, C, H, W)``;
            uint8, float16, bfloat16, float32 or float64; any memory format.
        mean, std: one value per channel, or a single value for all channels.
        layout: ``"CHW"`` (also for batches) or ``"HWC"`` for a decoded image in
            height-width-channel order; ``"HWC"`` is read in place, without a copy.
        channels_last: write the output in channels-last memory (``(N, C, H, W)`` logical
            shape, NHWC strides) for convolution models that run faster that way.

    Returns:
        float32 tensor of shape ``(C, H, W)`` or ``(N, C, H, W)`` (float64 for float64 input).
        Float input is differentiable.

    Example:
        >>> import torch, triptych
        >>> x = torch.full((3, 2, 2), 255, dtype=torch.uint8)
        >>> triptych.ops.normalize(x, mean=[0.5, 0.5, 0.5], std=[0.5, 0.5, 0.5])[:, 0, 0]
        tensor([1., 1., 1.])
    """
    if not isinstance(image, torch.Tensor):
        raise TypeError(f"normalize expects a tensor, got {type(image).__name__}")
    if layout not in ("CHW", "HWC"):
        raise ValueError(f'layout must be "CHW" or "HWC", got {layout!r}')
    if layout == "HWC":
        if image.dim() != 3:
            raise ValueError(f'layout="HWC" expects a 3-D (H, W, C) tensor, got shape {tuple(image.shape)}')
        image = image.permute(2, 0, 1)
    if image.dim() not in (3, 4):
        raise ValueError(f"normalize expects (C, H, W) or (N, C, H, W), got shape {tuple(image.shape)}")
    if image.dtype in (torch.float16, torch.bfloat16):
        image = image.float()
    elif image.dtype not in (torch.uint8, torch.float32, torch.float64):
        raise TypeError(f"normalize supports uint8 and floating-point images, got {image.dtype}")
    channels = image.shape[-3]
    mean = _per_channel(mean, channels, "mean")
    std = _per_channel(std, channels, "std")
    if any(s == 0 for s in std):
        raise ValueError(f"std must be non-zero, got {std}")
    return _normalize_op(image, mean, std, channels_last)
