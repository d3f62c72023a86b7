"""Photometric functionals: brightness, contrast, saturation, hue, sharpness, gamma, grayscale,
Gaussian blur, invert, posterize, solarize, autocontrast, equalize.

Same names and argument meanings as ``torchvision.transforms.v2.functional``. Images are
``(..., C, H, W)`` tensors (uint8 or float in [0, 1]), :class:`~triptych.vision.tensors.Image`
or PIL images. Boxes, masks and keypoints pass through unchanged.

Every per-image parameter (a factor, a threshold, ``bits``, ``sigma``) may be a number or a
tensor of the leading (batch) shape ``image.shape[:-3]``: ``adjust_brightness(batch,
factors)`` with ``batch`` ``(N, C, H, W)`` and ``factors`` ``(N,)`` brightens each image by
its own factor in one vectorised call. Integer images are computed in float32, clamped to
``[0, max]`` and cast back (truncating), like torchvision.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as nnf

from triptych.transforms import register_passthrough as passthrough

from ...tensors import BoundingBoxes, KeyPoints, Mask
from .._dispatch import dispatch, register_kernel
from ._misc import _max_value, _to_dtype_image
from ._utils import _check_image

__all__ = [
    "adjust_brightness",
    "adjust_contrast",
    "adjust_saturation",
    "adjust_hue",
    "adjust_sharpness",
    "adjust_gamma",
    "rgb_to_grayscale",
    "to_grayscale",
    "gaussian_blur",
    "invert",
    "posterize",
    "solarize",
    "autocontrast",
    "equalize",
]

# ITU-R 601-2 luma weights (as PIL's "L" conversion and torchvision).
_LUMA = (0.2989, 0.587, 0.114)

# --- helpers shared by the kernels ---------------------------------------------------------


def register_passthrough(functional: Any) -> None:
    """Make ``functional`` return boxes, masks and keypoints unchanged (photometric ops)."""
    passthrough(functional, Mask, BoundingBoxes, KeyPoints)


def _compute_dtype(image: torch.Tensor) -> torch.dtype:
    return image.dtype if image.is_floating_point() else torch.float32


def per_sample(value: Any, image: torch.Tensor, name: str, *, dtype: torch.dtype | None = None) -> torch.Tensor:
    """``value`` (a number or a tensor of the leading dims) shaped to broadcast over ``image``.

    The result has shape ``value.shape + (1, 1, 1)`` so a ``(N,)`` tensor lines up with the
    ``N`` of an ``(N, C, H, W)`` batch; it lives on the image's device in ``dtype``
    (default: the float type the kernel computes in).
    """
    dtype = dtype or _compute_dtype(image)
    if isinstance(value, torch.Tensor):
        tensor = value.detach().to(dtype=dtype)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        tensor = torch.tensor(value, dtype=dtype)
    else:
        raise TypeError(f"{name} must be a number or a tensor, got {type(value).__name__}")
    lead = image.shape[:-3]
    ok = tensor.ndim <= len(lead) and all(a in (1, b) for a, b in zip(reversed(tensor.shape), reversed(lead)))
    if not ok:
        raise ValueError(
            f"{name} must be a number or a tensor broadcastable to the leading dims {tuple(lead)} "
            f"of the image, got shape {tuple(tensor.shape)}"
        )
    return tensor.to(image.device, non_blocking=True).reshape(*tensor.shape, 1, 1, 1)


def _check_range(value: Any, name: str, low: float | None = None, high: float | None = None) -> None:
    tensor = torch.as_tensor(value.detach() if isinstance(value, torch.Tensor) else value)
    if tensor.numel() == 0:
        return
    if (low is not None and bool((tensor < low).any())) or (high is not None and bool((tensor > high).any())):
        bounds = f"[{low if low is not None else '-inf'}, {high if high is not None else 'inf'}]"
        raise ValueError(f"{name} must lie in {bounds}, got {value}")


def _finish(output: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Clamp to the value range of ``like``'s dtype and cast back (truncating, as torchvision)."""
    output = output.clamp_(0, _max_value(like.dtype))
    return output if like.is_floating_point() else output.to(like.dtype)


def _one_minus(value: Any) -> Any:
    # In float64, so ``1 - factor`` rounds once (as a Python-scalar alpha does in torchvision).
    return 1.0 - (value.detach().double() if isinstance(value, torch.Tensor) else float(value))


def _blend(image1: torch.Tensor, image2: torch.Tensor, ratio: Any, name: str) -> torch.Tensor:
    """``ratio * image1 + (1 - ratio) * image2`` saturated to ``image1``'s range and dtype."""
    weight1 = per_sample(ratio, image1, name)
    weight2 = per_sample(_one_minus(ratio), image1, name)
    output = image1.mul(weight1).addcmul_(image2, weight2)
    return _finish(output, image1)


def _luma(image: torch.Tensor) -> torch.Tensor:
    """Luma ``(..., 1, H, W)`` of an RGB image, in the compute float type (not rounded)."""
    r, g, b = image.unbind(dim=-3)
    return r.mul(_LUMA[0]).add_(g, alpha=_LUMA[1]).add_(b, alpha=_LUMA[2]).unsqueeze(-3)


def _gray_float(image: torch.Tensor) -> torch.Tensor:
    """Grayscale as the blend target of contrast/saturation: floor-ed for integer images."""
    if image.shape[-3] == 1:
        return image.to(_compute_dtype(image))
    gray = _luma(image)
    return gray if image.is_floating_point() else gray.floor_()


# --- brightness, contrast, saturation ------------------------------------------------------


def adjust_brightness(inpt: Any, brightness_factor: Any) -> Any:
    """Multiply the image by ``brightness_factor`` (0 gives black, 1 the original).

    Args:
        inpt: image ``(..., 1 or 3, H, W)``, :class:`Image` or PIL image.
        brightness_factor: non-negative number, or a tensor of the leading dims (one per image).

    Returns:
        same type and shape as ``inpt``.

    Example:
        >>> import torch
        >>> adjust_brightness(torch.tensor([[[100, 200]]], dtype=torch.uint8), 1.5)
        tensor([[[150, 255]]], dtype=torch.uint8)
    """
    return dispatch(adjust_brightness, inpt, brightness_factor=brightness_factor)


@register_kernel(adjust_brightness, torch.Tensor)
def _adjust_brightness_image(image: torch.Tensor, brightness_factor: Any) -> torch.Tensor:
    _check_image(image, "adjust_brightness", channels=(1, 3), allow_empty=True)
    _check_range(brightness_factor, "brightness_factor", low=0)
    factor = per_sample(brightness_factor, image, "brightness_factor")
    return _finish(image.mul(factor), image)


def adjust_contrast(inpt: Any, contrast_factor: Any) -> Any:
    """Blend the image with the mean of its grayscale version (0 gives a flat gray image).

    Args:
        inpt: image ``(..., 1 or 3, H, W)``, :class:`Image` or PIL image.
        contrast_factor: non-negative number, or a tensor of the leading dims.

    Example:
        >>> import torch
        >>> adjust_contrast(torch.tensor([[[0.2, 0.6]]]), 0.5)
        tensor([[[0.3000, 0.5000]]])
    """
    return dispatch(adjust_contrast, inpt, contrast_factor=contrast_factor)


@register_kernel(adjust_contrast, torch.Tensor)
def _adjust_contrast_image(image: torch.Tensor, contrast_factor: Any) -> torch.Tensor:
    _check_image(image, "adjust_contrast", channels=(1, 3), allow_empty=True)
    _check_range(contrast_factor, "contrast_factor", low=0)
    mean = _gray_float(image).mean(dim=(-3, -2, -1), keepdim=True)
    return _blend(image, mean, contrast_factor, "contrast_factor")


def adjust_saturation(inpt: Any, saturation_factor: Any) -> Any:
    """Blend an RGB image with its grayscale version (0 gives grayscale, 1 the original).

    One-channel images are returned unchanged.

    Args:
        inpt: image ``(..., 1 or 3, H, W)``, :class:`Image` or PIL image.
        saturation_factor: non-negative number, or a tensor of the leading dims.

    Example:
        >>> import torch
        >>> x = torch.tensor([255, 0, 0], dtype=torch.uint8).reshape(3, 1, 1)
        >>> adjust_saturation(x, 0.0).flatten()
        tensor([76, 76, 76], dtype=torch.uint8)
    """
    return dispatch(adjust_saturation, inpt, saturation_factor=saturation_factor)


@register_kernel(adjust_saturation, torch.Tensor)
def _adjust_saturation_image(image: torch.Tensor, saturation_factor: Any) -> torch.Tensor:
    _check_image(image, "adjust_saturation", channels=(1, 3), allow_empty=True)
    _check_range(saturation_factor, "saturation_factor", low=0)
    per_sample(saturation_factor, image, "saturation_factor")  # shape check
    if image.shape[-3] == 1:
        return image
    return _blend(image, _gray_float(image), saturation_factor, "saturation_factor")


# --- hue ------------------------------------------------------------------------------------


def _rgb_to_hsv(rgb: torch.Tensor) -> torch.Tensor:
    """Float RGB ``(..., 3, H, W)`` in [0, 1] to HSV with hue in [0, 1)."""
    r, g, b = rgb.unbind(dim=-3)
    value, _ = rgb.max(dim=-3)
    delta = value - rgb.min(dim=-3).values
    gray = delta == 0
    safe_delta = torch.where(gray, torch.ones_like(delta), delta)
    saturation = torch.where(gray, torch.zeros_like(delta), delta / torch.where(gray, torch.ones_like(value), value))
    # Sector of the hue circle: red is the maximum, else green, else blue.
    hue = torch.where(
        value == r,
        (g - b) / safe_delta,
        torch.where(value == g, 2.0 + (b - r) / safe_delta, 4.0 + (r - g) / safe_delta),
    )
    hue = torch.where(gray, torch.zeros_like(hue), hue).div_(6.0).remainder_(1.0)
    return torch.stack((hue, saturation, value), dim=-3)


def _hsv_to_rgb(hsv: torch.Tensor) -> torch.Tensor:
    """HSV ``(..., 3, H, W)`` back to RGB, branch-free: ``c = v - v s clamp(min(k, 4 - k), 0, 1)``
    with ``k = (n + 6 h) mod 6`` and ``n`` = 5, 3, 1 for red, green, blue."""
    hue, saturation, value = hsv.split(1, dim=-3)
    n = torch.tensor([5.0, 3.0, 1.0], dtype=hsv.dtype, device=hsv.device).view(3, 1, 1)
    k = (n + hue * 6.0).remainder_(6.0)
    weight = torch.minimum(k, 4.0 - k).clamp_(0.0, 1.0)
    return value - value * saturation * weight


def adjust_hue(inpt: Any, hue_factor: Any) -> Any:
    """Rotate the hue of an RGB image by ``hue_factor`` turns (in [-0.5, 0.5]) through HSV.

    One-channel images are returned unchanged.

    Args:
        inpt: image ``(..., 1 or 3, H, W)``, :class:`Image` or PIL image.
        hue_factor: number in [-0.5, 0.5], or a tensor of the leading dims.

    Example:
        >>> import torch
        >>> red = torch.tensor([1.0, 0.0, 0.0]).reshape(3, 1, 1)
        >>> adjust_hue(red, 1 / 3).flatten()  # a third of a turn: red becomes green
        tensor([0., 1., 0.])
    """
    return dispatch(adjust_hue, inpt, hue_factor=hue_factor)


@register_kernel(adjust_hue, torch.Tensor)
def _adjust_hue_image(image: torch.Tensor, hue_factor: Any) -> torch.Tensor:
    _check_image(image, "adjust_hue", channels=(1, 3), allow_empty=True)
    _check_range(hue_factor, "hue_factor", low=-0.5, high=0.5)
    if image.shape[-3] == 1 or image.numel() == 0:
        return image
    rgb = _to_dtype_image(image, torch.float32, scale=True) if not image.is_floating_point() else image
    shift = per_sample(hue_factor, rgb, "hue_factor").squeeze(-3)
    hue, saturation, value = _rgb_to_hsv(rgb).unbind(dim=-3)
    hsv = torch.stack(((hue + shift).remainder_(1.0), saturation, value), dim=-3)
    out = _hsv_to_rgb(hsv).clamp_(0.0, 1.0)
    return _to_dtype_image(out, image.dtype, scale=True)


# --- sharpness, gamma -----------------------------------------------------------------------


def adjust_sharpness(inpt: Any, sharpness_factor: Any) -> Any:
    """Blend the image with a smoothed copy (0 blurs, 1 is the original, 2 sharpens twice).

    The smoothing kernel is PIL's ``[[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13``; the one-pixel
    border is left as is, as in PIL and torchvision.

    Args:
        inpt: image ``(..., 1 or 3, H, W)``, :class:`Image` or PIL image.
        sharpness_factor: non-negative number, or a tensor of the leading dims.

    Example:
        >>> import torch
        >>> x = torch.zeros(1, 3, 3, dtype=torch.uint8)
        >>> x[0, 1, 1] = 130
        >>> adjust_sharpness(x, 0.0)[0, 1, 1]
        tensor(50, dtype=torch.uint8)
    """
    return dispatch(adjust_sharpness, inpt, sharpness_factor=sharpness_factor)


@register_kernel(adjust_sharpness, torch.Tensor)
def _adjust_sharpness_image(image: torch.Tensor, sharpness_factor: Any) -> torch.Tensor:
    _check_image(image, "adjust_sharpness", channels=(1, 3), allow_empty=True)
    _check_range(sharpness_factor, "sharpness_factor", low=0)
    blur_weight = per_sample(_one_minus(sharpness_factor), image, "sharpness_factor")
    channels, height, width = image.shape[-3:]
    if image.numel() == 0 or height <= 2 or width <= 2:
        return image
    dtype = _compute_dtype(image)
    flat = image.reshape(-1, channels, height, width).to(dtype, copy=True)
    blur_weight = blur_weight.expand(*image.shape[:-3], 1, 1, 1).reshape(-1, 1, 1, 1)
    # PIL's smoothing kernel [[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13 = (3x3 box sum + 4 x centre) / 13,
    # the box summed separably: exact for integer images, and far cheaper than a depthwise conv.
    rows = flat[..., :, :-2] + flat[..., :, 1:-1] + flat[..., :, 2:]
    box = rows[..., :-2, :] + rows[..., 1:-1, :] + rows[..., 2:, :]
    smooth = box.add_(flat[..., 1:-1, 1:-1], alpha=4.0).div_(13.0)
    if not image.is_floating_point():
        smooth = smooth.round_()
    interior = flat[..., 1:-1, 1:-1]
    interior.add_(smooth.sub_(interior).mul_(blur_weight))
    return _finish(flat, image).reshape(image.shape)


def adjust_gamma(inpt: Any, gamma: Any, gain: Any = 1) -> Any:
    """``gain * image ** gamma`` on the [0, 1] scale (integer images are scaled there and back).

    Args:
        inpt: image ``(..., C, H, W)``, :class:`Image` or PIL image.
        gamma: non-negative number (or tensor of the leading dims); < 1 brightens, > 1 darkens.
        gain: multiplier (number or tensor of the leading dims); results are clamped to [0, 1]
            when it is not 1.

    Example:
        >>> import torch
        >>> adjust_gamma(torch.tensor([[[0.25, 1.0]]]), 0.5)
        tensor([[[0.5000, 1.0000]]])
    """
    return dispatch(adjust_gamma, inpt, gamma=gamma, gain=gain)


@register_kernel(adjust_gamma, torch.Tensor)
def _adjust_gamma_image(image: torch.Tensor, gamma: Any, gain: Any = 1) -> torch.Tensor:
    _check_image(image, "adjust_gamma", channels=None, allow_empty=True)
    _check_range(gamma, "gamma", low=0)
    if image.is_floating_point():
        output = image.pow(per_sample(gamma, image, "gamma"))
    else:
        output = _to_dtype_image(image, torch.float32, scale=True)
        output = output.pow_(per_sample(gamma, output, "gamma"))
    if not (isinstance(gain, (int, float)) and gain == 1):
        output = output.mul_(per_sample(gain, output, "gain")).clamp_(0.0, 1.0)
    return _to_dtype_image(output, image.dtype, scale=True)


# --- grayscale ------------------------------------------------------------------------------


def rgb_to_grayscale(inpt: Any, num_output_channels: int = 1) -> Any:
    """Luma ``0.2989 R + 0.587 G + 0.114 B`` (ITU-R 601-2), repeated to ``num_output_channels``.

    Args:
        inpt: image ``(..., 1 or 3, H, W)``, :class:`Image` or PIL image.
        num_output_channels: 1 or 3.

    Returns:
        ``(..., num_output_channels, H, W)`` of the input's dtype (integer results truncate).

    Example:
        >>> import torch
        >>> rgb_to_grayscale(torch.tensor([1.0, 0.0, 0.0]).reshape(3, 1, 1)).flatten()
        tensor([0.2989])
    """
    return dispatch(rgb_to_grayscale, inpt, num_output_channels=num_output_channels)


to_grayscale = rgb_to_grayscale


@register_kernel(rgb_to_grayscale, torch.Tensor)
def _rgb_to_grayscale_image(image: torch.Tensor, num_output_channels: int = 1) -> torch.Tensor:
    _check_image(image, "rgb_to_grayscale", channels=(1, 3), allow_empty=True)
    if num_output_channels not in (1, 3):
        raise ValueError(f"num_output_channels must be 1 or 3, got {num_output_channels}")
    gray = image.clone() if image.shape[-3] == 1 else _luma(image).to(image.dtype)
    if num_output_channels == 3:
        gray = gray.expand(*gray.shape[:-3], 3, *gray.shape[-2:]).contiguous()
    return gray


# --- Gaussian blur --------------------------------------------------------------------------


def _pair(value: Any, name: str) -> tuple[Any, Any]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value, value
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) in (1, 2):
        return (value[0], value[0]) if len(value) == 1 else (value[0], value[1])
    raise TypeError(f"{name} must be a number or a sequence of 1 or 2 numbers, got {value!r}")


def _gaussian_kernels(size: int, sigma: torch.Tensor) -> torch.Tensor:
    """Normalised 1-D Gaussians ``(S, size)`` for ``S`` standard deviations ``sigma`` ``(S,)``."""
    offsets = torch.arange(size, dtype=sigma.dtype, device=sigma.device) - (size - 1) / 2
    weights = torch.exp(-0.5 * (offsets / sigma[:, None]) ** 2)
    return weights / weights.sum(dim=1, keepdim=True)


def _correlate(x: torch.Tensor, weights: torch.Tensor, dim: int) -> torch.Tensor:
    """Valid 1-D correlation of ``x`` ``(B, C, H, W)`` along ``dim`` with ``weights`` ``(B or 1, k)``.

    A sum of ``k`` shifted, weighted views: on the CPU several times faster than a depthwise
    convolution, and per-image weights broadcast for free.
    """
    size = weights.shape[1]
    length = x.shape[dim] - size + 1
    taps = weights.t().reshape(size, -1, 1, 1, 1)
    out = x.narrow(dim, 0, length) * taps[0]
    for offset in range(1, size):
        out.addcmul_(x.narrow(dim, offset, length), taps[offset])
    return out


def gaussian_blur(inpt: Any, kernel_size: int | Sequence[int], sigma: Any = None) -> Any:
    """Blur with a separable Gaussian kernel, reflecting at the borders.

    Args:
        inpt: image ``(..., C, H, W)``, :class:`Image` or PIL image.
        kernel_size: odd positive int, or ``[kx, ky]`` (width, height).
        sigma: standard deviation: a number, ``[sx, sy]``, a tensor of the leading dims (one
            sigma per image) or of the leading dims + ``(2,)``; default ``0.15 * k + 0.35``.

    Returns:
        same type and shape as ``inpt`` (integer images are rounded).

    Example:
        >>> import torch
        >>> x = torch.zeros(1, 5, 5)
        >>> x[0, 2, 2] = 1.0
        >>> y = gaussian_blur(x, 3, sigma=1.0)
        >>> round(float(y.sum()), 4), round(float(y[0, 2, 2]), 4)
        (1.0, 0.2042)
    """
    return dispatch(gaussian_blur, inpt, kernel_size=kernel_size, sigma=sigma)


def _blur_sigmas(sigma: Any, kernel_size: tuple[int, int], image: torch.Tensor) -> torch.Tensor:
    """Per-image (sx, sy) as an ``(S, 2)`` tensor; ``S`` is 1 when shared by all images."""
    lead = image.shape[:-3]
    count = math.prod(lead)
    if sigma is None:
        pair = torch.tensor([[0.15 * k + 0.35 for k in kernel_size]], dtype=torch.float64)
    elif isinstance(sigma, torch.Tensor):
        tensor = sigma.detach().to(torch.float64)
        if tensor.ndim > 0 and tensor.shape in (lead, lead + (2,)):
            pair = tensor.reshape(count, -1).expand(count, 2) if tensor.shape == lead else tensor.reshape(count, 2)
        elif tensor.shape in ((), (1,), (2,)):
            pair = tensor.reshape(1, -1).expand(1, 2)
        else:
            raise ValueError(
                f"sigma as a tensor must have shape (), (2,), {tuple(lead)} or {tuple(lead) + (2,)}, "
                f"got {tuple(tensor.shape)}"
            )
    else:
        sx, sy = _pair(sigma, "sigma")
        pair = torch.tensor([[float(sx), float(sy)]], dtype=torch.float64)
    if bool((pair <= 0).any()):
        raise ValueError(f"sigma must be positive, got {sigma}")
    return pair


@register_kernel(gaussian_blur, torch.Tensor)
def _gaussian_blur_image(image: torch.Tensor, kernel_size: int | Sequence[int], sigma: Any = None) -> torch.Tensor:
    _check_image(image, "gaussian_blur", channels=None, allow_empty=True)
    kx, ky = _pair(kernel_size, "kernel_size")
    if not all(isinstance(k, int) and k > 0 and k % 2 == 1 for k in (kx, ky)):
        raise ValueError(f"kernel_size must be odd positive integers, got {kernel_size}")
    if image.numel() == 0:
        return image
    sigmas = _blur_sigmas(sigma, (kx, ky), image)
    channels, height, width = image.shape[-3:]
    if kx // 2 >= width or ky // 2 >= height:
        raise ValueError(
            f"gaussian_blur: kernel_size {(kx, ky)} is too large for an image of size {(height, width)} "
            "(reflect padding needs kernel_size // 2 < the image side)"
        )
    dtype = _compute_dtype(image)
    flat = image.reshape(-1, channels, height, width).to(dtype)
    sigmas = sigmas.to(device=image.device, dtype=dtype)
    padded = nnf.pad(flat, [kx // 2, kx // 2, ky // 2, ky // 2], mode="reflect")
    out = _correlate(padded, _gaussian_kernels(kx, sigmas[:, 0]), dim=-1)
    out = _correlate(out, _gaussian_kernels(ky, sigmas[:, 1]), dim=-2)
    out = out.reshape(image.shape)
    if not image.is_floating_point():
        out = out.round_().clamp_(0, _max_value(image.dtype)).to(image.dtype)
    return out


# --- invert, posterize, solarize ------------------------------------------------------------


def invert(inpt: Any) -> Any:
    """``max - image`` (``1 - image`` for floats, ``255 - image`` for uint8).

    Example:
        >>> import torch
        >>> invert(torch.tensor([[[0, 100, 255]]], dtype=torch.uint8))
        tensor([[[255, 155,   0]]], dtype=torch.uint8)
    """
    return dispatch(invert, inpt)


def _value_bits(dtype: torch.dtype) -> int:
    info = torch.iinfo(dtype)
    return info.bits - (1 if info.min < 0 else 0)


@register_kernel(invert, torch.Tensor)
def _invert_image(image: torch.Tensor) -> torch.Tensor:
    _check_image(image, "invert", channels=None, allow_empty=True)
    if image.is_floating_point():
        return 1.0 - image
    if image.dtype == torch.bool:
        return ~image
    return image.bitwise_xor((1 << _value_bits(image.dtype)) - 1)


def posterize(inpt: Any, bits: Any) -> Any:
    """Keep the ``bits`` most significant bits of each value (0-8 for uint8).

    Integer images are masked bitwise; float images are quantised to ``2 ** bits`` levels
    (``floor(x * 2**bits) / 2**bits``), as torchvision.

    Args:
        inpt: image ``(..., C, H, W)``, :class:`Image` or PIL image.
        bits: int in [0, 8], or an integer tensor of the leading dims.

    Example:
        >>> import torch
        >>> posterize(torch.tensor([[[255, 77]]], dtype=torch.uint8), 2)
        tensor([[[192,  64]]], dtype=torch.uint8)
    """
    return dispatch(posterize, inpt, bits=bits)


@register_kernel(posterize, torch.Tensor)
def _posterize_image(image: torch.Tensor, bits: Any) -> torch.Tensor:
    _check_image(image, "posterize", channels=None, allow_empty=True)
    is_int = isinstance(bits, int) and not isinstance(bits, bool)
    if not (is_int or (isinstance(bits, torch.Tensor) and not bits.is_floating_point())):
        raise TypeError(f"bits must be an int or an integer tensor, got {bits!r}")
    _check_range(bits, "bits", low=0, high=8)
    if image.is_floating_point():
        levels = per_sample(bits, image, "bits", dtype=torch.int64).to(image.dtype).exp2()
        return image.mul(levels).floor_().clamp_(min=0).minimum(levels - 1).div_(levels)
    total = _value_bits(image.dtype)
    keep = per_sample(bits, image, "bits", dtype=torch.int64).clamp(max=total)
    mask = ((1 << keep) - 1) << (total - keep)
    return image & mask.to(image.dtype)


def solarize(inpt: Any, threshold: Any) -> Any:
    """Invert the values ``>= threshold`` (on the dtype's scale: 0-255 for uint8, 0-1 for floats).

    Args:
        inpt: image ``(..., C, H, W)``, :class:`Image` or PIL image.
        threshold: number, or a tensor of the leading dims.

    Example:
        >>> import torch
        >>> solarize(torch.tensor([[[10, 200]]], dtype=torch.uint8), 128)
        tensor([[[10, 55]]], dtype=torch.uint8)
    """
    return dispatch(solarize, inpt, threshold=threshold)


@register_kernel(solarize, torch.Tensor)
def _solarize_image(image: torch.Tensor, threshold: Any) -> torch.Tensor:
    _check_image(image, "solarize", channels=None, allow_empty=True)
    _check_range(threshold, "threshold", high=_max_value(image.dtype))
    limit = per_sample(threshold, image, "threshold", dtype=torch.float64 if image.dtype == torch.float64 else torch.float32)
    return torch.where(image >= limit, _invert_image(image), image)


# --- autocontrast, equalize -----------------------------------------------------------------


def autocontrast(inpt: Any) -> Any:
    """Stretch each channel linearly so its darkest value becomes 0 and its brightest the max.

    Flat channels are left as they are.

    Example:
        >>> import torch
        >>> autocontrast(torch.tensor([[[50, 100, 150]]], dtype=torch.uint8))
        tensor([[[  0, 127, 255]]], dtype=torch.uint8)
    """
    return dispatch(autocontrast, inpt)


@register_kernel(autocontrast, torch.Tensor)
def _autocontrast_image(image: torch.Tensor) -> torch.Tensor:
    _check_image(image, "autocontrast", channels=(1, 3), allow_empty=True)
    if image.numel() == 0:
        return image
    bound = _max_value(image.dtype)
    work = image.to(_compute_dtype(image))
    low = work.amin(dim=(-2, -1), keepdim=True)
    span = work.amax(dim=(-2, -1), keepdim=True) - low
    flat = span == 0
    low = torch.where(flat, torch.zeros_like(low), low)
    span = torch.where(flat, torch.full_like(span, bound), span)
    return _finish((work - low).mul_(bound).div_(span), image)


def equalize(inpt: Any) -> Any:
    """Equalise the histogram of each channel (PIL's ``ImageOps.equalize``), per image.

    Float images are equalised on the 256 uint8 levels and converted back.

    Example:
        >>> import torch
        >>> x = torch.tensor([50] * 300 + [60] * 300 + [70] * 300, dtype=torch.uint8).reshape(1, 30, 30)
        >>> equalize(x).unique()
        tensor([  0, 150, 255], dtype=torch.uint8)
    """
    return dispatch(equalize, inpt)


@register_kernel(equalize, torch.Tensor)
def _equalize_image(image: torch.Tensor) -> torch.Tensor:
    _check_image(image, "equalize", channels=None, allow_empty=True)
    if image.numel() == 0:
        return image
    levels = image if image.dtype == torch.uint8 else _to_dtype_image(image, torch.uint8, scale=True)
    pixels = levels.reshape(-1, image.shape[-2] * image.shape[-1])  # (B, P): B = images x channels
    count, size = pixels.shape
    # Each channel's levels offset into its own 256 bins; int32 indices are half the traffic of
    # int64 and both bincount and index_select take them.
    offsets = torch.arange(count, device=image.device, dtype=torch.int32).mul_(256).unsqueeze(1)
    index = (pixels.to(torch.int32) + offsets).flatten()
    hist = torch.bincount(index, minlength=count * 256).reshape(count, 256)
    brightest = 255 - (hist.flip(-1) > 0).to(torch.uint8).argmax(dim=-1, keepdim=True)
    # PIL: spread the pixels below the brightest level present evenly over 255 steps.
    step = (size - hist.gather(1, brightest)).div_(255, rounding_mode="floor")
    below = hist.cumsum(dim=-1).sub_(hist)
    lut = below.add_(step // 2).div_(step.clamp(min=1), rounding_mode="floor").clamp_(max=255)
    identity = torch.arange(256, device=image.device).expand(count, 256)
    lut = torch.where(step > 0, lut, identity).to(torch.uint8)
    out = lut.flatten().index_select(0, index).reshape(image.shape)
    return out if image.dtype == torch.uint8 else _to_dtype_image(out, image.dtype, scale=True)


for _functional in (
    adjust_brightness, adjust_contrast, adjust_saturation, adjust_hue, adjust_sharpness, adjust_gamma,
    rgb_to_grayscale, gaussian_blur, invert, posterize, solarize, autocontrast, equalize,
):
    register_passthrough(_functional)
del _functional
