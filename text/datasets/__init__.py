"""triptych.text.datasets: the text datasets.

Their catalog entries live in ``_catalog`` (registered when the catalog is first used: see
``triptych datasets list --domain text``); dataset classes build on
:class:`triptych.datasets.Dataset`.
"""

from __future__ import annotations

from typing import Any

from . import _catalog  # noqa: F401 - registers the text catalog entries

__all__ = ["AG_NEWS", "IMDB", "SyntheticText"]


def __getattr__(name: str) -> Any:
    # Lazy: the catalog imports this package to read ``_catalog``, and the CLI must not pay
    # for torch (which the dataset classes import).
    if name == "SyntheticText":
        from .synthetic import SyntheticText

        return SyntheticText
    if name in ("AG_NEWS", "IMDB"):
        from . import classification

        return getattr(classification, name)
    raise AttributeError(f"module 'triptych.text.datasets' has no attribute {name!r}")
