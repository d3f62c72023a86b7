"""Geometry functionals: resize, crops, pad, flips, rotate, affine, perspective, elastic, and the
bounding-box utilities.

Same names and argument meanings as ``torchvision.transforms.v2.functional``. Every functional
dispatches on its input's type (see :mod:`triptych.vision.transforms._dispatch`):

* images — a plain tensor or :class:`~triptych.vision.tensors.Image` ``(..., C, H, W)``, uint8
  or float (other dtypes work where noted), or a PIL image (converted to a tensor and back);
* :class:`~triptych.vision.tensors.Mask` ``(..., H, W)`` — always nearest interpolation, the dtype
  and the set of values are kept;
* :class:`~triptych.vision.tensors.BoundingBoxes` — boxes move with the image, ``canvas_size`` is
  updated, and after crops, pads, rotations, affine and perspective warps they are clamped to the
  canvas (a rotated/warped box becomes the box enclosing its four transformed corners);
* :class:`~triptych.vision.tensors.KeyPoints` — points move with the image (not clamped).

Coordinates: a box coordinate is continuous, ``(0, 0)`` the top-left corner of the top-left
pixel and ``(W, H)`` the bottom-right corner of the image. Keypoints follow torchvision: flips
map ``x -> W - 1 - x`` (a keypoint names a pixel), every other transform treats them as
continuous points like box corners.

Angles are in degrees. :func:`rotate` turns counter-clockwise for a positive angle;
:func:`affine` turns clockwise for a positive angle (both as torchvision).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as TF

from triptych.vision import ops as vops

from ...tensors import BoundingBoxes, BoundingBoxFormat, KeyPoints, Mask, wrap
from .._dispatch import dispatch, register_kernel
from ._meta import _plain, _shift_boxes
from ._utils import (
    InterpolationMode,
    _check_image,
    _dense,
    _mode,
    _pair,
    _saturate,
    _to_nchw,
    _with_channel,
    _work_dtype,
)

__all__ = [
    "resize",
    "resized_crop",
    "crop",
    "center_crop",
    "five_crop",
    "ten_crop",
    "pad",
    "horizontal_flip",
    "hflip",
    "vertical_flip",
    "vflip",
]


# --- resize ---------------------------------------------------------------------------------


def _resized_output_size(
    canvas_size: Sequence[int], size: int | Sequence[int] | None, max_size: int | None = None
) -> tuple[int, int]:
    """torchvision's rule: an int (or 1-sequence) is the shorter side, (h, w) is exact,
    None means "longer side = max_size"; ``max_size`` caps the longer side."""
    h, w = int(canvas_size[0]), int(canvas_size[1])
    if h <= 0 or w <= 0:  # boxes and keypoints reach here without an image check
        raise ValueError(f"resize got an empty canvas of size {(h, w)}: height and width must be at least 1")
    short, long = (w, h) if w <= h else (h, w)
    if isinstance(size, numbers.Number):
        size = [int(size)]
    if size is None:
        if not isinstance(max_size, int):
            raise ValueError(f"max_size must be an integer when size is None, got {max_size!r}")
        new_short, new_long = int(max_size * short / long), max_size
    else:
        size = [int(s) for s in size]
        if len(size) == 2:
            if max_size is not None:
                raise ValueError(
                    "max_size may only be given when size is None or the length of the shorter side"
                )
            if min(size) < 1:
                raise ValueError(f"size must be positive, got {size}")
            return size[0], size[1]
        if len(size) != 1:
            raise ValueError(f"size must be an int, a sequence of 1 or 2 ints, or None, got {size}")
        if size[0] < 1:
            raise ValueError(f"size must be positive, got {size}")
        new_short, new_long = size[0], int(size[0] * long / short)
        if max_size is not None:
            if max_size <= size[0]:
                raise ValueError(
                    f"max_size = {max_size} must be strictly greater than the requested size {size[0]}"
                )
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    return max(new_h, 1), max(new_w, 1)


def _nearest_indices(in_size: int, out_size: int, device: torch.device) -> torch.Tensor:
    """Source rows of torch's ``interpolate(mode="nearest")``: floor(dst * in / out) in float32."""
    if in_size == out_size:
        return torch.arange(out_size, device=device)
    scale = torch.tensor(in_size, dtype=torch.float32) / out_size
    index = torch.floor(torch.arange(out_size, dtype=torch.float32) * scale).to(torch.int64)
    return index.clamp_(max=in_size - 1).to(device)


def _resize_nearest_any(x: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """Nearest resize of ``(..., H, W)`` of any dtype by gathering rows and columns."""
    rows = _nearest_indices(x.shape[-2], size[0], x.device)
    cols = _nearest_indices(x.shape[-1], size[1], x.device)
    return x.index_select(-2, rows).index_select(-1, cols)


_OP_DTYPES = (torch.uint8, torch.float32, torch.float64)


def _resize_to(
    image: torch.Tensor, size: Sequence[int], mode: str, antialias: bool
) -> torch.Tensor:
    """Resize ``(..., C, H, W)`` to ``size``; uint8/float32/float64 go straight to ``vision.ops.resize``."""
    size = [int(size[0]), int(size[1])]
    if tuple(image.shape[-2:]) == tuple(size):
        return image
    if image.numel() == 0:
        return image.new_empty((*image.shape[:-2], *size))
    if mode == "nearest" and image.dtype not in _OP_DTYPES:
        return _resize_nearest_any(image, size)
    x, restore = (image, lambda out: out) if image.ndim in (3, 4) else _to_nchw(image)
    if x.dtype in _OP_DTYPES:
        out = vops.resize(_dense(x), size, interpolation=mode, antialias=antialias)
    elif x.is_floating_point():
        out = vops.resize(_dense(x).float(), size, interpolation=mode, antialias=antialias).to(
            x.dtype
        )
    else:
        work = vops.resize(
            _dense(x).to(_work_dtype(x.dtype)), size, interpolation=mode, antialias=antialias
        )
        out = _saturate(work, x.dtype)
    return restore(out)


def resize(
    inpt: Any,
    size: int | Sequence[int] | None,
    interpolation: InterpolationMode | str | int = InterpolationMode.BILINEAR,
    max_size: int | None = None,
    antialias: bool | None = True,
) -> Any:
    """Resize to ``size``: an int (or ``[int]``) sets the shorter side keeping the aspect ratio
    (longer side ``int(size * long / short)``), ``(h, w)`` sets both, ``None`` sets the longer
    side to ``max_size``; ``max_size`` caps the longer side.

    Images ``(..., C, H, W)`` use ``interpolation`` (nearest, bilinear, bicubic) with an
    antialiasing filter when downscaling (``antialias=True``, the default, as PIL and
    ``torch.nn.functional.interpolate(antialias=True)``). uint8 and float images run the
    compiled :func:`triptych.vision.ops.resize` kernel directly; uint8 results are rounded.
    Masks use nearest; boxes and keypoints are scaled, ``canvas_size`` updated.

    Example:
        >>> import torch
        >>> resize(torch.zeros(3, 100, 80, dtype=torch.uint8), 40).shape
        torch.Size([3, 50, 40])
        >>> resize(torch.zeros(3, 100, 80), [20, 30]).shape
        torch.Size([3, 20, 30])
    """
    return dispatch(
        resize, inpt, size=size, interpolation=interpolation, max_size=max_size, antialias=antialias
    )


@register_kernel(resize, torch.Tensor)
def _resize_image(
    image, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True
):
    _check_image(image, "resize")
    mode = _mode(interpolation)
    new_size = _resized_output_size(image.shape[-2:], size, max_size)
    return _resize_to(image, new_size, mode, bool(antialias))


@register_kernel(resize, Mask)
def _resize_mask(mask, size, interpolation=None, max_size=None, antialias=None):
    _check_image(mask, "resize", min_ndim=2)
    new_size = _resized_output_size(mask.shape[-2:], size, max_size)
    return _with_channel(mask, lambda m: _resize_to(m, new_size, "nearest", False))


@register_kernel(resize, BoundingBoxes)
def _resize_boxes(boxes, size, interpolation=None, max_size=None, antialias=None):
    old_h, old_w = boxes.canvas_size
    new_h, new_w = _resized_output_size(boxes.canvas_size, size, max_size)
    ratios = torch.tensor([new_w / old_w, new_h / old_h] * 2, device=boxes.device)
    out = _plain(boxes).mul(ratios).to(boxes.dtype)
    return wrap(out, like=boxes, canvas_size=(new_h, new_w))


@register_kernel(resize, KeyPoints)
def _resize_keypoints(points, size, interpolation=None, max_size=None, antialias=None):
    old_h, old_w = points.canvas_size
    new_h, new_w = _resized_output_size(points.canvas_size, size, max_size)
    ratios = torch.tensor([new_w / old_w, new_h / old_h], device=points.device)
    return wrap(
        _plain(points).mul(ratios).to(points.dtype), like=points, canvas_size=(new_h, new_w)
    )


# --- crop -----------------------------------------------------------------------------------


def crop(inpt: Any, top: int, left: int, height: int, width: int) -> Any:
    """Crop the region with top-left corner ``(top, left)`` and size ``(height, width)``.

    Parts of the region outside the image are zero (as torchvision). Images ``(..., C, H, W)``
    and masks ``(..., H, W)`` -> ``(..., height, width)``; boxes are shifted and clamped to the
    new canvas; keypoints are shifted.

    Example:
        >>> import torch
        >>> x = torch.arange(16).reshape(1, 4, 4)
        >>> crop(x, 1, 2, 2, 2)
        tensor([[[ 6,  7],
                 [10, 11]]])
    """
    return dispatch(crop, inpt, top=int(top), left=int(left), height=int(height), width=int(width))


@register_kernel(crop, torch.Tensor)
def _crop_image(image, top, left, height, width):
    _check_image(image, "crop", min_ndim=2)
    if height < 0 or width < 0:
        raise ValueError(f"crop size must be non-negative, got {(height, width)}")
    h, w = image.shape[-2:]
    bottom, right = top + height, left + width
    if top >= 0 and left >= 0 and bottom <= h and right <= w:
        return image[..., top:bottom, left:right]
    inside = image[..., max(top, 0) : max(min(bottom, h), 0), max(left, 0) : max(min(right, w), 0)]
    pads = [max(-left, 0), 0, max(-top, 0), 0]
    pads[1] = width - pads[0] - inside.shape[-1]
    pads[3] = height - pads[2] - inside.shape[-2]
    if inside.shape[-1] == 0 or inside.shape[-2] == 0:
        return image.new_zeros((*image.shape[:-2], height, width))
    return TF.pad(inside, pads, mode="constant", value=0)


@register_kernel(crop, BoundingBoxes)
def _crop_boxes(boxes, top, left, height, width):
    return _shift_boxes(boxes, -left, -top, (height, width))


@register_kernel(crop, KeyPoints)
def _crop_keypoints(points, top, left, height, width):
    offset = torch.tensor([left, top], dtype=points.dtype, device=points.device)
    return wrap(_plain(points) - offset, like=points, canvas_size=(height, width))


def _center_crop_anchor(crop_size: int, size: int) -> int:
    """torchvision's top/left of a centred crop; a crop larger than the image pads (size-1)//2 first."""
    if crop_size > size:
        return -((crop_size - size) // 2)
    return int(round((size - crop_size) / 2.0))


def center_crop(inpt: Any, output_size: int | Sequence[int]) -> Any:
    """Crop the centre ``output_size`` = (h, w) (an int for a square); pads with zeros where the
    crop is larger than the image. Shapes as :func:`crop`.

    Example:
        >>> import torch
        >>> center_crop(torch.arange(25).reshape(1, 5, 5), 3)[0, 0]
        tensor([6, 7, 8])
    """
    crop_h, crop_w = _pair(output_size, "output_size")
    h, w = _spatial_size(inpt)
    return crop(
        inpt, _center_crop_anchor(crop_h, h), _center_crop_anchor(crop_w, w), crop_h, crop_w
    )


def _spatial_size(inpt: Any) -> tuple[int, int]:
    if isinstance(inpt, (BoundingBoxes, KeyPoints)):
        return inpt.canvas_size
    if isinstance(inpt, torch.Tensor):
        if inpt.ndim < 2:
            raise ValueError(f"expected (..., H, W), got shape {tuple(inpt.shape)}")
        return int(inpt.shape[-2]), int(inpt.shape[-1])
    if hasattr(inpt, "height") and hasattr(inpt, "width"):
        return int(inpt.height), int(inpt.width)
    raise TypeError(f"cannot find the size of a {type(inpt).__name__}")


def five_crop(inpt: Any, size: int | Sequence[int]) -> tuple[Any, Any, Any, Any, Any]:
    """The four corner crops and the centre crop of ``size`` = (h, w):
    ``(top_left, top_right, bottom_left, bottom_right, center)``, each ``(..., h, w)``.

    Example:
        >>> import torch
        >>> tl, tr, bl, br, c = five_crop(torch.arange(16).reshape(1, 4, 4), 2)
        >>> br
        tensor([[[10, 11],
                 [14, 15]]])
    """
    crop_h, crop_w = _pair(size, "size")
    h, w = _spatial_size(inpt)
    if crop_h > h or crop_w > w:
        raise ValueError(
            f"five_crop size {(crop_h, crop_w)} is larger than the input size {(h, w)}"
        )
    return (
        crop(inpt, 0, 0, crop_h, crop_w),
        crop(inpt, 0, w - crop_w, crop_h, crop_w),
        crop(inpt, h - crop_h, 0, crop_h, crop_w),
        crop(inpt, h - crop_h, w - crop_w, crop_h, crop_w),
        center_crop(inpt, [crop_h, crop_w]),
    )


def ten_crop(inpt: Any, size: int | Sequence[int], vertical_flip: bool = False) -> tuple[Any, ...]:
    """:func:`five_crop` of the input, then of its horizontally (or vertically) flipped copy: 10 crops.

    Example:
        >>> import torch
        >>> len(ten_crop(torch.zeros(3, 8, 8), 4))
        10
    """
    flipped = vflip(inpt) if vertical_flip else hflip(inpt)
    return five_crop(inpt, size) + five_crop(flipped, size)


def resized_crop(
    inpt: Any,
    top: int,
    left: int,
    height: int,
    width: int,
    size: int | Sequence[int],
    interpolation: InterpolationMode | str | int = InterpolationMode.BILINEAR,
    antialias: bool | None = True,
) -> Any:
    """:func:`crop` then :func:`resize` to ``size`` (same meaning as in :func:`resize`: (h, w)
    exact, an int the shorter side).

    uint8 images are cropped as a view and resized by the compiled kernel (no float copy).

    Example:
        >>> import torch
        >>> resized_crop(torch.zeros(3, 64, 64, dtype=torch.uint8), 8, 8, 32, 16, [24, 24]).shape
        torch.Size([3, 24, 24])
    """
    return resize(
        crop(inpt, top, left, height, width), size, interpolation=interpolation, antialias=antialias
    )


# --- pad ------------------------------------------------------------------------------------

PADDING_MODES = ("constant", "edge", "reflect", "symmetric")


def _parse_padding(padding: int | Sequence[int]) -> tuple[int, int, int, int]:
    """torchvision's padding: int, [all], [left/right, top/bottom] or [left, top, right, bottom]
    -> (left, right, top, bottom)."""
    if isinstance(padding, numbers.Number):
        values = [int(padding)] * 4
    elif isinstance(padding, (list, tuple)) and len(padding) in (1, 2, 4):
        p = [int(v) for v in padding]
        if len(p) == 1:
            values = p * 4
        elif len(p) == 2:
            values = [p[0], p[0], p[1], p[1]]
        else:
            values = [p[0], p[2], p[1], p[3]]
    else:
        raise ValueError(f"padding must be an int or a sequence of 1, 2 or 4 ints, got {padding!r}")
    if min(values) < 0:
        raise ValueError(f"padding must be non-negative, got {padding!r}")
    left, right, top, bottom = values
    return left, right, top, bottom


def _pad_indices(n: int, before: int, after: int, mode: str, device) -> torch.Tensor:
    i = torch.arange(-before, n + after, device=device)
    if mode == "edge":
        return i.clamp(0, n - 1)
    if (
        mode == "reflect"
    ):  # mirror about the edge pixel: ... 2 1 | 0 1 2 ... (repeats for wide pads)
        if n == 1:
            return torch.zeros_like(i)
        i = i.remainder(2 * n - 2)
        return torch.where(i >= n, 2 * n - 2 - i, i)
    i = i.remainder(2 * n)  # symmetric: mirror including the edge pixel: ... 1 0 | 0 1 ...
    return torch.where(i >= n, 2 * n - 1 - i, i)


def _fill_values(fill: Any, channels: int | None) -> list[float] | None:
    if fill is None:
        return None
    if isinstance(fill, numbers.Number):
        return [float(fill)]
    values = [float(v) for v in fill]
    if len(values) == 1:
        return values
    if channels is not None and len(values) != channels:
        raise ValueError(f"fill has {len(values)} values but the image has {channels} channels")
    return values


def _pad_any(
    x: torch.Tensor, padding: tuple[int, int, int, int], fill: Any, mode: str, channel_dim: bool
) -> torch.Tensor:
    left, right, top, bottom = padding
    if mode not in PADDING_MODES:
        raise ValueError(f"padding_mode must be one of {PADDING_MODES}, got {mode!r}")
    if mode != "constant":
        rows = _pad_indices(x.shape[-2], top, bottom, mode, x.device)
        cols = _pad_indices(x.shape[-1], left, right, mode, x.device)
        return x.index_select(-2, rows).index_select(-1, cols)
    values = _fill_values(fill, x.shape[-3] if channel_dim and x.ndim >= 3 else None) or [0.0]
    if len(values) == 1:
        value = values[0]
        if not x.is_floating_point() and x.dtype != torch.bool:
            info = torch.iinfo(x.dtype)
            value = int(min(max(round(value), info.min), info.max))
        return TF.pad(x, [left, right, top, bottom], mode="constant", value=value)
    h, w = x.shape[-2:]
    out = x.new_empty((*x.shape[:-2], h + top + bottom, w + left + right))
    out.copy_(torch.tensor(values, device=x.device).view(-1, 1, 1).to(x.dtype).expand_as(out))
    out[..., top : top + h, left : left + w] = x
    return out


def pad(
    inpt: Any,
    padding: int | Sequence[int],
    fill: float | Sequence[float] | None = None,
    padding_mode: str = "constant",
) -> Any:
    """Pad the borders: ``padding`` is an int (all sides), ``[left/right, top/bottom]`` or
    ``[left, top, right, bottom]``.

    ``padding_mode``: ``"constant"`` (``fill``: a number, or one value per channel for images;
    default 0), ``"edge"`` (repeat the border pixel), ``"reflect"`` (mirror without repeating
    the border pixel: ``[1, 2, 3, 4]`` padded by 2 -> ``3 2 1 2 3 4 3 2``) or ``"symmetric"``
    (mirror repeating it: ``2 1 1 2 3 4 4 3``). Pads wider than the image keep mirroring.
    Works on every dtype.
    Images ``(..., C, H, W)`` and masks ``(..., H, W)`` grow; boxes and keypoints shift.

    Example:
        >>> import torch
        >>> pad(torch.tensor([[[1, 2, 3, 4]]]), [2, 0], padding_mode="reflect")
        tensor([[[3, 2, 1, 2, 3, 4, 3, 2]]])
    """
    return dispatch(pad, inpt, padding=padding, fill=fill, padding_mode=padding_mode)


@register_kernel(pad, torch.Tensor)
def _pad_image(image, padding, fill=None, padding_mode="constant"):
    _check_image(image, "pad")
    return _pad_any(image, _parse_padding(padding), fill, padding_mode, channel_dim=True)


@register_kernel(pad, Mask)
def _pad_mask(mask, padding, fill=None, padding_mode="constant"):
    if fill is not None and not isinstance(fill, numbers.Number):
        values = _fill_values(fill, None)
        if len(values) != 1:
            raise ValueError(f"a mask is padded with one value, got fill={fill!r}")
        fill = values[0]
    _check_image(mask, "pad", min_ndim=2)
    return _pad_any(mask, _parse_padding(padding), fill, padding_mode, channel_dim=False)


@register_kernel(pad, BoundingBoxes)
def _pad_boxes(boxes, padding, fill=None, padding_mode="constant"):
    left, right, top, bottom = _parse_padding(padding)
    h, w = boxes.canvas_size
    return _shift_boxes(boxes, left, top, (h + top + bottom, w + left + right))


@register_kernel(pad, KeyPoints)
def _pad_keypoints(points, padding, fill=None, padding_mode="constant"):
    left, right, top, bottom = _parse_padding(padding)
    h, w = points.canvas_size
    offset = torch.tensor([left, top], dtype=points.dtype, device=points.device)
    return wrap(
        _plain(points) + offset, like=points, canvas_size=(h + top + bottom, w + left + right)
    )


# --- flips ----------------------------------------------------------------------------------


def horizontal_flip(inpt: Any) -> Any:
    """Mirror left-right. Images/masks ``(..., H, W)``; boxes ``x -> W - x``; keypoints ``x -> W - 1 - x``.

    Example:
        >>> import torch
        >>> horizontal_flip(torch.tensor([[[1, 2, 3]]]))
        tensor([[[3, 2, 1]]])
    """
    return dispatch(horizontal_flip, inpt)


def vertical_flip(inpt: Any) -> Any:
    """Mirror top-bottom. Images/masks ``(..., H, W)``; boxes ``y -> H - y``; keypoints ``y -> H - 1 - y``.

    Example:
        >>> import torch
        >>> vertical_flip(torch.tensor([[[1], [2], [3]]]))[0, :, 0]
        tensor([3, 2, 1])
    """
    return dispatch(vertical_flip, inpt)


hflip = horizontal_flip
vflip = vertical_flip


@register_kernel(horizontal_flip, torch.Tensor)
def _hflip_image(image):
    _check_image(image, "horizontal_flip", min_ndim=2)
    return _flip_any(image, -1)


@register_kernel(vertical_flip, torch.Tensor)
def _vflip_image(image):
    _check_image(image, "vertical_flip", min_ndim=2)
    return _flip_any(image, -2)


def _flip_any(x: torch.Tensor, dim: int) -> torch.Tensor:
    """``x.flip(dim)`` for every dtype: torch's CPU flip lacks uint16/uint32/uint64 for some
    layouts, a reversed gather has them all."""
    try:
        return x.flip(dim)
    except NotImplementedError:
        reverse = torch.arange(x.shape[dim] - 1, -1, -1, device=x.device)
        return x.index_select(dim, reverse)


def _flip_boxes(boxes: BoundingBoxes, axis: int) -> BoundingBoxes:
    """axis 0: x (horizontal flip), 1: y (vertical flip)."""
    extent = boxes.canvas_size[1 - axis]
    out = _plain(boxes).clone()
    lo, hi = axis, axis + 2
    if boxes.format == BoundingBoxFormat.XYXY:
        out[..., lo], out[..., hi] = (
            extent - _plain(boxes)[..., hi],
            extent - _plain(boxes)[..., lo],
        )
    elif boxes.format == BoundingBoxFormat.XYWH:
        out[..., lo] = extent - _plain(boxes)[..., lo] - _plain(boxes)[..., hi]
    else:
        out[..., lo] = extent - _plain(boxes)[..., lo]
    return wrap(out, like=boxes)


@register_kernel(horizontal_flip, BoundingBoxes)
def _hflip_boxes(boxes):
    return _flip_boxes(boxes, 0)


@register_kernel(vertical_flip, BoundingBoxes)
def _vflip_boxes(boxes):
    return _flip_boxes(boxes, 1)


def _flip_keypoints(points: KeyPoints, axis: int) -> KeyPoints:
    out = _plain(points).clone()
    out[..., axis] = points.canvas_size[1 - axis] - 1 - out[..., axis]
    return wrap(out, like=points)


@register_kernel(horizontal_flip, KeyPoints)
def _hflip_keypoints(points):
    return _flip_keypoints(points, 0)


@register_kernel(vertical_flip, KeyPoints)
def _vflip_keypoints(points):
    return _flip_keypoints(points, 1)
