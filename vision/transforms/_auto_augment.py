"""The automatic augmentation policies: AutoAugment, RandAugment, TrivialAugmentWide, AugMix.

Same names and argument meanings as torchvision.transforms.v2. Given a batch ``(N, C, H, W)``,
each image draws its own policy and magnitudes, and every operation in use runs as one
vectorised call on the images that drew it.

Example:
    >>> import torch
    >>> from triptych.vision import transforms as T
    >>> t = T.RandAugment(num_ops=2, magnitude=9, generator=torch.Generator().manual_seed(0))
    >>> t(torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8)).shape
    torch.Size([8, 3, 32, 32])
"""

from __future__ import annotations

import enum
import functools
import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import torch

from triptych.transforms import rewrap

from .._pil import is_pil_type
from . import functional as F
from ._base import SampleInfo, VisionTransform, is_image
from ._dispatch import has_kernel
from .functional._misc import _max_value
from .functional._utils import _check_image, _mode

__all__ = [
    "AutoAugmentPolicy",
    "AutoAugment",
    "RandAugment",
    "TrivialAugmentWide",
    "AugMix",
]


# --- automatic augmentation policies --------------------------------------------------------


class AutoAugmentPolicy(str, enum.Enum):
    """The AutoAugment policies learned on these datasets."""

    IMAGENET = "imagenet"
    CIFAR10 = "cifar10"
    SVHN = "svhn"


_GEOMETRIC = ("ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate")

# name -> (magnitudes(num_bins, height, width) or None, signed). Ranges as in torchvision.
_Space = dict[str, tuple[Callable[[int, int, int], torch.Tensor | None], bool]]


def _linear(end: float) -> Callable[[int, int, int], torch.Tensor]:
    return lambda bins, height, width: torch.linspace(0.0, end, bins)


def _none(bins: int, height: int, width: int) -> None:
    return None


def _posterize_bits(start: int, span: int) -> Callable[[int, int, int], torch.Tensor]:
    # `start` bits at bin 0 down to `start - span` bits at the last bin.
    return lambda bins, height, width: (start - torch.arange(bins) / ((bins - 1) / span)).round().int()


def _solarize(bins: int, height: int, width: int) -> torch.Tensor:
    return torch.linspace(1.0, 0.0, bins)  # fraction of the dtype's maximum


_AUTOAUGMENT_SPACE: _Space = {
    "ShearX": (_linear(0.3), True),
    "ShearY": (_linear(0.3), True),
    "TranslateX": (lambda bins, height, width: torch.linspace(0.0, 150.0 / 331.0 * width, bins), True),
    "TranslateY": (lambda bins, height, width: torch.linspace(0.0, 150.0 / 331.0 * height, bins), True),
    "Rotate": (_linear(30.0), True),
    "Brightness": (_linear(0.9), True),
    "Color": (_linear(0.9), True),
    "Contrast": (_linear(0.9), True),
    "Sharpness": (_linear(0.9), True),
    "Posterize": (_posterize_bits(8, 4), False),
    "Solarize": (_solarize, False),
    "AutoContrast": (_none, False),
    "Equalize": (_none, False),
    "Invert": (_none, False),
}

_RANDAUGMENT_SPACE: _Space = {
    "Identity": (_none, False),
    **{k: v for k, v in _AUTOAUGMENT_SPACE.items() if k != "Invert"},
}

_TRIVIALAUGMENT_SPACE: _Space = {
    "Identity": (_none, False),
    "ShearX": (_linear(0.99), True),
    "ShearY": (_linear(0.99), True),
    "TranslateX": (_linear(32.0), True),
    "TranslateY": (_linear(32.0), True),
    "Rotate": (_linear(135.0), True),
    "Brightness": (_linear(0.99), True),
    "Color": (_linear(0.99), True),
    "Contrast": (_linear(0.99), True),
    "Sharpness": (_linear(0.99), True),
    "Posterize": (_posterize_bits(8, 6), False),
    "Solarize": (_solarize, False),
    "AutoContrast": (_none, False),
    "Equalize": (_none, False),
}

_AUGMIX_PARTIAL_SPACE: _Space = {
    "ShearX": (_linear(0.3), True),
    "ShearY": (_linear(0.3), True),
    "TranslateX": (lambda bins, height, width: torch.linspace(0.0, width / 3.0, bins), True),
    "TranslateY": (lambda bins, height, width: torch.linspace(0.0, height / 3.0, bins), True),
    "Rotate": (_linear(30.0), True),
    "Posterize": (_posterize_bits(4, 4), False),
    "Solarize": (_solarize, False),
    "AutoContrast": (_none, False),
    "Equalize": (_none, False),
}

_AUGMIX_SPACE: _Space = {
    **_AUGMIX_PARTIAL_SPACE,
    "Brightness": (_linear(0.9), True),
    "Color": (_linear(0.9), True),
    "Contrast": (_linear(0.9), True),
    "Sharpness": (_linear(0.9), True),
}

# (operation, probability, magnitude bin) pairs of the published policies.
_POLICIES: dict[AutoAugmentPolicy, list[tuple[tuple[str, float, int | None], ...]]] = {
    AutoAugmentPolicy.IMAGENET: [
        (("Posterize", 0.4, 8), ("Rotate", 0.6, 9)),
        (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
        (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
        (("Posterize", 0.6, 7), ("Posterize", 0.6, 6)),
        (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
        (("Equalize", 0.4, None), ("Rotate", 0.8, 8)),
        (("Solarize", 0.6, 3), ("Equalize", 0.6, None)),
        (("Posterize", 0.8, 5), ("Equalize", 1.0, None)),
        (("Rotate", 0.2, 3), ("Solarize", 0.6, 8)),
        (("Equalize", 0.6, None), ("Posterize", 0.4, 6)),
        (("Rotate", 0.8, 8), ("Color", 0.4, 0)),
        (("Rotate", 0.4, 9), ("Equalize", 0.6, None)),
        (("Equalize", 0.0, None), ("Equalize", 0.8, None)),
        (("Invert", 0.6, None), ("Equalize", 1.0, None)),
        (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
        (("Rotate", 0.8, 8), ("Color", 1.0, 2)),
        (("Color", 0.8, 8), ("Solarize", 0.8, 7)),
        (("Sharpness", 0.4, 7), ("Invert", 0.6, None)),
        (("ShearX", 0.6, 5), ("Equalize", 1.0, None)),
        (("Color", 0.4, 0), ("Equalize", 0.6, None)),
        (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
        (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
        (("Invert", 0.6, None), ("Equalize", 1.0, None)),
        (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
        (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
    ],
    AutoAugmentPolicy.CIFAR10: [
        (("Invert", 0.1, None), ("Contrast", 0.2, 6)),
        (("Rotate", 0.7, 2), ("TranslateX", 0.3, 9)),
        (("Sharpness", 0.8, 1), ("Sharpness", 0.9, 3)),
        (("ShearY", 0.5, 8), ("TranslateY", 0.7, 9)),
        (("AutoContrast", 0.5, None), ("Equalize", 0.9, None)),
        (("ShearY", 0.2, 7), ("Posterize", 0.3, 7)),
        (("Color", 0.4, 3), ("Brightness", 0.6, 7)),
        (("Sharpness", 0.3, 9), ("Brightness", 0.7, 9)),
        (("Equalize", 0.6, None), ("Equalize", 0.5, None)),
        (("Contrast", 0.6, 7), ("Sharpness", 0.6, 5)),
        (("Color", 0.7, 7), ("TranslateX", 0.5, 8)),
        (("Equalize", 0.3, None), ("AutoContrast", 0.4, None)),
        (("TranslateY", 0.4, 3), ("Sharpness", 0.2, 6)),
        (("Brightness", 0.9, 6), ("Color", 0.2, 8)),
        (("Solarize", 0.5, 2), ("Invert", 0.0, None)),
        (("Equalize", 0.2, None), ("AutoContrast", 0.6, None)),
        (("Equalize", 0.2, None), ("Equalize", 0.6, None)),
        (("Color", 0.9, 9), ("Equalize", 0.6, None)),
        (("AutoContrast", 0.8, None), ("Solarize", 0.2, 8)),
        (("Brightness", 0.1, 3), ("Color", 0.7, 0)),
        (("Solarize", 0.4, 5), ("AutoContrast", 0.9, None)),
        (("TranslateY", 0.9, 9), ("TranslateY", 0.7, 9)),
        (("AutoContrast", 0.9, None), ("Solarize", 0.8, 3)),
        (("Equalize", 0.8, None), ("Invert", 0.1, None)),
        (("TranslateY", 0.7, 9), ("AutoContrast", 0.9, None)),
    ],
    AutoAugmentPolicy.SVHN: [
        (("ShearX", 0.9, 4), ("Invert", 0.2, None)),
        (("ShearY", 0.9, 8), ("Invert", 0.7, None)),
        (("Equalize", 0.6, None), ("Solarize", 0.6, 6)),
        (("Invert", 0.9, None), ("Equalize", 0.6, None)),
        (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
        (("ShearX", 0.9, 4), ("AutoContrast", 0.8, None)),
        (("ShearY", 0.9, 8), ("Invert", 0.4, None)),
        (("ShearY", 0.9, 5), ("Solarize", 0.2, 6)),
        (("Invert", 0.9, None), ("AutoContrast", 0.8, None)),
        (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
        (("ShearX", 0.9, 4), ("Solarize", 0.3, 3)),
        (("ShearY", 0.8, 8), ("Invert", 0.7, None)),
        (("Equalize", 0.9, None), ("TranslateY", 0.6, 6)),
        (("Invert", 0.9, None), ("Equalize", 0.6, None)),
        (("Contrast", 0.3, 3), ("Rotate", 0.8, 4)),
        (("Invert", 0.8, None), ("TranslateY", 0.0, 2)),
        (("ShearY", 0.7, 6), ("Solarize", 0.4, 8)),
        (("Invert", 0.6, None), ("Rotate", 0.8, 4)),
        (("ShearY", 0.3, 7), ("TranslateX", 0.9, 3)),
        (("ShearX", 0.1, 6), ("Invert", 0.6, None)),
        (("Solarize", 0.7, 2), ("TranslateY", 0.6, 7)),
        (("ShearY", 0.8, 4), ("Invert", 0.8, None)),
        (("ShearX", 0.7, 9), ("TranslateY", 0.8, 3)),
        (("ShearY", 0.8, 5), ("AutoContrast", 0.7, None)),
        (("ShearX", 0.7, 2), ("Invert", 0.1, None)),
    ],
}


class _Step:
    """One operation per image: ``ops[n]`` indexes ``names`` (-1: none), ``magnitudes[n]`` its value."""

    def __init__(self, names: tuple[str, ...], ops: torch.Tensor, magnitudes: torch.Tensor):
        self.names, self.ops, self.magnitudes = names, ops, magnitudes


class _SpaceTable:
    """An augmentation space as tensors: magnitudes ``(ops, bins)`` and which are signed.

    Build through :func:`_space_table`, which keeps the recent ones (a transform sees the same
    image size again and again).
    """

    def __init__(self, space: _Space, bins: int, height: int, width: int):
        self.names = tuple(space)
        self.magnitudes = torch.zeros(len(space), bins, dtype=torch.float64)
        for row, (magnitudes, _) in enumerate(space.values()):
            values = magnitudes(bins, height, width)
            if values is not None:
                self.magnitudes[row] = values.to(torch.float64)
        self.signed = torch.tensor([signed for _, signed in space.values()])

    def step(self, ops: torch.Tensor, bins: torch.Tensor | int, generator: torch.Generator | None) -> _Step:
        magnitudes = self.magnitudes[ops, bins]
        flip = self.signed[ops] & (torch.rand(ops.shape, generator=generator) <= 0.5)
        return _Step(self.names, ops, torch.where(flip, -magnitudes, magnitudes))


_SPACES: dict[str, _Space] = {
    "autoaugment": _AUTOAUGMENT_SPACE,
    "randaugment": _RANDAUGMENT_SPACE,
    "trivialaugment": _TRIVIALAUGMENT_SPACE,
    "augmix": _AUGMIX_SPACE,
    "augmix_partial": _AUGMIX_PARTIAL_SPACE,
}


@functools.lru_cache(maxsize=64)
def _space_table(space: str, bins: int, height: int, width: int) -> _SpaceTable:
    return _SpaceTable(_SPACES[space], bins, height, width)


@functools.lru_cache(maxsize=8)
def _policy_table(policy: AutoAugmentPolicy) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The policy's (operation index, probability, magnitude bin), each ``(sub-policies, 2)``."""
    names = tuple(_AUTOAUGMENT_SPACE)
    pairs = _POLICIES[policy]
    ops = torch.tensor([[names.index(op) for op, _, _ in pair] for pair in pairs])
    probability = torch.tensor([[p for _, p, _ in pair] for pair in pairs], dtype=torch.float64)
    bins = torch.tensor([[b or 0 for _, _, b in pair] for pair in pairs])
    return ops, probability, bins


def _interpolation_name(interpolation: Any) -> str:
    """``"nearest"`` or ``"bilinear"``, parsed as the geometry functionals parse it."""
    return _mode(interpolation, allowed=("nearest", "bilinear"))


def _check_fill(fill: Any) -> Any:
    ok = fill is None or isinstance(fill, numbers.Number) or (
        isinstance(fill, Sequence) and all(isinstance(v, numbers.Number) for v in fill)
    )
    if not ok:
        raise TypeError(f"fill must be None, a number or a sequence of numbers, got {fill!r}")
    return fill


def _geometry_call(inpt: Any, name: str, magnitude: float, interpolation: Any, fill: Any) -> Any:
    """One geometric policy operation through ``F.affine`` / ``F.rotate`` (torchvision's meanings)."""
    if name == "Rotate":
        return F.rotate(inpt, angle=magnitude, interpolation=interpolation, fill=fill)
    shear_degrees = math.degrees(math.atan(magnitude))
    shear = {"ShearX": [shear_degrees, 0.0], "ShearY": [0.0, shear_degrees]}.get(name, [0.0, 0.0])
    translate = {"TranslateX": [int(magnitude), 0], "TranslateY": [0, int(magnitude)]}.get(name, [0, 0])
    center = [0, 0] if name in ("ShearX", "ShearY") else None  # shears pivot on the top-left corner
    return F.affine(inpt, angle=0.0, translate=translate, scale=1.0, shear=shear,
                  interpolation=interpolation, fill=fill, center=center)




def _geometric(images: torch.Tensor, name: str, magnitudes: torch.Tensor, interpolation: Any, fill: Any) -> torch.Tensor:
    """A geometric operation with one magnitude per image of ``images`` ``(K, C, H, W)``."""
    # The geometry functionals take one set of parameters: one call per distinct magnitude.
    values = magnitudes.unique()
    if values.numel() == 1:
        return _geometry_call(images, name, float(values[0]), interpolation, fill)
    out = torch.empty_like(images)
    for value in values:
        index = (magnitudes == value).nonzero().squeeze(1).to(images.device)
        out.index_copy_(0, index, _geometry_call(images.index_select(0, index), name, float(value), interpolation, fill))
    return out


def _apply_op(images: torch.Tensor, name: str, magnitudes: torch.Tensor, interpolation: Any, fill: Any) -> torch.Tensor:
    """Operation ``name`` on ``images`` ``(K, C, H, W)``, magnitude ``magnitudes[k]`` for image k."""
    if name in _GEOMETRIC:
        return _geometric(images, name, magnitudes, interpolation, fill)
    if name == "Brightness":
        return F.adjust_brightness(images, 1.0 + magnitudes)
    if name == "Color":
        return F.adjust_saturation(images, 1.0 + magnitudes)
    if name == "Contrast":
        return F.adjust_contrast(images, 1.0 + magnitudes)
    if name == "Sharpness":
        return F.adjust_sharpness(images, 1.0 + magnitudes)
    if name == "Posterize":
        return F.posterize(images, magnitudes.long())
    if name == "Solarize":
        return F.solarize(images, _max_value(images.dtype) * magnitudes)
    if name == "AutoContrast":
        return F.autocontrast(images)
    if name == "Equalize":
        return F.equalize(images)
    if name == "Invert":
        return F.invert(images)
    if name == "Identity":
        return images
    raise ValueError(f"unknown augmentation operation {name!r}")


class _AutoAugmentBase(VisionTransform):
    """Shared machinery: find the one image, run per-image operation steps grouped by operation."""

    def __init__(self, *, interpolation: Any = "nearest", fill: Any = None, generator: torch.Generator | None = None):
        super().__init__(generator=generator)
        _interpolation_name(interpolation)
        self.interpolation = interpolation
        self.fill = _check_fill(fill)

    def _draw(self, count: int, height: int, width: int) -> Any:
        raise NotImplementedError

    def _execute(self, images: torch.Tensor, plan: Any) -> torch.Tensor:
        for step in plan:
            images = self._apply_step(images, step)
        return images

    def _geometry_steps(self, plan: Any) -> list[_Step]:
        return list(plan)

    def _apply_step(self, images: torch.Tensor, step: _Step) -> torch.Tensor:
        if step.ops.numel() == 1:  # one image: no grouping to do
            op = int(step.ops[0])
            return images if op < 0 else _apply_op(images, step.names[op], step.magnitudes, self.interpolation, self.fill)
        present = [k for k in step.ops.unique().tolist() if k >= 0 and step.names[k] != "Identity"]
        if not present:
            return images
        if len(present) == 1 and bool((step.ops == present[0]).all()):
            return _apply_op(images, step.names[present[0]], step.magnitudes, self.interpolation, self.fill)
        out = images.clone()
        for k in present:
            rows = (step.ops == k).nonzero().squeeze(1)
            index = rows.to(images.device)
            result = _apply_op(images.index_select(0, index), step.names[k], step.magnitudes[rows], self.interpolation, self.fill)
            out.index_copy_(0, index, result)
        return out

    def _check_others(self, others: list[Any], count: int) -> None:
        if not others:
            return
        kinds = sorted({type(x).__name__ for x in others})
        if count > 1:
            raise TypeError(f"{type(self).__name__} cannot move {', '.join(kinds)} along with a batch of images")
        if not all(has_kernel(F.affine, type(x)) and has_kernel(F.rotate, type(x)) for x in others):
            raise TypeError(f"{type(self).__name__} cannot move {', '.join(kinds)}; pass the image alone")

    def make_params(self, info: SampleInfo) -> dict[str, Any]:
        images = [x for x in info.inputs if is_image(x)]
        if len(images) != 1:
            raise TypeError(f"{type(self).__name__} needs exactly one image in the sample, found {len(images)}")
        count, height, width = _batch_dims(images[0], type(self).__name__)
        self._check_others([x for x in info.inputs if not is_image(x)], count)
        return {"plan": self._draw(count, height, width)}

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        plan = params["plan"]
        if is_image(inpt):
            batch, restore = _as_batch(inpt, type(self).__name__)
            return restore(self._execute(batch, plan))
        for step in self._geometry_steps(plan):  # boxes, masks, keypoints of a single sample
            op = int(step.ops[0])
            if op >= 0 and step.names[op] in _GEOMETRIC:
                inpt = _geometry_call(inpt, step.names[op], float(step.magnitudes[0]), self.interpolation, self.fill)
        return inpt


def _batch_dims(image: Any, owner: str) -> tuple[int, int, int]:
    """``(N, H, W)`` of the image seen as a batch ``(N, C, H, W)`` (see :func:`_as_batch`)."""
    if is_pil_type(type(image)):
        return 1, image.height, image.width
    _check_image(image, owner)
    return math.prod(image.shape[:-3]), int(image.shape[-2]), int(image.shape[-1])


def _as_batch(image: Any, owner: str) -> tuple[torch.Tensor, Callable[[torch.Tensor], Any]]:
    """The image as a plain ``(N, C, H, W)`` tensor and the function that turns a result back."""
    if is_pil_type(type(image)):
        mode = image.mode
        tensor = F.pil_to_tensor(image)
        return tensor.unsqueeze(0), lambda out: F.to_pil_image(out[0], mode=mode)
    plain = image.as_subclass(torch.Tensor)
    _check_image(plain, owner)
    shape = plain.shape
    return plain.reshape(-1, *shape[-3:]), lambda out: rewrap(out.reshape(shape), image)


class AutoAugment(_AutoAugmentBase):
    """AutoAugment (Cubuk et al., https://arxiv.org/abs/1805.09501) with a learned ``policy``.

    Each image picks one of the policy's 25 sub-policies; each of its two operations runs with
    its probability at its magnitude (geometric and photometric signs drawn at random).

    Args:
        policy: :class:`AutoAugmentPolicy` (IMAGENET, CIFAR10 or SVHN).
        interpolation: ``"nearest"`` or ``"bilinear"`` for the geometric operations.
        fill: value(s) for pixels that come from outside the image (default 0).
        generator: ``torch.Generator`` the choices are drawn from.

    Shapes:
        image ``(..., 1 or 3, H, W)`` (uint8 as torchvision; float works too), :class:`Image`
        or PIL image. A batch gets per-image sub-policies.

    Example:
        >>> import torch
        >>> t = AutoAugment(AutoAugmentPolicy.CIFAR10, generator=torch.Generator().manual_seed(0))
        >>> t(torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8)).shape
        torch.Size([4, 3, 32, 32])
    """

    def __init__(
        self,
        policy: AutoAugmentPolicy | str = AutoAugmentPolicy.IMAGENET,
        interpolation: Any = "nearest",
        fill: Any = None,
        *,
        generator: torch.Generator | None = None,
    ):
        super().__init__(interpolation=interpolation, fill=fill, generator=generator)
        try:
            self.policy = AutoAugmentPolicy(policy)
        except ValueError:
            raise ValueError(f"unknown AutoAugment policy {policy!r}; choose from {[p.value for p in AutoAugmentPolicy]}") from None

    def _draw(self, count: int, height: int, width: int) -> list[_Step]:
        table = _space_table("autoaugment", 10, height, width)
        ops, probability, bins = _policy_table(self.policy)
        chosen = torch.randint(ops.shape[0], (count,), generator=self.generator)
        steps = []
        for position in range(2):
            run = torch.rand(count, generator=self.generator, dtype=torch.float64) <= probability[chosen, position]
            step = table.step(ops[chosen, position], bins[chosen, position], self.generator)
            step.ops = torch.where(run, step.ops, -1)
            steps.append(step)
        return steps


class RandAugment(_AutoAugmentBase):
    """RandAugment (Cubuk et al., https://arxiv.org/abs/1909.13719): ``num_ops`` random
    operations at one ``magnitude`` (bin ``magnitude`` of ``num_magnitude_bins``).

    Args:
        num_ops: operations applied in sequence to each image.
        magnitude: magnitude bin, in ``[0, num_magnitude_bins)``.
        num_magnitude_bins: number of magnitude bins.
        interpolation, fill, generator: as :class:`AutoAugment`.

    Example:
        >>> import torch
        >>> t = RandAugment(num_ops=2, magnitude=9, generator=torch.Generator().manual_seed(0))
        >>> t(torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8)).shape
        torch.Size([3, 32, 32])
    """

    def __init__(
        self,
        num_ops: int = 2,
        magnitude: int = 9,
        num_magnitude_bins: int = 31,
        interpolation: Any = "nearest",
        fill: Any = None,
        *,
        generator: torch.Generator | None = None,
    ):
        super().__init__(interpolation=interpolation, fill=fill, generator=generator)
        if not isinstance(num_ops, int) or num_ops < 0:
            raise ValueError(f"num_ops must be a non-negative int, got {num_ops!r}")
        if not isinstance(num_magnitude_bins, int) or num_magnitude_bins < 2:
            raise ValueError(f"num_magnitude_bins must be an int >= 2, got {num_magnitude_bins!r}")
        if not isinstance(magnitude, int) or not 0 <= magnitude < num_magnitude_bins:
            raise ValueError(f"magnitude must be an int in [0, {num_magnitude_bins}), got {magnitude!r}")
        self.num_ops = num_ops
        self.magnitude = magnitude
        self.num_magnitude_bins = num_magnitude_bins

    def _draw(self, count: int, height: int, width: int) -> list[_Step]:
        table = _space_table("randaugment", self.num_magnitude_bins, height, width)
        return [
            table.step(torch.randint(len(table.names), (count,), generator=self.generator), self.magnitude, self.generator)
            for _ in range(self.num_ops)
        ]


class TrivialAugmentWide(_AutoAugmentBase):
    """TrivialAugment Wide (Müller & Hutter, https://arxiv.org/abs/2103.10158): one random
    operation per image at a random magnitude bin.

    Args:
        num_magnitude_bins: number of magnitude bins.
        interpolation, fill, generator: as :class:`AutoAugment`.

    Example:
        >>> import torch
        >>> t = TrivialAugmentWide(generator=torch.Generator().manual_seed(0))
        >>> t(torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8)).dtype
        torch.uint8
    """

    def __init__(
        self,
        num_magnitude_bins: int = 31,
        interpolation: Any = "nearest",
        fill: Any = None,
        *,
        generator: torch.Generator | None = None,
    ):
        super().__init__(interpolation=interpolation, fill=fill, generator=generator)
        if not isinstance(num_magnitude_bins, int) or num_magnitude_bins < 2:
            raise ValueError(f"num_magnitude_bins must be an int >= 2, got {num_magnitude_bins!r}")
        self.num_magnitude_bins = num_magnitude_bins

    def _draw(self, count: int, height: int, width: int) -> list[_Step]:
        table = _space_table("trivialaugment", self.num_magnitude_bins, height, width)
        ops = torch.randint(len(table.names), (count,), generator=self.generator)
        bins = torch.randint(self.num_magnitude_bins, (count,), generator=self.generator)
        return [table.step(ops, bins, self.generator)]


class AugMix(_AutoAugmentBase):
    """AugMix (Hendrycks et al., https://arxiv.org/abs/1912.02781): mix ``mixture_width``
    chains of random operations, then mix the result with the original image.

    Weights: ``m ~ Beta(alpha, alpha)`` for the original, ``(1 - m) * Dirichlet(alpha)`` for
    the chains, drawn per image. Integer images are mixed in float and rounded.

    Args:
        severity: magnitude bins used, 1-10.
        mixture_width: number of chains.
        chain_depth: operations per chain; a value <= 0 draws 1-3 per chain and image.
        alpha: concentration of the Beta/Dirichlet weights.
        all_ops: also use brightness, color, contrast and sharpness.
        interpolation, fill, generator: as :class:`AutoAugment` (interpolation default bilinear).

    Example:
        >>> import torch
        >>> t = AugMix(generator=torch.Generator().manual_seed(0))
        >>> t(torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)).shape
        torch.Size([2, 3, 32, 32])
    """

    _PARAMETER_MAX = 10

    def __init__(
        self,
        severity: int = 3,
        mixture_width: int = 3,
        chain_depth: int = -1,
        alpha: float = 1.0,
        all_ops: bool = True,
        interpolation: Any = "bilinear",
        fill: Any = None,
        *,
        generator: torch.Generator | None = None,
    ):
        super().__init__(interpolation=interpolation, fill=fill, generator=generator)
        if not (isinstance(severity, int) and 1 <= severity <= self._PARAMETER_MAX):
            raise ValueError(f"severity must be an int in [1, {self._PARAMETER_MAX}], got {severity!r}")
        if not (isinstance(mixture_width, int) and mixture_width >= 1):
            raise ValueError(f"mixture_width must be a positive int, got {mixture_width!r}")
        if not isinstance(chain_depth, int):
            raise TypeError(f"chain_depth must be an int, got {chain_depth!r}")
        if not alpha > 0:
            raise ValueError(f"alpha must be positive, got {alpha}")
        self.severity = severity
        self.mixture_width = mixture_width
        self.chain_depth = chain_depth
        self.alpha = float(alpha)
        self.all_ops = all_ops

    def _check_others(self, others: list[Any], count: int) -> None:
        if others:
            kinds = sorted({type(x).__name__ for x in others})
            raise TypeError(f"AugMix mixes images and cannot carry {', '.join(kinds)}; pass the image alone")

    def _draw(self, count: int, height: int, width: int) -> dict[str, Any]:
        g = self.generator
        table = _space_table("augmix" if self.all_ops else "augmix_partial", self._PARAMETER_MAX, height, width)
        original = torch._sample_dirichlet(torch.full((count, 2), self.alpha), generator=g)
        chains = torch._sample_dirichlet(torch.full((count, self.mixture_width), self.alpha), generator=g)
        chain_weights = chains * original[:, 1:]
        plans = []
        for _ in range(self.mixture_width):
            if self.chain_depth > 0:
                depth = torch.full((count,), self.chain_depth)
            else:
                depth = torch.randint(1, 4, (count,), generator=g)
            steps = []
            for level in range(int(depth.max())):
                ops = torch.randint(len(table.names), (count,), generator=g)
                step = table.step(ops, torch.randint(self.severity, (count,), generator=g), g)
                step.ops = torch.where(depth > level, step.ops, -1)
                steps.append(step)
            plans.append(steps)
        return {"original": original[:, 0], "chain_weights": chain_weights, "chains": plans}

    def _execute(self, images: torch.Tensor, plan: dict[str, Any]) -> torch.Tensor:
        dtype = images.dtype if images.is_floating_point() else torch.float32

        def weight(w: torch.Tensor) -> torch.Tensor:
            return w.to(device=images.device, dtype=dtype).view(-1, 1, 1, 1)

        mix = images.to(dtype) * weight(plan["original"])
        for k, steps in enumerate(plan["chains"]):
            augmented = super()._execute(images, steps)
            mix.add_(augmented.to(dtype) * weight(plan["chain_weights"][:, k]))
        if images.is_floating_point():
            return mix
        return mix.round_().clamp_(0, _max_value(images.dtype)).to(images.dtype)
