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
from ._weights import (
    IMAGENET_CATEGORIES,
    MobileNet_V3_Large_Weights,
    MobileNet_V3_Small_Weights,
    ResNet18_Weights,
    ResNet50_Weights,
    ViT_B_16_Weights,
)
from .mobilenetv3 import MobileNetV3, mobilenet_v3_large, mobilenet_v3_small
from .resnet import BasicBlock, Bottleneck, ResNet, resnet18, resnet50
from .small_cnn import SmallCNN, small_cnn
from .vision_transformer import VisionTransformer, vit_b_16

__all__ = [
    "IMAGENET_CATEGORIES",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "BasicBlock",
    "Bottleneck",
    "MobileNetV3",
    "MobileNet_V3_Large_Weights",
    "MobileNet_V3_Small_Weights",
    "ResNet",
    "ResNet18_Weights",
    "ResNet50_Weights",
    "SmallCNN",
    "ViT_B_16_Weights",
    "VisionTransformer",
    "image_classification",
    "mobilenet_v3_large",
    "mobilenet_v3_small",
    "resnet18",
    "resnet50",
    "small_cnn",
    "vit_b_16",
]
