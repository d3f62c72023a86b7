"""The one loader for triptych's compiled ops.

Every op follows the same pattern (see ``docs/adding-an-op.md``):

* its schema is declared in C++ (``core/csrc/<domain>/<op>.cpp``) and repeated in its
  :class:`OpDef`, where a test checks the two agree;
* :func:`define_op` is called once per op, from the Python module that owns it;
* if ``triptych._C`` loaded and holds the op, the fake kernel and autograd formula are
  registered on the compiled op;
* otherwise the pure-torch reference is registered under the same name, so callers never
  branch and ``import triptych`` never fails;
* its sample and error inputs feed the one conformance test every op gets
  (``tests/test_op_conformance.py``).

``TRIPTYCH_NO_EXT=1`` forces the fallback.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import torch

NAMESPACE = "triptych"


@dataclass(frozen=True)
class SampleInput:
    """One call of an op for the conformance test: ``op(*args, **kwargs)``.

    Attributes:
        args, kwargs: the arguments, exactly as the op takes them (no wrapper conversions).
            Floating-point tensors with ``requires_grad`` are checked with ``gradcheck`` too
            (give those float64 and small).
        atol, rtol: how close the op's output must be to the reference's.
        opcheck_tests: the ``torch.library.opcheck`` tests to run (None: all of them); narrow
            it only where torch itself cannot run one, and say why where the sample is made.
    """

    args: tuple
    kwargs: dict = field(default_factory=dict)
    atol: float = 1e-5
    rtol: float = 1e-5
    opcheck_tests: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ErrorInput:
    """A bad call of an op: the compiled kernel must raise a RuntimeError matching ``match``
    (a regular expression) — never crash, never return."""

    args: tuple
    kwargs: dict = field(default_factory=dict)
    match: str = ""


@dataclass(frozen=True)
class OpDef:
    """Everything Python knows about one op.

    Attributes:
        name: op name inside the ``triptych`` namespace.
        schema: the schema string, identical to the one declared in C++.
        reference: the pure-torch implementation (fallback and test oracle).
        fake: shape/dtype propagation for the compiled op (``register_fake``).
        backward / setup_context: autograd formula for the compiled op, if differentiable.
        sample_inputs: ``sample_inputs(device, generator)`` yields fresh random
            :class:`SampleInput` s on ``device``, drawn from ``generator`` only (the test
            redraws the same samples in a subprocess from the same seed).
        error_inputs: ``error_inputs(device)`` yields :class:`ErrorInput` s.
    """

    name: str
    schema: str
    reference: Callable
    fake: Callable
    backward: Callable | None = None
    setup_context: Callable | None = None
    sample_inputs: Callable[[torch.device, torch.Generator], Iterable[SampleInput]] | None = None
    error_inputs: Callable[[torch.device], Iterable[ErrorInput]] | None = None


@dataclass
class OpStatus:
    name: str
    compiled_cpu: bool
    compiled_cuda: bool

    @property
    def fell_back(self) -> bool:
        return not self.compiled_cpu


def _load_extension() -> str | None:
    """Import ``triptych._C``; return why it is unavailable, or None if it loaded."""
    if os.environ.get("TRIPTYCH_NO_EXT", "0") not in ("", "0"):
        return "disabled by TRIPTYCH_NO_EXT"
    try:
        importlib.import_module("triptych._C")
    except (ImportError, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


EXTENSION_ERROR: str | None = _load_extension()

# An error raised inside a compiled kernel becomes a Python RuntimeError on torch 2.13 (checked);
# on torch 2.11 (checked) the stable-ABI boundary lets the C++ exception through and the
# process aborts. The public wrappers therefore validate every argument before calling an op;
# only a direct ``torch.ops.triptych.*`` call with bad arguments can reach a kernel check.
KERNEL_ERRORS_RAISE: bool = tuple(int(v) for v in torch.__version__.split("+")[0].split(".")[:2]) >= (2, 13)
_STATUS: dict[str, OpStatus] = {}
_DEFINITIONS: dict[str, OpDef] = {}
_FALLBACK_LIBRARY: torch.library.Library | None = None


def _has_kernel(qualname: str, dispatch_key: str) -> bool:
    if not torch._C._dispatch_has_kernel(qualname):  # the op does not exist at all
        return False
    return torch._C._dispatch_has_kernel_for_dispatch_key(qualname, dispatch_key)


def _compiled_op_exists(name: str) -> bool:
    return EXTENSION_ERROR is None and _has_kernel(f"{NAMESPACE}::{name}", "CPU")


def define_op(op: OpDef) -> torch._ops.OpOverload:
    """Make ``torch.ops.triptych.<op.name>`` usable and return its default overload.

    Safe to call more than once for the same op (a module re-import returns the same op).
    """
    global _FALLBACK_LIBRARY
    qualname = f"{NAMESPACE}::{op.name}"
    if op.name in _STATUS:
        return getattr(torch.ops.triptych, op.name).default
    _DEFINITIONS[op.name] = op
    if _compiled_op_exists(op.name):
        torch.library.register_fake(qualname, op.fake)
        if op.backward is not None:
            torch.library.register_autograd(qualname, op.backward, setup_context=op.setup_context)
        _STATUS[op.name] = OpStatus(op.name, True, _has_kernel(qualname, "CUDA"))
    else:
        if _FALLBACK_LIBRARY is None:
            _FALLBACK_LIBRARY = torch.library.Library(NAMESPACE, "FRAGMENT")
        _FALLBACK_LIBRARY.define(op.schema)
        # CompositeImplicitAutograd: autograd, fake tensors and torch.compile all trace
        # straight through the reference, on every device.
        _FALLBACK_LIBRARY.impl(op.name, op.reference, "CompositeImplicitAutograd")
        _STATUS[op.name] = OpStatus(op.name, False, False)
    return getattr(torch.ops.triptych, op.name).default


def definition(name: str) -> OpDef:
    """The :class:`OpDef` an op was defined with (its schema, reference, fake kernel, ...)."""
    return _DEFINITIONS[name]


def definitions() -> dict[str, OpDef]:
    """Every :class:`OpDef` defined so far, by name (import a domain's ``ops`` module to define its ops;
    :func:`triptych.info.collect` imports them all)."""
    return dict(_DEFINITIONS)


def op_status() -> list[OpStatus]:
    """Status of every op defined so far, sorted by name."""
    return [_STATUS[name] for name in sorted(_STATUS)]
