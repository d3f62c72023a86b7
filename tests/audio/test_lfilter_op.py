"""triptych::lfilter_iir: the compiled recursion against the reference (a blocked state-space
form in torch ops), opcheck, the schema, the fallback, bad arguments."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch

from triptych import library
from triptych.audio.ops import _lfilter_iir_reference, lfilter_iir

COMPILED = library.EXTENSION_ERROR is None


def random_case(g, dtype=torch.float32, order=None, length=None):
    # float32 recursions of high-order resonant filters lose digits with any method; keep
    # float32 cases to orders <= 3 (gain <= 1000), float64 up to 6
    highest = 3 if dtype == torch.float32 else 6
    order = int(torch.randint(0, highest + 1, (), generator=g)) if order is None else order
    channels = int(torch.randint(1, 4, (), generator=g))
    rows = int(torch.randint(1, 4, (), generator=g))
    length = int(torch.randint(0, 700, (), generator=g)) if length is None else length
    poles = torch.rand(channels, order, generator=g, dtype=torch.float64) * 1.8 - 0.9
    a = torch.ones(channels, 1, dtype=torch.float64)
    for k in range(order):  # prod (1 - p z^-1): a stable filter
        shifted = torch.cat([torch.zeros(channels, 1, dtype=torch.float64), a], -1)
        a = torch.cat([a, torch.zeros(channels, 1, dtype=torch.float64)], -1) - poles[:, k:k + 1] * shifted
    a = a * (torch.rand(channels, 1, generator=g, dtype=torch.float64) + 0.5)
    b = torch.randn(channels, order + 1, generator=g, dtype=torch.float64)
    x = torch.randn(rows, channels, length, generator=g, dtype=dtype)
    return x, a.to(dtype), b.to(dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_matches_reference_on_random_inputs(seeded_generator, dtype):
    for _ in range(20):
        x, a, b = random_case(seeded_generator, dtype)
        want = _lfilter_iir_reference(x.double(), a.double(), b.double())
        scale = max(float(want.abs().max()) if want.numel() else 1.0, 1.0)  # error grows with the gain
        atol = (1e-4 if dtype == torch.float32 else 1e-9) * scale
        torch.testing.assert_close(lfilter_iir(x, a, b).double(), want, rtol=0, atol=atol)


def test_empty_time_axis(seeded_generator):
    for order in (0, 2):
        x, a, b = random_case(seeded_generator, torch.float64, order, 0)
        assert lfilter_iir(x, a, b).shape == x.shape
        assert _lfilter_iir_reference(x, a, b).shape == x.shape  # the fallback too


def test_orders_with_and_without_a_fixed_size_kernel(seeded_generator):
    for order in (0, 1, 2, 3, 4, 8):
        x, a, b = random_case(seeded_generator, torch.float64, order, 257)
        torch.testing.assert_close(lfilter_iir(x, a, b), _lfilter_iir_reference(x, a, b))


def test_gradients_flow_through_the_reference(seeded_generator):
    x, a, b = random_case(seeded_generator, torch.float64, 2, 30)
    for t in (x, a, b):
        t.requires_grad_(True)
    assert torch.autograd.gradcheck(lfilter_iir, (x, a, b))


def test_opcheck(seeded_generator):
    x, a, b = random_case(seeded_generator, torch.float32, 2, 100)
    torch.library.opcheck(torch.ops.triptych.lfilter_iir.default, (x, a, b),
                          test_utils=("test_schema", "test_faketensor"))


@pytest.mark.skipif(not COMPILED, reason="the compiled library is not loaded")
def test_schema_in_cpp_matches_opdef():
    compiled = torch.ops.triptych.lfilter_iir.default._schema
    declared = library.definition("lfilter_iir").schema
    assert str(compiled) == str(torch._C.parse_schema("triptych::" + declared))


def test_bad_arguments():
    x = torch.randn(2, 3, 10)
    a = torch.ones(3, 2)
    with pytest.raises(ValueError, match="waveform"):
        lfilter_iir(torch.randn(3, 10), a, a)
    with pytest.raises(ValueError, match="C = 3"):
        lfilter_iir(x, torch.ones(2, 2), torch.ones(2, 2))
    with pytest.raises(ValueError, match="dtype"):
        lfilter_iir(x, a.double(), a.double())
    with pytest.raises(ValueError, match="zero"):
        lfilter_iir(x, torch.zeros(3, 2), a)


@pytest.mark.skipif(not COMPILED, reason="the compiled library is not loaded")
@pytest.mark.skipif(not library.KERNEL_ERRORS_RAISE, reason="kernel errors abort on this torch (see library.py)")
def test_kernel_rejects_bad_arguments_without_crashing():
    with pytest.raises(RuntimeError, match="lfilter_iir"):
        torch.ops.triptych.lfilter_iir(torch.zeros(1, 2, 10), torch.ones(3, 2), torch.ones(3, 2))


FALLBACK_SCRIPT = """
import json, sys, torch
from triptych import library
from triptych.audio.functional import lowpass_biquad
x = torch.load(sys.argv[1], weights_only=True)
torch.save(lowpass_biquad(x, 16000, 1000.0), sys.argv[2])
print(json.dumps({"error": library.EXTENSION_ERROR,
                  "compiled": [s.name for s in library.op_status() if s.compiled_cpu]}))
"""


def test_fallback_without_extension_gives_same_results(tmp_path, seeded_generator):
    from triptych.audio.functional import lowpass_biquad

    x = torch.rand(2, 3000, generator=seeded_generator) - 0.5
    torch.save(x, tmp_path / "in.pt")
    proc = subprocess.run([sys.executable, "-c", FALLBACK_SCRIPT, str(tmp_path / "in.pt"), str(tmp_path / "out.pt")],
                          env={**os.environ, "TRIPTYCH_NO_EXT": "1"}, capture_output=True, text=True, check=True)
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["error"] == "disabled by TRIPTYCH_NO_EXT" and report["compiled"] == []
    torch.testing.assert_close(torch.load(tmp_path / "out.pt", weights_only=True), lowpass_biquad(x, 16000, 1000.0),
                               rtol=1e-4, atol=1e-5)


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_cuda_matches_reference(seeded_generator, dtype):
    for _ in range(10):
        x, a, b = random_case(seeded_generator, dtype)
        got = lfilter_iir(x.cuda(), a.cuda(), b.cuda())
        assert got.device.type == "cuda"
        torch.testing.assert_close(got.cpu(), _lfilter_iir_reference(x, a, b), rtol=1e-4, atol=1e-4)
