"""Checks shared by the vision functionals' kernels."""

from __future__ import annotations

import torch


def _check_image(
    image: torch.Tensor,
    name: str,
    channels: tuple[int, ...] | None = None,
    *,
    min_ndim: int = 3,
    allow_empty: bool = False,
) -> None:
    """The check the image kernels start with: at least ``min_ndim`` dimensions (``(..., C, H, W)``,
    or ``(..., H, W)`` with ``min_ndim=2``), ``C`` in ``channels`` if given, and unless
    ``allow_empty`` (photometric kernels, which map an empty image to an empty image) a height and
    width of at least one pixel: an empty image has nothing to resample, no silent empty result."""
    if image.ndim < min_ndim:
        layout = "(..., C, H, W)" if min_ndim == 3 else "(..., H, W)"
        raise ValueError(f"{name} expects an image {layout}, got shape {tuple(image.shape)}")
    if not allow_empty and (image.shape[-2] == 0 or image.shape[-1] == 0):
        raise ValueError(
            f"{name} got an empty image of shape {tuple(image.shape)}: "
            "height and width must be at least 1"
        )
    if channels is not None and image.shape[-3] not in channels:
        raise TypeError(
            f"{name} expects images with {' or '.join(map(str, channels))} channels, got {image.shape[-3]}"
        )
