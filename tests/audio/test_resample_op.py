"""triptych::resample_poly: the compiled kernels against the pure-torch reference (the strided
convolution torchaudio uses), opcheck, gradients, torch.compile, the fallback, bad arguments."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch

from triptych import library
from triptych.audio import functional as F
from triptych.audio.ops import _resample_poly_reference, resample_poly

COMPILED = library.EXTENSION_ERROR is None


def random_case(g, dtype=torch.float32, rates=None, frames=None):
    """A random ratio (or the given one) in lowest terms, its kernel, and a random waveform."""
    if rates is None:
        rates = (int(torch.randint(1, 40, (), generator=g)), int(torch.randint(1, 40, (), generator=g)))
    quality = ["fast", "hq"][int(torch.randint(0, 2, (), generator=g))]
    orig, new, kernel, width = F._resampler(*rates, quality, None, None, None, None)
    if frames is None:
        frames = int(torch.randint(0, 600, (), generator=g))
    rows = int(torch.randint(1, 4, (), generator=g))
    x = torch.randn(rows, frames, generator=g, dtype=dtype)
    return x, kernel.to(dtype), orig, new, width


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_matches_reference_on_random_inputs(seeded_generator, dtype):
    for _ in range(20):
        x, kernel, orig, new, width = random_case(seeded_generator, dtype)
        tol = {"rtol": 1e-5, "atol": 1e-5} if dtype == torch.float32 else {}
        torch.testing.assert_close(resample_poly(x, kernel, orig, new, width),
                                   _resample_poly_reference(x, kernel, orig, new, width), **tol)


def test_common_rates_and_edges(seeded_generator):
    for rates in [(44100, 16000), (48000, 16000), (16000, 44100), (22050, 16000), (8000, 48000)]:
        for frames in (1, 7, 1000):
            x, kernel, orig, new, width = random_case(seeded_generator, torch.float64, rates, frames)
            torch.testing.assert_close(resample_poly(x, kernel, orig, new, width),
                                       _resample_poly_reference(x, kernel, orig, new, width))


@pytest.mark.parametrize("rates", [(44100, 16000), (44100, 22050), (22050, 16000), (16000, 48000)])
def test_long_inputs_match_reference(seeded_generator, rates):
    # long enough for the CPU kernel's bulk path (pairs of 2048-frame units, across rows and
    # within one) as well as its ends and leftover blocks; 3 rows: one unit goes unpaired
    for dtype, frames in ((torch.float32, 20011), (torch.float64, 9000)):
        x, kernel, orig, new, width = random_case(seeded_generator, dtype, rates, frames)
        x = torch.randn(3, frames, generator=seeded_generator, dtype=dtype)
        tol = {"rtol": 1e-5, "atol": 1e-5} if dtype == torch.float32 else {}
        torch.testing.assert_close(resample_poly(x, kernel, orig, new, width),
                                   _resample_poly_reference(x, kernel, orig, new, width), **tol)


BASELINE_SCRIPT = """
import sys, torch
from triptych.audio import functional as F
from triptych.audio.ops import _resample_poly_reference, resample_poly
g = torch.Generator().manual_seed(int(sys.argv[1]))
for rates in [(44100, 16000), (44100, 22050), (16000, 48000)]:
    orig, new, kernel, width = F._resampler(*rates, "hq", None, None, None, None)
    x = torch.randn(3, 9001, generator=g)
    torch.testing.assert_close(resample_poly(x, kernel.float(), orig, new, width),
                               _resample_poly_reference(x, kernel.float(), orig, new, width), rtol=1e-5, atol=1e-5)
print("ok")
"""


@pytest.mark.skipif(not COMPILED, reason="the compiled library is not loaded")
def test_portable_loop_matches_reference():
    # TRIPTYCH_CPU_BASELINE=1 (read once per process) makes the kernel take the portable loop
    # instead of the AVX2 + FMA one this machine would pick
    proc = subprocess.run([sys.executable, "-c", BASELINE_SCRIPT, "7"], capture_output=True, text=True,
                          env={**os.environ, "TRIPTYCH_CPU_BASELINE": "1"})
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


def test_empty_input():
    orig, new, kernel, width = F._resampler(3, 2, "hq", None, None, None, None)
    out = resample_poly(torch.zeros(2, 0, dtype=torch.float64), kernel, orig, new, width)
    assert out.shape == (2, 0)


def test_opcheck(seeded_generator):
    x, kernel, orig, new, width = random_case(seeded_generator, torch.float32, (44100, 16000), 300)
    torch.library.opcheck(torch.ops.triptych.resample_poly.default, (x.requires_grad_(True), kernel, orig, new, width))


def test_gradcheck(seeded_generator):
    x, kernel, orig, new, width = random_case(seeded_generator, torch.float64, (5, 3), 40)
    x.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: resample_poly(t, kernel, orig, new, width), (x,))


def test_torch_compile_fullgraph(seeded_generator):
    x, kernel, orig, new, width = random_case(seeded_generator, torch.float32, (48000, 16000), 500)
    compiled = torch.compile(lambda t: resample_poly(t, kernel, orig, new, width) * 2, fullgraph=True)
    torch.testing.assert_close(compiled(x), _resample_poly_reference(x, kernel, orig, new, width) * 2,
                               rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(not COMPILED, reason="the compiled library is not loaded")
def test_schema_in_cpp_matches_opdef():
    compiled = torch.ops.triptych.resample_poly.default._schema
    declared = library.definition("resample_poly").schema
    assert str(compiled) == str(torch._C.parse_schema("triptych::" + declared))


def test_bad_arguments():
    x = torch.randn(2, 10)
    kernel = torch.zeros(2, 2 * 1 + 3)
    with pytest.raises(ValueError, match="waveform"):
        resample_poly(torch.randn(10), kernel, 3, 2, 1)
    with pytest.raises(TypeError, match="float32 or float64"):
        resample_poly(x.half(), kernel, 3, 2, 1)
    with pytest.raises(ValueError, match="kernel must have shape"):
        resample_poly(x, kernel, 3, 2, 2)
    with pytest.raises(ValueError, match="orig"):
        resample_poly(x, kernel, 0, 2, 1)
    with pytest.raises(ValueError, match="dtype"):
        resample_poly(x, kernel.double(), 3, 2, 1)


@pytest.mark.skipif(not COMPILED, reason="the compiled library is not loaded")
@pytest.mark.skipif(not library.KERNEL_ERRORS_RAISE, reason="kernel errors abort on this torch (see library.py)")
def test_kernel_rejects_bad_arguments_without_crashing():
    with pytest.raises(RuntimeError, match="kernel must be"):
        torch.ops.triptych.resample_poly(torch.zeros(1, 10), torch.zeros(2, 4), 3, 2, 1)


FALLBACK_SCRIPT = """
import json, sys, torch
from triptych import library
from triptych.audio.functional import resample
x = torch.load(sys.argv[1], weights_only=True)
torch.save(resample(x, 44100, 16000), sys.argv[2])
print(json.dumps({"error": library.EXTENSION_ERROR,
                  "compiled": [s.name for s in library.op_status() if s.compiled_cpu]}))
"""


def test_fallback_without_extension_gives_same_results(tmp_path, seeded_generator):
    x = torch.randn(2, 2000, generator=seeded_generator)
    torch.save(x, tmp_path / "in.pt")
    proc = subprocess.run([sys.executable, "-c", FALLBACK_SCRIPT, str(tmp_path / "in.pt"), str(tmp_path / "out.pt")],
                          env={**os.environ, "TRIPTYCH_NO_EXT": "1"}, capture_output=True, text=True, check=True)
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["error"] == "disabled by TRIPTYCH_NO_EXT" and report["compiled"] == []
    torch.testing.assert_close(torch.load(tmp_path / "out.pt", weights_only=True), F.resample(x, 44100, 16000),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_cuda_matches_reference(seeded_generator, dtype):
    for _ in range(10):
        x, kernel, orig, new, width = random_case(seeded_generator, dtype)
        got = resample_poly(x.cuda(), kernel.cuda(), orig, new, width)
        assert got.device.type == "cuda"
        torch.testing.assert_close(got.cpu(), _resample_poly_reference(x, kernel, orig, new, width),
                                   rtol=1e-5, atol=1e-5)


@pytest.mark.cuda
def test_cuda_opcheck_and_gradcheck(seeded_generator):
    x, kernel, orig, new, width = random_case(seeded_generator, torch.float64, (5, 3), 40)
    x, kernel = x.cuda().requires_grad_(True), kernel.cuda()
    torch.library.opcheck(torch.ops.triptych.resample_poly.default, (x, kernel, orig, new, width))
    assert torch.autograd.gradcheck(lambda t: resample_poly(t, kernel, orig, new, width), (x,))
