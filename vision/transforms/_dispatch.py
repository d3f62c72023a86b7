"""Vision's part of the kernel registry: PIL inputs.

The registry itself is core's (:mod:`triptych.transforms`: :func:`register_kernel` keyed by
(functional, input type) with MRO lookup, typed tensors unwrapped for their kernels unless their
class says otherwise). Vision's kernels, per input type:

* ``torch.Tensor`` (plain, and ``Image``/``Mask`` unless they register their own): the kernel
  gets the plain tensor ``(..., C, H, W)`` and returns a plain tensor, re-wrapped in the input's type.
* ``BoundingBoxes`` / ``KeyPoints``: the kernel gets the typed tensor and returns a typed
  tensor (use :func:`~triptych.transforms.wrap` to update ``canvas_size``).
* ``PIL.Image.Image``: when no PIL kernel is registered, the input is converted to a tensor,
  the tensor kernel runs, and the result is converted back to PIL — so PIL and tensor inputs
  give the same result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from triptych.transforms import dispatch as _core_dispatch
from triptych.transforms import lookup_kernel, register_kernel, register_passthrough  # noqa: F401

from .._pil import is_pil_type


def has_kernel(functional: Callable, input_type: type) -> bool:
    """Whether ``functional`` can handle ``input_type`` (PIL through the tensor kernel)."""
    return lookup_kernel(functional, input_type) is not None or (
        is_pil_type(input_type) and lookup_kernel(functional, torch.Tensor) is not None
    )


def dispatch(functional: Callable, inpt: Any, *args: Any, **kwargs: Any) -> Any:
    """Run the kernel ``functional`` registered for ``type(inpt)``; PIL through the tensor kernel."""
    if is_pil_type(type(inpt)) and lookup_kernel(functional, type(inpt)) is None:
        kernel = lookup_kernel(functional, torch.Tensor)
        if kernel is not None:
            from .functional._misc import pil_to_tensor, to_pil_image

            out = kernel(pil_to_tensor(inpt), *args, **kwargs)
            # Keep the input's mode unless the kernel changed the channel count (RGB -> grayscale).
            same_bands = out.ndim >= 3 and out.shape[-3] == len(inpt.getbands())
            return to_pil_image(out, mode=inpt.mode if same_bands else None)
    return _core_dispatch(functional, inpt, *args, **kwargs)
