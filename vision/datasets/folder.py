"""DatasetFolder and ImageFolder: one sub-folder per class (torchvision's layout and rules)::

    root/dog/xxx.png
    root/dog/nested/xxy.jpg
    root/cat/123.png
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from ._base import apply, check_transforms, starts_with_decode

__all__ = ["IMG_EXTENSIONS", "DatasetFolder", "ImageFolder", "find_classes", "make_dataset"]

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def find_classes(directory: str | os.PathLike) -> tuple[list[str], dict[str, int]]:
    """The class folders of ``directory``, sorted, and ``{name: index}``.

    Raises:
        FileNotFoundError: ``directory`` has no sub-folder.
    """
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {os.fspath(directory)!r}")
    return classes, {name: i for i, name in enumerate(classes)}


def make_dataset(directory: str | os.PathLike, class_to_idx: dict[str, int] | None = None,
                 extensions: str | Sequence[str] | None = None,
                 is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False) -> list[tuple[str, int]]:
    """``(path, class_index)`` for every valid file under each class folder, sorted by class
    then path (folders are followed, links too).

    Exactly one of ``extensions`` (case-insensitive suffixes) and ``is_valid_file`` (a
    predicate on the path) decides which files count.

    Raises:
        ValueError: both or neither of ``extensions`` and ``is_valid_file``.
        FileNotFoundError: a class without a valid file, unless ``allow_empty``.
    """
    directory = os.path.expanduser(os.fspath(directory))
    if class_to_idx is None:
        _, class_to_idx = find_classes(directory)
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("Both extensions and is_valid_file cannot be None or not None at the "
                         "same time")
    if extensions is not None:
        suffixes = (extensions,) if isinstance(extensions, str) else tuple(extensions)

        def is_valid_file(path: str) -> bool:
            return path.lower().endswith(suffixes)

    samples, empty = [], []
    for name in sorted(class_to_idx):
        index = class_to_idx[name]
        folder = os.path.join(directory, name)
        if not os.path.isdir(folder):
            continue
        before = len(samples)
        for parent, _, files in sorted(os.walk(folder, followlinks=True)):
            for file in sorted(files):
                path = os.path.join(parent, file)
                if is_valid_file(path):
                    samples.append((path, index))
        if len(samples) == before:
            empty.append(name)
    if empty and not allow_empty:
        message = f"Found no valid file for the classes {', '.join(empty)}. "
        if extensions is not None:
            message += f"Supported extensions are: {', '.join(suffixes)}"
        raise FileNotFoundError(message)
    return samples


class DatasetFolder(torch.utils.data.Dataset):
    """Samples arranged in one folder per class; ``loader`` reads each file.

    Args:
        root: the folder holding the class folders.
        loader: reads a sample from its path.
        extensions: accepted suffixes (case-insensitive); or
        is_valid_file: a predicate on the path (exactly one of the two).
        transform, target_transform: applied to the sample / the class index.
        transforms: applied to ``(sample, target)`` together; excludes the two above.
        allow_empty: allow class folders without a valid file (else FileNotFoundError).

    Attributes: ``classes`` (sorted folder names), ``class_to_idx``, ``samples`` (``(path,
    class_index)`` list), ``targets``. Override :meth:`find_classes` for another class order.

    Example:
        >>> import pathlib, tempfile
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> for name in ("b/1.txt", "a/2.txt", "a/x.bin"):
        ...     (root / name).parent.mkdir(exist_ok=True)
        ...     _ = (root / name).write_text(name)
        >>> ds = DatasetFolder(root, loader=lambda p: pathlib.Path(p).read_text(),
        ...                    extensions=".txt")
        >>> ds.classes, len(ds), ds[0]
        (['a', 'b'], 2, ('a/2.txt', 0))
    """

    def __init__(self, root: str | os.PathLike, loader: Callable[[str], Any], *,
                 extensions: str | Sequence[str] | None = None,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 transforms: Callable | None = None,
                 is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False) -> None:
        name = type(self).__name__
        if not callable(loader):
            raise TypeError(f"{name}: loader must be callable, got {type(loader).__name__}")
        for option, value in (("transform", transform), ("target_transform", target_transform),
                              ("is_valid_file", is_valid_file)):
            if value is not None and not callable(value):
                raise TypeError(f"{name}: {option} must be callable or None, "
                                f"got {type(value).__name__}")
        check_transforms(name, transform, target_transform, transforms)
        self.root = Path(root).expanduser()
        if not self.root.is_dir():
            raise FileNotFoundError(f"{name}: root {str(self.root)!r} is not a folder")
        self.loader = loader
        self.extensions = extensions
        self.transform = transform
        self.target_transform = target_transform
        self.transforms = transforms
        self.classes, self.class_to_idx = self.find_classes(self.root)
        self.samples = make_dataset(self.root, self.class_to_idx, extensions, is_valid_file,
                                    allow_empty)
        self.targets = [target for _, target in self.samples]

    def find_classes(self, directory: str | os.PathLike) -> tuple[list[str], dict[str, int]]:
        return find_classes(directory)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        path, target = self.samples[index]
        return apply(self, self.loader(path), target)

    def __repr__(self) -> str:
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}",
                 f"    Root location: {self.root}"]
        for label, value in (("Transforms", self.transforms), ("Transform", self.transform),
                             ("Target transform", self.target_transform)):
            if value is not None:
                lines.append(f"    {label}: {repr(value).splitlines()[0]}")
        return "\n".join(lines)


def default_loader(path: str) -> Any:
    """An RGB :class:`~triptych.vision.tensors.Image` ``(3, H, W)`` uint8, decoded by
    :func:`triptych.vision.io.read_image`."""
    from triptych.vision.io import read_image
    from triptych.vision.tensors import Image

    return Image(read_image(path, mode="RGB"))


def read_bytes(path: str) -> bytes:
    """The file's bytes, for a transform that starts with ``DecodeImage``."""
    return Path(path).read_bytes()


class ImageFolder(DatasetFolder):
    """Images in one folder per class (:class:`DatasetFolder` with image extensions).

    Args:
        root: the folder holding the class folders.
        transform, target_transform, transforms, is_valid_file, allow_empty: as
            :class:`DatasetFolder` (without ``is_valid_file``, files ending in
            :data:`IMG_EXTENSIONS` count).
        loader: reads an image from its path. Default: an RGB
            :class:`~triptych.vision.tensors.Image` ``(3, H, W)`` uint8 through
            :func:`triptych.vision.io.read_image` — or, when the transform starts with
            ``DecodeImage``, the file's bytes, so the fused decode + crop path decodes only
            what the crop needs.

    ``imgs`` is ``samples``.

    Example:
        >>> import pathlib, tempfile, torch
        >>> from triptych.vision.io import write_png
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> (root / "red").mkdir()
        >>> write_png(torch.zeros(3, 4, 6, dtype=torch.uint8), root / "red" / "a.png")
        >>> image, label = ImageFolder(root)[0]
        >>> image.shape, label
        (torch.Size([3, 4, 6]), 0)
    """

    def __init__(self, root: str | os.PathLike, *, transform: Callable | None = None,
                 target_transform: Callable | None = None, transforms: Callable | None = None,
                 loader: Callable[[str], Any] | None = None,
                 is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False) -> None:
        if loader is None:
            decodes = starts_with_decode(transforms if transforms is not None else transform)
            loader = read_bytes if decodes else default_loader
        super().__init__(root, loader, extensions=IMG_EXTENSIONS if is_valid_file is None else None,
                         transform=transform, target_transform=target_transform,
                         transforms=transforms, is_valid_file=is_valid_file,
                         allow_empty=allow_empty)
        self.imgs = self.samples
