"""Vision's part of the transforms base (the base itself is :class:`triptych.transforms.Transform`).

Vision's rules for the items of a sample (any nesting of tuples, lists and dicts):

* typed tensors (``Image``, ``Mask``, ``BoundingBoxes``, ``KeyPoints``) and PIL images are
  transformed;
* if the sample has no ``Image`` and no PIL image, its first plain tensor is treated as the
  image; other plain tensors (labels, …) and non-tensors pass through untouched.

The items must agree on their spatial size ``(H, W)``, given to :meth:`make_params` in
:class:`SampleInfo`. A batch is an image of 4 dimensions ``(N, C, H, W)``; random transforms
then draw one set of parameters per sample (tensors with a leading ``N``), so a GPU batch is
augmented in one call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from triptych.transforms import SampleInfo as _SampleInfo
from triptych.transforms import Transform

from .._pil import is_pil_type
from ..tensors import BoundingBoxes, Image, KeyPoints, Mask


@dataclass(kw_only=True)
class SampleInfo(_SampleInfo):
    """What :meth:`VisionTransform.make_params` may look at.

    Attributes:
        inputs: the items the transform will be applied to.
        size: (H, W) of the images/masks/canvas in the sample.
        batch: ``N`` when the sample is a batch of images, else None.
        device: device of the first tensor item (parameters for GPU batches live there).
        sample: the whole sample as given.
    """

    size: tuple[int, int]

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
    if is_pil_type(type(item)):
        return (item.height, item.width)
    return None


def is_image(inpt: Any) -> bool:
    """A plain tensor, an :class:`Image` or a PIL image (what photometric transforms change)."""
    return type(inpt) is torch.Tensor or isinstance(inpt, Image) or is_pil_type(type(inpt))


def select_inputs(leaves: list[Any]) -> list[bool]:
    """Which leaves of a flattened sample a vision transform acts on (see the module rules)."""
    has_image = any(isinstance(x, Image) or is_pil_type(type(x)) for x in leaves)
    chosen, plain_taken = [], has_image
    for x in leaves:
        if isinstance(x, (Image, Mask, BoundingBoxes, KeyPoints)) or is_pil_type(type(x)):
            chosen.append(True)
        elif type(x) is torch.Tensor and not plain_taken:
            chosen.append(True)
            plain_taken = True
        else:
            chosen.append(False)
    return chosen


def sample_info(inputs: list[Any], sample: Any = None) -> SampleInfo:
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
    return SampleInfo(inputs=inputs, size=sizes.pop(), batch=batch, device=device, sample=sample)


def batch_shape(info: SampleInfo) -> tuple[int, ...]:
    """Shape of a per-image parameter: ``(N,)`` for a batch, ``()`` for one image."""
    return () if info.batch is None else (info.batch,)


def num_channels(inpt: Any) -> int:
    """Channels of an image tensor ``(..., C, H, W)`` or a PIL image."""
    return int(inpt.shape[-3]) if isinstance(inpt, torch.Tensor) else len(inpt.getbands())


class VisionTransform(Transform):
    """Base of the vision transforms: :class:`~triptych.transforms.Transform` with vision's
    item rules and :class:`SampleInfo` (see the module notes).

    Subclasses implement :meth:`make_params` (random draws, from ``self.generator``) and
    :meth:`transform` (one item, usually a call to a functional). ``p`` is handled by the base
    for transforms that set ``self.p``: a single sample skips the work when not chosen; a batch
    gets a boolean ``params["apply"]`` of shape ``(N,)``.
    """

    def select_inputs(self, leaves: list[Any]) -> list[bool]:
        return select_inputs(leaves)

    def sample_info(self, sample: Any, inputs: list[Any]) -> SampleInfo:
        return sample_info(inputs, sample)

    def make_params(self, info: SampleInfo) -> dict[str, Any]:  # type: ignore[override]
        return {}
