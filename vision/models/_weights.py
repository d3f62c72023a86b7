"""The vision weights tables: one :class:`~triptych.models.WeightsEnum` per model.

Kept apart from the model code; the builders in :mod:`.resnet` take these enums.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from triptych.models import Weights, WeightsEnum

from ._presets import image_classification

__all__ = ["IMAGENET_CATEGORIES", "ResNet18_Weights"]

# The 1000 ImageNet-1K class names, in class-index order, as torchvision names them.
IMAGENET_CATEGORIES: list[str] = (
    (Path(__file__).with_name("imagenet_categories.txt")).read_text(encoding="utf-8").splitlines()
)
if len(IMAGENET_CATEGORIES) != 1000:  # a packaging error, not a user error
    raise RuntimeError(f"imagenet_categories.txt has {len(IMAGENET_CATEGORIES)} names, not 1000")

_TORCHVISION_LICENSE = ("BSD-3-Clause code; the weights may carry terms of their training data "
                        "(see https://github.com/pytorch/vision#pre-trained-model-license)")


class ResNet18_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    """Weights of :func:`~triptych.vision.models.resnet18`."""

    IMAGENET1K_V1 = Weights(
        "https://download.pytorch.org/models/resnet18-f37072fd.pth",
        # torchvision publishes only the first 8 hex digits of the sha256, in the file name.
        sha256="f37072fd",
        sha256_is_prefix=True,
        size=46830571,
        transforms=partial(image_classification, crop_size=224, resize_size=256),
        meta={
            "categories": IMAGENET_CATEGORIES,
            "num_params": 11689512,
            "min_size": (1, 1),
            "recipe": "https://github.com/pytorch/vision/tree/main/references/classification#resnet",
            "metrics": {"ImageNet-1K": {"acc@1": 69.758, "acc@5": 89.078}},
            "license": _TORCHVISION_LICENSE,
            "source": "torchvision",
        },
    )
    DEFAULT = IMAGENET1K_V1
