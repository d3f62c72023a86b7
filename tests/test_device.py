"""triptych.device: default device, to_device over containers, reproducible worker seeds."""

from __future__ import annotations

import dataclasses
import random
from collections import OrderedDict, namedtuple

import numpy as np
import pytest
import torch

from triptych.device import default_device, derive_seed, to_device, worker_init_fn


def test_default_device_respects_override(monkeypatch):
    monkeypatch.setenv("TRIPTYCH_DEVICE", "cpu")
    assert default_device() == torch.device("cpu")
    monkeypatch.setenv("TRIPTYCH_DEVICE", "meta")
    assert default_device() == torch.device("meta")


def test_default_device_rejects_nonsense(monkeypatch):
    monkeypatch.setenv("TRIPTYCH_DEVICE", "not-a-device")
    with pytest.raises(ValueError, match="TRIPTYCH_DEVICE"):
        default_device()


def test_default_device_without_override_is_best_available(monkeypatch):
    monkeypatch.delenv("TRIPTYCH_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    if expected == "cpu" and torch.backends.mps.is_available():
        expected = "mps"
    assert default_device().type == expected


Pair = namedtuple("Pair", ["left", "right"])


@dataclasses.dataclass
class Batch:
    image: torch.Tensor
    names: list
    step: int = 0
    cache: dict = dataclasses.field(default_factory=dict, init=False)


def test_to_device_walks_nested_containers():
    sample = OrderedDict(
        a=torch.ones(2),
        b=[torch.zeros(1), ("x", torch.arange(3))],
        c=Pair(torch.ones(1), 5),
        d=Batch(torch.ones(2, 2), ["n"], step=3),
    )
    moved = to_device(sample, "meta")
    assert type(moved) is OrderedDict
    assert moved["a"].device.type == "meta"
    assert moved["b"][0].device.type == "meta" and moved["b"][1][0] == "x"
    assert isinstance(moved["b"][1], tuple) and moved["b"][1][1].device.type == "meta"
    assert isinstance(moved["c"], Pair) and moved["c"].left.device.type == "meta" and moved["c"].right == 5
    assert isinstance(moved["d"], Batch) and moved["d"].image.device.type == "meta" and moved["d"].step == 3
    assert sample["a"].device.type == "cpu"  # the input is not modified


def test_to_device_defaults_to_default_device(monkeypatch):
    monkeypatch.setenv("TRIPTYCH_DEVICE", "meta")
    assert to_device(torch.ones(1)).device.type == "meta"


def test_derive_seed_is_deterministic_and_distinct():
    seeds = {derive_seed(7, "rank", r, "worker", w) for r in range(4) for w in range(8)}
    assert len(seeds) == 32
    assert derive_seed(7, "rank", 1) == derive_seed(7, "rank", 1)
    assert all(0 <= s < 2**63 for s in seeds)


def _draws():
    return random.random(), float(np.random.rand()), float(torch.rand(()))


def test_worker_init_fn_seeds_per_worker_and_rank(monkeypatch):
    init = worker_init_fn(1234)
    monkeypatch.setenv("RANK", "0")
    init(0)
    first = _draws()
    init(0)
    assert _draws() == first  # reproducible
    init(1)
    other_worker = _draws()
    monkeypatch.setenv("RANK", "1")
    init(0)
    other_rank = _draws()
    assert len({first, other_worker, other_rank}) == 3


class RandomNumbers(torch.utils.data.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, index):
        return torch.tensor([random.random(), float(np.random.rand()), float(torch.rand(()))])


def _draw_from_loader(base_seed: int):
    from torch.utils.data import DataLoader

    loader = DataLoader(
        RandomNumbers(), batch_size=2, num_workers=2, worker_init_fn=worker_init_fn(base_seed),
        generator=torch.Generator().manual_seed(base_seed), multiprocessing_context="fork",
    )
    return torch.cat(list(loader))


def test_dataloader_with_workers_is_reproducible():
    a, b = _draw_from_loader(5), _draw_from_loader(5)
    torch.testing.assert_close(a, b)
    assert not torch.equal(a[0], a[2])  # the two workers drew different numbers


def test_forced_device_that_is_not_available_warns(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("TRIPTYCH_DEVICE", "cuda")
    with pytest.warns(RuntimeWarning, match="TRIPTYCH_DEVICE='cuda', but CUDA is not available"):
        assert default_device() == torch.device("cuda")


def test_nonsense_device_says_what_to_use(monkeypatch):
    monkeypatch.setenv("TRIPTYCH_DEVICE", "bogus")
    with pytest.raises(ValueError, match="use e.g. cpu, cuda, cuda:1 or mps"):
        default_device()
