"""triptych.vision.utils: grids, boxes, masks and keypoints against hand-built expectations."""

from __future__ import annotations

import importlib.util
import io
import os
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("PIL")
from PIL import Image  # noqa: E402

from triptych.vision.io import read_image  # noqa: E402
from triptych.vision.utils import (  # noqa: E402
    PALETTE,
    draw_bounding_boxes,
    draw_keypoints,
    draw_segmentation_masks,
    make_grid,
    save_image,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _rand_image(g, channels=3, height=None, width=None, dtype=torch.uint8):
    height = height or int(torch.randint(12, 40, (), generator=g))
    width = width or int(torch.randint(12, 40, (), generator=g))
    image = torch.randint(0, 256, (channels, height, width), dtype=torch.uint8, generator=g)
    return image if dtype == torch.uint8 else image.to(dtype) / 255


# --- make_grid -------------------------------------------------------------------------------


def _grid_by_hand(batch, nrow, padding, pad_value):
    count, channels, height, width = batch.shape
    columns = min(nrow, count)
    rows = -(-count // columns)
    grid = torch.full((channels, rows * (height + padding) + padding, columns * (width + padding) + padding),
                      pad_value, dtype=batch.dtype)
    for k in range(count):
        top = padding + (k // nrow) * (height + padding)
        left = padding + (k % nrow) * (width + padding)
        grid[:, top:top + height, left:left + width] = batch[k]
    return grid


def test_make_grid_places_every_image(seeded_generator):
    g = seeded_generator
    for _ in range(10):
        count = int(torch.randint(2, 12, (), generator=g))
        nrow = int(torch.randint(1, 6, (), generator=g))
        padding = int(torch.randint(0, 4, (), generator=g))
        batch = torch.rand(count, 3, int(torch.randint(3, 9, (), generator=g)), int(torch.randint(3, 9, (), generator=g)),
                           generator=g)
        pad_value = float(torch.rand((), generator=g))
        got = make_grid(batch, nrow=nrow, padding=padding, pad_value=pad_value)
        assert torch.equal(got, _grid_by_hand(batch, nrow, padding, pad_value))


def test_make_grid_inputs(seeded_generator):
    images = [torch.randint(0, 256, (3, 5, 7), dtype=torch.uint8, generator=seeded_generator) for _ in range(3)]
    assert torch.equal(make_grid(images, nrow=2), make_grid(torch.stack(images), nrow=2))
    assert make_grid(images, nrow=2).dtype == torch.uint8
    gray = torch.rand(4, 1, 5, 7, generator=seeded_generator)
    assert torch.equal(make_grid(gray), make_grid(gray.expand(-1, 3, -1, -1)))  # grey shown as RGB
    single = torch.rand(3, 5, 7, generator=seeded_generator)
    assert torch.equal(make_grid(single), single)  # one image: returned as is, as torchvision
    assert make_grid(torch.rand(5, 7, generator=seeded_generator)).shape == (3, 5, 7)


def test_make_grid_normalize(seeded_generator):
    batch = torch.randn(3, 3, 4, 5, generator=seeded_generator) * 7 + 2
    low, high = batch.min(), batch.max()
    expected = _grid_by_hand((batch - low) / (high - low), 8, 2, 0.0)
    assert torch.allclose(make_grid(batch, normalize=True), expected, atol=1e-6)
    clipped = (batch.clamp(-1, 3) + 1) / 4
    assert torch.allclose(make_grid(batch, normalize=True, value_range=(-1, 3)), _grid_by_hand(clipped, 8, 2, 0.0))
    per_image = torch.stack([(b - b.min()) / (b.max() - b.min()) for b in batch])
    assert torch.allclose(make_grid(batch, normalize=True, scale_each=True), _grid_by_hand(per_image, 8, 2, 0.0),
                          atol=1e-6)
    original = batch.clone()
    make_grid(batch, normalize=True)
    assert torch.equal(batch, original)  # the input is not modified
    as_uint8 = make_grid(torch.full((2, 3, 4, 4), 9, dtype=torch.uint8), normalize=True, value_range=(0, 18))
    assert as_uint8.dtype == torch.float32 and torch.allclose(as_uint8[:, 2:6, 2:6], torch.tensor(0.5))


def test_make_grid_errors():
    with pytest.raises(ValueError, match="one shape"):
        make_grid([torch.zeros(3, 4, 4), torch.zeros(3, 4, 5)])
    with pytest.raises(ValueError, match="at least one"):
        make_grid([])
    with pytest.raises(TypeError, match="list of tensors"):
        make_grid([torch.zeros(3, 4, 4), np.zeros((3, 4, 4))])
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        make_grid(torch.zeros(1, 2, 3, 4, 4))
    with pytest.raises(ValueError, match="nrow"):
        make_grid(torch.zeros(2, 3, 4, 4), nrow=0)
    with pytest.raises(ValueError, match="padding"):
        make_grid(torch.zeros(2, 3, 4, 4), padding=-1)


# --- save_image ------------------------------------------------------------------------------


def test_save_image_rounds_floats_and_writes_atomically(seeded_generator, tmp_path):
    batch = torch.rand(5, 3, 6, 8, generator=seeded_generator)
    save_image(batch, tmp_path / "grid.png", nrow=3, padding=1)
    expected = (make_grid(batch, nrow=3, padding=1) * 255 + 0.5).clamp(0, 255).to(torch.uint8)
    assert torch.equal(read_image(tmp_path / "grid.png"), expected)
    assert os.listdir(tmp_path) == ["grid.png"]


def test_save_image_uint8_and_file_objects(seeded_generator, tmp_path):
    image = torch.randint(0, 256, (3, 9, 11), dtype=torch.uint8, generator=seeded_generator)
    buffer = io.BytesIO()
    save_image(image, buffer, format="PNG")
    assert np.array_equal(np.array(Image.open(io.BytesIO(buffer.getvalue()))), image.permute(1, 2, 0).numpy())
    save_image(image, str(tmp_path / "x.jpg"))
    assert Image.open(tmp_path / "x.jpg").format == "JPEG"
    with pytest.raises(ValueError, match="format="):
        save_image(image, io.BytesIO())
    with pytest.raises(ValueError, match="extension"):
        save_image(image, tmp_path / "x.nope")
    with pytest.raises(ValueError, match="4-channel image as JPEG"):
        save_image(torch.zeros(4, 5, 5, dtype=torch.uint8), tmp_path / "rgba.jpg")
    with pytest.raises(TypeError, match="uint8"):
        save_image(torch.zeros(3, 5, 5, dtype=torch.int32), tmp_path / "int.png")
    assert sorted(os.listdir(tmp_path)) == ["x.jpg"]


# --- draw_bounding_boxes ---------------------------------------------------------------------


def _outline(height, width, box, line_width):
    """Pixels of a rectangle outline: the box's inclusive bounds, ``line_width`` pixels inwards."""
    x0, y0, x1, y1 = box
    ys, xs = torch.arange(height)[:, None], torch.arange(width)[None, :]
    inside = (xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)
    core = (xs >= x0 + line_width) & (xs <= x1 - line_width) & (ys >= y0 + line_width) & (ys <= y1 - line_width)
    return inside & ~core


def _random_box(g, height, width):
    x0, x1 = sorted(torch.randint(0, width, (2,), generator=g).tolist())
    y0, y1 = sorted(torch.randint(0, height, (2,), generator=g).tolist())
    return [x0, y0, x1 + 8, y1 + 8]  # may reach past the border: clipped


@pytest.mark.parametrize("line_width", [1, 2, 3])
def test_boxes_are_drawn_on_exactly_their_outline(line_width, seeded_generator):
    g = seeded_generator
    image = _rand_image(g)
    height, width = image.shape[1:]
    box = _random_box(g, height, width)
    color = tuple(torch.randint(0, 256, (3,), generator=g).tolist())
    out = draw_bounding_boxes(image, torch.tensor([box], dtype=torch.float32), colors=color, width=line_width)
    outline = _outline(height, width, box, line_width)
    expected = torch.where(outline, torch.tensor(color, dtype=torch.uint8)[:, None, None], image)
    assert torch.equal(out, expected)


def test_later_boxes_are_drawn_over_earlier_ones_with_each_colour(seeded_generator):
    image = torch.zeros(3, 30, 40, dtype=torch.uint8)
    boxes = torch.tensor([[2, 2, 20, 20], [10, 10, 30, 25]])
    out = draw_bounding_boxes(image, boxes, colors=["red", (0, 0, 255)])
    red, blue = _outline(30, 40, [2, 2, 20, 20], 1), _outline(30, 40, [10, 10, 30, 25], 1)
    expected = torch.zeros(3, 30, 40, dtype=torch.uint8)
    expected[0][red] = 255
    expected[:, blue] = torch.tensor([0, 0, 255], dtype=torch.uint8)[:, None]
    assert torch.equal(out, expected)


def test_box_colours_by_name_hex_tuple_int_and_default(seeded_generator):
    image = torch.zeros(3, 12, 12, dtype=torch.uint8)
    box = torch.tensor([[1, 1, 9, 9]])
    for color, rgb in [("lime", (0, 255, 0)), ("#102030", (16, 32, 48)), ((7, 8, 9), (7, 8, 9)), (200, (200, 200, 200))]:
        assert draw_bounding_boxes(image, box, colors=color)[:, 1, 1].tolist() == list(rgb)
    defaults = draw_bounding_boxes(image, torch.tensor([[0, 0, 3, 3], [5, 5, 9, 9]]))
    assert defaults[:, 0, 0].tolist() == list(PALETTE[0]) and defaults[:, 5, 5].tolist() == list(PALETTE[1])
    for bad in ["notacolour", (1, 2), (1, 2, 300), 256, [1.5]]:
        with pytest.raises(ValueError, match="colo"):
            draw_bounding_boxes(image, box, colors=bad)
    with pytest.raises(ValueError, match="1 colours for 2 objects"):
        draw_bounding_boxes(image, torch.tensor([[0, 0, 3, 3], [5, 5, 9, 9]]), colors=["red"])


def test_box_fill_blends_alpha_100(seeded_generator):
    image = _rand_image(seeded_generator, height=20, width=20)
    out = draw_bounding_boxes(image, torch.tensor([[2, 3, 15, 17]]), colors=(255, 0, 0), fill=True)
    interior = (slice(None), slice(4, 17), slice(3, 15))
    expected = image[interior].float() + (torch.tensor([255.0, 0, 0])[:, None, None] - image[interior].float()) * 100 / 255
    assert (out[interior].float() - expected).abs().max() <= 1
    assert torch.equal(out[:, 18:], image[:, 18:])


def test_box_labels_are_written_inside_the_box():
    image = torch.zeros(3, 40, 60, dtype=torch.uint8)
    box = torch.tensor([[5, 5, 55, 35]])
    plain = draw_bounding_boxes(image, box, colors="white")
    labelled = draw_bounding_boxes(image, box, colors="white", labels=["cat"], label_colors="yellow")
    changed = (labelled != plain).any(dim=0)
    assert changed.any()
    ys, xs = changed.nonzero().unbind(1)
    assert ys.min() >= 6 and xs.min() >= 6 and ys.max() < 35 and xs.max() < 55
    assert (labelled[2][changed] < labelled[0][changed]).all()  # yellow-ish text: red high, blue low
    filled = draw_bounding_boxes(image, box, colors="white", labels=["cat"], fill_labels=True)
    assert (filled[:, 8, 8] == 255).all()  # white label background, black text
    with pytest.raises(ValueError, match="1 boxes but 2 labels"):
        draw_bounding_boxes(image, box, labels=["a", "b"])


def test_boxes_on_float_and_gray_images(seeded_generator):
    image = _rand_image(seeded_generator, height=16, width=16)
    box = torch.tensor([[2, 2, 12, 12]])
    as_uint8 = draw_bounding_boxes(image, box, colors="red")
    as_float = draw_bounding_boxes(image.double() / 255, box, colors="red")
    assert as_float.dtype == torch.float64
    assert torch.allclose(as_float, as_uint8.double() / 255)
    gray = draw_bounding_boxes(image[:1], box, colors="red")
    assert gray.shape == (3, 16, 16) and torch.equal(gray[:, 0, 0], image[0, 0, 0].repeat(3))
    assert gray[:, 2, 2].tolist() == [255, 0, 0]


def test_rotated_boxes_as_corner_points():
    image = torch.zeros(3, 20, 20, dtype=torch.uint8)
    corners = torch.tensor([[3, 4, 15, 4, 15, 12, 3, 12]])
    assert torch.equal(draw_bounding_boxes(image, corners, colors="red"),
                       draw_bounding_boxes(image, torch.tensor([[3, 4, 15, 12]]), colors="red"))


def test_bounding_box_errors():
    image = torch.zeros(3, 10, 10, dtype=torch.uint8)
    with pytest.raises(ValueError, match="xmin <= xmax"):
        draw_bounding_boxes(image, torch.tensor([[5, 1, 2, 8]]))
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        draw_bounding_boxes(image, torch.tensor([1, 2, 3, 4]))
    with pytest.raises(TypeError, match="supports uint8, float16, bfloat16, float32, float64"):
        draw_bounding_boxes(image.int(), torch.tensor([[1, 1, 2, 2]]))
    with pytest.raises(ValueError, match="not a batch"):
        draw_bounding_boxes(image[None], torch.tensor([[1, 1, 2, 2]]))
    with pytest.raises(TypeError, match="C in"):
        draw_bounding_boxes(torch.zeros(2, 10, 10, dtype=torch.uint8), torch.tensor([[1, 1, 2, 2]]))
    with pytest.raises(ValueError, match="width"):
        draw_bounding_boxes(image, torch.tensor([[1, 1, 2, 2]]), width=-1)
    assert draw_bounding_boxes(image, torch.zeros(0, 4)) is image


# --- draw_segmentation_masks -----------------------------------------------------------------


def _masks_by_formula(image, masks, alpha, colors):
    """torchvision's definition, one mask at a time."""
    painted = image.clone()
    for mask, color in zip(masks, colors):
        painted[:, mask] = torch.tensor(color, dtype=image.dtype)[:, None]
    painted[:, masks.sum(0) > 1] = 0
    return (image * (1 - alpha) + painted * alpha).to(image.dtype)


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_masks_blend_exactly_as_the_formula(dtype, seeded_generator):
    g = seeded_generator
    image = _rand_image(g, dtype=dtype)
    count = int(torch.randint(1, 5, (), generator=g))
    masks = torch.rand(count, *image.shape[1:], generator=g) < 0.4
    alpha = float(torch.rand((), generator=g))
    rgb = [tuple(torch.randint(0, 256, (3,), generator=g).tolist()) for _ in range(count)]
    colors = rgb if dtype == torch.uint8 else [tuple(v / 255 for v in c) for c in rgb]
    out = draw_segmentation_masks(image, masks, alpha=alpha, colors=rgb)
    assert out.dtype == dtype
    assert torch.equal(out, _masks_by_formula(image, masks, alpha, colors))


def test_mask_extremes(seeded_generator):
    image = _rand_image(seeded_generator)
    mask = torch.zeros(image.shape[1:], dtype=torch.bool)
    mask[2:5, 3:9] = True
    opaque = draw_segmentation_masks(image, mask, alpha=1.0, colors="blue")
    assert (opaque[:, mask] == torch.tensor([0, 0, 255], dtype=torch.uint8)[:, None]).all()
    assert torch.equal(opaque[:, ~mask], image[:, ~mask])
    assert torch.equal(draw_segmentation_masks(image, mask, alpha=0.0), image)
    both = draw_segmentation_masks(image, torch.stack([mask, mask]), alpha=1.0)
    assert (both[:, mask] == 0).all()  # overlaps are black, as torchvision


def test_mask_errors():
    image = torch.zeros(3, 4, 4, dtype=torch.uint8)
    with pytest.raises(TypeError, match="bool"):
        draw_segmentation_masks(image, torch.zeros(4, 4, dtype=torch.uint8))
    with pytest.raises(ValueError, match="masks are"):
        draw_segmentation_masks(image, torch.zeros(4, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        draw_segmentation_masks(image, torch.zeros(1, 1, 4, 4, dtype=torch.bool))
    with pytest.raises(TypeError, match="C in"):
        draw_segmentation_masks(image[:1], torch.zeros(4, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="alpha"):
        draw_segmentation_masks(image, torch.zeros(4, 4, dtype=torch.bool), alpha=1.5)


# --- draw_keypoints --------------------------------------------------------------------------


def test_keypoints_are_discs_of_the_radius(seeded_generator):
    g = seeded_generator
    image = _rand_image(g, height=30, width=30)
    x, y = (int(v) for v in torch.randint(6, 24, (2,), generator=g))
    radius = int(torch.randint(1, 4, (), generator=g))
    out = draw_keypoints(image, torch.tensor([[[x, y]]], dtype=torch.float32), colors=(1, 2, 3), radius=radius)
    color = torch.tensor([1, 2, 3], dtype=torch.uint8)
    for dx, dy in [(0, 0), (radius, 0), (-radius, 0), (0, radius), (0, -radius)]:
        assert torch.equal(out[:, y + dy, x + dx], color)
    far = torch.ones(30, 30, dtype=torch.bool)
    far[y - radius:y + radius + 1, x - radius:x + radius + 1] = False
    assert torch.equal(out[:, far], image[:, far])


def test_keypoint_connections_and_visibility():
    image = torch.zeros(3, 30, 30, dtype=torch.uint8)
    points = torch.tensor([[[5.0, 15.0], [25.0, 15.0]], [[5.0, 5.0], [25.0, 5.0]]])
    out = draw_keypoints(image, points, connectivity=[(0, 1)], colors=["red", "lime"], radius=1, width=1,
                         visibility=torch.tensor([[True, True], [True, False]])[..., None])
    assert out[:, 15, 15].tolist() == [255, 0, 0]  # the line's midpoint
    assert out[:, 5, 5].tolist() == [0, 255, 0]  # visible point of the second instance
    assert out[:, 5, 15].tolist() == [0, 0, 0] and out[:, 5, 25].tolist() == [0, 0, 0]  # hidden: no line, no point
    single = draw_keypoints(image, points[0], colors="red", radius=1)  # (K, 2) is one instance
    assert single[:, 15, 5].tolist() == [255, 0, 0] and single[:, 15, 15].tolist() == [0, 0, 0]


def test_keypoints_float_image_and_errors():
    image = torch.zeros(3, 10, 10)
    out = draw_keypoints(image, torch.tensor([[[4, 4]]]), colors="white", radius=0)
    assert out.dtype == torch.float32 and out[:, 4, 4].tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match=r"\(N, K, 2\)"):
        draw_keypoints(image, torch.zeros(1, 2, 3))
    with pytest.raises(ValueError, match="visibility"):
        draw_keypoints(image, torch.zeros(1, 2, 2), visibility=torch.ones(1, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match="connectivity"):
        draw_keypoints(image, torch.zeros(1, 2, 2), connectivity=[(0, 2)])
    with pytest.raises(ValueError, match="radius"):
        draw_keypoints(image, torch.zeros(1, 2, 2), radius=-1)


# --- the docs figure script ------------------------------------------------------------------


def _load_make_figures():
    spec = importlib.util.spec_from_file_location("make_figures", DOCS / "make_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_figure_script_draws_the_grid_with_each_augmentation(tmp_path):
    figures = _load_make_figures()
    calls = []

    def blank(sample):
        calls.append(sample)
        return {**sample, "image": torch.full_like(sample["image"], 50), "boxes": torch.zeros(0, 4), "labels": []}

    path = figures.figure_augmented_boxes(tmp_path, augmentations={"original": None, "blank": blank}, samples=3)
    grid = read_image(path)
    height, width = figures.SIZE
    assert grid.shape == (3, 2 * (height + 4) + 4, 3 * (width + 4) + 4)
    assert len(calls) == 3
    second_row = grid[:, 4 + height + 4: 4 + 2 * height + 4, 4: 4 + width]
    assert (second_row == 50).all()  # what the augmentation returned, nothing drawn on it
    first_row = grid[:, 4: 4 + height, 4: 4 + width]
    assert not (first_row == 50).all()


def test_figure_samples_are_consistent():
    figures = _load_make_figures()
    for sample in figures.synthetic_samples(4, seed=3):
        image, boxes, masks = sample["image"], sample["boxes"], sample["masks"]
        assert image.dtype == torch.uint8 and image.shape == (3, *figures.SIZE)
        assert len(sample["labels"]) == boxes.shape[0] == masks.shape[0] == sample["keypoints"].shape[0]
        for box, mask in zip(boxes, masks):
            if mask.any():
                ys, xs = mask.nonzero().unbind(1)
                assert box.tolist() == [xs.min().item(), ys.min().item(), xs.max().item(), ys.max().item()]
        flip = figures.through(figures.T.RandomHorizontalFlip(p=1.0))
        flipped = flip(sample)
        assert not torch.equal(flipped["image"], image) or torch.equal(image, image.flip(-1))
        assert torch.equal(flip(flipped)["boxes"], boxes) and torch.equal(flip(flipped)["masks"], masks)


def test_committed_figures_exist_and_are_small():
    for name in _load_make_figures().FIGURES:
        path = DOCS / "images" / f"{name}.png"
        assert path.is_file() and path.stat().st_size < 100_000


def test_drawing_on_an_empty_image_is_a_clear_error():
    from triptych.vision.utils import draw_bounding_boxes, draw_keypoints, draw_segmentation_masks

    for shape in [(3, 0, 5), (3, 5, 0)]:
        image = torch.zeros(shape, dtype=torch.uint8)
        with pytest.raises(ValueError, match="empty image"):
            draw_bounding_boxes(image, torch.tensor([[0, 0, 1, 1]]))
        with pytest.raises(ValueError, match="empty image"):
            draw_segmentation_masks(image, torch.zeros(1, *shape[1:], dtype=torch.bool))
        with pytest.raises(ValueError, match="empty image"):
            draw_keypoints(image, torch.zeros(1, 1, 2))
