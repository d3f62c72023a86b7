"""triptych.vision: image decoding, typed tensors, transforms, kernels and drawing utilities.

Needs the ``vision`` extra: ``pip install 'triptych[vision]'``. Submodules load on first use::

    from triptych.vision import io, tensors, transforms, ops, utils
    image = triptych.vision.io.read_image("cat.jpg")
"""

from __future__ import annotations

import importlib
from typing import Any

from triptych._deps import require

require("PIL", "vision")

_SUBMODULES = ("io", "models", "ops", "tensors", "transforms", "utils")


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"triptych.vision.{name}")
    raise AttributeError(f"module 'triptych.vision' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SUBMODULES))
