"""Helpers shared by the vision functionals: interpolation modes, the image check, the
layouts kernels read and write, and the dtypes they compute in."""

from __future__ import annotations

import enum
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import torch

from triptych.vision.ops import _check_image as _check_any_image
from triptych.vision.ops import _is_channels_last

__all__ = [
    "InterpolationMode",
]


def _check_image(
    image: torch.Tensor,
    name: str,
    channels: tuple[int, ...] | None = None,
    *,
    min_ndim: int = 3,
    allow_empty: bool = False,
) -> None:
    """The check the image kernels start with (:func:`triptych.vision.ops._check_image` for
    ``(..., C, H, W)`` images of any dtype, or ``(..., H, W)`` with ``min_ndim=2``)."""
    _check_any_image(image, name, channels, ndims=None, min_ndim=min_ndim, dtypes=None,
                     allow_empty=allow_empty)


class InterpolationMode(str, enum.Enum):
    """How pixels are interpolated. Plain strings (``"bilinear"``) and PIL's integer constants
    (0 nearest, 2 bilinear, 3 bicubic) are accepted wherever a mode is."""

    NEAREST = "nearest"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"


_PIL_CODES = {0: "nearest", 2: "bilinear", 3: "bicubic"}


def _mode(interpolation: Any, allowed: Sequence[str] = ("nearest", "bilinear", "bicubic")) -> str:
    if isinstance(interpolation, InterpolationMode):
        mode = interpolation.value
    elif isinstance(interpolation, str):
        mode = interpolation.lower()
    elif isinstance(interpolation, int) and not isinstance(interpolation, bool):
        mode = _PIL_CODES.get(interpolation, f"PIL code {interpolation}")
    else:
        raise TypeError(
            f"interpolation must be an InterpolationMode, a string or a PIL code, got {interpolation!r}"
        )
    if mode not in allowed:
        raise ValueError(
            f"interpolation {mode!r} is not supported here; use one of {list(allowed)}"
        )
    return mode


# --- shared helpers ---------------------------------------------------------------------------


def _with_channel(
    mask: torch.Tensor, kernel: Callable[[torch.Tensor], torch.Tensor]
) -> torch.Tensor:
    """Run an image kernel on a mask ``(..., H, W)``, adding a channel dim for 2-D masks."""
    _check_image(mask, "a mask kernel", min_ndim=2)
    if mask.ndim == 2:
        return kernel(mask.unsqueeze(0)).squeeze(0)
    return kernel(mask)


def _to_nchw(image: torch.Tensor) -> tuple[torch.Tensor, Callable[[torch.Tensor], torch.Tensor]]:
    """``(..., C, H, W)`` as ``(N, C, H, W)``, and the function restoring the leading dims."""
    if image.ndim == 4:
        return image, lambda out: out
    if image.ndim == 3:
        return image.unsqueeze(0), lambda out: out.squeeze(0)
    lead = image.shape[:-3]
    return image.reshape(-1, *image.shape[-3:]), lambda out: out.reshape(*lead, *out.shape[-3:])


def _dense(view: torch.Tensor) -> torch.Tensor:
    """``view`` (e.g. a crop) packed densely, keeping its layout: channels-last (channels
    interleaved, as images decoded from HWC memory) or NCHW; a dense tensor is returned as is."""
    if view.is_contiguous() or _is_channels_last(view):
        return view
    channels_innermost = view.ndim in (3, 4) and view.shape[-3] > 1 and view.stride(-3) == 1
    if not channels_innermost:
        return view.contiguous()
    if view.ndim == 4:
        return view.contiguous(memory_format=torch.channels_last)
    return view.permute(1, 2, 0).contiguous().permute(2, 0, 1)


def _saturate(x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Float ``x`` rounded and clamped into the range of the integer ``dtype``."""
    if dtype == torch.bool:
        return x > 0.5
    info = torch.iinfo(dtype)
    return x.round_().clamp_(info.min, info.max).to(dtype)


def _work_dtype(dtype: torch.dtype) -> torch.dtype:
    """The float type a kernel computes in for an image of ``dtype``."""
    if dtype in (torch.float32, torch.float64):
        return dtype
    if dtype in (torch.int32, torch.int64):
        return torch.float64  # exact for every value of the type
    return torch.float32


def _pair(value: Any, name: str) -> list[int]:
    if isinstance(value, numbers.Number):
        return [int(value), int(value)]
    value = list(value)
    if len(value) == 1:
        return [int(value[0]), int(value[0])]
    if len(value) != 2:
        raise ValueError(f"{name} must be an int or a sequence (h, w), got {value!r}")
    return [int(v) for v in value]

