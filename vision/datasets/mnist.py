"""MNIST and its relatives in the IDX format: MNIST, FashionMNIST, KMNIST, EMNIST.

Each file is read at once with ``numpy.frombuffer`` (no Python loop per image). Samples are
``(image, label)``: image a :class:`~triptych.vision.tensors.Image` ``(1, 28, 28)`` uint8 — the
v2 style; torchvision returns a PIL image — and label an ``int``.
"""

from __future__ import annotations

import gzip
import os
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from ._base import VisionDataset

__all__ = ["EMNIST", "KMNIST", "MNIST", "FashionMNIST", "read_idx"]

# IDX type codes -> big-endian numpy dtypes.
_IDX_TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_idx(data: bytes | bytearray | np.ndarray, source: str = "<bytes>") -> np.ndarray:
    """Parse an IDX file (``bytes`` of it, not gzipped) into an array of its shape.

    uint8 files are a view of ``data`` (writable when ``data`` is a ``bytearray`` or array);
    other types are converted to native byte order.

    Raises:
        ValueError: not IDX, an unknown type code, or a length that does not match the header
            (the message names ``source``).

    Example:
        >>> header = bytes([0, 0, 8, 2]) + (2).to_bytes(4, "big") + (3).to_bytes(4, "big")
        >>> read_idx(header + bytes(range(6))).tolist()
        [[0, 1, 2], [3, 4, 5]]
    """
    raw = np.frombuffer(data, dtype=np.uint8) if not isinstance(data, np.ndarray) else data
    if raw.size < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{source} is not an IDX file (it must start with two zero bytes)")
    code, ndim = int(raw[2]), int(raw[3])
    if code not in _IDX_TYPES:
        raise ValueError(f"{source}: unknown IDX type code 0x{code:02x}")
    offset = 4 + 4 * ndim
    if raw.size < offset:
        raise ValueError(f"{source}: IDX header truncated")
    dims = struct.unpack(f">{ndim}I", raw[4:offset].tobytes())
    dtype = _IDX_TYPES[code]
    count = int(np.prod(dims, dtype=np.int64))
    if raw.size - offset != count * dtype.itemsize:
        raise ValueError(f"{source}: IDX header says {dims} of {dtype.name} "
                         f"({count * dtype.itemsize} bytes), the file has {raw.size - offset}")
    array = raw[offset:].view(dtype).reshape(dims)
    return array if dtype.itemsize == 1 else array.astype(dtype.newbyteorder("="))


def _read_idx_file(path: Path) -> np.ndarray:
    """Read ``path`` (``.gz`` or not): the decompressed copy beside a ``.gz`` when present."""
    plain = path.with_suffix("") if path.suffix == ".gz" else path
    if plain.is_file():
        return read_idx(np.fromfile(plain, dtype=np.uint8), repr(str(plain)))
    with gzip.open(path, "rb") as file:
        try:
            data = bytearray(file.read())
        except (OSError, EOFError) as exc:
            raise ValueError(f"{str(path)!r} is not a valid gzip file: {exc}") from None
    return read_idx(data, repr(str(path)))


class _IdxDataset(VisionDataset):
    """Images and labels from two IDX files; subclasses say which files (:meth:`_idx_files`)."""

    classes: ClassVar[list[str]] = []

    def __init__(self, root: str | os.PathLike | None = None, *, train: bool = True,
                 split: str | None = None, transform: Callable | None = None,
                 target_transform: Callable | None = None, transforms: Callable | None = None,
                 download: bool = False) -> None:
        self.train = bool(train)
        super().__init__(root, split=split, transform=transform,
                         target_transform=target_transform, transforms=transforms,
                         download=download)
        images_path, labels_path = self._idx_files()
        images = _read_idx_file(images_path)
        labels = _read_idx_file(labels_path)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(f"{type(self).__name__}: {images_path.name} holds shape "
                             f"{images.shape} and {labels_path.name} shape {labels.shape}; "
                             "expected (N, H, W) images and N labels")
        self.data = self._orient(torch.from_numpy(images))
        self.targets = torch.from_numpy(labels.astype(np.int64))

    def _idx_files(self) -> tuple[Path, Path]:
        raise NotImplementedError

    def _orient(self, images: torch.Tensor) -> torch.Tensor:
        return images

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from triptych.vision.tensors import Image

        image = Image(self.data[index].unsqueeze(0).clone())
        return self.apply_transforms(image, int(self.targets[index]))

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.classes)}

    def extra_repr(self) -> str:
        return f"Train: {self.train}"


class MNIST(_IdxDataset):
    """MNIST handwritten digits: 60,000 train / 10,000 test images, 28x28 grey, 10 classes.

    Args:
        root: the datasets root; the files are in ``root / "mnist"`` (default
            ``$TRIPTYCH_HOME/datasets``).
        train: the training set (else the test set).
        transform, target_transform: applied to the image / the label.
        transforms: applied to ``(image, label)`` together; excludes the two above.
        download: fetch and verify the files first (see :class:`triptych.datasets.Dataset`).

    ``ds[i]`` is ``(Image (1, 28, 28) uint8, int)``; ``data`` (N, 28, 28) uint8 and ``targets``
    (N,) int64 hold everything.

    Example (needs the network, or the files under ``root``)::

        train = MNIST("data", train=True, download=True)
        image, label = train[0]        # Image (1, 28, 28) uint8, 5
    """

    name = "mnist"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root: str | os.PathLike | None = None, *, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 transforms: Callable | None = None, download: bool = False) -> None:
        super().__init__(root, train=train, split="train" if train else "test",
                         transform=transform, target_transform=target_transform,
                         transforms=transforms, download=download)

    def _idx_files(self) -> tuple[Path, Path]:
        part = "train" if self.train else "t10k"
        return (self.folder / f"{part}-images-idx3-ubyte.gz",
                self.folder / f"{part}-labels-idx1-ubyte.gz")


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando): 28x28 grey images of clothing, 10 classes; as :class:`MNIST`."""

    name = "fashion_mnist"
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    """Kuzushiji-MNIST: 28x28 grey images of cursive Japanese characters, 10 classes; as
    :class:`MNIST`."""

    name = "kmnist"
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


_DIGITS = list("0123456789")
_UPPER = list("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_LOWER = list("abcdefghijklmnopqrstuvwxyz")
_MERGED = list("abdefghnqrt")  # the lower-case letters bymerge/balanced keep apart


class EMNIST(_IdxDataset):
    """EMNIST (Extended MNIST): handwritten digits and letters, 28x28 grey, in six splits.

    Args:
        root: the datasets root; the files are in ``root / "emnist"``.
        split: ``"byclass"`` (62 classes), ``"bymerge"`` (47), ``"balanced"`` (47),
            ``"letters"`` (labels 1-26; class 0 ``"N/A"`` is unused), ``"digits"`` or
            ``"mnist"`` (10).
        train, transform, target_transform, transforms, download: as :class:`MNIST`.

    The files store each image transposed (column-major); they are turned upright here, like
    MNIST's (torchvision returns them transposed).

    Example (needs the network: one 562 MB zip holds all splits)::

        letters = EMNIST("data", split="letters", download=True)
        letters.classes[letters[0][1]]   # 'w'
    """

    name = "emnist"
    SPLITS = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    _CLASSES: ClassVar[dict[str, list[str]]] = {
        "byclass": _DIGITS + _UPPER + _LOWER,
        "bymerge": _DIGITS + _UPPER + _MERGED,
        "balanced": _DIGITS + _UPPER + _MERGED,
        "letters": ["N/A", *_LOWER],
        "digits": _DIGITS,
        "mnist": _DIGITS,
    }

    def __init__(self, root: str | os.PathLike | None = None, *, split: str,
                 train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, transforms: Callable | None = None,
                 download: bool = False) -> None:
        if split not in self.SPLITS:
            raise ValueError(f"EMNIST: split must be one of {', '.join(self.SPLITS)}, "
                             f"got {split!r}")
        self.classes = list(self._CLASSES[split])
        super().__init__(root, train=train, split=split, transform=transform,
                         target_transform=target_transform, transforms=transforms,
                         download=download)

    def _idx_files(self) -> tuple[Path, Path]:
        # gzip.zip extracts to gzip/, its members are gzip/emnist-<split>-<set>-...gz
        members = self.folder / "gzip" / "gzip"
        part = "train" if self.train else "test"
        prefix = f"emnist-{self.split}-{part}"
        return (members / f"{prefix}-images-idx3-ubyte.gz",
                members / f"{prefix}-labels-idx1-ubyte.gz")

    def _orient(self, images: torch.Tensor) -> torch.Tensor:
        return images.transpose(1, 2).contiguous()

    def extra_repr(self) -> str:
        return f"Train: {self.train}"
