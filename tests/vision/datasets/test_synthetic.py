"""SyntheticShapes: exact targets, determinism per (seed, index), options and errors."""

from __future__ import annotations

import pytest
import torch

from triptych.vision import tensors
from triptych.vision.datasets import SyntheticShapes


def mask_box(mask: torch.Tensor) -> list[float]:
    rows = torch.nonzero(mask.any(1)).flatten()
    cols = torch.nonzero(mask.any(0)).flatten()
    return [float(cols[0]), float(rows[0]), float(cols[-1] + 1), float(rows[-1] + 1)]


@pytest.mark.parametrize("size", [64, (48, 80)])
def test_classification_sample(size):
    ds = SyntheticShapes(50, size, seed=3)
    h, w = (size, size) if isinstance(size, int) else size
    assert len(ds) == 50
    image, label = ds[7]
    assert isinstance(image, tensors.Image)
    assert image.shape == (3, h, w) and image.dtype == torch.uint8
    assert isinstance(label, int) and 0 <= label < len(ds.classes) == 5


def test_classes_are_balanced_and_all_used():
    labels = torch.tensor([SyntheticShapes(600, 16, seed=0)[i][1] for i in range(600)])
    counts = torch.bincount(labels, minlength=5)
    assert (counts > 80).all(), counts  # 120 expected each


def test_deterministic_per_seed_and_index_in_any_order():
    a = SyntheticShapes(20, 32, task="detection", seed=11)
    b = SyntheticShapes(20, 32, task="detection", seed=11)
    late = b[13]
    for i in range(20):
        a[i]
    first = a[13]
    assert torch.equal(first[0], late[0])
    assert torch.equal(first[1]["boxes"], late[1]["boxes"])
    assert torch.equal(first[1]["masks"], late[1]["masks"])
    assert not torch.equal(a[12][0], a[13][0])
    assert not torch.equal(SyntheticShapes(20, 32, seed=12)[13][0], a[13][0])
    assert torch.equal(a[-1][0], a[19][0])


def test_detection_boxes_and_masks_are_exact():
    ds = SyntheticShapes(40, 64, task="detection", seed=5, max_shapes=4)
    counts = []
    for i in range(40):
        image, target = ds[i]
        boxes, labels, masks = target["boxes"], target["labels"], target["masks"]
        assert isinstance(boxes, tensors.BoundingBoxes) and isinstance(masks, tensors.Mask)
        assert boxes.format == tensors.BoundingBoxFormat.XYXY and boxes.canvas_size == (64, 64)
        assert boxes.dtype == torch.float32 and labels.dtype == torch.int64
        n = len(labels)
        counts.append(n)
        assert boxes.shape == (n, 4) and masks.shape == (n, 64, 64) and masks.dtype == torch.uint8
        assert ((labels >= 1) & (labels <= 5)).all()
        assert int(masks.sum(0).max()) == 1  # shapes never overlap
        for box, mask in zip(boxes, masks):
            assert box.tolist() == mask_box(mask.bool())
            inside = image[:, mask.bool()].int()
            # one flat colour plus noise in [-12, 12]: the mask is exactly the drawn pixels
            assert int((inside.max(1).values - inside.min(1).values).max()) <= 24
    assert min(counts) >= 1 and max(counts) == 4


def test_segmentation_matches_detection_of_the_same_seed():
    det = SyntheticShapes(10, 40, task="detection", seed=2)
    seg = SyntheticShapes(10, 40, task="segmentation", seed=2)
    assert seg.classes[0] == "background" and seg.classes[1:] == SyntheticShapes(1, 16).classes
    for i in range(10):
        image_d, target = det[i]
        image_s, mask = seg[i]
        assert torch.equal(image_d, image_s)
        assert isinstance(mask, tensors.Mask) and mask.shape == (40, 40)
        expected = (target["masks"] * target["labels"][:, None, None]).sum(0).to(torch.uint8)
        assert torch.equal(mask.as_subclass(torch.Tensor), expected)


def test_transforms_options():
    ds = SyntheticShapes(4, 32, transform=lambda im: im.float() / 255,
                         target_transform=lambda y: y + 100)
    image, label = ds[0]
    assert image.dtype == torch.float32 and label >= 100
    joint = SyntheticShapes(4, 32, task="detection",
                            transforms=lambda im, t: (im[:, :, :16], t["boxes"]))
    image, boxes = joint[1]
    assert image.shape == (3, 32, 16) and isinstance(boxes, tensors.BoundingBoxes)


def test_horizontal_flip_moves_boxes_with_the_image():
    from triptych.vision import transforms as T

    ds = SyntheticShapes(6, 48, task="detection", seed=9,
                         transforms=T.RandomHorizontalFlip(p=1.0))
    plain = SyntheticShapes(6, 48, task="detection", seed=9)
    for i in range(6):
        image, target = ds[i]
        assert torch.equal(image, plain[i][0].flip(-1))
        for box, mask in zip(target["boxes"], target["masks"]):
            assert box.tolist() == mask_box(mask.bool())


@pytest.mark.parametrize("kwargs, match", [
    ({"num_samples": -1}, "num_samples"),
    ({"image_size": 8}, "image_size"),
    ({"image_size": (32, 32, 3)}, "image_size"),
    ({"task": "depth"}, "task"),
    ({"seed": -2}, "seed"),
    ({"max_shapes": 0}, "max_shapes"),
    ({"transform": lambda x: x, "transforms": lambda x, y: (x, y)}, "transforms"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SyntheticShapes(**{"num_samples": 4, **kwargs})


def test_transform_must_be_callable_and_index_in_range():
    with pytest.raises(TypeError, match="transform"):
        SyntheticShapes(4, transform=3)
    ds = SyntheticShapes(4, 16)
    with pytest.raises(IndexError):
        ds[4]
    with pytest.raises(IndexError):
        ds[-5]
    assert "Number of datapoints: 4" in repr(ds)


def test_dataloader_workers_give_the_same_samples():
    ds = SyntheticShapes(24, 32, seed=4)
    loader = torch.utils.data.DataLoader(ds, batch_size=8, num_workers=2)
    images, labels = map(torch.cat, zip(*loader))
    assert images.shape == (24, 3, 32, 32)
    assert torch.equal(images, torch.stack([ds[i][0] for i in range(24)]))
    assert labels.tolist() == [ds[i][1] for i in range(24)]
