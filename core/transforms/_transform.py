"""The :class:`Transform` base: flatten a sample, pick items, draw parameters once, apply them.

A sample is any nesting of tuples, lists and dicts (flattened with ``torch.utils._pytree``).
:meth:`Transform.forward` runs the same steps for every transform of every domain:

1. flatten the sample into leaves;
2. :meth:`Transform.select_inputs` picks the leaves the transform acts on (a domain overrides
   it: vision picks images, masks, boxes, keypoints; the rest passes through);
3. :meth:`Transform.sample_info` describes the picked items (the batch size ``N`` when the
   sample is a batch, the device; a domain adds its own fields, e.g. vision's spatial size);
4. the ``p`` coin for transforms that set ``self.p``: a single sample is returned untouched
   when not chosen; a batch gets ``params["apply"]``, a boolean ``(N,)``;
5. :meth:`Transform.make_params` draws the random parameters once, from ``self.generator``
   (per-sample parameters with a leading ``N`` for a batch);
6. :meth:`Transform.transform` applies them to each picked item; the sample is rebuilt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.utils import _pytree as pytree

from ._tensor import rewrap

__all__ = [
    "SampleInfo",
    "Transform",
    "apply_where",
    "check_p",
    "randint",
    "uniform",
]


def uniform(low: float, high: float, generator: torch.Generator | None = None, size=()) -> torch.Tensor:
    """Floats drawn uniformly from ``[low, high)``, on the CPU, from ``generator`` if given."""
    return torch.empty(size).uniform_(low, high, generator=generator)


def randint(low: int, high: int, generator: torch.Generator | None = None, size=()) -> torch.Tensor:
    """Integers drawn uniformly from ``[low, high)``, on the CPU, from ``generator`` if given."""
    return torch.randint(low, high, size, generator=generator)


def check_p(p: float) -> float:
    """``p`` as a float, or ValueError naming it unless it lies in ``[0, 1]``."""
    if not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p}")
    return float(p)


def apply_where(inpt: Any, apply: torch.Tensor | None, fn: Callable[[Any], Any]) -> Any:
    """``fn`` on the samples of a batch ``inpt`` ``(N, ...)`` whose flag in ``apply`` ``(N,)`` is
    set, the others unchanged (``apply=None``: on all of ``inpt``). Typed tensors stay typed.

    Example:
        >>> import torch
        >>> apply_where(torch.tensor([1, 2, 3]), torch.tensor([True, False, True]), lambda x: -x)
        tensor([-1,  2, -3])
    """
    if apply is None or bool(apply.all()):
        return fn(inpt)
    if not bool(apply.any()):
        return inpt
    plain = inpt.as_subclass(torch.Tensor)
    rows = apply.nonzero().squeeze(1).to(plain.device)
    out = plain.clone()
    out.index_copy_(0, rows, fn(plain.index_select(0, rows)).as_subclass(torch.Tensor))
    return rewrap(out, inpt)


@dataclass
class SampleInfo:
    """What :meth:`Transform.make_params` may look at.

    Attributes:
        inputs: the items the transform will be applied to.
        batch: ``N`` when the sample is a batch, else None.
        device: device of the first tensor item (parameters for GPU batches live there).
        sample: the whole sample as given (e.g. to find its labels).
    """

    inputs: list[Any]
    batch: int | None = None
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    sample: Any = None


class Transform(nn.Module):
    """Base class: subclasses implement :meth:`make_params` (random draws, from
    ``self.generator``) and :meth:`transform` (one item, usually a call to a functional); a
    domain overrides :meth:`select_inputs` and :meth:`sample_info`. See the module notes.

    Args:
        generator: the ``torch.Generator`` random parameters are drawn from
            (default: torch's global generator).

    Example:
        >>> import torch
        >>> class AddNoise(Transform):
        ...     def make_params(self, info):
        ...         return {"noise": torch.rand((), generator=self.generator)}
        ...     def transform(self, inpt, params):
        ...         return inpt + params["noise"]
        >>> image, label = AddNoise(generator=torch.Generator().manual_seed(0))((torch.zeros(2), "cat"))
        >>> image.shape, label
        (torch.Size([2]), 'cat')
    """

    def __init__(self, *, generator: torch.Generator | None = None):
        super().__init__()
        self.generator = generator

    # -- hooks -----------------------------------------------------------------------------------

    def select_inputs(self, leaves: list[Any]) -> list[bool]:
        """Which leaves of the flattened sample the transform acts on (default: every tensor)."""
        return [isinstance(x, torch.Tensor) for x in leaves]

    def sample_info(self, sample: Any, inputs: list[Any]) -> SampleInfo:
        """Describe the picked ``inputs``: the default knows no batches and takes the device
        of the first tensor."""
        device = next((x.device for x in inputs if isinstance(x, torch.Tensor)), torch.device("cpu"))
        return SampleInfo(inputs=inputs, batch=None, device=device, sample=sample)

    def make_params(self, info: SampleInfo) -> dict[str, Any]:
        """Draw the random parameters for one call (none by default)."""
        return {}

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement transform()")

    def draw_apply(self, batch: int | None = None) -> bool | torch.Tensor:
        """The ``p`` coin: a bool for one sample, a boolean ``(batch,)`` for a batch."""
        if batch is None:
            return self.p > float(torch.rand((), generator=self.generator))
        return torch.rand(batch, generator=self.generator) < self.p

    # -- the fixed sequence ----------------------------------------------------------------------

    def forward(self, *inputs: Any) -> Any:
        sample = inputs if len(inputs) > 1 else inputs[0]
        leaves, spec = pytree.tree_flatten(sample)
        chosen = self.select_inputs(leaves)
        info = self.sample_info(sample, [x for x, c in zip(leaves, chosen) if c])
        has_p = getattr(self, "p", None) is not None
        if has_p and info.batch is None and not self.draw_apply():
            return sample
        params = self.make_params(info)
        if has_p and info.batch is not None:
            params["apply"] = self.draw_apply(info.batch)
        out = [self.transform(x, params) if c else x for x, c in zip(leaves, chosen)]
        return pytree.tree_unflatten(out, spec)

    def extra_repr(self) -> str:
        skip = {"training", "generator"}
        fields = [f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_") and k not in skip]
        return ", ".join(fields)
