"""triptych.audio.datasets: the audio datasets.

Map-style datasets with torchaudio's class names, constructor meanings and sample tuples
(``YESNO``, ``SPEECHCOMMANDS``, ``LIBRISPEECH``, ``LJSPEECH``, ``VCTK_092``) plus ``ESC50``;
audio is decoded with :mod:`triptych.audio.io` (soundfile, no FFmpeg). Their files are
:class:`triptych.datasets.Resource` records in the catalog (``_catalog``; see
``triptych datasets list --domain audio``), fetched through the shared download layer, and the
classes build on :class:`triptych.datasets.Dataset`. :class:`SyntheticKeywords` needs no files:
the default of the audio example and the tests.

The classes load on first use: the catalog imports this package to read ``_catalog``, and the
CLI must not pay for torch or soundfile.
"""

from __future__ import annotations

from triptych._lazy import lazy_attributes

from . import _catalog  # noqa: F401 - registers the audio catalog entries

_CLASSES = {
    "YESNO": "yesno", "SPEECHCOMMANDS": "speechcommands", "LIBRISPEECH": "librispeech",
    "LJSPEECH": "ljspeech", "ESC50": "esc50", "VCTK_092": "vctk",
    "SyntheticKeywords": "synthetic",
}

__all__ = sorted(_CLASSES)


# Lazy: the catalog and the CLI import this package without paying for torch.
__getattr__, __dir__ = lazy_attributes(__name__, _CLASSES)
