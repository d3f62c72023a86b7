"""triptych.vision.models: image model builders and their pretrained weights.

Builders register with :func:`triptych.models.register_model`, so
``triptych.models.get_model("resnet18", weights="DEFAULT")`` works as well as calling
:func:`resnet18` here. Checkpoints are described in :mod:`._weights`.

Example:
    >>> import torch
    >>> from triptych.vision.models import ResNet18_Weights, resnet18
    >>> len(ResNet18_Weights.DEFAULT.meta["categories"])
    1000
    >>> resnet18().eval()(torch.zeros(1, 3, 32, 32)).shape
    torch.Size([1, 1000])
"""

from ._presets import IMAGENET_MEAN, IMAGENET_STD, image_classification
from ._weights import IMAGENET_CATEGORIES, ResNet18_Weights
from .resnet import BasicBlock, ResNet, resnet18

__all__ = [
    "IMAGENET_CATEGORIES",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "BasicBlock",
    "ResNet",
    "ResNet18_Weights",
    "image_classification",
    "resnet18",
]
