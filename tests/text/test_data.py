"""BucketBatchSampler and pad_collate."""

from __future__ import annotations

import random

import pytest
import torch
from torch.utils.data import DataLoader

from triptych.text.data import BucketBatchSampler, pad_collate


def test_bucket_batches_cover_every_index_once_and_are_length_sorted_per_pool():
    seed = random.randrange(2**32)
    lengths = [random.Random(seed + i).randrange(1, 200) for i in range(1003)]
    sampler = BucketBatchSampler(lengths, 16, bucket_size_multiplier=8, generator=torch.Generator().manual_seed(seed))
    batches = list(sampler)
    assert len(batches) == len(sampler)
    assert sorted(i for b in batches for i in b) == list(range(1003)), seed
    assert sorted(map(len, batches))[1:] == [16] * (len(batches) - 1)  # one pool has a short batch
    # Bucketing: the padding needed is far below what random batches need.
    def waste(bs):
        return sum(max(lengths[i] for i in b) * len(b) - sum(lengths[i] for i in b) for b in bs)
    shuffled = list(range(1003))
    random.Random(seed).shuffle(shuffled)
    random_batches = [shuffled[i:i + 16] for i in range(0, 1003, 16)]
    assert waste(batches) < waste(random_batches) / 4, seed


def test_bucket_sampler_is_reproducible_and_reshuffles():
    lengths = list(range(100))
    a = list(BucketBatchSampler(lengths, 4, bucket_size_multiplier=5, generator=torch.Generator().manual_seed(1)))
    b = list(BucketBatchSampler(lengths, 4, bucket_size_multiplier=5, generator=torch.Generator().manual_seed(1)))
    assert a == b
    sampler = BucketBatchSampler(lengths, 4, bucket_size_multiplier=5, generator=torch.Generator().manual_seed(1))
    assert list(sampler) != list(sampler)
    ordered = list(BucketBatchSampler(lengths, 4, shuffle=False))
    assert ordered[0] == [0, 1, 2, 3] and len(ordered) == 25


def test_bucket_sampler_drop_last_and_len():
    lengths = [1] * 23
    keep = BucketBatchSampler(lengths, 5, bucket_size_multiplier=2)
    drop = BucketBatchSampler(lengths, 5, bucket_size_multiplier=2, drop_last=True)
    assert len(keep) == len(list(keep)) == 5  # pools of 10, 10 and 3: 2 + 2 + 1 batches
    assert len(drop) == len(list(drop)) == 4
    assert all(len(b) == 5 for b in drop)
    with pytest.raises(ValueError, match="batch_size"):
        BucketBatchSampler(lengths, 0)


def test_pad_collate_and_dataloader():
    data = [([1, 2, 3], 0), ([4], 1), ([5, 6], 1)]
    out = pad_collate(data, padding_value=-1)
    assert out["input_ids"].tolist() == [[1, 2, 3], [4, -1, -1], [5, 6, -1]]
    assert out["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0], [1, 1, 0]]
    assert out["lengths"].tolist() == [3, 1, 2] and out["labels"].tolist() == [0, 1, 1]
    plain = pad_collate([torch.tensor([1, 2]), torch.tensor([3])])
    assert "labels" not in plain and plain["input_ids"].tolist() == [[1, 2], [3, 0]]
    loader = DataLoader(data, batch_sampler=BucketBatchSampler([3, 1, 2], 2, shuffle=False), collate_fn=pad_collate)
    assert [b["lengths"].tolist() for b in loader] == [[1, 2], [3]]
    with pytest.raises(ValueError, match="empty"):
        pad_collate([])
