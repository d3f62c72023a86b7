"""triptych.datasets: verified downloads, safe extraction, the dataset catalog and the CLI.

* :func:`download` — resumable, verified downloads with mirrors, retries and a cross-process lock;
* :func:`extract` — safe extraction of tar/zip/gz/bz2/xz, chosen by magic bytes;
* the catalog — :class:`Resource`, :func:`register_dataset`, :func:`list_datasets`,
  :func:`dataset_info`, :func:`download_dataset`, :func:`verify_dataset`;
* :func:`download_once` — one download per node under torchrun;
* the ``triptych`` command (``triptych datasets --help``).

Environment: ``TRIPTYCH_HOME`` (cache root), ``TRIPTYCH_OFFLINE=1`` (no network),
``TRIPTYCH_MIRROR`` (a base URL or folder tried first), ``TRIPTYCH_PROGRESS=0`` (no bars).
"""

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
