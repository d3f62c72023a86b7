"""Geometry transforms: every functional against an independent reference on random inputs
drawn fresh each run, boxes/masks/keypoints following the image, batches with per-sample
parameters, reproducibility, PIL inputs and the box utilities."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from triptych.vision import tensors
from triptych.vision import transforms as T
from triptych.vision.transforms import _geometry as geometry_classes
from triptych.vision.transforms import functional as F
from triptych.vision.transforms._base import SampleInfo
from triptych.vision.transforms.functional import _geometry as geometry_functional

PIL = pytest.importorskip("PIL.Image")


@pytest.fixture
def gen(seeded_generator) -> torch.Generator:
    return seeded_generator


def rand_image(gen, shape=(3, 23, 31), dtype=torch.uint8) -> torch.Tensor:
    if dtype == torch.uint8:
        return torch.randint(0, 256, shape, generator=gen, dtype=torch.uint8)
    return torch.rand(shape, generator=gen, dtype=dtype)


def rint(gen, low, high) -> int:
    return int(torch.randint(low, high, (), generator=gen))


def runiform(gen, low, high) -> float:
    return float(torch.empty(()).uniform_(low, high, generator=gen))


def random_box(gen, height, width, min_side=6) -> list[int]:
    x1 = rint(gen, 0, width - min_side)
    y1 = rint(gen, 0, height - min_side)
    return [x1, y1, rint(gen, x1 + min_side, width + 1), rint(gen, y1 + min_side, height + 1)]


def inner_box(gen, height, width) -> list[int]:
    """A box of sides 8 .. half the canvas, inside the central half: it usually stays on the
    canvas under the warps, where the box/mask comparison is exact."""
    bw, bh = rint(gen, 8, width // 2 + 1), rint(gen, 8, height // 2 + 1)
    x1 = rint(gen, width // 4 - 4, 3 * width // 4 - bw + 5)
    y1 = rint(gen, height // 4 - 4, 3 * height // 4 - bh + 5)
    return [x1, y1, x1 + bw, y1 + bh]


def mask_of_box(box, height, width) -> tensors.Mask:
    mask = torch.zeros(height, width, dtype=torch.uint8)
    x1, y1, x2, y2 = box
    mask[y1:y2, x1:x2] = 1
    return tensors.Mask(mask)


def bbox_of_mask(mask) -> list[float] | None:
    ys, xs = torch.nonzero(mask.as_subclass(torch.Tensor) > 0, as_tuple=True)
    if ys.numel() == 0:
        return None
    return [xs.min().item(), ys.min().item(), xs.max().item() + 1, ys.max().item() + 1]


def plain(x: torch.Tensor) -> torch.Tensor:
    return x.as_subclass(torch.Tensor)


# --- docstring examples -----------------------------------------------------------------------


@pytest.mark.parametrize("module", [geometry_functional, geometry_classes])
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 10
    assert result.failed == 0


# --- crop / flip / pad against direct indexing, torch.flip, torch / numpy padding --------------


def test_crop_matches_slicing(gen):
    image = rand_image(gen, (2, 3, 20, 30))
    top, left = rint(gen, 0, 15), rint(gen, 0, 25)
    height, width = rint(gen, 1, 20 - top + 1), rint(gen, 1, 30 - left + 1)
    torch.testing.assert_close(
        F.crop(image, top, left, height, width), image[..., top : top + height, left : left + width]
    )


def test_crop_outside_the_image_is_zero_padded(gen):
    image = rand_image(gen, (3, 12, 15))
    top, left = rint(gen, -6, 6), rint(gen, -6, 6)
    height, width = rint(gen, 4, 20), rint(gen, 4, 20)
    big = torch.zeros(3, 12 + 40, 15 + 40, dtype=image.dtype)
    big[:, 20:32, 20:35] = image
    expected = big[:, 20 + top : 20 + top + height, 20 + left : 20 + left + width]
    torch.testing.assert_close(F.crop(image, top, left, height, width), expected)


def test_flips_match_torch_flip(gen):
    image = rand_image(gen, (4, 3, 9, 14), torch.float32)
    torch.testing.assert_close(F.horizontal_flip(image), torch.flip(image, dims=[-1]))
    torch.testing.assert_close(F.vertical_flip(image), torch.flip(image, dims=[-2]))
    assert F.hflip is F.horizontal_flip and F.vflip is F.vertical_flip


@pytest.mark.parametrize(
    "mode, torch_mode", [("constant", "constant"), ("edge", "replicate"), ("reflect", "reflect")]
)
def test_pad_matches_torch_pad(gen, mode, torch_mode):
    image = rand_image(gen, (3, 10, 12), torch.float32)
    left, top, right, bottom = (rint(gen, 0, 9) for _ in range(4))
    fill = runiform(gen, 0, 1)
    out = F.pad(image, [left, top, right, bottom], fill=fill, padding_mode=mode)
    kwargs = {"value": fill} if mode == "constant" else {}
    expected = TF.pad(image.unsqueeze(0), [left, right, top, bottom], mode=torch_mode, **kwargs)[0]
    torch.testing.assert_close(out, expected)


@pytest.mark.parametrize("mode", ["reflect", "symmetric", "edge"])
def test_pad_matches_numpy_for_all_widths_and_integer_dtypes(gen, mode):
    image = torch.randint(-1000, 1000, (2, 5, 7), generator=gen, dtype=torch.int64)
    left, top, right, bottom = (rint(gen, 0, 16) for _ in range(4))  # wider than the image too
    numpy_mode = {"edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}[mode]
    expected = np.pad(image.numpy(), ((0, 0), (top, bottom), (left, right)), mode=numpy_mode)
    out = F.pad(image, [left, top, right, bottom], padding_mode=mode)
    assert out.dtype == torch.int64
    np.testing.assert_array_equal(out.numpy(), expected)


def test_pad_per_channel_fill_and_padding_forms(gen):
    image = rand_image(gen, (3, 4, 5))
    out = F.pad(image, [2, 1], fill=[10, 20, 30])
    assert out.shape == (3, 6, 9)
    torch.testing.assert_close(out[:, 1:5, 2:7], image)
    for channel, value in enumerate([10, 20, 30]):
        border = torch.ones(6, 9, dtype=torch.bool)
        border[1:5, 2:7] = False
        assert (out[channel][border] == value).all()
    assert F.pad(image, 3).shape == (3, 10, 11)
    assert F.pad(image, [1, 2, 3, 4]).shape == (3, 4 + 2 + 4, 5 + 1 + 3)


# --- resize -----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_resize_float_matches_interpolate_antialias(gen, mode):
    image = rand_image(gen, (2, 3, 37, 29), torch.float32)
    size = [rint(gen, 5, 60), rint(gen, 5, 60)]
    expected = TF.interpolate(image, size=size, mode=mode, align_corners=False, antialias=True)
    torch.testing.assert_close(
        F.resize(image, size, interpolation=mode), expected, atol=1e-5, rtol=1e-5
    )
    no_aa = TF.interpolate(image, size=size, mode=mode, align_corners=False, antialias=False)
    torch.testing.assert_close(
        F.resize(image, size, interpolation=mode, antialias=False), no_aa, atol=1e-5, rtol=1e-5
    )


def test_resize_uint8_is_the_rounded_float_resize_within_one_level(gen):
    image = rand_image(gen, (3, 41, 33))
    size = [rint(gen, 5, 70), rint(gen, 5, 70)]
    out = F.resize(image, size)
    assert out.dtype == torch.uint8 and out.shape == (3, *size)
    expected = TF.interpolate(
        image[None].float(), size=size, mode="bilinear", align_corners=False, antialias=True
    )[0]
    assert (out.float() - expected.round().clamp(0, 255)).abs().max() <= 1


def test_resize_nearest_matches_interpolate_exactly(gen):
    image = rand_image(gen, (3, 19, 26))
    size = [rint(gen, 3, 50), rint(gen, 3, 50)]
    expected = TF.interpolate(image[None].float(), size=size, mode="nearest")[0].to(torch.uint8)
    torch.testing.assert_close(
        F.resize(image, size, interpolation=T.InterpolationMode.NEAREST), expected
    )


def test_resize_uint8_calls_the_compiled_resize_op(monkeypatch, gen):
    """The uint8 path hands the uint8 tensor itself to ``vision.ops.resize`` (no float copy)."""
    from triptych.vision import ops as vops

    seen = []
    original = vops.resize

    def spy(image, size, **kwargs):
        seen.append(image.dtype)
        return original(image, size, **kwargs)

    monkeypatch.setattr(vops, "resize", spy)
    image = rand_image(gen, (3, 30, 40))
    T.Resize(20)(image)
    T.RandomResizedCrop(8, generator=gen)(image)  # every region (area >= 0.08) is larger than 8 x 8
    assert seen == [torch.uint8, torch.uint8]


def test_resize_output_size_rules(gen):
    height, width = rint(gen, 10, 90), rint(gen, 10, 90)
    image = torch.zeros(1, height, width)
    size = rint(gen, 5, 50)
    short, long = min(height, width), max(height, width)
    new_long = int(size * long / short)
    expected = (size, new_long) if height <= width else (new_long, size)
    assert F.resize(image, size).shape[-2:] == expected
    assert F.resize(image, [size]).shape[-2:] == expected
    capped = F.resize(image, size, max_size=size + 1)
    assert max(capped.shape[-2:]) <= size + 1
    assert max(F.resize(image, None, max_size=size).shape[-2:]) == size
    with pytest.raises(ValueError):
        F.resize(image, size, max_size=size)


def test_resized_crop_is_crop_then_resize(gen):
    image = rand_image(gen, (3, 40, 50), torch.float32)
    top, left, height, width = (
        rint(gen, 0, 20),
        rint(gen, 0, 20),
        rint(gen, 5, 20),
        rint(gen, 5, 30),
    )
    expected = TF.interpolate(
        image[None, :, top : top + height, left : left + width],
        size=[17, 13],
        mode="bilinear",
        align_corners=False,
        antialias=True,
    )[0]
    torch.testing.assert_close(
        F.resized_crop(image, top, left, height, width, [17, 13]), expected, atol=1e-5, rtol=1e-5
    )


def test_resize_keeps_channels_last_memory(gen):
    """Images decoded from HWC memory stay HWC through crops and resizes (no repacking)."""
    image = rand_image(gen, (3, 40, 50))
    hwc = image.permute(1, 2, 0).contiguous().permute(2, 0, 1)
    out = F.resized_crop(hwc, 3, 4, 20, 30, [10, 12])
    assert out.permute(1, 2, 0).is_contiguous()
    # The planar and the interleaved uint8 paths round float sums computed in a different order
    # (AVX2 FMA vs scalar), so a pixel at a .5 boundary can land one level apart: the kernel's
    # uint8 contract is parity within one level.
    torch.testing.assert_close(out, F.resized_crop(image, 3, 4, 20, 30, [10, 12]), atol=1, rtol=0)
    batch = torch.stack([image, image]).contiguous(memory_format=torch.channels_last)
    assert F.resize(batch, [20, 25]).is_contiguous(memory_format=torch.channels_last)


# --- centre / five / ten crops ------------------------------------------------------------------


def test_center_crop_matches_slicing_and_pads_when_larger(gen):
    height, width = rint(gen, 5, 30), rint(gen, 5, 30)
    image = rand_image(gen, (3, height, width))
    crop_h, crop_w = rint(gen, 1, height + 1), rint(gen, 1, width + 1)
    top, left = int(round((height - crop_h) / 2)), int(round((width - crop_w) / 2))
    torch.testing.assert_close(
        F.center_crop(image, [crop_h, crop_w]), image[:, top : top + crop_h, left : left + crop_w]
    )
    big = F.center_crop(image, [height + 5, width + 4])
    assert big.shape == (3, height + 5, width + 4)
    torch.testing.assert_close(big[:, 2 : 2 + height, 2 : 2 + width], image)
    assert big.sum() == image.sum()


def test_five_and_ten_crop(gen):
    image = rand_image(gen, (3, 20, 25))
    h, w = rint(gen, 1, 21), rint(gen, 1, 26)
    tl, tr, bl, br, center = F.five_crop(image, [h, w])
    torch.testing.assert_close(tl, image[:, :h, :w])
    torch.testing.assert_close(tr, image[:, :h, 25 - w :])
    torch.testing.assert_close(bl, image[:, 20 - h :, :w])
    torch.testing.assert_close(br, image[:, 20 - h :, 25 - w :])
    torch.testing.assert_close(center, F.center_crop(image, [h, w]))
    ten = T.TenCrop([h, w])(image)
    assert len(ten) == 10
    torch.testing.assert_close(ten[5], torch.flip(image, dims=[-1])[:, :h, :w])
    with pytest.raises(ValueError):
        F.five_crop(image, [21, 5])
    with pytest.raises(TypeError):
        T.FiveCrop(4)(tensors.Mask(torch.zeros(20, 25)))


# --- rotate / affine / perspective / elastic on images ----------------------------------------------


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_rotate_multiples_of_90_equal_rot90(gen, dtype):
    side = rint(gen, 4, 20)
    square = rand_image(gen, (3, side, side), dtype)
    for quarter in range(4):
        torch.testing.assert_close(
            F.rotate(square, 90.0 * quarter), torch.rot90(square, quarter, dims=(-2, -1))
        )
        # the grid path (a centre given) must agree with rot90 too: it checks sign conventions
        grid_path = F.rotate(square, 90.0 * quarter, center=[side / 2, side / 2])
        torch.testing.assert_close(grid_path, torch.rot90(square, quarter, dims=(-2, -1)))
    wide = rand_image(gen, (3, side, side + 5), dtype)
    torch.testing.assert_close(
        F.rotate(wide, 90.0, expand=True), torch.rot90(wide, 1, dims=(-2, -1))
    )
    torch.testing.assert_close(
        F.rotate(wide, -90.0, expand=True), torch.rot90(wide, -1, dims=(-2, -1))
    )
    torch.testing.assert_close(F.rotate(wide, 180.0), torch.rot90(wide, 2, dims=(-2, -1)))


def test_affine_turns_clockwise_and_identity_is_input(gen):
    side = rint(gen, 4, 20)
    square = rand_image(gen, (2, 3, side, side), torch.float32)
    torch.testing.assert_close(
        F.affine(square, 90.0, [0, 0], 1.0, 0.0), torch.rot90(square, -1, dims=(-2, -1))
    )
    for dtype in (torch.uint8, torch.float32):
        image = rand_image(gen, (3, 13, 17), dtype)
        for mode in ("nearest", "bilinear"):
            torch.testing.assert_close(
                F.affine(image, 0.0, [0, 0], 1.0, [0.0, 0.0], interpolation=mode), image
            )


def test_affine_integer_translation_is_a_shift(gen):
    image = rand_image(gen, (3, 15, 18))
    dx, dy = rint(gen, -5, 6), rint(gen, -5, 6)
    expected = torch.zeros_like(image)
    src = image[:, max(-dy, 0) : 15 - max(dy, 0), max(-dx, 0) : 18 - max(dx, 0)]
    expected[:, max(dy, 0) : max(dy, 0) + src.shape[1], max(dx, 0) : max(dx, 0) + src.shape[2]] = (
        src
    )
    for mode in ("nearest", "bilinear"):
        torch.testing.assert_close(
            F.affine(image, 0.0, [dx, dy], 1.0, 0.0, interpolation=mode), expected
        )


def test_affine_fill_marks_the_outside(gen):
    image = torch.full((3, 10, 10), 100, dtype=torch.uint8)
    out = F.affine(image, 0.0, [4, 0], 1.0, 0.0, fill=[1, 2, 3])
    assert out[:, :, :4].tolist() == [[[v] * 4] * 10 for v in (1, 2, 3)]
    assert (out[:, :, 4:] == 100).all()


def test_perspective_identity_and_translation_match_affine(gen):
    image = rand_image(gen, (3, 16, 20))
    corners = [[0, 0], [19, 0], [19, 15], [0, 15]]
    torch.testing.assert_close(F.perspective(image, corners, corners), image)
    dx, dy = rint(gen, -4, 5), rint(gen, -4, 5)
    moved = [[x + dx, y + dy] for x, y in corners]
    torch.testing.assert_close(
        F.perspective(image, corners, moved, interpolation="nearest"),
        F.affine(image, 0.0, [dx, dy], 1.0, 0.0),
    )


def test_elastic_zero_is_identity_and_constant_is_a_shift(gen):
    image = rand_image(gen, (3, 12, 16), torch.float32)
    torch.testing.assert_close(F.elastic(image, torch.zeros(1, 12, 16, 2)), image)
    shift = torch.zeros(1, 12, 16, 2)
    shift[..., 0] = 2 * 3 / 16  # sample 3 pixels to the right: content moves left
    torch.testing.assert_close(F.elastic(image, shift)[:, :, :13], image[:, :, 3:])


def test_warps_accept_leading_dims_and_keep_dtype(gen):
    image = rand_image(gen, (2, 2, 3, 9, 11))
    for out in (
        F.rotate(image, 17.0, interpolation="bilinear"),
        F.affine(image, 10.0, [1, 2], 1.1, [3.0, 1.0]),
        F.perspective(image, None, None, coefficients=[1.0, 0.1, 0.0, 0.0, 1.0, 0.0, 0.001, 0.0]),
    ):
        assert out.shape == image.shape and out.dtype == torch.uint8
    out = F.rotate(image, 17.0, interpolation="bilinear")
    torch.testing.assert_close(out[1, 0], F.rotate(image[1, 0], 17.0, interpolation="bilinear"))


# --- boxes and keypoints: hand-rolled formulas ------------------------------------------------


def random_boxes(gen, height, width, count=5) -> torch.Tensor:
    return torch.tensor(
        [random_box(gen, height, width, 2) for _ in range(count)], dtype=torch.float32
    )


def test_boxes_follow_flip_crop_resize_pad_by_formula(gen):
    height, width = rint(gen, 20, 40), rint(gen, 20, 40)
    xyxy = random_boxes(gen, height, width)
    boxes = tensors.BoundingBoxes(xyxy, format="XYXY", canvas_size=(height, width))
    x1, y1, x2, y2 = xyxy.unbind(1)

    torch.testing.assert_close(
        plain(F.hflip(boxes)), torch.stack([width - x2, y1, width - x1, y2], 1)
    )
    torch.testing.assert_close(
        plain(F.vflip(boxes)), torch.stack([x1, height - y2, x2, height - y1], 1)
    )

    top, left, ch, cw = rint(gen, 0, 10), rint(gen, 0, 10), rint(gen, 5, 15), rint(gen, 5, 15)
    cropped = F.crop(boxes, top, left, ch, cw)
    expected = torch.stack(
        [
            (x1 - left).clamp(0, cw),
            (y1 - top).clamp(0, ch),
            (x2 - left).clamp(0, cw),
            (y2 - top).clamp(0, ch),
        ],
        1,
    )
    torch.testing.assert_close(plain(cropped), expected)
    assert cropped.canvas_size == (ch, cw)

    new_h, new_w = rint(gen, 5, 80), rint(gen, 5, 80)
    resized = F.resize(boxes, [new_h, new_w])
    sx, sy = new_w / width, new_h / height
    torch.testing.assert_close(plain(resized), torch.stack([x1 * sx, y1 * sy, x2 * sx, y2 * sy], 1))
    assert resized.canvas_size == (new_h, new_w)

    left, top, right, bottom = (rint(gen, 0, 6) for _ in range(4))
    padded = F.pad(boxes, [left, top, right, bottom])
    torch.testing.assert_close(
        plain(padded), torch.stack([x1 + left, y1 + top, x2 + left, y2 + top], 1)
    )
    assert padded.canvas_size == (height + top + bottom, width + left + right)


def test_boxes_follow_rotate90_by_formula(gen):
    height, width = rint(gen, 20, 40), rint(gen, 20, 40)
    xyxy = random_boxes(gen, height, width)
    boxes = tensors.BoundingBoxes(xyxy, format="XYXY", canvas_size=(height, width))
    x1, y1, x2, y2 = xyxy.unbind(1)
    # counter-clockwise quarter turn of a W x H canvas into an H x W one: (x, y) -> (y, W - x)
    turned = F.rotate(boxes, 90.0, expand=True)
    assert turned.canvas_size == (width, height)
    torch.testing.assert_close(
        plain(turned), torch.stack([y1, width - x2, y2, width - x1], 1), atol=1e-4, rtol=0
    )
    half = F.rotate(boxes, 180.0)
    torch.testing.assert_close(
        plain(half),
        torch.stack([width - x2, height - y2, width - x1, height - y1], 1),
        atol=1e-4,
        rtol=0,
    )


@pytest.mark.parametrize("fmt", ["XYWH", "CXCYWH"])
def test_box_formats_transform_like_xyxy(gen, fmt):
    height, width = 30, 40
    xyxy = tensors.BoundingBoxes(
        random_boxes(gen, height, width), format="XYXY", canvas_size=(height, width)
    )
    other = F.convert_bounding_box_format(xyxy, new_format=fmt)
    assert other.format.value == fmt
    for fn in (
        F.hflip,
        F.vflip,
        lambda b: F.crop(b, 3, 4, 20, 25),
        lambda b: F.resize(b, [20, 50]),
        lambda b: F.pad(b, [1, 2, 3, 4]),
        lambda b: F.rotate(b, 30.0),
        lambda b: F.affine(b, 10.0, [2, 1], 1.1, 5.0),
    ):
        back = F.convert_bounding_box_format(fn(other), new_format="XYXY")
        torch.testing.assert_close(plain(back), plain(fn(xyxy)), atol=1e-4, rtol=1e-4)


def test_convert_bounding_box_format_round_trip_and_plain_tensors(gen):
    xyxy = random_boxes(gen, 30, 40)
    for fmt in ("XYWH", "CXCYWH"):
        other = F.convert_bounding_box_format(xyxy, old_format="XYXY", new_format=fmt)
        torch.testing.assert_close(
            F.convert_bounding_box_format(other, old_format=fmt, new_format="XYXY"), xyxy
        )
    xywh = F.convert_bounding_box_format(xyxy, old_format="XYXY", new_format="XYWH")
    torch.testing.assert_close(xywh[:, 2:], xyxy[:, 2:] - xyxy[:, :2])
    cxcywh = F.convert_bounding_box_format(xyxy, "XYXY", "CXCYWH")
    torch.testing.assert_close(cxcywh[:, :2], (xyxy[:, :2] + xyxy[:, 2:]) / 2)
    with pytest.raises(ValueError):
        F.convert_bounding_box_format(xyxy, new_format="XYWH")


def test_clamp_bounding_boxes(gen):
    raw = torch.empty(6, 4).uniform_(-20, 60, generator=gen)
    out = F.clamp_bounding_boxes(raw, format="XYXY", canvas_size=(30, 40))
    torch.testing.assert_close(out[:, 0::2], raw[:, 0::2].clamp(0, 40))
    torch.testing.assert_close(out[:, 1::2], raw[:, 1::2].clamp(0, 30))
    boxes = tensors.BoundingBoxes(raw, format="XYXY", canvas_size=(30, 40))
    clamped = T.ClampBoundingBoxes()(boxes)
    assert isinstance(clamped, tensors.BoundingBoxes)
    torch.testing.assert_close(plain(clamped), out)


def test_keypoints_follow_flips_and_shifts(gen):
    height, width = rint(gen, 10, 30), rint(gen, 10, 30)
    xy = torch.stack(
        [
            torch.randint(0, width, (7,), generator=gen),
            torch.randint(0, height, (7,), generator=gen),
        ],
        1,
    ).float()
    points = tensors.KeyPoints(xy, canvas_size=(height, width))
    torch.testing.assert_close(
        plain(F.hflip(points)), torch.stack([width - 1 - xy[:, 0], xy[:, 1]], 1)
    )
    torch.testing.assert_close(
        plain(F.vflip(points)), torch.stack([xy[:, 0], height - 1 - xy[:, 1]], 1)
    )
    torch.testing.assert_close(plain(F.crop(points, 2, 3, 5, 5)), xy - torch.tensor([3.0, 2.0]))
    torch.testing.assert_close(plain(F.pad(points, [4, 1])), xy + torch.tensor([4.0, 1.0]))
    assert F.pad(points, [4, 1]).canvas_size == (height + 2, width + 8)


# --- boxes / keypoints / masks: one property across every geometric transform ---------------------


def geometric_cases(gen, height, width):
    angle = runiform(gen, -180, 180)
    dx, dy = rint(gen, -4, 5), rint(gen, -4, 5)
    scale = runiform(gen, 0.8, 1.3)
    shear = [runiform(gen, -15, 15), runiform(gen, -15, 15)]
    corners = [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]
    ends = [[x + rint(gen, -4, 5), y + rint(gen, -4, 5)] for x, y in corners]
    top, left = rint(gen, 0, 6), rint(gen, 0, 6)
    return {
        "hflip": F.hflip,
        "vflip": F.vflip,
        "crop": lambda x: F.crop(x, top, left, height - 8, width - 6),
        "center_crop": lambda x: F.center_crop(x, [height - 5, width + 3]),
        "pad": lambda x: F.pad(x, [left, top, 3, 2]),
        "resize_up": lambda x: F.resize(x, [height * 2 - 3, width + 7], interpolation="nearest"),
        "resized_crop": lambda x: F.resized_crop(
            x, top, left, height - 6, width - 6, [height + 4, width + 2], interpolation="nearest"
        ),
        "rotate": lambda x: F.rotate(x, angle),
        "rotate_expand": lambda x: F.rotate(x, angle, expand=True),
        "rotate_center": lambda x: F.rotate(x, angle, center=[left + 3.0, top + 7.0]),
        "affine": lambda x: F.affine(x, angle, [dx, dy], scale, shear),
        "perspective": lambda x: F.perspective(x, corners, ends),
    }


def test_a_box_drawn_as_a_mask_follows_the_same_transform(gen):
    height, width = rint(gen, 30, 48), rint(gen, 30, 48)
    strict = []
    for name, transform in geometric_cases(gen, height, width).items():
        box = inner_box(gen, height, width)
        boxes = tensors.BoundingBoxes(
            [box], format="XYXY", canvas_size=(height, width), dtype=torch.float32
        )
        out_boxes = transform(boxes)
        out_mask = transform(mask_of_box(box, height, width))
        assert tuple(out_mask.shape[-2:]) == out_boxes.canvas_size, name
        strict.append(assert_box_matches_mask(out_boxes, out_mask, name))
    assert sum(strict) >= 6  # most of the 12 stay inside the canvas and are compared exactly


def assert_box_matches_mask(out_boxes, out_mask, name, tol=1.5):
    """The transformed box is the box of the transformed region (within ``tol`` px) when it lies
    inside the canvas; when clamping cut it, the visible region still lies inside it."""
    found = bbox_of_mask(out_mask)
    expected = plain(out_boxes).reshape(-1, 4)[0].tolist()
    height, width = out_boxes.canvas_size
    inside = (
        expected[0] > 1 and expected[1] > 1 and expected[2] < width - 1 and expected[3] < height - 1
    )
    if found is None:
        # the region left the canvas; its clamped enclosing box may still overlap a corner
        assert not inside, (name, expected)
        return False
    if inside:
        assert max(abs(a - b) for a, b in zip(found, expected)) <= tol, (name, found, expected)
        return True
    else:  # the enclosing box of the corners was clamped; the visible part may be narrower
        assert found[0] >= expected[0] - tol and found[1] >= expected[1] - tol, (
            name,
            found,
            expected,
        )
        assert found[2] <= expected[2] + tol and found[3] <= expected[3] + tol, (
            name,
            found,
            expected,
        )
        return False


def test_a_keypoint_follows_the_pixel_it_marks(gen):
    height, width = rint(gen, 25, 40), rint(gen, 25, 40)
    for name, transform in geometric_cases(gen, height, width).items():
        if name in ("hflip", "vflip"):
            continue  # flips name pixels (x -> W - 1 - x), tested by formula above
        x, y = rint(gen, 8, width - 8), rint(gen, 8, height - 8)
        mask = torch.zeros(height, width, dtype=torch.uint8)
        mask[y - 1 : y + 2, x - 1 : x + 2] = (
            1  # a 3x3 blob survives nearest sampling under any warp
        )
        points = tensors.KeyPoints([[x + 0.5, y + 0.5]], canvas_size=(height, width))
        moved = plain(transform(points))[0]
        found = bbox_of_mask(transform(tensors.Mask(mask)))
        if found is None or not (
            0 <= moved[0] < transform(points).canvas_size[1]
            and 0 <= moved[1] < transform(points).canvas_size[0]
        ):
            continue
        centre = [(found[0] + found[2]) / 2, (found[1] + found[3]) / 2]
        assert (
            abs(centre[0] - moved[0].item()) <= 1.5 and abs(centre[1] - moved[1].item()) <= 1.5
        ), (name, centre, moved)


@pytest.mark.parametrize("dtype", [torch.int64, torch.bool, torch.uint8])
def test_masks_keep_dtype_and_only_nearest_values(gen, dtype):
    height, width = 21, 26
    if dtype == torch.bool:
        mask = torch.rand(height, width, generator=gen) > 0.5
    else:
        values = torch.tensor([0, 3, 7, 200] if dtype == torch.uint8 else [-1, 0, 5, 1_000_003])
        mask = values[torch.randint(0, 4, (height, width), generator=gen)].to(dtype)
    allowed = set(mask.unique().tolist()) | {0}  # 0 (== False) is the fill
    typed = tensors.Mask(mask)
    for name, transform in geometric_cases(gen, height, width).items():
        out = transform(typed)
        assert isinstance(out, tensors.Mask) and out.dtype == dtype, name
        assert set(plain(out).unique().tolist()) <= allowed, name
    out = F.elastic(typed, torch.empty(1, height, width, 2).uniform_(-0.2, 0.2, generator=gen))
    assert out.dtype == dtype and set(plain(out).unique().tolist()) <= allowed


def test_mask_resize_is_torch_nearest(gen):
    mask = torch.randint(0, 50, (2, 17, 23), generator=gen)
    size = [rint(gen, 3, 60), rint(gen, 3, 60)]
    expected = TF.interpolate(mask[None].double(), size=size, mode="nearest")[0].long()
    out = F.resize(tensors.Mask(mask), size, interpolation="bilinear")  # masks ignore the mode
    torch.testing.assert_close(plain(out), expected)
    assert plain(F.resize(tensors.Mask(mask[0]), size)).shape == tuple(size)


# --- transforms: reproducibility, samples, batches ------------------------------------------------


def random_transforms(gen_seed: int):
    def g():
        return torch.Generator().manual_seed(gen_seed)

    return [
        T.RandomResizedCrop(16, generator=g()),
        T.RandomCrop(20, padding=3, generator=g()),
        T.RandomHorizontalFlip(generator=g()),
        T.RandomVerticalFlip(generator=g()),
        T.RandomRotation(40, interpolation="bilinear", generator=g()),
        T.RandomAffine(20, translate=(0.1, 0.2), scale=(0.8, 1.2), shear=10, generator=g()),
        T.RandomPerspective(0.5, p=0.7, generator=g()),
        T.ElasticTransform(alpha=30.0, sigma=4.0, generator=g()),
    ]


@pytest.mark.parametrize("batch", [False, True])
def test_same_generator_seed_same_output(gen, batch):
    image = rand_image(gen, (4, 3, 30, 34) if batch else (3, 30, 34))
    seed = rint(gen, 0, 2**31 - 1)
    for first, second in zip(random_transforms(seed), random_transforms(seed)):
        for _ in range(3):  # the generators advance in step
            torch.testing.assert_close(first(image), second(image), msg=type(first).__name__)


def test_different_draws_give_different_outputs(gen):
    image = rand_image(gen, (3, 30, 34))
    for transform in random_transforms(rint(gen, 0, 2**31 - 1)):
        outputs = [transform(image) for _ in range(12)]
        assert any(not torch.equal(outputs[0], o) for o in outputs[1:]), type(transform).__name__


def test_a_sample_moves_together_and_labels_pass_through(gen):
    height, width = 32, 40
    box = random_box(gen, height, width, min_side=10)
    image = tensors.Image(rand_image(gen, (3, height, width)))
    sample = {
        "image": image,
        "boxes": tensors.BoundingBoxes([box], format="XYXY", canvas_size=(height, width)),
        "masks": tensors.Mask(mask_of_box(box, height, width).unsqueeze(0)),
        "labels": torch.tensor([7]),
    }
    transform = T.Compose(
        [
            T.RandomRotation(30, generator=gen),
            T.RandomHorizontalFlip(p=1.0),
            T.RandomResizedCrop(24, scale=(0.5, 1.0), generator=gen),
        ]
    )
    out = transform(sample)
    assert isinstance(out["image"], tensors.Image) and out["image"].shape == (3, 24, 24)
    assert out["boxes"].canvas_size == (24, 24) and out["masks"].shape == (1, 24, 24)
    assert torch.equal(out["labels"], torch.tensor([7]))
    assert_box_matches_mask(out["boxes"], out["masks"][0], "sample", tol=2.0)


def spy_params(transform):
    recorded = {}
    original = transform.make_params

    def spy(info):
        recorded["params"] = original(info)
        return recorded["params"]

    transform.make_params = spy
    return recorded


def test_batch_random_resized_crop_per_sample(gen):
    images = tensors.Image(rand_image(gen, (5, 3, 30, 40)))
    masks = tensors.Mask(torch.randint(0, 4, (5, 30, 40), generator=gen, dtype=torch.uint8))
    transform = T.RandomResizedCrop([12, 14], generator=gen)
    recorded = spy_params(transform)
    out_images, out_masks = transform(images, masks)
    regions = recorded["params"]["regions"].tolist()
    assert len({tuple(r) for r in regions}) > 1
    assert out_images.shape == (5, 3, 12, 14) and isinstance(out_images, tensors.Image)
    for i, region in enumerate(regions):
        torch.testing.assert_close(
            plain(out_images[i]),
            F.resized_crop(images[i].as_subclass(torch.Tensor), *region, [12, 14]),
        )
        torch.testing.assert_close(
            plain(out_masks[i]),
            plain(F.resized_crop(tensors.Mask(plain(masks[i])), *region, [12, 14])),
        )


def test_batch_flip_flips_a_random_subset(gen):
    images = rand_image(gen, (16, 3, 6, 7))
    transform = T.RandomHorizontalFlip(p=0.5, generator=gen)
    recorded = spy_params(transform)
    out = transform(images)
    apply = recorded["params"]["apply"]
    assert apply.shape == (16,)
    for i in range(16):
        torch.testing.assert_close(out[i], images[i].flip(-1) if apply[i] else images[i])


@pytest.mark.parametrize("kind", ["rotation", "affine", "perspective", "crop", "elastic"])
def test_batch_warps_equal_single_sample_calls(gen, kind):
    images = rand_image(gen, (4, 3, 20, 24))
    masks = tensors.Mask(torch.randint(0, 5, (4, 20, 24), generator=gen))
    if kind == "rotation":
        transform = T.RandomRotation(45, interpolation="bilinear", fill=9, generator=gen)
    elif kind == "affine":
        transform = T.RandomAffine(
            30, translate=(0.2, 0.2), scale=(0.7, 1.3), shear=(-10, 10, -5, 5), generator=gen
        )
    elif kind == "perspective":
        transform = T.RandomPerspective(0.6, p=0.6, generator=gen)
    elif kind == "crop":
        transform = T.RandomCrop(18, padding=[2, 3], padding_mode="reflect", generator=gen)
    else:
        transform = T.ElasticTransform(alpha=40.0, sigma=3.0, generator=gen)
    recorded = spy_params(transform)
    out_images, out_masks = transform(images, masks)
    params = recorded["params"]
    for i in range(4):
        if kind == "rotation":
            expected = F.rotate(images[i], params["angles"][i], interpolation="bilinear", fill=9)
            expected_mask = F.rotate(tensors.Mask(plain(masks[i])), params["angles"][i], fill=9)
        elif kind == "affine":
            expected = F.affine(images[i], **params["samples"][i])
            expected_mask = F.affine(tensors.Mask(plain(masks[i])), **params["samples"][i])
        elif kind == "perspective":
            coefficients = params["batch_coefficients"][i].tolist()
            applied = bool(params["apply"][i])
            expected = (
                F.perspective(images[i], None, None, coefficients=coefficients)
                if applied
                else images[i]
            )
            expected_mask = (
                F.perspective(tensors.Mask(plain(masks[i])), None, None, coefficients=coefficients)
                if applied
                else masks[i]
            )
        elif kind == "crop":
            padded = F.pad(images[i], params["padding"], padding_mode="reflect")
            expected = F.crop(padded, *params["offsets"][i], 18, 18)
            expected_mask = F.crop(
                F.pad(tensors.Mask(plain(masks[i])), params["padding"], padding_mode="reflect"),
                *params["offsets"][i],
                18,
                18,
            )
        else:
            displacement = params["displacements"][i : i + 1]
            expected = F.elastic(images[i], displacement)
            expected_mask = F.elastic(tensors.Mask(plain(masks[i])), displacement)
        torch.testing.assert_close(out_images[i], expected, msg=f"{kind} sample {i}")
        torch.testing.assert_close(
            plain(out_masks[i]), plain(expected_mask), msg=f"{kind} mask {i}"
        )
    assert (
        not all(torch.equal(out_images[0], out_images[i]) for i in range(1, 4))
        or kind == "perspective"
    )


def test_batch_with_boxes_is_a_clear_error(gen):
    images = rand_image(gen, (2, 3, 10, 10))
    boxes = tensors.BoundingBoxes([[1, 1, 5, 5]], format="XYXY", canvas_size=(10, 10))
    for transform in (T.RandomHorizontalFlip(p=1.0), T.RandomRotation(10), T.RandomResizedCrop(5)):
        with pytest.raises(ValueError, match="one at a time"):
            transform(images, boxes)
    with pytest.raises(ValueError, match="expand"):
        T.RandomRotation(10, expand=True)(images)
    # deterministic transforms apply the same geometry to all and accept boxes with a batch
    out_images, out_boxes = T.Resize([20, 20])(images, boxes)
    assert out_images.shape == (2, 3, 20, 20) and plain(out_boxes).tolist() == [[2, 2, 10, 10]]


def test_random_resized_crop_region_distribution(gen):
    """Regions obey scale/ratio, and the central-crop fallback kicks in when nothing fits."""
    transform = T.RandomResizedCrop(8, scale=(0.2, 0.6), ratio=(0.5, 2.0), generator=gen)
    info = SampleInfo(inputs=[], size=(60, 80), batch=None)
    for _ in range(200):
        p = transform.make_params(info)
        area = p["height"] * p["width"] / (60 * 80)
        assert 0.2 - 0.02 <= area <= 0.6 + 0.02
        assert 0.5 - 0.05 <= p["width"] / p["height"] <= 2.0 + 0.1
        assert 0 <= p["top"] <= 60 - p["height"] and 0 <= p["left"] <= 80 - p["width"]
    impossible = T.RandomResizedCrop(8, scale=(2.0, 3.0), ratio=(4.0, 5.0), generator=gen)
    p = impossible.make_params(SampleInfo(inputs=[], size=(60, 80), batch=None))
    assert p == {"top": (60 - 20) // 2, "left": 0, "height": 20, "width": 80}


def test_random_crop_pad_if_needed(gen):
    image = torch.randint(10, 256, (3, 10, 12), generator=gen, dtype=torch.uint8)
    out = T.RandomCrop([16, 20], pad_if_needed=True, fill=5, generator=gen)(image)
    assert out.shape == (3, 16, 20)
    assert (out == 5).sum() == 3 * (16 * 20 - 10 * 12)
    with pytest.raises(ValueError):
        T.RandomCrop(16)(image)


def test_fill_per_type(gen):
    image = tensors.Image(torch.full((3, 10, 10), 100, dtype=torch.uint8))
    mask = tensors.Mask(torch.ones(10, 10, dtype=torch.uint8))
    out_image, out_mask = T.Pad(2, fill={tensors.Image: 7, tensors.Mask: 255})(image, mask)
    assert out_image[0, 0, 0] == 7 and out_mask[0, 0] == 255


# --- SanitizeBoundingBoxes ----------------------------------------------------------------------


def test_sanitize_drops_degenerate_boxes_with_labels_and_masks(gen):
    good = [random_box(gen, 30, 30, min_side=3) for _ in range(3)]
    bad = [[5, 5, 5, 12], [2, 2, 2.5, 9], [10, 10, 20, 10.5], [-3, 0, 8, 8], [0, 0, 8, 31]]
    rows = good + bad
    order = torch.randperm(len(rows), generator=gen).tolist()
    rows = [rows[i] for i in order]
    keep = [i < len(good) for i in order]
    labels = torch.arange(len(rows))
    masks = torch.randint(0, 2, (len(rows), 30, 30), generator=gen, dtype=torch.uint8)
    sample = {
        "image": tensors.Image(torch.zeros(3, 30, 30)),
        "boxes": tensors.BoundingBoxes(
            rows, format="XYXY", canvas_size=(30, 30), dtype=torch.float32
        ),
        "masks": tensors.Mask(masks),
        "labels": labels,
        "scores": labels.clone(),
    }
    out = T.SanitizeBoundingBoxes()(sample)
    keep_t = torch.tensor(keep)
    assert plain(out["boxes"]).tolist() == [r for r, k in zip(rows, keep) if k]
    assert out["labels"].tolist() == labels[keep_t].tolist()
    torch.testing.assert_close(plain(out["masks"]), masks[keep_t])
    assert torch.equal(out["scores"], labels)  # not a label: untouched
    assert isinstance(out["boxes"], tensors.BoundingBoxes) and isinstance(
        out["masks"], tensors.Mask
    )


def test_sanitize_min_size_min_area_and_getters(gen):
    boxes = tensors.BoundingBoxes(
        [[0, 0, 3, 3], [0, 0, 10, 10], [0, 0, 2, 20]], format="XYXY", canvas_size=(30, 30)
    )
    labels = torch.tensor([1, 2, 3])
    image = torch.zeros(3, 30, 30)
    _, target = T.SanitizeBoundingBoxes(min_size=3)(image, {"boxes": boxes, "labels": labels})
    assert target["labels"].tolist() == [1, 2]
    _, target = T.SanitizeBoundingBoxes(min_area=10)(image, {"boxes": boxes, "labels": labels})
    assert target["labels"].tolist() == [2, 3]
    out = T.SanitizeBoundingBoxes(min_size=5, labels_getter=lambda s: s[2])(image, boxes, labels)
    assert out[2].tolist() == [2]
    out = T.SanitizeBoundingBoxes(min_size=5, labels_getter=None)(image, boxes, labels)
    assert plain(out[1]).tolist() == [[0, 0, 10, 10]] and out[2].tolist() == [1, 2, 3]
    with pytest.raises(ValueError, match="one label per box"):
        T.SanitizeBoundingBoxes()({"boxes": boxes, "labels": torch.tensor([1, 2])})
    kept, valid = F.sanitize_bounding_boxes(plain(boxes), "XYXY", (30, 30), min_size=5)
    assert valid.tolist() == [False, True, False] and kept.tolist() == [[0, 0, 10, 10]]


# --- PIL inputs --------------------------------------------------------------------------------


def smooth_pil(gen, size=(48, 40)):
    coarse = torch.randint(0, 256, (3, 6, 5), generator=gen, dtype=torch.uint8)
    image = TF.interpolate(coarse[None].float(), size=size, mode="bilinear", align_corners=False)[0]
    return F.to_pil_image(image.round().clamp(0, 255).to(torch.uint8))


def test_pil_inputs_give_the_tensor_result(gen):
    pil = smooth_pil(gen)
    tensor = F.pil_to_tensor(pil)
    for transform in (
        lambda x: F.resize(x, [30, 21]),
        lambda x: F.rotate(x, 33.0, interpolation="bilinear"),
        lambda x: F.affine(x, 10.0, [2, -1], 1.1, 4.0),
        F.hflip,
        lambda x: F.pad(x, [2, 3], padding_mode="symmetric"),
        lambda x: F.center_crop(x, 20),
    ):
        out = transform(pil)
        assert isinstance(out, PIL.Image)
        assert (F.pil_to_tensor(out).int() - transform(tensor).int()).abs().max() <= 1


def test_pil_resize_within_one_level_of_pillow(gen):
    pil = smooth_pil(gen, size=(60, 50))
    for size in ([31, 23], [90, 75]):
        ours = F.pil_to_tensor(F.resize(pil, size)).int()
        pillow = F.pil_to_tensor(pil.resize((size[1], size[0]), resample=PIL.BILINEAR)).int()
        assert (ours - pillow).abs().max() <= 1
    assert F.pil_to_tensor(F.hflip(pil)).equal(F.pil_to_tensor(pil.transpose(PIL.FLIP_LEFT_RIGHT)))


def test_random_transform_on_pil_sample(gen):
    pil = smooth_pil(gen)
    boxes = tensors.BoundingBoxes([[4, 4, 20, 30]], format="XYXY", canvas_size=(48, 40))
    out_pil, out_boxes = T.RandomResizedCrop(24, generator=gen)(pil, boxes)
    assert out_pil.size == (24, 24) and out_boxes.canvas_size == (24, 24)


# --- argument checks --------------------------------------------------------------------------------


def test_bad_arguments_raise_clear_errors():
    image = torch.zeros(3, 8, 8)
    with pytest.raises(ValueError, match="interpolation"):
        F.rotate(image, 10.0, interpolation="bicubic")
    with pytest.raises(ValueError, match="interpolation"):
        F.resize(image, 4, interpolation="lanczos")
    with pytest.raises(ValueError, match="padding"):
        F.pad(image, [1, 2, 3])
    with pytest.raises(ValueError, match="padding_mode"):
        F.pad(image, 1, padding_mode="wrap")
    with pytest.raises(ValueError, match="p must be"):
        T.RandomHorizontalFlip(p=1.5)
    with pytest.raises(ValueError, match="image"):
        F.resize(torch.zeros(8, 8), 4)
    with pytest.raises(TypeError, match="does not support"):
        F.rotate("not an image", 10.0)
    assert F.resize(image, 4, interpolation=T.InterpolationMode.BICUBIC).shape == (3, 4, 4)
    assert F.resize(image, 4, interpolation=2).shape == (3, 4, 4)  # PIL's BILINEAR code


def test_rotation_angle_range_is_respected(gen):
    transform = T.RandomRotation((10, 20), generator=gen)
    info = SampleInfo(inputs=[], size=(8, 8), batch=3)
    angles = transform.make_params(info)["angles"]
    assert len(angles) == 3 and all(10 <= a <= 20 for a in angles)
    assert math.isclose(T.RandomRotation(15).degrees[0], -15.0)


# --- CUDA ---------------------------------------------------------------------------------------


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_cuda_batch_random_resized_crop_matches_per_sample(gen, dtype):
    images = rand_image(gen, (6, 3, 50, 70), dtype).cuda()
    transform = T.RandomResizedCrop([24, 32], generator=gen)
    recorded = spy_params(transform)
    out = transform(images)
    assert out.is_cuda and out.dtype == dtype and out.shape == (6, 3, 24, 32)
    for i, region in enumerate(recorded["params"]["regions"].tolist()):
        expected = F.resized_crop(images[i].cpu(), *region, [24, 32])
        diff = (out[i].cpu().double() - expected.double()).abs().max().item()
        assert diff <= (1 if dtype == torch.uint8 else 1e-4)


@pytest.mark.cuda
def test_cuda_warps_match_cpu(gen):
    images = rand_image(gen, (3, 3, 20, 24))
    for transform in (
        lambda x: F.rotate(x, 23.0, interpolation="bilinear", fill=4),
        lambda x: F.affine(x, 12.0, [2, 1], 1.2, [3.0, 2.0]),
        lambda x: F.resize(x, [31, 17]),
        lambda x: F.pad(x, [3, 4], padding_mode="reflect"),
    ):
        cpu = transform(images).int()
        gpu = transform(images.cuda()).cpu().int()
        assert (cpu - gpu).abs().max() <= 1


# --- empty images and unusual dtypes (issue 7) ------------------------------------------------

IDENTITY_QUAD = [[0, 0], [4, 0], [4, 4], [0, 4]]
EMPTY_GEOMETRY_CALLS = {
    "resize-int": lambda x: F.resize(x, 4),
    "resize-hw": lambda x: F.resize(x, [4, 4]),
    "crop": lambda x: F.crop(x, 0, 0, 2, 2),
    "center_crop": lambda x: F.center_crop(x, 2),
    "resized_crop": lambda x: F.resized_crop(x, 0, 0, 2, 2, [4, 4]),
    "pad": lambda x: F.pad(x, [1]),
    "hflip": F.hflip,
    "vflip": F.vflip,
    "rotate": lambda x: F.rotate(x, 30.0),
    "affine": lambda x: F.affine(x, 10.0, [0, 0], 1.0, [0.0, 0.0]),
    "perspective": lambda x: F.perspective(x, IDENTITY_QUAD, IDENTITY_QUAD),
    "elastic": lambda x: F.elastic(x, torch.zeros(1, *x.shape[-2:], 2)),
}


@pytest.mark.parametrize("name", sorted(EMPTY_GEOMETRY_CALLS))
@pytest.mark.parametrize("shape", [(3, 0, 5), (3, 5, 0)])
def test_geometry_functionals_refuse_an_empty_image(name, shape):
    with pytest.raises(ValueError, match="empty image"):
        EMPTY_GEOMETRY_CALLS[name](torch.zeros(shape, dtype=torch.uint8))
    with pytest.raises(ValueError, match="empty image"):
        EMPTY_GEOMETRY_CALLS[name](tensors.Mask(torch.zeros(shape[1:], dtype=torch.uint8)))


EMPTY_TRANSFORMS = {
    "RandomResizedCrop": lambda: T.RandomResizedCrop(4),
    "Resize": lambda: T.Resize(4),
    "CenterCrop": lambda: T.CenterCrop(2),
    "RandomCrop": lambda: T.RandomCrop(2, padding=3),
    "RandomHorizontalFlip": lambda: T.RandomHorizontalFlip(p=1.0),
    "RandomRotation": lambda: T.RandomRotation(10),
    "RandomAffine": lambda: T.RandomAffine(10),
    "RandomPerspective": lambda: T.RandomPerspective(p=1.0),
    "ElasticTransform": lambda: T.ElasticTransform(),
    "ColorJitter": lambda: T.ColorJitter(0.5),
    "AutoAugment": lambda: T.AutoAugment(),
    "RandAugment": lambda: T.RandAugment(),
    "TrivialAugmentWide": lambda: T.TrivialAugmentWide(),
    "AugMix": lambda: T.AugMix(),
}


@pytest.mark.parametrize("name", sorted(EMPTY_TRANSFORMS))
@pytest.mark.parametrize("shape", [(3, 0, 5), (3, 5, 0)])
def test_transforms_refuse_an_empty_image(name, shape):
    transform = EMPTY_TRANSFORMS[name]()
    with pytest.raises(ValueError, match="empty image|at least 1x1"):
        transform(tensors.Image(torch.zeros(shape, dtype=torch.uint8)))


@pytest.mark.parametrize("dtype", [torch.uint16, torch.uint32, torch.int32, torch.bool])
@pytest.mark.parametrize("channels", [1, 3])
def test_flips_support_every_image_dtype(gen, dtype, channels):
    high = 2 if dtype == torch.bool else 60000
    reference = torch.randint(0, high, (channels, 6, 7), generator=gen)
    image = reference.to(dtype)
    assert torch.equal(F.hflip(image).to(torch.int64), reference.flip(-1))
    assert torch.equal(F.vflip(image).to(torch.int64), reference.flip(-2))
    flipped = plain(T.RandomHorizontalFlip(p=1.0)(tensors.Image(image)))
    assert flipped.dtype == dtype and torch.equal(flipped.to(torch.int64), reference.flip(-1))


def test_resize_of_boxes_on_an_empty_canvas_is_a_clear_error():
    boxes = tensors.BoundingBoxes([[0, 0, 1, 1]], format="XYXY", canvas_size=(0, 5))
    with pytest.raises(ValueError, match="empty canvas"):
        F.resize(boxes, 4)


INTEGER_DTYPES = [torch.uint8, torch.int8, torch.int16, torch.uint16, torch.int32, torch.uint32, torch.int64]


@pytest.mark.parametrize("source", INTEGER_DTYPES)
@pytest.mark.parametrize("target", INTEGER_DTYPES)
def test_to_dtype_scales_integer_images_by_their_value_bits(gen, source, target):
    # torchvision's rule: shift by the difference of the bits that hold non-negative values
    # (8 for uint8, 15 for int16, 31 for int32), so the top value maps near the top value.
    def value_bits(dtype):
        info = torch.iinfo(dtype)
        return info.bits - (1 if info.min < 0 else 0)

    top = torch.iinfo(source).max
    values = [0, 1, 100 % (top + 1), top // 3, top] + [rint(gen, 0, min(top, 2**62)) for _ in range(4)]
    shift = value_bits(target) - value_bits(source)
    expected = [v << shift if shift > 0 else v >> -shift for v in values]
    out = F.to_dtype(torch.tensor(values, dtype=torch.int64).to(source).view(1, 1, -1), target, scale=True)
    assert out.dtype == target and out.flatten().tolist() == expected


@pytest.mark.parametrize("dtype", [torch.uint16, torch.uint32])
def test_equalize_works_for_wide_unsigned_images(gen, dtype):
    levels = torch.randint(0, 256, (3, 9, 11), generator=gen, dtype=torch.uint8)
    wide = F.to_dtype(levels, dtype, scale=True)
    expected = F.to_dtype(F.equalize(levels), dtype, scale=True)
    assert torch.equal(F.equalize(wide).to(torch.int64), expected.to(torch.int64))
