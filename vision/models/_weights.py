"""The vision weights tables: one :class:`~triptych.models.WeightsEnum` per model.

Kept apart from the model code; the builders in :mod:`.resnet` take these enums.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from triptych.models import Weights, WeightsEnum

from ._presets import image_classification

__all__ = ["IMAGENET_CATEGORIES", "MobileNet_V3_Large_Weights", "MobileNet_V3_Small_Weights",
           "ResNet18_Weights", "ResNet50_Weights", "ViT_B_16_Weights"]

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


def _imagenet(url: str, prefix: str, *, num_params: int, acc1: float, acc5: float, recipe: str,
              resize_size: int = 256, min_size: tuple[int, int] = (1, 1)) -> Weights:
    """A torchvision ImageNet-1K classification checkpoint (sha256 prefix from its file name)."""
    return Weights(
        url,
        sha256=prefix,
        sha256_is_prefix=True,
        transforms=partial(image_classification, crop_size=224, resize_size=resize_size),
        meta={
            "categories": IMAGENET_CATEGORIES,
            "num_params": num_params,
            "min_size": min_size,
            "recipe": recipe,
            "metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}},
            "license": _TORCHVISION_LICENSE,
            "source": "torchvision",
        },
    )


class ResNet50_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    """Weights of :func:`~triptych.vision.models.resnet50`.

    ``IMAGENET1K_V1`` is the original recipe; ``IMAGENET1K_V2`` (the default) torchvision's
    improved recipe, evaluated after resizing to 232.
    """

    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/resnet50-0676ba61.pth", "0676ba61",
        num_params=25557032, acc1=76.130, acc5=92.862,
        recipe="https://github.com/pytorch/vision/tree/main/references/classification#resnet")
    IMAGENET1K_V2 = _imagenet(
        "https://download.pytorch.org/models/resnet50-11ad3fa6.pth", "11ad3fa6",
        num_params=25557032, acc1=80.858, acc5=95.434, resize_size=232,
        recipe="https://github.com/pytorch/vision/issues/3995#issuecomment-1013906621")
    DEFAULT = IMAGENET1K_V2


_MOBILENET_RECIPE = ("https://github.com/pytorch/vision/tree/main/references/classification"
                     "#mobilenetv3")


class MobileNet_V3_Large_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    """Weights of :func:`~triptych.vision.models.mobilenet_v3_large`.

    ``IMAGENET1K_V1`` is the original recipe; ``IMAGENET1K_V2`` (the default, as in
    torchvision) the regularisation-tuned recipe, evaluated after resizing to 232.
    """

    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/mobilenet_v3_large-8738ca79.pth", "8738ca79",
        num_params=5483032, acc1=74.042, acc5=91.340, recipe=_MOBILENET_RECIPE)
    IMAGENET1K_V2 = _imagenet(
        "https://download.pytorch.org/models/mobilenet_v3_large-5c1a4163.pth", "5c1a4163",
        num_params=5483032, acc1=75.274, acc5=92.566, resize_size=232,
        recipe="https://github.com/pytorch/vision/issues/3995#new-recipe-with-reg-tuning")
    DEFAULT = IMAGENET1K_V2


class MobileNet_V3_Small_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    """Weights of :func:`~triptych.vision.models.mobilenet_v3_small`."""

    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/mobilenet_v3_small-047dcff4.pth", "047dcff4",
        num_params=2542856, acc1=67.668, acc5=87.402, recipe=_MOBILENET_RECIPE)
    DEFAULT = IMAGENET1K_V1


class ViT_B_16_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    """Weights of :func:`~triptych.vision.models.vit_b_16` (inputs must be 224 x 224)."""

    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/vit_b_16-c867db91.pth", "c867db91",
        num_params=86567656, acc1=81.072, acc5=95.318, min_size=(224, 224),
        recipe="https://github.com/pytorch/vision/tree/main/references/classification"
               "#vit_b_16")
    DEFAULT = IMAGENET1K_V1
