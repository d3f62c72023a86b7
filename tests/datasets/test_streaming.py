"""ShardWriter and StreamingDataset in one process (ranks simulated with $RANK/$WORLD_SIZE)."""

from __future__ import annotations

import hashlib
import json
import os
import tarfile

import numpy as np
import pytest
import torch

from triptych.datasets import (
    ShardWriter,
    StreamingDataLoader,
    StreamingDataset,
    read_index,
    sha256_file,
)
from triptych.datasets import _verify as triptych_verify
from triptych.datasets.shards import iter_shard


def write_shards(folder, n=23, per_shard=5):
    with ShardWriter(folder, samples_per_shard=per_shard) as writer:
        for i in range(n):
            writer.write({"__key__": f"s{i:04d}", "x": torch.full((2,), float(i)), "y": i})
    return folder


@pytest.fixture
def shards(tmp_path):
    return write_shards(tmp_path / "shards")


def as_rank(monkeypatch, rank, world):
    monkeypatch.setenv("RANK", str(rank))
    monkeypatch.setenv("WORLD_SIZE", str(world))


def ids(batches):
    return [i for b in batches for i in torch.as_tensor(b["__index__"]).reshape(-1).tolist()]


def reference(folder, **kwargs):
    """The world-size-1 sequence of sample indices."""
    return ids(StreamingDataset(folder, **kwargs))


# -- ShardWriter ------------------------------------------------------------------------------


def test_writer_round_trip_every_kind(tmp_path):
    image = torch.arange(12, dtype=torch.uint8).reshape(3, 2, 2)
    with ShardWriter(tmp_path) as writer:
        writer.write({"img": image, "arr": np.eye(2), "raw": b"\x00\xff", "txt": "héllo",
                      "cls": 7, "w": 0.25})
    index = read_index(tmp_path)
    assert index["fields"] == {"img": "npy", "arr": "npy", "raw": "bytes", "txt": "str",
                               "cls": "int", "w": "float"}
    shard = tmp_path / index["shards"][0]["name"]
    assert index["shards"][0]["sha256"] == sha256_file(shard)
    assert index["shards"][0]["size"] == shard.stat().st_size
    with tarfile.open(shard) as tar:  # plain tar in the webdataset layout
        assert tar.getnames() == [f"000000000.{f}" for f in ("img", "arr", "raw", "txt", "cls", "w")]
        assert tar.extractfile("000000000.cls").read() == b"7"
    (sample,) = iter_shard(shard, index["fields"])
    assert torch.equal(sample["img"], image) and sample["img"].dtype == torch.uint8
    assert torch.equal(sample["arr"], torch.eye(2, dtype=torch.float64))
    assert (sample["raw"], sample["txt"], sample["cls"], sample["w"]) == (b"\x00\xff", "héllo", 7, 0.25)


def test_writer_splits_by_count_and_by_bytes(tmp_path):
    write_shards(tmp_path / "a", n=11, per_shard=4)
    assert [s["num_samples"] for s in read_index(tmp_path / "a")["shards"]] == [4, 4, 3]
    with ShardWriter(tmp_path / "b", max_shard_bytes=30_000) as writer:
        for i in range(10):
            writer.write({"data": bytes(3000), "i": i})
    index = read_index(tmp_path / "b")
    assert len(index["shards"]) > 1 and index["num_samples"] == 10
    assert all(s["size"] <= 30_000 for s in index["shards"])


@pytest.mark.parametrize("sample, match", [
    ({"x": [1, 2]}, "field 'x'.*list"),
    ({"x": object()}, "field 'x'"),
    ({"x": True}, "bool"),
    ({"x": np.array([object()])}, "pickle"),
    ({"__key__": "a.b", "x": 1}, "key"),
    ({"bad/name": 1}, "field name"),
    ({}, "non-empty"),
])
def test_writer_rejects_bad_samples(tmp_path, sample, match):
    writer = ShardWriter(tmp_path)
    with pytest.raises((TypeError, ValueError), match=match):
        writer.write(sample)


def test_writer_rejects_changed_fields_and_duplicate_keys(tmp_path):
    writer = ShardWriter(tmp_path)
    writer.write({"__key__": "a", "x": 1})
    with pytest.raises(ValueError, match="same fields"):
        writer.write({"__key__": "b", "x": "one"})
    with pytest.raises(ValueError, match="unique"):
        writer.write({"__key__": "a", "x": 2})
    writer.close()
    with pytest.raises(FileExistsError, match="index.json"):
        ShardWriter(tmp_path)


def test_writer_leaves_nothing_when_the_block_fails(tmp_path):
    with pytest.raises(RuntimeError), ShardWriter(tmp_path, samples_per_shard=2) as writer:
        for i in range(5):
            writer.write({"x": i})
        raise RuntimeError("conversion failed")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("array", [
    np.arange(24, dtype=np.int16).reshape(2, 3, 4),
    np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    np.array(3.5, dtype=np.float32),
    np.zeros((0, 4), dtype=np.uint8),
    np.array([True, False]),
])
def test_npy_loader_matches_numpy(array):
    import io

    from triptych.datasets.shards import _load_npy

    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    for _ in range(2):  # the second time, from the header cache
        loaded = _load_npy(buffer.getvalue())
        assert loaded.dtype == array.dtype and loaded.shape == array.shape
        assert np.array_equal(loaded, array) and loaded.flags.writeable


@pytest.mark.parametrize("tar_format", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT])
def test_reader_takes_any_tar_in_the_layout(tmp_path, tar_format):
    """Shards made by other tools (pax/GNU headers, long keys) read like ours."""
    import io

    from triptych.datasets.shards import ShardReader

    key = "k" * 120  # longer than a ustar name field
    path = tmp_path / "other.tar"
    with tarfile.open(path, "w", format=tar_format) as tar:
        for i in range(3):
            for field, data in (("txt", f"t{i}".encode()), ("cls", str(i).encode())):
                info = tarfile.TarInfo(f"{key}{i}.{field}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    reader = ShardReader(path, {"txt": "str", "cls": "int"}, 3)
    assert [reader[i]["cls"] for i in range(3)] == [0, 1, 2]
    assert reader[2] == {"__key__": f"{key}2", "txt": "t2", "cls": 2}
    reader.close()


def test_reader_rejects_a_shard_that_does_not_match_its_index(shards):
    from triptych.datasets.shards import ShardReader

    index = read_index(shards)
    first = index["shards"][0]
    with pytest.raises(ValueError, match="index.json says 6"):
        ShardReader(shards / first["name"], index["fields"], 6)
    garbage = shards / "garbage.tar"
    garbage.write_bytes(os.urandom(4096))
    with pytest.raises(ValueError, match="not a readable tar shard"):
        ShardReader(garbage, index["fields"], 1)


# -- StreamingDataset: order, partition, padding ----------------------------------------------


@pytest.mark.parametrize("world, workers", [(2, 2), (3, 1)])
def test_ranks_and_workers_slice_the_one_global_order(shards, monkeypatch, world, workers):
    batch = 2
    expected = reference(shards, seed=5, batch_size=batch * world)
    per_rank = []
    for rank in range(world):
        as_rank(monkeypatch, rank, world)
        loader = StreamingDataLoader(StreamingDataset(shards, seed=5, batch_size=batch),
                                     num_workers=workers)
        per_rank.append([(b["__index__"].tolist(), b["__pad__"].tolist()) for b in loader])
    assert len({len(r) for r in per_rank}) == 1  # the same number of batches on every rank
    merged = [(i, p) for step in zip(*per_rank) for ids_, pads in step for i, p in zip(ids_, pads)]
    assert [i for i, pad in merged if not pad] == expected
    assert sum(pad for _, pad in merged) <= world - 1


@pytest.mark.parametrize("pin", [False, True] if torch.cuda.is_available() else [False])
def test_loader_workers_give_the_batches_of_the_main_process(shards, monkeypatch, pin):
    as_rank(monkeypatch, 2, 3)  # this rank's last batch is padded
    in_main = list(StreamingDataLoader(StreamingDataset(shards, seed=4, batch_size=3)))
    workers = list(StreamingDataLoader(StreamingDataset(shards, seed=4, batch_size=3),
                                       num_workers=2, pin_memory=pin))
    assert len(workers) == len(in_main) and any(b["__pad__"].any() for b in workers)
    for got, want in zip(workers, in_main):
        assert list(got) == list(want)  # the same fields in the same order
        for field in ("__index__", "__pad__", "x", "y"):
            assert type(got[field]) is torch.Tensor and got[field].dtype == want[field].dtype
            assert torch.equal(got[field], want[field])
        assert got["__key__"] == want["__key__"]


def test_order_changes_with_epoch_and_seed_only(shards):
    ds = StreamingDataset(shards, seed=1)
    first = ids(ds)
    ds.set_epoch(1)
    second = ids(ds)
    assert sorted(first) == sorted(second) == list(range(23)) and first != second
    assert ids(StreamingDataset(shards, seed=1)) == first
    assert ids(StreamingDataset(shards, seed=2)) != first


def test_evaluation_marks_padding_and_counts_each_sample_once(shards, monkeypatch):
    world, seen = 3, []
    for rank in range(world):
        as_rank(monkeypatch, rank, world)
        batches = list(StreamingDataset(shards, shuffle=False, batch_size=4))
        assert len(batches) == 2  # 23 = 12 + 11, the last global batch padded to 12
        seen += [i for b in batches for i, pad in zip(b["__index__"].tolist(),
                                                      b["__pad__"].tolist()) if not pad]
    assert sorted(seen) == list(range(23))


def test_drop_last_gives_full_batches_only(shards, monkeypatch):
    as_rank(monkeypatch, 1, 2)
    batches = list(StreamingDataset(shards, batch_size=4, drop_last=True))
    assert [len(b["y"]) for b in batches] == [4, 4]
    with pytest.raises(ValueError, match="no batch"):
        list(StreamingDataset(shards, batch_size=12, drop_last=True))


def test_fewer_shards_than_ranks_times_workers(tmp_path, monkeypatch):
    folder = write_shards(tmp_path / "one", n=3, per_shard=100)  # 1 shard, 3 samples
    world, seen = 2, []
    for rank in range(world):
        as_rank(monkeypatch, rank, world)
        loader = StreamingDataLoader(StreamingDataset(folder, seed=0), num_workers=2)
        seen += [int(s["__index__"]) for s in loader if not s["__pad__"]]
    assert sorted(seen) == list(range(3))


# -- state ------------------------------------------------------------------------------------


@pytest.mark.parametrize("num_workers", [0, 2])
def test_resume_after_any_step(shards, num_workers):
    kwargs = {"seed": 3, "batch_size": 3}
    expected = reference(shards, **kwargs)
    steps = len(StreamingDataset(shards, **kwargs))
    for k in range(steps + 1):
        loader = StreamingDataLoader(StreamingDataset(shards, **kwargs), num_workers=num_workers)
        before = []
        for step, batch in enumerate(loader) if k else ():
            before += batch["__index__"].tolist()
            if step + 1 == k:
                break
        state = json.loads(json.dumps(loader.state_dict()))  # what a checkpoint holds
        assert len(json.dumps(state)) < 4096
        resumed = StreamingDataLoader(StreamingDataset(shards, **kwargs), num_workers=num_workers)
        resumed.load_state_dict(state)
        resumed.set_epoch(0)  # a training loop's call; keeps the loaded position
        after = [i for b in resumed for i in b["__index__"].tolist()]
        assert before + after == expected, k
        if num_workers and k == 2:  # only spot-check the costly worker start-ups
            break


def test_state_counts_consumed_batches_not_prefetched_ones(shards):
    loader = StreamingDataLoader(StreamingDataset(shards, batch_size=2), num_workers=2,
                                 prefetch_factor=4)
    iterator = iter(loader)
    next(iterator)
    assert loader.state_dict()["position"] == 2
    del iterator


def test_resume_across_world_sizes_2_1_3(shards, monkeypatch):
    expected = reference(shards, seed=9, batch_size=6)
    seen = []

    def run(world, steps, state):
        per_rank, new_state = [], None
        for rank in range(world):
            as_rank(monkeypatch, rank, world)
            ds = StreamingDataset(shards, seed=9, batch_size=6 // world)
            if state is not None:
                ds.load_state_dict(state)
            batches = []
            for step, b in enumerate(ds):
                batches.append(b)
                if step + 1 == steps:
                    break
            per_rank.append(batches)
            new_state = new_state or ds.state_dict()
        for step in zip(*per_rank):
            seen.extend(i for b in step for i, p in zip(b["__index__"].tolist(),
                                                        b["__pad__"].tolist()) if not p)
        return new_state

    state = run(2, 1, None)
    state = run(1, 2, state)
    run(3, None, state)
    assert seen == expected


def test_next_iteration_after_a_finished_epoch_is_the_next_epoch(shards):
    ds = StreamingDataset(shards, seed=4)
    first = ids(ds)
    assert ds.state_dict()["position"] == 23
    second = ids(ds)
    assert ds.epoch == 1 and sorted(second) == list(range(23)) and second != first


@pytest.mark.parametrize("change, match", [
    ({"seed": 1}, "seed=0"),
    ({"shuffle": False}, "shuffle=True"),
    ({"batch_size": 3}, "global batch was 4.*batch_size=4"),
    ({"batch_size": None}, "batch_size"),
])
def test_changes_that_would_break_the_order_are_refused(shards, change, match):
    ds = StreamingDataset(shards, batch_size=4)
    next(iter(ds))
    state = ds.state_dict()
    kwargs = {"batch_size": 4, **change}
    with pytest.raises(ValueError, match=match):
        StreamingDataset(shards, **kwargs).load_state_dict(state)


def test_world_size_that_cannot_keep_the_global_batch_is_refused(shards, monkeypatch):
    state = StreamingDataset(shards, batch_size=2).state_dict()  # global batch 2
    as_rank(monkeypatch, 0, 3)
    with pytest.raises(ValueError, match="world size that divides 2"):
        StreamingDataset(shards, batch_size=1).load_state_dict(state)


def test_state_of_another_dataset_is_refused(shards, tmp_path):
    state = StreamingDataset(shards).state_dict()
    other = write_shards(tmp_path / "other", n=23, per_shard=6)
    with pytest.raises(ValueError, match="another dataset"):
        StreamingDataset(other).load_state_dict(state)


def test_loader_refuses_options_of_the_dataset(shards):
    with pytest.raises(ValueError, match="batch_size= belongs to the StreamingDataset"):
        StreamingDataLoader(StreamingDataset(shards), batch_size=4)
    with pytest.raises(ValueError, match="persistent_workers"):
        StreamingDataLoader(StreamingDataset(shards), num_workers=1, persistent_workers=True)


def test_transform_sees_each_sample(shards):
    ds = StreamingDataset(shards, shuffle=False, batch_size=5,
                          transform=lambda s: {"y2": s["y"] * 2, "__index__": s["__index__"]})
    assert next(iter(ds))["y2"].tolist() == [0, 2, 4, 6, 8]


# -- remote sources and the cache -------------------------------------------------------------


def serve(loopback_server, folder, prefix="ds"):
    for name in os.listdir(folder):
        loopback_server.add_file(f"{prefix}/{name}", (folder / name).read_bytes())
    return f"{loopback_server.base_url}/{prefix}"


def test_http_source_fetches_each_shard_once(shards, loopback_server, tmp_path, monkeypatch):
    url = serve(loopback_server, shards)
    cache = tmp_path / "cache"
    expected = reference(shards, seed=2)
    assert ids(StreamingDataset(url, seed=2, cache_dir=cache)) == expected
    loader = StreamingDataLoader(StreamingDataset(url, seed=2, cache_dir=cache), num_workers=2)
    assert [int(s["__index__"]) for s in loader] == expected
    for shard in read_index(shards)["shards"]:
        assert loopback_server.stats(f"ds/{shard['name']}").requests == 1
    monkeypatch.setenv("TRIPTYCH_OFFLINE", "1")  # the index and the shards are cached
    assert ids(StreamingDataset(url, seed=2, cache_dir=cache)) == expected


def test_cache_limit_evicts_least_recently_used(shards, loopback_server, tmp_path):
    url = serve(loopback_server, shards)
    cache = tmp_path / "cache"
    index = read_index(shards)
    limit = 2 * max(s["size"] for s in index["shards"])
    ds = StreamingDataset(url, shuffle=False, cache_dir=cache, cache_limit=limit)
    assert ids(ds) == list(range(23))
    kept = [s for s in index["shards"] if (cache / s["name"]).exists()]
    assert sum(s["size"] for s in kept) <= limit
    assert kept[-1]["name"] == index["shards"][-1]["name"]  # the one read last stays
    with pytest.raises(ValueError, match="cache_limit"):
        StreamingDataset(url, cache_dir=cache, cache_limit=10)


def test_cached_shards_are_read_without_rehashing(shards, loopback_server, tmp_path,
                                                 monkeypatch):
    url = serve(loopback_server, shards)
    cache = tmp_path / "cache"
    expected = ids(StreamingDataset(url, seed=3, cache_dir=cache))  # downloads and verifies
    names = [s["name"] for s in read_index(shards)["shards"]]
    mtimes = {name: (cache / name).stat().st_mtime_ns for name in names}
    hashed = []
    real = triptych_verify.sha256_file
    monkeypatch.setattr(triptych_verify, "sha256_file", lambda p, **k: hashed.append(p) or real(p))
    for _ in range(2):  # every shard is opened again in each pass
        assert ids(StreamingDataset(url, seed=3, cache_dir=cache)) == expected
    assert hashed == []  # the verification record still matches: no shard is hashed again
    assert {name: (cache / name).stat().st_mtime_ns for name in names} == mtimes


def test_leftovers_of_a_killed_download_do_not_block(shards, loopback_server, tmp_path):
    url = serve(loopback_server, shards)
    cache = tmp_path / "cache"
    cache.mkdir()
    first = read_index(shards)["shards"][0]
    # what a rank killed mid-transfer leaves: its lock file and a partial temp file
    (cache / f".{first['name']}.lock").write_text("otherhost 1\n")
    (cache / f".{first['name']}.{first['sha256'][:16]}.host.999999.abcd.part").write_bytes(b"x")
    ds = StreamingDataset(url, shuffle=False, cache_dir=cache)
    assert ids(ds) == list(range(23))
    assert hashlib.sha256((cache / first["name"]).read_bytes()).hexdigest() == first["sha256"]


def test_corrupt_shard_on_the_server_is_an_error(shards, loopback_server, tmp_path):
    url = serve(loopback_server, shards)
    name = read_index(shards)["shards"][0]["name"]
    data = bytearray((shards / name).read_bytes())
    data[600] ^= 0xFF  # inside the first member
    loopback_server.add_file(f"ds/{name}", bytes(data))
    with pytest.raises(Exception, match="sha256"):
        ids(StreamingDataset(url, shuffle=False, cache_dir=tmp_path / "cache"))


def test_fsspec_source(shards, tmp_path):
    fsspec = pytest.importorskip("fsspec")
    fs = fsspec.filesystem("memory")
    for name in os.listdir(shards):
        fs.pipe_file(f"/streamtest/{name}", (shards / name).read_bytes())
    ds = StreamingDataset("memory://streamtest", seed=1, cache_dir=tmp_path / "cache")
    assert ids(ds) == reference(shards, seed=1)


def test_missing_index_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="ShardWriter"):
        StreamingDataset(tmp_path)


# -- converting a catalog dataset -------------------------------------------------------------


@pytest.fixture
def pairs_dataset(tmp_path):
    from triptych.datasets import Dataset, Resource, register_dataset
    from triptych.registry import DATASETS

    name = f"pairs-{os.urandom(3).hex()}"
    data = b"0 1 2 3 4\n"
    (tmp_path / "root" / name).mkdir(parents=True)
    (tmp_path / "root" / name / "pairs.txt").write_bytes(data)

    class Pairs(Dataset):
        def __len__(self):
            return len(self._values())

        def __getitem__(self, i):
            value = int(self._values()[i])
            return torch.full((2,), value), value % 2

        def _values(self):
            return (self.folder / "pairs.txt").read_text().split()

    Pairs.name = name
    register_dataset(name, domain="vision", description="pairs for a test",
                     resources={"train": [Resource("pairs.txt", "https://example.org/pairs.txt",
                                                   hashlib.sha256(data).hexdigest())]},
                     dataset_class=Pairs)
    yield name, tmp_path / "root"
    DATASETS.unregister(name)


def test_shard_dataset_converts_a_catalog_dataset(pairs_dataset, tmp_path):
    from triptych.datasets.shards import shard_dataset

    name, root = pairs_dataset
    index = shard_dataset(name, root, tmp_path / "out", samples_per_shard=2)
    assert index["fields"] == {"input": "npy", "target": "int"}
    samples = list(StreamingDataset(tmp_path / "out", shuffle=False))
    assert [s["input"].tolist() for s in samples] == [[i, i] for i in range(5)]
    assert [s["target"] for s in samples] == [0, 1, 0, 1, 0]


def test_shard_dataset_without_a_reader_is_a_clear_error(tmp_path):
    from triptych.datasets import Resource, register_dataset
    from triptych.datasets.shards import shard_dataset
    from triptych.registry import DATASETS

    name = f"files-only-{os.urandom(3).hex()}"
    register_dataset(name, domain="text", description="files only",
                     resources=[Resource("a.txt", "https://example.org/a.txt", "0" * 64)])
    try:
        with pytest.raises(ValueError, match="no reader class"):
            shard_dataset(name, tmp_path, tmp_path / "out")
    finally:
        DATASETS.unregister(name)


def test_cli_shard(pairs_dataset, tmp_path, capsys):
    from triptych.cli import main

    name, root = pairs_dataset
    assert main(["datasets", "shard", name, "--root", str(root), "--out", str(tmp_path / "o"),
                 "--samples-per-shard", "3"]) == 0
    assert "5 samples in 2 shards" in capsys.readouterr().out
    assert read_index(tmp_path / "o")["num_samples"] == 5
    assert main(["datasets", "shard", name, "--root", str(root),  # index.json exists now
                 "--out", str(tmp_path / "o")]) == 1
    assert "index.json exists" in capsys.readouterr().err
