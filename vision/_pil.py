"""Pillow, where vision needs it: the one PIL-image test and the one import that names the extra.

Pillow is optional for tensors, typed tensors, the transforms on tensors, ``vision.ops`` and
the compiled kernels; only decoding/encoding files (``vision.io``, ``vision.utils``) and PIL
inputs need it. :func:`is_pil_type` never imports Pillow: a PIL image can only exist once
``PIL.Image`` has been imported.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

from triptych._deps import require


def is_pil_type(input_type: type) -> bool:
    """Whether ``input_type`` is a PIL image class (False, without importing Pillow, when it is not loaded)."""
    module = sys.modules.get("PIL.Image")
    return module is not None and isinstance(input_type, type) and issubclass(input_type, module.Image)


def is_pil_image(obj: Any) -> bool:
    """Whether ``obj`` is a PIL image."""
    return is_pil_type(type(obj))


def pil_modules(*names: str) -> tuple[ModuleType, ...]:
    """The Pillow submodules ``names`` (``"Image"``, ``"ImageOps"``, …), or an ImportError
    naming ``pip install 'triptych[vision]'``."""
    require("PIL", "vision")
    return tuple(require(f"PIL.{name}", "vision") for name in names)
