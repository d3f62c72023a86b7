"""triptych::normalize, triptych::resize and triptych::resized_crop_flip_normalize: behaviour the
op conformance test (tests/test_op_conformance.py) does not cover — every memory layout and its
strides, torch's edge cases, the public wrappers' argument handling, the fused-vs-unfused chain,
CUDA batches."""

from __future__ import annotations

import pytest
import torch

from triptych import library
from triptych.vision.ops import (
    INTERPOLATIONS,
    _normalize_reference,
    _rcfn_reference,
    _resize_reference,
    normalize,
    resize,
    resized_crop,
    resized_crop_flip_normalize,
)

COMPILED = library.EXTENSION_ERROR is None
DTYPES = [torch.uint8, torch.float32, torch.float64]
# uint8 -> uint8 resizes run in int16 fixed point (weights to 2^-14 or finer, an intermediate
# with 6-7 fraction bits), and torch's uint8 path in its own fixed point, so a value whose exact
# (float64) result lies near a rounding boundary (x.5) may round the other way in one of them:
# about 0.4 % of values on these random images, up to 4 % on small exact-ratio upscales where
# many results are exact ties. Never more than one level, and only near a boundary: over 200
# seeds per mode the farthest such value was 0.022 from x.5.
UINT8_TIE_BAND = 0.05


def assert_only_near_ties_differ(got, want, exact, msg=""):
    """uint8 ``got`` and ``want`` differ by at most one level, and only where ``exact`` (the
    float64 result) lies within UINT8_TIE_BAND of a rounding boundary."""
    gap = (got.int() - want.int()).abs()
    assert gap.max() <= 1, msg
    exact = exact.clamp(0, 255)
    off = ((exact - exact.floor()) - 0.5).abs()[gap.bool()]
    assert off.numel() == 0 or off.max() < UINT8_TIE_BAND, (
        f"{msg}: a value {0.5 - off.max().item():.3f} from the nearest rounding boundary rounds "
        f"the other way ({int(gap.sum())} of {gap.numel()} values differ)")


# --- helpers --------------------------------------------------------------------------------


def randint(gen: torch.Generator, low: int, high: int) -> int:
    """Uniform in [low, high]."""
    return int(torch.randint(low, high + 1, (), generator=gen))


def random_image(gen, dtype, shape):
    if dtype == torch.uint8:
        return torch.randint(0, 256, shape, dtype=torch.uint8, generator=gen)
    return torch.rand(shape, dtype=dtype, generator=gen)


def layouts(x: torch.Tensor):
    """The same logical (N, )C, H, W image in each memory layout the kernels handle."""
    perm, back = ((0, 2, 3, 1), (0, 3, 1, 2)) if x.dim() == 4 else ((1, 2, 0), (2, 0, 1))
    yield "contiguous", x.contiguous()
    yield "channels_last", x.permute(*perm).contiguous().permute(*back)
    yield "strided_crop", torch.cat([x, x], dim=-1)[..., : x.shape[-1]]
    yield "hwc_crop", torch.cat([x, x], dim=-1).permute(*perm).contiguous().permute(*back)[..., : x.shape[-1]]
    if x.shape[-3] == 3:  # the RGB view of an RGBX buffer (pixel stride 4), as Pillow decodes
        padded = torch.cat([x, torch.zeros_like(x[..., :1, :, :])], dim=-3).permute(*perm).contiguous()
        yield "rgbx_view", padded[..., :3].permute(*back)


def torch_aa_bug(in_h: int, out_size, interpolation: str, antialias: bool) -> bool:
    # torch's CPU antialias kernel returns one value per column when the output is one pixel
    # wide and the height changes (every output row equals the first; seen on 2.9 and 2.13).
    out_h, out_w = out_size
    return antialias and interpolation != "nearest" and out_w == 1 and out_h != in_h


def resize_oracle(x, size, interpolation, antialias):
    """_resize_reference, or the same resize on the transposed image where torch is wrong."""
    if torch_aa_bug(x.shape[-2], size, interpolation, antialias):
        return _resize_reference(x.transpose(-1, -2), [size[1], size[0]], interpolation, antialias).transpose(-1, -2)
    return _resize_reference(x, list(size), interpolation, antialias)


def rcfn_oracle(image, boxes, flips, size, interpolation, antialias, mean, std, channels_last):
    """_rcfn_reference, or crop -> float resize oracle -> flip -> normalize where torch is wrong."""
    if not any(torch_aa_bug(int(b[2]), size, interpolation, antialias) for b in boxes.reshape(-1, 4)):
        return _rcfn_reference(image, boxes, flips, list(size), interpolation, antialias, mean, std, channels_last)
    images = image if image.dim() == 4 else image.unsqueeze(0)
    out_dtype = torch.float64 if image.dtype == torch.float64 else torch.float32
    outs = []
    for img, (top, left, h, w), flip in zip(images, boxes.reshape(-1, 4).tolist(), flips.reshape(-1).tolist()):
        crop = img[:, top:top + h, left:left + w].to(out_dtype)
        resized = resize_oracle(crop, size, interpolation, antialias)
        outs.append(resized.flip(-1) if flip else resized)
    out = torch.stack(outs) if image.dim() == 4 else outs[0]
    scaled = out / 255 if image.dtype == torch.uint8 else out
    return normalize(scaled, mean, std, channels_last=channels_last)


def same_layout(got: torch.Tensor, want: torch.Tensor) -> bool:
    """Equal strides on every dimension longer than 1 (the others carry no meaning)."""
    return all(a == b for a, b, n in zip(got.stride(), want.stride(), got.shape) if n > 1)


def tolerances(dtype):
    return {torch.uint8: (1, 0), torch.float32: (1e-5, 1e-5), torch.float64: (1e-10, 1e-10)}[dtype]


# --- resize -----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("antialias", [True, False])
def test_resize_matches_reference_on_random_inputs(seeded_generator, dtype, interpolation, antialias):
    gen = seeded_generator
    for trial in range(6):
        c, h, w = randint(gen, 1, 4), randint(gen, 1, 37), randint(gen, 1, 37)
        shape = (randint(gen, 1, 3), c, h, w) if trial % 2 else (c, h, w)
        size = (randint(gen, 1, 41), randint(gen, 1, 41))
        x = random_image(gen, dtype, shape)
        want_values = resize_oracle(x, size, interpolation, antialias)
        for name, view in layouts(x):
            got = resize(view, size, interpolation=interpolation, antialias=antialias)
            layout_ref = _resize_reference(view, list(size), interpolation, antialias)
            msg = f"{name} {tuple(view.shape)} -> {size}"
            assert got.shape == want_values.shape and got.dtype == dtype, msg
            assert same_layout(got, layout_ref), f"{msg}: strides {got.stride()} vs {layout_ref.stride()}"
            atol, rtol = tolerances(dtype)
            torch.testing.assert_close(got.double(), want_values.double(), atol=atol, rtol=rtol, msg=lambda m, s=msg: f"{s}: {m}")
            if dtype == torch.uint8:
                exact = resize_oracle(x.double(), size, interpolation, antialias)
                assert_only_near_ties_differ(got, want_values, exact, msg)


@pytest.mark.parametrize("dtype", DTYPES)
def test_resize_one_pixel_images(dtype, seeded_generator):
    for shape, size in [((3, 1, 1), (5, 4)), ((3, 1, 1), (1, 1)), ((2, 1, 7), (3, 1)), ((2, 9, 1), (1, 4)),
                        ((1, 6, 5), (1, 1))]:
        x = random_image(seeded_generator, dtype, shape)
        for interpolation in INTERPOLATIONS:
            for antialias in (True, False):
                got = resize(x, size, interpolation=interpolation, antialias=antialias)
                want = resize_oracle(x, size, interpolation, antialias)
                atol, rtol = tolerances(dtype)
                torch.testing.assert_close(got.double(), want.double(), atol=atol, rtol=rtol)


def test_rgbx_view_is_read_in_place_and_matches(seeded_generator):
    rgbx = torch.randint(0, 256, (37, 29, 4), dtype=torch.uint8, generator=seeded_generator)
    rgb = rgbx[..., :3].permute(2, 0, 1)  # strides (1, 116, 4)
    for size in [(20, 15), (50, 61)]:
        got = resize(rgb, size)
        want = _resize_reference(rgb.contiguous(), list(size), "bilinear", True)
        assert (got.int() - want.int()).abs().max() <= 1
    box = torch.tensor([3, 2, 30, 25])
    got = resized_crop_flip_normalize(rgb, box, True, (16, 16), mean=0.5, std=0.25)
    want = _rcfn_reference(rgb.contiguous(), box, torch.tensor([True]), [16, 16], "bilinear", True, [0.5] * 3, [0.25] * 3)
    torch.testing.assert_close(got, want, atol=5e-5, rtol=5e-5)


def test_resize_upscale_and_downscale_uint8_hwc(seeded_generator):
    hwc = torch.randint(0, 256, (67, 45, 3), dtype=torch.uint8, generator=seeded_generator)
    x = hwc.permute(2, 0, 1)  # a decoded image as the pipeline feeds it
    for size in [(224, 160), (20, 13), (67, 45), (134, 45)]:
        for interpolation in INTERPOLATIONS:
            got = resize(x, size, interpolation=interpolation)
            want = _resize_reference(x, list(size), interpolation, True)
            assert (got.int() - want.int()).abs().max() <= 1
            assert got.permute(1, 2, 0).is_contiguous(), "HWC input keeps HWC memory"


def test_resize_uint8_fixed_point_large_factors(seeded_generator):
    # uint8 -> uint8 runs in int16 fixed point: wide windows (strong downscales: more than 8
    # taps, the one-channel kernel's step), upscales, bicubic overshoot; both pass orders.
    gen = seeded_generator
    for shape, size in [((3, 190, 201), (17, 23)), ((1, 160, 33), (9, 70)), ((4, 40, 31), (150, 97)),
                        ((2, 3, 64, 48), (31, 200))]:
        x = random_image(gen, torch.uint8, shape)
        for interpolation in INTERPOLATIONS:
            for antialias in (True, False):
                want = resize_oracle(x, size, interpolation, antialias)
                exact = resize_oracle(x.double(), size, interpolation, antialias)
                for name, view in layouts(x):
                    got = resize(view, size, interpolation=interpolation, antialias=antialias)
                    msg = f"{name} {tuple(shape)} -> {size} {interpolation} antialias={antialias}"
                    assert_only_near_ties_differ(got, want, exact, msg)


def test_resize_uint8_flat_image_stays_flat(seeded_generator):
    # Fixed point (weights quantised, then renormalised to sum to one) keeps flat areas exact.
    for value in (0, 1, 128, 254, 255):
        x = torch.full((3, 57, 43), value, dtype=torch.uint8)
        for name, view in layouts(x):
            for interpolation in INTERPOLATIONS:
                for size in [(20, 11), (113, 90), (57, 19)]:
                    got = resize(view, size, interpolation=interpolation)
                    assert (got == value).all(), f"{name} {interpolation} {size}: {got.unique()}"
        box = torch.tensor([5, 3, 40, 30])
        assert (resized_crop(x, box, (13, 29)) == value).all()


def test_resize_uint8_plans_of_one_geometry_are_not_mixed_up(seeded_generator):
    # The fixed-point plan is remembered per geometry (the last few): calls of one size with
    # other interpolations, antialias or memory layouts, in any order, each get their own.
    x = random_image(seeded_generator, torch.uint8, (3, 37, 53))
    calls = [(name, view, interpolation, antialias) for name, view in layouts(x)
             for interpolation in INTERPOLATIONS for antialias in (True, False)]
    first = {}
    for name, view, interpolation, antialias in calls:
        got = resize(view, (19, 24), interpolation=interpolation, antialias=antialias)
        gap = (got.int() - resize_oracle(x, (19, 24), interpolation, antialias).int()).abs()
        assert gap.max() <= 1, f"{name} {interpolation} antialias={antialias}"
        first[name, interpolation, antialias] = got
    for name, view, interpolation, antialias in reversed(calls):  # hits, then misses again
        got = resize(view, (19, 24), interpolation=interpolation, antialias=antialias)
        assert torch.equal(got, first[name, interpolation, antialias])


def results_of_both_loops(tmp_path, code):
    """Runs ``code`` (argv: output path, seed; it saves a list of tensors) with the AVX2 loops
    and with the portable ones (TRIPTYCH_CPU_BASELINE=1) on one fresh seed: (avx2, portable, seed)."""
    import os
    import subprocess
    import sys

    seed = str(int(torch.randint(0, 2**31 - 1, ()).item()))
    results = {}
    for baseline in ("0", "1"):
        path = tmp_path / f"out{baseline}.pt"
        env = {**os.environ, "TRIPTYCH_CPU_BASELINE": baseline}
        subprocess.run([sys.executable, "-c", code, str(path), seed], check=True, env=env)
        results[baseline] = torch.load(path)
    assert len(results["0"]) == len(results["1"]) > 0
    return results["0"], results["1"], seed


@pytest.mark.skipif(not COMPILED, reason="needs the compiled extension")
def test_uint8_portable_loops_equal_avx2_loops(tmp_path):
    # TRIPTYCH_CPU_BASELINE=1 makes the kernels take the portable loops; the fixed-point
    # uint8 passes do the same integer arithmetic either way, so the bytes must be equal.
    code = """
import sys, torch
from triptych.vision.ops import resize, resized_crop
g = torch.Generator().manual_seed(int(sys.argv[2]))
out = []
for c, h, w, oh, ow in [(3, 61, 47, 23, 31), (1, 90, 70, 13, 41), (4, 20, 25, 57, 33), (3, 33, 150, 40, 9)]:
    x = torch.randint(0, 256, (c, h, w), dtype=torch.uint8, generator=g)
    hwc = x.permute(1, 2, 0).contiguous().permute(2, 0, 1)
    for view in (x, hwc):
        for mode in ("nearest", "bilinear", "bicubic"):
            for aa in (True, False):
                out.append(resize(view, (oh, ow), interpolation=mode, antialias=aa))
        out.append(resized_crop(view, torch.tensor([2, 3, h - 5, w - 4]), (oh, ow), interpolation="bicubic"))
torch.save(out, sys.argv[1])
"""
    avx2, portable, seed = results_of_both_loops(tmp_path, code)
    for i, (a, b) in enumerate(zip(avx2, portable)):
        assert torch.equal(a, b), f"case {i} (seed {seed}): {(a.int() - b.int()).abs().max()} levels apart"


def test_resize_same_size_is_identity(seeded_generator):
    x = torch.randint(0, 256, (2, 3, 11, 9), dtype=torch.uint8, generator=seeded_generator)
    for interpolation in INTERPOLATIONS:
        for antialias in (True, False):
            assert torch.equal(resize(x, (11, 9), interpolation=interpolation, antialias=antialias), x)


def test_nearest_uses_torch_legacy_index_rule():
    # torch's legacy "nearest": src = floor(dst * in / out), so 5 -> 3 picks 0, 1, 3.
    x = torch.arange(5, dtype=torch.float32).view(1, 1, 5)
    assert resize(x, (1, 3), interpolation="nearest").flatten().tolist() == [0.0, 1.0, 3.0]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: resize(torch.zeros(3, 4, 4), (2, 2), interpolation="area"), ValueError, "interpolation"),
        (lambda: resize(torch.zeros(4, 4), (2, 2)), ValueError, "C, H, W"),
        (lambda: resize(torch.zeros(3, 4, 4, dtype=torch.int16), (2, 2)), TypeError, "int16"),
        (lambda: resize(torch.zeros(3, 0, 4), (2, 2)), ValueError, "empty"),
        (lambda: resize(torch.zeros(3, 4, 4), (0, 2)), ValueError, "size"),
        # Once truncated to 2 (a silently different size) or passed on to the op's int64.
        (lambda: resize(torch.zeros(3, 4, 4), (2.7, 3)), TypeError, "size must hold integers"),
        (lambda: resize(torch.zeros(3, 4, 4), (2**63, 1)), ValueError, "too large to address"),
        (lambda: resize(torch.zeros(3, 4, 4), (2**62, 2**62)), ValueError, "too large to address"),
    ],
)
def test_resize_bad_input_gives_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_resize_gradient_matches_reference(seeded_generator):
    x = torch.rand(3, 13, 10, generator=seeded_generator)
    grad = torch.randn(3, 6, 17, generator=seeded_generator)
    a, b = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    resize(a, (6, 17), interpolation="bicubic").backward(grad)
    _resize_reference(b, [6, 17], "bicubic", True).backward(grad)
    torch.testing.assert_close(a.grad, b.grad)


# --- resized_crop_flip_normalize --------------------------------------------------------------


def random_boxes(gen, n, height, width):
    rows = []
    for _ in range(n):
        h, w = randint(gen, 1, height), randint(gen, 1, width)
        rows.append([randint(gen, 0, height - h), randint(gen, 0, width - w), h, w])
    return torch.tensor(rows, dtype=torch.int64)


def random_rcfn_case(gen, dtype, batched):
    c, h, w = randint(gen, 1, 4), randint(gen, 1, 37), randint(gen, 1, 37)
    n = randint(gen, 1, 3) if batched else 1
    x = random_image(gen, dtype, (n, c, h, w) if batched else (c, h, w))
    boxes = random_boxes(gen, n, h, w)
    flips = torch.rand(n, generator=gen) < 0.5
    size = (randint(gen, 1, 41), randint(gen, 1, 41))
    mean = torch.rand(c, generator=gen).tolist()
    std = (torch.rand(c, generator=gen) + 0.1).tolist()
    return x, boxes, flips, size, mean, std


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("antialias", [True, False])
def test_rcfn_matches_reference_on_random_inputs(seeded_generator, dtype, interpolation, antialias):
    tol = 1e-10 if dtype == torch.float64 else 5e-5
    for trial in range(6):
        batched = bool(trial % 2)
        x, boxes, flips, size, mean, std = random_rcfn_case(seeded_generator, dtype, batched)
        channels_last = trial % 3 == 0
        want = rcfn_oracle(x, boxes, flips, size, interpolation, antialias, mean, std, channels_last)
        for name, view in layouts(x):
            got = resized_crop_flip_normalize(
                view, boxes if batched else boxes[0], flips if batched else bool(flips[0]), size,
                interpolation=interpolation, antialias=antialias, mean=mean, std=std, channels_last=channels_last,
            )
            msg = f"{name} {tuple(view.shape)} boxes={boxes.tolist()} flips={flips.tolist()} -> {size}"
            assert got.dtype == (torch.float64 if dtype == torch.float64 else torch.float32), msg
            assert got.shape == want.shape and same_layout(got, want), f"{msg}: {got.stride()} vs {want.stride()}"
            torch.testing.assert_close(got, want, atol=tol, rtol=tol, msg=lambda m, s=msg: f"{s}: {m}")


def test_rcfn_fused_equals_unfused_chain_within_one_level(seeded_generator):
    """Fused vs crop -> resize (uint8, rounded) -> flip -> /255 -> normalize."""
    gen = seeded_generator
    hwc = torch.randint(0, 256, (2, 61, 47, 3), dtype=torch.uint8, generator=gen)
    images = hwc.permute(0, 3, 1, 2)  # channels-last views, as decoded
    boxes = random_boxes(gen, 2, 61, 47)
    flips = torch.tensor([True, False])
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    for interpolation in INTERPOLATIONS:
        fused = resized_crop_flip_normalize(images, boxes, flips, (24, 19), interpolation=interpolation, mean=mean, std=std)
        for i, ((top, left, h, w), flip) in enumerate(zip(boxes.tolist(), flips.tolist())):
            crop = images[i, :, top:top + h, left:left + w]
            resized = resize(crop, (24, 19), interpolation=interpolation)
            if flip:
                resized = resized.flip(-1)
            unfused = normalize(resized, mean, std)
            # Back to uint8 levels. The chain's uint8 resize also saturates bicubic overshoot,
            # which the fused op (like its reference) keeps: compare after the same clamp.
            std_t, mean_t = torch.tensor(std).view(3, 1, 1), torch.tensor(mean).view(3, 1, 1)
            fused_levels = ((fused[i] * std_t + mean_t) * 255).clamp(0, 255)
            unfused_levels = (unfused * std_t + mean_t) * 255
            gap = (fused_levels - unfused_levels).abs().max()
            assert gap <= 1 + 1e-3, f"{interpolation}: {gap} levels apart"


def test_rcfn_flip_reverses_columns(seeded_generator):
    x = torch.randint(0, 256, (3, 20, 30), dtype=torch.uint8, generator=seeded_generator)
    box = [2, 3, 15, 21]
    plain = resized_crop_flip_normalize(x, box, False, (9, 8), mean=0.5, std=0.25)
    flipped = resized_crop_flip_normalize(x, box, True, (9, 8), mean=0.5, std=0.25)
    torch.testing.assert_close(flipped, plain.flip(-1), atol=1e-6, rtol=1e-6)


def test_rcfn_hwc_in_channels_last_out(seeded_generator):
    hwc = torch.randint(0, 256, (4, 33, 29, 3), dtype=torch.uint8, generator=seeded_generator)
    boxes = random_boxes(seeded_generator, 4, 33, 29)
    flips = torch.tensor([True, False, False, True])
    got = resized_crop_flip_normalize(hwc.permute(0, 3, 1, 2), boxes, flips, (16, 16), mean=0.5, std=0.5, channels_last=True)
    assert got.is_contiguous(memory_format=torch.channels_last)
    want = rcfn_oracle(hwc.permute(0, 3, 1, 2), boxes, flips, (16, 16), "bilinear", True, [0.5] * 3, [0.5] * 3, True)
    torch.testing.assert_close(got, want, atol=5e-5, rtol=5e-5)


@pytest.mark.parametrize("size", [(224, 223), (1, 5), (7, 1), (9, 17), (30, 8)])
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_rcfn_interleaved_to_planar_matches_reference_on_any_width(seeded_generator, size, dtype):
    # HWC / RGBX sources to a CHW float output take a fused horizontal pass + per-plane store
    # (AVX2) over blocks of 8 columns, then a tail; the other pass order stores the rows with a
    # vectorised transpose. Widths below, at and above multiples of 8, down- and upscaled crops.
    gen = seeded_generator
    for c in (3, 4):
        x = random_image(gen, dtype, (c, 300, 290))
        mean = torch.rand(c, generator=gen).tolist()
        std = (torch.rand(c, generator=gen) + 0.1).tolist()
        for name, view in layouts(x):
            if name not in ("channels_last", "hwc_crop", "rgbx_view"):
                continue
            for box in ([3, 5, 260, 270], [0, 0, 300, 290], [10, 20, 6, 9], [7, 1, 280, 11]):
                for flip in (False, True):
                    got = resized_crop_flip_normalize(view, box, flip, size, mean=mean, std=std)
                    want = rcfn_oracle(view, torch.tensor(box), torch.tensor(flip), size, "bilinear", True, mean,
                                       std, False)
                    msg = f"{name} c={c} box={box} flip={flip} -> {size}"
                    torch.testing.assert_close(got, want, atol=5e-5, rtol=5e-5, msg=lambda m, s=msg: f"{s}: {m}")


def test_rcfn_cached_filter_tables_are_not_mixed_up(seeded_generator):
    # The filter tables are remembered per thread (the last 128) by extent, output size,
    # interpolation, antialias and flip: interleaved calls sharing some of these each get their
    # own, also once more than 128 were made (evicted ones are rebuilt).
    gen = seeded_generator
    x = random_image(gen, torch.uint8, (3, 40, 50)).permute(1, 2, 0).contiguous().permute(2, 0, 1)
    mean, std = [0.4, 0.5, 0.6], [0.2, 0.3, 0.25]
    calls = [([40 - w // 2, 50 - w, w // 2, w], flip, interpolation, antialias, size)
             for w in range(4, 50, 3) for flip in (False, True) for interpolation in INTERPOLATIONS
             for antialias in (True, False) for size in ((17, 23), (23, 17))]
    order = torch.randperm(len(calls), generator=gen).tolist()
    for i in order + order[::-1]:  # misses, then hits of the most recent ones, then misses again
        box, flip, interpolation, antialias, size = calls[i]
        got = resized_crop_flip_normalize(x, box, flip, size, interpolation=interpolation, antialias=antialias,
                                          mean=mean, std=std)
        want = rcfn_oracle(x, torch.tensor(box), torch.tensor(flip), size, interpolation, antialias, mean, std,
                           False)
        torch.testing.assert_close(got, want, atol=5e-5, rtol=5e-5, msg=lambda m, c=calls[i]: f"{c}: {m}")


@pytest.mark.skipif(not COMPILED, reason="needs the compiled extension")
def test_rcfn_portable_loops_match_avx2_loops(tmp_path):
    # TRIPTYCH_CPU_BASELINE=1 makes the kernels take the portable loops (no fused planar
    # store, no FMA): the same values up to float rounding.
    code = """
import sys, torch
from triptych.vision.ops import resized_crop_flip_normalize as rcfn
g = torch.Generator().manual_seed(int(sys.argv[2]))
out = []
for c, h, w, oh, ow in [(3, 61, 47, 23, 31), (4, 20, 25, 57, 33), (3, 90, 150, 40, 9), (3, 300, 280, 224, 223)]:
    for dtype in (torch.uint8, torch.float32):
        x = torch.randint(0, 256, (c, h, w), generator=g).to(dtype)
        hwc = x.permute(1, 2, 0).contiguous().permute(2, 0, 1)
        for view in (x, hwc):
            for flip in (False, True):
                for mode in ("bilinear", "bicubic"):
                    out.append(rcfn(view, [2, 3, h - 5, w - 4], flip, (oh, ow), interpolation=mode,
                                    mean=[0.5] * c, std=[0.25] * c))
torch.save(out, sys.argv[1])
"""
    avx2, portable, seed = results_of_both_loops(tmp_path, code)
    for i, (a, b) in enumerate(zip(avx2, portable)):
        # float32 inputs up to 255 with std 0.25: values up to ~1000, so a relative bound.
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5, msg=lambda m, i=i: f"case {i} (seed {seed}): {m}")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"boxes": [0, 0, 11, 5]}, ValueError, "inside"),
        ({"boxes": [-1, 0, 5, 5]}, ValueError, "inside"),
        ({"boxes": [0, 7, 5, 5]}, ValueError, "inside"),
        ({"boxes": [0, 0, 0, 5]}, ValueError, "inside"),
        ({"interpolation": "box"}, ValueError, "interpolation"),
        ({"boxes": [[0, 0, 5, 5], [0, 0, 5, 5]]}, ValueError, "crop box"),
        ({"std": [1.0, 0.0, 1.0]}, ValueError, "non-zero"),
        ({"mean": [0.0, 0.0]}, ValueError, "3 channels"),
        # Boxes near 2**63: exact Python ints, so no overflow; once float boxes were truncated.
        ({"boxes": [0, 2**63 - 1, 5, 5]}, ValueError, "inside"),
        ({"boxes": [[2**62, 2**62, 2**62, 50]]}, ValueError, "inside"),
        ({"boxes": [[0, 0, 5, 2**64]]}, ValueError, "int64"),
        ({"boxes": [0.5, 0, 5, 5]}, TypeError, "integers"),
        ({"boxes": torch.tensor([0.5, 0, 5, 5])}, TypeError, "integers"),
        ({"size": (4.5, 4)}, TypeError, "size must hold integers"),
        ({"size": (2**62, 4)}, ValueError, "too large to address"),
    ],
)
def test_rcfn_bad_input_gives_clear_errors(kwargs, error, match):
    args = {"image": torch.zeros(3, 10, 11, dtype=torch.uint8), "boxes": [0, 0, 5, 5], "flips": False,
            "size": (4, 4)} | kwargs
    image, boxes, flips, size = args.pop("image"), args.pop("boxes"), args.pop("flips"), args.pop("size")
    with pytest.raises(error, match=match):
        resized_crop_flip_normalize(image, boxes, flips, size, **args)


# --- resized_crop ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_resized_crop_equals_resize_of_each_crop(seeded_generator, dtype):
    gen = seeded_generator
    for interpolation in INTERPOLATIONS:
        for antialias in (True, False):
            c, h, w, n = randint(gen, 1, 4), randint(gen, 1, 37), randint(gen, 1, 37), randint(gen, 1, 3)
            x = random_image(gen, dtype, (n, c, h, w))
            boxes = random_boxes(gen, n, h, w)
            size = (randint(gen, 1, 41), randint(gen, 1, 41))
            for name, view in layouts(x):
                got = resized_crop(view, boxes, size, interpolation=interpolation, antialias=antialias)
                for i, (top, left, bh, bw) in enumerate(boxes.tolist()):
                    want = resize(view[i, :, top:top + bh, left:left + bw], size, interpolation=interpolation,
                                  antialias=antialias)
                    msg = f"{name} {interpolation} {antialias} box {i}"
                    assert got.dtype == dtype, msg
                    torch.testing.assert_close(got[i].double(), want.double(), atol=1 if dtype == torch.uint8 else 1e-6,
                                               rtol=0 if dtype == torch.uint8 else 1e-6, msg=lambda m, s=msg: f"{s}: {m}")
                assert same_layout(got, resize(view, size)), f"{name}: the output keeps the input's memory format"


def test_resized_crop_single_image_takes_one_box(seeded_generator):
    x = torch.randint(0, 256, (3, 20, 30), dtype=torch.uint8, generator=seeded_generator)
    got = resized_crop(x, [2, 3, 15, 21], (9, 8))
    assert got.shape == (3, 9, 8) and got.dtype == torch.uint8
    assert torch.equal(got, resized_crop(x.unsqueeze(0), torch.tensor([[2, 3, 15, 21]]), (9, 8))[0])


@pytest.mark.parametrize(
    ("boxes", "size", "error", "match"),
    [
        ([0, 0, 11, 5], (4, 4), ValueError, "inside"),
        ([0, 2**63 - 1, 5, 5], (4, 4), ValueError, "inside"),
        ([[0, 0, 5, 5], [0, 0, 5, 5]], (4, 4), ValueError, "crop box"),
        (torch.tensor([0.5, 0, 5, 5]), (4, 4), TypeError, "integers"),
        ([0, 0, 5, 5], (2.5, 4), TypeError, "size must hold integers"),
        ([0, 0, 5, 5], (0, 4), ValueError, "size"),
    ],
)
def test_resized_crop_bad_input_gives_clear_errors(boxes, size, error, match):
    with pytest.raises(error, match=match):
        resized_crop(torch.zeros(3, 10, 11, dtype=torch.uint8), boxes, size)


# --- normalize -----------------------------------------------------------------------------


def normalize_case(gen: torch.Generator, dtype: torch.dtype, batched: bool):
    c = int(torch.randint(1, 5, (), generator=gen))
    h, w = (int(v) for v in torch.randint(1, 40, (2,), generator=gen))
    shape = (int(torch.randint(1, 4, (), generator=gen)), c, h, w) if batched else (c, h, w)
    if dtype == torch.uint8:
        x = torch.randint(0, 256, shape, dtype=torch.uint8, generator=gen)
    else:
        x = torch.randn(shape, dtype=dtype, generator=gen)
    mean = torch.rand(c, generator=gen).tolist()
    std = (torch.rand(c, generator=gen) + 0.05).tolist()
    return x, mean, std


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32, torch.float64])
@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize("channels_last", [False, True])
def test_normalize_matches_reference_in_every_layout(seeded_generator, dtype, batched, channels_last):
    for _ in range(5):
        x, mean, std = normalize_case(seeded_generator, dtype, batched)
        for name, view in layouts(x):
            got = normalize(view, mean, std, channels_last=channels_last)
            want = _normalize_reference(x, mean, std, channels_last)
            torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5, msg=lambda m, n=name: f"{n}: {m}")
            assert got.dtype == (torch.float64 if dtype == torch.float64 else torch.float32)
            if channels_last and got.dim() == 4 and got.shape[1] > 1 and got.shape[-1] * got.shape[-2] > 1:
                assert got.is_contiguous(memory_format=torch.channels_last)
            elif not channels_last:
                assert got.is_contiguous()


def test_normalize_hwc_layout_reads_decoded_images_in_place(seeded_generator):
    hwc = torch.randint(0, 256, (17, 23, 3), dtype=torch.uint8, generator=seeded_generator)
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    got = normalize(hwc, mean, std, layout="HWC")
    want = _normalize_reference(hwc.permute(2, 0, 1), mean, std)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    assert got.shape == (3, 17, 23)


def test_normalize_uint8_known_values():
    x = torch.tensor([0, 51, 255], dtype=torch.uint8).view(1, 1, 3)
    out = normalize(x, mean=0.2, std=0.5)
    torch.testing.assert_close(out, torch.tensor([[[-0.4, 0.0, 1.6]]]))


def test_normalize_promotes_half_precision(seeded_generator):
    x = torch.randn(3, 5, 6, generator=seeded_generator).half()
    got = normalize(x, [0.1, 0.2, 0.3], [1.0, 2.0, 3.0])
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, _normalize_reference(x.float(), [0.1, 0.2, 0.3], [1.0, 2.0, 3.0]))


def test_normalize_empty_image():
    assert normalize(torch.zeros(3, 0, 4, dtype=torch.uint8), [0.0] * 3, [1.0] * 3).shape == (3, 0, 4)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"image": torch.zeros(3, 4), "mean": [0.0], "std": [1.0]}, ValueError, "C, H, W"),
        ({"image": torch.zeros(3, 4, 4), "mean": [0.0, 0.0], "std": [1.0] * 3}, ValueError, "3 channels"),
        ({"image": torch.zeros(3, 4, 4), "mean": [0.0] * 3, "std": [1.0, 0.0, 1.0]}, ValueError, "non-zero"),
        ({"image": torch.zeros(3, 4, 4, dtype=torch.int32), "mean": 0.0, "std": 1.0}, TypeError, "int32"),
        ({"image": [[1.0]], "mean": 0.0, "std": 1.0}, TypeError, "tensor"),
    ],
)
def test_normalize_bad_input_gives_clear_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        normalize(**kwargs)


def test_normalize_gradient_matches_reference(seeded_generator):
    x, mean, std = normalize_case(seeded_generator, torch.float32, batched=False)
    a = x.clone().requires_grad_(True)
    b = x.clone().requires_grad_(True)
    grad = torch.randn(x.shape, generator=seeded_generator)
    normalize(a, mean, std).backward(grad)
    _normalize_reference(b, mean, std).backward(grad)
    torch.testing.assert_close(a.grad, b.grad)


def test_normalize_torch_compile_fullgraph(seeded_generator):
    x, mean, std = normalize_case(seeded_generator, torch.uint8, batched=True)

    def pipeline(t):
        return normalize(t, mean, std) * 2 + 1

    compiled = torch.compile(pipeline, fullgraph=True)
    torch.testing.assert_close(compiled(x), _normalize_reference(x, mean, std) * 2 + 1, rtol=1e-5, atol=1e-5)


def test_normalize_gradgradcheck(seeded_generator):
    # gradcheck runs in tests/test_op_conformance.py; the backward is itself differentiable.
    x = torch.randn(2, 3, 4, 5, dtype=torch.float64, generator=seeded_generator, requires_grad=True)
    mean = torch.rand(3, generator=seeded_generator).tolist()
    std = (torch.rand(3, generator=seeded_generator) + 0.05).tolist()
    assert torch.autograd.gradgradcheck(lambda t: normalize(t, mean, std), (x,))


# --- CUDA ------------------------------------------------------------------------------------


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", DTYPES)
def test_cuda_resize_matches_cpu_reference(seeded_generator, dtype):
    gen = seeded_generator
    for interpolation in INTERPOLATIONS:
        for antialias in (True, False):
            for batched in (False, True):
                c, h, w = randint(gen, 1, 4), randint(gen, 1, 37), randint(gen, 1, 37)
                x = random_image(gen, dtype, (2, c, h, w) if batched else (c, h, w))
                size = (randint(gen, 1, 41), randint(gen, 1, 41))
                want = resize_oracle(x, size, interpolation, antialias)
                for name, view in layouts(x.cuda()):
                    got = resize(view, size, interpolation=interpolation, antialias=antialias)
                    assert got.device.type == "cuda"
                    assert same_layout(got, _resize_reference(view, list(size), interpolation, antialias)), name
                    atol, rtol = tolerances(dtype)
                    torch.testing.assert_close(got.cpu().double(), want.double(), atol=atol, rtol=rtol,
                                               msg=lambda m, n=f"{name} {interpolation} {antialias}": f"{n}: {m}")


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", DTYPES)
def test_cuda_rcfn_batch_matches_cpu_reference(seeded_generator, dtype):
    gen = seeded_generator
    tol = 1e-10 if dtype == torch.float64 else 5e-5
    for interpolation in INTERPOLATIONS:
        for antialias in (True, False):
            x, boxes, flips, size, mean, std = random_rcfn_case(gen, dtype, batched=True)
            for channels_last in (False, True):
                want = rcfn_oracle(x, boxes, flips, size, interpolation, antialias, mean, std, channels_last)
                for name, view in layouts(x.cuda()):
                    got = resized_crop_flip_normalize(view, boxes.cuda(), flips.cuda(), size, interpolation=interpolation,
                                                      antialias=antialias, mean=mean, std=std, channels_last=channels_last)
                    assert got.device.type == "cuda" and same_layout(got, want), name
                    torch.testing.assert_close(got.cpu(), want, atol=tol, rtol=tol,
                                               msg=lambda m, n=f"{name} {interpolation} {antialias}": f"{n}: {m}")


@pytest.mark.cuda
def test_cuda_large_batch_uint8_hwc(seeded_generator):
    hwc = torch.randint(0, 256, (64, 120, 90, 3), dtype=torch.uint8, generator=seeded_generator)
    boxes = random_boxes(seeded_generator, 64, 120, 90)
    flips = torch.rand(64, generator=seeded_generator) < 0.5
    images = hwc.permute(0, 3, 1, 2)
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    got = resized_crop_flip_normalize(images.cuda(), boxes.cuda(), flips.cuda(), (56, 56), mean=mean, std=std)
    want = rcfn_oracle(images, boxes, flips, (56, 56), "bilinear", True, mean, std, False)
    torch.testing.assert_close(got.cpu(), want, atol=5e-5, rtol=5e-5)
    resized = resize(images.cuda(), (56, 40))
    assert (resized.cpu().int() - _resize_reference(images, [56, 40], "bilinear", True).int()).abs().max() <= 1



@pytest.mark.cuda
@pytest.mark.parametrize("dtype", DTYPES)
def test_cuda_resized_crop_batch_matches_cpu(seeded_generator, dtype):
    gen = seeded_generator
    for interpolation in INTERPOLATIONS:
        for antialias in (True, False):
            c, h, w, n = randint(gen, 1, 4), randint(gen, 1, 37), randint(gen, 1, 37), randint(gen, 1, 4)
            x = random_image(gen, dtype, (n, c, h, w))
            boxes = random_boxes(gen, n, h, w)
            size = (randint(gen, 1, 41), randint(gen, 1, 41))
            want = resized_crop(x, boxes, size, interpolation=interpolation, antialias=antialias)
            for name, view in layouts(x.cuda()):
                got = resized_crop(view, boxes.cuda(), size, interpolation=interpolation, antialias=antialias)
                assert got.device.type == "cuda" and same_layout(got, resize(view, size)), name
                atol, rtol = tolerances(dtype)
                torch.testing.assert_close(got.cpu().double(), want.double(), atol=atol, rtol=rtol,
                                           msg=lambda m, s=f"{name} {interpolation} {antialias}": f"{s}: {m}")


@pytest.mark.cuda
def test_cuda_random_resized_crop_batch_equals_the_per_sample_cpu_path(seeded_generator):
    # On a CUDA batch RandomResizedCrop runs triptych::resized_crop once; on the CPU it crops
    # and resizes sample by sample. The same seed draws the same boxes on both.
    from triptych.vision.transforms import RandomResizedCrop

    images = torch.randint(0, 256, (6, 3, 40, 50), dtype=torch.uint8, generator=seeded_generator)
    seed = int(torch.randint(0, 2**31 - 1, (), generator=seeded_generator))
    batched = RandomResizedCrop((24, 20), generator=torch.Generator().manual_seed(seed))(images.cuda())
    per_sample = RandomResizedCrop((24, 20), generator=torch.Generator().manual_seed(seed))(images)
    assert batched.is_cuda and batched.dtype == torch.uint8 and batched.shape == (6, 3, 24, 20)
    assert (batched.cpu().int() - per_sample.int()).abs().max() <= 1
