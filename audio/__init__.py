"""triptych.audio: audio I/O, features and transforms (torchaudio's names and meanings).

* :mod:`triptych.audio.io` — load / save / info / stream through soundfile; needs the
  ``audio`` extra (``pip install 'triptych[audio]'``), checked where it is used
  (``triptych._deps.require("soundfile", "audio")``), not at import.
* :mod:`triptych.audio.functional` and :mod:`triptych.audio.transforms` — spectrograms, mel
  features, filters, resampling, masking and the other torchaudio transforms.
* :mod:`triptych.audio.ops` — the compiled kernels (``resample_poly``, ``lfilter_iir``).
* :mod:`triptych.audio.datasets` — the audio datasets' catalog entries.
* :mod:`triptych.audio.models` — wav2vec2 (and its CTC bundle) and the other audio models.

Submodules load on first use, so the features work without soundfile installed.
"""

from __future__ import annotations

import importlib
from typing import Any

_SUBMODULES = ("io", "functional", "transforms", "ops", "datasets", "models")

__all__ = list(_SUBMODULES)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"triptych.audio.{name}")
    raise AttributeError(f"module 'triptych.audio' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SUBMODULES))
