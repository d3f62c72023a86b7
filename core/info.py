"""``triptych info``: what is installed, compiled and in use.

Each domain is reported as ``ok``, ``kernels only`` (its optional dependency is missing: the
compiled ops work, io and transforms do not), ``not installed`` or ``empty (not built yet)``.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import platform
import sys
import warnings

from .domains import DOMAINS, domain_status, missing_extra


def add_parser(subparsers) -> None:
    """Register ``triptych info`` (see :mod:`triptych.cli`)."""
    p = subparsers.add_parser("info", help="versions, compiled ops, domains and the default device",
                              description="Versions, compiled ops, domains and the default "
                                          "device (the same as `python -m triptych info`).")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=lambda args: main(["--json"] if args.json else []))


def _domains() -> dict[str, str]:
    report = {}
    for domain in DOMAINS:
        status = domain_status(domain)
        if status in ("ok", "kernels only"):
            # Importing a domain's ``ops`` module defines its ops, so every op shows up (a domain
            # may have none: text's compiled tokenizers are not torch ops).
            try:
                if importlib.util.find_spec(f"triptych.{domain}.ops") is not None:
                    importlib.import_module(f"triptych.{domain}.ops")
            except ImportError as exc:
                status = f"broken ({exc})"
        if status in ("kernels only", "not installed"):
            status = f"{status} ({missing_extra(domain)})"
        report[domain] = status
    return report


def _default_device() -> tuple[str, str | None]:
    """The default device as text, and an error when ``TRIPTYCH_DEVICE`` is unusable."""
    from .device import default_device, device_unavailable

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # said below, in the report
            device = default_device()
    except ValueError as exc:
        return f"error: {exc}", str(exc)
    problem = device_unavailable(device)
    if problem:
        return f"{device} (set by TRIPTYCH_DEVICE, but {problem})", None
    return str(device), None


def collect() -> dict:
    """Versions, compiled ops, fallbacks, domains and the default device, as a dict."""
    import torch

    from . import __version__, library

    domains = _domains()
    ops = library.op_status()
    return {
        "triptych": __version__,
        "torch": torch.__version__,
        "torch_cuda": torch.version.cuda,
        "python": platform.python_version(),
        "extension": "loaded" if library.EXTENSION_ERROR is None else f"not loaded ({library.EXTENSION_ERROR})",
        "compiled_cpu": [s.name for s in ops if s.compiled_cpu],
        "compiled_cuda": [s.name for s in ops if s.compiled_cuda],
        "fallback": [s.name for s in ops if s.fell_back],
        "domains": domains,
        "jpeg_decoder": _jpeg_decoder(),
        "default_device": _default_device()[0],
    }


def _jpeg_decoder() -> str:
    """What reads JPEGs: the libjpeg-turbo decoder in ``_C`` (``TRIPTYCH_JPEG``) or Pillow."""
    try:
        return importlib.import_module("triptych.vision.io").jpeg_decoder()
    except ImportError as exc:
        return f"unavailable ({exc})"


def format_info(info: dict) -> str:
    """The dict from :func:`collect` as aligned text."""

    def show(value):
        if isinstance(value, list):
            return ", ".join(value) if value else "(none)"
        if isinstance(value, dict):
            return "; ".join(f"{k}: {v}" for k, v in value.items()) or "(none)"
        return str(value)

    width = max(map(len, info))
    return "\n".join(f"{key:<{width}}  {show(value)}" for key, value in info.items())


def main(argv: list[str] | None = None) -> int:
    """Print the report (``--json``: as JSON); exit code 1 when ``TRIPTYCH_DEVICE`` is unusable."""
    args = sys.argv[1:] if argv is None else argv
    info = collect()
    print(json.dumps(info, indent=2) if "--json" in args else format_info(info))
    error = _default_device()[1]
    if error:
        print(f"triptych info: error: {error}", file=sys.stderr)
        return 1
    return 0
