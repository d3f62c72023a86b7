"""The one registry used for models, datasets and weights.

Registration is explicit (a decorator or a call); nothing scans modules or edits ``__all__``.

Example:
    >>> from triptych.registry import Registry
    >>> losses = Registry("loss")
    >>> @losses.register("l1")
    ... def l1(a, b):
    ...     return (a - b).abs().mean()
    >>> losses.names()
    ['l1']
    >>> losses.get("l1") is l1
    True
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Iterator
from typing import Any


class Registry:
    """A name -> object table with glob listing and helpful errors."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, Any] = {}

    def register(self, name: str | None = None, obj: Any = None) -> Any:
        """Register ``obj`` under ``name``; without ``obj``, return a decorator.

        The name defaults to the object's ``__name__``. Registering a name twice is an error.
        """
        if obj is None:
            return lambda target: self.register(name, target)
        key = name or getattr(obj, "__name__", None)
        if not key:
            raise ValueError(f"a {self.kind} needs a name")
        if key in self._items:
            raise ValueError(f"{self.kind} {key!r} is already registered")
        self._items[key] = obj
        return obj

    def get(self, name: str) -> Any:
        """The object registered as ``name``; KeyError with the nearest names otherwise."""
        try:
            return self._items[name]
        except KeyError:
            close = difflib.get_close_matches(name, self._items, n=3)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise KeyError(f"unknown {self.kind} {name!r}{hint}") from None

    def names(self, pattern: str = "*") -> list[str]:
        """Sorted names matching a glob ``pattern`` (case-insensitive), e.g. ``"*res*"``."""
        pattern = pattern.lower()
        return sorted(n for n in self._items if fnmatch.fnmatchcase(n.lower(), pattern))

    def unregister(self, name: str) -> None:
        """Remove ``name`` (for tests and plugins that replace an entry on purpose)."""
        self._items.pop(name)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))

    def __len__(self) -> int:
        return len(self._items)


MODELS = Registry("model")
DATASETS = Registry("dataset")
WEIGHTS = Registry("weights")
