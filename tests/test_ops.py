"""triptych::normalize: compiled kernel vs the pure-torch reference, opcheck, gradcheck, compile."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

import triptych
from triptych import library
from triptych.vision.ops import _normalize_reference, normalize

COMPILED = library.EXTENSION_ERROR is None


def random_case(gen: torch.Generator, dtype: torch.dtype, batched: bool):
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


def layouts(x: torch.Tensor):
    """The same logical tensor in each memory layout the kernel handles."""
    yield "contiguous", x
    if x.dim() == 4:
        yield "channels_last", x.contiguous(memory_format=torch.channels_last)
    else:
        yield "hwc_view", x.permute(1, 2, 0).contiguous().permute(2, 0, 1)
    yield "strided_crop", torch.cat([x, x], dim=-1)[..., : x.shape[-1]]


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32, torch.float64])
@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize("channels_last", [False, True])
def test_matches_reference_on_random_inputs(seeded_generator, dtype, batched, channels_last):
    for _ in range(5):
        x, mean, std = random_case(seeded_generator, dtype, batched)
        for name, view in layouts(x):
            got = normalize(view, mean, std, channels_last=channels_last)
            want = _normalize_reference(x, mean, std, channels_last)
            torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5, msg=lambda m, n=name: f"{n}: {m}")
            assert got.dtype == (torch.float64 if dtype == torch.float64 else torch.float32)
            if channels_last and got.dim() == 4 and got.shape[1] > 1 and got.shape[-1] * got.shape[-2] > 1:
                assert got.is_contiguous(memory_format=torch.channels_last)
            elif not channels_last:
                assert got.is_contiguous()


def test_hwc_layout_reads_decoded_images_in_place(seeded_generator):
    hwc = torch.randint(0, 256, (17, 23, 3), dtype=torch.uint8, generator=seeded_generator)
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    got = normalize(hwc, mean, std, layout="HWC")
    want = _normalize_reference(hwc.permute(2, 0, 1), mean, std)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    assert got.shape == (3, 17, 23)


def test_uint8_known_values():
    x = torch.tensor([0, 51, 255], dtype=torch.uint8).view(1, 1, 3)
    out = normalize(x, mean=0.2, std=0.5)
    torch.testing.assert_close(out, torch.tensor([[[-0.4, 0.0, 1.6]]]))


def test_half_precision_input_is_promoted(seeded_generator):
    x = torch.randn(3, 5, 6, generator=seeded_generator).half()
    got = normalize(x, [0.1, 0.2, 0.3], [1.0, 2.0, 3.0])
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, _normalize_reference(x.float(), [0.1, 0.2, 0.3], [1.0, 2.0, 3.0]))


def test_empty_image():
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
def test_bad_input_gives_clear_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        normalize(**kwargs)


@pytest.mark.skipif(not COMPILED, reason="the compiled library is not loaded")
@pytest.mark.skipif(not library.KERNEL_ERRORS_RAISE, reason="kernel errors abort on this torch (see library.py)")
def test_kernel_rejects_bad_arguments_without_crashing():
    with pytest.raises(RuntimeError, match="one value per channel"):
        torch.ops.triptych.normalize(torch.zeros(3, 2, 2), [0.0], [1.0], False)


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_opcheck(seeded_generator, dtype):
    x, mean, std = random_case(seeded_generator, dtype, batched=True)
    if dtype.is_floating_point:
        x.requires_grad_(True)
    for channels_last in (False, True):
        torch.library.opcheck(torch.ops.triptych.normalize.default, (x, mean, std, channels_last))


def test_gradcheck(seeded_generator):
    # Small on purpose: gradcheck perturbs every element.
    x = torch.randn(2, 3, 4, 5, dtype=torch.float64, generator=seeded_generator, requires_grad=True)
    mean = torch.rand(3, generator=seeded_generator).tolist()
    std = (torch.rand(3, generator=seeded_generator) + 0.05).tolist()
    assert torch.autograd.gradcheck(lambda t: normalize(t, mean, std), (x,))
    assert torch.autograd.gradgradcheck(lambda t: normalize(t, mean, std), (x,))


def test_gradient_matches_reference(seeded_generator):
    x, mean, std = random_case(seeded_generator, torch.float32, batched=False)
    a = x.clone().requires_grad_(True)
    b = x.clone().requires_grad_(True)
    grad = torch.randn(x.shape, generator=seeded_generator)
    normalize(a, mean, std).backward(grad)
    _normalize_reference(b, mean, std).backward(grad)
    torch.testing.assert_close(a.grad, b.grad)


def test_torch_compile_fullgraph(seeded_generator):
    x, mean, std = random_case(seeded_generator, torch.uint8, batched=True)

    def pipeline(t):
        return normalize(t, mean, std) * 2 + 1

    compiled = torch.compile(pipeline, fullgraph=True)
    torch.testing.assert_close(compiled(x), _normalize_reference(x, mean, std) * 2 + 1, rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(not COMPILED, reason="the compiled library is not loaded")
def test_schema_in_cpp_matches_opdef():
    compiled = torch.ops.triptych.normalize.default._schema  # from the C++ declaration
    declared = library.definition("normalize").schema  # the OpDef the fallback would use
    assert str(compiled) == str(torch._C.parse_schema("triptych::" + declared))
    assert "normalize(Tensor image, float[] mean, float[] std, bool channels_last=False) -> Tensor" in str(compiled)


@pytest.mark.skipif(not COMPILED, reason="the compiled library is not loaded")
def test_info_lists_compiled_op():
    from triptych.info import collect

    info = collect()
    assert "normalize" in info["compiled_cpu"]
    assert "normalize" not in info["fallback"]
    assert info["extension"] == "loaded"


FALLBACK_SCRIPT = """
import json, sys, torch
import triptych
from triptych import library
from triptych.info import collect
x = torch.load(sys.argv[1], weights_only=True)
out = triptych.vision.ops.normalize(x["image"], x["mean"], x["std"], channels_last=True)
torch.save(out, sys.argv[2])
print(json.dumps({"error": library.EXTENSION_ERROR, "info": collect()}))
"""


def test_fallback_without_extension_gives_same_results(tmp_path, seeded_generator):
    x, mean, std = random_case(seeded_generator, torch.uint8, batched=True)
    torch.save({"image": x, "mean": mean, "std": std}, tmp_path / "in.pt")
    env = {**os.environ, "TRIPTYCH_NO_EXT": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", FALLBACK_SCRIPT, str(tmp_path / "in.pt"), str(tmp_path / "out.pt")],
        env=env, capture_output=True, text=True, check=True,
    )
    import json

    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["error"] == "disabled by TRIPTYCH_NO_EXT"
    assert "normalize" in report["info"]["fallback"]
    assert report["info"]["compiled_cpu"] == []
    fallback = torch.load(tmp_path / "out.pt", weights_only=True)
    torch.testing.assert_close(fallback, normalize(x, mean, std, channels_last=True), rtol=1e-5, atol=1e-5)
    assert fallback.is_contiguous(memory_format=torch.channels_last) or fallback.shape[1] == 1


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32, torch.float64])
def test_cuda_matches_reference(seeded_generator, dtype):
    for batched in (False, True):
        x, mean, std = random_case(seeded_generator, dtype, batched)
        for channels_last in (False, True):
            for name, view in layouts(x.cuda()):
                got = normalize(view, mean, std, channels_last=channels_last)
                assert got.device.type == "cuda"
                want = _normalize_reference(x, mean, std, channels_last)
                torch.testing.assert_close(got.cpu(), want, rtol=1e-5, atol=1e-5, msg=lambda m, n=name: f"{n}: {m}")


@pytest.mark.cuda
def test_cuda_opcheck_and_gradcheck(seeded_generator):
    x = torch.randn(2, 3, 4, 5, dtype=torch.float64, generator=seeded_generator).cuda().requires_grad_(True)
    mean, std = [0.1, 0.2, 0.3], [0.5, 1.5, 2.0]
    torch.library.opcheck(torch.ops.triptych.normalize.default, (x, mean, std, True))
    assert torch.autograd.gradcheck(lambda t: normalize(t, mean, std), (x,))
    assert library.op_status()[[s.name for s in library.op_status()].index("normalize")].compiled_cuda


def test_import_is_cheap_and_lazy():
    code = "import sys, triptych; print(any(m.startswith('triptych.vision') for m in sys.modules), 'PIL' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]
    assert triptych.vision.__name__ == "triptych.vision"


def test_normalize_keeps_its_old_public_name():
    # normalize moved to triptych.vision.ops; triptych.ops.normalize stays a re-export.
    from triptych.vision import ops as vision_ops

    assert triptych.ops.normalize is vision_ops.normalize
    with pytest.raises(AttributeError, match="no attribute 'resize'"):
        triptych.ops.resize  # noqa: B018
