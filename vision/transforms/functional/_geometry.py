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

import enum
import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as TF

from triptych.vision import ops as vops
from triptych.vision.ops import _is_channels_last

from ...tensors import BoundingBoxes, BoundingBoxFormat, KeyPoints, Mask, wrap
from .._dispatch import dispatch, register_kernel

__all__ = [
    "InterpolationMode",
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
    "rotate",
    "affine",
    "perspective",
    "elastic",
    "clamp_bounding_boxes",
    "convert_bounding_box_format",
    "sanitize_bounding_boxes",
    "clamp_keypoints",
]


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


def _check_image(image: torch.Tensor, name: str, *, min_ndim: int = 3) -> None:
    """The check every geometry kernel starts with: enough dimensions, and a height and width
    of at least one pixel (an empty image has nothing to resample: no silent empty result)."""
    if image.ndim < min_ndim:
        layout = "(..., C, H, W)" if min_ndim == 3 else "(..., H, W)"
        raise ValueError(f"{name} expects an image {layout}, got shape {tuple(image.shape)}")
    if image.shape[-2] == 0 or image.shape[-1] == 0:
        raise ValueError(
            f"{name} got an empty image of shape {tuple(image.shape)}: "
            "height and width must be at least 1"
        )


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


# --- bounding-box format helpers -----------------------------------------------------------


def _box_format(fmt: Any) -> BoundingBoxFormat:
    if isinstance(fmt, BoundingBoxFormat):
        return fmt
    if isinstance(fmt, str):
        return BoundingBoxFormat(fmt.upper())
    raise TypeError(f"format must be a BoundingBoxFormat or a string, got {fmt!r}")


def _convert_format(
    boxes: torch.Tensor, old: BoundingBoxFormat, new: BoundingBoxFormat
) -> torch.Tensor:
    """Convert plain ``(..., 4)`` boxes; integer boxes use floor division like torchvision."""
    if old == new:
        return boxes.clone()
    exact = boxes.is_floating_point()
    a, b, c, d = boxes.unbind(-1)
    if old == BoundingBoxFormat.XYWH:
        x1, y1, x2, y2 = a, b, a + c, b + d
    elif old == BoundingBoxFormat.CXCYWH:
        half_w = c / 2 if exact else -torch.div(c, -2, rounding_mode="floor")  # ceil(w / 2)
        half_h = d / 2 if exact else -torch.div(d, -2, rounding_mode="floor")
        x1, y1 = a - half_w, b - half_h
        x2, y2 = x1 + c, y1 + d
    else:
        x1, y1, x2, y2 = a, b, c, d
    if new == BoundingBoxFormat.XYXY:
        out = (x1, y1, x2, y2)
    elif new == BoundingBoxFormat.XYWH:
        out = (x1, y1, x2 - x1, y2 - y1)
    else:
        w, h = x2 - x1, y2 - y1
        if exact:
            out = ((x1 + x2) / 2, (y1 + y2) / 2, w, h)
        else:
            out = (
                torch.div(2 * x1 + w, 2, rounding_mode="floor"),
                torch.div(2 * y1 + h, 2, rounding_mode="floor"),
                w,
                h,
            )
    return torch.stack(out, dim=-1).to(boxes.dtype)


def _clamp_boxes(
    boxes: torch.Tensor, fmt: BoundingBoxFormat, canvas_size: Sequence[int]
) -> torch.Tensor:
    """Clamp plain boxes to ``[0, W] x [0, H]`` (computed in float, returned in the input dtype)."""
    xyxy = _convert_format(
        boxes if boxes.is_floating_point() else boxes.float(), fmt, BoundingBoxFormat.XYXY
    )
    xyxy[..., 0::2].clamp_(min=0, max=canvas_size[1])
    xyxy[..., 1::2].clamp_(min=0, max=canvas_size[0])
    return _convert_format(xyxy, BoundingBoxFormat.XYXY, fmt).to(boxes.dtype)


def _plain(x: torch.Tensor) -> torch.Tensor:
    return x.as_subclass(torch.Tensor)


def _shift_boxes(
    boxes: BoundingBoxes, dx: float, dy: float, canvas_size: tuple[int, int]
) -> BoundingBoxes:
    """Translate boxes by (dx, dy), clamp to the new canvas."""
    offset = [dx, dy, dx, dy] if boxes.format == BoundingBoxFormat.XYXY else [dx, dy, 0, 0]
    moved = _plain(boxes) + torch.tensor(offset, dtype=boxes.dtype, device=boxes.device)
    return wrap(_clamp_boxes(moved, boxes.format, canvas_size), like=boxes, canvas_size=canvas_size)


def _map_box_corners(
    boxes: BoundingBoxes,
    point_map: Callable[[torch.Tensor], torch.Tensor],
    canvas_size: tuple[int, int],
) -> BoundingBoxes:
    """Boxes enclosing the images of their four corners under ``point_map``, clamped to the canvas."""
    plain = _plain(boxes)
    if plain.numel() == 0:
        return wrap(plain.clone(), like=boxes, canvas_size=canvas_size)
    work = plain.to(_work_dtype(plain.dtype) if not plain.is_floating_point() else plain.dtype)
    xyxy = _convert_format(work, boxes.format, BoundingBoxFormat.XYXY).reshape(-1, 4)
    corners = xyxy[:, [[0, 1], [2, 1], [2, 3], [0, 3]]].reshape(-1, 2)
    mapped = point_map(corners).reshape(-1, 4, 2)
    out = torch.cat([mapped.amin(dim=1), mapped.amax(dim=1)], dim=1)
    out[:, 0::2].clamp_(min=0, max=canvas_size[1])
    out[:, 1::2].clamp_(min=0, max=canvas_size[0])
    out = (
        _convert_format(out, BoundingBoxFormat.XYXY, boxes.format)
        .reshape(plain.shape)
        .to(plain.dtype)
    )
    return wrap(out, like=boxes, canvas_size=canvas_size)


def _map_points(
    points: KeyPoints, point_map: Callable[[torch.Tensor], torch.Tensor], canvas_size
) -> KeyPoints:
    plain = _plain(points)
    work = plain if plain.is_floating_point() else plain.to(torch.float32)
    out = point_map(work.reshape(-1, 2)).reshape(plain.shape).to(plain.dtype)
    return wrap(out, like=points, canvas_size=canvas_size)


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


# --- warps: the grid machinery shared by rotate / affine / perspective / elastic -------------


def _grid_sample(images: torch.Tensor, grid: torch.Tensor, mode: str, fill: Any) -> torch.Tensor:
    """Sample ``images`` ``(N, C, H, W)`` at ``grid`` ``(1 or N, h, w, 2)`` (normalised,
    align_corners=False); points outside the image take ``fill`` (0 when None).

    Bilinear samples next to the border blend the image with ``fill``. Integer images are
    computed in float and rounded back.
    """
    n, channels, height, width = images.shape
    out_h, out_w = grid.shape[1:3]
    if images.numel() == 0 or out_h == 0 or out_w == 0:
        return images.new_zeros((n, channels, out_h, out_w))
    work_dtype = (
        _work_dtype(images.dtype)
        if not (images.is_cuda and images.is_floating_point())
        else images.dtype
    )
    work = images.to(work_dtype)
    values = _fill_values(fill, channels)
    blend = values is not None and any(v != 0 for v in values)
    if blend:  # one extra channel tells how much of each output sample came from inside
        work = torch.cat([work, work.new_ones((n, 1, height, width))], dim=1)
    grid = grid.to(work_dtype)
    if grid.shape[0] != n:
        grid = grid.expand(n, -1, -1, -1)
    out = TF.grid_sample(work, grid, mode=mode, padding_mode="zeros", align_corners=False)
    if blend:
        out, inside = out[:, :-1], out[:, -1:]
        fill_t = torch.tensor(values, dtype=work_dtype, device=out.device).view(1, -1, 1, 1)
        out = out + (1 - inside) * fill_t
    if images.is_floating_point():
        return out.to(images.dtype)
    return _saturate(out, images.dtype)


def _grid_dtype(image: torch.Tensor) -> torch.dtype:
    """The dtype sampling grids are computed in: the image's for float32/float64, else float32."""
    return image.dtype if image.dtype in (torch.float32, torch.float64) else torch.float32


def _warp_images(image: torch.Tensor, grid: torch.Tensor, mode: str, fill: Any) -> torch.Tensor:
    """:func:`_grid_sample` for ``(..., C, H, W)`` with one grid shared by all leading dims."""
    x, restore = _to_nchw(image)
    return restore(_grid_sample(x, grid, mode, fill))


def _affine_coefficients(
    center: Sequence[float],
    angle: float,
    translate: Sequence[float],
    scale: float,
    shear: Sequence[float],
) -> tuple[list[float], list[float]]:
    """The forward map ``p -> A (p - center) + center + translate`` and its inverse, as 2x3
    row-major lists. ``A`` = rotation(angle) @ scale @ shear_y @ shear_x, with y pointing down
    (a positive angle turns clockwise on screen)."""
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    a = math.cos(rot - sy) / math.cos(sy)
    c = math.sin(rot - sy) / math.cos(sy)
    b = -(a * math.tan(sx) + math.sin(rot))
    d = math.cos(rot) - c * math.tan(sx)
    cx, cy = center
    tx, ty = translate
    fwd = [a * scale, b * scale, 0.0, c * scale, d * scale, 0.0]
    fwd[2] = cx + tx - fwd[0] * cx - fwd[1] * cy
    fwd[5] = cy + ty - fwd[3] * cx - fwd[4] * cy
    # det(A) = scale^2, so A^-1 = [[d, -b], [-c, a]] / scale
    inv = [d / scale, -b / scale, 0.0, -c / scale, a / scale, 0.0]
    inv[2] = cx - inv[0] * (cx + tx) - inv[1] * (cy + ty)
    inv[5] = cy - inv[3] * (cx + tx) - inv[4] * (cy + ty)
    return fwd, inv


def _affine_grid(
    inverse: torch.Tensor, in_size: Sequence[int], out_size: Sequence[int]
) -> torch.Tensor:
    """Sampling grid ``(B, oh, ow, 2)`` for inverse maps ``(B, 2, 3)`` given in coordinates
    centred on the image centres (output pixel centres -> input points)."""
    h, w = in_size
    oh, ow = out_size
    dtype, device = inverse.dtype, inverse.device
    xs = torch.linspace((1.0 - ow) * 0.5, (ow - 1.0) * 0.5, ow, dtype=dtype, device=device)
    ys = torch.linspace((1.0 - oh) * 0.5, (oh - 1.0) * 0.5, oh, dtype=dtype, device=device)
    base = torch.stack(
        [
            xs.expand(oh, ow),
            ys.unsqueeze(1).expand(oh, ow),
            torch.ones(oh, ow, dtype=dtype, device=device),
        ],
        dim=-1,
    )
    scale = torch.tensor([0.5 * w, 0.5 * h], dtype=dtype, device=device)
    grid = base.reshape(1, oh * ow, 3) @ (inverse.transpose(1, 2) / scale)
    return grid.reshape(-1, oh, ow, 2)


def _parse_affine(
    angle, translate, scale, shear, center
) -> tuple[float, list[float], float, list[float], list[float] | None]:
    if not isinstance(angle, numbers.Number):
        raise TypeError(f"angle must be a number, got {angle!r}")
    if not isinstance(translate, (list, tuple)) or len(translate) != 2:
        raise ValueError(f"translate must be a sequence of 2 numbers, got {translate!r}")
    if not isinstance(scale, numbers.Number) or scale <= 0:
        raise ValueError(f"scale must be a positive number, got {scale!r}")
    if isinstance(shear, numbers.Number):
        shear = [float(shear), 0.0]
    else:
        shear = [float(s) for s in shear]
        if len(shear) == 1:
            shear = [shear[0], shear[0]]
        if len(shear) != 2:
            raise ValueError(
                f"shear must be a number or a sequence of 1 or 2 numbers, got {shear!r}"
            )
    if center is not None:
        if not isinstance(center, (list, tuple)) or len(center) != 2:
            raise ValueError(f"center must be a sequence (x, y), got {center!r}")
        center = [float(c) for c in center]
    return float(angle), [float(t) for t in translate], float(scale), shear, center


def _affine_inverse_centred(
    size: Sequence[int], angle, translate, scale, shear, center
) -> list[float]:
    """Inverse affine map in coordinates centred on the image centre (as the grid needs)."""
    h, w = size
    centre = [0.0, 0.0] if center is None else [center[0] - 0.5 * w, center[1] - 0.5 * h]
    return _affine_coefficients(centre, angle, translate, scale, shear)[1]


def _affine_forward_pixels(
    size: Sequence[int], angle, translate, scale, shear, center
) -> list[float]:
    """Forward affine map in pixel coordinates (origin at the top-left corner)."""
    h, w = size
    centre = [0.5 * w, 0.5 * h] if center is None else center
    return _affine_coefficients(centre, angle, translate, scale, shear)[0]


def _apply_affine_points(
    points: torch.Tensor, matrix: Sequence[float], shift: Sequence[float] = (0.0, 0.0)
) -> torch.Tensor:
    m = torch.tensor(matrix, dtype=points.dtype, device=points.device).view(2, 3)
    out = points @ m[:, :2].T + m[:, 2]
    if shift[0] or shift[1]:
        out = out + torch.tensor(shift, dtype=points.dtype, device=points.device)
    return out


def affine(
    inpt: Any,
    angle: float,
    translate: Sequence[float],
    scale: float,
    shear: float | Sequence[float],
    interpolation: InterpolationMode | str | int = InterpolationMode.NEAREST,
    fill: float | Sequence[float] | None = None,
    center: Sequence[float] | None = None,
) -> Any:
    """Affine warp keeping the size: rotate by ``angle`` (clockwise, degrees) about ``center``
    (x, y; default the image centre), scale by ``scale``, shear by ``shear`` degrees (x, or
    (x, y)), then translate by ``translate`` = (dx, dy) pixels.

    Images ``(..., C, H, W)`` are sampled with ``interpolation`` (nearest or bilinear) through
    ``grid_sample``; outside points take ``fill`` (0 by default). Masks use nearest. Boxes become
    the box around their four transformed corners, clamped to the canvas; keypoints move as points.

    Example:
        >>> import torch
        >>> x = torch.arange(9.).reshape(1, 3, 3)
        >>> affine(x, angle=0.0, translate=[1, 0], scale=1.0, shear=0.0)
        tensor([[[0., 0., 1.],
                 [0., 3., 4.],
                 [0., 6., 7.]]])
    """
    return dispatch(
        affine,
        inpt,
        angle=angle,
        translate=translate,
        scale=scale,
        shear=shear,
        interpolation=interpolation,
        fill=fill,
        center=center,
    )


@register_kernel(affine, torch.Tensor)
def _affine_image(
    image,
    angle,
    translate,
    scale,
    shear,
    interpolation=InterpolationMode.NEAREST,
    fill=None,
    center=None,
):
    _check_image(image, "affine")
    mode = _mode(interpolation, ("nearest", "bilinear"))
    angle, translate, scale, shear, center = _parse_affine(angle, translate, scale, shear, center)
    size = image.shape[-2:]
    inverse = _affine_inverse_centred(size, angle, translate, scale, shear, center)
    dtype = _grid_dtype(image)
    theta = torch.tensor(inverse, dtype=dtype, device=image.device).view(1, 2, 3)
    return _warp_images(image, _affine_grid(theta, size, size), mode, fill)


@register_kernel(affine, Mask)
def _affine_mask(mask, angle, translate, scale, shear, interpolation=None, fill=None, center=None):
    return _with_channel(
        mask, lambda m: _affine_image(m, angle, translate, scale, shear, "nearest", fill, center)
    )


@register_kernel(affine, BoundingBoxes)
def _affine_boxes(
    boxes, angle, translate, scale, shear, interpolation=None, fill=None, center=None
):
    angle, translate, scale, shear, center = _parse_affine(angle, translate, scale, shear, center)
    forward = _affine_forward_pixels(boxes.canvas_size, angle, translate, scale, shear, center)
    return _map_box_corners(boxes, lambda p: _apply_affine_points(p, forward), boxes.canvas_size)


@register_kernel(affine, KeyPoints)
def _affine_keypoints(
    points, angle, translate, scale, shear, interpolation=None, fill=None, center=None
):
    angle, translate, scale, shear, center = _parse_affine(angle, translate, scale, shear, center)
    forward = _affine_forward_pixels(points.canvas_size, angle, translate, scale, shear, center)
    return _map_points(points, lambda p: _apply_affine_points(p, forward), points.canvas_size)


# --- rotate ---------------------------------------------------------------------------------


def _expanded_size(inverse_centred: Sequence[float], size: Sequence[int]) -> tuple[int, int]:
    """Canvas (h, w) holding the whole rotated image, computed as torchvision (and PIL) do."""
    h, w = size
    a, b, c, d, e, f = inverse_centred
    xs, ys = [], []
    for x, y in (
        (-0.5 * w, -0.5 * h),
        (0.5 * w, -0.5 * h),
        (0.5 * w, 0.5 * h),
        (-0.5 * w, 0.5 * h),
    ):
        xs.append(a * x + b * y + c + 0.5 * w)
        ys.append(d * x + e * y + f + 0.5 * h)

    def snap(v: float) -> float:  # drop float noise so that 1e-15 does not ceil to 1
        return math.trunc(v * 1e4) / 1e4

    new_w = math.ceil(snap(max(xs))) - math.floor(snap(min(xs)))
    new_h = math.ceil(snap(max(ys))) - math.floor(snap(min(ys)))
    return int(new_h), int(new_w)


def _rotation_geometry(size, angle, expand, center):
    """(inverse centred map, output size, forward pixel map incl. the expand shift)."""
    h, w = size
    inverse = _affine_inverse_centred(size, -angle, [0.0, 0.0], 1.0, [0.0, 0.0], center)
    out_size = _expanded_size(inverse, size) if expand else (h, w)
    if expand and center is None and angle % 360 in (0.0, 90.0, 180.0, 270.0):
        out_size = (w, h) if angle % 180 else (h, w)  # the exact torch.rot90 path the images take
    forward = _affine_forward_pixels(size, -angle, [0.0, 0.0], 1.0, [0.0, 0.0], center)
    # the image maps its centre to the output's centre, so expanding shifts everything by this
    shift = [0.5 * (out_size[1] - w), 0.5 * (out_size[0] - h)]
    return inverse, out_size, forward, shift


def rotate(
    inpt: Any,
    angle: float,
    interpolation: InterpolationMode | str | int = InterpolationMode.NEAREST,
    expand: bool = False,
    center: Sequence[float] | None = None,
    fill: float | Sequence[float] | None = None,
) -> Any:
    """Rotate by ``angle`` degrees counter-clockwise about ``center`` (x, y; default the image
    centre). ``expand=True`` grows the canvas to hold the whole rotated image.

    Multiples of 90 degrees about the centre are exact (``torch.rot90``) when the canvas allows
    (square image or ``expand``). Other angles sample through ``grid_sample`` with
    ``interpolation`` nearest or bilinear; outside points take ``fill``. Boxes become the box
    around their rotated corners, clamped; keypoints rotate as points.

    Example:
        >>> import torch
        >>> rotate(torch.tensor([[[1, 2], [3, 4]]]), 90)
        tensor([[[2, 4],
                 [1, 3]]])
        >>> rotate(torch.zeros(3, 10, 20), 90, expand=True).shape
        torch.Size([3, 20, 10])
    """
    return dispatch(
        rotate,
        inpt,
        angle=angle,
        interpolation=interpolation,
        expand=expand,
        center=center,
        fill=fill,
    )


@register_kernel(rotate, torch.Tensor)
def _rotate_image(
    image, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=None
):
    _check_image(image, "rotate")
    if not isinstance(angle, numbers.Number):
        raise TypeError(f"angle must be a number, got {angle!r}")
    mode = _mode(interpolation, ("nearest", "bilinear"))
    quarter = float(angle) % 360
    if center is None and quarter in (0.0, 90.0, 180.0, 270.0):
        square = image.shape[-1] == image.shape[-2]
        if quarter in (0.0, 180.0) or expand or square:
            return torch.rot90(image, k=int(quarter) // 90, dims=(-2, -1))
    inverse, out_size, _, _ = _rotation_geometry(
        image.shape[-2:], float(angle), expand, _parse_center(center)
    )
    dtype = _grid_dtype(image)
    theta = torch.tensor(inverse, dtype=dtype, device=image.device).view(1, 2, 3)
    return _warp_images(image, _affine_grid(theta, image.shape[-2:], out_size), mode, fill)


def _parse_center(center):
    if center is None:
        return None
    if not isinstance(center, (list, tuple)) or len(center) != 2:
        raise ValueError(f"center must be a sequence (x, y), got {center!r}")
    return [float(c) for c in center]


@register_kernel(rotate, Mask)
def _rotate_mask(mask, angle, interpolation=None, expand=False, center=None, fill=None):
    return _with_channel(mask, lambda m: _rotate_image(m, angle, "nearest", expand, center, fill))


@register_kernel(rotate, BoundingBoxes)
def _rotate_boxes(boxes, angle, interpolation=None, expand=False, center=None, fill=None):
    _, out_size, forward, shift = _rotation_geometry(
        boxes.canvas_size, float(angle), expand, _parse_center(center)
    )
    return _map_box_corners(boxes, lambda p: _apply_affine_points(p, forward, shift), out_size)


@register_kernel(rotate, KeyPoints)
def _rotate_keypoints(points, angle, interpolation=None, expand=False, center=None, fill=None):
    _, out_size, forward, shift = _rotation_geometry(
        points.canvas_size, float(angle), expand, _parse_center(center)
    )
    return _map_points(points, lambda p: _apply_affine_points(p, forward, shift), out_size)


# --- perspective ----------------------------------------------------------------------------


def _perspective_from_points(startpoints, endpoints) -> list[float]:
    """Coefficients (a..h) of the map endpoints -> startpoints,
    ``(x, y) -> ((a x + b y + c) / (g x + h y + 1), (d x + e y + f) / (g x + h y + 1))``."""
    if len(startpoints) != 4 or len(endpoints) != 4:
        raise ValueError(
            f"perspective needs 4 startpoints and 4 endpoints, got {len(startpoints)} and {len(endpoints)}"
        )
    rows, rhs = [], []
    for (x, y), (u, v) in zip(endpoints, startpoints):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs.extend([u, v])
    a = torch.tensor(rows, dtype=torch.float64)
    b = torch.tensor(rhs, dtype=torch.float64)
    solution = torch.linalg.lstsq(a, b.unsqueeze(1)).solution.squeeze(1)
    # torchvision hands float32 coefficients to the kernels; do the same so grids agree
    return solution.to(torch.float32).tolist()


def _perspective_coeffs(startpoints, endpoints, coefficients) -> list[float]:
    if coefficients is not None:
        if startpoints is not None or endpoints is not None:
            raise ValueError("give either startpoints/endpoints or coefficients, not both")
        coefficients = [float(c) for c in coefficients]
        if len(coefficients) != 8:
            raise ValueError(f"coefficients must have 8 values, got {len(coefficients)}")
        return coefficients
    if startpoints is None or endpoints is None:
        raise ValueError("perspective needs startpoints and endpoints, or coefficients")
    return _perspective_from_points(startpoints, endpoints)


def _perspective_grid(coeffs: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """Grid ``(B, H, W, 2)`` for coefficients ``(B, 8)`` mapping output pixel centres (x + 0.5)
    to input points. The arithmetic follows torchvision's order so nearest sampling picks the
    same pixels on ties."""
    h, w = size
    dtype, device = coeffs.dtype, coeffs.device
    base = torch.empty(1, h, w, 3, dtype=dtype, device=device)
    base[..., 0].copy_(torch.arange(w, dtype=dtype, device=device) + 0.5)
    base[..., 1].copy_((torch.arange(h, dtype=dtype, device=device) + 0.5).unsqueeze(-1))
    base[..., 2].fill_(1)
    base = base.view(1, h * w, 3)
    numerator = coeffs[:, :6].reshape(-1, 2, 3).transpose(1, 2)
    numerator = numerator / torch.tensor([0.5 * w, 0.5 * h], dtype=dtype, device=device)
    denominator = (
        torch.cat([coeffs[:, 6:8], torch.ones_like(coeffs[:, :1])], dim=1)
        .unsqueeze(2)
        .expand(-1, 3, 2)
    )
    grids = [
        base.bmm(numerator[i : i + 1]).div_(base.bmm(denominator[i : i + 1])).sub_(1.0)
        for i in range(coeffs.shape[0])
    ]
    return torch.cat(grids).view(-1, h, w, 2)


def _perspective_points(points: torch.Tensor, coeffs: Sequence[float]) -> torch.Tensor:
    """Map points the way the image moves: through the inverse of ``coeffs`` (output -> input)."""
    a, b, c, d, e, f, g, h = coeffs
    matrix = torch.tensor([[a, b, c], [d, e, f], [g, h, 1.0]], dtype=torch.float64)
    try:
        inverse = torch.linalg.inv(matrix)
    except RuntimeError as err:  # a singular homography squashes the image onto a line
        raise ValueError(f"perspective coefficients {list(coeffs)} are not invertible") from err
    inverse = (inverse / inverse[2, 2]).to(points.dtype).to(points.device)
    homogeneous = torch.cat([points, torch.ones_like(points[:, :1])], dim=1) @ inverse.T
    return homogeneous[:, :2] / homogeneous[:, 2:]


def perspective(
    inpt: Any,
    startpoints: Sequence[Sequence[int]] | None,
    endpoints: Sequence[Sequence[int]] | None,
    interpolation: InterpolationMode | str | int = InterpolationMode.BILINEAR,
    fill: float | Sequence[float] | None = None,
    coefficients: Sequence[float] | None = None,
) -> Any:
    """Perspective warp moving the four ``startpoints`` (top-left, top-right, bottom-right,
    bottom-left corners, as [x, y]) to ``endpoints``; or give the 8 ``coefficients`` of the
    output -> input map directly (then pass None for the points).

    Images ``(..., C, H, W)`` keep their size (nearest or bilinear; outside = ``fill``); masks
    use nearest; boxes become the box around their four warped corners, clamped; keypoints move.

    Example:
        >>> import torch
        >>> corners = [[0, 0], [7, 0], [7, 7], [0, 7]]
        >>> x = torch.rand(3, 8, 8)
        >>> torch.allclose(perspective(x, corners, corners), x, atol=1e-5)
        True
    """
    return dispatch(
        perspective,
        inpt,
        startpoints=startpoints,
        endpoints=endpoints,
        interpolation=interpolation,
        fill=fill,
        coefficients=coefficients,
    )


@register_kernel(perspective, torch.Tensor)
def _perspective_image(
    image,
    startpoints,
    endpoints,
    interpolation=InterpolationMode.BILINEAR,
    fill=None,
    coefficients=None,
):
    _check_image(image, "perspective")
    mode = _mode(interpolation, ("nearest", "bilinear"))
    coeffs = _perspective_coeffs(startpoints, endpoints, coefficients)
    dtype = _grid_dtype(image)
    grid = _perspective_grid(
        torch.tensor([coeffs], dtype=dtype, device=image.device), image.shape[-2:]
    )
    return _warp_images(image, grid, mode, fill)


@register_kernel(perspective, Mask)
def _perspective_mask(
    mask, startpoints, endpoints, interpolation=None, fill=None, coefficients=None
):
    return _with_channel(
        mask, lambda m: _perspective_image(m, startpoints, endpoints, "nearest", fill, coefficients)
    )


@register_kernel(perspective, BoundingBoxes)
def _perspective_boxes(
    boxes, startpoints, endpoints, interpolation=None, fill=None, coefficients=None
):
    coeffs = _perspective_coeffs(startpoints, endpoints, coefficients)
    return _map_box_corners(boxes, lambda p: _perspective_points(p, coeffs), boxes.canvas_size)


@register_kernel(perspective, KeyPoints)
def _perspective_keypoints(
    points, startpoints, endpoints, interpolation=None, fill=None, coefficients=None
):
    coeffs = _perspective_coeffs(startpoints, endpoints, coefficients)
    return _map_points(points, lambda p: _perspective_points(p, coeffs), points.canvas_size)


# --- elastic --------------------------------------------------------------------------------


def _identity_grid(size: Sequence[int], dtype, device) -> torch.Tensor:
    h, w = size
    xs = (torch.arange(w, dtype=dtype, device=device) * 2 + 1) / w - 1
    ys = (torch.arange(h, dtype=dtype, device=device) * 2 + 1) / h - 1
    return torch.stack([xs.expand(h, w), ys.unsqueeze(1).expand(h, w)], dim=-1).unsqueeze(0)


def _check_displacement(displacement: Any, size: Sequence[int]) -> torch.Tensor:
    if not isinstance(displacement, torch.Tensor):
        raise TypeError(f"displacement must be a tensor, got {type(displacement).__name__}")
    expected = (1, int(size[0]), int(size[1]), 2)
    if tuple(displacement.shape) != expected:
        raise ValueError(
            f"displacement must have shape {expected}, got {tuple(displacement.shape)}"
        )
    return displacement


def elastic(
    inpt: Any,
    displacement: torch.Tensor,
    interpolation: InterpolationMode | str | int = InterpolationMode.BILINEAR,
    fill: float | Sequence[float] | None = None,
) -> Any:
    """Move every output pixel's sample point by ``displacement`` ``(1, H, W, 2)`` (x, y offsets in
    ``grid_sample``'s normalised units: 2 / W per pixel horizontally, 2 / H vertically).

    Images sample with nearest or bilinear, masks with nearest. Boxes and keypoints move by the
    approximate inverse (subtracting the displacement at their position, as torchvision does;
    good for small displacements), boxes clamped.

    Example:
        >>> import torch
        >>> x = torch.rand(3, 6, 6)
        >>> torch.allclose(elastic(x, torch.zeros(1, 6, 6, 2)), x, atol=1e-6)
        True
    """
    return dispatch(
        elastic, inpt, displacement=displacement, interpolation=interpolation, fill=fill
    )


@register_kernel(elastic, torch.Tensor)
def _elastic_image(image, displacement, interpolation=InterpolationMode.BILINEAR, fill=None):
    _check_image(image, "elastic")
    mode = _mode(interpolation, ("nearest", "bilinear"))
    displacement = _check_displacement(displacement, image.shape[-2:])
    dtype = _grid_dtype(image)
    grid = _identity_grid(image.shape[-2:], dtype, image.device) + displacement.to(
        dtype=dtype, device=image.device
    )
    return _warp_images(image, grid, mode, fill)


@register_kernel(elastic, Mask)
def _elastic_mask(mask, displacement, interpolation=None, fill=None):
    return _with_channel(mask, lambda m: _elastic_image(m, displacement, "nearest", fill))


def _elastic_points(
    points: torch.Tensor, displacement: torch.Tensor, size: Sequence[int]
) -> torch.Tensor:
    h, w = size
    disp = displacement.to(dtype=points.dtype, device=points.device)[0]
    col = points[:, 0].floor().long().clamp(0, w - 1)
    row = points[:, 1].floor().long().clamp(0, h - 1)
    offset = disp[row, col] * torch.tensor(
        [0.5 * w, 0.5 * h], dtype=points.dtype, device=points.device
    )
    return points - offset


@register_kernel(elastic, BoundingBoxes)
def _elastic_boxes(boxes, displacement, interpolation=None, fill=None):
    displacement = _check_displacement(displacement, boxes.canvas_size)
    return _map_box_corners(
        boxes, lambda p: _elastic_points(p, displacement, boxes.canvas_size), boxes.canvas_size
    )


@register_kernel(elastic, KeyPoints)
def _elastic_keypoints(points, displacement, interpolation=None, fill=None):
    displacement = _check_displacement(displacement, points.canvas_size)
    return _map_points(
        points, lambda p: _elastic_points(p, displacement, points.canvas_size), points.canvas_size
    )


# --- bounding-box utilities -----------------------------------------------------------------


def convert_bounding_box_format(
    inpt: torch.Tensor,
    old_format: BoundingBoxFormat | str | None = None,
    new_format: BoundingBoxFormat | str | None = None,
    inplace: bool = False,
) -> torch.Tensor:
    """Convert boxes between ``"XYXY"``, ``"XYWH"`` and ``"CXCYWH"``.

    A :class:`~triptych.vision.tensors.BoundingBoxes` knows its format (leave ``old_format``
    None); a plain ``(..., 4)`` tensor needs ``old_format``. Integer boxes stay integer (centres
    are floored, as torchvision). ``inplace`` is accepted for compatibility; a new tensor is returned.

    Example:
        >>> import torch
        >>> convert_bounding_box_format(torch.tensor([[10., 20., 30., 60.]]), "XYXY", "CXCYWH")
        tensor([[20., 40., 20., 40.]])
    """
    if new_format is None:
        raise TypeError("convert_bounding_box_format() needs new_format")
    new = _box_format(new_format)
    if isinstance(inpt, BoundingBoxes):
        if old_format is not None:
            raise ValueError(
                "old_format must not be given for BoundingBoxes (they carry their format)"
            )
        return wrap(_convert_format(_plain(inpt), inpt.format, new), like=inpt, format=new)
    if isinstance(inpt, torch.Tensor):
        if old_format is None:
            raise ValueError("a plain tensor of boxes needs old_format")
        if inpt.shape[-1:] != (4,):
            raise ValueError(f"boxes must have shape (..., 4), got {tuple(inpt.shape)}")
        return _convert_format(inpt, _box_format(old_format), new)
    raise TypeError(
        f"convert_bounding_box_format expects a tensor or BoundingBoxes, got {type(inpt).__name__}"
    )


def clamp_bounding_boxes(
    inpt: torch.Tensor,
    format: BoundingBoxFormat | str | None = None,
    canvas_size: Sequence[int] | None = None,
) -> torch.Tensor:
    """Clamp boxes into the canvas ``[0, W] x [0, H]``.

    :class:`~triptych.vision.tensors.BoundingBoxes` carry ``format`` and ``canvas_size``; a plain
    ``(..., 4)`` tensor needs both.

    Example:
        >>> import torch
        >>> clamp_bounding_boxes(torch.tensor([[-5., 2., 50., 8.]]), "XYXY", (10, 40))
        tensor([[ 0.,  2., 40.,  8.]])
    """
    if isinstance(inpt, BoundingBoxes):
        if format is not None or canvas_size is not None:
            raise ValueError(
                "format and canvas_size must not be given for BoundingBoxes (they carry them)"
            )
        return wrap(_clamp_boxes(_plain(inpt), inpt.format, inpt.canvas_size), like=inpt)
    if isinstance(inpt, torch.Tensor):
        if format is None or canvas_size is None:
            raise ValueError("a plain tensor of boxes needs format and canvas_size")
        return _clamp_boxes(inpt, _box_format(format), tuple(canvas_size))
    raise TypeError(
        f"clamp_bounding_boxes expects a tensor or BoundingBoxes, got {type(inpt).__name__}"
    )


def _sanitize_mask(
    boxes: torch.Tensor,
    fmt: BoundingBoxFormat,
    canvas_size: Sequence[int],
    min_size: float,
    min_area: float,
) -> torch.Tensor:
    xyxy = _convert_format(boxes.reshape(-1, 4), fmt, BoundingBoxFormat.XYXY)
    widths, heights = xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]
    h, w = canvas_size
    valid = (widths >= min_size) & (heights >= min_size) & (widths * heights >= min_area)
    valid &= (xyxy >= 0).all(dim=-1)
    valid &= (xyxy[:, 0] <= w) & (xyxy[:, 2] <= w) & (xyxy[:, 1] <= h) & (xyxy[:, 3] <= h)
    return valid


def sanitize_bounding_boxes(
    bounding_boxes: torch.Tensor,
    format: BoundingBoxFormat | str | None = None,
    canvas_size: Sequence[int] | None = None,
    min_size: float = 1.0,
    min_area: float = 1.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Drop boxes narrower or shorter than ``min_size``, smaller than ``min_area``, or reaching
    outside the canvas. Returns ``(kept boxes, valid)`` where ``valid`` ``(N,)`` is the bool mask
    to apply to labels and other per-box data.

    Example:
        >>> import torch
        >>> boxes, valid = sanitize_bounding_boxes(
        ...     torch.tensor([[0., 0., 5., 5.], [2., 2., 2., 9.]]), "XYXY", (10, 10))
        >>> valid
        tensor([ True, False])
    """
    if isinstance(bounding_boxes, BoundingBoxes):
        if format is not None or canvas_size is not None:
            raise ValueError(
                "format and canvas_size must not be given for BoundingBoxes (they carry them)"
            )
        valid = _sanitize_mask(
            _plain(bounding_boxes),
            bounding_boxes.format,
            bounding_boxes.canvas_size,
            min_size,
            min_area,
        )
        return wrap(_plain(bounding_boxes).reshape(-1, 4)[valid], like=bounding_boxes), valid
    if not isinstance(bounding_boxes, torch.Tensor):
        raise TypeError(
            f"sanitize_bounding_boxes expects a tensor or BoundingBoxes, got {type(bounding_boxes).__name__}"
        )
    if format is None or canvas_size is None:
        raise ValueError("a plain tensor of boxes needs format and canvas_size")
    valid = _sanitize_mask(
        bounding_boxes, _box_format(format), tuple(canvas_size), min_size, min_area
    )
    return bounding_boxes.reshape(-1, 4)[valid], valid


def clamp_keypoints(inpt: torch.Tensor, canvas_size: Sequence[int] | None = None) -> torch.Tensor:
    """Clamp keypoints into ``[0, W - 1] x [0, H - 1]`` (pixel indices, as torchvision).

    Example:
        >>> import torch
        >>> clamp_keypoints(torch.tensor([[-3., 4.], [12., 2.]]), (5, 10))
        tensor([[0., 4.],
                [9., 2.]])
    """
    if isinstance(inpt, KeyPoints):
        if canvas_size is not None:
            raise ValueError("canvas_size must not be given for KeyPoints (they carry it)")
        canvas_size, like = inpt.canvas_size, inpt
    elif isinstance(inpt, torch.Tensor):
        if canvas_size is None:
            raise ValueError("plain keypoints need canvas_size")
        like = None
    else:
        raise TypeError(f"clamp_keypoints expects a tensor or KeyPoints, got {type(inpt).__name__}")
    plain = _plain(inpt)
    work = plain.clone() if plain.is_floating_point() else plain.float()
    work[..., 0].clamp_(0, canvas_size[1] - 1)
    work[..., 1].clamp_(0, canvas_size[0] - 1)
    out = work.to(plain.dtype)
    return wrap(out, like=like) if like is not None else out
