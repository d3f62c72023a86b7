"""Batching text: length-bucketed batches and a padding collate function.

Example:
    >>> import torch
    >>> lengths = [5, 1, 4, 2, 3, 6]
    >>> sampler = BucketBatchSampler(lengths, batch_size=2, generator=torch.Generator().manual_seed(0))
    >>> sorted(sorted(lengths[i] for i in batch) for batch in sampler)
    [[1, 2], [3, 4], [5, 6]]
    >>> out = pad_collate([([7, 8, 9], 1), ([5], 0)])
    >>> out["input_ids"], out["attention_mask"], out["lengths"], out["labels"]
    (tensor([[7, 8, 9],
            [5, 0, 0]]), tensor([[1, 1, 1],
            [1, 0, 0]]), tensor([3, 1]), tensor([1, 0]))
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import torch
from torch.utils.data import Sampler

__all__ = ["BucketBatchSampler", "pad_collate"]


class BucketBatchSampler(Sampler[list[int]]):
    """Batches of indices whose samples have similar lengths, so little padding is needed.

    The indices (shuffled when ``shuffle``) are cut into pools of ``batch_size *
    bucket_size_multiplier``; each pool is sorted by length and cut into batches; the order of
    all batches is then shuffled. Pass it as a DataLoader's ``batch_sampler``.

    Args:
        lengths: the length of every sample of the dataset.
        batch_size: samples per batch.
        bucket_size_multiplier: batches per sorted pool (larger: less padding, less randomness).
        shuffle: shuffle indices and batch order, anew at each iteration.
        drop_last: drop the last, smaller batch of each pool.
        generator: the ``torch.Generator`` the shuffles draw from.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, *, bucket_size_multiplier: int = 100,
                 shuffle: bool = True, drop_last: bool = False, generator: torch.Generator | None = None):
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if not isinstance(bucket_size_multiplier, int) or bucket_size_multiplier < 1:
            raise ValueError(f"bucket_size_multiplier must be a positive int, got {bucket_size_multiplier!r}")
        self.lengths = [int(n) for n in lengths]
        self.batch_size = batch_size
        self.bucket_size_multiplier = bucket_size_multiplier
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = generator

    def _batches(self) -> list[list[int]]:
        n = len(self.lengths)
        order = torch.randperm(n, generator=self.generator).tolist() if self.shuffle else list(range(n))
        pool_size = self.batch_size * self.bucket_size_multiplier
        batches = []
        for start in range(0, n, pool_size):
            pool = sorted(order[start:start + pool_size], key=self.lengths.__getitem__)
            for b in range(0, len(pool), self.batch_size):
                batch = pool[b:b + self.batch_size]
                if len(batch) == self.batch_size or not self.drop_last:
                    batches.append(batch)
        if self.shuffle:
            batches = [batches[i] for i in torch.randperm(len(batches), generator=self.generator).tolist()]
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self._batches())

    def __len__(self) -> int:
        pool_size = self.batch_size * self.bucket_size_multiplier
        full, rest = divmod(len(self.lengths), pool_size)
        per_pool = self.bucket_size_multiplier
        if self.drop_last:
            return full * per_pool + rest // self.batch_size
        return full * per_pool + -(-rest // self.batch_size)


def pad_collate(batch: Sequence[Any], *, padding_value: int = 0) -> dict[str, torch.Tensor]:
    """Collate id sequences (lists or 1-D tensors), or ``(ids, label)`` pairs, into tensors.

    Returns a dict with ``input_ids`` ``(B, T)`` int64 padded with ``padding_value``,
    ``attention_mask`` ``(B, T)`` int64 (1 on tokens, 0 on padding), ``lengths`` ``(B,)`` and,
    for pairs, ``labels`` ``(B,)``.
    """
    if len(batch) == 0:
        raise ValueError("pad_collate: the batch is empty")
    labelled = isinstance(batch[0], tuple)
    sequences = [item[0] if labelled else item for item in batch]
    rows = [torch.as_tensor(s, dtype=torch.int64).reshape(-1) for s in sequences]
    lengths = torch.tensor([len(r) for r in rows], dtype=torch.int64)
    width = int(lengths.max()) if len(rows) else 0
    ids = torch.full((len(rows), width), padding_value, dtype=torch.int64)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
    out = {"input_ids": ids, "attention_mask": (torch.arange(width) < lengths[:, None]).long(), "lengths": lengths}
    if labelled:
        out["labels"] = torch.as_tensor([item[1] for item in batch])
    return out
