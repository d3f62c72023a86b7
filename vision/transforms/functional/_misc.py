"""Conversions, dtype and normalisation functionals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from triptych import ops

from ..._pil import pil_modules
from ...ops import _is_channels_last
from ...tensors import Image
from .._dispatch import dispatch, register_kernel

__all__ = ["pil_to_tensor", "to_pil_image", "to_image", "to_dtype", "normalize"]


def pil_to_tensor(pic: Any) -> torch.Tensor:
    """A PIL image as a uint8 tensor ``(C, H, W)`` (a channels-last view of one copy of the pixels).

    Example:
        >>> from PIL import Image as PILImage
        >>> pil_to_tensor(PILImage.new("RGB", (4, 2))).shape
        torch.Size([3, 2, 4])
    """
    from ...io import _pil_to_tensor

    if pic.mode in ("RGB", "LA"):
        pic.load()
        return _pil_to_tensor(pic)  # packed by Pillow into fresh memory, one pass
    # Other modes: a copy, so the tensor never aliases the PIL image's pixels.
    tensor = torch.from_numpy(np.array(pic))
    return tensor.unsqueeze(0) if tensor.ndim == 2 else tensor.permute(2, 0, 1)


_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


def to_pil_image(pic: torch.Tensor | np.ndarray, mode: str | None = None) -> Any:
    """A ``(C, H, W)`` tensor (uint8, or float in [0, 1]) as a PIL image.

    Example:
        >>> import torch
        >>> to_pil_image(torch.zeros(3, 2, 4, dtype=torch.uint8)).size
        (4, 2)
    """
    (PILImage,) = pil_modules("Image")
    if isinstance(pic, np.ndarray):
        pic = torch.from_numpy(pic).permute(2, 0, 1) if pic.ndim == 3 else torch.from_numpy(pic)
    if not isinstance(pic, torch.Tensor):
        raise TypeError(f"to_pil_image expects a tensor or ndarray, got {type(pic).__name__}")
    pic = pic.as_subclass(torch.Tensor).detach().cpu()
    if pic.ndim == 2:
        pic = pic.unsqueeze(0)
    if pic.ndim != 3 or pic.shape[0] not in _MODES:
        raise ValueError(f"to_pil_image expects (C, H, W) with 1-4 channels, got {tuple(pic.shape)}")
    if pic.is_floating_point():
        pic = pic.mul(255).round_().clamp_(0, 255).to(torch.uint8)
    elif pic.dtype != torch.uint8:
        raise TypeError(f"to_pil_image expects uint8 or float input, got {pic.dtype}")
    array = pic.permute(1, 2, 0).contiguous().numpy()
    image = PILImage.fromarray(array[:, :, 0] if array.shape[2] == 1 else array)
    return image if mode is None or image.mode == mode else image.convert(mode)


def to_image(inpt: Any) -> Image:
    """A tensor, NumPy ``(H, W, C)`` array or PIL image as an :class:`Image`."""
    if isinstance(inpt, np.ndarray):
        tensor = torch.from_numpy(inpt)
        tensor = tensor.unsqueeze(0) if tensor.ndim == 2 else tensor.permute(2, 0, 1)
        return Image(tensor)
    if isinstance(inpt, torch.Tensor):
        return Image(inpt)
    return Image(pil_to_tensor(inpt))


def _max_value(dtype: torch.dtype) -> float:
    if dtype == torch.bool:
        return 1
    if dtype.is_floating_point:
        return 1.0
    return torch.iinfo(dtype).max


def to_dtype(inpt: torch.Tensor, dtype: torch.dtype = torch.float32, scale: bool = False) -> torch.Tensor:
    """Convert an image to ``dtype``; with ``scale``, map value ranges ([0, 255] <-> [0, 1]).

    Example:
        >>> import torch
        >>> to_dtype(torch.tensor([[[0, 255]]], dtype=torch.uint8), torch.float32, scale=True)
        tensor([[[0., 1.]]])
    """
    return dispatch(to_dtype, inpt, dtype=dtype, scale=scale)


@register_kernel(to_dtype, torch.Tensor)
def _to_dtype_image(image: torch.Tensor, dtype: torch.dtype = torch.float32, scale: bool = False) -> torch.Tensor:
    if image.dtype == dtype:
        return image
    if not scale:
        return image.to(dtype)
    float_in, float_out = image.is_floating_point(), dtype.is_floating_point
    if float_in and float_out:
        return image.to(dtype)
    if float_out:  # int -> float
        return image.to(dtype).mul_(1.0 / _max_value(image.dtype))
    if float_in:  # float -> int: spread [0, 1] evenly over the integer levels
        return image.mul(_max_value(dtype) + 1.0 - 1e-3).to(dtype)
    shift = _value_bits(dtype) - _value_bits(image.dtype)
    if image.dtype not in _SHIFTABLE or dtype not in _SHIFTABLE:
        # torch shifts no unsigned type but uint8: shift uint16/uint32 values in int64, exact.
        if torch.uint64 in (image.dtype, dtype):
            raise TypeError(f"to_dtype cannot scale between {image.dtype} and {dtype}; convert to int64 first")
        work = image.to(torch.int64)
        work = work.bitwise_left_shift_(shift) if shift > 0 else work.bitwise_right_shift_(-shift)
        return work.to(dtype)
    if shift > 0:
        return image.to(dtype).bitwise_left_shift_(shift)
    return image.bitwise_right_shift(-shift).to(dtype)


# Integer types torch's bit shifts support.
_SHIFTABLE = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)


def _value_bits(dtype: torch.dtype) -> int:
    """Bits of the non-negative values of an integer type: 8 for uint8, 15 for int16, 31 for int32."""
    info = torch.iinfo(dtype)
    return info.bits - (1 if info.min < 0 else 0)


def normalize(
    inpt: torch.Tensor, mean: Sequence[float], std: Sequence[float], inplace: bool = False
) -> torch.Tensor:
    """``(image - mean) / std`` per channel, for float images ``(..., C, H, W)``.

    Runs the compiled ``triptych::normalize`` kernel in one pass. ``inplace`` is accepted for
    torchvision compatibility; the result is always a new tensor.

    Example:
        >>> import torch
        >>> normalize(torch.ones(3, 2, 2), mean=[0.5] * 3, std=[0.25] * 3)[:, 0, 0]
        tensor([2., 2., 2.])
    """
    return dispatch(normalize, inpt, mean=mean, std=std)


@register_kernel(normalize, torch.Tensor)
def _normalize_image(image: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    if not image.is_floating_point():
        raise TypeError(f"normalize expects a float image, got {image.dtype}; use ToDtype(torch.float32, scale=True) first")
    if image.ndim < 3:
        raise ValueError(f"normalize expects (..., C, H, W), got shape {tuple(image.shape)}")
    lead = image.shape[:-3]
    flat = image.reshape(-1, *image.shape[-3:]) if image.ndim != 3 else image
    out = ops.normalize(flat, mean, std, channels_last=flat.ndim == 4 and _is_channels_last(flat))
    out = out.to(image.dtype) if image.dtype != out.dtype else out
    return out.reshape(*lead, *out.shape[-3:]) if image.ndim > 4 else out

