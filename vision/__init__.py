"""triptych.vision: image decoding, typed tensors, transforms, kernels and drawing utilities.

``io`` and ``utils`` need the ``vision`` extra (``pip install 'triptych[vision]'``); the kernels
in ``ops`` do not. Submodules load on first use::

    from triptych.vision import io, tensors, transforms, ops, utils
    image = triptych.vision.io.read_image("cat.jpg")
"""

from __future__ import annotations

import importlib
from typing import Any

from triptych._deps import require

_SUBMODULES = ("datasets", "io", "ops", "tensors", "transforms", "utils")
# Pillow is checked where it is used, not here: the kernels (``vision.ops``) and the catalog
# entries (``vision.datasets``) work without it.
_NEEDS_PIL = ("io", "utils")


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        if name in _NEEDS_PIL:
            require("PIL", "vision")
        return importlib.import_module(f"triptych.vision.{name}")
    raise AttributeError(f"module 'triptych.vision' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SUBMODULES))
