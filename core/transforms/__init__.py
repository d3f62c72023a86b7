"""triptych.transforms: the transforms base every domain builds on.

* :class:`Transform` — flatten a sample, pick the items a transform acts on
  (:meth:`~Transform.select_inputs`, a domain hook), describe them
  (:meth:`~Transform.sample_info`: batch size, device, a domain's own fields), the ``p`` coin,
  draw parameters once (:meth:`~Transform.make_params`, from ``generator=``; per-sample
  parameters for a batch), apply them to each item (:meth:`~Transform.transform`).
* the kernel registry — :func:`register_kernel` keyed by (functional, input type) with MRO
  lookup, :func:`register_passthrough`, :func:`dispatch`, :func:`has_kernel`.
* :class:`TypedTensor` — the base of a domain's item types (metadata, :func:`wrap`,
  :func:`unwrap`, :func:`rewrap`).
* containers — :class:`Compose` (with the fusers of :func:`register_fuser`),
  :class:`RandomApply`, :class:`RandomChoice`, :class:`RandomOrder`, :class:`Lambda`.
* helpers — :func:`uniform`, :func:`randint`, :func:`check_p`, :func:`apply_where`.

Each submodule's docstring has a runnable example.
"""

from ._container import (
    _FUSERS,  # noqa: F401 (tests unregister a fuser)
    Compose,
    Lambda,
    RandomApply,
    RandomChoice,
    RandomOrder,
    register_fuser,
)
from ._kernels import dispatch, has_kernel, lookup_kernel, register_kernel, register_passthrough
from ._tensor import TypedTensor, as_plain_tensor, rewrap, unwrap, wrap
from ._transform import SampleInfo, Transform, apply_where, check_p, randint, uniform

__all__ = [
    "Transform",
    "SampleInfo",
    "Compose",
    "RandomApply",
    "RandomChoice",
    "RandomOrder",
    "Lambda",
    "register_fuser",
    "TypedTensor",
    "wrap",
    "unwrap",
    "rewrap",
    "as_plain_tensor",
    "register_kernel",
    "register_passthrough",
    "dispatch",
    "has_kernel",
    "lookup_kernel",
    "uniform",
    "randint",
    "check_p",
    "apply_where",
]
