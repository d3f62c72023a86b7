"""Containers: :class:`Compose` (with the domain fusers), :class:`RandomApply`,
:class:`RandomChoice`, :class:`RandomOrder`, and :class:`Lambda`.

They act on the whole sample (they hand it to the transforms they hold), so they replace
:meth:`Transform.forward` rather than using its per-item steps.

A domain may register a *fuser* with :func:`register_fuser`: given the list of transforms of a
:class:`Compose`, it returns an equivalent, faster list (or None to leave it alone). ``Compose``
runs the fusers once, at construction, so the user writes the plain pipeline.

Example:
    >>> import torch
    >>> from triptych.transforms import Compose, Lambda, RandomApply
    >>> g = torch.Generator().manual_seed(0)
    >>> t = Compose([Lambda(lambda x: x + 1), RandomApply([Lambda(lambda x: x * 10)], p=1.0, generator=g)])
    >>> t(torch.tensor(1))
    tensor(20)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from ._transform import Transform, check_p, uniform

__all__ = ["Compose", "RandomApply", "RandomChoice", "RandomOrder", "Lambda", "register_fuser"]


def _check_transforms(transforms: Sequence[Callable], owner: str) -> list[Callable]:
    if not isinstance(transforms, Sequence) or isinstance(transforms, (str, bytes)):
        raise TypeError(f"{owner} expects a sequence of transforms, got {type(transforms).__name__}")
    for t in transforms:
        if not callable(t):
            raise TypeError(f"{owner}: {t!r} is not callable")
    return list(transforms)


def _modules(transforms: list[Callable]) -> nn.ModuleList:
    return nn.ModuleList(t if isinstance(t, nn.Module) else Lambda(t) for t in transforms)


_FUSERS: list[Callable[[list[nn.Module]], list[nn.Module] | None]] = []


def register_fuser(fuser: Callable[[list[nn.Module]], list[nn.Module] | None]) -> Callable:
    """Register a function that rewrites a Compose's transform list into a faster equivalent."""
    if fuser in _FUSERS:
        raise ValueError(f"fuser {fuser!r} is already registered")
    _FUSERS.append(fuser)
    return fuser


class Compose(Transform):
    """Apply transforms one after another.

    ``transforms`` keeps the list as given; ``plan`` is what runs, after any registered
    fuser replaced a run of transforms with a fused one giving the same result.
    Set ``fuse=False`` to run the list exactly as given.
    """

    def __init__(self, transforms: Sequence[Callable], *, fuse: bool = True):
        super().__init__()
        self.transforms = _modules(_check_transforms(transforms, "Compose"))
        plan: list[nn.Module] = list(self.transforms)
        if fuse:
            for fuser in _FUSERS:
                plan = fuser(plan) or plan
        self.plan = nn.ModuleList(plan)

    def forward(self, *inputs: Any) -> Any:
        sample = inputs if len(inputs) > 1 else inputs[0]
        for t in self.plan:
            sample = t(sample)
        return sample

    def extra_repr(self) -> str:
        return ""


class RandomApply(Transform):
    """Apply all of ``transforms`` (in order) with probability ``p``, else none."""

    def __init__(self, transforms: Sequence[Callable], p: float = 0.5, *, generator=None):
        super().__init__(generator=generator)
        check_p(p)
        self.transforms = _modules(_check_transforms(transforms, "RandomApply"))
        self.p = p

    def forward(self, *inputs: Any) -> Any:
        sample = inputs if len(inputs) > 1 else inputs[0]
        if bool(uniform(0, 1, self.generator) < self.p):
            for t in self.transforms:
                sample = t(sample)
        return sample


class RandomChoice(Transform):
    """Apply one of ``transforms``, picked with probabilities ``p`` (uniform by default)."""

    def __init__(self, transforms: Sequence[Callable], p: Sequence[float] | None = None, *, generator=None):
        super().__init__(generator=generator)
        transforms = _check_transforms(transforms, "RandomChoice")
        if not transforms:
            raise ValueError("RandomChoice needs at least one transform")
        if p is None:
            p = [1.0] * len(transforms)
        if len(p) != len(transforms) or any(v < 0 for v in p) or sum(p) <= 0:
            raise ValueError("p needs one non-negative weight per transform, not all zero")
        self.transforms = _modules(transforms)
        self.p = [float(v) / sum(p) for v in p]

    def forward(self, *inputs: Any) -> Any:
        sample = inputs if len(inputs) > 1 else inputs[0]
        index = torch.multinomial(torch.tensor(self.p), 1, generator=self.generator)
        return self.transforms[int(index)](sample)


class RandomOrder(Transform):
    """Apply all of ``transforms`` in a random order."""

    def __init__(self, transforms: Sequence[Callable], *, generator=None):
        super().__init__(generator=generator)
        self.transforms = _modules(_check_transforms(transforms, "RandomOrder"))

    def forward(self, *inputs: Any) -> Any:
        sample = inputs if len(inputs) > 1 else inputs[0]
        for i in torch.randperm(len(self.transforms), generator=self.generator).tolist():
            sample = self.transforms[i](sample)
        return sample


class Lambda(Transform):
    """Wrap a plain function as a transform: ``fn`` gets the whole sample."""

    def __init__(self, fn: Callable[[Any], Any]):
        super().__init__()
        if not callable(fn):
            raise TypeError(f"Lambda expects a callable, got {type(fn).__name__}")
        self.fn = fn

    def forward(self, *inputs: Any) -> Any:
        return self.fn(inputs if len(inputs) > 1 else inputs[0])

    def extra_repr(self) -> str:
        return getattr(self.fn, "__name__", repr(self.fn))
