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

__all__ = [
    "VisionTensor",
    "Image",
    "Mask",
    "BoundingBoxes",
    "BoundingBoxFormat",
    "KeyPoints",
    "wrap",
]

# Operations whose result is still the same kind of data (and keeps the metadata).
_KEEP_TYPE = {
    torch.Tensor.clone,
    torch.Tensor.to,
    torch.Tensor.detach,
    torch.Tensor.requires_grad_,
    torch.Tensor.pin_memory,
    torch.Tensor.cpu,
    torch.Tensor.cuda,
    torch.Tensor.contiguous,
}


def _as_tensor(data: Any, dtype: torch.dtype | None, device, requires_grad: bool | None) -> torch.Tensor:
    if isinstance(data, torch.Tensor):
        tensor = data.as_subclass(torch.Tensor)
        if dtype is not None or device is not None:
            tensor = tensor.to(dtype=dtype, device=device)
    else:
        tensor = torch.as_tensor(data, dtype=dtype, device=device)
    if requires_grad is not None:
        tensor.requires_grad_(requires_grad)
    return tensor


class VisionTensor(torch.Tensor):
    """Base of the typed tensors; carries metadata through clone/to/detach and the transforms."""

    _metadata: tuple[str, ...] = ()

    @classmethod
    def _wrap(cls, tensor: torch.Tensor, **metadata: Any):
        out = tensor.as_subclass(cls)
        for key in cls._metadata:
            setattr(out, key, metadata[key])
        return out

    def metadata(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self._metadata}

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        with torch._C.DisableTorchFunctionSubclass():
            result = func(*args, **(kwargs or {}))
        if func in _KEEP_TYPE and isinstance(args[0], cls) and isinstance(result, torch.Tensor):
            return type(args[0])._wrap(result, **args[0].metadata())
        return result

    def __repr__(self) -> str:
        text = super().__repr__()
        meta = ", ".join(f"{k}={v}" for k, v in self.metadata().items())
        return text[:-1] + (f", {meta})" if meta else ")")


class Image(VisionTensor):
    """An image or a batch of images: ``(..., C, H, W)``. A 2-D input becomes ``(1, H, W)``.

    Accepts a tensor, a NumPy array in (C, H, W) order, or a PIL image (converted to (C, H, W)).
    """

    def __new__(cls, data: Any, *, dtype=None, device=None, requires_grad: bool | None = None):
        if _is_pil(data):
            from .transforms.functional import pil_to_tensor

            data = pil_to_tensor(data)
        tensor = _as_tensor(data, dtype, device, requires_grad)
        if tensor.ndim < 2:
            raise ValueError(f"an Image needs at least 2 dimensions (H, W), got shape {tuple(tensor.shape)}")
        if tensor.ndim == 2:
            tensor = tensor.unsqueeze(0)
        return cls._wrap(tensor)


class Mask(VisionTensor):
    """A segmentation or instance mask: ``(..., H, W)``."""

    def __new__(cls, data: Any, *, dtype=None, device=None, requires_grad: bool | None = None):
        if _is_pil(data):
            import numpy as np

            data = torch.from_numpy(np.array(data))
        tensor = _as_tensor(data, dtype, device, requires_grad)
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
    format: BoundingBoxFormat
    canvas_size: tuple[int, int]

    def __new__(
        cls, data: Any, *, format: BoundingBoxFormat | str, canvas_size: Sequence[int],
        dtype=None, device=None, requires_grad: bool | None = None,
    ):
        tensor = _as_tensor(data, dtype, device, requires_grad)
        if tensor.shape[-1:] != (4,) or tensor.ndim > 2:
            raise ValueError(f"BoundingBoxes must have shape (N, 4) or (4,), got {tuple(tensor.shape)}")
        fmt = BoundingBoxFormat(format.upper() if isinstance(format, str) else format)
        return cls._wrap(tensor, format=fmt, canvas_size=_canvas(canvas_size))


class KeyPoints(VisionTensor):
    """Points ``(..., 2)`` as (x, y) on an image of ``canvas_size`` = (H, W)."""

    _metadata = ("canvas_size",)
    canvas_size: tuple[int, int]

    def __new__(cls, data: Any, *, canvas_size: Sequence[int], dtype=None, device=None,
                requires_grad: bool | None = None):
        tensor = _as_tensor(data, dtype, device, requires_grad)
        if tensor.shape[-1:] != (2,):
            raise ValueError(f"KeyPoints must have shape (..., 2), got {tuple(tensor.shape)}")
        return cls._wrap(tensor, canvas_size=_canvas(canvas_size))


def wrap(tensor: torch.Tensor, *, like: VisionTensor, **metadata: Any) -> VisionTensor:
    """``tensor`` as the same typed tensor as ``like``, with ``like``'s metadata unless overridden.

    Example:
        >>> import torch
        >>> boxes = BoundingBoxes([[0, 0, 4, 4]], format="XYXY", canvas_size=(8, 8))
        >>> wrap(torch.tensor([[1, 1, 5, 5]]), like=boxes, canvas_size=(16, 16)).canvas_size
        (16, 16)
    """
    return type(like)._wrap(tensor.as_subclass(torch.Tensor), **{**like.metadata(), **metadata})


def _is_pil(obj: Any) -> bool:
    try:
        from PIL import Image as PILImage
    except ImportError:
        return False
    return isinstance(obj, PILImage.Image)
