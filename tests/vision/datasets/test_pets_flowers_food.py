"""OxfordIIITPet, Flowers102, Food101: tiny archives (and .mat files) in the real layouts,
served under the catalog's file names."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image as PILImage
from vision_files import mat_v5, tar_archive

from triptych.vision import tensors
from triptych.vision.datasets import Flowers102, Food101, OxfordIIITPet


def jpeg(h: int, w: int, value: int) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (w, h), (value, value, value)).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def trimap(h: int, w: int) -> bytes:
    array = np.full((h, w), 2, np.uint8)
    array[1:3, 1:4] = 1
    array[0, :] = 3
    buffer = io.BytesIO()
    PILImage.fromarray(array, mode="L").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def pets(serve):
    ids = {"Abyssinian_1": (1, 1), "american_bulldog_10": (2, 2), "Abyssinian_7": (1, 1),
           "yorkshire_terrier_3": (37, 2)}
    images = {f"images/{i}.jpg": jpeg(6, 8, 10 * n) for n, i in enumerate(ids)}
    annotations = {f"annotations/trimaps/{i}.png": trimap(6, 8) for i in ids}
    lines = [f"{i} {c} {s} 1" for i, (c, s) in ids.items()]
    annotations["annotations/trainval.txt"] = "\n".join(lines[:3]).encode()
    annotations["annotations/test.txt"] = ("#Image CLASS-ID SPECIES BREED ID\n"
                                           + lines[3]).encode()
    serve(OxfordIIITPet, {"images.tar.gz": tar_archive(images),
                          "annotations.tar.gz": tar_archive(annotations)})


def test_pets_targets(pets, tmp_path):
    ds = OxfordIIITPet(tmp_path, download=True)
    assert len(ds) == 3 and ds.classes == ["Abyssinian", "American Bulldog"]
    image, label = ds[1]
    assert isinstance(image, tensors.Image) and image.shape == (3, 6, 8) and label == 1
    both = OxfordIIITPet(tmp_path, split="test",
                         target_types=["category", "binary-category", "segmentation"])
    image, (category, species, mask) = both[0]
    assert category == 36 and species == 1 and both.classes == ["Yorkshire Terrier"]
    assert isinstance(mask, tensors.Mask) and mask.shape == (6, 8)
    assert int(mask[1, 1]) == 1 and int(mask[0, 5]) == 3 and int(mask[5, 5]) == 2
    with pytest.raises(ValueError, match="target_types"):
        OxfordIIITPet(tmp_path, target_types="bbox")


def test_flowers102_sets_and_labels(serve, tmp_path):
    labels = np.array([[5, 1, 102, 7, 3]], dtype=np.float64)  # 1-based, as the file
    sets = {"trnid": np.array([[2, 4]], np.float64), "valid": np.array([[1]], np.float64),
            "tstid": np.array([[3, 5]], np.float64)}
    serve(Flowers102, {
        "102flowers.tgz": tar_archive({f"jpg/image_{i:05d}.jpg": jpeg(5, 7, 40 * i)
                                       for i in range(1, 6)}),
        "imagelabels.mat": mat_v5({"labels": labels}, stored={"labels": np.uint8}),
        "setid.mat": mat_v5(sets, stored={k: np.uint16 for k in sets})})
    train = Flowers102(tmp_path, download=True)
    assert len(train) == 2 and [train[i][1] for i in range(2)] == [0, 6]
    image, _ = train[1]  # image_00004.jpg, grey level 160
    assert image.shape == (3, 5, 7) and abs(int(image[0, 2, 3]) - 160) <= 2
    test = Flowers102(tmp_path, split="test")
    assert [test[i][1] for i in range(2)] == [101, 2]
    assert len(Flowers102(tmp_path, split="val")) == 1
    # label 101 (the files' 102) is the last of the 102 names, label 0 the first
    assert len(set(test.classes)) == 102 and test.classes[test[0][1]] == "blackberry lily"
    assert test.class_to_idx["pink primrose"] == 0 and test.class_to_idx["blackberry lily"] == 101


def test_food101(serve, tmp_path):
    meta = {"train": {"pizza": ["pizza/1", "pizza/2"], "apple_pie": ["apple_pie/9"]},
            "test": {"pizza": ["pizza/3"], "apple_pie": []}}
    files = {f"food-101/images/{e}.jpg": jpeg(4, 4, 50) for m in meta.values()
             for entries in m.values() for e in entries}
    files.update({f"food-101/meta/{s}.json": json.dumps(m).encode() for s, m in meta.items()})
    files["food-101/meta/classes.txt"] = b"apple_pie\npizza\n"
    serve(Food101, {"food-101.tar.gz": tar_archive(files)})
    train = Food101(tmp_path, download=True)
    assert train.classes == ["apple_pie", "pizza"] and len(train) == 3
    assert [train[i][1] for i in range(3)] == [0, 1, 1]
    assert train[0][0].shape == (3, 4, 4)
    test = Food101(tmp_path, split="test")
    assert len(test) == 1 and test[0][1] == 1
