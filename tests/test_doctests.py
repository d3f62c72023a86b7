"""Run the examples in the docstrings of every importable triptych module."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import triptych


def all_modules() -> list[str]:
    names = ["triptych"]
    for info in pkgutil.walk_packages(triptych.__path__, "triptych."):
        if info.name.endswith(("__main__", "._C")):
            continue
        names.append(info.name)
    for domain in ("vision", "audio", "text", "datasets"):
        try:
            package = importlib.import_module(f"triptych.{domain}")
        except ImportError:
            continue
        names += [i.name for i in pkgutil.walk_packages(package.__path__, f"triptych.{domain}.")]
    return sorted(set(names))


@pytest.mark.parametrize("name", all_modules())
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
