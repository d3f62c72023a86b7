"""``python -m triptych info``: what is installed, compiled and in use."""

from __future__ import annotations

import importlib
import importlib.util
import json
import platform
import sys

import torch

from . import __version__, library
from .device import default_device

DOMAINS = ("vision", "audio", "text")


def collect() -> dict:
    """Versions, compiled ops, fallbacks and the default device, as a dict."""
    domains = {}
    for domain in DOMAINS:
        # Importing a domain's ``ops`` module defines its ops, so every op shows up below.
        try:
            importlib.import_module(f"triptych.{domain}")
        except ImportError as exc:
            domains[domain] = f"unavailable ({exc})"
            continue
        if importlib.util.find_spec(f"triptych.{domain}.ops") is not None:
            importlib.import_module(f"triptych.{domain}.ops")
        domains[domain] = "ok"
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
        "default_device": str(default_device()),
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
    args = sys.argv[1:] if argv is None else argv
    info = collect()
    print(json.dumps(info, indent=2) if "--json" in args else format_info(info))
    return 0
