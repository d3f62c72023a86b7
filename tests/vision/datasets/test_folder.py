"""DatasetFolder / ImageFolder: torchvision's layout rules, extensions, is_valid_file,
allow_empty, lazy decoding and the DecodeImage path."""

from __future__ import annotations

import os

import pytest
import torch

from triptych.vision import tensors
from triptych.vision import transforms as T
from triptych.vision.datasets import DatasetFolder, ImageFolder
from triptych.vision.io import write_png


def image(value: int, h: int = 5, w: int = 7) -> torch.Tensor:
    return torch.full((3, h, w), value, dtype=torch.uint8)


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "dog").mkdir()
    write_png(image(10), tmp_path / "dog" / "b.png")
    write_png(image(20), tmp_path / "dog" / "a.PNG")
    (tmp_path / "dog" / "nested").mkdir()
    write_png(image(30, 8, 4), tmp_path / "dog" / "nested" / "c.png")
    (tmp_path / "cat").mkdir()
    write_png(image(40), tmp_path / "cat" / "z.png")
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    (tmp_path / "README").write_text("a file at the top is not a class")
    return tmp_path


def test_image_folder_layout_and_order(tree):
    ds = ImageFolder(tree)
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    names = [os.path.relpath(p, tree) for p, _ in ds.samples]
    assert names == ["cat/z.png", "dog/a.PNG", "dog/b.png", "dog/nested/c.png"]
    assert ds.targets == [0, 1, 1, 1] and ds.imgs == ds.samples
    pixels, label = ds[3]
    assert isinstance(pixels, tensors.Image) and pixels.shape == (3, 8, 4)
    assert int(pixels[0, 0, 0]) == 30 and label == 1


def test_is_valid_file_and_extensions(tree):
    ds = ImageFolder(tree, is_valid_file=lambda p: "nested" not in p and p.endswith(".png"))
    assert [os.path.basename(p) for p, _ in ds.samples] == ["z.png", "b.png"]
    texts = DatasetFolder(tree, loader=lambda p: open(p).read(), extensions=(".txt",),
                          allow_empty=True)
    assert len(texts) == 1 and texts[0] == ("not an image", 0)
    with pytest.raises(ValueError, match="Both extensions and is_valid_file"):
        DatasetFolder(tree, loader=open, extensions=".txt", is_valid_file=lambda p: True)
    with pytest.raises(ValueError, match="Both extensions and is_valid_file"):
        DatasetFolder(tree, loader=open)


def test_allow_empty(tree):
    (tree / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no valid file for the classes empty"):
        ImageFolder(tree)
    ds = ImageFolder(tree, allow_empty=True)
    assert ds.classes == ["cat", "dog", "empty"] and len(ds) == 4


def test_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a folder"):
        ImageFolder(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="class folder"):
        ImageFolder(tmp_path)
    (tmp_path / "a").mkdir()
    with pytest.raises(TypeError, match="loader"):
        DatasetFolder(tmp_path, loader=3, extensions=".x")
    with pytest.raises(ValueError, match="transforms"):
        ImageFolder(tmp_path, transform=abs, transforms=lambda x, y: (x, y), allow_empty=True)


def test_decode_image_first_gets_bytes(tree):
    seen = []

    def spy(x):
        seen.append(type(x))
        return x

    plain = ImageFolder(tree, transform=spy)
    plain[0]
    assert seen == [tensors.Image]
    # DecodeImage passes decoded images through: GRAY output proves it got the file's bytes
    fused = ImageFolder(tree, transform=T.Compose([T.DecodeImage(mode="GRAY"),
                                                   T.Resize((4, 4))]))
    out, _ = fused[1]
    assert out.shape == (1, 4, 4) and int(out[0, 0, 0]) == 20
    raw = ImageFolder(tree, transforms=T.DecodeImage(mode="GRAY"))
    assert raw[0][0].shape == (1, 5, 7)


def test_transforms_and_custom_loader(tree):
    ds = ImageFolder(tree, loader=lambda p: os.path.basename(p),
                     target_transform=lambda y: y * 10)
    assert ds[2] == ("b.png", 10)
    joint = ImageFolder(tree, transforms=lambda x, y: (x.shape, y))
    assert joint[0] == ((3, 5, 7), 0)
