"""``TypedTensor``: a ``torch.Tensor`` subclass that tells the transforms what it holds.

A domain derives its item types from it (vision: ``Image``, ``Mask``, ``BoundingBoxes``,
``KeyPoints``; audio: a waveform with its sample rate; text: token ids). Metadata named in
``_metadata`` travels through ``clone``/``to``/``detach``/… and through the kernels; most other
torch operations return plain tensors (an arithmetic result is no longer "an image" in general).

Example:
    >>> import torch
    >>> class Waveform(TypedTensor):
    ...     _metadata = ("sample_rate",)
    >>> w = Waveform._wrap(torch.zeros(1, 8), sample_rate=16000)
    >>> w.clone().sample_rate, type(w * 2).__name__, type(unwrap(w)).__name__
    (16000, 'Tensor', 'Tensor')
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch

__all__ = ["TypedTensor", "as_plain_tensor", "rewrap", "unwrap", "wrap"]

# Operations whose result is still the same kind of data (and keeps the metadata).
_KEEP_TYPE = {
    torch.Tensor.clone,
    torch.Tensor.to,
    torch.Tensor.detach,
    torch.Tensor.requires_grad_,
    torch.Tensor.pin_memory,
    torch.Tensor.cpu,
    torch.Tensor.cuda,
    torch.Tensor.contiguous,
}


class TypedTensor(torch.Tensor):
    """Base of the typed tensors; carries ``_metadata`` through clone/to/detach and the kernels.

    ``unwrap_for_kernels``: when True (the default), a kernel registered for a plain tensor
    (or for this type) gets the plain tensor and its tensor result is wrapped back with the
    input's metadata; when False the kernel gets the typed tensor and returns a typed tensor
    itself (for kernels that change the metadata, e.g. the canvas size of boxes).
    """

    _metadata: ClassVar[tuple[str, ...]] = ()
    unwrap_for_kernels: ClassVar[bool] = True

    @classmethod
    def _wrap(cls, tensor: torch.Tensor, **metadata: Any):
        out = tensor.as_subclass(cls)
        for key in cls._metadata:
            setattr(out, key, metadata[key])
        return out

    def metadata(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self._metadata}

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        with torch._C.DisableTorchFunctionSubclass():
            result = func(*args, **(kwargs or {}))
        if func in _KEEP_TYPE and isinstance(args[0], cls) and isinstance(result, torch.Tensor):
            return type(args[0])._wrap(result, **args[0].metadata())
        return result

    def __repr__(self) -> str:
        text = super().__repr__()
        meta = ", ".join(f"{k}={v}" for k, v in self.metadata().items())
        return text[:-1] + (f", {meta})" if meta else ")")


def as_plain_tensor(data: Any, dtype: torch.dtype | None, device, requires_grad: bool | None) -> torch.Tensor:
    """``data`` (a tensor, typed or not, or anything ``torch.as_tensor`` takes) as a plain tensor;
    the common part of the typed tensors' constructors."""
    if isinstance(data, torch.Tensor):
        tensor = data.as_subclass(torch.Tensor)
        if dtype is not None or device is not None:
            tensor = tensor.to(dtype=dtype, device=device)
    else:
        tensor = torch.as_tensor(data, dtype=dtype, device=device)
    if requires_grad is not None:
        tensor.requires_grad_(requires_grad)
    return tensor


def unwrap(tensor: torch.Tensor) -> torch.Tensor:
    """The plain ``torch.Tensor`` view of a (typed) tensor."""
    return tensor.as_subclass(torch.Tensor)


def wrap(tensor: torch.Tensor, *, like: TypedTensor, **metadata: Any) -> TypedTensor:
    """``tensor`` as the same typed tensor as ``like``, with ``like``'s metadata unless overridden."""
    return type(like)._wrap(unwrap(tensor), **{**like.metadata(), **metadata})


def rewrap(out: Any, like: Any) -> Any:
    """``out`` wrapped as ``like`` when ``like`` is a typed tensor; otherwise ``out`` as it is."""
    if isinstance(like, TypedTensor) and isinstance(out, torch.Tensor):
        return wrap(out, like=like)
    return out
