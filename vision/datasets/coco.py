"""COCO detection: boxes, labels and instance masks from polygons and RLE, without pycocotools."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ._base import apply, check_transforms, starts_with_decode

__all__ = ["CocoDetection", "polygons_to_mask", "rle_decode", "rle_from_string"]


def rle_from_string(counts: str | bytes) -> list[int]:
    """Run lengths from COCO's compressed RLE string (pycocotools' ``rleFrString``): each count
    in 5-bit groups (0x20: more follows, 0x10 in the last: negative), offset by 48; from the
    third count on, stored as the difference to the count two before."""
    text = counts.decode("ascii") if isinstance(counts, bytes) else counts
    out: list[int] = []
    pos = 0
    while pos < len(text):
        value, shift, more = 0, 0, True
        while more:
            if pos >= len(text):
                raise ValueError("truncated compressed RLE string")
            c = ord(text[pos]) - 48
            if not 0 <= c < 64:
                raise ValueError(f"invalid character {text[pos]!r} in a compressed RLE string")
            value |= (c & 0x1F) << shift
            more = bool(c & 0x20)
            pos += 1
            shift += 5
            if not more and c & 0x10:
                value |= -1 << shift
        if len(out) > 2:
            value += out[-2]
        out.append(value)
    return out


def rle_decode(rle: dict, height: int | None = None, width: int | None = None) -> np.ndarray:
    """A COCO RLE (``{"size": [h, w], "counts": list or compressed str}``) as a ``(h, w)``
    uint8 mask. Runs alternate 0s and 1s, starting with 0s, in column-major order.

    Example:
        >>> rle_decode({"size": [2, 3], "counts": [1, 2, 3]}).tolist()
        [[0, 1, 0], [1, 0, 0]]
    """
    try:
        h, w = (int(v) for v in rle["size"])
        counts = rle["counts"]
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"an RLE needs 'size' [h, w] and 'counts', got {rle!r:.80}") from None
    if height is not None and (h, w) != (height, width):
        raise ValueError(f"RLE size {[h, w]} differs from the image's {[height, width]}")
    runs = np.asarray(rle_from_string(counts) if isinstance(counts, (str, bytes)) else counts,
                      dtype=np.int64)
    if (runs < 0).any() or int(runs.sum()) != h * w:
        raise ValueError(f"RLE counts sum to {int(runs.sum())} (or are negative); the size "
                         f"{[h, w]} needs {h * w}")
    values = (np.arange(len(runs)) % 2).astype(np.uint8)
    return np.repeat(values, runs).reshape(w, h).T.copy()


def polygons_to_mask(polygons: Sequence[Sequence[float]], height: int, width: int) -> np.ndarray:
    """Rasterise COCO polygons (``[[x1, y1, x2, y2, ...], ...]``, their union) into a
    ``(height, width)`` uint8 mask: a pixel is in a polygon when its centre is (even-odd rule).

    pycocotools rasterises on a 5x finer grid, so edge pixels can differ from its masks by
    one; interiors agree.

    Example:
        >>> polygons_to_mask([[1, 1, 4, 1, 4, 3, 1, 3]], 4, 5).tolist()
        [[0, 0, 0, 0, 0], [0, 1, 1, 1, 0], [0, 1, 1, 1, 0], [0, 0, 0, 0, 0]]
    """
    mask = np.zeros((height, width), dtype=np.uint8)
    for polygon in polygons:
        points = np.asarray(polygon, dtype=np.float64)
        if points.ndim != 1 or len(points) % 2 or len(points) < 6:
            raise ValueError("a polygon needs at least 3 (x, y) points as a flat list, "
                             f"got {len(points)} numbers")
        xs, ys = points[0::2], points[1::2]
        x0, y0, x1, y1 = xs, ys, np.roll(xs, -1), np.roll(ys, -1)
        # rows whose centre line y = r + 0.5 an edge crosses (half-open: vertices count once)
        first = np.ceil(np.minimum(y0, y1) - 0.5).astype(np.int64)
        last = np.ceil(np.maximum(y0, y1) - 0.5).astype(np.int64)  # exclusive
        first, last = np.clip(first, 0, height), np.clip(last, 0, height)
        counts = np.maximum(last - first, 0)
        edge = np.repeat(np.arange(len(xs)), counts)
        if not len(edge):
            continue
        rows = first[edge] + np.arange(len(edge)) - np.repeat(np.cumsum(counts) - counts, counts)
        centre = rows + 0.5
        cross = x0[edge] + (centre - y0[edge]) * (x1[edge] - x0[edge]) / (y1[edge] - y0[edge])
        cols = np.clip(np.ceil(cross - 0.5), 0, width).astype(np.int64)  # first centre >= x
        toggles = np.zeros((height, width + 1), dtype=np.int32)
        np.add.at(toggles, (rows, cols), 1)
        mask |= (np.cumsum(toggles, axis=1)[:, :width] % 2).astype(np.uint8)
    return mask


class CocoDetection(torch.utils.data.Dataset):
    """COCO-format detection: images with boxes, category labels and instance masks.

    torchvision's constructor (the images folder and the annotation file), and the target of
    its v2 wrapper, built without pycocotools.

    Args:
        root: the folder of the images (``file_name`` in the annotations is relative to it).
        annFile: the ``instances_*.json`` annotation file.
        transform, target_transform: applied to the image / the target.
        transforms: applied to ``(image, target)`` together (v2 transforms move boxes and
            masks with the image); excludes the two above.

    ``ds[i]`` is ``(image, target)``: image an RGB :class:`~triptych.vision.tensors.Image`
    ``(3, H, W)`` uint8 decoded when asked for (its bytes if the transform starts with
    ``DecodeImage``); target ``{"image_id": int, "boxes": BoundingBoxes (N, 4) float32 XYXY
    (from COCO's XYWH), "labels": int64 (N,) category ids, "masks": Mask (N, H, W) uint8
    (polygons rasterised, RLE decoded; zeros for an annotation without segmentation),
    "iscrowd": int64 (N,), "area": float32 (N,)}``. ``ids`` lists the image ids (sorted), and
    ``categories`` maps category id to name.

    With the catalog entry ``coco2017`` (``triptych datasets download coco2017 --split val``)
    the files are in ``<root>/coco2017/val2017/val2017/`` and
    ``<root>/coco2017/annotations_trainval2017/annotations/instances_val2017.json``.

    Example:
        >>> import json, pathlib, tempfile, torch
        >>> from triptych.vision.io import write_png
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> write_png(torch.zeros(3, 8, 10, dtype=torch.uint8), folder / "a.png")
        >>> _ = (folder / "ann.json").write_text(json.dumps({
        ...     "images": [{"id": 7, "file_name": "a.png", "height": 8, "width": 10}],
        ...     "categories": [{"id": 3, "name": "car"}],
        ...     "annotations": [{"id": 1, "image_id": 7, "category_id": 3, "iscrowd": 0,
        ...                      "bbox": [2, 1, 4, 3], "area": 12,
        ...                      "segmentation": [[2, 1, 6, 1, 6, 4, 2, 4]]}]}))
        >>> image, target = CocoDetection(folder, folder / "ann.json")[0]
        >>> target["boxes"].tolist(), target["labels"].tolist(), int(target["masks"].sum())
        ([[2.0, 1.0, 6.0, 4.0]], [3], 12)
    """

    def __init__(self, root: str | os.PathLike, annFile: str | os.PathLike, *,  # noqa: N803
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 transforms: Callable | None = None) -> None:
        name = type(self).__name__
        for option, value in (("transform", transform), ("target_transform", target_transform)):
            if value is not None and not callable(value):
                raise TypeError(f"{name}: {option} must be callable or None, "
                                f"got {type(value).__name__}")
        check_transforms(name, transform, target_transform, transforms)
        self.root = Path(root).expanduser()
        self.transform, self.target_transform, self.transforms = (
            transform, target_transform, transforms)
        try:
            with open(annFile, encoding="utf-8") as file:
                data = json.load(file)
            self.images = {int(im["id"]): im for im in data["images"]}
            self.categories = {int(c["id"]): c["name"] for c in data.get("categories", [])}
            annotations = data.get("annotations", [])
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{name}: {os.fspath(annFile)!r} is not a COCO annotation file "
                             f"({type(exc).__name__}: {exc})") from None
        self.annotations: dict[int, list[dict]] = {i: [] for i in self.images}
        for ann in annotations:
            image_id = int(ann["image_id"])
            if image_id not in self.images:
                raise ValueError(f"{name}: annotation {ann.get('id')} refers to image "
                                 f"{image_id}, which is not in 'images'")
            self.annotations[image_id].append(ann)
        self.ids = sorted(self.images)

    def __len__(self) -> int:
        return len(self.ids)

    def _load_image(self, path: Path) -> Any:
        transform = self.transforms if self.transforms is not None else self.transform
        if starts_with_decode(transform):
            return path.read_bytes()
        from triptych.vision.io import read_image
        from triptych.vision.tensors import Image

        return Image(read_image(path, mode="RGB"))

    def _target(self, image_id: int) -> dict[str, Any]:
        from triptych.vision.tensors import BoundingBoxes, Mask

        info = self.images[image_id]
        h, w = int(info["height"]), int(info["width"])
        anns = self.annotations[image_id]
        boxes = torch.tensor([a["bbox"] for a in anns], dtype=torch.float32).reshape(-1, 4)
        boxes[:, 2:] += boxes[:, :2]  # XYWH -> XYXY
        masks = np.zeros((len(anns), h, w), dtype=np.uint8)
        for i, ann in enumerate(anns):
            segmentation = ann.get("segmentation")
            try:
                if isinstance(segmentation, dict):
                    masks[i] = rle_decode(segmentation, h, w)
                elif segmentation:
                    masks[i] = polygons_to_mask(segmentation, h, w)
            except ValueError as exc:
                raise ValueError(f"CocoDetection: annotation {ann.get('id')} of image "
                                 f"{image_id}: {exc}") from None
        return {
            "image_id": image_id,
            "boxes": BoundingBoxes(boxes, format="XYXY", canvas_size=(h, w)),
            "labels": torch.tensor([int(a["category_id"]) for a in anns], dtype=torch.int64),
            "masks": Mask(torch.from_numpy(masks)),
            "iscrowd": torch.tensor([int(a.get("iscrowd", 0)) for a in anns], dtype=torch.int64),
            "area": torch.tensor([float(a.get("area", 0)) for a in anns], dtype=torch.float32),
        }

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image_id = self.ids[index]
        image = self._load_image(self.root / self.images[image_id]["file_name"])
        return apply(self, image, self._target(image_id))

    def __repr__(self) -> str:
        return (f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n"
                f"    Root location: {self.root}")
