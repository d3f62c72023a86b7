"""SyntheticText: deterministic, learnable, a plain map-style dataset."""

from __future__ import annotations

import random
from collections import Counter, defaultdict

import pytest
from torch.utils.data import DataLoader

from triptych.text.datasets import SyntheticText


def test_samples_are_deterministic_and_split_dependent():
    seed = random.randrange(2**31)
    a, b = SyntheticText(50, seed=seed), SyntheticText(50, seed=seed)
    assert [a[i] for i in range(50)] == [b[i] for i in range(50)]
    assert a[-1] == a[49]
    test = SyntheticText(50, split="test", seed=seed)
    assert [a[i][0] for i in range(50)] != [test[i][0] for i in range(50)]
    with pytest.raises(IndexError):
        a[50]


def test_labels_cover_the_classes_and_a_word_count_model_learns_them():
    train, test = SyntheticText(2000, seed=1), SyntheticText(500, split="test", seed=1)
    assert set(Counter(label for _, label in train)) == {0, 1, 2, 3}
    counts: dict[str, Counter] = defaultdict(Counter)
    for text, label in train:
        for w in text.lower().strip(".!?").split():
            counts[w][label] += 1

    def predict(text: str) -> int:
        score = Counter()
        for w in text.lower().strip(".!?").split():
            total = sum(counts[w].values()) or 1
            for label, c in counts[w].items():
                score[label] += c / total
        return score.most_common(1)[0][0]

    accuracy = sum(predict(t) == y for t, y in test) / len(test)
    assert accuracy > 0.8  # chance is 0.25


def test_transforms_dataloader_and_bad_arguments():
    ds = SyntheticText(8, num_classes=2, transform=str.split, target_transform=lambda y: y * 10)
    tokens, target = ds[0]
    assert isinstance(tokens, list) and target in (0, 10)
    batches = list(DataLoader(SyntheticText(8), batch_size=4, num_workers=0))
    assert len(batches) == 2 and len(batches[0][0]) == 4
    for bad in ({"num_classes": 5}, {"noise": 1.0}, {"num_samples": -1}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            SyntheticText(**bad)
    with pytest.raises(ValueError, match="split"):
        SyntheticText(split="valid")
