"""SyntheticShapes: coloured shapes on textured backgrounds, with exact labels, boxes and masks.

Made on the fly, one sample per ``__getitem__`` from ``(seed, index)`` alone (no arrays built
up front, nothing downloaded), so it is the default dataset of the examples and the tests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from triptych.datasets.base import sample_index

from ._base import apply, check_transforms

__all__ = ["SyntheticShapes"]

SHAPES = ("circle", "square", "triangle", "diamond", "cross")
TASKS = ("classification", "detection", "segmentation")
_MIN_SIDE = 16


def _shape_mask(kind: int, dx: np.ndarray, dy: np.ndarray, r: float) -> np.ndarray:
    """Pixels (centres at offsets dx, dy from the shape's centre) inside shape ``kind``."""
    if kind == 0:  # circle
        return dx * dx + dy * dy <= r * r
    if kind == 1:  # square (side 1.6 r: about the circle's area)
        return (np.abs(dx) <= 0.8 * r) & (np.abs(dy) <= 0.8 * r)
    if kind == 2:  # triangle pointing up, inscribed in the circle of radius r
        return (dy <= 0.5 * r) & (np.abs(dx) <= (dy + r) * 0.57735)
    if kind == 3:  # diamond
        return np.abs(dx) + np.abs(dy) <= r
    ax, ay = np.abs(dx), np.abs(dy)  # cross: two bars of width 2r/3
    return ((ax <= r / 3) & (ay <= r)) | ((ay <= r / 3) & (ax <= r))


class SyntheticShapes(torch.utils.data.Dataset):
    """Coloured shapes (circle, square, triangle, diamond, cross) on textured backgrounds.

    Every sample is drawn from ``(seed, index)`` when it is asked for: the same arguments give
    the same images, in any order and in any DataLoader worker. Backgrounds are a random
    colour with stripes or a checkerboard; shapes have a colour far from the background's;
    pixel noise is added to both. Labels, boxes and masks are exact: they are the pixels drawn.

    Args:
        num_samples: how many samples (``len``).
        image_size: ``H`` (square) or ``(H, W)``, each at least 16.
        task: what the target is:

            * ``"classification"``: one shape per image; target ``int`` in ``[0, 5)``, an
              index into :attr:`classes` (``circle, square, triangle, diamond, cross``);
            * ``"detection"``: 1 to ``max_shapes`` shapes that do not overlap; target
              ``{"boxes": BoundingBoxes (N, 4) float32 XYXY, "labels": int64 (N,),
              "masks": Mask (N, H, W) uint8}``;
            * ``"segmentation"``: as detection; target ``Mask (H, W)`` uint8, each pixel's
              class, 0 for the background.

            For detection and segmentation :attr:`classes` starts with ``"background"``
            (labels are in ``[1, 6)``, as torchvision's detection models expect).
        seed: the samples' seed.
        transform, target_transform: applied to the image / the target.
        transforms: applied to ``(image, target)`` together (v2 transforms that move boxes
            and masks with the image); excludes the two above.
        max_shapes: most shapes per image for detection and segmentation.

    Returns (``ds[i]``):
        ``(image, target)``: image a :class:`~triptych.vision.tensors.Image` ``(3, H, W)``
        uint8. A box encloses its mask's pixels: ``x2`` is the last column + 1 (continuous
        coordinates, as COCO's boxes).

    Example:
        >>> ds = SyntheticShapes(100, 64, task="detection", seed=0)
        >>> image, target = ds[3]
        >>> image.shape, image.dtype
        (torch.Size([3, 64, 64]), torch.uint8)
        >>> boxes, masks = target["boxes"], target["masks"]
        >>> boxes.shape[0] == masks.shape[0] == len(target["labels"])
        True
        >>> bool((ds[3][0] == image).all())  # deterministic
        True
        >>> SyntheticShapes(10, 32).classes
        ['circle', 'square', 'triangle', 'diamond', 'cross']
    """

    def __init__(self, num_samples: int = 1000, image_size: int | Sequence[int] = 64, *,
                 task: str = "classification", seed: int = 0,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 transforms: Callable | None = None, max_shapes: int = 3) -> None:
        name = type(self).__name__
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 0:
            raise ValueError(f"{name}: num_samples must be an int >= 0, got {num_samples!r}")
        size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
        if (len(size) != 2 or not all(isinstance(s, int) and not isinstance(s, bool)
                                      for s in size) or min(size) < _MIN_SIDE):
            raise ValueError(f"{name}: image_size must be an int or (H, W), each >= "
                             f"{_MIN_SIDE}, got {image_size!r}")
        if task not in TASKS:
            raise ValueError(f"{name}: task must be one of {', '.join(TASKS)}, got {task!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"{name}: seed must be an int >= 0, got {seed!r}")
        if isinstance(max_shapes, bool) or not isinstance(max_shapes, int) or max_shapes < 1:
            raise ValueError(f"{name}: max_shapes must be an int >= 1, got {max_shapes!r}")
        for option, value in (("transform", transform), ("target_transform", target_transform)):
            if value is not None and not callable(value):
                raise TypeError(f"{name}: {option} must be callable or None, "
                                f"got {type(value).__name__}")
        check_transforms(name, transform, target_transform, transforms)
        self.num_samples = num_samples
        self.image_size = size
        self.task = task
        self.seed = seed
        self.max_shapes = max_shapes
        self.transform = transform
        self.target_transform = target_transform
        self.transforms = transforms
        self.classes = list(SHAPES) if task == "classification" else ["background", *SHAPES]
        h, w = size
        self._ys = (np.arange(h, dtype=np.float32) + 0.5)[:, None]
        self._xs = (np.arange(w, dtype=np.float32) + 0.5)[None, :]

    def __len__(self) -> int:
        return self.num_samples

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        index = sample_index(index, self.num_samples, type(self).__name__)
        image, target = self._draw(np.random.default_rng((self.seed, index)))
        return apply(self, image, target)

    # -- drawing -------------------------------------------------------------------------------
    def _background(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        h, w = self.image_size
        base = rng.uniform(40, 215, 3).astype(np.float32)
        if rng.random() < 0.5:  # stripes in a random direction
            period = rng.uniform(4, 16)
            angle = rng.uniform(0, np.pi)
            phase = rng.uniform(0, 2 * np.pi)
            k = np.float32(2 * np.pi / period)
            pattern = np.sin(k * (np.float32(np.cos(angle)) * self._xs
                                  + np.float32(np.sin(angle)) * self._ys) + np.float32(phase))
        else:  # checkerboard
            cell = rng.uniform(4, 12)
            pattern = ((self._xs // cell + self._ys // cell) % 2) * 2 - 1
        tint = rng.uniform(10, 35, 3).astype(np.float32)
        image = base[:, None, None] + tint[:, None, None] * pattern.astype(np.float32)
        return image, base

    def _draw(self, rng: np.random.Generator) -> tuple[Any, Any]:
        from triptych.vision.tensors import BoundingBoxes, Image, Mask

        h, w = self.image_size
        image, base = self._background(rng)
        side = min(h, w)
        single = self.task == "classification"
        count = 1 if single else int(rng.integers(1, self.max_shapes + 1))
        lo, hi = (0.22, 0.42) if single else (0.1, 0.22)
        placed: list[tuple[float, float, float]] = []
        kinds, boxes, masks = [], [], []
        for _ in range(count):
            for _attempt in range(20):
                r = max(float(rng.uniform(lo, hi) * side), 3.0)
                cx = float(rng.uniform(r, w - r))
                cy = float(rng.uniform(r, h - r))
                if all((cx - x) ** 2 + (cy - y) ** 2 > (r + q + 1) ** 2 for x, y, q in placed):
                    break
            else:
                break  # no room left: fewer shapes
            kind = int(rng.integers(len(SHAPES)))
            colour = rng.uniform(0, 255, 3).astype(np.float32)
            while np.abs(colour - base).sum() < 180:
                colour = rng.uniform(0, 255, 3).astype(np.float32)
            y0, y1 = max(int(cy - r) - 1, 0), min(int(cy + r) + 2, h)
            x0, x1 = max(int(cx - r) - 1, 0), min(int(cx + r) + 2, w)
            window = _shape_mask(kind, self._xs[:, x0:x1] - cx, self._ys[y0:y1] - cy, r)
            if not window.any():
                continue
            image[:, y0:y1, x0:x1][:, window] = colour[:, None]
            placed.append((cx, cy, r))
            kinds.append(kind)
            rows, cols = np.flatnonzero(window.any(1)), np.flatnonzero(window.any(0))
            boxes.append((x0 + cols[0], y0 + rows[0], x0 + cols[-1] + 1, y0 + rows[-1] + 1))
            masks.append((window, y0, y1, x0, x1))
        image += rng.integers(-12, 13, size=image.shape, dtype=np.int8)
        pixels = Image(torch.from_numpy(np.clip(image, 0, 255).astype(np.uint8)))
        if single:
            return pixels, kinds[0]
        if self.task == "segmentation":
            seg = np.zeros((h, w), dtype=np.uint8)
            for kind, (window, y0, y1, x0, x1) in zip(kinds, masks):
                seg[y0:y1, x0:x1][window] = kind + 1
            return pixels, Mask(torch.from_numpy(seg))
        instance = np.zeros((len(kinds), h, w), dtype=np.uint8)
        for i, (window, y0, y1, x0, x1) in enumerate(masks):
            instance[i, y0:y1, x0:x1] = window
        target = {
            "boxes": BoundingBoxes(torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
                                   format="XYXY", canvas_size=(h, w)),
            "labels": torch.tensor(kinds, dtype=torch.int64) + 1,
            "masks": Mask(torch.from_numpy(instance)),
        }
        return pixels, target

    def __repr__(self) -> str:
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}",
                 f"    Image size: {self.image_size}", f"    Task: {self.task}",
                 f"    Seed: {self.seed}"]
        for label, value in (("Transforms", self.transforms), ("Transform", self.transform),
                             ("Target transform", self.target_transform)):
            if value is not None:
                lines.append(f"    {label}: {repr(value).splitlines()[0]}")
        return "\n".join(lines)
