"""Draw the documentation's figures from synthetic images: ``.venv/bin/python docs/make_figures.py``.

Every figure is a function ``figure_<name>(out_dir) -> Path`` listed in :data:`FIGURES`; the
PNGs go to ``docs/images/`` and are committed (keep them small). The samples are drawn here,
from a seeded generator, so a figure changes only when the code does.

A *sample* is a dict, the same for every figure::

    {"image": uint8 (3, H, W), "boxes": float (N, 4) xyxy pixels, "labels": [str] * N,
     "masks": bool (N, H, W), "keypoints": float (N, 5, 2) (x, y)}

:func:`figure_augmented_boxes` shows one row per entry of :data:`AUGMENTATIONS` — a name and a
callable ``sample -> sample`` that must move the boxes (and masks, keypoints) with the image.
Rows are real ``triptych.vision.transforms`` applied through :func:`through`; to show another
transform, add ``AUGMENTATIONS["name"] = through(transform)`` (or pass ``augmentations=``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import torch

from triptych.vision import transforms as T
from triptych.vision.tensors import BoundingBoxes, Image, KeyPoints, Mask
from triptych.vision.utils import (
    draw_bounding_boxes,
    draw_keypoints,
    draw_segmentation_masks,
    make_grid,
    save_image,
)

IMAGES = Path(__file__).resolve().parent / "images"
SIZE = (96, 128)  # (H, W) of each synthetic sample
SKELETON = [(0, 1), (0, 2), (0, 3), (0, 4)]  # centre -> top, right, bottom, left

Sample = dict
Augmentation = Callable[[Sample], Sample]


def synthetic_samples(count: int, *, size: tuple[int, int] = SIZE, seed: int = 0) -> list[Sample]:
    """``count`` images of rectangles and discs on a gradient, with their boxes, masks and keypoints."""
    generator = torch.Generator().manual_seed(seed)
    height, width = size
    ys = torch.arange(height, dtype=torch.float32)[:, None]
    xs = torch.arange(width, dtype=torch.float32)[None, :]
    samples = []
    for _ in range(count):
        top, bottom = torch.rand(2, 3, 1, 1, generator=generator) * 0.5 + 0.25
        image = top + (bottom - top) * (ys / (height - 1))  # (3, H, 1): a vertical gradient
        image = image.expand(3, height, width).clone()
        masks, labels = [], []
        for _ in range(int(torch.randint(1, 4, (), generator=generator))):
            cy, cx = float(torch.randint(16, height - 16, (), generator=generator)), float(torch.randint(16, width - 16, (), generator=generator))
            ry, rx = (torch.randint(7, 22, (2,), generator=generator)).tolist()
            if torch.rand((), generator=generator) < 0.5:
                mask = ((ys - cy).abs() <= ry) & ((xs - cx).abs() <= rx)
                labels.append("box")
            else:
                mask = ((ys - cy) / ry) ** 2 + ((xs - cx) / rx) ** 2 <= 1
                labels.append("disc")
            color = torch.rand(3, 1, 1, generator=generator)
            image = torch.where(mask, color, image)
            for earlier in masks:  # what this shape covers is hidden in the earlier ones
                earlier &= ~mask
            masks.append(mask)
        masks = torch.stack(masks)
        boxes = torch.stack([_mask_box(m) for m in masks])
        samples.append({
            "image": image.mul(255).round().to(torch.uint8),
            "boxes": boxes,
            "labels": labels,
            "masks": masks,
            "keypoints": _box_keypoints(boxes),
        })
    return samples


def _mask_box(mask: torch.Tensor) -> torch.Tensor:
    rows, cols = mask.any(dim=1).nonzero()[:, 0], mask.any(dim=0).nonzero()[:, 0]
    if rows.numel() == 0:  # fully hidden by later shapes
        return torch.zeros(4)
    return torch.tensor([cols[0], rows[0], cols[-1], rows[-1]], dtype=torch.float32)


def _box_keypoints(boxes: torch.Tensor) -> torch.Tensor:
    x0, y0, x1, y1 = boxes.unbind(-1)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return torch.stack([torch.stack(p, -1) for p in [(cx, cy), (cx, y0), (x1, cy), (cx, y1), (x0, cy)]], dim=1)


def through(transform) -> Augmentation:
    """A triptych.vision transform as an augmentation: the image, boxes, masks and keypoints go
    through it together, as typed tensors, exactly as in a training pipeline."""

    def augment(sample: Sample) -> Sample:
        canvas = tuple(sample["image"].shape[-2:])
        typed = {
            "image": Image(sample["image"]),
            "boxes": BoundingBoxes(sample["boxes"], format="XYXY", canvas_size=canvas),
            "masks": Mask(sample["masks"]),
            "keypoints": KeyPoints(sample["keypoints"], canvas_size=canvas),
            "labels": sample["labels"],
        }
        out = transform(typed)
        return {key: value.as_subclass(torch.Tensor) if isinstance(value, torch.Tensor) else value
                for key, value in out.items()}

    return augment


def _augmentations(seed: int = 0) -> dict[str, Augmentation | None]:
    g = torch.Generator().manual_seed(seed)
    return {
        "original": None,
        "RandomHorizontalFlip(p=1)": through(T.RandomHorizontalFlip(p=1.0)),
        "RandomResizedCrop": through(T.RandomResizedCrop(SIZE, scale=(0.35, 1.0), generator=g)),
        "RandomRotation(30)": through(T.RandomRotation(30, generator=g)),
        "RandomAffine + ColorJitter": through(T.Compose([
            T.RandomAffine(degrees=10, translate=(0.1, 0.1), scale=(0.8, 1.1), shear=10, generator=g),
            T.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1, generator=g),
        ])),
        "RandomPerspective(0.4, p=1)": through(T.RandomPerspective(0.4, p=1.0, generator=g)),
    }


AUGMENTATIONS: dict[str, Augmentation | None] = _augmentations()


def augmented_boxes_grid(samples: list[Sample], augmentations: dict[str, Augmentation | None]) -> torch.Tensor:
    """One row per augmentation, one column per sample: the image with its boxes and labels."""
    cells = []
    for augment in augmentations.values():
        for sample in samples:
            shown = augment(sample) if augment is not None else sample
            cells.append(draw_bounding_boxes(shown["image"], shown["boxes"], labels=shown["labels"], width=2))
    return make_grid(cells, nrow=len(samples), padding=4, pad_value=255)


def figure_augmented_boxes(out_dir: Path = IMAGES, *, augmentations: dict | None = None,
                           samples: int = 4, seed: int = 0) -> Path:
    """``augmented_boxes.png``: samples (columns) under each augmentation (rows), with boxes."""
    grid = augmented_boxes_grid(synthetic_samples(samples, seed=seed), augmentations or AUGMENTATIONS)
    return _save(grid, out_dir / "augmented_boxes.png")


def figure_masks_keypoints(out_dir: Path = IMAGES, *, samples: int = 3, seed: int = 1) -> Path:
    """``masks_keypoints.png``: segmentation masks (alpha 0.5) and keypoints joined by a skeleton."""
    cells = []
    for sample in synthetic_samples(samples, seed=seed):
        image = draw_segmentation_masks(sample["image"], sample["masks"], alpha=0.5)
        cells.append(draw_keypoints(image, sample["keypoints"], connectivity=SKELETON, colors="white",
                                    radius=2, width=1))
    return _save(make_grid(cells, nrow=samples, padding=4, pad_value=255), out_dir / "masks_keypoints.png")


FIGURES = {"augmented_boxes": figure_augmented_boxes, "masks_keypoints": figure_masks_keypoints}


def _save(grid: torch.Tensor, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    save_image(grid, path)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=IMAGES, help="folder for the PNGs (default docs/images)")
    parser.add_argument("names", nargs="*", help=f"figures to draw (default all): {', '.join(FIGURES)}")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(FIGURES))
    if unknown:
        parser.error(f"unknown figure(s) {', '.join(unknown)}; choose from {', '.join(FIGURES)}")
    for name in args.names or FIGURES:
        print(FIGURES[name](args.out))


if __name__ == "__main__":
    main()
