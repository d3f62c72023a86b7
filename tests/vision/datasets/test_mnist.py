"""MNIST, FashionMNIST, KMNIST, EMNIST: tiny IDX files served under their real names."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import torch
from vision_files import idx, idx_gz, zip_archive

from triptych.vision import tensors
from triptych.vision.datasets import EMNIST, KMNIST, MNIST, FashionMNIST
from triptych.vision.datasets.mnist import read_idx


def digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, n).astype(np.uint8))


def mnist_files(train, test) -> dict[str, bytes]:
    return {"train-images-idx3-ubyte.gz": idx_gz(train[0]),
            "train-labels-idx1-ubyte.gz": idx_gz(train[1]),
            "t10k-images-idx3-ubyte.gz": idx_gz(test[0]),
            "t10k-labels-idx1-ubyte.gz": idx_gz(test[1])}


@pytest.mark.parametrize("cls", [MNIST, FashionMNIST, KMNIST])
def test_download_and_parse_both_splits(cls, serve, tmp_path):
    train, test = digits(5, 0), digits(3, 1)
    server = serve(cls, mnist_files(train, test))
    ds = cls(tmp_path, train=False, download=True)
    assert server.stats(f"{cls.name}/train-images-idx3-ubyte.gz").requests == 0  # test only
    assert len(ds) == 3 and len(ds.classes) == 10 and not ds.train
    for i in range(3):
        image, label = ds[i]
        assert isinstance(image, tensors.Image) and image.shape == (1, 28, 28)
        assert image.dtype == torch.uint8
        assert torch.equal(image[0], torch.from_numpy(test[0][i]))
        assert label == int(test[1][i]) and isinstance(label, int)
    ds = cls(tmp_path, train=True, download=True)
    assert len(ds) == 5
    assert torch.equal(ds.data, torch.from_numpy(train[0]))
    assert ds.targets.tolist() == train[1].tolist()
    assert (tmp_path / cls.name / "train-images-idx3-ubyte.gz").is_file()
    again = cls(tmp_path, train=True)  # present: no download needed
    assert torch.equal(again[4][0], ds[4][0])


def test_transforms_and_modifying_a_sample_leaves_the_dataset(serve, tmp_path):
    train = digits(4, 2)
    serve(MNIST, mnist_files(train, digits(2, 3)))
    ds = MNIST(tmp_path, download=True, transform=lambda im: im.float(),
               target_transform=lambda y: -y)
    image, label = ds[1]
    assert image.dtype == torch.float32 and label == -int(train[1][1])
    plain = MNIST(tmp_path)
    plain[0][0].zero_()
    assert torch.equal(plain[0][0][0], torch.from_numpy(train[0][0]))
    joint = MNIST(tmp_path, transforms=lambda im, y: (im.shape, y + 1))
    assert joint[2] == ((1, 28, 28), int(train[1][2]) + 1)


def test_missing_files_say_how_to_get_them(tmp_path):
    with pytest.raises(RuntimeError, match="download=True"):
        MNIST(tmp_path)


def test_reads_the_gz_when_no_decompressed_copy(serve, tmp_path):
    train = digits(3, 4)
    serve(MNIST, mnist_files(train, digits(1, 5)))
    MNIST(tmp_path, download=True)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
        (tmp_path / "mnist" / name).unlink()
    assert torch.equal(MNIST(tmp_path).data, torch.from_numpy(train[0]))


def test_label_count_must_match(serve, tmp_path):
    images, labels = digits(4, 6)
    files = mnist_files((images, labels[:3]), digits(1, 7))
    serve(MNIST, files)
    with pytest.raises(ValueError, match="labels"):
        MNIST(tmp_path, download=True)


def emnist_zip(sets: dict[str, tuple[np.ndarray, np.ndarray]]) -> bytes:
    files = {}
    for key, (images, labels) in sets.items():
        files[f"gzip/emnist-{key}-images-idx3-ubyte.gz"] = idx_gz(images)
        files[f"gzip/emnist-{key}-labels-idx1-ubyte.gz"] = idx_gz(labels)
    files["gzip/emnist-letters-mapping.txt"] = b"1 65 97\n"
    return zip_archive(files)


def test_emnist_splits_are_upright(serve, tmp_path):
    letters_train, letters_test = digits(6, 8), digits(2, 9)
    letters_train[1][:] = np.arange(1, 7)
    balanced = digits(3, 10)
    serve(EMNIST, {"gzip.zip": emnist_zip({
        "letters-train": letters_train, "letters-test": letters_test,
        "balanced-train": balanced, "balanced-test": digits(1, 11)})})
    ds = EMNIST(tmp_path, split="letters", download=True)
    assert len(ds) == 6 and ds.classes[0] == "N/A" and len(ds.classes) == 27
    image, label = ds[2]
    assert torch.equal(image[0], torch.from_numpy(letters_train[0][2]).T)  # stored transposed
    assert label == 3 and ds.classes[label] == "c"
    test = EMNIST(tmp_path, split="letters", train=False)
    assert len(test) == 2
    other = EMNIST(tmp_path, split="balanced")
    assert len(other) == 3 and len(other.classes) == 47
    with pytest.raises(ValueError, match="split"):
        EMNIST(tmp_path, split="byletter")


def test_read_idx_formats_and_errors():
    ints = np.arange(-6, 6, dtype=np.int32).reshape(3, 4)
    assert read_idx(idx(ints)).tolist() == ints.tolist()
    data = bytearray(idx(np.arange(6, dtype=np.uint8).reshape(2, 3)))
    assert read_idx(data).flags.writeable
    with pytest.raises(ValueError, match="not an IDX"):
        read_idx(b"\x1f\x8b\x08\x00")
    with pytest.raises(ValueError, match="type code"):
        read_idx(bytes([0, 0, 7, 1, 0, 0, 0, 1, 5]))
    with pytest.raises(ValueError, match="header says"):
        read_idx(idx(np.zeros((2, 2), np.uint8))[:-1], "x.idx")
    with pytest.raises(ValueError, match="truncated"):
        read_idx(bytes([0, 0, 8, 3, 0, 0]))
    assert read_idx(gzip.decompress(idx_gz(np.ones(3, np.uint8)))).tolist() == [1, 1, 1]
