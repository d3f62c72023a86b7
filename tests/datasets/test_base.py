"""triptych.datasets.Dataset: the base of dataset classes, against the loopback server."""

from __future__ import annotations

import hashlib
import os

import pytest
import torch

from triptych.datasets import Dataset, OfflineError, Resource
from triptych.transforms import Compose, Lambda


def make_class(server, *, name="pairs", with_resources=True):
    rows = {"train": [(i, i % 3) for i in range(int.from_bytes(os.urandom(1)) % 20 + 5)],
            "test": [(100 + i, i % 2) for i in range(4)]}
    resources = {}
    for split, pairs in rows.items():
        data = "".join(f"{a},{b}\n" for a, b in pairs).encode()
        url = server.add_file(f"{name}/{split}.csv", data)
        resources[split] = [Resource(f"{split}.csv", url, hashlib.sha256(data).hexdigest(),
                                     size=len(data))]

    class Pairs(Dataset):
        def __init__(self, root=None, *, split="train", **kwargs):
            super().__init__(root, split=split, **kwargs)
            lines = (self.folder / f"{split}.csv").read_text().split()
            self.rows = [tuple(map(int, line.split(","))) for line in lines]

        def __len__(self):
            return len(self.rows)

        def __getitem__(self, index):
            value, label = self.rows[index]
            return self.apply_transforms(torch.tensor(float(value)), label)

    Pairs.name = name
    Pairs.resources = resources if with_resources else None
    return Pairs, rows


def test_download_read_and_transform(loopback_server, tmp_path):
    Pairs, rows = make_class(loopback_server)
    ds = Pairs(tmp_path, split="test", download=True, transform=lambda x: x * 2,
               target_transform=lambda y: y + 10)
    assert ds.folder == tmp_path / "pairs"
    assert sorted(p.name for p in ds.folder.iterdir() if not p.name.startswith(".")) == ["test.csv"]
    assert len(ds) == len(rows["test"])
    for i, (value, label) in enumerate(rows["test"]):
        x, y = ds[i]
        assert x.item() == 2 * value and y == label + 10
    train = Pairs(tmp_path, download=True)  # the other split: its own file
    assert [(int(x.item()), y) for x, y in (train[i] for i in range(len(train)))] == rows["train"]
    assert loopback_server.stats("pairs/test.csv").requests == 1


def test_missing_files_say_how_to_get_them(loopback_server, tmp_path):
    Pairs, _ = make_class(loopback_server)
    with pytest.raises(RuntimeError, match=r"train.csv not found in .*pairs; pass download=True"):
        Pairs(tmp_path)
    assert loopback_server.stats("pairs/train.csv").requests == 0


def test_files_come_from_the_catalog_entry(toy, tmp_path):
    class Toy(Dataset):
        name = toy["name"]

        def __len__(self):
            return 1

    ds = Toy(tmp_path, split="test", download=True)
    assert [r.filename for r in ds.files()] == ["test-images.gz", "notes.csv"]
    assert (ds.folder / "test-images").read_bytes() == toy["raw"]  # extracted
    with pytest.raises(RuntimeError, match=f"triptych datasets download {toy['name']} --root"):
        Toy(tmp_path, split="train")


def test_offline_error_names_the_dataset(loopback_server, tmp_path, monkeypatch):
    Pairs, _ = make_class(loopback_server)
    monkeypatch.setenv("TRIPTYCH_OFFLINE", "1")
    with pytest.raises(OfflineError, match="dataset 'pairs' is not available offline"):
        Pairs(tmp_path, download=True)


def test_bad_arguments_are_clear_errors(loopback_server, tmp_path):
    Pairs, _ = make_class(loopback_server)
    with pytest.raises(ValueError, match="split must be one of 'train', 'test', got 'val'"):
        Pairs(tmp_path, split="val")
    with pytest.raises(TypeError, match="transform must be callable or None, got str"):
        Pairs(tmp_path, transform="flip")

    class Nameless(Dataset):
        resources = Pairs.resources

    with pytest.raises(TypeError, match="must set the class attribute `name`"):
        Nameless(tmp_path)


def test_repr_shows_size_root_split_and_transforms(loopback_server, tmp_path):
    Pairs, rows = make_class(loopback_server)
    transform = Compose([Lambda(lambda x: x + 1), Lambda(lambda x: x * 3)])
    ds = Pairs(tmp_path, split="train", download=True, transform=transform)
    lines = repr(ds).splitlines()
    assert lines[:4] == ["Dataset Pairs", f"    Number of datapoints: {len(rows['train'])}",
                         f"    Root location: {tmp_path / 'pairs'}", "    Split: train"]
    assert lines[4] == "    Transform: " + repr(transform).splitlines()[0]
    assert len(lines) == 4 + len(repr(transform).splitlines())
    assert "Target transform" not in repr(ds)


def test_works_with_a_dataloader(loopback_server, tmp_path):
    Pairs, rows = make_class(loopback_server)
    ds = Pairs(tmp_path, split="test", download=True)
    batch = next(iter(torch.utils.data.DataLoader(ds, batch_size=len(ds))))
    assert batch[0].tolist() == [float(v) for v, _ in rows["test"]]
