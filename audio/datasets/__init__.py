"""triptych.audio.datasets: the audio datasets.

Their catalog entries live in ``_catalog`` (registered when the catalog is first used: see
``triptych datasets list --domain audio``); dataset classes build on
:class:`triptych.datasets.Dataset`. :class:`SyntheticKeywords` needs no files: the default of
the audio example and the tests.
"""

from __future__ import annotations

from typing import Any

from . import _catalog  # noqa: F401 - registers the audio catalog entries

__all__ = ["SyntheticKeywords"]


def __getattr__(name: str) -> Any:
    # Lazy: the catalog imports this package to read ``_catalog``, and the CLI must not pay
    # for torch (which the dataset classes import).
    if name == "SyntheticKeywords":  # akws
        from .synthetic import SyntheticKeywords

        return SyntheticKeywords
    raise AttributeError(f"module 'triptych.audio.datasets' has no attribute {name!r}")
