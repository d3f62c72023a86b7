"""The base of text datasets whose one archive (from the catalog) holds every split."""

from __future__ import annotations

from pathlib import Path

from triptych.datasets.base import Dataset
from triptych.datasets.catalog import Resource


def extracted_member(dataset: Dataset, archive: Resource, member: str) -> Path:
    """The path of ``member`` (e.g. ``"train.csv"``) inside ``dataset``'s extracted ``archive``."""
    base = dataset.folder / archive.extracted_name
    found = sorted(base.rglob(member)) if base.is_dir() else []
    if not found:
        raise RuntimeError(f"{type(dataset).__name__}: {member} not found under {base}; the archive "
                           "was not extracted (pass download=True to fetch and extract it)")
    return found[0]


class Extracted(Dataset):
    """A dataset whose one archive (from the catalog) is read after extraction."""

    def __init__(self, root, *, split: str, splits: tuple[str, ...], transform, target_transform, download):
        if split not in splits:
            raise ValueError(f"{type(self).__name__}: split must be one of {', '.join(map(repr, splits))}, "
                             f"got {split!r}")
        # The catalog entry lists one archive holding every split, so the base class is given
        # split=None (all files) and the split is applied when reading.
        super().__init__(root, split=None, transform=transform, target_transform=target_transform,
                         download=download)
        self.split = split

    def files(self):
        """The one archive, whatever the split (it holds them all)."""
        seen = {}
        for resources in self.splits().values():
            for resource in resources:
                seen.setdefault(resource.filename, resource)
        return list(seen.values())

    def _extracted(self, member: str) -> Path:
        """The path of ``member`` (e.g. ``"train.csv"``) inside the extracted archive."""
        (archive,) = self.files()
        return extracted_member(self, archive, member)
