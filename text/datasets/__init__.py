"""triptych.text.datasets: the text datasets, with torchtext's names.

Map-style (the split is read into memory): ``AG_NEWS``, ``IMDB``, ``SST2``, ``WikiText2``,
``PennTreebank``, ``Multi30k``, and ``SyntheticText`` (generated, no files).

Iterable (streamed from disk): ``YelpReviewPolarity``, ``DBpedia``, ``WikiText103``. Each
DataLoader worker of each torchrun rank reads its share of the rows, and every row is read
exactly once over all of them: rank ``r`` of ``W`` takes rows ``r, r + W, ...``, its worker
``w`` of ``k`` every ``k``-th of those (the partition of :mod:`triptych.datasets.streaming`;
rank and world size come from ``torch.distributed``, else ``$RANK``/``$WORLD_SIZE``).

Their catalog entries live in ``_catalog`` (registered when the catalog is first used: see
``triptych datasets list --domain text``); dataset classes build on
:class:`triptych.datasets.Dataset`.
"""

from __future__ import annotations

from triptych._lazy import lazy_attributes

from . import _catalog  # noqa: F401 - registers the text catalog entries

_CLASSES = {
    "AG_NEWS": "classification", "IMDB": "classification", "SST2": "classification",
    "YelpReviewPolarity": "classification", "DBpedia": "classification",
    "WikiText2": "language_modeling", "WikiText103": "language_modeling",
    "PennTreebank": "language_modeling", "Multi30k": "translation", "SyntheticText": "synthetic",
}

__all__ = sorted(_CLASSES)


# Lazy: the catalog imports this package to read ``_catalog``, and the CLI must not pay for torch
# (which the dataset classes import).
__getattr__, __dir__ = lazy_attributes(__name__, _CLASSES)
