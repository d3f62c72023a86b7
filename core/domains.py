"""The domains of triptych and what each needs, in one place (no torch import).

``DOMAINS`` is the one list of domain names (the catalog, the CLI and ``triptych info`` use it);
:func:`domain_status` says how far a domain is usable here without importing it.

Example:
    >>> DOMAINS
    ('vision', 'audio', 'text')
    >>> domain_status("vision") in ("ok", "kernels only", "not installed", "empty (not built yet)")
    True
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

DOMAINS = ("vision", "audio", "text")

# The optional dependency (and pip extra) each domain's io and transforms need.
EXTRA_MODULES = {"vision": "PIL", "audio": "soundfile", "text": "sentencepiece"}

# What makes a domain more than an empty package (datasets/ alone only holds catalog entries).
_CONTENT = ("io", "ops", "transforms", "models", "functional", "tensors")


def _has(folder: Path, name: str) -> bool:
    return (folder / f"{name}.py").is_file() or (folder / name / "__init__.py").is_file()


def domain_status(domain: str) -> str:
    """``"ok"``, ``"kernels only"`` (its extra is missing; its compiled ops still work),
    ``"not installed"`` (its extra is missing) or ``"empty (not built yet)"``.

    Looks at files and installed packages only: imports neither the domain nor torch.
    """
    if domain not in DOMAINS:
        raise ValueError(f"domain must be one of {DOMAINS}, got {domain!r}")
    spec = importlib.util.find_spec(f"triptych.{domain}")
    if spec is None or not spec.submodule_search_locations:
        return "not installed"
    return _status(Path(next(iter(spec.submodule_search_locations))), EXTRA_MODULES[domain])


def _status(folder: Path, extra_module: str) -> str:
    if not any(_has(folder, name) for name in _CONTENT):
        return "empty (not built yet)"
    if importlib.util.find_spec(extra_module) is None:
        return "kernels only" if _has(folder, "ops") else "not installed"
    return "ok"


def missing_extra(domain: str) -> str:
    """What to install for the whole of ``domain``, e.g. ``pip install 'triptych[audio]'``."""
    return f"{EXTRA_MODULES[domain]} is missing: pip install 'triptych[{domain}]'"
