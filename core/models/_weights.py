"""Weights records, the per-model weights enums, and how a ``weights=`` argument is read.

Nothing here imports torch at import time: the ``triptych`` command lists weights without it.
"""

from __future__ import annotations

import difflib
import enum
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

_HEX = re.compile(r"^[0-9a-f]+$")
_MIN_PREFIX = 8  # torchvision publishes the first 8 hex digits of the sha256 in its file names


@dataclass(frozen=True, eq=False)
class Weights:
    """One checkpoint: where it is, how to check it, how to prepare inputs for it, what it knows.

    Args:
        urls: one URL or an ordered list (primary, then mirrors) of the same file; ``http``,
            ``https`` or ``file``.
        sha256: the file's sha256 in hex: all 64 digits, or, with ``sha256_is_prefix=True``,
            the leading digits a publisher gives (at least 8), e.g. torchvision's
            ``resnet18-f37072fd.pth``.
        sha256_is_prefix: ``sha256`` is only a published prefix, not the whole hash.
        size: the file's size in bytes, if known.
        transforms: a callable returning the inference preprocessing (called as
            ``weights.transforms()``, as in torchvision), or None.
        meta: what the weights know: ``categories``, ``sample_rate``, ``labels``, ``metrics``
            (per dataset), ``license``, ``num_params``, ``recipe``, ...
        filename: the cached file's name; default: the last part of the first URL.

    Example:
        >>> w = Weights("https://example.org/tiny-0123abcd.pth", sha256="0123abcd",
        ...             sha256_is_prefix=True, meta={"categories": ["a", "b"]})
        >>> w.filename, w.meta["categories"]
        ('tiny-0123abcd.pth', ['a', 'b'])
    """

    urls: str | Sequence[str]
    sha256: str
    sha256_is_prefix: bool = False
    size: int | None = None
    transforms: Callable[..., Any] | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    filename: str | None = None

    def __post_init__(self):
        urls = (self.urls,) if isinstance(self.urls, str) else tuple(self.urls)
        if not urls:
            raise ValueError("Weights needs at least one URL")
        for url in urls:
            if urlsplit(url).scheme.lower() not in ("http", "https", "file"):
                raise ValueError(f"Weights: unsupported URL {url!r}: use http, https or file")
        digest = self.sha256.strip().lower() if isinstance(self.sha256, str) else ""
        if not _HEX.match(digest) or len(digest) > 64:
            raise ValueError(f"Weights: sha256 must be hex digits, got {self.sha256!r}")
        if self.sha256_is_prefix and len(digest) < _MIN_PREFIX:
            raise ValueError(f"Weights: a sha256 prefix needs at least {_MIN_PREFIX} hex digits, "
                             f"got {self.sha256!r}")
        if not self.sha256_is_prefix and len(digest) != 64:
            raise ValueError(f"Weights: sha256 must be 64 hex digits (pass sha256_is_prefix=True "
                             f"if only a published prefix is known), got {self.sha256!r}")
        if self.size is not None and self.size < 0:
            raise ValueError(f"Weights: size must be >= 0, got {self.size}")
        name = self.filename or urlsplit(urls[0]).path.rstrip("/").rsplit("/", 1)[-1]
        if not name:
            raise ValueError(f"Weights: cannot take a file name from {urls[0]!r}; pass filename=")
        object.__setattr__(self, "urls", urls)
        object.__setattr__(self, "sha256", digest)
        object.__setattr__(self, "filename", name)
        object.__setattr__(self, "meta", dict(self.meta))

    @property
    def url(self) -> str:
        """The primary URL."""
        return self.urls[0]


class WeightsEnum(enum.Enum):
    """Base of the per-model weights enums (``ResNet18_Weights``); each member is a :class:`Weights`.

    A subclass lists its checkpoints as members and names one ``DEFAULT``::

        class Tiny_Weights(WeightsEnum):
            V1 = Weights(...)
            DEFAULT = V1

    ``Tiny_Weights.DEFAULT is Tiny_Weights.V1``; ``repr`` gives ``Tiny_Weights.V1``.
    """

    @classmethod
    def verify(cls, weights: Any) -> WeightsEnum | LocalWeights | None:
        """Read a builder's ``weights=`` argument.

        Accepts None, a member of this enum, its name (``"IMAGENET1K_V1"``, ``"DEFAULT"``,
        ``"ResNet18_Weights.DEFAULT"``), or a local checkpoint: a path or a ``file://`` URL.
        Anything else is a clear error naming the choices.
        """
        return resolve_weights(weights, cls)

    @property
    def url(self) -> str:
        return self.value.url

    @property
    def urls(self) -> tuple[str, ...]:
        return self.value.urls

    @property
    def sha256(self) -> str:
        return self.value.sha256

    @property
    def sha256_is_prefix(self) -> bool:
        return self.value.sha256_is_prefix

    @property
    def size(self) -> int | None:
        return self.value.size

    @property
    def filename(self) -> str:
        return self.value.filename

    @property
    def transforms(self) -> Callable[..., Any] | None:
        return self.value.transforms

    @property
    def meta(self) -> dict[str, Any]:
        return self.value.meta

    @property
    def full_name(self) -> str:
        """``"ResNet18_Weights.IMAGENET1K_V1"``: what :func:`triptych.models.get_weight` takes."""
        return f"{type(self).__name__}.{self.name}"

    def local_path(self, root: str | os.PathLike | None = None) -> Path:
        """Where the file is cached: ``root`` (default ``$TRIPTYCH_HOME/weights``) / filename."""
        from ._hub import weights_root

        return weights_root(root) / self.filename

    def download(self, *, progress: bool = True, root: str | os.PathLike | None = None) -> Path:
        """Fetch (once) and verify the file; return its path. See :func:`triptych.models.download_weights`."""
        from ._hub import download_weights

        return download_weights(self, progress=progress, root=root)

    def get_state_dict(self, *, progress: bool = True, root: str | os.PathLike | None = None):
        """Download if needed, verify, and load the checkpoint as a ``{name: tensor}`` dict."""
        from ._hub import load_state_dict_file

        return load_state_dict_file(self.download(progress=progress, root=root))

    def __repr__(self) -> str:
        return self.full_name


@dataclass(frozen=True)
class LocalWeights:
    """A checkpoint file given by path (``weights="ckpt.pth"`` or ``"file:///.../ckpt.pth"``).

    No hash is known for it: it is loaded as it is, without any network access.
    """

    path: Path
    transforms: None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    def download(self, *, progress: bool = True, root: str | os.PathLike | None = None) -> Path:
        return self.path

    def get_state_dict(self, *, progress: bool = True, root: str | os.PathLike | None = None):
        from ._hub import load_state_dict_file

        return load_state_dict_file(self.path)

    @property
    def full_name(self) -> str:
        return str(self.path)

    def __str__(self) -> str:
        return str(self.path)


def _local_path(text: str) -> Path | None:
    """The path a ``file://`` URL or a plain path string names; None for other URLs."""
    parts = urlsplit(text)
    if parts.scheme.lower() == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"weights={text!r}: only local file:// URLs are supported")
        return Path(url2pathname(parts.path))
    if parts.scheme.lower() in ("http", "https"):
        return None
    return Path(text).expanduser()


def resolve_weights(weights: Any, enum_cls: type[WeightsEnum] | None) -> Any:
    """The meaning of ``weights=`` for a model whose weights enum is ``enum_cls`` (or None)."""
    if weights is None:
        return None
    if isinstance(weights, WeightsEnum):
        if enum_cls is not None and isinstance(weights, enum_cls):
            return weights
        expected = enum_cls.__name__ if enum_cls is not None else "no weights enum"
        raise ValueError(f"weights={weights!r} belong to another model; this model takes "
                         f"{expected} (or a local path / file:// URL)")
    if isinstance(weights, LocalWeights):
        return weights
    if isinstance(weights, os.PathLike):
        weights = os.fspath(weights)
    if not isinstance(weights, str):
        raise TypeError(f"weights must be None, a weights enum member, its name, a path or a "
                        f"file:// URL, got {type(weights).__name__}")
    tags = [] if enum_cls is None else list(enum_cls.__members__)
    tag = weights
    if enum_cls is not None and weights.startswith(f"{enum_cls.__name__}."):
        tag = weights[len(enum_cls.__name__) + 1:]
    if tag in tags:
        return enum_cls[tag]
    path = _local_path(weights)
    if path is not None and path.is_file():
        return LocalWeights(path)
    if path is None:
        raise ValueError(f"weights={weights!r}: a bare URL carries no sha256 to verify; register "
                         "a Weights entry for it, or download the file and pass its path")
    looks_like_name = re.fullmatch(r"\w+_Weights\.\w+", weights) is not None
    if not looks_like_name and (weights.startswith("file:") or os.sep in weights or path.suffix):
        raise FileNotFoundError(f"weights={weights!r}: no such file {str(path)!r}")
    close = difflib.get_close_matches(tag, tags, n=3)
    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
    choices = (f"one of {', '.join(tags)}, a local path or a file:// URL" if tags else
               "a local path or a file:// URL (this model has no named weights)")
    raise ValueError(f"unknown weights {weights!r} for this model{hint}: pass {choices}")
