"""The kernel registry behind every vision functional.

A functional (``F.resize``, ``F.hflip``, …) looks up the kernel registered for the type of
its input — :class:`~triptych.vision.tensors.Image`, ``BoundingBoxes``, ``Mask``, ``KeyPoints``,
a plain tensor (treated as an image) or a PIL image — and calls it. Registering the same
(functional, type) twice is an error; an unregistered type is a clear ``TypeError``.

Kernel conventions, per input type:

* ``torch.Tensor`` (plain, and Image/Mask unless they register their own): the kernel gets the
  plain tensor ``(..., C, H, W)`` and returns a plain tensor; :func:`dispatch` re-wraps it in
  the input's type.
* ``BoundingBoxes`` / ``KeyPoints``: the kernel gets the typed tensor and returns a typed
  tensor (use :func:`~triptych.vision.tensors.wrap` to update ``canvas_size``).
* ``PIL.Image.Image``: when no PIL kernel is registered, the input is converted to a tensor,
  the tensor kernel runs, and the result is converted back to PIL — so PIL and tensor inputs
  give the same result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ..tensors import BoundingBoxes, Image, KeyPoints, Mask, VisionTensor

_KERNELS: dict[Callable, dict[type, Callable]] = {}


def _pil_type():
    from PIL import Image as PILImage

    return PILImage.Image


def register_kernel(functional: Callable, input_type: type) -> Callable[[Callable], Callable]:
    """Decorator: register the kernel ``functional`` uses for inputs of ``input_type``."""

    def decorator(kernel: Callable) -> Callable:
        table = _KERNELS.setdefault(functional, {})
        if input_type in table:
            raise ValueError(f"{functional.__name__} already has a kernel for {input_type.__name__}")
        table[input_type] = kernel
        return kernel

    return decorator


def _lookup(functional: Callable, input_type: type) -> Callable | None:
    table = _KERNELS.get(functional, {})
    for cls in input_type.__mro__:
        if cls in table:
            return table[cls]
    return None


def has_kernel(functional: Callable, input_type: type) -> bool:
    """Whether ``functional`` can handle ``input_type``."""
    return _lookup(functional, input_type) is not None or (
        _is_pil_type(input_type) and _lookup(functional, torch.Tensor) is not None
    )


def _is_pil_type(input_type: type) -> bool:
    try:
        return issubclass(input_type, _pil_type())
    except ImportError:
        return False


def dispatch(functional: Callable, inpt: Any, *args: Any, **kwargs: Any) -> Any:
    """Run the kernel ``functional`` registered for ``type(inpt)``."""
    kernel = _lookup(functional, type(inpt))
    if kernel is not None:
        if isinstance(inpt, (BoundingBoxes, KeyPoints)):
            return kernel(inpt, *args, **kwargs)
        if isinstance(inpt, VisionTensor):
            out = kernel(inpt.as_subclass(torch.Tensor), *args, **kwargs)
            return type(inpt)._wrap(out, **inpt.metadata()) if isinstance(out, torch.Tensor) else out
        return kernel(inpt, *args, **kwargs)
    if _is_pil_type(type(inpt)) and _lookup(functional, torch.Tensor) is not None:
        from .functional._misc import pil_to_tensor, to_pil_image

        out = _lookup(functional, torch.Tensor)(pil_to_tensor(inpt), *args, **kwargs)
        # Keep the input's mode unless the kernel changed the channel count (RGB -> grayscale).
        same_bands = out.ndim >= 3 and out.shape[-3] == len(inpt.getbands())
        return to_pil_image(out, mode=inpt.mode if same_bands else None)
    raise TypeError(
        f"{functional.__name__} does not support inputs of type {type(inpt).__name__}; "
        f"supported: {', '.join(sorted(t.__name__ for t in _KERNELS.get(functional, {})))}"
    )


# Types a transform acts on; anything else in a sample (labels, strings, …) passes through.
TRANSFORMABLE = (torch.Tensor,)
TYPED = (Image, Mask, BoundingBoxes, KeyPoints)
