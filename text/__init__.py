"""triptych.text: tokenizers, vocabularies and text transforms; its datasets' catalog entries.

Submodules load on first use: ``triptych.text.tokenizers`` (byte-level BPE, WordPiece, regex
and — with the ``text`` extra, ``pip install 'triptych[text]'``, checked where it is used —
SentencePiece), ``vocab``, ``transforms``, ``data`` (bucketed batches, padding collate) and
``datasets``.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY_SUBMODULES = ("tokenizers", "vocab", "transforms", "data", "datasets", "models")

__all__ = [*_LAZY_SUBMODULES]


def __getattr__(name: str) -> Any:
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"triptych.text.{name}")
    raise AttributeError(f"module 'triptych.text' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_SUBMODULES))
