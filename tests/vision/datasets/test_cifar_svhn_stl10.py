"""CIFAR-10/100 (binary records), SVHN (.mat v5/v7), STL-10 (binary): tiny files in the real
formats, served under the catalog's file names."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from vision_files import mat_v5, tar_archive

from triptych.vision import tensors
from triptych.vision.datasets import CIFAR10, CIFAR100, STL10, SVHN
from triptych.vision.datasets._matlab import MatError, read_mat

RNG = np.random.default_rng(0)


def records(n: int, label_bytes: int, classes: int) -> tuple[np.ndarray, np.ndarray, bytes]:
    images = RNG.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
    labels = RNG.integers(0, classes, (n, label_bytes), dtype=np.uint8)
    return images, labels, np.concatenate([labels, images.reshape(n, -1)], 1).tobytes()


def test_cifar10(serve, tmp_path):
    batches = [records(3, 1, 10) for _ in range(6)]
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    files = {f"cifar-10-batches-bin/{n}": b[2] for n, b in zip(names, batches)}
    files["cifar-10-batches-bin/batches.meta.txt"] = (
        b"airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n")
    serve(CIFAR10, {"cifar-10-binary.tar.gz": tar_archive(files)})
    train = CIFAR10(tmp_path, download=True)
    assert len(train) == 15 and train.classes[3] == "cat" and len(train.classes) == 10
    image, label = train[7]  # batch 3, record 1
    assert isinstance(image, tensors.Image) and image.shape == (3, 32, 32)
    assert torch.equal(image, torch.from_numpy(batches[2][0][1]))
    assert label == int(batches[2][1][1, 0])
    test = CIFAR10(tmp_path, train=False)
    assert len(test) == 3 and torch.equal(test.data, torch.from_numpy(batches[5][0]))
    assert test.targets.tolist() == batches[5][1][:, 0].tolist()


def test_cifar100_fine_and_coarse(serve, tmp_path):
    train, test = records(4, 2, 20), records(2, 2, 20)
    fine = "\n".join(f"fine{i}" for i in range(100)).encode()
    coarse = "\n".join(f"coarse{i}" for i in range(20)).encode()
    serve(CIFAR100, {"cifar-100-binary.tar.gz": tar_archive({
        "cifar-100-binary/train.bin": train[2], "cifar-100-binary/test.bin": test[2],
        "cifar-100-binary/fine_label_names.txt": fine,
        "cifar-100-binary/coarse_label_names.txt": coarse})})
    ds = CIFAR100(tmp_path, download=True)
    assert len(ds) == 4 and len(ds.classes) == 100 and len(ds.coarse_classes) == 20
    assert [ds[i][1] for i in range(4)] == train[1][:, 1].tolist()  # the fine label
    assert ds.coarse_targets.tolist() == train[1][:, 0].tolist()
    assert torch.equal(ds[3][0], torch.from_numpy(train[0][3]))
    assert len(CIFAR100(tmp_path, train=False)) == 2


def test_cifar_bad_record_size(serve, tmp_path):
    files = {f"cifar-10-batches-bin/data_batch_{i}.bin": bytes(3073) for i in range(1, 6)}
    files["cifar-10-batches-bin/data_batch_2.bin"] = bytes(3000)
    files["cifar-10-batches-bin/test_batch.bin"] = bytes(3073)
    files["cifar-10-batches-bin/batches.meta.txt"] = b"a\n"
    serve(CIFAR10, {"cifar-10-binary.tar.gz": tar_archive(files)})
    with pytest.raises(ValueError, match="data_batch_2.bin.*multiple"):
        CIFAR10(tmp_path, download=True)


def svhn_file(n: int, **kwargs) -> tuple[np.ndarray, np.ndarray, bytes]:
    images = RNG.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
    labels = RNG.integers(1, 11, n)
    x = np.ascontiguousarray(images.transpose(2, 3, 1, 0))  # MATLAB: (H, W, 3, N)
    # MATLAB stores y (a double array) as uint8 when it fits; a char variable comes first.
    data = mat_v5({"__note": "svhn", "X": x, "y": labels.astype(np.float64)[:, None]},
                  stored={"y": np.uint8}, **kwargs)
    return images, labels, data


@pytest.mark.parametrize("compress", [True, False])
def test_svhn(serve, tmp_path, compress):
    splits = {s: svhn_file(n, compress=compress) for s, n in
              (("train", 5), ("test", 3), ("extra", 2))}
    server = serve(SVHN, {f"{s}_32x32.mat": v[2] for s, v in splits.items()})
    ds = SVHN(tmp_path, split="test", download=True)
    assert server.stats("svhn/train_32x32.mat").requests == 0
    images, labels, _ = splits["test"]
    assert len(ds) == 3
    for i in range(3):
        image, label = ds[i]
        assert isinstance(image, tensors.Image) and image.shape == (3, 32, 32)
        assert torch.equal(image, torch.from_numpy(images[i]))
        assert label == int(labels[i]) % 10  # 10 means the digit 0
    assert len(SVHN(tmp_path, split="extra", download=True)) == 2
    with pytest.raises(ValueError, match="split"):
        SVHN(tmp_path, split="validation")


def test_read_mat(tmp_path):
    a = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    b = np.array([[1, -2]], dtype=np.int32)
    path = tmp_path / "v.mat"
    path.write_bytes(mat_v5({"alpha": a, "text": "hi", "b": b}, compress=False))
    found = read_mat(path)
    assert set(found) == {"alpha", "b"}  # the char array is skipped
    assert found["alpha"].shape == (2, 3, 4) and (found["alpha"] == a).all()
    assert found["b"].dtype == np.int32 and found["b"].tolist() == [[1, -2]]
    with pytest.raises(MatError, match="not a numeric"):
        read_mat(path, ("text",))
    with pytest.raises(MatError, match="no numeric variable 'gamma'"):
        read_mat(path, ("gamma",))
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(MatError, match="truncated"):
        read_mat(path)
    path.write_bytes(b"x" * 200)
    with pytest.raises(MatError, match="not a MATLAB v5"):
        read_mat(path)
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(600))
    with pytest.raises(MatError, match="v7.3"):
        read_mat(path)


def test_stl10_splits_and_folds(serve, tmp_path):
    def images(n):
        return RNG.integers(0, 256, (n, 3, 96, 96), dtype=np.uint8)

    train, test, unlabeled = images(4), images(2), images(3)
    train_y = np.array([1, 10, 3, 4], np.uint8)

    def stored(x):  # each plane column by column
        return np.ascontiguousarray(x.transpose(0, 1, 3, 2)).tobytes()

    base = "stl10_binary/"
    serve(STL10, {"stl10_binary.tar.gz": tar_archive({
        base + "train_X.bin": stored(train), base + "train_y.bin": train_y.tobytes(),
        base + "test_X.bin": stored(test), base + "test_y.bin": bytes([2, 5]),
        base + "unlabeled_X.bin": stored(unlabeled),
        base + "class_names.txt": b"\n".join(f"c{i}".encode() for i in range(10)),
        base + "fold_indices.txt": b"3 1 \n0 2 \n" + b"0\n" * 8})})
    ds = STL10(tmp_path, split="train", download=True)
    assert len(ds) == 4 and ds.classes[0] == "c0"
    image, label = ds[1]
    assert image.shape == (3, 96, 96) and torch.equal(image, torch.from_numpy(train[1]))
    assert label == 9
    fold = STL10(tmp_path, split="train", folds=0)
    assert len(fold) == 2 and torch.equal(fold[0][0], torch.from_numpy(train[3]))
    assert fold[1][1] == 9
    both = STL10(tmp_path, split="train+unlabeled")
    assert len(both) == 7 and both[6][1] == -1
    assert torch.equal(both[-1][0], torch.from_numpy(unlabeled[2]))
    assert [STL10(tmp_path, split="test")[i][1] for i in range(2)] == [1, 4]
    with pytest.raises(ValueError, match="folds"):
        STL10(tmp_path, split="test", folds=1)
    with pytest.raises(ValueError, match="split"):
        STL10(tmp_path, split="val")
