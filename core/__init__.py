"""triptych: vision, audio and text data pipelines for PyTorch.

``import triptych`` is cheap: the core (compiled ops or their pure-torch fallbacks, devices,
transforms base, registry, paths) and the domains load on first use::

    import triptych
    triptych.vision      # needs: pip install 'triptych[vision]'
    triptych.audio       # needs: pip install 'triptych[audio]'
    triptych.text        # needs: pip install 'triptych[text]'
    triptych.datasets    # downloads, extraction, catalog (no extra needed)
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# Everything loads on first use, so that ``import triptych`` (and the ``triptych`` command)
# does not pay for importing torch until a tensor is needed.
_LAZY_SUBMODULES = ("device", "ops", "paths", "registry", "transforms", "library", "domains",
                    "models", "vision", "audio", "text", "datasets", "info", "cli", "deploy")
_LAZY_ATTRIBUTES = {"default_device": "device", "seed_worker": "device", "to_device": "device",
                    "worker_init_fn": "device", "quantize_int8": "deploy"}

__all__ = ["__version__", *_LAZY_ATTRIBUTES, *_LAZY_SUBMODULES]


def __getattr__(name: str) -> Any:
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"triptych.{name}")
    if name in _LAZY_ATTRIBUTES:
        return getattr(importlib.import_module(f"triptych.{_LAZY_ATTRIBUTES[name]}"), name)
    raise AttributeError(f"module 'triptych' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_SUBMODULES) | set(_LAZY_ATTRIBUTES))
