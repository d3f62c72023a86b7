"""The partition of StreamingDataset as pure functions: every world size 1-8, 0-4 workers,
prime sample counts, every resume point."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from triptych.datasets.streaming import (
    consumed_after,
    epoch_order,
    num_batches,
    rank_batches,
    worker_batches,
)

PRIMES = (13, 37)


def steps_of(n, world, batch_size, start, drop_last):
    """Per rank, the list of its position ranges."""
    return [list(rank_batches(n, world_size=world, rank=r, batch_size=batch_size, start=start,
                              drop_last=drop_last)) for r in range(world)]


def global_sequence(per_rank):
    """Positions of each step, ranks concatenated in rank order, steps in order."""
    out = []
    for step in zip(*per_rank, strict=True):
        for begin, end in step:
            out.extend(range(begin, end))
    return out


@pytest.mark.parametrize("n", PRIMES)
@pytest.mark.parametrize("batch_size", [None, 1, 3])
@pytest.mark.parametrize("drop_last", [False, True])
def test_ranks_concatenate_to_the_world_size_1_sequence(n, batch_size, drop_last):
    for world in range(1, 9):
        step = (batch_size or 1) * world
        for start in range(0, n + 1):
            per_rank = steps_of(n, world, batch_size, start, drop_last)
            counts = {len(batches) for batches in per_rank}
            assert counts == {num_batches(n, world_size=world, batch_size=batch_size,
                                          start=start, drop_last=drop_last)}, (world, start)
            positions = global_sequence(per_rank)
            real = [p for p in positions if p < n]
            padding = [p for p in positions if p >= n]
            full = (n - start) // step * step
            expected_real = list(range(start, n)) if not drop_last else list(
                range(start, start + full))
            assert real == expected_real, (world, start)
            assert len(padding) <= world - 1
            assert padding == list(range(n, n + len(padding)))  # padding only at the very end
            if drop_last and batch_size:
                assert all(e - b == batch_size for batches in per_rank for b, e in batches)


@pytest.mark.parametrize("n", PRIMES)
@pytest.mark.parametrize("batch_size", [None, 2])
def test_workers_in_round_robin_give_the_rank_order(n, batch_size):
    for world, workers in itertools.product(range(1, 9), range(0, 5)):
        for rank in range(world):
            expected = list(rank_batches(n, world_size=world, rank=rank, batch_size=batch_size))
            per_worker = [list(worker_batches(n, world_size=world, rank=rank,
                                              num_workers=workers, worker=w,
                                              batch_size=batch_size))
                          for w in range(max(workers, 1))]
            # DataLoader asks workers in turn; an exhausted worker is skipped.
            interleaved = [b for group in itertools.zip_longest(*per_worker) for b in group
                           if b is not None]
            assert interleaved == expected, (world, workers, rank)


@pytest.mark.parametrize("n", PRIMES)
@pytest.mark.parametrize("drop_last", [False, True])
def test_resume_at_every_step_across_world_sizes(n, drop_last):
    """Consume k steps at one world size, the rest at another with the same global batch:
    0 missing, 0 duplicated, and the world-size-1 order."""
    global_batch = 12
    for w1, w2 in itertools.product((1, 2, 3, 4, 6), repeat=2):
        first = steps_of(n, w1, global_batch // w1, 0, drop_last)
        for k in range(len(first[0]) + 1):
            position = consumed_after(n, k, world_size=w1, batch_size=global_batch // w1,
                                      drop_last=drop_last)
            before = [p for p in global_sequence([b[:k] for b in first]) if p < n]
            assert len(before) == position
            after = global_sequence(steps_of(n, w2, global_batch // w2, min(position, n),
                                             drop_last))
            seen = before + [p for p in after if p < n]
            full = n // global_batch * global_batch
            assert seen == list(range(n if not drop_last else full)), (w1, w2, k)


def test_resume_with_single_samples_at_any_world_size():
    n = 37
    for w1, w2 in itertools.product(range(1, 9), repeat=2):
        first = steps_of(n, w1, None, 0, False)
        for k in range(len(first[0]) + 1):
            position = consumed_after(n, k, world_size=w1)
            before = [p for p in global_sequence([b[:k] for b in first]) if p < n]
            after = [p for p in global_sequence(steps_of(n, w2, None, position, False)) if p < n]
            assert before + after == list(range(n)), (w1, w2, k)


def test_consumed_after_counts_real_samples_only():
    # 13 samples, 3 ranks x 2: steps of 6, 6, then 1 real sample padded to 3
    assert [consumed_after(13, k, world_size=3, batch_size=2) for k in range(4)] == [0, 6, 12, 13]
    assert consumed_after(13, 3, world_size=3, batch_size=2, drop_last=True) == 12


def test_epoch_order_is_a_seeded_permutation():
    sizes = [5, 3, 7, 2, 6]
    a = epoch_order(sizes, seed=3, epoch=0)
    assert sorted(a.tolist()) == list(range(23))
    assert np.array_equal(a, epoch_order(sizes, seed=3, epoch=0))
    assert not np.array_equal(a, epoch_order(sizes, seed=3, epoch=1))
    assert not np.array_equal(a, epoch_order(sizes, seed=4, epoch=0))
    assert epoch_order(sizes, seed=3, epoch=0, shuffle=False).tolist() == list(range(23))


def test_epoch_order_keeps_windows_of_shards_together():
    sizes = [4] * 6
    order = epoch_order(sizes, seed=0, epoch=0, shuffle_window=2)
    shards = order // 4
    for w in range(3):  # each run of 8 positions comes from exactly 2 shards
        assert len(set(shards[w * 8:(w + 1) * 8].tolist())) == 2


@pytest.mark.parametrize("kwargs, match", [
    ({"world_size": 0}, "world_size"),
    ({"world_size": 2, "rank": 2}, "rank"),
    ({"batch_size": 0}, "batch_size"),
    ({"start": 14}, "start"),
])
def test_bad_layouts_are_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        list(rank_batches(13, **kwargs))
    with pytest.raises(ValueError, match="worker"):
        list(worker_batches(13, num_workers=2, worker=2))
