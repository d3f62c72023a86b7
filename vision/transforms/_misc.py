"""Conversion, dtype and normalisation transforms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from ..tensors import Image
from . import functional as F
from ._base import VisionTransform

__all__ = ["ToImage", "PILToTensor", "ToPILImage", "ToDtype", "Normalize"]


class ToImage(VisionTransform):
    """Convert a PIL image, NumPy ``(H, W, C)`` array or tensor to an :class:`Image`."""

    def transform(self, inpt, params):
        if isinstance(inpt, torch.Tensor) and type(inpt) is not torch.Tensor:
            return inpt  # already typed: boxes, masks, images stay as they are
        return F.to_image(inpt)


class PILToTensor(VisionTransform):
    """Convert a PIL image to a uint8 tensor ``(C, H, W)``; other items pass through."""

    def transform(self, inpt, params):
        return inpt if isinstance(inpt, torch.Tensor) else F.pil_to_tensor(inpt)


class ToPILImage(VisionTransform):
    """Convert an image tensor to a PIL image (optionally in ``mode``)."""

    def __init__(self, mode: str | None = None):
        super().__init__()
        self.mode = mode

    def transform(self, inpt, params):
        if isinstance(inpt, torch.Tensor) and (type(inpt) is torch.Tensor or isinstance(inpt, Image)):
            return F.to_pil_image(inpt, mode=self.mode)
        return inpt


class ToDtype(VisionTransform):
    """Convert images to ``dtype``; with ``scale=True`` map [0, 255] <-> [0, 1].

    ``dtype`` may be a dict from typed-tensor class (or ``"others"``) to dtype; a plain dtype
    converts images only, as in torchvision.
    """

    def __init__(self, dtype: torch.dtype | dict[Any, torch.dtype | None], scale: bool = False):
        super().__init__()
        self.dtype = dtype
        self.scale = scale

    def _dtype_for(self, inpt) -> torch.dtype | None:
        if isinstance(self.dtype, torch.dtype):
            is_image = type(inpt) is torch.Tensor or isinstance(inpt, Image)
            return self.dtype if is_image else None
        for cls, dtype in self.dtype.items():
            if isinstance(cls, type) and isinstance(inpt, cls):
                return dtype
        return self.dtype.get("others")

    def transform(self, inpt, params):
        dtype = self._dtype_for(inpt)
        if dtype is None or not isinstance(inpt, torch.Tensor):
            return inpt
        is_image = type(inpt) is torch.Tensor or isinstance(inpt, Image)
        return F.to_dtype(inpt, dtype, scale=self.scale and is_image)


class Normalize(VisionTransform):
    """``(image - mean) / std`` per channel for float images; other items pass through."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False):
        super().__init__()
        self.mean = list(mean)
        self.std = list(std)
        self.inplace = inplace

    def transform(self, inpt, params):
        if type(inpt) is torch.Tensor or isinstance(inpt, Image):
            return F.normalize(inpt, self.mean, self.std)
        return inpt
