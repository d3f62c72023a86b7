"""triptych.datasets: verified downloads, safe extraction, the dataset catalog and the CLI.

* :func:`download` — resumable, verified downloads with mirrors, retries and a cross-process lock;
* :func:`extract` — safe extraction of tar/zip/gz/bz2/xz, chosen by magic bytes;
* the catalog — :class:`Resource`, :func:`register_dataset`, :func:`list_datasets`,
  :func:`dataset_info`, :func:`download_dataset`, :func:`verify_dataset`;
* :class:`Dataset` — the base of dataset classes (root, split, transforms, download, ``repr``);
* :func:`download_once` — one download per node under torchrun;
* the ``triptych`` command (``triptych datasets --help``).

Environment: ``TRIPTYCH_HOME`` (cache root), ``TRIPTYCH_OFFLINE=1`` (no network),
``TRIPTYCH_MIRROR`` (a base URL or folder tried first), ``TRIPTYCH_PROGRESS=0`` (no bars).
"""

import importlib
from typing import Any

from .catalog import (
    DOMAINS,
    DatasetInfo,
    Resource,
    dataset_info,
    dataset_path,
    dataset_status,
    download_dataset,
    list_datasets,
    register_dataset,
    register_dataset_class,
    remove_dataset,
    verify_dataset,
)
from .distributed import download_once
from .download import DownloadError, OfflineError, download, is_verified, sha256_file
from .extract import ExtractionError, UnsafeArchiveError, archive_format, extract

__all__ = [
    "DOMAINS",
    "Dataset",
    "DatasetInfo",
    "DownloadError",
    "ExtractionError",
    "OfflineError",
    "Resource",
    "UnsafeArchiveError",
    "archive_format",
    "dataset_info",
    "dataset_path",
    "dataset_status",
    "download",
    "download_dataset",
    "download_once",
    "extract",
    "is_verified",
    "list_datasets",
    "register_dataset",
    "register_dataset_class",
    "remove_dataset",
    "sha256_file",
    "verify_dataset",
]


def __getattr__(name: str) -> Any:
    if name == "Dataset":  # imports torch: loaded on first use, so the CLI starts without it
        return importlib.import_module("triptych.datasets.base").Dataset
    raise AttributeError(f"module 'triptych.datasets' has no attribute {name!r}")
