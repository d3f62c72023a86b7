"""VOCDetection / VOCSegmentation: a tiny VOCdevkit tar (JPEGs, XML, palette PNGs, image
sets) served under the real archive names."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image as PILImage
from vision_files import tar_archive

from triptych.vision import tensors
from triptych.vision import transforms as T
from triptych.vision.datasets import VOCDetection, VOCSegmentation
from triptych.vision.datasets.voc import VOC_CLASSES

XML = """<annotation><folder>VOC2012</folder><filename>{id}.jpg</filename>
<size><width>{w}</width><height>{h}</height><depth>3</depth></size>{objects}</annotation>"""
OBJECT = """<object><name>{name}</name><pose>Left</pose><truncated>0</truncated>
<difficult>{difficult}</difficult><bndbox><xmin>{box[0]}</xmin><ymin>{box[1]}</ymin>
<xmax>{box[2]}</xmax><ymax>{box[3]}</ymax></bndbox></object>"""


def encoded(array: np.ndarray, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    PILImage.fromarray(array).save(buffer, fmt, **params)
    return buffer.getvalue()


def devkit(year: str, items: dict, sets: dict) -> bytes:
    base = f"VOCdevkit/VOC{year}/"  # the real tars' layout
    files = {}
    for image_id, (h, w, objects, mask) in items.items():
        files[base + f"JPEGImages/{image_id}.jpg"] = encoded(
            np.full((h, w, 3), 100, np.uint8), "JPEG")
        xml = XML.format(id=image_id, w=w, h=h, objects="".join(
            OBJECT.format(name=n, difficult=d, box=b) for n, b, d in objects))
        files[base + f"Annotations/{image_id}.xml"] = xml.encode()
        palette = PILImage.fromarray(mask, mode="P")
        palette.putpalette([0, 0, 0, 128, 0, 0] + [7] * (254 * 3))
        buffer = io.BytesIO()
        palette.save(buffer, "PNG")
        files[base + f"SegmentationClass/{image_id}.png"] = buffer.getvalue()
    for (task, name), ids in sets.items():
        files[base + f"ImageSets/{task}/{name}.txt"] = "".join(f"{i}\n" for i in ids).encode()
    return tar_archive(files, mode="w")


@pytest.fixture
def voc(serve):
    mask = np.zeros((20, 30), np.uint8)
    mask[2:8, 3:9] = 15
    mask[8, 3:9] = 255
    items2012 = {
        "2008_000001": (20, 30, [("person", (3, 3, 9, 8), 0), ("dog", (10, 2, 29, 19), 1)],
                        mask),
        "2008_000002": (16, 24, [("car", (1, 1, 5, 5), 0)], np.zeros((16, 24), np.uint8)),
    }
    sets = {("Main", "train"): ["2008_000001"], ("Main", "val"): ["2008_000002"],
            ("Main", "trainval"): ["2008_000001", "2008_000002"],
            ("Segmentation", "train"): ["2008_000001"], ("Segmentation", "val"): [],
            ("Segmentation", "trainval"): ["2008_000001"]}
    items2007 = {"000005": (10, 12, [("chair", (2, 2, 6, 7), 0)], np.zeros((10, 12), np.uint8))}
    sets2007 = {("Main", "test"): ["000005"]}
    return serve(VOCDetection, {
        "VOCtrainval_11-May-2012.tar": devkit("2012", items2012, sets),
        "VOCtrainval_06-Nov-2007.tar": devkit("2007", {}, {}),
        "VOCtest_06-Nov-2007.tar": devkit("2007", items2007, sets2007),
    })


def test_detection(voc, tmp_path, monkeypatch):
    monkeypatch.setattr(VOCSegmentation, "resources", VOCDetection.resources)
    ds = VOCDetection(tmp_path, image_set="train", download=True)
    assert voc.stats("voc/VOCtest_06-Nov-2007.tar").requests == 0
    assert len(ds) == 1
    image, target = ds[0]
    assert isinstance(image, tensors.Image) and image.shape == (3, 20, 30)
    boxes = target["boxes"]
    assert isinstance(boxes, tensors.BoundingBoxes) and boxes.canvas_size == (20, 30)
    assert boxes.format == tensors.BoundingBoxFormat.XYXY
    assert boxes.tolist() == [[3, 3, 9, 8], [10, 2, 29, 19]]
    assert [VOC_CLASSES[i] for i in target["labels"]] == ["person", "dog"]
    assert target["difficult"].tolist() == [False, True]
    assert target["annotation"]["annotation"]["filename"] == "2008_000001.jpg"
    assert len(VOCDetection(tmp_path, image_set="trainval")) == 2
    test = VOCDetection(tmp_path, year="2007", image_set="test", download=True)
    assert len(test) == 1 and test[0][1]["labels"].tolist() == [VOC_CLASSES.index("chair")]


def test_detection_transforms_move_boxes(voc, tmp_path):
    ds = VOCDetection(tmp_path, image_set="val", download=True,
                      transforms=T.Compose([T.DecodeImage(), T.RandomHorizontalFlip(p=1.0)]))
    image, target = ds[0]
    assert image.shape == (3, 16, 24)
    assert target["boxes"].tolist() == [[19, 1, 23, 5]]


def test_segmentation(voc, tmp_path, monkeypatch):
    monkeypatch.setattr(VOCSegmentation, "resources", VOCDetection.resources)
    ds = VOCSegmentation(tmp_path, image_set="train", download=True)
    assert len(ds) == 1 and len(VOCSegmentation(tmp_path, image_set="val")) == 0
    image, mask = ds[0]
    assert isinstance(mask, tensors.Mask) and mask.dtype == torch.uint8
    assert mask.shape == (20, 30) and image.shape == (3, 20, 30)
    assert int(mask[5, 5]) == 15 and int(mask[8, 4]) == 255 and int(mask[0, 0]) == 0


def test_arguments(voc, tmp_path):
    with pytest.raises(ValueError, match="image_set"):
        VOCDetection(tmp_path, year="2012", image_set="test")
    with pytest.raises(ValueError, match="year"):
        VOCDetection(tmp_path, year="2010")
    with pytest.raises(RuntimeError, match="download=True"):
        VOCDetection(tmp_path)
