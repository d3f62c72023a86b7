"""Geometry transforms: the torchvision.transforms.v2 classes of the same names.

Each class draws its random parameters once per call (from ``generator=``, else torch's global
generator) and applies them to every item of the sample, so an image, its boxes, masks and
keypoints move together. An image of shape ``(N, C, H, W)`` is a batch: random transforms then
draw parameters per sample (sample ``i`` gets exactly what the single-sample transform would do
with its own parameters) and warp the whole batch in one ``grid_sample`` call where they can.
In a batch, masks ``(N, ...)`` follow their image; boxes and keypoints must be transformed per
sample (one sample at a time, e.g. in the Dataset) and raise a clear error.

Example:
    >>> import torch
    >>> from triptych.vision import transforms as T, tensors
    >>> g = torch.Generator().manual_seed(0)
    >>> t = T.Compose([T.RandomResizedCrop(32, generator=g), T.RandomHorizontalFlip(generator=g)])
    >>> image = tensors.Image(torch.randint(0, 256, (3, 64, 48), dtype=torch.uint8))
    >>> boxes = tensors.BoundingBoxes([[4, 4, 40, 60]], format="XYXY", canvas_size=(64, 48))
    >>> out_image, out_boxes = t(image, boxes)
    >>> out_image.shape, out_boxes.canvas_size
    (torch.Size([3, 32, 32]), (32, 32))
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as TF

from triptych.transforms import Transform, apply_where, check_p, randint, rewrap, uniform

from ..tensors import BoundingBoxes, BoundingBoxFormat, KeyPoints, Mask, wrap
from . import functional as F
from ._base import SampleInfo, VisionTransform
from .functional import _geometry as G
from .functional import _meta as M
from .functional import _utils as U
from .functional import _warp as W

__all__ = [
    "Resize",
    "RandomResizedCrop",
    "CenterCrop",
    "RandomCrop",
    "FiveCrop",
    "TenCrop",
    "Pad",
    "RandomHorizontalFlip",
    "RandomVerticalFlip",
    "RandomRotation",
    "RandomAffine",
    "RandomPerspective",
    "ElasticTransform",
    "SanitizeBoundingBoxes",
    "ClampBoundingBoxes",
    "ClampKeyPoints",
    "ConvertBoundingBoxFormat",
    "InterpolationMode",
]

InterpolationMode = U.InterpolationMode


# --- argument helpers -----------------------------------------------------------------------


def _size_arg(size: int | Sequence[int], name: str = "size") -> list[int]:
    out = U._pair(size, name)
    if min(out) < 1:
        raise ValueError(f"{name} must be positive, got {size!r}")
    return out


def _range_arg(
    value: float | Sequence[float], name: str, *, symmetric: bool = True, sizes=(2,)
) -> list[float]:
    """A number ``v`` -> ``[-v, v]``; a sequence of an allowed length stays as given."""
    if isinstance(value, numbers.Number):
        if symmetric and value < 0:
            raise ValueError(f"if {name} is a single number it must be non-negative, got {value}")
        return [-float(value), float(value)]
    values = [float(v) for v in value]
    if len(values) not in sizes:
        raise ValueError(
            f"{name} must be a number or a sequence of length {' or '.join(map(str, sizes))}, got {value!r}"
        )
    return values


def _setup_fill(fill: Any) -> dict[Any, Any]:
    """torchvision's fill argument: a number, a sequence (per channel), None, or a dict from
    input type (``Image``, ``Mask``, ...) or ``"others"`` to one of those."""

    def check(value):
        if value is not None and not isinstance(value, (numbers.Number, tuple, list)):
            raise TypeError(
                f"fill must be a number, a sequence, None or a dict of those, got {value!r}"
            )
        return (
            value
            if value is None or isinstance(value, numbers.Number)
            else [float(v) for v in value]
        )

    if isinstance(fill, Mapping):
        return {key: check(value) for key, value in fill.items()}
    return {"others": check(fill)}


def _fill_for(fills: dict[Any, Any], inpt: Any) -> Any:
    if type(inpt) in fills:
        return fills[type(inpt)]
    for key, value in fills.items():
        if isinstance(key, type) and isinstance(inpt, key):
            return value
    return fills.get("others")


# --- batch helpers --------------------------------------------------------------------------


def _check_batch_item(inpt: Any, n: int, name: str) -> torch.Tensor:
    """The plain tensor of one item of a batch, checked: boxes and keypoints are not batchable."""
    if isinstance(inpt, (BoundingBoxes, KeyPoints)):
        raise ValueError(
            f"{name} got a batch of {n} images with {type(inpt).__name__}: per-sample random parameters "
            f"cannot be applied to one {type(inpt).__name__} tensor. Transform such samples one at a "
            "time (e.g. in the Dataset), or pass only images and masks in a batch."
        )
    if not isinstance(inpt, torch.Tensor) or inpt.ndim < 3 or inpt.shape[0] != n:
        shape = tuple(inpt.shape) if isinstance(inpt, torch.Tensor) else type(inpt).__name__
        raise ValueError(
            f"{name}: every item of a batch of {n} images needs a leading dimension {n}, got {shape}"
        )
    return inpt.as_subclass(torch.Tensor)


def _per_sample(inpt: Any, n: int, name: str, fn: Callable[[Any, int], Any]) -> Any:
    """Apply ``fn(sample, i)`` to each sample of a batch item and stack the results."""
    plain = _check_batch_item(inpt, n, name)
    outs = [fn(rewrap(plain[i], inpt), i).as_subclass(torch.Tensor) for i in range(n)]
    return rewrap(torch.stack(outs), inpt)


def _where(inpt: Any, apply: torch.Tensor, name: str, fn: Callable[[Any], Any]) -> Any:
    """``fn`` applied to the samples of a batch item flagged in ``apply`` ``(N,)``; others unchanged."""
    _check_batch_item(inpt, apply.shape[0], name)
    return apply_where(inpt, apply, fn)


def _warp_batch(inpt: Any, n: int, name: str, grids: torch.Tensor, mode: str, fill: Any) -> Any:
    """Warp a batch item ``(N, C, H, W)`` (or a mask ``(N, H, W)``) with per-sample grids ``(N, h, w, 2)``."""
    plain = _check_batch_item(inpt, n, name)
    is_mask = isinstance(inpt, Mask)
    if is_mask and plain.ndim == 3:
        out = W._grid_sample(plain.unsqueeze(1), grids, "nearest", fill).squeeze(1)
    elif plain.ndim == 4:
        out = W._grid_sample(plain, grids, "nearest" if is_mask else mode, fill)
    else:
        raise ValueError(
            f"{name}: a batch item must be (N, C, H, W) (or a mask (N, H, W)), got {tuple(plain.shape)}"
        )
    return rewrap(out, inpt)


# --- deterministic transforms ---------------------------------------------------------------


class Resize(VisionTransform):
    """Resize images, masks, boxes and keypoints; see :func:`~.functional.resize` for ``size``.

    Example:
        >>> import torch
        >>> Resize(32)(torch.zeros(3, 64, 96, dtype=torch.uint8)).shape
        torch.Size([3, 32, 48])
    """

    def __init__(
        self,
        size: int | Sequence[int] | None,
        interpolation: InterpolationMode | str | int = InterpolationMode.BILINEAR,
        max_size: int | None = None,
        antialias: bool | None = True,
    ):
        super().__init__()
        if isinstance(size, numbers.Number):
            size = [int(size)]
        elif isinstance(size, Sequence) and len(size) in (1, 2):
            size = [int(s) for s in size]
        elif size is None:
            if not isinstance(max_size, int):
                raise ValueError(f"max_size must be an integer when size is None, got {max_size!r}")
        else:
            raise ValueError(
                f"size must be an int, a sequence of 1 or 2 ints, or None, got {size!r}"
            )
        U._mode(interpolation)
        self.size = size
        self.interpolation = interpolation
        self.max_size = max_size
        self.antialias = antialias

    def crop_and_size(self, height: int, width: int) -> tuple[tuple[int, int, int, int], tuple[int, int]]:
        """The region ``(top, left, h, w)`` of a ``(height, width)`` image this keeps (all of it)
        and the ``(h, w)`` it is resized to (a planning hook, e.g. for the Compose fuser)."""
        return (0, 0, height, width), G._resized_output_size((height, width), self.size, self.max_size)

    def transform(self, inpt, params):
        return F.resize(
            inpt,
            self.size,
            interpolation=self.interpolation,
            max_size=self.max_size,
            antialias=self.antialias,
        )


class CenterCrop(VisionTransform):
    """Crop the centre ``size`` = (h, w) (an int for a square), zero-padding if it is larger.

    Example:
        >>> import torch
        >>> CenterCrop(4)(torch.zeros(3, 10, 8)).shape
        torch.Size([3, 4, 4])
    """

    def __init__(self, size: int | Sequence[int]):
        super().__init__()
        self.size = _size_arg(size)

    def crop_and_size(self, height: int, width: int) -> tuple[tuple[int, int, int, int], tuple[int, int]]:
        """The region ``(top, left, h, w)`` of a ``(height, width)`` image this keeps (reaching
        outside the image where the crop pads) and its output ``(h, w)``; see :meth:`Resize.crop_and_size`."""
        crop_h, crop_w = self.size
        top, left = G._center_crop_anchor(crop_h, height), G._center_crop_anchor(crop_w, width)
        return (top, left, crop_h, crop_w), (crop_h, crop_w)

    def transform(self, inpt, params):
        return F.center_crop(inpt, self.size)


class FiveCrop(VisionTransform):
    """The four corner crops and the centre crop: each image becomes a tuple of 5 images.

    Boxes and masks are not supported (as torchvision).

    Example:
        >>> import torch
        >>> crops = FiveCrop(4)(torch.zeros(3, 10, 8))
        >>> len(crops), crops[0].shape
        (5, torch.Size([3, 4, 4]))
    """

    def __init__(self, size: int | Sequence[int]):
        super().__init__()
        self.size = _size_arg(size)

    def transform(self, inpt, params):
        if isinstance(inpt, (BoundingBoxes, Mask, KeyPoints)):
            raise TypeError(f"{type(self).__name__} does not support {type(inpt).__name__}")
        return F.five_crop(inpt, self.size)


class TenCrop(VisionTransform):
    """:class:`FiveCrop` of the image and of its flipped copy (horizontal, or vertical with
    ``vertical_flip=True``): a tuple of 10 images.

    Example:
        >>> import torch
        >>> len(TenCrop(4)(torch.zeros(3, 10, 8)))
        10
    """

    def __init__(self, size: int | Sequence[int], vertical_flip: bool = False):
        super().__init__()
        self.size = _size_arg(size)
        self.vertical_flip = vertical_flip

    def transform(self, inpt, params):
        if isinstance(inpt, (BoundingBoxes, Mask, KeyPoints)):
            raise TypeError(f"{type(self).__name__} does not support {type(inpt).__name__}")
        return F.ten_crop(inpt, self.size, vertical_flip=self.vertical_flip)


class Pad(VisionTransform):
    """Pad the borders (see :func:`~.functional.pad`); ``fill`` may be a dict per input type,
    e.g. ``{Image: 127, Mask: 255}``.

    Example:
        >>> import torch
        >>> Pad([1, 2])(torch.zeros(3, 4, 4)).shape
        torch.Size([3, 8, 6])
    """

    def __init__(self, padding: int | Sequence[int], fill: Any = 0, padding_mode: str = "constant"):
        super().__init__()
        G._parse_padding(padding)
        if padding_mode not in G.PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {G.PADDING_MODES}, got {padding_mode!r}")
        self.padding = padding
        self.fill = fill
        self._fill = _setup_fill(fill)
        self.padding_mode = padding_mode

    def transform(self, inpt, params):
        return F.pad(
            inpt, self.padding, fill=_fill_for(self._fill, inpt), padding_mode=self.padding_mode
        )


# --- flips ----------------------------------------------------------------------------------


class RandomHorizontalFlip(VisionTransform):
    """Flip left-right with probability ``p`` (per sample in a batch).

    Example:
        >>> import torch
        >>> RandomHorizontalFlip(p=1.0)(torch.tensor([[[1, 2, 3]]]))
        tensor([[[3, 2, 1]]])
    """

    _functional = staticmethod(F.horizontal_flip)

    def __init__(self, p: float = 0.5, *, generator: torch.Generator | None = None):
        super().__init__(generator=generator)
        self.p = check_p(p)

    def transform(self, inpt, params):
        if "apply" in params:
            return _where(inpt, params["apply"], type(self).__name__, self._functional)
        return self._functional(inpt)


class RandomVerticalFlip(RandomHorizontalFlip):
    """Flip top-bottom with probability ``p`` (per sample in a batch).

    Example:
        >>> import torch
        >>> RandomVerticalFlip(p=1.0)(torch.tensor([[[1], [2]]]))[0, :, 0]
        tensor([2, 1])
    """

    _functional = staticmethod(F.vertical_flip)


# --- crops ----------------------------------------------------------------------------------


class RandomResizedCrop(VisionTransform):
    """Crop a random region (area fraction in ``scale``, aspect ratio in ``ratio``) and resize it to ``size``.

    The region is drawn as torchvision does: up to 10 tries of (area ~ U(scale) * H * W,
    log-aspect ~ U(log ratio)), keeping the first that fits, else the central crop with the
    aspect ratio clamped into ``ratio``. uint8 images are resized by the compiled kernel. A batch
    ``(N, C, H, W)`` gets one region per sample; on CUDA the batch is cropped and resized in one
    :func:`triptych.vision.ops.resized_crop_flip_normalize` call.

    Example:
        >>> import torch
        >>> t = RandomResizedCrop(24, generator=torch.Generator().manual_seed(0))
        >>> t(torch.zeros(8, 3, 64, 64, dtype=torch.uint8)).shape
        torch.Size([8, 3, 24, 24])
    """

    def __init__(
        self,
        size: int | Sequence[int],
        scale: Sequence[float] = (0.08, 1.0),
        ratio: Sequence[float] = (3.0 / 4.0, 4.0 / 3.0),
        interpolation: InterpolationMode | str | int = InterpolationMode.BILINEAR,
        antialias: bool | None = True,
        *,
        generator: torch.Generator | None = None,
    ):
        super().__init__(generator=generator)
        self.size = _size_arg(size)
        if not isinstance(scale, Sequence) or len(scale) != 2:
            raise TypeError(f"scale must be a sequence of two floats, got {scale!r}")
        if not isinstance(ratio, Sequence) or len(ratio) != 2:
            raise TypeError(f"ratio must be a sequence of two floats, got {ratio!r}")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError(
                f"scale and ratio must be (min, max), got scale={scale}, ratio={ratio}"
            )
        if scale[0] < 0 or ratio[0] <= 0:
            raise ValueError(f"scale must be >= 0 and ratio > 0, got scale={scale}, ratio={ratio}")
        U._mode(interpolation)
        self.scale = tuple(float(s) for s in scale)
        self.ratio = tuple(float(r) for r in ratio)
        self.interpolation = interpolation
        self.antialias = antialias
        # float32 logs, as torchvision, so a seed gives torchvision's regions
        self._log_ratio = torch.log(torch.tensor(self.ratio)).tolist()

    def draw_region(self, height: int, width: int) -> tuple[int, int, int, int]:
        """Draw one crop region ``(top, left, h, w)`` of an image of ``(height, width)``."""
        area = height * width
        for _ in range(10):
            target_area = area * float(
                uniform(self.scale[0], self.scale[1], self.generator, size=(1,))
            )
            aspect = math.exp(
                float(uniform(self._log_ratio[0], self._log_ratio[1], self.generator, size=(1,)))
            )
            w = int(round(math.sqrt(target_area * aspect)))
            h = int(round(math.sqrt(target_area / aspect)))
            if 0 < w <= width and 0 < h <= height:
                top = int(randint(0, height - h + 1, self.generator, size=(1,)))
                left = int(randint(0, width - w + 1, self.generator, size=(1,)))
                return top, left, h, w
        in_ratio = width / height
        if in_ratio < min(self.ratio):
            w, h = width, int(round(width / min(self.ratio)))
        elif in_ratio > max(self.ratio):
            h, w = height, int(round(height * max(self.ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def crop_and_size(self, height: int, width: int) -> tuple[tuple[int, int, int, int], tuple[int, int]]:
        """A region drawn by :meth:`draw_region` and the output ``(h, w)``; see :meth:`Resize.crop_and_size`."""
        return self.draw_region(height, width), tuple(self.size)

    def make_params(self, info: SampleInfo) -> dict[str, Any]:
        height, width = info.size
        if info.batch is None:
            top, left, h, w = self.draw_region(height, width)
            return {"top": top, "left": left, "height": h, "width": w}
        regions = torch.tensor(
            [self.draw_region(height, width) for _ in range(info.batch)], dtype=torch.int64
        )
        return {"regions": regions.reshape(-1, 4)}

    def _crop(self, inpt, top, left, h, w):
        return F.resized_crop(
            inpt,
            top,
            left,
            h,
            w,
            self.size,
            interpolation=self.interpolation,
            antialias=self.antialias,
        )

    def transform(self, inpt, params):
        if "regions" not in params:
            return self._crop(
                inpt, params["top"], params["left"], params["height"], params["width"]
            )
        regions = params["regions"]
        n = regions.shape[0]
        if self._fused_batch_ok(inpt):
            return rewrap(self._fused_batch(inpt.as_subclass(torch.Tensor), regions), inpt)
        rows = regions.tolist()
        return _per_sample(inpt, n, type(self).__name__, lambda x, i: self._crop(x, *rows[i]))

    def _fused_batch_ok(self, inpt) -> bool:
        return (
            isinstance(inpt, torch.Tensor)
            and inpt.is_cuda
            and not isinstance(inpt, (Mask, BoundingBoxes, KeyPoints))
            and inpt.ndim == 4
            and inpt.dtype in (torch.uint8, torch.float32, torch.float64)
        )

    def _fused_batch(self, images: torch.Tensor, regions: torch.Tensor) -> torch.Tensor:
        from triptych.vision import ops as vops

        return vops.resized_crop(
            images,
            regions,
            self.size,
            interpolation=U._mode(self.interpolation),
            antialias=bool(self.antialias),
        )


class RandomCrop(VisionTransform):
    """Crop a random ``size`` region, after optional ``padding`` (see :func:`~.functional.pad`);
    ``pad_if_needed`` pads images smaller than ``size``. One offset per sample in a batch.

    Example:
        >>> import torch
        >>> t = RandomCrop(32, padding=4, generator=torch.Generator().manual_seed(0))
        >>> t(torch.zeros(3, 32, 32)).shape
        torch.Size([3, 32, 32])
    """

    def __init__(
        self,
        size: int | Sequence[int],
        padding: int | Sequence[int] | None = None,
        pad_if_needed: bool = False,
        fill: Any = 0,
        padding_mode: str = "constant",
        *,
        generator: torch.Generator | None = None,
    ):
        super().__init__(generator=generator)
        self.size = _size_arg(size)
        if padding_mode not in G.PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {G.PADDING_MODES}, got {padding_mode!r}")
        self.padding = G._parse_padding(padding) if padding else None  # (left, right, top, bottom)
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self._fill = _setup_fill(fill)
        self.padding_mode = padding_mode

    def make_params(self, info: SampleInfo) -> dict[str, Any]:
        height, width = info.size
        left, right, top, bottom = self.padding or (0, 0, 0, 0)
        height += top + bottom
        width += left + right
        crop_h, crop_w = self.size
        if self.pad_if_needed:
            if height < crop_h:
                top, bottom, height = (
                    top + crop_h - height,
                    bottom + crop_h - height,
                    2 * crop_h - height,
                )
            if width < crop_w:
                left, right, width = (
                    left + crop_w - width,
                    right + crop_w - width,
                    2 * crop_w - width,
                )
        if height < crop_h or width < crop_w:
            raise ValueError(
                f"crop size {(crop_h, crop_w)} is larger than the (padded) input size {(height, width)}"
            )

        def offsets():
            y = int(randint(0, height - crop_h + 1, self.generator)) if height > crop_h else 0
            x = int(randint(0, width - crop_w + 1, self.generator)) if width > crop_w else 0
            return y, x

        padding = [left, top, right, bottom]
        if info.batch is None:
            y, x = offsets()
            return {"padding": padding, "top": y, "left": x}
        return {"padding": padding, "offsets": [offsets() for _ in range(info.batch)]}

    def _apply(self, inpt, padding, top, left):
        if any(padding):
            inpt = F.pad(
                inpt, padding, fill=_fill_for(self._fill, inpt), padding_mode=self.padding_mode
            )
        return F.crop(inpt, top, left, *self.size)

    def transform(self, inpt, params):
        padding = params["padding"]
        if "offsets" not in params:
            return self._apply(inpt, padding, params["top"], params["left"])
        offsets = params["offsets"]
        return _per_sample(
            inpt,
            len(offsets),
            type(self).__name__,
            lambda x, i: self._apply(x, padding, *offsets[i]),
        )


# --- warps ----------------------------------------------------------------------------------


class RandomRotation(VisionTransform):
    """Rotate by an angle drawn from ``degrees`` (a number ``d`` means ``[-d, d]``),
    counter-clockwise for positive angles; see :func:`~.functional.rotate`.

    A batch ``(N, C, H, W)`` is rotated in one ``grid_sample`` call with one angle per sample
    (``expand=True`` cannot batch: the sizes would differ).

    Example:
        >>> import torch
        >>> t = RandomRotation(30, generator=torch.Generator().manual_seed(0))
        >>> t(torch.zeros(4, 3, 16, 16)).shape
        torch.Size([4, 3, 16, 16])
    """

    def __init__(
        self,
        degrees: float | Sequence[float],
        interpolation: InterpolationMode | str | int = InterpolationMode.NEAREST,
        expand: bool = False,
        center: Sequence[float] | None = None,
        fill: Any = 0,
        *,
        generator: torch.Generator | None = None,
    ):
        super().__init__(generator=generator)
        self.degrees = _range_arg(degrees, "degrees")
        U._mode(interpolation, ("nearest", "bilinear"))
        self.interpolation = interpolation
        self.expand = expand
        self.center = W._parse_center(center)
        self.fill = fill
        self._fill = _setup_fill(fill)

    def make_params(self, info: SampleInfo) -> dict[str, Any]:
        if info.batch is None:
            return {
                "angle": float(uniform(self.degrees[0], self.degrees[1], self.generator, size=(1,)))
            }
        if self.expand:
            raise ValueError(
                "RandomRotation(expand=True) cannot rotate a batch: each angle gives another size"
            )
        return {
            "angles": [
                float(uniform(self.degrees[0], self.degrees[1], self.generator, size=(1,)))
                for _ in range(info.batch)
            ]
        }

    def transform(self, inpt, params):
        fill = _fill_for(self._fill, inpt)
        if "angles" not in params:
            return F.rotate(
                inpt,
                params["angle"],
                interpolation=self.interpolation,
                expand=self.expand,
                center=self.center,
                fill=fill,
            )
        size = inpt.shape[-2:]
        dtype = W._grid_dtype(inpt)
        grids = []
        for angle in params["angles"]:
            inverse, out_size, _, _ = W._rotation_geometry(size, angle, False, self.center)
            theta = torch.tensor(inverse, dtype=dtype, device=inpt.device).view(1, 2, 3)
            grids.append(W._affine_grid(theta, size, out_size))
        mode = U._mode(self.interpolation, ("nearest", "bilinear"))
        return _warp_batch(inpt, len(grids), type(self).__name__, torch.cat(grids), mode, fill)


class RandomAffine(VisionTransform):
    """Random affine warp keeping the centre: angle from ``degrees``, translation up to
    ``translate`` = (fx, fy) of the width/height (whole pixels), a scale from ``scale`` = (lo, hi),
    a shear from ``shear`` (a number ``s`` -> x-shear in [-s, s]; 2 values -> x range; 4 values ->
    x and y ranges). See :func:`~.functional.affine`. One draw per sample in a batch.

    Example:
        >>> import torch
        >>> t = RandomAffine(10, translate=(0.1, 0.1), scale=(0.9, 1.1), generator=torch.Generator().manual_seed(0))
        >>> t(torch.zeros(3, 16, 16)).shape
        torch.Size([3, 16, 16])
    """

    def __init__(
        self,
        degrees: float | Sequence[float],
        translate: Sequence[float] | None = None,
        scale: Sequence[float] | None = None,
        shear: float | Sequence[float] | None = None,
        interpolation: InterpolationMode | str | int = InterpolationMode.NEAREST,
        fill: Any = 0,
        center: Sequence[float] | None = None,
        *,
        generator: torch.Generator | None = None,
    ):
        super().__init__(generator=generator)
        self.degrees = _range_arg(degrees, "degrees")
        if translate is not None:
            translate = [float(t) for t in translate]
            if len(translate) != 2 or not all(0.0 <= t <= 1.0 for t in translate):
                raise ValueError(f"translate must be two fractions in [0, 1], got {translate}")
        if scale is not None:
            scale = [float(s) for s in scale]
            if len(scale) != 2 or min(scale) <= 0:
                raise ValueError(f"scale must be two positive numbers, got {scale}")
        self.translate = translate
        self.scale = scale
        self.shear = None if shear is None else _range_arg(shear, "shear", sizes=(2, 4))
        U._mode(interpolation, ("nearest", "bilinear"))
        self.interpolation = interpolation
        self.fill = fill
        self._fill = _setup_fill(fill)
        self.center = W._parse_center(center)

    def _draw(self, height: int, width: int) -> dict[str, Any]:
        def draw(lo, hi):
            return float(uniform(lo, hi, self.generator, size=(1,)))

        angle = draw(self.degrees[0], self.degrees[1])
        translate = [0, 0]
        if self.translate is not None:
            max_dx, max_dy = self.translate[0] * width, self.translate[1] * height
            translate = [int(round(draw(-max_dx, max_dx))), int(round(draw(-max_dy, max_dy)))]
        scale = draw(self.scale[0], self.scale[1]) if self.scale is not None else 1.0
        shear = [0.0, 0.0]
        if self.shear is not None:
            shear[0] = draw(self.shear[0], self.shear[1])
            if len(self.shear) == 4:
                shear[1] = draw(self.shear[2], self.shear[3])
        return {"angle": angle, "translate": translate, "scale": scale, "shear": shear}

    def make_params(self, info: SampleInfo) -> dict[str, Any]:
        if info.batch is None:
            return self._draw(*info.size)
        return {"samples": [self._draw(*info.size) for _ in range(info.batch)]}

    def transform(self, inpt, params):
        fill = _fill_for(self._fill, inpt)
        if "samples" not in params:
            return F.affine(
                inpt, **params, interpolation=self.interpolation, fill=fill, center=self.center
            )
        size = inpt.shape[-2:]
        dtype = W._grid_dtype(inpt)
        grids = []
        for p in params["samples"]:
            inverse = W._affine_inverse_centred(
                size, p["angle"], p["translate"], p["scale"], p["shear"], self.center
            )
            grids.append(
                W._affine_grid(
                    torch.tensor(inverse, dtype=dtype, device=inpt.device).view(1, 2, 3), size, size
                )
            )
        mode = U._mode(self.interpolation, ("nearest", "bilinear"))
        return _warp_batch(inpt, len(grids), type(self).__name__, torch.cat(grids), mode, fill)


class RandomPerspective(VisionTransform):
    """With probability ``p``, move each image corner inwards by up to ``distortion_scale`` of
    half the width/height (drawn as torchvision) and warp; see :func:`~.functional.perspective`.

    Example:
        >>> import torch
        >>> t = RandomPerspective(0.5, p=1.0, generator=torch.Generator().manual_seed(0))
        >>> t(torch.zeros(3, 16, 16)).shape
        torch.Size([3, 16, 16])
    """

    def __init__(
        self,
        distortion_scale: float = 0.5,
        p: float = 0.5,
        interpolation: InterpolationMode | str | int = InterpolationMode.BILINEAR,
        fill: Any = 0,
        *,
        generator: torch.Generator | None = None,
    ):
        super().__init__(generator=generator)
        if not 0.0 <= distortion_scale <= 1.0:
            raise ValueError(f"distortion_scale must be in [0, 1], got {distortion_scale}")
        self.distortion_scale = float(distortion_scale)
        self.p = check_p(p)
        U._mode(interpolation, ("nearest", "bilinear"))
        self.interpolation = interpolation
        self.fill = fill
        self._fill = _setup_fill(fill)

    def _draw(self, height: int, width: int) -> list[float]:
        bound_h = int(self.distortion_scale * (height // 2)) + 1
        bound_w = int(self.distortion_scale * (width // 2)) + 1

        def draw(lo, hi):
            return int(randint(lo, hi, self.generator, size=(1,)))

        top_left = [draw(0, bound_w), draw(0, bound_h)]
        top_right = [draw(width - bound_w, width), draw(0, bound_h)]
        bottom_right = [draw(width - bound_w, width), draw(height - bound_h, height)]
        bottom_left = [draw(0, bound_w), draw(height - bound_h, height)]
        start = [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]
        return W._perspective_from_points(start, [top_left, top_right, bottom_right, bottom_left])

    def make_params(self, info: SampleInfo) -> dict[str, Any]:
        if info.batch is None:
            return {"coefficients": self._draw(*info.size)}
        return {
            "batch_coefficients": torch.tensor(
                [self._draw(*info.size) for _ in range(info.batch)], dtype=torch.float64
            )
        }

    def transform(self, inpt, params):
        fill = _fill_for(self._fill, inpt)
        if "batch_coefficients" not in params:
            return F.perspective(
                inpt,
                None,
                None,
                interpolation=self.interpolation,
                fill=fill,
                coefficients=params["coefficients"],
            )
        name = type(self).__name__
        apply = params["apply"]
        plain = _check_batch_item(inpt, apply.shape[0], name)
        mode = U._mode(self.interpolation, ("nearest", "bilinear"))

        def warp(chosen):  # the flagged samples, in order
            coeffs = params["batch_coefficients"][apply].to(device=plain.device, dtype=W._grid_dtype(plain))
            grid = W._perspective_grid(coeffs, plain.shape[-2:])
            return _warp_batch(rewrap(chosen, inpt), chosen.shape[0], name, grid, mode, fill)

        return _where(inpt, apply, name, warp)


def _gaussian_smooth(
    noise: torch.Tensor, kernel_sigma: float, sigma_x: float, sigma_y: float
) -> torch.Tensor:
    """Blur ``(1, 1, H, W)`` noise as torchvision's ElasticTransform does: a square kernel of
    int(8 * kernel_sigma + 1) taps (made odd), Gaussian of ``sigma_x`` across and ``sigma_y``
    down, reflect padding (edge padding for images smaller than the kernel)."""
    size = int(8 * kernel_sigma + 1)
    size += 1 - size % 2
    half = (size - 1) * 0.5
    x = torch.linspace(-half, half, size, dtype=noise.dtype)

    def kernel(sigma):
        k = torch.exp(-0.5 * (x / sigma).pow(2))
        return k / k.sum()

    pad = size // 2
    h, w = noise.shape[-2:]
    mode = "reflect" if pad < h and pad < w else "replicate"
    padded = TF.pad(noise, [pad, pad, pad, pad], mode=mode)
    out = TF.conv2d(padded, kernel(sigma_x).view(1, 1, 1, -1))
    return TF.conv2d(out, kernel(sigma_y).view(1, 1, -1, 1))


class ElasticTransform(VisionTransform):
    """Elastic distortion: random displacement fields smoothed by a Gaussian of ``sigma`` and
    scaled by ``alpha`` (drawn as torchvision); see :func:`~.functional.elastic`.
    Boxes and keypoints move approximately (see there).

    Example:
        >>> import torch
        >>> t = ElasticTransform(alpha=20.0, sigma=3.0, generator=torch.Generator().manual_seed(0))
        >>> t(torch.zeros(3, 32, 32)).shape
        torch.Size([3, 32, 32])
    """

    def __init__(
        self,
        alpha: float | Sequence[float] = 50.0,
        sigma: float | Sequence[float] = 5.0,
        interpolation: InterpolationMode | str | int = InterpolationMode.BILINEAR,
        fill: Any = 0,
        *,
        generator: torch.Generator | None = None,
    ):
        super().__init__(generator=generator)
        self.alpha = self._two(alpha, "alpha")
        self.sigma = self._two(sigma, "sigma")
        U._mode(interpolation, ("nearest", "bilinear"))
        self.interpolation = interpolation
        self.fill = fill
        self._fill = _setup_fill(fill)

    @staticmethod
    def _two(value, name) -> list[float]:
        values = (
            [float(value)] * 2 if isinstance(value, numbers.Number) else [float(v) for v in value]
        )
        if len(values) == 1:
            values *= 2
        if len(values) != 2 or min(values) < 0:
            raise ValueError(f"{name} must be a non-negative number or two of them, got {value!r}")
        return values

    def _draw(self, height: int, width: int) -> torch.Tensor:
        fields = []
        for axis, extent in ((0, height), (1, width)):
            noise = torch.rand((1, 1, height, width), generator=self.generator) * 2 - 1
            if self.sigma[axis] > 0:
                noise = _gaussian_smooth(noise, self.sigma[axis], self.sigma[0], self.sigma[1])
            fields.append(noise * self.alpha[axis] / extent)
        return torch.cat(fields, dim=1).permute(0, 2, 3, 1)  # (1, H, W, 2)

    def make_params(self, info: SampleInfo) -> dict[str, Any]:
        if info.batch is None:
            return {"displacement": self._draw(*info.size)}
        return {"displacements": torch.cat([self._draw(*info.size) for _ in range(info.batch)])}

    def transform(self, inpt, params):
        fill = _fill_for(self._fill, inpt)
        if "displacements" not in params:
            return F.elastic(
                inpt, params["displacement"], interpolation=self.interpolation, fill=fill
            )
        displacements = params["displacements"]
        dtype = W._grid_dtype(inpt)
        grid = W._identity_grid(inpt.shape[-2:], dtype, inpt.device) + displacements.to(
            dtype=dtype, device=inpt.device
        )
        mode = U._mode(self.interpolation, ("nearest", "bilinear"))
        return _warp_batch(inpt, displacements.shape[0], type(self).__name__, grid, mode, fill)


# --- bounding-box utilities -----------------------------------------------------------------


class ClampBoundingBoxes(VisionTransform):
    """Clamp boxes into their canvas; other items pass through.

    Example:
        >>> from triptych.vision import tensors
        >>> boxes = tensors.BoundingBoxes([[-4, 2, 30, 9]], format="XYXY", canvas_size=(10, 20))
        >>> ClampBoundingBoxes()(boxes).tolist()
        [[0, 2, 20, 9]]
    """

    def transform(self, inpt, params):
        return F.clamp_bounding_boxes(inpt) if isinstance(inpt, BoundingBoxes) else inpt


class ClampKeyPoints(Transform):
    """Clamp keypoints into ``[0, W - 1] x [0, H - 1]``; other items pass through (a sample of
    keypoints alone is fine: nothing here needs an image).

    Example:
        >>> from triptych.vision import tensors
        >>> points = tensors.KeyPoints([[-1.0, 3.0]], canvas_size=(10, 20))
        >>> ClampKeyPoints()(points).tolist()
        [[0.0, 3.0]]
    """

    def select_inputs(self, leaves: list[Any]) -> list[bool]:
        return [isinstance(x, KeyPoints) for x in leaves]

    def transform(self, inpt, params):
        return F.clamp_keypoints(inpt)


class ConvertBoundingBoxFormat(VisionTransform):
    """Convert boxes to ``format`` (``"XYXY"``, ``"XYWH"`` or ``"CXCYWH"``); other items pass through.

    Example:
        >>> from triptych.vision import tensors
        >>> boxes = tensors.BoundingBoxes([[10, 20, 30, 60]], format="XYXY", canvas_size=(64, 64))
        >>> ConvertBoundingBoxFormat("XYWH")(boxes).tolist()
        [[10, 20, 20, 40]]
    """

    def __init__(self, format: BoundingBoxFormat | str):
        super().__init__()
        self.format = M._box_format(format)

    def transform(self, inpt, params):
        return (
            F.convert_bounding_box_format(inpt, new_format=self.format)
            if isinstance(inpt, BoundingBoxes)
            else inpt
        )


def _default_labels(sample: Any) -> Any:
    """torchvision's heuristic: a dict (or the dict second in a tuple) with a "labels" key
    (case-insensitive), else the first key containing "label"."""
    if isinstance(sample, (tuple, list)) and len(sample) > 1:
        sample = sample[1]
    if isinstance(sample, torch.Tensor) and type(sample) is torch.Tensor:
        return sample
    if not isinstance(sample, Mapping):
        raise ValueError(
            "SanitizeBoundingBoxes' default labels_getter needs a dict sample (or a tuple whose second item "
            "is a dict or a labels tensor); pass labels_getter=None or a callable"
        )
    keys = [k for k in sample if isinstance(k, str)]
    key = next((k for k in keys if k.lower() == "labels"), None) or next(
        (k for k in keys if "label" in k.lower()), None
    )
    if key is None:
        raise ValueError(
            "SanitizeBoundingBoxes could not find labels in the sample (no key named like 'labels'); "
            "pass labels_getter=None if there are none, or a callable returning them"
        )
    return sample[key]


class SanitizeBoundingBoxes(Transform):
    """Drop degenerate boxes (width or height < ``min_size``, area < ``min_area``, or reaching
    outside the canvas) together with their labels and instance masks.

    ``labels_getter``: ``"default"`` finds a ``"labels"`` entry in a dict sample (see
    torchvision); a callable returns a tensor or a tuple of tensors to filter alongside; None
    filters only boxes and masks. Masks with a leading dimension of one per box ``(N, H, W)``
    are filtered; 2-D (semantic) masks pass through.

    Example:
        >>> import torch
        >>> from triptych.vision import tensors
        >>> sample = {"boxes": tensors.BoundingBoxes([[0, 0, 5, 5], [3, 3, 3, 8]], format="XYXY",
        ...                                           canvas_size=(10, 10)),
        ...           "labels": torch.tensor([1, 2])}
        >>> out = SanitizeBoundingBoxes()(sample)
        >>> out["boxes"].tolist(), out["labels"].tolist()
        ([[0, 0, 5, 5]], [1])
    """

    def __init__(
        self, min_size: float = 1.0, min_area: float = 1.0, labels_getter: Any = "default"
    ):
        super().__init__()
        if min_size < 1:
            raise ValueError(f"min_size must be >= 1, got {min_size}")
        if min_area < 1:
            raise ValueError(f"min_area must be >= 1, got {min_area}")
        if not (labels_getter is None or labels_getter == "default" or callable(labels_getter)):
            raise ValueError(
                f"labels_getter must be 'default', a callable or None, got {labels_getter!r}"
            )
        self.min_size = float(min_size)
        self.min_area = float(min_area)
        self.labels_getter = labels_getter

    def _labels(self, sample: Any) -> tuple[torch.Tensor, ...]:
        if self.labels_getter is None:
            return ()
        labels = (
            _default_labels(sample)
            if self.labels_getter == "default"
            else self.labels_getter(sample)
        )
        if labels is None:
            return ()
        labels = (labels,) if isinstance(labels, torch.Tensor) else tuple(labels)
        for entry in labels:
            if not isinstance(entry, torch.Tensor):
                raise ValueError(f"labels must be tensors, got {type(entry).__name__}")
        return labels

    def select_inputs(self, leaves: list[Any]) -> list[bool]:
        # Boxes, instance masks and the labels (picked out by identity in make_params); boxes are
        # filtered by index, so the items need not agree on a spatial size as in VisionTransform.
        return [isinstance(x, torch.Tensor) for x in leaves]

    def make_params(self, info: SampleInfo) -> dict[str, Any]:
        labels = self._labels(info.sample)
        boxes = [x for x in info.inputs if isinstance(x, BoundingBoxes)]
        if len(boxes) != 1:
            raise ValueError(
                f"SanitizeBoundingBoxes needs exactly one BoundingBoxes in the sample, found {len(boxes)}"
            )
        boxes = boxes[0]
        count = boxes.reshape(-1, 4).shape[0]
        for entry in labels:
            if entry.shape[:1] != (count,):
                raise ValueError(
                    f"{count} boxes but labels of shape {tuple(entry.shape)}: need one label per box"
                )
        _, valid = F.sanitize_bounding_boxes(boxes, min_size=self.min_size, min_area=self.min_area)
        return {"valid": valid, "count": count, "labels": labels}

    def transform(self, inpt, params):
        valid, count = params["valid"], params["count"]
        if isinstance(inpt, BoundingBoxes):
            return wrap(inpt.as_subclass(torch.Tensor).reshape(-1, 4)[valid.to(inpt.device)], like=inpt)
        if isinstance(inpt, Mask) and inpt.ndim >= 3:
            if inpt.shape[0] != count:
                raise ValueError(f"{count} boxes but an instance mask of shape {tuple(inpt.shape)}")
            return wrap(inpt.as_subclass(torch.Tensor)[valid.to(inpt.device)], like=inpt)
        if any(inpt is entry for entry in params["labels"]):
            return inpt[valid.to(inpt.device)]
        return inpt
