"""CocoDetection: COCO JSON with polygons, uncompressed and compressed RLE, downloaded as the
catalog's real zips from the loopback server; the RLE and polygon decoders against
independent references."""

from __future__ import annotations

import hashlib
import io
import json

import numpy as np
import pytest
import torch
from PIL import Image as PILImage
from vision_files import zip_archive

from triptych.datasets import Resource, dataset_info, download_dataset, register_dataset
from triptych.registry import DATASETS
from triptych.vision import tensors
from triptych.vision import transforms as T
from triptych.vision.datasets import CocoDetection
from triptych.vision.datasets.coco import polygons_to_mask, rle_decode, rle_from_string


def rle_encode(mask: np.ndarray) -> list[int]:
    flat = mask.T.reshape(-1)
    runs, value, count = [], 0, 0
    for pixel in flat:
        if pixel != value:
            runs.append(count)
            value, count = pixel, 0
        count += 1
    runs.append(count)
    return runs


def rle_to_string(counts: list[int]) -> str:  # pycocotools' rleToString, written out
    out = []
    for i, x in enumerate(counts):
        if i > 2:
            x -= counts[i - 2]
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = (x != -1) if c & 0x10 else (x != 0)
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return "".join(out)


def inside(px: float, py: float, points: list[float]) -> bool:  # even-odd ray casting
    xs, ys = points[0::2], points[1::2]
    result = False
    for i in range(len(xs)):
        xa, ya, xb, yb = xs[i], ys[i], xs[i - 1], ys[i - 1]
        if (ya > py) != (yb > py) and px < xa + (py - ya) * (xb - xa) / (yb - ya):
            result = not result
    return result


def test_rle_round_trip_random_masks():
    rng = np.random.default_rng(0)
    for h, w in [(1, 1), (5, 7), (31, 17)]:
        for density in (0.0, 0.3, 1.0):
            mask = (rng.random((h, w)) < density).astype(np.uint8)
            runs = rle_encode(mask)
            assert (rle_decode({"size": [h, w], "counts": runs}) == mask).all()
            text = rle_to_string(runs)
            assert rle_from_string(text) == runs
            assert (rle_decode({"size": [h, w], "counts": text}) == mask).all()


def test_rle_errors():
    with pytest.raises(ValueError, match="sum"):
        rle_decode({"size": [2, 2], "counts": [1, 2]})
    with pytest.raises(ValueError, match="size"):
        rle_decode({"counts": [4]})
    with pytest.raises(ValueError, match="truncated"):
        rle_from_string("a")  # 0x31: "more follows", then nothing
    with pytest.raises(ValueError, match="differs"):
        rle_decode({"size": [2, 2], "counts": [4]}, 3, 3)


def test_polygons_match_a_point_in_polygon_reference():
    rng = np.random.default_rng(1)
    for _ in range(20):
        n = int(rng.integers(3, 8))
        points = rng.uniform(-3, 27, 2 * n).round(2).tolist()
        expected = np.array([[inside(x + 0.5, y + 0.5, points) for x in range(22)]
                             for y in range(20)], dtype=np.uint8)
        assert (polygons_to_mask([points], 20, 22) == expected).all()
    square = [[1, 1, 5, 1, 5, 5, 1, 5], [3, 3, 8, 3, 8, 8, 3, 8]]  # union of two
    mask = polygons_to_mask(square, 10, 10)
    assert int(mask.sum()) == 16 + 25 - 4 and mask[4, 4] == 1
    with pytest.raises(ValueError, match="at least 3"):
        polygons_to_mask([[1, 2, 3, 4]], 5, 5)


def png(h: int, w: int, value: int) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (w, h), (value, value, value)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def coco(loopback_server, tmp_path):
    """The coco2017 catalog entry's files, served from the loopback (same file names)."""
    crowd = np.zeros((12, 16), np.uint8)
    crowd[2:6, 9:15] = 1
    small = np.zeros((12, 16), np.uint8)
    small[7:10, 1:3] = 1
    annotations = {
        "images": [{"id": 42, "file_name": "000000000042.jpg", "height": 12, "width": 16},
                   {"id": 9, "file_name": "000000000009.jpg", "height": 8, "width": 8}],
        "categories": [{"id": 1, "name": "person"}, {"id": 18, "name": "dog"}],
        "annotations": [
            {"id": 1, "image_id": 42, "category_id": 18, "iscrowd": 0, "area": 12.0,
             "bbox": [1, 2, 4, 3], "segmentation": [[1, 2, 5, 2, 5, 5, 1, 5]]},
            {"id": 2, "image_id": 42, "category_id": 1, "iscrowd": 1, "area": 24.0,
             "bbox": [9, 2, 6, 4], "segmentation": {"size": [12, 16],
                                                    "counts": rle_encode(crowd)}},
            {"id": 3, "image_id": 42, "category_id": 1, "iscrowd": 0, "area": 6.0,
             "bbox": [1, 7, 2, 3], "segmentation": {"size": [12, 16],
                                                    "counts": rle_to_string(rle_encode(small))}},
        ],
    }
    files = {
        "val2017.zip": zip_archive({"val2017/000000000042.jpg": png(12, 16, 50),
                                    "val2017/000000000009.jpg": png(8, 8, 90)}),
        "annotations_trainval2017.zip": zip_archive({
            "annotations/instances_val2017.json": json.dumps(annotations).encode(),
            "annotations/instances_train2017.json": b"{}"}),
        "train2017.zip": zip_archive({"train2017/x.jpg": png(2, 2, 0)}),
    }
    real = dataset_info("coco2017")
    splits = {}
    for split, resources in real.splits.items():
        splits[split] = []
        for r in resources:
            data = files[r.filename]
            url = loopback_server.add_file(f"coco2017/{r.filename}", data)
            splits[split].append(Resource(r.filename, [url], hashlib.sha256(data).hexdigest(),
                                          size=len(data)))
    DATASETS.unregister("coco2017")
    register_dataset("coco2017", domain="vision", description=real.description,
                     resources=splits, default_splits=real.default_splits,
                     dataset_class=real.dataset_class)
    yield {"crowd": crowd, "small": small, "server": loopback_server}
    DATASETS.unregister("coco2017")
    DATASETS.register("coco2017", real)


def test_coco_detection_from_the_catalog_download(coco, tmp_path):
    folder = download_dataset("coco2017", tmp_path, splits="val", progress=False)
    assert coco["server"].stats("coco2017/train2017.zip").requests == 0
    ds = CocoDetection(folder / "val2017" / "val2017",
                       folder / "annotations_trainval2017" / "annotations" / "instances_val2017.json")
    assert len(ds) == 2 and ds.ids == [9, 42] and ds.categories == {1: "person", 18: "dog"}
    image, target = ds[0]  # image 9: no annotations
    assert image.shape == (3, 8, 8) and target["boxes"].shape == (0, 4)
    assert target["masks"].shape == (0, 8, 8)
    image, target = ds[1]
    assert isinstance(image, tensors.Image) and image.shape == (3, 12, 16)
    assert target["image_id"] == 42
    boxes = target["boxes"]
    assert isinstance(boxes, tensors.BoundingBoxes) and boxes.canvas_size == (12, 16)
    assert boxes.tolist() == [[1, 2, 5, 5], [9, 2, 15, 6], [1, 7, 3, 10]]
    assert target["labels"].tolist() == [18, 1, 1]
    assert target["iscrowd"].tolist() == [0, 1, 0] and target["area"].tolist() == [12, 24, 6]
    masks = target["masks"]
    assert isinstance(masks, tensors.Mask) and masks.shape == (3, 12, 16)
    polygon = np.zeros((12, 16), np.uint8)
    polygon[2:5, 1:5] = 1
    assert (masks[0].numpy() == polygon).all()
    assert (masks[1].numpy() == coco["crowd"]).all()
    assert (masks[2].numpy() == coco["small"]).all()


def test_coco_transforms_move_boxes_and_masks(coco, tmp_path):
    folder = download_dataset("coco2017", tmp_path, splits="val", progress=False)
    ds = CocoDetection(folder / "val2017" / "val2017",
                       folder / "annotations_trainval2017" / "annotations" / "instances_val2017.json",
                       transforms=T.Compose([T.DecodeImage(mode="GRAY"),
                                             T.RandomHorizontalFlip(p=1.0)]))
    image, target = ds[1]
    assert image.shape == (1, 12, 16)  # GRAY: DecodeImage got the file's bytes
    assert target["boxes"].tolist()[0] == [11, 2, 15, 5]
    assert torch.equal(target["masks"][1], torch.from_numpy(coco["crowd"]).flip(-1))


def test_coco_bad_files(tmp_path):
    (tmp_path / "a.json").write_text("{not json")
    with pytest.raises(ValueError, match="not a COCO annotation file"):
        CocoDetection(tmp_path, tmp_path / "a.json")
    (tmp_path / "b.json").write_text(json.dumps({
        "images": [], "annotations": [{"id": 5, "image_id": 3, "category_id": 1}]}))
    with pytest.raises(ValueError, match="image 3"):
        CocoDetection(tmp_path, tmp_path / "b.json")
