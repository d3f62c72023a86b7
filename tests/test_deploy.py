"""triptych.deploy: every registered model (all domains) through compile, export, ONNX and int8.

``test_model_deploy_path`` is parametrised over ``triptych.models.list_models()`` x the four
paths, so a model another domain registers is checked without editing this file. A model that
cannot take a path must declare it (``DEPLOY_LIMITS`` beside its code): the path then has to
raise :class:`DeployUnsupported` with that reason, and docs/deployment.md has to list it.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path

import pytest
import torch

import triptych
from triptych.deploy import (
    DEPLOY_PATHS,
    ONNX_ATOL,
    ONNX_RTOL,
    DeployUnsupported,
    check_onnx,
    compile_model,
    deploy_limits,
    example_inputs,
    export,
    quantize_int8,
    to_onnx,
)
from triptych.models import get_model, list_models, model_entry

DOCS = Path(__file__).resolve().parent.parent / "docs" / "deployment.md"
HAS_ONNX = all(importlib.util.find_spec(m) for m in ("onnx", "onnxscript", "onnxruntime"))
needs_onnx = pytest.mark.skipif(not HAS_ONNX, reason="needs the deploy extra "
                                "(pip install 'triptych[deploy]')")



def _small_resnet50():
    from triptych.vision.models import Bottleneck, ResNet

    return ResNet(Bottleneck, [1, 1, 1, 1], num_classes=10)


def _small_vit():
    from triptych.vision.models import VisionTransformer

    return VisionTransformer(image_size=32, patch_size=16, num_layers=2, num_heads=4,
                             hidden_dim=64, mlp_dim=128, num_classes=10)


def _small_wav2vec2():
    from triptych.audio.models import wav2vec2_model

    return wav2vec2_model(
        extractor_mode="group_norm", extractor_conv_layer_config=[(32, 10, 5), (32, 3, 2)],
        extractor_conv_bias=False, encoder_embed_dim=32, encoder_projection_dropout=0.0,
        encoder_pos_conv_kernel=16, encoder_pos_conv_groups=4, encoder_num_layers=2,
        encoder_num_heads=2, encoder_attention_dropout=0.0, encoder_ff_interm_features=64,
        encoder_ff_interm_dropout=0.0, encoder_dropout=0.0, encoder_layer_norm_first=False,
        encoder_layer_drop=0.0, aux_num_out=None)


def _small_roberta():
    from triptych.text.models import RobertaEncoder

    return RobertaEncoder(vocab_size=100, hidden_size=16, num_layers=2, num_heads=2,
                          intermediate_size=32, max_positions=34)


# Reduced configurations of the big models (the same classes, so every op and code path a deploy
# path must handle is there, at a small fraction of the parameters): the full ones would write
# 100 MB - 1 GB ONNX files and take minutes on 2 cores.
SMALL = {"resnet50": _small_resnet50, "vit_b_16": _small_vit, "wav2vec2_base": _small_wav2vec2,
         "roberta_base": _small_roberta, "xlmr_base": _small_roberta}



# compile / export reproduce eager float32 up to reassociation in fused kernels.
RTOL, ATOL = 1e-4, 1e-5


@functools.cache
def _build(name: str) -> torch.nn.Module:
    torch.manual_seed(0)
    model = (SMALL[name]() if name in SMALL else get_model(name)).eval()
    with torch.no_grad():  # zero-initialised heads (ViT) would make every output 0
        for param in model.parameters():
            if param.dim() >= 1 and not param.any():
                param.normal_(0, 0.02)
    return model


def _inputs(name: str, model: torch.nn.Module) -> tuple:
    generator = torch.Generator().manual_seed(1)
    if callable(getattr(model, "example_inputs", None)):
        return example_inputs(model, batch_size=2, generator=generator)
    if model_entry(name).domain != "vision":
        pytest.fail(f"{name}: define example_inputs(self, *, batch_size) on "
                    f"{type(model).__name__} (see docs/deployment.md)")
    return example_inputs(model, batch_size=2, generator=generator)


def _assert_close(got, want, *, rtol=RTOL, atol=ATOL):
    got, want = torch.utils._pytree.tree_leaves(got), torch.utils._pytree.tree_leaves(want)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=rtol, atol=atol)


def _take(path: str, model: torch.nn.Module, inputs: tuple, tmp_path: Path):
    """Run one deploy path on the model; return its outputs."""
    with torch.no_grad():
        if path == "compile":
            # Dynamo captures the forward and AOTAutograd traces it (the part of compiling that
            # depends on the model's code); inductor's C++ codegen of every model would take
            # minutes on 2 cores. tests/test_main_job.py compiles the trained small CNN with
            # inductor. Graph breaks are allowed (torch.compile's default), as for users.
            return compile_model(model, backend="aot_eager")(*inputs)
        if path == "export":
            return export(model, inputs).module()(*inputs)
        if path == "onnx":
            onnx_file = to_onnx(model, inputs, tmp_path / "model.onnx")
            check_onnx(model, inputs, onnx_file)
            return None
        return quantize_int8(model)(*inputs)


@pytest.mark.parametrize("path", DEPLOY_PATHS)
@pytest.mark.parametrize("name", list_models())
def test_model_deploy_path(name, path, tmp_path):
    if path == "onnx" and not HAS_ONNX:
        pytest.skip("needs the deploy extra (pip install 'triptych[deploy]')")
    model = _build(name)
    inputs = _inputs(name, model)
    reason = deploy_limits(model).get(path)
    if reason:  # declared: a clear error, and the docs' table lists it
        with pytest.raises(DeployUnsupported, match=re.escape(reason)):
            _take(path, model, inputs, tmp_path)
        assert re.search(rf"\|\s*`?{re.escape(name)}`?\s*\|\s*{path}\s*\|", DOCS.read_text()), \
            f"docs/deployment.md must list {name}'s {path} limit"
        return
    with torch.no_grad():
        eager = model(*inputs)
    got = _take(path, model, inputs, tmp_path)
    if path in ("compile", "export"):
        _assert_close(got, eager)
    elif path == "int8":
        # Dynamic int8 (per-tensor weights, per-batch activations): outputs stay within a few
        # percent of the output range.
        for g, w in zip(torch.utils._pytree.tree_leaves(got), torch.utils._pytree.tree_leaves(eager)):
            scale = float(w.abs().max()) + 1e-6
            assert float((g - w).abs().max()) <= 0.1 * scale, (name, float((g - w).abs().max()))


def test_docs_table_lists_exactly_the_declared_limits():
    rows = re.findall(r"^\|\s*`([\w.]+)`\s*\|\s*(compile|export|onnx|int8)\s*\|", DOCS.read_text(),
                      flags=re.M)
    declared = {(name, path) for name in list_models()
                for path in deploy_limits(_build(name))}
    assert set(rows) == declared


# --- the API itself ------------------------------------------------------------------------

class _Head(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(6, 3)

    def forward(self, x):
        return self.fc(x).relu()


class _NoOnnx(_Head):
    DEPLOY_LIMITS = {"onnx": "a test model that says no", "int8": "no int8 either"}


def test_declared_limits_raise_before_any_work(tmp_path):
    model = _NoOnnx()
    with pytest.raises(DeployUnsupported, match="'onnx' deploy path: a test model that says no"):
        to_onnx(model, torch.randn(2, 6), tmp_path / "m.onnx")
    with pytest.raises(DeployUnsupported, match="no int8 either"):
        quantize_int8(model)
    assert not list(tmp_path.iterdir())
    export(model, (torch.randn(2, 6),))  # the paths not declared still work


def test_unknown_limit_names_are_rejected():
    class Bad(_Head):
        DEPLOY_LIMITS = {"tensorrt": "?"}

    with pytest.raises(ValueError, match="unknown paths \\['tensorrt'\\]"):
        deploy_limits(Bad())
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        deploy_limits(lambda x: x)


def test_quantize_int8_linear_and_lstm():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))
    x = torch.randn(8, 16)
    int8 = triptych.quantize_int8(model)
    assert int8[0]._get_name() == "DynamicQuantizedLinear"
    assert isinstance(model[0], torch.nn.Linear)  # a copy by default
    assert not torch.equal(int8(x), model(x))  # really quantized
    torch.testing.assert_close(int8(x), model(x), rtol=0, atol=0.05)

    lstm = torch.nn.LSTM(8, 16, batch_first=True)
    y = torch.randn(2, 5, 8)
    q = quantize_int8(lstm)  # a bare LSTM (quantize_dynamic alone would leave it float)
    assert q._get_name() == "DynamicQuantizedLSTM"
    assert q(y)[0].shape == (2, 5, 16)
    torch.testing.assert_close(q(y)[0], lstm(y)[0], rtol=0, atol=0.05)

    nested = torch.nn.Sequential(torch.nn.Linear(16, 4))
    assert quantize_int8(nested, inplace=True) is nested
    assert nested[0]._get_name() == "DynamicQuantizedLinear"


def test_quantize_int8_bad_arguments():
    with pytest.raises(ValueError, match="Conv2d has no Linear/LSTM/GRU layer"):
        quantize_int8(torch.nn.Conv2d(3, 4, 3))
    with pytest.raises(ValueError, match="modules must be nn.Module subclasses"):
        quantize_int8(_Head(), modules=(int,))


def test_export_dynamic_batch():
    model = _Head().eval()
    program = export(model, (torch.randn(2, 6),), dynamic_batch=True)
    x = torch.randn(5, 6)
    torch.testing.assert_close(program.module()(x), model(x))


@needs_onnx
def test_check_onnx_catches_a_different_model(tmp_path):
    torch.manual_seed(0)
    model, other = _Head().eval(), _Head().eval()
    x = torch.randn(4, 6)
    path = to_onnx(model, (x,), tmp_path / "head.onnx")
    assert check_onnx(model, (x,), path) <= ONNX_ATOL + ONNX_RTOL
    with pytest.raises(AssertionError, match="onnxruntime differs from PyTorch"):
        check_onnx(other, (x,), path)


@needs_onnx
def test_to_onnx_bad_path_and_failed_export_leave_no_file(tmp_path):
    x = torch.randn(2, 6)
    with pytest.raises(ValueError, match="path must end in .onnx"):
        to_onnx(_Head(), x, tmp_path / "m.bin")
    with pytest.raises(FileNotFoundError, match="path: folder"):
        to_onnx(_Head(), x, tmp_path / "missing" / "m.onnx")

    class Broken(_Head):
        def forward(self, x):
            raise RuntimeError("cannot be traced")

    with pytest.raises(Exception, match="cannot be traced"):
        to_onnx(Broken(), x, tmp_path / "m.onnx")
    assert list(tmp_path.iterdir()) == []


def test_example_inputs():
    class WithOwn(_Head):
        def example_inputs(self, *, batch_size):
            return torch.zeros(batch_size, 6)

    assert example_inputs(WithOwn(), batch_size=3)[0].shape == (3, 6)
    assert example_inputs(_build("small_cnn"))[0].shape == (2, 3, 32, 32)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        example_inputs(_Head(), batch_size=0)
