"""What the audio datasets share: torchaudio's ``url`` option on top of the catalog's files,
the check that an archive was extracted, and audio decoding through :mod:`triptych.audio.io`."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from triptych.datasets.base import Dataset
from triptych.datasets.catalog import Resource


class AudioDataset(Dataset):
    """:class:`triptych.datasets.Dataset` with torchaudio's ``url`` argument.

    ``url`` is either the name of one of the dataset's splits (torchaudio's
    ``url="dev-clean"``), or a URL whose file name is one of the dataset's files (a mirror):
    that URL is then tried first, and what it serves must still hash to the catalog's sha256.
    The samples are torchaudio's tuples, so there is no ``transform``/``target_transform``:
    apply transforms to the waveform (or in a ``collate_fn``) as with torchaudio.
    """

    def __init__(self, root: str | os.PathLike | None, *, url: str | None, download: bool,
                 folder_in_archive: str | None = None) -> None:
        if folder_in_archive is not None and (
                not isinstance(folder_in_archive, str) or not folder_in_archive
                or Path(folder_in_archive).is_absolute()
                or ".." in Path(folder_in_archive).parts):
            raise ValueError(f"{type(self).__name__}: folder_in_archive must be a relative "
                             f"folder name inside the archive, got {folder_in_archive!r}")
        self.folder_in_archive = folder_in_archive
        split, self._mirror = self._parse_url(url)
        super().__init__(root, split=split, download=download)

    @classmethod
    def _parse_url(cls, url: str | None) -> tuple[str | None, str | None]:
        """``(split, mirror URL)`` of the ``url`` argument."""
        splits = cls.splits()
        if url is None:
            return None, None
        if not isinstance(url, str):
            raise TypeError(f"{cls.__name__}: url must be a str, got {type(url).__name__}")
        if url in splits:
            return url, None
        for split, resources in splits.items():
            for resource in resources:
                if resource.urls[0] == url:  # the catalog's own URL: nothing to add
                    return split, None
                if "://" in url and url.rstrip("/").rsplit("/", 1)[-1] == resource.filename:
                    return split, url
        raise ValueError(
            f"{cls.__name__}: url must be one of {', '.join(map(repr, splits))} or a URL "
            f"ending in one of the file names "
            f"{', '.join(repr(r.filename) for rs in splits.values() for r in rs)}, got {url!r}")

    def files(self) -> list[Resource]:
        files = super().files()
        if self._mirror is None:
            return files
        name = self._mirror.rstrip("/").rsplit("/", 1)[-1]
        return [dataclasses.replace(r, urls=(self._mirror, *r.urls)) if r.filename == name
                else r for r in files]

    def extracted(self, *parts: str) -> Path:
        """``folder / parts``, which must be a folder: an archive that was downloaded but not
        extracted (or extracted elsewhere) is an error naming the folder and the fix."""
        path = self.folder.joinpath(*parts)
        if not path.is_dir():
            raise RuntimeError(f"{type(self).__name__}: {path} is not a folder; the archive is "
                               "not extracted there. Pass download=True to verify and extract "
                               "it (nothing is fetched again when the archive is already "
                               "verified)")
        return path

    @staticmethod
    def load_audio(path: str | os.PathLike) -> tuple[Any, int]:
        """``(waveform (channels, frames) float32, sample_rate)`` of the file at ``path``."""
        from triptych.audio.io import load

        return load(path)
