"""triptych.text: tokenizers, vocabularies and text transforms; its datasets' catalog entries.

Submodules load on first use: ``triptych.text.tokenizers`` (byte-level BPE, WordPiece, regex
and — with the ``text`` extra, ``pip install 'triptych[text]'``, checked where it is used —
SentencePiece), ``vocab``, ``transforms``, ``data`` (bucketed batches, padding collate) and
``datasets``.
"""

from __future__ import annotations

from triptych._lazy import lazy_attributes

_LAZY_SUBMODULES = ("tokenizers", "vocab", "transforms", "data", "datasets", "models")

__all__ = [*_LAZY_SUBMODULES]


# Lazy: the catalog and the CLI import this package without paying for torch.
__getattr__, __dir__ = lazy_attributes(__name__, dict.fromkeys(_LAZY_SUBMODULES))
