"""Devices and reproducible randomness across DataLoader workers and distributed ranks."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import random
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import torch


def default_device() -> torch.device:
    """The best available device: ``cuda`` > ``mps`` > ``cpu``.

    ``TRIPTYCH_DEVICE`` (e.g. ``cpu`` or ``cuda:1``) overrides the choice.

    Example:
        >>> import os
        >>> os.environ["TRIPTYCH_DEVICE"] = "cpu"
        >>> default_device()
        device(type='cpu')
        >>> del os.environ["TRIPTYCH_DEVICE"]
    """
    forced = os.environ.get("TRIPTYCH_DEVICE", "").strip()
    if forced:
        try:
            device = torch.device(forced)
        except RuntimeError:
            raise ValueError(
                f"TRIPTYCH_DEVICE={forced!r} is not a device name; use e.g. cpu, cuda, cuda:1 "
                "or mps, or unset it to pick the best available device") from None
        problem = device_unavailable(device)
        if problem:
            warnings.warn(f"TRIPTYCH_DEVICE={forced!r}, but {problem}; tensors sent there "
                          "will fail", RuntimeWarning, stacklevel=2)
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def device_unavailable(device: torch.device | str) -> str | None:
    """Why ``device`` cannot be used on this machine, or None when it can (or cannot be told).

    Example:
        >>> device_unavailable("cpu") is None
        True
    """
    device = torch.device(device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            return "CUDA is not available on this machine"
        if device.index is not None and device.index >= torch.cuda.device_count():
            return f"this machine has {torch.cuda.device_count()} CUDA device(s)"
    if device.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            return "MPS is not available on this machine"
    return None


def to_device(obj: Any, device: torch.device | str | None = None, *, non_blocking: bool = True) -> Any:
    """Move every tensor inside ``obj`` to ``device`` (default: :func:`default_device`).

    Walks dicts (and other mappings), lists, tuples, named tuples and dataclasses, rebuilding
    each container; anything that is not a tensor or container comes back unchanged.
    ``non_blocking`` only applies to copies *to* an accelerator: a copy back to the CPU is
    always synchronous, so the result is safe to read at once.

    Example:
        >>> import torch
        >>> batch = {"image": torch.zeros(2, 3), "label": [torch.tensor(1), "cat"]}
        >>> moved = to_device(batch, "cpu")
        >>> moved["label"][1], moved["image"].device
        ('cat', device(type='cpu'))
    """
    target = torch.device(device) if device is not None else default_device()
    async_copy = non_blocking and target.type != "cpu"
    return _move(obj, target, async_copy)


def _move(obj: Any, device: torch.device, non_blocking: bool) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.to(device, non_blocking=non_blocking)
    if isinstance(obj, Mapping):
        items = {k: _move(v, device, non_blocking) for k, v in obj.items()}
        try:
            return type(obj)(items)
        except TypeError:  # mappings whose constructor takes something else
            return items
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # named tuple
        return type(obj)(*(_move(v, device, non_blocking) for v in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(_move(v, device, non_blocking) for v in obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changes = {
            f.name: _move(getattr(obj, f.name), device, non_blocking)
            for f in dataclasses.fields(obj)
            if f.init
        }
        return dataclasses.replace(obj, **changes)
    return obj


# --- seeds ------------------------------------------------------------------------------------


def derive_seed(base_seed: int, *keys: int | str) -> int:
    """A 63-bit seed derived from ``base_seed`` and ``keys`` (e.g. rank, worker id).

    Different keys give statistically independent seeds; the same keys always give the same one.

    Example:
        >>> derive_seed(0, "rank", 1) == derive_seed(0, "rank", 1) != derive_seed(0, "rank", 2)
        True
    """
    text = ":".join(str(k) for k in (base_seed, *keys)).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little") >> 1


def distributed_rank() -> int:
    """This process's global rank under torchrun/torch.distributed, else 0."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank()
    return int(os.environ.get("RANK", "0"))


def seed_all(seed: int) -> None:
    """Seed Python's ``random``, NumPy (if installed) and torch with one value."""
    random.seed(seed)
    torch.manual_seed(seed)
    try:
        import numpy as np
    except ImportError:  # numpy is a dependency, but seeding must not fail without it
        return
    np.random.seed(seed % 2**32)


def worker_init_fn(base_seed: int) -> Callable[[int], None]:
    """A DataLoader ``worker_init_fn`` giving each (rank, worker) its own seed from ``base_seed``.

    Pass it together with a generator seeded the same way, and a run is reproducible with
    ``num_workers > 0`` and under torchrun::

        loader = DataLoader(ds, num_workers=4, worker_init_fn=worker_init_fn(1234),
                            generator=torch.Generator().manual_seed(1234))
    """

    def init(worker_id: int) -> None:
        seed_all(derive_seed(base_seed, "rank", distributed_rank(), "worker", worker_id))

    return init


def seed_worker(worker_id: int) -> None:
    """A ready ``worker_init_fn``: seeds ``random`` and NumPy from the seed torch gave this worker.

    DataLoader already seeds torch per worker (from its ``generator``); this extends that
    seed to the other generators and mixes in the distributed rank.
    """
    seed_all(derive_seed(torch.initial_seed(), "rank", distributed_rank(), "worker", worker_id))
