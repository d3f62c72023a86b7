"""The model registry: ``register_model``, ``get_model``, ``list_models``, ``get_weight``,
``get_model_weights`` (torchvision.models names and meanings).

Each domain registers its builders from its own ``models`` package; the functions here import
``triptych.<domain>.models`` on first use, so ``get_model("resnet18")`` works after a bare
``import triptych.models``.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from triptych.registry import MODELS, WEIGHTS

from ._weights import WeightsEnum


@dataclass(frozen=True)
class ModelEntry:
    """A registered builder, its domain and its weights enum (None: no pretrained weights)."""

    name: str
    builder: Callable[..., Any]
    domain: str | None
    weights: type[WeightsEnum] | None


_domain_errors: dict[str, str] = {}


def _domains() -> tuple[str, ...]:
    from triptych.domains import DOMAINS

    return DOMAINS


def _load_domains() -> None:
    """Import every installed domain's ``models`` package (each registers its builders)."""
    for domain in _domains():
        module = f"triptych.{domain}.models"
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name not in (module, f"triptych.{domain}"):
                _domain_errors[domain] = str(exc)
        except ImportError as exc:  # e.g. the domain's extra is not installed
            _domain_errors[domain] = str(exc)


def register_model(name: str | None = None, *, domain: str | None = None,
                   weights: type[WeightsEnum] | None = None) -> Callable:
    """Decorator registering a model builder, as ``@register_model("resnet18", weights=...)``.

    Args:
        name: the name for :func:`get_model`; default: the builder's ``__name__``.
        domain: ``"vision"``, ``"audio"`` or ``"text"``; default: taken from the builder's
            module (``triptych.vision.models.resnet`` -> ``"vision"``).
        weights: the builder's :class:`WeightsEnum` subclass, also registered for
            :func:`get_weight` under its class name.

    Registering a name twice is an error.
    """
    if weights is not None and not (isinstance(weights, type) and issubclass(weights, WeightsEnum)):
        raise TypeError(f"register_model: weights must be a WeightsEnum subclass, got {weights!r}")

    def decorate(builder: Callable) -> Callable:
        key = name or builder.__name__
        kind = domain
        if kind is None:
            parts = getattr(builder, "__module__", "").split(".")
            kind = parts[1] if len(parts) > 2 and parts[0] == "triptych" else None
        if kind is not None and kind not in _domains():
            raise ValueError(f"register_model({key!r}): domain must be one of {_domains()}, "
                             f"got {kind!r}")
        if (weights is not None and weights.__name__ in WEIGHTS
                and WEIGHTS.get(weights.__name__) is not weights):
            raise ValueError(f"a different weights enum {weights.__name__!r} is already registered")
        MODELS.register(key, ModelEntry(key, builder, kind, weights))
        if weights is not None and weights.__name__ not in WEIGHTS:
            WEIGHTS.register(weights.__name__, weights)
        return builder

    return decorate


def _entry(name: str) -> ModelEntry:
    if name not in MODELS:
        _load_domains()
    try:
        return MODELS.get(name)
    except KeyError as exc:
        unavailable = "".join(f"; {d} models unavailable: {why}" for d, why in _domain_errors.items())
        raise ValueError(f"{exc.args[0]}{unavailable} (see triptych.models.list_models())") from None


def get_model(name: str, *, weights: Any = None, **kwargs: Any) -> Any:
    """Build the model registered as ``name``; ``weights`` and ``kwargs`` go to its builder.

    ``weights`` may be a weights enum member, its name (``"DEFAULT"``, ``"IMAGENET1K_V1"``,
    ``"ResNet18_Weights.DEFAULT"``), a local path or a ``file://`` URL, or None (random init).

    Example:
        >>> import torch
        >>> from triptych.models import get_model
        >>> model = get_model("resnet18", num_classes=10).eval()
        >>> model(torch.zeros(1, 3, 32, 32)).shape
        torch.Size([1, 10])
    """
    return _entry(name).builder(weights=weights, **kwargs)


def list_models(pattern: str | None = None, *, domain: str | None = None,
                with_weights: bool = False) -> list[str]:
    """Sorted names of the registered models.

    Args:
        pattern: a case-insensitive glob (``"*res*"``); None: all.
        domain: only this domain's models (``"vision"``, ``"audio"``, ``"text"``).
        with_weights: only models that have pretrained weights.

    Example:
        >>> from triptych.models import list_models
        >>> "resnet18" in list_models("resnet*", domain="vision", with_weights=True)
        True
    """
    if domain is not None and domain not in _domains():
        raise ValueError(f"domain must be one of {_domains()}, got {domain!r}")
    _load_domains()
    names = MODELS.names(pattern or "*")
    entries = [MODELS.get(n) for n in names]
    return [e.name for e in entries
            if (domain is None or e.domain == domain) and (not with_weights or e.weights)]


def get_model_weights(name: str | Callable) -> type[WeightsEnum]:
    """The weights enum of a model, given its name or its builder.

    Example:
        >>> from triptych.models import get_model_weights
        >>> get_model_weights("resnet18").__name__
        'ResNet18_Weights'
    """
    if callable(name) and not isinstance(name, str):
        _load_domains()
        matches = [MODELS.get(n) for n in MODELS if MODELS.get(n).builder is name]
        if not matches:
            raise ValueError(f"{getattr(name, '__name__', name)!r} is not a registered builder")
        entry = matches[0]
    else:
        entry = _entry(name)
    if entry.weights is None:
        raise ValueError(f"model {entry.name!r} has no pretrained weights")
    return entry.weights


def get_weight(name: str) -> WeightsEnum:
    """The weights called ``"<Enum>.<TAG>"``, e.g. ``"ResNet18_Weights.IMAGENET1K_V1"``.

    Example:
        >>> from triptych.models import get_weight
        >>> get_weight("ResNet18_Weights.DEFAULT")
        ResNet18_Weights.IMAGENET1K_V1
    """
    if not isinstance(name, str) or "." not in name:
        raise ValueError(f"weights names look like 'ResNet18_Weights.DEFAULT', got {name!r}")
    enum_name, _, tag = name.rpartition(".")
    if enum_name not in WEIGHTS:
        _load_domains()
    try:
        enum_cls = WEIGHTS.get(enum_name)
    except KeyError as exc:
        raise ValueError(exc.args[0]) from None
    if tag not in enum_cls.__members__:
        close = difflib.get_close_matches(tag, list(enum_cls.__members__), n=3)
        hint = f"; did you mean {', '.join(f'{enum_name}.{c}' for c in close)}?" if close else ""
        raise ValueError(f"unknown weights {name!r}{hint} ({enum_name} has "
                         f"{', '.join(enum_cls.__members__)})")
    return enum_cls[tag]


def model_entry(name: str) -> ModelEntry:
    """The :class:`ModelEntry` of a registered model (its builder, domain and weights enum)."""
    return _entry(name)

