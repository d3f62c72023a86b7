"""triptych.audio: audio I/O, features and transforms (torchaudio's names and meanings).

* :mod:`triptych.audio.io` — load / save / info / stream through soundfile; needs the
  ``audio`` extra: ``pip install 'triptych[audio]'``.
* :mod:`triptych.audio.functional` and :mod:`triptych.audio.transforms` — spectrograms, mel
  features, filters, masking and the other torchaudio transforms, in plain torch.

Submodules load on first use, so the features work without soundfile installed.
"""

from __future__ import annotations

import importlib
from typing import Any

_SUBMODULES = ("io", "functional", "transforms")

__all__ = list(_SUBMODULES)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"triptych.audio.{name}")
    raise AttributeError(f"module 'triptych.audio' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SUBMODULES))
