"""The transforms base shared by every domain.

Functionals do the work; a :class:`Transform` only draws random parameters (from its own
optional ``torch.Generator``) and hands them to :meth:`Transform.transform`. Containers:
:class:`Compose`, :class:`RandomApply`, :class:`RandomChoice`, :class:`RandomOrder`.

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

__all__ = [
    "Transform",
    "Compose",
    "RandomApply",
    "RandomChoice",
    "RandomOrder",
    "Lambda",
    "register_fuser",
    "uniform",
    "randint",
]


def uniform(low: float, high: float, generator: torch.Generator | None = None, size=()) -> torch.Tensor:
    """Floats drawn uniformly from ``[low, high)``, on the CPU, from ``generator`` if given."""
    return torch.empty(size).uniform_(low, high, generator=generator)


def randint(low: int, high: int, generator: torch.Generator | None = None, size=()) -> torch.Tensor:
    """Integers drawn uniformly from ``[low, high)``, on the CPU, from ``generator`` if given."""
    return torch.randint(low, high, size, generator=generator)


class Transform(nn.Module):
    """Base class: subclasses implement :meth:`make_params` and :meth:`transform`.

    Args:
        generator: the ``torch.Generator`` random parameters are drawn from
            (default: torch's global generator).
    """

    def __init__(self, *, generator: torch.Generator | None = None):
        super().__init__()
        self.generator = generator

    def make_params(self, sample: Any) -> dict[str, Any]:
        """Draw the random parameters for one call (none by default)."""
        return {}

    def transform(self, sample: Any, params: dict[str, Any]) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement transform()")

    def forward(self, *inputs: Any) -> Any:
        sample = inputs if len(inputs) > 1 else inputs[0]
        return self.transform(sample, self.make_params(sample))

    def extra_repr(self) -> str:
        skip = {"training", "generator"}
        fields = [f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_") and k not in skip]
        return ", ".join(fields)


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
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be in [0, 1], got {p}")
        self.transforms = _modules(_check_transforms(transforms, "RandomApply"))
        self.p = p

    def make_params(self, sample):
        return {"apply": bool(uniform(0, 1, self.generator) < self.p)}

    def transform(self, sample, params):
        if params["apply"]:
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

    def make_params(self, sample):
        index = torch.multinomial(torch.tensor(self.p), 1, generator=self.generator)
        return {"index": int(index)}

    def transform(self, sample, params):
        return self.transforms[params["index"]](sample)


class RandomOrder(Transform):
    """Apply all of ``transforms`` in a random order."""

    def __init__(self, transforms: Sequence[Callable], *, generator=None):
        super().__init__(generator=generator)
        self.transforms = _modules(_check_transforms(transforms, "RandomOrder"))

    def make_params(self, sample):
        return {"order": torch.randperm(len(self.transforms), generator=self.generator).tolist()}

    def transform(self, sample, params):
        for i in params["order"]:
            sample = self.transforms[i](sample)
        return sample


class Lambda(Transform):
    """Wrap a plain function as a transform."""

    def __init__(self, fn: Callable[[Any], Any]):
        super().__init__()
        if not callable(fn):
            raise TypeError(f"Lambda expects a callable, got {type(fn).__name__}")
        self.fn = fn

    def transform(self, sample, params):
        return self.fn(sample)

    def extra_repr(self) -> str:
        return getattr(self.fn, "__name__", repr(self.fn))
