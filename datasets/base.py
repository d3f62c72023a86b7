"""The base of every triptych dataset class, whatever its domain (like torchvision's
``VisionDataset``): where the files are, how they are fetched, the transforms, and a ``repr``.

A subclass names its files as :class:`~triptych.datasets.Resource` records (or takes them from
the catalog entry of the same ``name``), then implements ``__len__`` and ``__getitem__``::

    class Digits(Dataset):
        name = "digits"
        resources = {"train": [Resource("train.csv", URL, SHA256)],
                     "test": [Resource("test.csv", URL2, SHA256_2)]}

        def __init__(self, root=None, *, split="train", **kwargs):
            super().__init__(root, split=split, **kwargs)
            self.rows = (self.folder / f"{split}.csv").read_text().splitlines()

        def __len__(self):
            return len(self.rows)

        def __getitem__(self, index):
            value, label = self.rows[index].split(",")
            return self.apply_transforms(float(value), int(label))
"""

from __future__ import annotations

import operator
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import torch.utils.data

from triptych import paths

from .catalog import Resource, dataset_info, fetch_resources


def sample_index(index: Any, length: int, owner: str) -> int:
    """``index`` as a position in ``range(length)`` (negative counts from the end), or
    IndexError naming ``owner``; for datasets that compute their samples from the position.

    Example:
        >>> from triptych.datasets.base import sample_index
        >>> sample_index(-1, 10, "Toy")
        9
    """
    position = operator.index(index)
    if position < 0:
        position += length
    if not 0 <= position < length:
        raise IndexError(f"{owner}: index {index} out of range for {length} samples")
    return position


class Dataset(torch.utils.data.Dataset):
    """Base class of triptych datasets: files declared as Resources, fetched on request.

    Args:
        root: the datasets root; the files live in ``root / name`` (:attr:`folder`).
            Default: ``$TRIPTYCH_HOME/datasets``, the folder ``triptych datasets`` uses.
        split: which split's files this dataset needs (None: every file).
        transform: applied to each input (an image, a waveform, a text...).
        target_transform: applied to each target (a label, a transcript...).
        download: fetch, verify and extract the files first (a file already verified is not
            fetched again); without it, missing files are an error that says how to get them.

    Class attributes:
        name: the dataset's name: its folder under ``root``, and its catalog entry.
        resources: its files, a list or ``{split: [Resource, ...]}``; None (the default) takes
            them from the catalog entry ``name``.

    Example:
        >>> import hashlib, pathlib, tempfile
        >>> src = pathlib.Path(tempfile.mkdtemp()) / "numbers.txt"
        >>> _ = src.write_text("1\\n2\\n3\\n")
        >>> class Numbers(Dataset):
        ...     name = "numbers"
        ...     resources = [Resource("numbers.txt", src.as_uri(),
        ...                           hashlib.sha256(src.read_bytes()).hexdigest())]
        ...     def __len__(self):
        ...         return len(self._rows())
        ...     def __getitem__(self, i):
        ...         return self.apply_transforms(int(self._rows()[i]), i)[0]
        ...     def _rows(self):
        ...         return (self.folder / "numbers.txt").read_text().split()
        >>> ds = Numbers(tempfile.mkdtemp(), download=True, transform=lambda x: 10 * x)
        >>> len(ds), ds[2]
        (3, 30)
        >>> print(repr(ds).splitlines()[:2])
        ['Dataset Numbers', '    Number of datapoints: 3']
    """

    name: ClassVar[str | None] = None
    resources: ClassVar[Sequence[Resource] | Mapping[str, Sequence[Resource]] | None] = None

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        *,
        split: str | None = None,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        download: bool = False,
    ) -> None:
        cls = type(self).__name__
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"{cls} must set the class attribute `name` (its folder and "
                            "catalog name)")
        for option, value in (("transform", transform), ("target_transform", target_transform)):
            if value is not None and not callable(value):
                raise TypeError(f"{cls}: {option} must be callable or None, "
                                f"got {type(value).__name__}")
        splits = self.splits()
        if split is not None and split not in splits:
            raise ValueError(f"{cls}: split must be one of {', '.join(map(repr, splits))}, "
                             f"got {split!r}")
        self.root = Path(root).expanduser() if root is not None else paths.datasets_dir()
        self.split = split
        self.transform = transform
        self.target_transform = target_transform
        if download:
            self.download()
        missing = self.missing_files()
        if missing:
            raise RuntimeError(
                f"{cls}: {', '.join(missing)} not found in {self.folder}; pass download=True "
                f"to fetch {'it' if len(missing) == 1 else 'them'}"
                + (f", or run: {self._cli_command()}" if self._in_catalog() else ""))

    # -- files ---------------------------------------------------------------------------------
    @property
    def folder(self) -> Path:
        """Where the files are: ``root / name``."""
        return self.root / self.name

    @classmethod
    def splits(cls) -> dict[str, tuple[Resource, ...]]:
        """``{split: files}``: from ``resources``, else from the catalog entry ``name``."""
        declared = cls.resources
        if declared is None:
            return dict(dataset_info(cls.name).splits)
        if isinstance(declared, Mapping):
            return {str(k): tuple(v) for k, v in declared.items()}
        return {"all": tuple(declared)}

    def files(self) -> list[Resource]:
        """The Resources this dataset needs (its split's, or all of them), each once."""
        chosen = [self.split] if self.split is not None else list(self.splits())
        seen: dict[str, Resource] = {}
        for split in chosen:
            for resource in self.splits()[split]:
                seen.setdefault(resource.filename, resource)
        return list(seen.values())

    def missing_files(self) -> list[str]:
        """Names of the files in :meth:`files` that are not in :attr:`folder` (no hashing)."""
        return [r.filename for r in self.files() if not (self.folder / r.filename).is_file()]

    def download(self, *, progress: bool = True, **download_options: Any) -> None:
        """Fetch, verify and extract :meth:`files` into :attr:`folder`
        (see :func:`triptych.datasets.download`; ``download_options`` go there)."""
        command = self._cli_command() if self._in_catalog() else None
        fetch_resources(self.name, self.folder, self.files(), extract=True, progress=progress,
                        command=command, **download_options)

    def _cli_command(self) -> str:
        """The ``triptych datasets download`` command that fetches this dataset's files (its
        split's: the CLI's default splits may be others)."""
        split = "" if self.split is None else f" --split {self.split}"
        return f"triptych datasets download {self.name} --root {self.root}{split}"

    def _in_catalog(self) -> bool:
        try:
            dataset_info(self.name)
        except KeyError:
            return False
        return True

    # -- samples -------------------------------------------------------------------------------
    def apply_transforms(self, input: Any, target: Any) -> tuple[Any, Any]:  # noqa: A002
        """``(transform(input), target_transform(target))``, each only when given."""
        if self.transform is not None:
            input = self.transform(input)  # noqa: A001
        if self.target_transform is not None:
            target = self.target_transform(target)
        return input, target

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def extra_repr(self) -> str:
        """More lines for ``repr`` (a subclass's own options); empty by default."""
        return ""

    def __repr__(self) -> str:
        lines = []
        try:
            lines.append(f"Number of datapoints: {len(self)}")
        except NotImplementedError:
            pass
        lines.append(f"Root location: {self.folder}")
        if self.split is not None:
            lines.append(f"Split: {self.split}")
        lines += [line for line in self.extra_repr().splitlines() if line]
        for label, value in (("Transform", self.transform),
                             ("Target transform", self.target_transform)):
            if value is not None:
                text = repr(value).splitlines()
                lines.append(f"{label}: {text[0]}")
                lines += [" " * (len(label) + 2) + line for line in text[1:]]
        return "\n".join([f"Dataset {type(self).__name__}", *("    " + line for line in lines)])
