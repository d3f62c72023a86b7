"""triptych.deploy: graph mode, ONNX and 8-bit for every model of the library.

Four paths take a trained ``nn.Module`` out of eager PyTorch:

========  ==========================================  ===========================================
path      function                                    what it gives
========  ==========================================  ===========================================
compile   :func:`compile_model`                       ``torch.compile`` (inductor), same outputs
export    :func:`export`                              a ``torch.export.ExportedProgram``
onnx      :func:`to_onnx` + :func:`check_onnx`        an ``.onnx`` file (dynamo exporter), checked
                                                      against onnxruntime within a tolerance
int8      :func:`quantize_int8`                       dynamic int8 ``nn.Linear`` / ``nn.LSTM`` /
                                                      ``nn.GRU`` (weights int8, activations
                                                      quantized per batch), CPU
========  ==========================================  ===========================================

A model that cannot take a path declares it beside its code, as a class attribute
``DEPLOY_LIMITS = {"onnx": "why"}``; the path's function then raises :class:`DeployUnsupported`
with that reason instead of failing somewhere inside the exporter (docs/deployment.md lists them).

ONNX needs the ``deploy`` extra (``pip install 'triptych[deploy]'``: onnx, onnxscript,
onnxruntime).

Example:
    >>> import torch
    >>> import triptych
    >>> from triptych.deploy import export
    >>> model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(),
    ...                             torch.nn.Linear(16, 3)).eval()
    >>> x = torch.randn(4, 8)
    >>> int8 = triptych.quantize_int8(model)
    >>> int8[0]._get_name()
    'DynamicQuantizedLinear'
    >>> bool((int8(x) - model(x)).abs().max() < 0.05)
    True
    >>> torch.equal(export(model, (x,)).module()(x), model(x))
    True
"""

from __future__ import annotations

import copy
import logging
import os
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

__all__ = [
    "DEPLOY_PATHS",
    "ONNX_ATOL",
    "ONNX_RTOL",
    "DeployUnsupported",
    "check_onnx",
    "compile_model",
    "deploy_limits",
    "example_inputs",
    "export",
    "quantize_int8",
    "to_onnx",
]

DEPLOY_PATHS = ("compile", "export", "onnx", "int8")

#: The tolerance :func:`check_onnx` holds onnxruntime's outputs to (float32, CPU):
#: ``|ort - torch| <= ONNX_ATOL + ONNX_RTOL * |torch|`` element-wise.
ONNX_RTOL = 1e-3
ONNX_ATOL = 1e-4

_ONNX_EXTRA = "pip install 'triptych[deploy]'"


class DeployUnsupported(RuntimeError):
    """The model declares (in its ``DEPLOY_LIMITS``) that it cannot take this deploy path."""


def deploy_limits(model: nn.Module) -> dict[str, str]:
    """The paths ``model`` declares it cannot take, ``{path: reason}`` (its ``DEPLOY_LIMITS``).

    Example:
        >>> import torch
        >>> from triptych.deploy import deploy_limits
        >>> class NoOnnx(torch.nn.Identity):
        ...     DEPLOY_LIMITS = {"onnx": "uses an op onnxscript has no translation for"}
        >>> deploy_limits(NoOnnx())
        {'onnx': 'uses an op onnxscript has no translation for'}
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    limits = dict(getattr(model, "DEPLOY_LIMITS", None) or {})
    unknown = set(limits) - set(DEPLOY_PATHS)
    if unknown:
        raise ValueError(f"{type(model).__name__}.DEPLOY_LIMITS names unknown paths "
                         f"{sorted(unknown)}; the paths are {DEPLOY_PATHS}")
    return limits


def _check_path(model: nn.Module, path: str) -> None:
    reason = deploy_limits(model).get(path)
    if reason:
        raise DeployUnsupported(f"{type(model).__name__} cannot take the {path!r} deploy path: "
                                f"{reason}")


def _as_inputs(example_inputs: Any) -> tuple:
    if isinstance(example_inputs, torch.Tensor):
        return (example_inputs,)
    if not isinstance(example_inputs, (tuple, list)) or not example_inputs:
        raise TypeError("example_inputs must be a tensor or a non-empty tuple of the model's "
                        f"positional inputs, got {type(example_inputs).__name__}")
    return tuple(example_inputs)


def example_inputs(model: nn.Module, *, batch_size: int = 2,
                   generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
    """A small random batch that ``model``'s forward takes, for compile / export / ONNX checks.

    A model that defines ``example_inputs(batch_size=...)`` (audio and text models do: their
    inputs cannot be guessed) gives its own. Otherwise the model is taken for an image model:
    ``(batch_size, 3, S, S)`` floats with ``S = model.image_size`` when it has one, else 32.

    Example:
        >>> from triptych.deploy import example_inputs
        >>> from triptych.models import get_model
        >>> example_inputs(get_model("small_cnn"))[0].shape
        torch.Size([2, 3, 32, 32])
    """
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    own = getattr(model, "example_inputs", None)
    if callable(own):
        import inspect

        takes_generator = "generator" in inspect.signature(own).parameters
        return _as_inputs(own(batch_size=batch_size, **(
            {"generator": generator} if takes_generator else {})))
    size = int(getattr(model, "image_size", 32))
    return (torch.rand(batch_size, 3, size, size, generator=generator),)


def compile_model(model: nn.Module, **options: Any) -> nn.Module:
    """``torch.compile(model, **options)``, after checking the model's ``DEPLOY_LIMITS``.

    Compilation happens on the first call; that call raises if the model cannot be compiled.
    """
    _check_path(model, "compile")
    return torch.compile(model, **options)


def export(model: nn.Module, example_inputs: Any, *, dynamic_batch: bool = False,
           strict: bool = False) -> torch.export.ExportedProgram:
    """``torch.export.export`` of ``model`` (put in eval mode) on ``example_inputs``.

    Args:
        model: the module to export.
        example_inputs: a tensor or a tuple of the forward's positional inputs.
        dynamic_batch: make dimension 0 of every input dynamic (the batch), so the program
            serves any batch size; needs a batch of at least 2 in ``example_inputs``.
        strict: ``torch.export``'s strict (TorchDynamo-traced) mode.

    Returns:
        the ``ExportedProgram``; ``.module()`` runs it, ``torch.export.save`` writes it.
    """
    _check_path(model, "export")
    inputs = _as_inputs(example_inputs)
    dynamic_shapes = None
    if dynamic_batch:
        batch = torch.export.Dim("batch")
        dynamic_shapes = tuple({0: batch} for _ in inputs)
    return torch.export.export(model.eval(), inputs, dynamic_shapes=dynamic_shapes,
                               strict=strict)


def _need_onnx(*modules: str) -> None:
    import importlib.util

    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise ImportError(f"{', '.join(missing)} not installed: {_ONNX_EXTRA}")


def to_onnx(model: nn.Module, example_inputs: Any, path: str | os.PathLike, *,
            dynamic_batch: bool = False, opset_version: int | None = None) -> Path:
    """Export ``model`` (eval mode) to an ONNX file with the dynamo exporter
    (``torch.onnx.export(..., dynamo=True)``, which goes through ``torch.export``).

    Args:
        model: the module to export.
        example_inputs: a tensor or a tuple of the forward's positional inputs.
        path: the ``.onnx`` file to write. It is written to a temporary file beside it and
            renamed, so a failed export never leaves a half-written file.
        dynamic_batch: make dimension 0 of every input dynamic.
        opset_version: the ONNX opset; default: the exporter's.

    Returns:
        ``path`` as a :class:`~pathlib.Path`. The weights are embedded in the file.

    Raises:
        ImportError: onnx / onnxscript missing (the ``deploy`` extra).
        DeployUnsupported: the model declares it cannot be exported to ONNX.
    """
    _check_path(model, "onnx")
    _need_onnx("onnx", "onnxscript")
    path = Path(path)
    if path.suffix != ".onnx":
        raise ValueError(f"path must end in .onnx, got {str(path)!r}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"path: folder {str(path.parent)!r} does not exist")
    inputs = _as_inputs(example_inputs)
    dynamic_shapes = None
    if dynamic_batch:
        batch = torch.export.Dim("batch")
        dynamic_shapes = tuple({0: batch} for _ in inputs)
    kwargs = {} if opset_version is None else {"opset_version": opset_version}
    # The exporter logs and warns about its own internals (torchvision ops it skips when
    # torchvision is absent, deprecated pytree helpers): nothing about the model.
    registration = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = registration.level
    registration.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            program = torch.onnx.export(model.eval(), inputs, dynamo=True, verbose=False,
                                        dynamic_shapes=dynamic_shapes, **kwargs)
    finally:
        registration.setLevel(level)
    fd, tmp = tempfile.mkstemp(suffix=".onnx.tmp", dir=path.parent)
    os.close(fd)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; an export is a normal file
        program.save(tmp, external_data=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _flat_outputs(outputs: Any) -> list[torch.Tensor]:
    flat, _ = torch.utils._pytree.tree_flatten(outputs)
    return [t for t in flat if isinstance(t, torch.Tensor)]


def check_onnx(model: nn.Module, example_inputs: Any, path: str | os.PathLike, *,
               rtol: float = ONNX_RTOL, atol: float = ONNX_ATOL) -> float:
    """Run the ONNX file at ``path`` in onnxruntime (CPU) on ``example_inputs`` and compare every
    output with ``model``'s (eval mode) element-wise: ``|ort - torch| <= atol + rtol * |torch|``.

    Returns:
        the largest absolute difference over all outputs.

    Raises:
        ImportError: onnxruntime missing (the ``deploy`` extra).
        AssertionError: an output differs beyond the tolerance, or the outputs' number or
            shapes differ (the message gives the largest difference and where).
    """
    _need_onnx("onnxruntime")
    import onnxruntime

    inputs = _as_inputs(example_inputs)
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(str(path), options,
                                           providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    if len(names) != len(inputs):
        raise ValueError(f"the ONNX graph takes {len(names)} inputs {names}, "
                         f"example_inputs has {len(inputs)}")
    feed = {n: t.detach().cpu().numpy() for n, t in zip(names, inputs)}
    got = session.run(None, feed)
    with torch.no_grad():
        want = _flat_outputs(model.eval()(*inputs))
    if len(got) != len(want):
        raise AssertionError(f"onnxruntime gave {len(got)} outputs, the model {len(want)}")
    worst = 0.0
    for i, (g, w) in enumerate(zip(got, want)):
        g = torch.from_numpy(g)
        w = w.detach().cpu()
        if g.shape != w.shape:
            raise AssertionError(f"output {i}: onnxruntime shape {tuple(g.shape)}, "
                                 f"model {tuple(w.shape)}")
        if w.is_floating_point():
            diff = (g.to(w.dtype) - w).abs()
            worst = max(worst, float(diff.max()) if diff.numel() else 0.0)
            bad = diff > atol + rtol * w.abs()
            if bool(bad.any()):
                raise AssertionError(f"output {i}: onnxruntime differs from PyTorch by up to "
                                     f"{float(diff.max()):.3g} ({int(bad.sum())} of {w.numel()} "
                                     f"elements beyond atol={atol}, rtol={rtol})")
        elif not torch.equal(g.to(w.dtype), w):
            raise AssertionError(f"output {i}: onnxruntime's {w.dtype} values differ")
    return worst


_INT8_TYPES = (nn.Linear, nn.LSTM, nn.GRU)


def quantize_int8(model: nn.Module, *, inplace: bool = False,
                  modules: Sequence[type[nn.Module]] = _INT8_TYPES) -> nn.Module:
    """Dynamic int8 quantization (CPU): every ``nn.Linear`` / ``nn.LSTM`` / ``nn.GRU`` gets int8
    weights (per tensor) and quantizes its activations per batch at run time; everything else
    (convolutions, norms, embeddings) stays float32.

    This is ``torch.ao.quantization.quantize_dynamic`` with the fbgemm/x86 kernels: it still
    works on torch 2.13 (torch marks the namespace deprecated; the warning is silenced here)
    and, unlike torchao's ``Int8DynamicActivationInt8WeightConfig``, covers LSTM/GRU and runs
    fast in eager mode on a CPU (docs/deployment.md has the comparison).

    Args:
        model: a float32 module; it is put in eval mode.
        inplace: quantize ``model`` itself instead of a deep copy.
        modules: the layer types to quantize.

    Returns:
        the quantized module (CPU only; not trainable). A bare ``nn.Linear`` / ``nn.LSTM`` /
        ``nn.GRU`` comes back as its quantized counterpart, a new object even with ``inplace``.

    Raises:
        DeployUnsupported: the model declares it cannot take the int8 path.
        ValueError: the model has none of ``modules`` (nothing would be quantized).

    Example:
        >>> import torch
        >>> import triptych
        >>> lstm = torch.nn.LSTM(8, 16, batch_first=True).eval()
        >>> int8 = triptych.quantize_int8(lstm)
        >>> int8._get_name()
        'DynamicQuantizedLSTM'
        >>> int8(torch.randn(2, 5, 8))[0].shape
        torch.Size([2, 5, 16])
    """
    _check_path(model, "int8")
    modules = tuple(modules)
    if not modules or not all(isinstance(m, type) and issubclass(m, nn.Module) for m in modules):
        raise ValueError(f"modules must be nn.Module subclasses, got {modules!r}")
    if not any(isinstance(m, modules) for m in model.modules()):
        raise ValueError(f"{type(model).__name__} has no {'/'.join(m.__name__ for m in modules)} "
                         "layer: dynamic int8 would change nothing")
    if any(p.device.type != "cpu" for p in model.parameters()):
        raise ValueError("quantize_int8: dynamic int8 runs on the CPU; move the model with "
                         ".cpu() first")
    try:
        from torch.ao.quantization import quantize_dynamic
    except ImportError as exc:  # a future torch without torch.ao.quantization
        raise RuntimeError("quantize_int8 needs torch.ao.quantization.quantize_dynamic, which "
                           f"this torch {torch.__version__} lacks") from exc
    target = model if inplace else copy.deepcopy(model)
    target.eval()
    engine = torch.backends.quantized.engine
    if engine == "none":
        supported = torch.backends.quantized.supported_engines
        torch.backends.quantized.engine = "x86" if "x86" in supported else supported[0]
    # quantize_dynamic swaps children only: a bare Linear/LSTM is quantized inside a wrapper.
    bare = isinstance(target, modules)
    root = nn.Sequential(target) if bare else target
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*torch\.ao\.quantization is deprecated")
        warnings.filterwarnings("ignore", category=UserWarning,
                                message=r".*quantize_per_tensor.*")
        quantized = quantize_dynamic(root, set(modules), dtype=torch.qint8, inplace=True)
    return quantized[0] if bare else quantized
