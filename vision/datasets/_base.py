"""What the vision datasets share: the joint ``transforms`` option and lazy image decoding."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from triptych.datasets.base import Dataset


def check_transforms(owner: str, transform: Callable | None, target_transform: Callable | None,
                     transforms: Callable | None) -> None:
    """torchvision's rule: ``transforms`` (joint) or ``transform``/``target_transform``, not both."""
    if transforms is not None and (transform is not None or target_transform is not None):
        raise ValueError(f"{owner}: pass either transforms or transform/target_transform, "
                         "not both")
    if transforms is not None and not callable(transforms):
        raise TypeError(f"{owner}: transforms must be callable or None, "
                        f"got {type(transforms).__name__}")


def apply(owner: Any, image: Any, target: Any) -> tuple[Any, Any]:
    """``transforms(image, target)``, else ``transform(image)``, ``target_transform(target)``."""
    if owner.transforms is not None:
        return owner.transforms(image, target)
    if owner.transform is not None:
        image = owner.transform(image)
    if owner.target_transform is not None:
        target = owner.target_transform(target)
    return image, target


def starts_with_decode(transform: Any) -> bool:
    """Whether ``transform`` is a ``DecodeImage`` or a ``Compose`` whose first step is one:
    it then gets the file's bytes (and may decode only what its crop needs)."""
    if transform is None:
        return False
    from triptych.vision.transforms import DecodeImage

    steps = getattr(transform, "transforms", None)
    first = next(iter(steps), None) if steps is not None else None
    return isinstance(transform, DecodeImage) or isinstance(first, DecodeImage)


class VisionDataset(Dataset):
    """:class:`triptych.datasets.Dataset` plus torchvision's ``transforms`` option: one callable
    taking and returning ``(image, target)``, so v2 transforms move the boxes and masks of a
    target with its image. It excludes ``transform``/``target_transform``.

    Images stored as files decode lazily, one per ``__getitem__``, through
    :func:`triptych.vision.io.read_image` — or, when the image transform starts with
    ``DecodeImage``, the file's bytes are handed to it, so the fused decode + crop path runs.
    """

    def __init__(self, root: str | os.PathLike | None = None, *, split: str | None = None,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 transforms: Callable | None = None, download: bool = False) -> None:
        check_transforms(type(self).__name__, transform, target_transform, transforms)
        self.transforms = transforms
        super().__init__(root, split=split, transform=transform,
                         target_transform=target_transform, download=download)

    def apply_transforms(self, input: Any, target: Any) -> tuple[Any, Any]:  # noqa: A002
        return apply(self, input, target)

    def load_image(self, path: str | os.PathLike) -> Any:
        """The image at ``path``: its bytes when the transform decodes (``DecodeImage`` first),
        else an RGB :class:`~triptych.vision.tensors.Image` ``(3, H, W)`` uint8."""
        transform = self.transforms if self.transforms is not None else self.transform
        if starts_with_decode(transform):
            return Path(path).read_bytes()
        from triptych.vision.io import read_image
        from triptych.vision.tensors import Image

        return Image(read_image(path, mode="RGB"))
