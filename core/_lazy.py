"""PEP 562 lazy attributes for triptych's packages: names resolve on first use, so importing a
package (as the catalog and the CLI do) does not import torch or a domain's dependencies."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_attributes(package: str, targets: Mapping[str, str | None]
                    ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` of ``package``.

    ``targets`` maps a public name to the submodule (relative to ``package``) that defines it,
    or to None when the name is itself a submodule.

    Example:
        >>> from triptych._lazy import lazy_attributes
        >>> getattr_, dir_ = lazy_attributes("triptych", {"paths": None})
        >>> getattr_("paths").__name__
        'triptych.paths'
    """
    def __getattr__(name: str) -> Any:
        if name in targets:
            where = targets[name]
            module = importlib.import_module(f"{package}.{where or name}")
            return module if where is None else getattr(module, name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(targets))

    return __getattr__, __dir__
