"""Pascal VOC 2007 and 2012: detection (XML annotations) and segmentation (palette PNGs)."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ._base import VisionDataset

__all__ = ["VOC_CLASSES", "VOCDetection", "VOCSegmentation", "parse_voc_xml"]

# Index 0 is the background (segmentation masks use it; 255 marks object borders there).
VOC_CLASSES = [
    "__background__", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat",
    "chair", "cow", "diningtable", "dog", "horse", "motorbike", "person", "pottedplant",
    "sheep", "sofa", "train", "tvmonitor",
]

_ARCHIVES = {"2012": "VOCtrainval_11-May-2012", "2007": "VOCtrainval_06-Nov-2007",
             "2007-test": "VOCtest_06-Nov-2007"}


def parse_voc_xml(node: ET.Element) -> dict[str, Any]:
    """A VOC annotation as nested dicts, as torchvision's ``parse_voc_xml`` (``object`` is
    always a list)."""
    children = list(node)
    if not children:
        return {node.tag: (node.text or "").strip()}
    result: dict[str, Any] = {}
    for child in children:
        for key, value in parse_voc_xml(child).items():
            if key == "object":
                result.setdefault(key, []).append(value)
            elif key in result:
                result[key] = [*result[key], value] if isinstance(result[key], list) else [
                    result[key], value]
            else:
                result[key] = value
    return {node.tag: result}


class _VOCBase(VisionDataset):
    name = "voc"
    _tasks_folder: str
    YEARS = ("2007", "2012")

    def __init__(self, root: str | os.PathLike | None = None, *, year: str = "2012",
                 image_set: str = "train", transform: Callable | None = None,
                 target_transform: Callable | None = None, transforms: Callable | None = None,
                 download: bool = False) -> None:
        cls = type(self).__name__
        if year not in self.YEARS:
            raise ValueError(f"{cls}: year must be one of {', '.join(self.YEARS)}, got {year!r}")
        sets = ("train", "trainval", "val", "test") if year == "2007" else (
            "train", "trainval", "val")
        if image_set not in sets:
            raise ValueError(f"{cls}: image_set must be one of {', '.join(sets)} for {year}, "
                             f"got {image_set!r}")
        self.year, self.image_set = year, image_set
        super().__init__(root, split=f"{year}-{image_set}", transform=transform,
                         target_transform=target_transform, transforms=transforms,
                         download=download)
        archive = _ARCHIVES["2007-test" if image_set == "test" else year]
        self.voc_root = self.folder / archive / "VOCdevkit" / f"VOC{year}"
        list_file = self.voc_root / "ImageSets" / self._tasks_folder / f"{image_set}.txt"
        if not list_file.is_file():
            raise RuntimeError(f"{cls}: {list_file} not found; pass download=True to fetch "
                               "and extract the archive")
        self.ids = [line.strip() for line in list_file.read_text().splitlines() if line.strip()]
        self.images = [self.voc_root / "JPEGImages" / f"{i}.jpg" for i in self.ids]

    def __len__(self) -> int:
        return len(self.ids)

    def extra_repr(self) -> str:
        return f"Year: {self.year}\nImage set: {self.image_set}"


class VOCDetection(_VOCBase):
    """Pascal VOC detection: images with their objects' boxes and classes.

    Args:
        root: the datasets root; the archives extract into ``root / "voc"``.
        year: ``"2012"`` or ``"2007"``.
        image_set: ``"train"``, ``"val"``, ``"trainval"`` (and ``"test"`` for 2007).
        transform, target_transform: applied to the image / the target.
        transforms: applied to ``(image, target)`` together (v2 transforms move the boxes
            with the image); excludes the two above.
        download: fetch, verify and extract the year's archive first.

    ``ds[i]`` is ``(image, target)``: image an RGB :class:`~triptych.vision.tensors.Image`
    ``(3, H, W)`` uint8 decoded when asked for (its bytes if the transform starts with
    ``DecodeImage``); target ``{"boxes": BoundingBoxes (N, 4) float32 XYXY, "labels": int64
    (N,) indices into :data:`VOC_CLASSES`, "difficult": bool (N,), "annotation": the XML as
    nested dicts (torchvision's target)}``. Boxes are the file's pixel coordinates, unchanged
    (as torchvision).

    Example (needs the network)::

        ds = VOCDetection("data", year="2007", image_set="val", download=True)
        image, target = ds[0]
    """

    _tasks_folder = "Main"
    classes = VOC_CLASSES

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from triptych.vision.tensors import BoundingBoxes

        path = self.voc_root / "Annotations" / f"{self.ids[index]}.xml"
        try:
            annotation = parse_voc_xml(ET.parse(path).getroot())["annotation"]
        except ET.ParseError as exc:
            raise ValueError(f"VOCDetection: {str(path)!r} is not valid XML: {exc}") from None
        size = annotation.get("size", {})
        try:
            canvas = (int(size["height"]), int(size["width"]))
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"VOCDetection: {str(path)!r} has no valid <size>") from None
        boxes, labels, difficult = [], [], []
        for obj in annotation.get("object", []):
            name = obj.get("name")
            if name not in VOC_CLASSES[1:]:
                raise ValueError(f"VOCDetection: {str(path)!r}: unknown class {name!r}")
            try:
                box = obj["bndbox"]
                boxes.append([float(box[k]) for k in ("xmin", "ymin", "xmax", "ymax")])
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"VOCDetection: {str(path)!r}: an object without a valid "
                                 "<bndbox>") from None
            labels.append(VOC_CLASSES.index(name))
            difficult.append(obj.get("difficult", "0") == "1")
        target = {
            "boxes": BoundingBoxes(torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
                                   format="XYXY", canvas_size=canvas),
            "labels": torch.tensor(labels, dtype=torch.int64),
            "difficult": torch.tensor(difficult, dtype=torch.bool),
            "annotation": {"annotation": annotation},
        }
        return self.apply_transforms(self.load_image(self.images[index]), target)


class VOCSegmentation(_VOCBase):
    """Pascal VOC semantic segmentation: images with per-pixel classes.

    Arguments as :class:`VOCDetection`. ``ds[i]`` is ``(image, Mask (H, W) uint8)``: each
    pixel's index into :data:`VOC_CLASSES`, 0 for the background and 255 on object borders
    ("void"), read from ``SegmentationClass/<id>.png``'s palette indices.
    """

    _tasks_folder = "Segmentation"
    classes = VOC_CLASSES

    def __init__(self, root: str | os.PathLike | None = None, *, year: str = "2012",
                 image_set: str = "train", transform: Callable | None = None,
                 target_transform: Callable | None = None, transforms: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(root, year=year, image_set=image_set, transform=transform,
                         target_transform=target_transform, transforms=transforms,
                         download=download)
        self.masks = [self.voc_root / "SegmentationClass" / f"{i}.png" for i in self.ids]

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        return self.apply_transforms(self.load_image(self.images[index]),
                                     _palette_mask(self.masks[index]))


def _palette_mask(path: Path) -> Any:
    """A palette PNG's indices (not its colours) as a Mask (H, W) uint8."""
    from triptych.vision._pil import pil_modules
    from triptych.vision.tensors import Mask

    (Image,) = pil_modules("Image")
    with Image.open(path) as image:
        if image.mode not in ("P", "L"):
            raise ValueError(f"{str(path)!r}: a segmentation mask must be a palette or grey "
                             f"PNG, got mode {image.mode}")
        return Mask(torch.from_numpy(np.array(image, dtype=np.uint8)))
