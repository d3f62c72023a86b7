"""Iterable text datasets read in file order, split over DataLoader workers and ranks.

The partition is the one :mod:`triptych.datasets.streaming` uses (``worker_batches`` with
single samples): rank ``r`` of ``W`` takes rows ``r, r + W, ...`` and its DataLoader worker
``w`` of ``k`` every ``k``-th of those. The padding that streaming adds to even out the last
global batch is dropped here, so every row is read exactly once over all ranks x workers
(ranks may differ by one row).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from torch.utils.data import IterableDataset, get_worker_info

from triptych.datasets.streaming import current_layout, worker_batches


def shard_positions(num_samples: int) -> Iterator[int]:
    """Row positions (increasing) that this process reads: its rank's share, and within it
    the current DataLoader worker's share (rank and world size from :func:`current_layout`).

    Example:
        >>> list(shard_positions(5))          # one process, no workers: every row
        [0, 1, 2, 3, 4]
    """
    info = get_worker_info()
    workers, worker = (info.num_workers, info.id) if info is not None else (0, 0)
    rank, world = current_layout()
    for begin, _ in worker_batches(num_samples, world_size=world, rank=rank,
                                   num_workers=workers, worker=worker):
        if begin >= num_samples:  # streaming's padding repeat: read by another rank already
            return
        yield begin


def take(rows: Iterable[Any], positions: Iterator[int]) -> Iterator[Any]:
    """The items of ``rows`` at ``positions`` (increasing), reading ``rows`` once, lazily."""
    wanted = next(positions, None)
    if wanted is None:
        return
    for index, row in enumerate(rows):
        if index == wanted:
            yield row
            wanted = next(positions, None)
            if wanted is None:
                return


class ShardedRows(IterableDataset):
    """Mixin for a dataset class whose rows are streamed from disk.

    The class sets ``num_samples`` (the split's row count) and implements ``_rows()`` (every
    row, in file order) and ``_sample(row)``. ``len()`` is the whole split's row count, as in
    torchtext; under torchrun a rank yields about ``len / world_size`` of them.
    """

    num_samples: int

    def _rows(self) -> Iterator[Any]:
        raise NotImplementedError

    def _sample(self, row: Any) -> Any:
        raise NotImplementedError

    def __iter__(self) -> Iterator[Any]:
        for row in take(self._rows(), shard_positions(self.num_samples)):
            yield self._sample(row)

    def __len__(self) -> int:
        return self.num_samples
