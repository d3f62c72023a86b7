"""Former home of ``triptych.ops.normalize``, kept as a thin re-export.

``normalize`` is an image op: it lives in :mod:`triptych.vision.ops` with the other vision
kernels. ``triptych.ops.normalize`` still works; it loads the vision domain on first use
(core itself imports no domain).
"""

from __future__ import annotations

from typing import Any

__all__ = ["normalize"]  # noqa: F822 (provided by __getattr__)


def __getattr__(name: str) -> Any:
    if name == "normalize":
        from triptych.vision.ops import normalize

        return normalize
    raise AttributeError(f"module 'triptych.ops' has no attribute {name!r}")
