"""Augmentation functionals: :func:`erase` (the kernel of ``RandomErasing``)."""

from __future__ import annotations

from typing import Any

import torch

from .._dispatch import dispatch, register_kernel
from ._color import register_passthrough

__all__ = ["erase"]


def erase(inpt: Any, i: Any, j: Any, h: Any, w: Any, v: torch.Tensor, inplace: bool = False) -> Any:
    """Overwrite the rectangle ``[i : i + h, j : j + w]`` (rows, columns) of the image with ``v``.

    Args:
        inpt: image ``(..., C, H, W)``, :class:`Image` or PIL image; boxes, masks and keypoints
            pass through unchanged.
        i, j, h, w: top, left, height, width: ints, or integer tensors of the leading (batch)
            shape ``inpt.shape[:-3]`` for one rectangle per image (an ``h`` or ``w`` of 0 leaves
            that image as it is).
        v: the values written, cast to the image's dtype: a tensor broadcastable to
            ``(..., C, 1, 1)`` (one colour), or one whose last two dims are at least ``(h, w)``
            (its top-left ``h x w`` corner fills the rectangle, e.g. random noise).
        inplace: write into ``inpt`` (a tensor) instead of a copy.

    Example:
        >>> import torch
        >>> erase(torch.zeros(1, 3, 4), 1, 1, 2, 2, torch.tensor(9.0))
        tensor([[[0., 0., 0., 0.],
                 [0., 9., 9., 0.],
                 [0., 9., 9., 0.]]])
        >>> batch = torch.zeros(2, 1, 2, 3, dtype=torch.uint8)   # one rectangle per image
        >>> erase(batch, torch.tensor([0, 1]), torch.tensor([0, 2]), torch.tensor([1, 1]),
        ...       torch.tensor([2, 1]), torch.tensor(7)).flatten(1)
        tensor([[7, 7, 0, 0, 0, 0],
                [0, 0, 0, 0, 0, 7]], dtype=torch.uint8)
    """
    return dispatch(erase, inpt, i=i, j=j, h=h, w=w, v=v, inplace=inplace)


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, torch.Tensor) or value.ndim == 0


@register_kernel(erase, torch.Tensor)
def _erase_image(
    image: torch.Tensor, i: Any, j: Any, h: Any, w: Any, v: torch.Tensor, inplace: bool = False
) -> torch.Tensor:
    if image.ndim < 3:
        raise ValueError(f"erase expects an image (..., C, H, W), got shape {tuple(image.shape)}")
    v = torch.as_tensor(v)
    if all(_is_scalar(x) for x in (i, j, h, w)):
        return _erase_one(image, int(i), int(j), int(h), int(w), v, inplace)
    return _erase_per_image(image, i, j, h, w, v, inplace)


def _erase_one(image: torch.Tensor, i: int, j: int, h: int, w: int, v: torch.Tensor, inplace: bool) -> torch.Tensor:
    if min(i, j, h, w) < 0:
        raise ValueError(f"erase needs non-negative i, j, h, w, got {(i, j, h, w)}")
    out = image if inplace else image.clone()
    if v.ndim >= 2 and (v.shape[-2] > 1 or v.shape[-1] > 1):
        v = v[..., :h, :w]
    out[..., i : i + h, j : j + w] = v.to(device=image.device, dtype=image.dtype)
    return out


def _erase_per_image(
    image: torch.Tensor, i: Any, j: Any, h: Any, w: Any, v: torch.Tensor, inplace: bool
) -> torch.Tensor:
    lead = image.shape[:-3]
    channels, height, width = image.shape[-3:]
    device = image.device

    def per_image(value: Any, name: str) -> torch.Tensor:
        tensor = torch.as_tensor(value)
        if tensor.is_floating_point():
            raise TypeError(f"erase: {name} must be integers, got {tensor.dtype}")
        return tensor.to(device=device, dtype=torch.long).expand(lead).reshape(-1)

    top, left, rows, cols = (per_image(x, n) for x, n in ((i, "i"), (j, "j"), (h, "h"), (w, "w")))
    if bool(((top < 0) | (left < 0) | (rows < 0) | (cols < 0)).any()):
        raise ValueError("erase needs non-negative i, j, h, w")
    flat = image.reshape(-1, channels, height, width)
    v = v.to(device=device)
    is_patch = v.ndim >= 2 and (v.shape[-2] > 1 or v.shape[-1] > 1)
    if is_patch and bool((rows > v.shape[-2]).any() | (cols > v.shape[-1]).any()):
        raise ValueError(f"erase: v of spatial size {tuple(v.shape[-2:])} is smaller than a rectangle")
    if is_patch:
        v = v.expand(*lead, channels, *v.shape[-2:]).reshape(-1, channels, *v.shape[-2:])
    else:
        v = v.expand(*lead, channels, 1, 1).reshape(-1, channels, 1, 1)
    erase_rows = _erase_rows_sliced if device.type == "cpu" else _erase_rows_masked
    out = erase_rows(flat, top, left, rows, cols, v.to(image.dtype), is_patch).reshape(image.shape)
    return image.copy_(out) if inplace else out


def _erase_rows_sliced(
    flat: torch.Tensor, top: torch.Tensor, left: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor,
    v: torch.Tensor, is_patch: bool,
) -> torch.Tensor:
    """One slice assignment per image: on the CPU this touches only the rectangles."""
    out = flat.clone()
    for n, (i, j, h, w) in enumerate(zip(top.tolist(), left.tolist(), rows.tolist(), cols.tolist())):
        if h and w:
            out[n, :, i : i + h, j : j + w] = v[n, :, :h, :w] if is_patch else v[n]
    return out


def _erase_rows_masked(
    flat: torch.Tensor, top: torch.Tensor, left: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor,
    v: torch.Tensor, is_patch: bool,
) -> torch.Tensor:
    """One masked select over the batch: a single kernel on a GPU, whatever the rectangles."""
    channels, height, width = flat.shape[1:]
    device = flat.device
    y = torch.arange(height, device=device)
    x = torch.arange(width, device=device)
    dy = y - top[:, None]  # (B, H): row offset inside the rectangle
    dx = x - left[:, None]  # (B, W)
    inside = ((dy >= 0) & (dy < rows[:, None]))[:, None, :, None] & ((dx >= 0) & (dx < cols[:, None]))[:, None, None, :]
    if is_patch:  # place each patch's corner at (i, j)
        rows_idx = dy.clamp(0, v.shape[-2] - 1)[:, None, :, None].expand(-1, channels, -1, v.shape[-1])
        cols_idx = dx.clamp(0, v.shape[-1] - 1)[:, None, None, :].expand(-1, channels, height, -1)
        v = v.gather(2, rows_idx).gather(3, cols_idx)
    return torch.where(inside, v, flat)


register_passthrough(erase)
