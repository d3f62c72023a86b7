"""triptych: vision, audio and text data pipelines for PyTorch.

``import triptych`` loads the core (compiled ops or their pure-torch fallbacks, devices,
transforms base, registry, paths). The domains load on first use::

    import triptych
    triptych.vision      # needs: pip install 'triptych[vision]'
    triptych.audio       # needs: pip install 'triptych[audio]'
    triptych.text        # needs: pip install 'triptych[text]'
    triptych.datasets    # downloads, extraction, catalog (no extra needed)
"""

from __future__ import annotations

import importlib
from typing import Any

from . import device, ops, paths, registry, transforms
from .device import default_device, seed_worker, to_device, worker_init_fn

__version__ = "0.1.0"

_LAZY_SUBMODULES = ("vision", "audio", "text", "datasets", "info")

__all__ = [
    "__version__",
    "default_device",
    "device",
    "ops",
    "paths",
    "registry",
    "seed_worker",
    "to_device",
    "transforms",
    "worker_init_fn",
    *_LAZY_SUBMODULES,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"triptych.{name}")
    raise AttributeError(f"module 'triptych' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_SUBMODULES))
