"""Typed tensors: :class:`Image`, :class:`BoundingBoxes`, :class:`Mask`, :class:`KeyPoints`.

They are ``torch.Tensor`` subclasses that tell a transform what they hold, so one call moves an
image, its boxes, masks and keypoints together. Most torch operations on them return plain
tensors (an arithmetic result is no longer "an image" in general); the transforms re-wrap
their outputs, and :func:`wrap` does it by hand.

Example:
    >>> import torch
    >>> from triptych.vision import tensors
    >>> boxes = tensors.BoundingBoxes([[10, 10, 20, 30]], format="XYXY", canvas_size=(64, 48))
    >>> boxes.format, boxes.canvas_size
    (<BoundingBoxFormat.XYXY: 'XYXY'>, (64, 48))
    >>> type(boxes + 1).__name__, type(boxes.clone()).__name__
    ('Tensor', 'BoundingBoxes')
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

import torch

from triptych.transforms import TypedTensor, as_plain_tensor, wrap

from ._pil import is_pil_image

__all__ = [
    "VisionTensor",
    "Image",
    "Mask",
    "BoundingBoxes",
    "BoundingBoxFormat",
    "KeyPoints",
    "wrap",
]

class VisionTensor(TypedTensor):
    """Base of the vision typed tensors (see :class:`triptych.transforms.TypedTensor`)."""


class Image(VisionTensor):
    """An image or a batch of images: ``(..., C, H, W)``. A 2-D input becomes ``(1, H, W)``.

    Accepts a tensor, a NumPy array in (C, H, W) order, or a PIL image (converted to (C, H, W)).
    """

    def __new__(cls, data: Any, *, dtype=None, device=None, requires_grad: bool | None = None):
        if is_pil_image(data):
            from .transforms.functional import pil_to_tensor

            data = pil_to_tensor(data)
        tensor = as_plain_tensor(data, dtype, device, requires_grad)
        if tensor.ndim < 2:
            raise ValueError(f"an Image needs at least 2 dimensions (H, W), got shape {tuple(tensor.shape)}")
        if tensor.ndim == 2:
            tensor = tensor.unsqueeze(0)
        return cls._wrap(tensor)


class Mask(VisionTensor):
    """A segmentation or instance mask: ``(..., H, W)``."""

    def __new__(cls, data: Any, *, dtype=None, device=None, requires_grad: bool | None = None):
        if is_pil_image(data):
            import numpy as np

            data = torch.from_numpy(np.array(data))
        tensor = as_plain_tensor(data, dtype, device, requires_grad)
        if tensor.ndim < 2:
            raise ValueError(f"a Mask needs at least 2 dimensions (H, W), got shape {tuple(tensor.shape)}")
        return cls._wrap(tensor)


class BoundingBoxFormat(str, enum.Enum):
    """How the four numbers of a box are ordered."""

    XYXY = "XYXY"  # left, top, right, bottom
    XYWH = "XYWH"  # left, top, width, height
    CXCYWH = "CXCYWH"  # centre x, centre y, width, height


def _canvas(canvas_size: Sequence[int]) -> tuple[int, int]:
    if len(canvas_size) != 2:
        raise ValueError(f"canvas_size must be (height, width), got {canvas_size!r}")
    return int(canvas_size[0]), int(canvas_size[1])


class BoundingBoxes(VisionTensor):
    """Boxes ``(N, 4)`` (or ``(4,)``) in ``format`` on an image of ``canvas_size`` = (H, W)."""

    _metadata = ("format", "canvas_size")
    unwrap_for_kernels = False  # box kernels update canvas_size themselves
    format: BoundingBoxFormat
    canvas_size: tuple[int, int]

    def __new__(
        cls, data: Any, *, format: BoundingBoxFormat | str, canvas_size: Sequence[int],
        dtype=None, device=None, requires_grad: bool | None = None,
    ):
        tensor = as_plain_tensor(data, dtype, device, requires_grad)
        if tensor.shape[-1:] != (4,) or tensor.ndim > 2:
            raise ValueError(f"BoundingBoxes must have shape (N, 4) or (4,), got {tuple(tensor.shape)}")
        fmt = BoundingBoxFormat(format.upper() if isinstance(format, str) else format)
        return cls._wrap(tensor, format=fmt, canvas_size=_canvas(canvas_size))


class KeyPoints(VisionTensor):
    """Points ``(..., 2)`` as (x, y) on an image of ``canvas_size`` = (H, W)."""

    _metadata = ("canvas_size",)
    unwrap_for_kernels = False  # keypoint kernels update canvas_size themselves
    canvas_size: tuple[int, int]

    def __new__(cls, data: Any, *, canvas_size: Sequence[int], dtype=None, device=None,
                requires_grad: bool | None = None):
        tensor = as_plain_tensor(data, dtype, device, requires_grad)
        if tensor.shape[-1:] != (2,):
            raise ValueError(f"KeyPoints must have shape (..., 2), got {tuple(tensor.shape)}")
        return cls._wrap(tensor, canvas_size=_canvas(canvas_size))
