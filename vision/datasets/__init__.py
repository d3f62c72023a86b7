"""triptych.vision.datasets: the vision datasets.

Map-style datasets returning ``(image, target)`` with torchvision's constructor meanings; their
files are :class:`triptych.datasets.Resource` records in the catalog (``_catalog``; see
``triptych datasets list --domain vision``) and the classes build on
:class:`triptych.datasets.Dataset`. :class:`SyntheticShapes` needs no files: the default of the
examples and the tests. Images come as :class:`triptych.vision.tensors.Image`, detection and
segmentation targets as ``BoundingBoxes``/``Mask``, so v2-style transforms apply to them.

The classes load on first use (this package imports neither torch nor Pillow by itself).
"""

from __future__ import annotations

from triptych._lazy import lazy_attributes

from . import _catalog  # noqa: F401 - registers the vision catalog entries

_CLASSES = {
    "SyntheticShapes": "synthetic",
    "MNIST": "mnist", "FashionMNIST": "mnist", "KMNIST": "mnist", "EMNIST": "mnist",
    "DatasetFolder": "folder", "ImageFolder": "folder",
    "CocoDetection": "coco",
    "OxfordIIITPet": "pets_flowers_food", "Flowers102": "pets_flowers_food",
    "Food101": "pets_flowers_food",
    "VOCDetection": "voc", "VOCSegmentation": "voc",
    "CIFAR10": "cifar", "CIFAR100": "cifar", "SVHN": "svhn", "STL10": "stl10",
}

__all__ = sorted(_CLASSES)


# Lazy: the catalog and the CLI import this package without paying for torch.
__getattr__, __dir__ = lazy_attributes(__name__, _CLASSES)
