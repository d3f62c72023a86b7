"""Photometric transforms: ColorJitter, Grayscale, RandomGrayscale, GaussianBlur, RandomInvert,
RandomPosterize, RandomSolarize, RandomAdjustSharpness, RandomAutocontrast, RandomEqualize.

They change images only; boxes, masks, keypoints and labels in the sample pass through.
Given a batch ``(N, C, H, W)`` they draw one set of parameters per image (factors, sigma,
the ColorJitter order, the ``p`` coin) and apply them in vectorised calls.

Example:
    >>> import torch
    >>> from triptych.vision import transforms as T
    >>> jitter = T.ColorJitter(brightness=0.4, hue=0.1, generator=torch.Generator().manual_seed(0))
    >>> jitter(torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8)).shape
    torch.Size([8, 3, 32, 32])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from triptych.transforms import apply_where, check_p, rewrap, uniform

from . import functional as F
from ._base import SampleInfo, VisionTransform, batch_shape, is_image, num_channels

__all__ = [
    "ColorJitter",
    "Grayscale",
    "RandomGrayscale",
    "GaussianBlur",
    "RandomInvert",
    "RandomPosterize",
    "RandomSolarize",
    "RandomAdjustSharpness",
    "RandomAutocontrast",
    "RandomEqualize",
]


def _jitter_range(
    value: float | Sequence[float] | None, name: str, *, center: float = 1.0,
    bound: tuple[float, float] = (0.0, float("inf")), clip_first_on_zero: bool = True,
) -> tuple[float, float] | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{name}: a single number must be non-negative, got {value}")
        low, high = center - value, center + value
        if clip_first_on_zero:
            low = max(low, 0.0)
    elif isinstance(value, Sequence) and len(value) == 2:
        low, high = float(value[0]), float(value[1])
    else:
        raise TypeError(f"{name} must be a number or a (min, max) pair, got {value!r}")
    if not bound[0] <= low <= high <= bound[1]:
        raise ValueError(f"{name} must be an increasing range within {bound}, got {(low, high)}")
    return None if low == high == center else (float(low), float(high))


# --- ColorJitter ----------------------------------------------------------------------------


class ColorJitter(VisionTransform):
    """Randomly change brightness, contrast, saturation and hue, in a random order.

    Each argument is ``None`` (leave that property alone), a number ``x`` (factor drawn from
    ``[max(0, 1 - x), 1 + x]``; for hue from ``[-x, x]`` with ``x <= 0.5``) or a ``(min, max)``
    pair. As torchvision, the four adjustments run in a random order. Given a batch
    ``(N, C, H, W)``, every image gets its own four factors *and* its own order.

    Args:
        brightness, contrast, saturation, hue: the ranges described above.
        generator: ``torch.Generator`` the parameters are drawn from.

    Shapes:
        image ``(..., 1 or 3, H, W)`` (uint8 or float), :class:`Image` or PIL image.

    Example:
        >>> import torch
        >>> t = ColorJitter(brightness=0.5, saturation=(0.0, 2.0), generator=torch.Generator().manual_seed(0))
        >>> t(torch.rand(4, 3, 8, 8)).shape
        torch.Size([4, 3, 8, 8])
    """

    _ADJUST = (F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue)

    def __init__(
        self,
        brightness: float | Sequence[float] | None = None,
        contrast: float | Sequence[float] | None = None,
        saturation: float | Sequence[float] | None = None,
        hue: float | Sequence[float] | None = None,
        *,
        generator: torch.Generator | None = None,
    ):
        super().__init__(generator=generator)
        self.brightness = _jitter_range(brightness, "brightness")
        self.contrast = _jitter_range(contrast, "contrast")
        self.saturation = _jitter_range(saturation, "saturation")
        self.hue = _jitter_range(hue, "hue", center=0.0, bound=(-0.5, 0.5), clip_first_on_zero=False)

    def make_params(self, info: SampleInfo) -> dict[str, Any]:
        shape = batch_shape(info)
        order = torch.rand(*shape, 4, generator=self.generator).argsort(dim=-1)
        ranges = (self.brightness, self.contrast, self.saturation, self.hue)
        factors = [None if r is None else uniform(r[0], r[1], self.generator, shape) for r in ranges]
        return {"order": order, "factors": factors}

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        if not is_image(inpt):
            return inpt
        order, factors = params["order"], params["factors"]
        if order.ndim == 1:
            for op in order.tolist():
                if factors[op] is not None:
                    inpt = self._ADJUST[op](inpt, factors[op])
            return inpt
        return rewrap(self._batch(inpt.as_subclass(torch.Tensor), order, factors), inpt)

    def _batch(self, images: torch.Tensor, order: torch.Tensor, factors: list) -> torch.Tensor:
        # Step k applies each image's k-th adjustment: one call per (step, adjustment) on the
        # images that have it there, so the work stays vectorised whatever the orders are.
        if images.ndim != 4 or images.shape[0] != order.shape[0]:
            raise ValueError(f"ColorJitter drew parameters for a batch of {order.shape[0]}, got {tuple(images.shape)}")
        out = images
        for step in range(4):
            for op, factor in enumerate(factors):
                if factor is None:
                    continue
                rows = (order[:, step] == op).nonzero().squeeze(1)
                if rows.numel() == order.shape[0]:
                    out = self._ADJUST[op](out, factor)
                elif rows.numel():
                    if out is images:
                        out = images.clone()
                    index = rows.to(out.device)
                    out.index_copy_(0, index, self._ADJUST[op](out.index_select(0, index), factor[rows]))
        return out


# --- grayscale ------------------------------------------------------------------------------


class Grayscale(VisionTransform):
    """Convert images to grayscale (ITU-R 601-2 luma) with ``num_output_channels`` (1 or 3).

    Shapes:
        ``(..., 1 or 3, H, W)`` -> ``(..., num_output_channels, H, W)``; PIL RGB -> PIL L.

    Example:
        >>> import torch
        >>> Grayscale()(torch.rand(3, 4, 4)).shape
        torch.Size([1, 4, 4])
    """

    def __init__(self, num_output_channels: int = 1):
        super().__init__()
        if num_output_channels not in (1, 3):
            raise ValueError(f"num_output_channels must be 1 or 3, got {num_output_channels}")
        self.num_output_channels = num_output_channels

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        if not is_image(inpt):
            return inpt
        return F.rgb_to_grayscale(inpt, num_output_channels=self.num_output_channels)


def _apply_to_chosen(inpt: Any, apply: torch.Tensor | None, fn: Callable[[Any], Any]) -> Any:
    """``fn`` on the images of a batch flagged in ``apply``; a single image (or PIL) as it is."""
    is_batch = isinstance(inpt, torch.Tensor) and inpt.ndim == 4
    return apply_where(inpt, apply if is_batch else None, fn)


class _RandomPhotometric(VisionTransform):
    """Apply :meth:`_apply` to each image with probability ``p`` (per image in a batch)."""

    def __init__(self, p: float = 0.5, *, generator: torch.Generator | None = None):
        super().__init__(generator=generator)
        self.p = check_p(p)

    def _apply(self, image: Any) -> Any:
        raise NotImplementedError

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        if not is_image(inpt):
            return inpt
        return _apply_to_chosen(inpt, params.get("apply"), self._apply)


class RandomGrayscale(_RandomPhotometric):
    """Convert images to grayscale with probability ``p``, keeping the number of channels.

    Example:
        >>> import torch
        >>> x = torch.rand(3, 4, 4)
        >>> y = RandomGrayscale(p=1.0)(x)
        >>> y.shape, bool((y[0] == y[1]).all())
        (torch.Size([3, 4, 4]), True)
    """

    def __init__(self, p: float = 0.1, *, generator: torch.Generator | None = None):
        super().__init__(p, generator=generator)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        if not is_image(inpt):
            return inpt
        channels = num_channels(inpt)
        return _apply_to_chosen(inpt, params.get("apply"), lambda x: F.rgb_to_grayscale(x, num_output_channels=channels))


class GaussianBlur(VisionTransform):
    """Blur with a Gaussian kernel whose sigma is drawn uniformly from ``sigma`` = (min, max).

    Args:
        kernel_size: odd positive int or ``(kx, ky)``.
        sigma: a fixed positive number or a ``(min, max)`` range; one draw per image.
        generator: ``torch.Generator`` the sigmas are drawn from.

    Shapes:
        image ``(..., C, H, W)``, :class:`Image` or PIL image.

    Example:
        >>> import torch
        >>> GaussianBlur(5, sigma=(0.5, 1.5))(torch.rand(2, 3, 16, 16)).shape
        torch.Size([2, 3, 16, 16])
    """

    def __init__(
        self, kernel_size: int | Sequence[int], sigma: float | Sequence[float] = (0.1, 2.0), *,
        generator: torch.Generator | None = None,
    ):
        super().__init__(generator=generator)
        sizes = [kernel_size, kernel_size] if isinstance(kernel_size, int) else list(kernel_size)
        if len(sizes) == 1:
            sizes = sizes * 2
        if len(sizes) != 2 or not all(isinstance(k, int) and k > 0 and k % 2 == 1 for k in sizes):
            raise ValueError(f"kernel_size must be an odd positive int or a pair of them, got {kernel_size}")
        self.kernel_size = sizes
        if isinstance(sigma, (int, float)):
            low, high = float(sigma), float(sigma)
        elif isinstance(sigma, Sequence) and len(sigma) in (1, 2):
            low, high = float(sigma[0]), float(sigma[-1])
        else:
            raise TypeError(f"sigma must be a number or a (min, max) pair, got {sigma!r}")
        if not 0.0 < low <= high:
            raise ValueError(f"sigma must be positive and of the form (min, max), got {sigma}")
        self.sigma = (low, high)

    def make_params(self, info: SampleInfo) -> dict[str, Any]:
        return {"sigma": uniform(self.sigma[0], self.sigma[1], self.generator, batch_shape(info))}

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        if not is_image(inpt):
            return inpt
        return F.gaussian_blur(inpt, self.kernel_size, sigma=params["sigma"])


# --- random single-operation transforms -----------------------------------------------------


class RandomInvert(_RandomPhotometric):
    """Invert images (``max - x``) with probability ``p``.

    Example:
        >>> import torch
        >>> RandomInvert(p=1.0)(torch.tensor([[[0, 255]]], dtype=torch.uint8))
        tensor([[[255,   0]]], dtype=torch.uint8)
    """

    def _apply(self, image: Any) -> Any:
        return F.invert(image)


class RandomPosterize(_RandomPhotometric):
    """Keep the ``bits`` most significant bits of each value with probability ``p``.

    Example:
        >>> import torch
        >>> RandomPosterize(bits=4, p=1.0)(torch.tensor([[[255, 31]]], dtype=torch.uint8))
        tensor([[[240,  16]]], dtype=torch.uint8)
    """

    def __init__(self, bits: int, p: float = 0.5, *, generator: torch.Generator | None = None):
        super().__init__(p, generator=generator)
        if not isinstance(bits, int) or not 0 <= bits <= 8:
            raise ValueError(f"bits must be an int in [0, 8], got {bits!r}")
        self.bits = bits

    def _apply(self, image: Any) -> Any:
        return F.posterize(image, self.bits)


class RandomSolarize(_RandomPhotometric):
    """Invert the values ``>= threshold`` with probability ``p``.

    Example:
        >>> import torch
        >>> RandomSolarize(threshold=0.5, p=1.0)(torch.tensor([[[0.25, 0.75]]]))
        tensor([[[0.2500, 0.2500]]])
    """

    def __init__(self, threshold: float, p: float = 0.5, *, generator: torch.Generator | None = None):
        super().__init__(p, generator=generator)
        self.threshold = float(threshold)

    def _apply(self, image: Any) -> Any:
        return F.solarize(image, self.threshold)


class RandomAdjustSharpness(_RandomPhotometric):
    """Adjust sharpness by ``sharpness_factor`` (0 blurs, 1 keeps, 2 sharpens) with probability ``p``.

    Example:
        >>> import torch
        >>> RandomAdjustSharpness(2.0, p=1.0)(torch.rand(3, 8, 8)).shape
        torch.Size([3, 8, 8])
    """

    def __init__(self, sharpness_factor: float, p: float = 0.5, *, generator: torch.Generator | None = None):
        super().__init__(p, generator=generator)
        if sharpness_factor < 0:
            raise ValueError(f"sharpness_factor must be non-negative, got {sharpness_factor}")
        self.sharpness_factor = float(sharpness_factor)

    def _apply(self, image: Any) -> Any:
        return F.adjust_sharpness(image, self.sharpness_factor)


class RandomAutocontrast(_RandomPhotometric):
    """Stretch each channel to the full value range with probability ``p``.

    Example:
        >>> import torch
        >>> RandomAutocontrast(p=1.0)(torch.tensor([[[0.25, 0.5]]]))
        tensor([[[0., 1.]]])
    """

    def _apply(self, image: Any) -> Any:
        return F.autocontrast(image)


class RandomEqualize(_RandomPhotometric):
    """Equalise the histogram of each channel with probability ``p``.

    Example:
        >>> import torch
        >>> x = torch.tensor([50] * 300 + [60] * 300 + [70] * 300, dtype=torch.uint8).reshape(1, 30, 30)
        >>> RandomEqualize(p=1.0)(x).unique()
        tensor([  0, 150, 255], dtype=torch.uint8)
    """

    def _apply(self, image: Any) -> Any:
        return F.equalize(image)
