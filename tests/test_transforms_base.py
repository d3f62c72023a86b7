"""triptych.transforms: containers, generators, fusers."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from triptych import transforms as T


def add(n):
    return T.Lambda(lambda x: x + n)


def test_compose_applies_in_order():
    pipeline = T.Compose([add(1), T.Lambda(lambda x: x * 10), add(2)])
    assert pipeline(torch.tensor(1)).item() == 22


def test_compose_accepts_plain_callables_and_checks_them():
    assert T.Compose([lambda x: x + 1])(1) == 2
    with pytest.raises(TypeError, match="not callable"):
        T.Compose([add(1), 3])
    with pytest.raises(TypeError, match="sequence"):
        T.Compose(add(1))


def test_random_apply_follows_probability_and_generator(seeded_generator):
    seed = int(seeded_generator.initial_seed())
    t = T.RandomApply([add(1)], p=0.3, generator=torch.Generator().manual_seed(seed))
    results = [t(torch.tensor(0)).item() for _ in range(2000)]
    assert 0.25 < sum(results) / len(results) < 0.35
    again = T.RandomApply([add(1)], p=0.3, generator=torch.Generator().manual_seed(seed))
    assert [again(torch.tensor(0)).item() for _ in range(2000)] == results
    assert T.RandomApply([add(1)], p=0.0)(torch.tensor(0)).item() == 0
    assert T.RandomApply([add(1)], p=1.0)(torch.tensor(0)).item() == 1
    with pytest.raises(ValueError, match="p must be"):
        T.RandomApply([add(1)], p=1.5)


def test_random_choice_uses_weights(seeded_generator):
    t = T.RandomChoice([add(1), add(2), add(3)], p=[0.0, 1.0, 3.0], generator=seeded_generator)
    picks = torch.tensor([t(torch.tensor(0)).item() for _ in range(2000)])
    assert not (picks == 1).any()
    assert 0.70 < (picks == 3).float().mean() < 0.80
    with pytest.raises(ValueError):
        T.RandomChoice([add(1)], p=[0.5, 0.5])


def test_random_order_applies_all_in_some_order(seeded_generator):
    t = T.RandomOrder([T.Lambda(lambda s: s + "a"), T.Lambda(lambda s: s + "b"), T.Lambda(lambda s: s + "c")],
                      generator=seeded_generator)
    seen = {t("") for _ in range(300)}
    assert seen == {"abc", "acb", "bac", "bca", "cab", "cba"}


class Double(T.Transform):
    def transform(self, sample, params):
        return sample * 2


class FusedDoubleTwice(T.Transform):
    def transform(self, sample, params):
        return sample * 4


def fuse_double_pairs(plan: list[nn.Module]):
    out, i, changed = [], 0, False
    while i < len(plan):
        if i + 1 < len(plan) and isinstance(plan[i], Double) and isinstance(plan[i + 1], Double):
            out.append(FusedDoubleTwice())
            i += 2
            changed = True
        else:
            out.append(plan[i])
            i += 1
    return out if changed else None


def test_registered_fuser_rewrites_the_plan_with_the_same_result():
    T.register_fuser(fuse_double_pairs)
    try:
        fused = T.Compose([Double(), Double(), add(1)])
        plain = T.Compose([Double(), Double(), add(1)], fuse=False)
        assert [type(m) for m in fused.plan] == [FusedDoubleTwice, T.Lambda]
        assert len(fused.transforms) == 3
        assert fused(torch.tensor(3)).item() == plain(torch.tensor(3)).item() == 13
        with pytest.raises(ValueError, match="already registered"):
            T.register_fuser(fuse_double_pairs)
    finally:
        T._FUSERS.remove(fuse_double_pairs)


def test_transform_is_a_module_with_generator():
    g = torch.Generator()
    t = T.RandomApply([add(1)], generator=g)
    assert isinstance(t, nn.Module) and t.generator is g
    assert "p=0.5" in repr(t)
