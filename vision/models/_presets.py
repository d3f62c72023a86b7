"""Inference preprocessing that the weights tables name (``Weights.transforms``)."""

from __future__ import annotations

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def image_classification(*, crop_size: int = 224, resize_size: int = 256,
                         mean: tuple[float, ...] = IMAGENET_MEAN,
                         std: tuple[float, ...] = IMAGENET_STD,
                         interpolation: str = "bilinear", antialias: bool = True):
    """Resize the shorter side to ``resize_size``, centre-crop ``crop_size``, scale to [0, 1] and
    normalise: the evaluation preprocessing of torchvision's ImageNet classifiers.

    Takes a PIL image, a uint8 or float tensor ``(3, H, W)`` or a batch ``(B, 3, H, W)``;
    returns float32 ``(..., 3, crop_size, crop_size)``.

    Example:
        >>> import torch
        >>> preprocess = image_classification()
        >>> preprocess(torch.randint(0, 256, (3, 300, 400), dtype=torch.uint8)).shape
        torch.Size([3, 224, 224])
    """
    import torch

    from triptych.vision import transforms as T

    return T.Compose([
        T.PILToTensor(),
        T.Resize(resize_size, interpolation=interpolation, antialias=antialias),
        T.CenterCrop(crop_size),
        T.ToDtype(torch.float32, scale=True),
        T.Normalize(list(mean), list(std)),
    ])
