"""triptych::resize and triptych::resized_crop_flip_normalize: the compiled kernels vs their
pure-torch references (torch's F.interpolate), on random inputs drawn fresh each run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from triptych import library
from triptych.vision.ops import (
    INTERPOLATIONS,
    _rcfn_reference,
    _resize_reference,
    normalize,
    resize,
    resized_crop_flip_normalize,
)

COMPILED = library.EXTENSION_ERROR is None
DTYPES = [torch.uint8, torch.float32, torch.float64]


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
    mismatched = compared = 0
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
                mismatched += int((got != want_values).sum())
                compared += got.numel()
    if compared:
        # Off by one level only where float rounding lands on .5: rare, never systematic.
        assert mismatched / compared < 0.01, f"{mismatched} of {compared} uint8 values differ by one level"


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


BAD_KERNEL_CALLS = [
    ("torch.ops.triptych.resize(torch.zeros(3, 4, 4), [2, 2], 'lanczos', True)", "interpolation must be one of"),
    ("torch.ops.triptych.resize(torch.zeros(3, 4, 4, dtype=torch.int32), [2, 2], 'bilinear', True)",
     "uint8, float32 or float64"),
    ("torch.ops.triptych.resize(torch.zeros(3, 4, 4), [2, -1], 'bilinear', True)", "positive"),
    ("torch.ops.triptych.resized_crop_flip_normalize(torch.zeros(3, 10, 11, dtype=torch.uint8), "
     "torch.tensor([[4, 0, 7, 5]]), torch.tensor([False]), [4, 4], 'bilinear', True, [0.0] * 3, [1.0] * 3)",
     "does not lie inside"),
    ("torch.ops.triptych.resized_crop_flip_normalize(torch.zeros(3, 10, 11), torch.tensor([[0, 0, 5, 5]]), "
     "torch.tensor([False]), [4, 4], 'area', True, [0.0] * 3, [1.0] * 3)", "interpolation must be one of"),
    ("torch.ops.triptych.resized_crop_flip_normalize(torch.zeros(3, 10, 11), torch.tensor([[0, 0, 5, 5]], "
     "dtype=torch.int32), torch.tensor([False]), [4, 4], 'bilinear', True, [0.0] * 3, [1.0] * 3)", "int64"),
    ("torch.ops.triptych.resized_crop_flip_normalize(torch.zeros(3, 10, 11), torch.tensor([[0, 0, 5, 5]]), "
     "torch.tensor([True, False]), [4, 4], 'bilinear', True, [0.0] * 3, [1.0] * 3)", "one flag per image"),
    # Boxes whose end overflows int64: once a segfault, an out-of-bounds read and a
    # std::length_error, because the bounds check added top + height.
    *((f"torch.ops.triptych.resized_crop_flip_normalize(torch.zeros(3, 10, 11, dtype=torch.uint8), "
       f"torch.tensor([{box}]), torch.tensor([False]), [4, 4], 'bilinear', True, [0.0] * 3, [1.0] * 3)",
       "does not lie inside")
      for box in ([0, 2**63 - 1, 5, 5], [2**63 - 1, 0, 5, 5], [2**62, 2**62, 2**62, 50], [0, 0, 2**63 - 1, 5])),
    ("torch.ops.triptych.resize(torch.zeros(3, 4, 4, dtype=torch.uint8), [10**6, 10**6], 'bilinear', True)",
     "size gives an output (3, 1000000, 1000000) of 3000000000000 bytes, which cannot be allocated"),
    ("torch.ops.triptych.resize(torch.zeros(3, 4, 4), [2**62, 2**62], 'bilinear', True)", "size gives an output (3, 4611686018427387904, 4611686018427387904) too large"),
    ("torch.ops.triptych.resized_crop_flip_normalize(torch.zeros(3, 10, 11), torch.tensor([[0, 0, 5, 5]]), "
     "torch.tensor([False]), [2**62, 4], 'bilinear', True, [0.0] * 3, [1.0] * 3)", "size gives an output"),
]


@pytest.mark.skipif(not COMPILED, reason="the compiled library is not loaded")
@pytest.mark.skipif(not library.KERNEL_ERRORS_RAISE, reason="kernel errors abort on this torch (see library.py)")
def test_kernels_reject_bad_arguments_without_crashing():
    # In a separate interpreter, one call after the other, so that an error that kills the
    # process instead of raising fails this test (naming the call) rather than the test run.
    lines = ["import torch, triptych.vision.ops"]
    for call, _ in BAD_KERNEL_CALLS:
        lines += ["try:", f"    {call}", "    print('no error', flush=True)",
                  "except RuntimeError as exc:", "    print(str(exc).splitlines()[0], flush=True)"]
    proc = subprocess.run([sys.executable, "-c", "\n".join(lines)], capture_output=True, text=True)
    answers = proc.stdout.splitlines()
    for i, (call, message) in enumerate(BAD_KERNEL_CALLS):
        assert i < len(answers), f"the interpreter died (exit status {proc.returncode}) on {call}"
        assert message in answers[i], f"{call}: {answers[i]}"
    assert proc.returncode == 0


# torch's meta kernels for upsample_bilinear2d_backward and the bicubic backwards take
# concrete sizes only, so tracing their backward with symbolic shapes fails inside torch
# ("Expected IntList but got GenericList"); F.interpolate has the same limit. Those
# combinations run every opcheck test but the dynamic-shape one.
DYNAMIC_BACKWARD_OK = {("nearest", True), ("nearest", False), ("bilinear", True)}


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_resize_opcheck(seeded_generator, dtype):
    x = random_image(seeded_generator, dtype, (2, 3, 9, 7))
    if dtype.is_floating_point:
        x.requires_grad_(True)
    for view in (x, x.contiguous(memory_format=torch.channels_last)):
        for interpolation in INTERPOLATIONS:
            for antialias in (True, False):
                tests = ["test_schema", "test_autograd_registration", "test_faketensor"]
                if not view.requires_grad or (interpolation, antialias) in DYNAMIC_BACKWARD_OK:
                    tests.append("test_aot_dispatch_dynamic")
                torch.library.opcheck(torch.ops.triptych.resize.default, (view, [5, 11], interpolation, antialias),
                                      test_utils=tests)
    if x.requires_grad:  # the forward alone traces with symbolic shapes in every mode
        for interpolation in INTERPOLATIONS:
            torch.library.opcheck(torch.ops.triptych.resize.default, (x.detach(), [5, 11], interpolation, False),
                                  test_utils="test_aot_dispatch_dynamic")


def test_resize_gradcheck(seeded_generator):
    x = torch.rand(2, 2, 6, 5, dtype=torch.float64, generator=seeded_generator, requires_grad=True)
    for interpolation in INTERPOLATIONS:
        for antialias in (True, False):
            assert torch.autograd.gradcheck(
                lambda t, i=interpolation, a=antialias: resize(t, (4, 7), interpolation=i, antialias=a), (x,)
            )


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


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_rcfn_opcheck(seeded_generator, dtype):
    x = random_image(seeded_generator, dtype, (2, 3, 12, 10))
    boxes = random_boxes(seeded_generator, 2, 12, 10)
    flips = torch.tensor([True, False])
    for channels_last in (False, True):
        torch.library.opcheck(
            torch.ops.triptych.resized_crop_flip_normalize.default,
            (x, boxes, flips, [7, 5], "bicubic", True, [0.1, 0.2, 0.3], [0.5, 0.6, 0.7], channels_last),
        )


# --- both ops ------------------------------------------------------------------------------


@pytest.mark.skipif(not COMPILED, reason="the compiled library is not loaded")
@pytest.mark.parametrize("name", ["resize", "resized_crop_flip_normalize"])
def test_schema_in_cpp_matches_opdef(name):
    declared = library.definition(name).schema
    compiled = getattr(torch.ops.triptych, name).default._schema
    assert str(compiled) == str(torch._C.parse_schema("triptych::" + declared))
    assert {s.name: s.compiled_cpu for s in library.op_status()}[name]


FALLBACK_CASES = textwrap.dedent(
    """
    import torch
    from triptych.vision.ops import resize, resized_crop_flip_normalize

    def run(seed):
        gen = torch.Generator().manual_seed(seed)
        outs = []
        hwc = torch.randint(0, 256, (2, 29, 23, 3), dtype=torch.uint8, generator=gen)
        images = hwc.permute(0, 3, 1, 2)
        floats = torch.rand(3, 17, 21, generator=gen)
        for interpolation in ("nearest", "bilinear", "bicubic"):
            for antialias in (True, False):
                outs.append(resize(images, (13, 31), interpolation=interpolation, antialias=antialias))
                outs.append(resize(floats, (40, 9), interpolation=interpolation, antialias=antialias))
                outs.append(resized_crop_flip_normalize(
                    images, torch.tensor([[3, 2, 20, 15], [0, 5, 29, 18]]), torch.tensor([True, False]), (11, 7),
                    interpolation=interpolation, antialias=antialias, mean=[0.4, 0.5, 0.6], std=[0.2, 0.3, 0.25],
                    channels_last=True))
        return outs
    """
)

FALLBACK_SCRIPT = FALLBACK_CASES + textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from triptych import library
    outs = run(int(sys.argv[1]))
    for i, out in enumerate(outs):
        np.save(f"{sys.argv[2]}/{i}.npy", out.contiguous().numpy(), allow_pickle=False)
    status = {s.name: s.compiled_cpu for s in library.op_status()}
    print(json.dumps({"error": library.EXTENSION_ERROR, "count": len(outs), "compiled": status}))
    """
)


def test_fallback_without_extension_gives_same_results(tmp_path, seeded_generator):
    seed = int(torch.randint(0, 2**31 - 1, (), generator=seeded_generator))
    env = {**os.environ, "TRIPTYCH_NO_EXT": "1"}
    proc = subprocess.run([sys.executable, "-c", FALLBACK_SCRIPT, str(seed), str(tmp_path)],
                          env=env, capture_output=True, text=True, check=True)
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["error"] == "disabled by TRIPTYCH_NO_EXT"
    assert not report["compiled"]["resize"] and not report["compiled"]["resized_crop_flip_normalize"]
    namespace: dict = {}
    exec(FALLBACK_CASES, namespace)
    ours = namespace["run"](seed)
    assert len(ours) == report["count"]
    for i, got in enumerate(ours):
        fallback = torch.from_numpy(np.load(tmp_path / f"{i}.npy", allow_pickle=False))
        atol = 1 if got.dtype == torch.uint8 else 5e-5
        torch.testing.assert_close(got.contiguous().double(), fallback.double(), atol=atol, rtol=1e-5, msg=lambda m, k=i: f"case {k}: {m}")


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
def test_cuda_opcheck_and_gradcheck(seeded_generator):
    x = torch.rand(2, 3, 7, 6, dtype=torch.float64, generator=seeded_generator).cuda().requires_grad_(True)
    torch.library.opcheck(torch.ops.triptych.resize.default, (x, [5, 9], "bilinear", True))
    assert torch.autograd.gradcheck(lambda t: resize(t, (5, 9)), (x,))
    boxes = torch.tensor([[0, 1, 6, 5], [1, 0, 5, 6]], device="cuda")
    flips = torch.tensor([True, False], device="cuda")
    torch.library.opcheck(torch.ops.triptych.resized_crop_flip_normalize.default,
                          (x.detach(), boxes, flips, [4, 4], "bilinear", True, [0.1] * 3, [0.5] * 3, False))
    status = {s.name: s for s in library.op_status()}
    assert status["resize"].compiled_cuda and status["resized_crop_flip_normalize"].compiled_cuda
