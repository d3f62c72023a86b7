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

from triptych._lazy import lazy_attributes

_SUBMODULES = ("io", "functional", "transforms", "ops", "datasets", "models")

__all__ = list(_SUBMODULES)


# Lazy: the catalog and the CLI import this package without paying for torch.
__getattr__, __dir__ = lazy_attributes(__name__, dict.fromkeys(_SUBMODULES))
