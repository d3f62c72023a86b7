"""Checks shared by the vision functionals' kernels."""

from __future__ import annotations

import torch


def _check_image(image: torch.Tensor, name: str, channels: tuple[int, ...] | None = None) -> None:
    """An image ``(..., C, H, W)`` (with ``C`` in ``channels`` if given), else an error naming ``name``."""
    if image.ndim < 3:
        raise ValueError(f"{name} expects an image (..., C, H, W), got shape {tuple(image.shape)}")
    if channels is not None and image.shape[-3] not in channels:
        raise TypeError(
            f"{name} expects images with {' or '.join(map(str, channels))} channels, got {image.shape[-3]}"
        )
