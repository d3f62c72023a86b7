"""The conformance test every op gets from its OpDef (see docs/adding-an-op.md).

For each op registered through ``triptych.library.define_op`` (every domain's ``ops`` module is
imported first), on fresh random sample inputs from ``OpDef.sample_inputs``:

* the schema declared in C++ equals the OpDef's;
* the op matches its pure-torch reference;
* ``torch.library.opcheck`` passes (schema, autograd registration, fake tensor, AOT dispatch);
* ``gradcheck`` passes on the samples with float64 tensors that require grad;
* under ``TRIPTYCH_NO_EXT=1`` (one subprocess for all ops) the fallback gives the same results;
* every ``OpDef.error_inputs`` call raises a RuntimeError with a clear message, in a subprocess,
  so a crash fails the test instead of killing the test run (on torch < 2.13, where a kernel
  error aborts by design, this one is skipped: the public wrappers check arguments first).

A new op inherits all of this by declaring its sample and error inputs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap

import pytest
import torch

from triptych import library
from triptych.info import collect

collect()  # imports every domain's ops module, so every op is defined below
OPS = sorted(library.definitions())
COMPILED = library.EXTENSION_ERROR is None
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.cuda)]


def op_of(name: str):
    return getattr(torch.ops.triptych, name).default


def samples(name: str, device: str, seed: int) -> list[library.SampleInput]:
    return list(library.definition(name).sample_inputs(torch.device(device), torch.Generator().manual_seed(seed)))


def detached(value):
    """A copy of the arguments that shares no autograd history (each call gets its own)."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone().requires_grad_(value.requires_grad)
    if isinstance(value, (list, tuple)):
        return type(value)(detached(v) for v in value)
    return value


def assert_same(got: torch.Tensor, want: torch.Tensor, sample: library.SampleInput, what: str) -> None:
    assert got.dtype == want.dtype and got.shape == want.shape, f"{what}: {got.dtype} {tuple(got.shape)} " \
        f"vs {want.dtype} {tuple(want.shape)}"
    torch.testing.assert_close(got.detach().double().cpu(), want.detach().double().cpu(), atol=sample.atol,
                               rtol=sample.rtol, msg=lambda m: f"{what}: {m}")


@pytest.fixture
def seed(seeded_generator) -> int:
    return int(torch.randint(0, 2**31 - 1, (), generator=seeded_generator))


def test_every_op_declares_sample_and_error_inputs():
    assert OPS, "no op is defined"
    for name in OPS:
        op = library.definition(name)
        assert op.sample_inputs is not None, f"{name}: OpDef has no sample_inputs"
        assert op.error_inputs is not None, f"{name}: OpDef has no error_inputs"


@pytest.mark.skipif(not COMPILED, reason="the compiled library is not loaded")
@pytest.mark.parametrize("name", OPS)
def test_schema_in_cpp_matches_opdef(name):
    compiled = op_of(name)._schema  # from the C++ declaration
    declared = library.definition(name).schema  # what the fallback defines
    assert str(compiled) == str(torch._C.parse_schema(f"{library.NAMESPACE}::{declared}"))
    assert {s.name: s.compiled_cpu for s in library.op_status()}[name]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", OPS)
def test_matches_reference(name, device, seed):
    reference = library.definition(name).reference
    for i, sample in enumerate(samples(name, device, seed)):
        got = op_of(name)(*detached(sample.args), **sample.kwargs)
        want = reference(*detached(sample.args), **sample.kwargs)
        assert got.device.type == device, f"sample {i} (seed {seed}): output on {got.device}"
        assert_same(got, want, sample, f"sample {i} (seed {seed})")


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", OPS)
def test_opcheck(name, device, seed):
    for sample in samples(name, device, seed):
        narrowed = {} if sample.opcheck_tests is None else {"test_utils": sample.opcheck_tests}
        torch.library.opcheck(op_of(name), sample.args, sample.kwargs, **narrowed)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", OPS)
def test_gradcheck(name, device, seed):
    if library.definition(name).backward is None:
        pytest.skip(f"{name} is not differentiable")
    checked = 0
    for sample in samples(name, device, seed):
        inputs = [i for i, a in enumerate(sample.args) if isinstance(a, torch.Tensor) and a.requires_grad]
        if not inputs or any(sample.args[i].dtype != torch.float64 for i in inputs):
            continue

        def call(*tensors, sample=sample, inputs=inputs):
            args = list(sample.args)
            for i, t in zip(inputs, tensors):
                args[i] = t
            return op_of(name)(*args, **sample.kwargs)

        assert torch.autograd.gradcheck(call, [sample.args[i] for i in inputs])
        checked += 1
    assert checked, f"{name} is differentiable but has no float64 sample that requires grad"


# --- the fallback, all ops in one subprocess ------------------------------------------------

FALLBACK_SCRIPT = textwrap.dedent(
    """
    import json, sys, torch
    from triptych import library
    from triptych.info import collect
    collect()
    seed, out = int(sys.argv[1]), sys.argv[2]
    results = {}
    for name in sorted(library.definitions()):
        op = getattr(torch.ops.triptych, name).default
        gen = torch.Generator().manual_seed(seed)
        results[name] = [op(*s.args, **s.kwargs).detach() for s in library.definition(name).sample_inputs(
            torch.device("cpu"), gen)]
    torch.save(results, out)
    print(json.dumps({"error": library.EXTENSION_ERROR, "compiled": [s.name for s in library.op_status() if
                                                                      s.compiled_cpu]}))
    """
)


@pytest.fixture(scope="module")
def fallback_results(tmp_path_factory):
    seed = int(torch.randint(0, 2**31 - 1, ()))
    out = tmp_path_factory.mktemp("fallback") / "results.pt"
    env = {**os.environ, "TRIPTYCH_NO_EXT": "1"}
    proc = subprocess.run([sys.executable, "-c", FALLBACK_SCRIPT, str(seed), str(out)], env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report == {"error": "disabled by TRIPTYCH_NO_EXT", "compiled": []}
    return seed, torch.load(out, weights_only=True)


@pytest.mark.parametrize("name", OPS)
def test_fallback_without_extension_gives_same_results(name, fallback_results):
    seed, results = fallback_results
    ours = samples(name, "cpu", seed)
    assert len(results[name]) == len(ours)
    for i, (sample, fallback) in enumerate(zip(ours, results[name])):
        got = op_of(name)(*sample.args, **sample.kwargs)
        assert_same(got, fallback, sample, f"sample {i} (seed {seed})")


# --- bad arguments, all ops in one subprocess per device ----------------------------------

ERRORS_SCRIPT = textwrap.dedent(
    """
    import json, sys, torch
    from triptych import library
    from triptych.info import collect
    collect()
    device = torch.device(sys.argv[1])
    for name in sorted(library.definitions()):
        op = getattr(torch.ops.triptych, name).default
        for i, bad in enumerate(library.definition(name).error_inputs(device)):
            # One line before and one after each call: a call that kills the process is the
            # one whose "after" line is missing.
            print(json.dumps({"op": name, "index": i}), flush=True)
            try:
                op(*bad.args, **bad.kwargs)
                answer = {"raised": None}
            except Exception as exc:
                answer = {"raised": type(exc).__name__, "message": str(exc)}
            print(json.dumps(answer), flush=True)
    """
)


@pytest.fixture(scope="module")
def error_answers():
    answers = {}

    def run(device: str) -> tuple[dict, int, str]:
        if device not in answers:
            proc = subprocess.run([sys.executable, "-c", ERRORS_SCRIPT, device], capture_output=True, text=True)
            lines = [json.loads(line) for line in proc.stdout.splitlines()]
            calls = {}
            for call, answer in zip(lines[::2], lines[1::2] + [None]):
                calls[(call["op"], call["index"])] = answer
            answers[device] = (calls, proc.returncode, proc.stderr[-3000:])
        return answers[device]

    return run


@pytest.mark.skipif(not COMPILED, reason="the fallback's errors are torch's own")
@pytest.mark.skipif(not library.KERNEL_ERRORS_RAISE, reason="kernel errors abort on this torch (see library.py); "
                    "the public wrappers check arguments first")
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", OPS)
def test_bad_arguments_raise_clear_errors(name, device, error_answers):
    calls, returncode, stderr = error_answers(device)
    bad_inputs = list(library.definition(name).error_inputs(torch.device(device)))
    assert bad_inputs, f"{name} declares no error inputs"
    for i, bad in enumerate(bad_inputs):
        answer = calls.get((name, i))
        assert answer is not None, f"{name} error input {i} ({bad.match!r}): the process died " \
            f"(exit status {returncode}): {stderr}"
        assert answer["raised"] == "RuntimeError", f"{name} error input {i} ({bad.match!r}): {answer}"
        assert re.search(bad.match, answer["message"]), f"{name} error input {i}: {answer['message']!r} " \
            f"does not match {bad.match!r}"
        assert "API call failed" not in answer["message"], answer["message"]
