"""The op loader (triptych.library) and triptych.ops; each op's own tests are in
tests/test_op_conformance.py and its domain's test_<domain>_ops.py."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

import triptych
from triptych import library

COMPILED = library.EXTENSION_ERROR is None


@pytest.mark.skipif(not COMPILED, reason="the compiled library is not loaded")
def test_info_lists_compiled_op():
    from triptych.info import collect

    info = collect()
    assert "normalize" in info["compiled_cpu"]
    assert "normalize" not in info["fallback"]
    assert info["extension"] == "loaded"


@pytest.mark.cuda
@pytest.mark.skipif(not COMPILED, reason="the compiled library is not loaded")
def test_cuda_kernels_are_compiled():
    from triptych.info import collect

    collect()
    assert all(s.compiled_cuda for s in library.op_status()), library.op_status()


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


def test_define_op_twice_returns_the_same_op():
    from triptych.vision import ops as vision_ops

    op = library.define_op(library.definition("normalize"))
    assert op is vision_ops._normalize_op is torch.ops.triptych.normalize.default
