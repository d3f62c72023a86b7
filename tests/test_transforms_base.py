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


# --- the per-item base: flatten, select, draw once, p coin ------------------------------------


class Shift(T.Transform):
    """Adds one random draw to every selected tensor; records how often it drew."""

    def __init__(self, p=None, **kwargs):
        super().__init__(**kwargs)
        if p is not None:
            self.p = p
        self.draws = 0

    def make_params(self, info):
        self.draws += 1
        return {"shift": torch.randint(1, 100, (), generator=self.generator)}

    def transform(self, inpt, params):
        return inpt + params["shift"]


def test_transform_draws_once_and_applies_to_every_selected_item():
    t = Shift(generator=torch.Generator().manual_seed(0))
    out = t({"a": torch.zeros(2), "b": [torch.ones(1), "text"], "c": 3})
    assert t.draws == 1
    shift = out["a"][0]
    assert shift > 0 and torch.equal(out["a"], torch.full((2,), float(shift)))
    assert torch.equal(out["b"][0], 1 + torch.full((1,), float(shift)))
    assert out["b"][1] == "text" and out["c"] == 3


def test_transform_several_arguments_form_a_tuple_sample():
    a, b = Shift(generator=torch.Generator().manual_seed(0))(torch.zeros(1), torch.zeros(1))
    assert torch.equal(a, b) and a.item() > 0


def test_p_coin_skips_a_single_sample_before_drawing():
    never = Shift(p=0.0)
    x = torch.zeros(3)
    assert never(x) is x and never.draws == 0
    always = Shift(p=1.0)
    assert always(x).sum() > 0 and always.draws == 1


class BatchedShift(Shift):
    """A domain whose sample_info says a 2-D tensor is a batch of rows."""

    def sample_info(self, sample, inputs):
        info = super().sample_info(sample, inputs)
        info.batch = int(inputs[0].shape[0]) if inputs and inputs[0].ndim == 2 else None
        return info

    def transform(self, inpt, params):
        return T.apply_where(inpt, params.get("apply"), lambda rows: rows + params["shift"])


def test_p_coin_on_a_batch_gives_a_per_sample_apply_flag():
    seed = 1234
    t = BatchedShift(p=0.5, generator=torch.Generator().manual_seed(seed))
    out = t(torch.zeros(400, 2))
    g = torch.Generator().manual_seed(seed)
    shift = torch.randint(1, 100, (), generator=g)  # make_params draws first, then the coin
    apply = torch.rand(400, generator=g) < 0.5
    expected = torch.where(apply[:, None], shift.float(), 0.0).expand(400, 2)
    assert torch.equal(out, expected)
    assert 0.4 < apply.float().mean() < 0.6


def test_check_p():
    assert T.check_p(1) == 1.0
    with pytest.raises(ValueError, match="p must be in"):
        T.check_p(-0.1)


# --- kernel registry ------------------------------------------------------------------------


class Tagged(T.TypedTensor):
    _metadata = ("tag",)


class SubTagged(Tagged):
    pass


class Sticky(T.TypedTensor):
    _metadata = ("tag",)
    unwrap_for_kernels = False


def negate(inpt):
    return T.dispatch(negate, inpt)


@T.register_kernel(negate, torch.Tensor)
def _negate_tensor(x):
    assert type(x) is torch.Tensor  # typed tensors arrive unwrapped
    return -x


@T.register_kernel(negate, Sticky)
def _negate_sticky(x):
    assert type(x) is Sticky
    return T.wrap(-x.as_subclass(torch.Tensor), like=x, tag=x.tag + "!")


T.register_passthrough(negate, str)


def test_dispatch_unwraps_typed_tensors_and_rewraps_the_result():
    x = SubTagged._wrap(torch.tensor([1.0, 2.0]), tag="a")
    out = negate(x)
    assert type(out) is SubTagged and out.tag == "a"
    assert torch.equal(out.as_subclass(torch.Tensor), torch.tensor([-1.0, -2.0]))


def test_dispatch_follows_the_mro_and_typed_kernels_get_typed_tensors():
    assert T.lookup_kernel(negate, SubTagged) is _negate_tensor
    out = negate(Sticky._wrap(torch.tensor([3]), tag="s"))
    assert type(out) is Sticky and out.tag == "s!" and out.item() == -3


def test_passthrough_and_unsupported_types():
    assert negate("label") == "label"
    assert T.has_kernel(negate, str) and not T.has_kernel(negate, int)
    with pytest.raises(TypeError, match="negate does not support inputs of type int"):
        negate(3)


def test_registering_a_kernel_twice_is_an_error():
    with pytest.raises(ValueError, match="already has a kernel for Tensor"):
        T.register_kernel(negate, torch.Tensor)(lambda x: x)


def test_typed_tensor_keeps_metadata_through_clone_to_detach_only():
    x = Tagged._wrap(torch.ones(2), tag="t")
    for kept in (x.clone(), x.to(torch.float64), x.detach(), x.contiguous()):
        assert type(kept) is Tagged and kept.tag == "t"
    assert type(x + 1) is torch.Tensor
    assert type(T.unwrap(x)) is torch.Tensor
    assert T.rewrap(torch.zeros(2), x).tag == "t"
    assert type(T.rewrap(torch.zeros(2), torch.ones(2))) is torch.Tensor
    assert "tag=t" in repr(x)
