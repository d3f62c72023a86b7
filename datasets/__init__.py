"""triptych.datasets: verified downloads, safe extraction, the dataset catalog and the CLI.

* :func:`download` — resumable, verified downloads with mirrors, retries and a cross-process lock;
* :func:`extract` — safe extraction of tar/zip/gz/bz2/xz, chosen by magic bytes;
* the catalog — :class:`Resource`, :func:`register_dataset`, :func:`list_datasets`,
  :func:`dataset_info`, :func:`download_dataset`, :func:`verify_dataset`;
* :class:`Dataset` — the base of dataset classes (root, split, transforms, download, ``repr``);
* :func:`download_once` — one download per node under torchrun;
* :class:`ShardWriter`, :class:`StreamingDataset`, :class:`StreamingDataLoader` — tar shards
  streamed under torchrun, resumable at any step and world size;
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
    "ShardWriter",
    "StreamingDataLoader",
    "StreamingDataset",
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
    "read_index",
    "register_dataset",
    "register_dataset_class",
    "remove_dataset",
    "sha256_file",
    "verify_dataset",
]


_LAZY = {  # these import torch or numpy: loaded on first use, so the CLI starts without them
    "Dataset": "triptych.datasets.base",
    "ShardWriter": "triptych.datasets.shards",
    "read_index": "triptych.datasets.shards",
    "StreamingDataLoader": "triptych.datasets.streaming",
    "StreamingDataset": "triptych.datasets.streaming",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'triptych.datasets' has no attribute {name!r}")
