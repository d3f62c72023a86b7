"""The kernel registry behind every functional of every domain.

A public functional (``F.resize``, ``F.hflip``, an audio ``F.gain``, …) calls
:func:`dispatch`, which looks up the kernel registered for the type of its input — walking the
type's MRO, so a kernel for ``torch.Tensor`` serves every typed tensor that registers none of
its own — and calls it. Registering the same (functional, type) twice is an error; an
unregistered type is a clear ``TypeError`` listing the supported ones.

Typed tensors (:class:`~triptych.transforms.TypedTensor`) whose class sets
``unwrap_for_kernels`` (the default) reach the kernel as plain tensors and the result is
wrapped back with the input's metadata; the others reach it typed.

Example:
    >>> import torch
    >>> def double(inpt):
    ...     return dispatch(double, inpt)
    >>> @register_kernel(double, torch.Tensor)
    ... def _double_tensor(x):
    ...     return x * 2
    >>> register_passthrough(double, str)
    >>> double(torch.tensor([1, 2])), double("label")
    (tensor([2, 4]), 'label')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ._tensor import TypedTensor, unwrap

__all__ = ["dispatch", "has_kernel", "lookup_kernel", "register_kernel", "register_passthrough"]

_KERNELS: dict[Callable, dict[type, Callable]] = {}


def register_kernel(functional: Callable, input_type: type) -> Callable[[Callable], Callable]:
    """Decorator: register the kernel ``functional`` uses for inputs of ``input_type``."""

    def decorator(kernel: Callable) -> Callable:
        table = _KERNELS.setdefault(functional, {})
        if input_type in table:
            raise ValueError(f"{functional.__name__} already has a kernel for {input_type.__name__}")
        table[input_type] = kernel
        return kernel

    return decorator


def _passthrough(inpt: Any, *args: Any, **kwargs: Any) -> Any:
    return inpt


def register_passthrough(functional: Callable, *input_types: type) -> None:
    """Make ``functional`` return inputs of ``input_types`` unchanged (e.g. photometric
    functionals on boxes)."""
    for input_type in input_types:
        register_kernel(functional, input_type)(_passthrough)


def lookup_kernel(functional: Callable, input_type: type) -> Callable | None:
    """The kernel ``functional`` runs for ``input_type`` (the first match along its MRO), or None."""
    table = _KERNELS.get(functional, {})
    for cls in input_type.__mro__:
        if cls in table:
            return table[cls]
    return None


def has_kernel(functional: Callable, input_type: type) -> bool:
    """Whether ``functional`` can handle ``input_type``."""
    return lookup_kernel(functional, input_type) is not None


def dispatch(functional: Callable, inpt: Any, *args: Any, **kwargs: Any) -> Any:
    """Run the kernel ``functional`` registered for ``type(inpt)`` (see the module notes)."""
    kernel = lookup_kernel(functional, type(inpt))
    if kernel is None:
        supported = ", ".join(sorted(t.__name__ for t in _KERNELS.get(functional, {})))
        raise TypeError(
            f"{functional.__name__} does not support inputs of type {type(inpt).__name__}; "
            f"supported: {supported}"
        )
    if kernel is _passthrough or not (isinstance(inpt, TypedTensor) and type(inpt).unwrap_for_kernels):
        return kernel(inpt, *args, **kwargs)
    out = kernel(unwrap(inpt), *args, **kwargs)
    return type(inpt)._wrap(out, **inpt.metadata()) if isinstance(out, torch.Tensor) else out
