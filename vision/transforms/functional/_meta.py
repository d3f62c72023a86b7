"""Boxes and keypoints: format conversion, clamping, sanitising, and moving them through a map
of points (what the geometry kernels do to boxes and keypoints).

Same names and argument meanings as ``torchvision.transforms.v2.functional``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from ...tensors import BoundingBoxes, BoundingBoxFormat, KeyPoints, wrap
from ._utils import _work_dtype

__all__ = [
    "clamp_bounding_boxes",
    "convert_bounding_box_format",
    "sanitize_bounding_boxes",
    "clamp_keypoints",
]


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
