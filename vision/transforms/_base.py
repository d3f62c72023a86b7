"""The base class of every vision transform: flatten a sample, draw parameters once, apply
them to every item (image, boxes, masks, keypoints) that the transform understands.

Rules for a sample (any nesting of tuples, lists and dicts):

* typed tensors (``Image``, ``Mask``, ``BoundingBoxes``, ``KeyPoints``) and PIL images are
  transformed;
* if the sample has no ``Image`` and no PIL image, its first plain tensor is treated as the
  image; other plain tensors (labels, …) and non-tensors pass through untouched.

A batch is an image of 4 dimensions ``(N, C, H, W)``; random transforms then draw one set of
parameters per sample (tensors with a leading ``N``), so a GPU batch is augmented in one call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch.utils import _pytree as pytree

from triptych.transforms import Transform

from ..tensors import BoundingBoxes, Image, KeyPoints, Mask
from ._dispatch import _is_pil_type


@dataclass
class SampleInfo:
    """What :meth:`VisionTransform.make_params` may look at.

    Attributes:
        inputs: the items the transform will be applied to.
        size: (H, W) of the images/masks/canvas in the sample.
        batch: ``N`` when the sample is a batch of images, else None.
        device: device of the first tensor item (parameters for GPU batches live there).
    """

    inputs: list[Any]
    size: tuple[int, int]
    batch: int | None
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    def __post_init__(self) -> None:
        # The one check for every transform: random crops, resizes and warps divide by the size.
        if self.size[0] <= 0 or self.size[1] <= 0:
            raise ValueError(
                f"vision transforms need an image of at least 1x1 pixels, got height x width "
                f"{self.size[0]}x{self.size[1]}"
            )


def _spatial_size(item: Any) -> tuple[int, int] | None:
    if isinstance(item, (BoundingBoxes, KeyPoints)):
        return item.canvas_size
    if isinstance(item, torch.Tensor):
        return (int(item.shape[-2]), int(item.shape[-1])) if item.ndim >= 2 else None
    if _is_pil_type(type(item)):
        return (item.height, item.width)
    return None


def select_inputs(leaves: list[Any]) -> list[bool]:
    """Which leaves of a flattened sample a transform acts on (see the module rules)."""
    has_image = any(isinstance(x, Image) or _is_pil_type(type(x)) for x in leaves)
    chosen, plain_taken = [], has_image
    for x in leaves:
        if isinstance(x, (Image, Mask, BoundingBoxes, KeyPoints)) or _is_pil_type(type(x)):
            chosen.append(True)
        elif type(x) is torch.Tensor and not plain_taken:
            chosen.append(True)
            plain_taken = True
        else:
            chosen.append(False)
    return chosen


def sample_info(inputs: list[Any]) -> SampleInfo:
    """Size, batch and device of the selected items; an error if images disagree on size."""
    sizes = {s for x in inputs if not isinstance(x, KeyPoints) and (s := _spatial_size(x)) is not None}
    if not sizes:
        raise TypeError("the sample holds nothing a vision transform can act on (no image, mask or boxes)")
    if len(sizes) > 1:
        raise ValueError(f"items of one sample have different sizes {sorted(sizes)}; they must agree")
    batch = None
    device = torch.device("cpu")
    for x in inputs:
        if isinstance(x, torch.Tensor):
            device = x.device
            if not isinstance(x, (Mask, BoundingBoxes, KeyPoints)) and x.ndim == 4:
                batch = int(x.shape[0])
            break
    return SampleInfo(inputs=inputs, size=sizes.pop(), batch=batch, device=device)


class VisionTransform(Transform):
    """Base of the vision transforms.

    Subclasses implement :meth:`make_params` (random draws, from ``self.generator``) and
    :meth:`transform` (one item, usually a call to a functional). ``p`` is handled here for
    transforms that set ``self.p``: a single sample skips the work when not chosen; a batch
    gets a boolean ``params["apply"]`` of shape ``(N,)``.
    """

    def make_params(self, info: SampleInfo) -> dict[str, Any]:  # type: ignore[override]
        return {}

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement transform()")

    def forward(self, *inputs: Any) -> Any:
        sample = inputs if len(inputs) > 1 else inputs[0]
        leaves, spec = pytree.tree_flatten(sample)
        chosen = select_inputs(leaves)
        selected = [x for x, c in zip(leaves, chosen) if c]
        info = sample_info(selected)
        p = getattr(self, "p", None)
        if p is not None and info.batch is None:
            if not p > float(torch.rand((), generator=self.generator)):
                return sample
        params = self.make_params(info)
        if p is not None and info.batch is not None:
            params["apply"] = torch.rand(info.batch, generator=self.generator) < p
        out = [self.transform(x, params) if c else x for x, c in zip(leaves, chosen)]
        return pytree.tree_unflatten(out, spec)
