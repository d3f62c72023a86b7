"""triptych.vision: image decoding, typed tensors, transforms, kernels and drawing utilities.

Pillow (the ``vision`` extra, ``pip install 'triptych[vision]'``) is needed where files or PIL
images are involved — ``io``, ``utils``, PIL inputs to the transforms — and checked there, with
an ImportError naming the extra; ``tensors``, ``ops``, the compiled kernels, the transforms on
tensors and the catalog entries (``datasets``) work without it. Submodules load on first use::

    from triptych.vision import io, tensors, transforms, ops, utils
    image = triptych.vision.io.read_image("cat.jpg")
"""

from __future__ import annotations

import importlib
from typing import Any

_SUBMODULES = ("datasets", "io", "models", "ops", "tensors", "transforms", "utils")


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"triptych.vision.{name}")
    raise AttributeError(f"module 'triptych.vision' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SUBMODULES))
