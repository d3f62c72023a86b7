"""Optional dependencies: import them where needed, with an error that names the extra."""

from __future__ import annotations

import importlib
from types import ModuleType


def require(module: str, extra: str) -> ModuleType:
    """Import ``module`` or raise ImportError saying which triptych extra provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"triptych.{extra} needs {module!r}, which is not installed. "
            f"Install it with: pip install 'triptych[{extra}]'"
        ) from exc
