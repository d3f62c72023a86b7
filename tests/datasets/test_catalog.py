"""The catalog: the starter entries, registering, download_dataset / verify / remove."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

from triptych.datasets import (
    DOMAINS,
    DatasetInfo,
    DownloadError,
    OfflineError,
    Resource,
    dataset_info,
    dataset_path,
    dataset_status,
    download_dataset,
    list_datasets,
    register_dataset,
    register_dataset_class,
    remove_dataset,
    verify_dataset,
)
from triptych.registry import DATASETS

STARTER = ["ag_news", "cifar10", "cifar100", "fashion_mnist", "imdb", "librispeech", "mnist",
           "speech_commands", "wikitext2", "yesno"]


def test_starter_catalog_is_well_formed():
    assert set(STARTER) <= set(list_datasets())
    for name in list_datasets():
        info = dataset_info(name)
        assert isinstance(info, DatasetInfo) and info.domain in DOMAINS
        assert info.description and info.homepage
        files = info.resources("all")
        assert len({r.filename for r in files}) == len(files)
        for resource in files:
            assert len(resource.sha256) == 64 and int(resource.sha256, 16) >= 0
            assert resource.size is None or resource.size > 0
            # a file without a published size still has a bound on what a download may bring
            assert (resource.size or resource.max_size or 0) > 0, (name, resource.filename)
            for url in resource.urls:
                assert urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc


def test_list_by_domain():
    assert {"cifar10", "mnist", "fashion_mnist"} <= set(list_datasets("vision"))
    assert {"librispeech", "speech_commands", "yesno"} <= set(list_datasets("audio"))
    assert {"imdb", "wikitext2", "ag_news"} <= set(list_datasets("text"))
    assert not set(list_datasets("audio")) & set(list_datasets("text"))
    with pytest.raises(ValueError, match="domain"):
        list_datasets("video")


def test_splits_and_defaults():
    mnist = dataset_info("mnist")
    assert [r.filename for r in mnist.resources("test")] == ["t10k-images-idx3-ubyte.gz",
                                                             "t10k-labels-idx1-ubyte.gz"]
    assert len(mnist.resources()) == 4  # no default: every split
    assert [r.filename for r in dataset_info("librispeech").resources()] == ["dev-clean.tar.gz"]
    with pytest.raises(KeyError, match="no split 'valid'"):
        mnist.resources("valid")
    with pytest.raises(KeyError, match="did you mean 'mnist'"):
        dataset_info("mnsit")


def test_register_rejects_bad_records():
    good = Resource("a.txt", "https://example.org/a.txt", "a" * 64)
    with pytest.raises(ValueError, match="domain"):
        register_dataset("x-bad", domain="video", description="", resources=[good])
    with pytest.raises(ValueError, match="already registered"):
        register_dataset("mnist", domain="vision", description="", resources=[good])
    with pytest.raises(ValueError, match="64 hex"):
        Resource("a.txt", "https://example.org/a.txt", "not-a-hash")
    with pytest.raises(ValueError, match="two different files"):
        register_dataset("x-bad", domain="text", description="", resources={
            "a": [good], "b": [Resource("a.txt", "https://example.org/b", "b" * 64)]})
    assert "x-bad" not in DATASETS


# ---------------------------------------------------------------- a dataset on the loopback


def test_download_dataset_fetches_verifies_and_extracts(toy, tmp_path):
    folder = download_dataset(toy["name"], tmp_path, progress=False)
    assert folder == tmp_path / toy["name"] == dataset_path(toy["name"], tmp_path)
    for filename, data in toy["files"].items():
        assert (folder / filename).read_bytes() == data
    for member, data in toy["members"].items():
        assert (folder / "train" / member).read_bytes() == data  # <root>/<name>/<stem>/...
    assert (folder / "test-images").read_bytes() == toy["raw"]
    assert dataset_status(toy["name"], tmp_path) == "downloaded"
    assert verify_dataset(toy["name"], tmp_path) == dict.fromkeys(toy["files"], "ok")


def test_download_one_split_only(toy, tmp_path):
    download_dataset(toy["name"], tmp_path, splits="test", progress=False)
    assert dataset_status(toy["name"], tmp_path) == "partial"
    report = verify_dataset(toy["name"], tmp_path)
    assert report == {"train.tar.gz": "missing", "notes.csv": "ok", "test-images.gz": "ok"}
    assert verify_dataset(toy["name"], tmp_path, splits="test") == {
        "test-images.gz": "ok", "notes.csv": "ok"}


def test_verify_finds_corruption_and_download_repairs_it(toy, tmp_path):
    folder = download_dataset(toy["name"], tmp_path, progress=False)
    with open(folder / "notes.csv", "r+b") as f:
        f.write(b"X")
    assert verify_dataset(toy["name"], tmp_path)["notes.csv"] == "corrupt"
    download_dataset(toy["name"], tmp_path, progress=False)
    assert (folder / "notes.csv").read_bytes() == toy["files"]["notes.csv"]
    assert verify_dataset(toy["name"], tmp_path)["notes.csv"] == "ok"


def test_remove_dataset(toy, tmp_path):
    folder = download_dataset(toy["name"], tmp_path, progress=False)
    assert remove_dataset(toy["name"], tmp_path) >= sum(map(len, toy["files"].values()))
    assert not folder.exists()
    assert remove_dataset(toy["name"], tmp_path) == 0


def test_default_root_is_under_triptych_home(toy, tmp_path, monkeypatch):
    monkeypatch.setenv("TRIPTYCH_HOME", str(tmp_path / "home"))
    folder = download_dataset(toy["name"], splits="train", progress=False)
    assert folder == tmp_path / "home" / "datasets" / toy["name"]


def test_offline_error_names_the_dataset_and_the_command(toy, tmp_path, monkeypatch):
    monkeypatch.setenv("TRIPTYCH_OFFLINE", "1")
    monkeypatch.setattr(socket.socket, "connect", lambda *a: pytest.fail("network call"))
    with pytest.raises(OfflineError) as info:
        download_dataset(toy["name"], tmp_path, progress=False)
    message = str(info.value)
    assert f"dataset {toy['name']!r}" in message
    assert f"triptych datasets download {toy['name']} --root {tmp_path}" in message
    assert toy["server"].stats("files/train.tar.gz").requests == 0


def test_mirror_layout_is_the_cache_layout(toy, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    download_dataset(toy["name"], cache, progress=False)
    requests_before = toy["server"].stats("files/notes.csv").requests
    monkeypatch.setenv("TRIPTYCH_MIRROR", str(cache))  # a copy of someone's datasets folder
    monkeypatch.setenv("TRIPTYCH_OFFLINE", "1")
    folder = download_dataset(toy["name"], tmp_path / "elsewhere", progress=False)
    assert (folder / "notes.csv").read_bytes() == toy["files"]["notes.csv"]
    assert toy["server"].stats("files/notes.csv").requests == requests_before


def test_download_errors_name_the_dataset(toy, tmp_path):
    name = f"broken-{os.urandom(3).hex()}"
    register_dataset(name, domain="text", description="Points nowhere.", resources=[
        Resource("gone.txt", [toy["server"].url("nowhere/gone.txt")], "c" * 64)])
    try:
        with pytest.raises(DownloadError, match=rf"(?s)dataset '{name}'.*HTTP 404"):
            download_dataset(name, tmp_path, progress=False, retries=0)
    finally:
        DATASETS.unregister(name)


def test_dataset_class_can_be_attached_later(toy):
    class Toy:
        pass

    info = register_dataset_class(toy["name"], Toy)
    assert dataset_info(toy["name"]).load_class() is Toy
    assert info.to_dict()["dataset_class"].endswith("Toy")
    register_dataset_class(toy["name"], "collections:OrderedDict")
    assert dataset_info(toy["name"]).load_class().__name__ == "OrderedDict"


def test_a_resource_without_size_is_bounded_by_its_max_size(loopback_server, tmp_path):
    from loopback import Fault

    url = loopback_server.add_file("files/big.bin", b"x")
    loopback_server.add_fault("files/big.bin", Fault.endless())
    name = f"bounded-{os.urandom(3).hex()}"
    register_dataset(name, domain="text", description="Unbounded body.", homepage="https://x.org",
                     resources=[Resource("big.bin", [url], "0" * 64, max_size=1 << 16)])
    try:
        with pytest.raises(DownloadError, match="more than 65536 bytes"):
            download_dataset(name, tmp_path, progress=False, retries=0)
    finally:
        DATASETS.unregister(name)
    assert not [p for p in (tmp_path / name).iterdir() if p.name.endswith(".part")]


def test_each_domain_registers_its_own_entries(monkeypatch):
    import importlib.util
    import runpy

    from triptych.datasets import catalog
    from triptych.registry import Registry

    list_datasets()  # the real catalog is loaded: the runs below do not trigger it again
    for domain in DOMAINS:
        fresh = Registry("dataset")
        monkeypatch.setattr(catalog, "DATASETS", fresh)
        runpy.run_path(importlib.util.find_spec(f"triptych.{domain}.datasets._catalog").origin)
        names = list(fresh)
        assert names and {fresh.get(n).domain for n in names} == {domain}
        monkeypatch.undo()
        assert names == list_datasets(domain)


def test_catalog_needs_neither_torch_nor_the_extras():
    import subprocess
    import sys

    code = ("import sys\n"
            "for blocked in ('torch', 'PIL', 'soundfile', 'sentencepiece', 'numpy'):\n"
            "    sys.modules[blocked] = None  # any import of it fails\n"
            "from triptych.datasets import list_datasets\n"
            "print(len(list_datasets('vision')), len(list_datasets('audio')), "
            "len(list_datasets('text')))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    counts = [int(n) for n in done.stdout.split()]
    assert counts == [len(list_datasets(d)) for d in DOMAINS] and min(counts) > 0
