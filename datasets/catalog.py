"""The dataset catalog: every domain's datasets, described as data, in one registry.

A dataset is a :class:`DatasetInfo`: name, domain, description, homepage, license, and its files
(:class:`Resource`) per split. The catalog works with this metadata alone; a domain may later
attach its dataset class (:func:`register_dataset_class`). The records live in
``triptych.registry.DATASETS``.

Each domain registers its own entries, in ``triptych/<domain>/datasets/_catalog.py``; the
catalog imports those modules the first time it is asked about datasets (none of them needs
torch or a domain's optional dependency). Every entry there follows the same rules: each sha256
and size is copied from public material named beside the entry (TensorFlow Datasets'
``url_checksums``, Hugging Face ``dataset_infos.json``, the torch libraries' modules, Git LFS
pointers), and a file whose sha256 cannot be sourced is left out; URLs after the first are
mirrors serving the same bytes, each verified against that sha256 by
:func:`triptych.datasets.download`; a license is given only where the authors state one
(``None``: see the homepage).

On disk (the default root is ``triptych.paths.datasets_dir()``, i.e. ``$TRIPTYCH_HOME/datasets``)::

    <root>/<name>/<filename>              a verified download (+ a hidden .verified sidecar)
    <root>/<name>/<archive stem>/         its extracted members (+ .triptych-extracted marker)
    <root>/<name>/<file>                  a decompressed single .gz/.bz2/.xz file

``$TRIPTYCH_MIRROR`` has the same layout: ``$TRIPTYCH_MIRROR/<name>/<filename>``.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from triptych import paths
from triptych.domains import DOMAINS
from triptych.registry import DATASETS

from .download import (
    DownloadError,
    OfflineError,
    check_filename,
    check_sha256,
    download,
    is_verified,
)
from .extract import ExtractionError, archive_format
from .extract import extract as extract_archive

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar", ".zip",
                     ".gz", ".bz2", ".xz")


@dataclass(frozen=True)
class Resource:
    """One file of a dataset: where to get it and what it must hash to.

    Args:
        filename: name on disk (also its name under ``$TRIPTYCH_MIRROR/<dataset>/``).
        urls: the primary URL then mirrors (one string is accepted); every copy has the same bytes.
        sha256: 64 hex digits.
        size: bytes, if known.
        extract: whether :func:`download_dataset` unpacks it (archives only).
        max_size: for a file whose size is not published, a bound in bytes: a download that
            brings more is stopped (see :func:`triptych.datasets.download`).

    Example:
        >>> r = Resource("a.tar.gz", "https://example.org/a.tar.gz", "0" * 64, size=10)
        >>> r.urls
        ('https://example.org/a.tar.gz',)
    """

    filename: str
    urls: tuple[str, ...]
    sha256: str
    size: int | None = None
    extract: bool = True
    max_size: int | None = None

    def __post_init__(self):
        urls = (self.urls,) if isinstance(self.urls, str) else tuple(self.urls)
        if not urls or not all(isinstance(u, str) and "://" in u for u in urls):
            raise ValueError(f"Resource {self.filename!r} needs URLs, got {self.urls!r}")
        check_filename(self.filename)
        object.__setattr__(self, "urls", urls)
        object.__setattr__(self, "sha256", check_sha256(self.sha256))
        for option in ("size", "max_size"):
            value = getattr(self, option)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or value < 0):
                raise ValueError(f"Resource {self.filename!r}: {option} must be an int >= 0")

    @property
    def is_archive(self) -> bool:
        """Whether the name says it is an archive (the bytes decide when extracting)."""
        return self.filename.lower().endswith(_ARCHIVE_SUFFIXES)

    @property
    def extracted_name(self) -> str:
        """Name of what :func:`download_dataset` extracts it to: the name without its suffix."""
        lower = self.filename.lower()
        for suffix in _ARCHIVE_SUFFIXES:
            if lower.endswith(suffix):
                return self.filename[: -len(suffix)]
        return self.filename

    def to_dict(self) -> dict:
        return {"filename": self.filename, "urls": list(self.urls), "sha256": self.sha256,
                "size": self.size, "max_size": self.max_size, "extract": self.extract}


@dataclass(frozen=True)
class DatasetInfo:
    """A catalog entry. ``splits`` maps a split name to the files it needs."""

    name: str
    domain: str
    description: str
    splits: Mapping[str, tuple[Resource, ...]]
    homepage: str | None = None
    license: str | None = None
    default_splits: tuple[str, ...] | None = None
    dataset_class: Any = field(default=None, compare=False)

    def resources(self, splits: str | Sequence[str] | None = None) -> list[Resource]:
        """The files of ``splits`` (default: ``default_splits``, else all), each once.

        Raises KeyError for an unknown split.
        """
        names = self.select_splits(splits)
        seen: dict[str, Resource] = {}
        for split in names:
            for resource in self.splits[split]:
                seen.setdefault(resource.filename, resource)
        return list(seen.values())

    def select_splits(self, splits: str | Sequence[str] | None = None) -> list[str]:
        if splits is None:
            return list(self.default_splits or self.splits)
        names = [splits] if isinstance(splits, str) else list(splits)
        if names == ["all"] and "all" not in self.splits:
            return list(self.splits)
        unknown = [s for s in names if s not in self.splits]
        if unknown:
            raise KeyError(f"dataset {self.name!r} has no split {unknown[0]!r}; "
                           f"its splits: {', '.join(self.splits)}")
        return names

    @property
    def size(self) -> int | None:
        """Total bytes of all files, or None when a size is unknown."""
        sizes = [r.size for r in self.resources("all")]
        return None if any(s is None for s in sizes) else sum(sizes)

    def load_class(self) -> Any:
        """The dataset class, importing it when it was given as ``"module:Class"``; or None."""
        target = self.dataset_class
        if isinstance(target, str):
            module, _, attr = target.partition(":")
            obj = importlib.import_module(module)
            for part in attr.split("."):
                obj = getattr(obj, part)
            return obj
        return target

    def to_dict(self) -> dict:
        cls = self.dataset_class
        if cls is not None and not isinstance(cls, str):
            cls = f"{cls.__module__}:{cls.__qualname__}"
        return {
            "name": self.name, "domain": self.domain, "description": self.description,
            "homepage": self.homepage, "license": self.license, "size": self.size,
            "default_splits": list(self.default_splits) if self.default_splits else None,
            "dataset_class": cls,
            "splits": {s: [r.to_dict() for r in rs] for s, rs in self.splits.items()},
        }


_DOMAIN_CATALOGS = tuple(f"triptych.{domain}.datasets._catalog" for domain in DOMAINS)
_catalogs_loaded = False


def _load_domain_catalogs() -> None:
    """Import every domain's catalog module once (they call :func:`register_dataset`)."""
    global _catalogs_loaded
    if _catalogs_loaded:
        return
    _catalogs_loaded = True  # first: the modules' own register_dataset calls come back here
    for module in _DOMAIN_CATALOGS:
        importlib.import_module(module)


def register_dataset(
    name: str,
    *,
    domain: str,
    description: str,
    resources: Sequence[Resource] | Mapping[str, Sequence[Resource]],
    homepage: str | None = None,
    license: str | None = None,  # noqa: A002 - the field's natural name
    default_splits: Sequence[str] | None = None,
    dataset_class: Any = None,
) -> DatasetInfo:
    """Add a dataset to the catalog and return its record.

    Args:
        name: lower-case name used by the CLI, e.g. ``"cifar10"``.
        domain: ``"vision"``, ``"audio"`` or ``"text"``.
        description: one or two sentences.
        resources: the files, either a list (one split, ``"all"``) or ``{split: [Resource, ...]}``.
        homepage, license: where the dataset is described, and its terms (None: not stated).
        default_splits: what ``download_dataset`` fetches without ``splits=`` (default: all).
        dataset_class: the class that reads it, or ``"module:Class"`` (imported lazily).

    Example:
        >>> from triptych.registry import DATASETS
        >>> info = register_dataset("doc-example", domain="text", description="An example.",
        ...     resources=[Resource("a.txt", "https://example.org/a.txt", "0" * 64)])
        >>> info.splits["all"][0].filename
        'a.txt'
        >>> DATASETS.unregister("doc-example")
    """
    _load_domain_catalogs()  # a name taken by a domain's entry is refused, whatever the order
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"dataset name {name!r}: use lower-case letters, digits, '_', '-', '.'")
    if domain not in DOMAINS:
        raise ValueError(f"dataset {name!r}: domain must be one of {DOMAINS}, got {domain!r}")
    if isinstance(resources, Mapping):
        splits = {str(k): tuple(v) for k, v in resources.items()}
    else:
        splits = {"all": tuple(resources)}
    if not splits or not all(splits.values()):
        raise ValueError(f"dataset {name!r} needs at least one Resource per split")
    for split, items in splits.items():
        for item in items:
            if not isinstance(item, Resource):
                raise TypeError(f"dataset {name!r}, split {split!r}: expected Resource, "
                                f"got {type(item).__name__}")
    by_name: dict[str, Resource] = {}
    for item in (r for rs in splits.values() for r in rs):
        if by_name.setdefault(item.filename, item) != item:
            raise ValueError(f"dataset {name!r}: two different files named {item.filename!r}")
    if default_splits is not None:
        default_splits = tuple(default_splits)
        unknown = [s for s in default_splits if s not in splits]
        if unknown:
            raise ValueError(f"dataset {name!r}: default split {unknown[0]!r} is not a split")
    info = DatasetInfo(name, domain, description, MappingProxyType(splits), homepage, license,
                       default_splits, dataset_class)
    DATASETS.register(name, info)
    return info


def register_dataset_class(name: str, dataset_class: Any) -> DatasetInfo:
    """Attach the class that reads dataset ``name`` (a domain calls this for its datasets)."""
    info = dataclasses.replace(dataset_info(name), dataset_class=dataset_class)
    DATASETS.unregister(name)
    DATASETS.register(name, info)
    return info


def list_datasets(domain: str | None = None) -> list[str]:
    """Names of the registered datasets, sorted; only one domain's with ``domain=``.

    Example:
        >>> "cifar10" in list_datasets("vision")
        True
    """
    if domain is not None and domain not in DOMAINS:
        raise ValueError(f"domain must be one of {DOMAINS}, got {domain!r}")
    _load_domain_catalogs()
    return [n for n in DATASETS if domain is None or DATASETS.get(n).domain == domain]


def dataset_info(name: str) -> DatasetInfo:
    """The catalog record of ``name``; KeyError (with the nearest names) when unknown."""
    _load_domain_catalogs()
    return DATASETS.get(name)


def dataset_path(name: str, root: str | os.PathLike | None = None) -> Path:
    """Where dataset ``name`` lives: ``root / name`` (default root: ``paths.datasets_dir()``)."""
    dataset_info(name)
    return (Path(root).expanduser() if root is not None else paths.datasets_dir()) / name


def download_dataset(
    name: str,
    root: str | os.PathLike | None = None,
    *,
    splits: str | Sequence[str] | None = None,
    extract: bool = True,
    progress: bool = True,
    **download_options: Any,
) -> Path:
    """Download (and verify, and extract) the files of dataset ``name``; return its folder.

    Args:
        name: a catalog name (``list_datasets()``).
        root: the datasets root (default ``$TRIPTYCH_HOME/datasets``); files go to ``root/name``.
        splits: which splits (default: the dataset's default splits, else all; ``"all"``: all).
        extract: unpack archives (tar/zip into ``root/name/<stem>/``, single
            .gz/.bz2/.xz beside the archive).
        progress: progress bars.
        download_options: passed to :func:`triptych.datasets.download` (``timeout``, ``retries``...).

    Raises:
        OfflineError: ``TRIPTYCH_OFFLINE=1`` and a file is missing; the message names the
            dataset and the command that fetches it.
        DownloadError: a file could not be fetched and verified.

    Example (needs the network)::

        folder = download_dataset("mnist", splits="test")
    """
    info = dataset_info(name)
    folder = dataset_path(name, root)
    command = f"triptych datasets download {name}{'' if root is None else f' --root {root}'}"
    fetch_resources(name, folder, info.resources(splits), extract=extract, progress=progress,
                    command=command, **download_options)
    return folder


def fetch_resources(name: str, folder: Path, resources: Sequence[Resource], *, extract: bool,
                    progress: bool, command: str | None = None,
                    **download_options: Any) -> None:
    """Download, verify and (``extract``) unpack ``resources`` of dataset ``name`` into
    ``folder``; errors name the dataset and, offline, ``command`` (what fetches the files)."""
    for resource in resources:
        options = {"max_size": resource.max_size, **download_options}
        try:
            path = download(resource.urls, folder, sha256=resource.sha256,
                            filename=resource.filename, size=resource.size, progress=progress,
                            mirror_path=f"{name}/{resource.filename}", **options)
        except OfflineError as exc:
            how = f"Fetch it with:\n  {command}\n" if command else "Fetch it "
            raise OfflineError(
                f"dataset {name!r} is not available offline: {folder / resource.filename} is "
                f"missing. {how}on a machine with network access (or without "
                "TRIPTYCH_OFFLINE=1), or set TRIPTYCH_MIRROR to a local copy.",
                exc.failures) from None
        except DownloadError as exc:
            raise DownloadError(f"dataset {name!r}: {exc}", exc.failures) from None
        if extract and resource.extract and resource.is_archive:
            try:
                fmt = archive_format(path)
                dest = folder if fmt in ("gz", "bz2", "xz") else folder / resource.extracted_name
                extract_archive(path, dest, progress=progress)
            except ExtractionError as exc:
                raise ExtractionError(f"dataset {name!r}: {exc}") from None


def verify_dataset(name: str, root: str | os.PathLike | None = None, *,
                   splits: str | Sequence[str] | None = "all",
                   progress: bool = False) -> dict[str, str]:
    """Re-hash the files of ``name`` on disk: ``{filename: "ok" | "missing" | "corrupt"}``.

    Ignores the verification cache; a corrupt file loses its cache entry, so the next
    :func:`download_dataset` replaces it.
    """
    info = dataset_info(name)
    folder = dataset_path(name, root)
    report = {}
    for resource in info.resources(splits):
        path = folder / resource.filename
        if not path.exists():
            report[resource.filename] = "missing"
        elif is_verified(path, resource.sha256, resource.size, rehash=True):
            report[resource.filename] = "ok"
        else:
            report[resource.filename] = "corrupt"
    return report


def dataset_status(name: str, root: str | os.PathLike | None = None) -> str:
    """``"downloaded"``, ``"partial"`` or ``"missing"``, from which files exist (no hashing)."""
    folder = dataset_path(name, root)
    present = [(folder / r.filename).is_file() for r in dataset_info(name).resources("all")]
    if all(present):
        return "downloaded"
    return "partial" if any(present) else "missing"


def remove_dataset(name: str, root: str | os.PathLike | None = None) -> int:
    """Delete ``root/name`` and everything in it; return the bytes freed (0 if absent)."""
    folder = dataset_path(name, root)
    if not folder.exists():
        return 0
    freed = sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() or p.is_symlink())
    shutil.rmtree(folder)
    return freed


__all__ = [
    "DOMAINS", "DatasetInfo", "Resource", "dataset_info", "dataset_path", "dataset_status",
    "download_dataset", "list_datasets", "register_dataset", "register_dataset_class",
    "remove_dataset", "verify_dataset",
]
