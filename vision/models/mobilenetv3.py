"""MobileNetV3 (Howard et al., 2019, "Searching for MobileNetV3"), Small and Large.

Module and parameter names follow torchvision's published checkpoints: ``features.0`` the stem
(conv ``.0`` + batch norm ``.1``), ``features.1..N`` inverted-residual blocks whose ``.block``
holds, in order, the 1x1 expansion (when the expanded width differs from the input), the
depthwise conv, the squeeze-excitation (``fc1``/``fc2``) where used and the 1x1 projection,
then ``features.N+1`` the last 1x1 conv; ``classifier.0`` and ``classifier.3`` the two linear
layers of the head. So those files load with ``strict=True``.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import torch
from torch import nn

from triptych.models import build_model, register_model

from ._weights import MobileNet_V3_Large_Weights, MobileNet_V3_Small_Weights

__all__ = ["InvertedResidual", "MobileNetV3", "SqueezeExcitation", "mobilenet_v3_large",
           "mobilenet_v3_small"]

_BatchNorm = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)


def _make_divisible(value: float, divisor: int = 8) -> int:
    """The nearest multiple of ``divisor`` (at least ``divisor``), rounded up when rounding
    down would lose more than 10% (the MobileNet channel rule)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


class BlockConfig(NamedTuple):
    """One inverted-residual block: input/expanded/output channels, kernel, SE, activation,
    stride."""

    in_channels: int
    kernel: int
    expanded: int
    out_channels: int
    use_se: bool
    activation: str  # "RE" (ReLU) or "HS" (Hardswish)
    stride: int


def _conv_bn(in_channels: int, out_channels: int, kernel: int, *, stride: int = 1,
             groups: int = 1, activation: type[nn.Module] | None = None) -> nn.Sequential:
    """conv (``.0``) + batch norm (``.1``) [+ activation (``.2``)]."""
    layers: list[nn.Module] = [
        nn.Conv2d(in_channels, out_channels, kernel, stride=stride, padding=(kernel - 1) // 2,
                  groups=groups, bias=False),
        _BatchNorm(out_channels),
    ]
    if activation is not None:
        layers.append(activation(inplace=True))
    return nn.Sequential(*layers)


class SqueezeExcitation(nn.Module):
    """Channel attention: ``x * hardsigmoid(fc2(relu(fc1(mean_hw(x)))))``; shape-preserving."""

    def __init__(self, channels: int, squeeze: int):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.activation = nn.ReLU()
        self.scale_activation = nn.Hardsigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.fc2(self.activation(self.fc1(self.avgpool(x))))
        return x * self.scale_activation(scale)


class InvertedResidual(nn.Module):
    """Expand (1x1), depthwise (k x k, strided), [squeeze-excite], project (1x1, linear);
    a residual connection when the stride is 1 and the widths agree."""

    def __init__(self, cfg: BlockConfig):
        super().__init__()
        if cfg.stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {cfg.stride}")
        act = nn.Hardswish if cfg.activation == "HS" else nn.ReLU
        layers: list[nn.Module] = []
        if cfg.expanded != cfg.in_channels:
            layers.append(_conv_bn(cfg.in_channels, cfg.expanded, 1, activation=act))
        layers.append(_conv_bn(cfg.expanded, cfg.expanded, cfg.kernel, stride=cfg.stride,
                               groups=cfg.expanded, activation=act))
        if cfg.use_se:
            layers.append(SqueezeExcitation(cfg.expanded, _make_divisible(cfg.expanded // 4)))
        layers.append(_conv_bn(cfg.expanded, cfg.out_channels, 1))
        self.block = nn.Sequential(*layers)
        self.use_res_connect = cfg.stride == 1 and cfg.in_channels == cfg.out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.block(x)
        return out + x if self.use_res_connect else out


_LARGE = [BlockConfig(*row) for row in (
    (16, 3, 16, 16, False, "RE", 1), (16, 3, 64, 24, False, "RE", 2),
    (24, 3, 72, 24, False, "RE", 1), (24, 5, 72, 40, True, "RE", 2),
    (40, 5, 120, 40, True, "RE", 1), (40, 5, 120, 40, True, "RE", 1),
    (40, 3, 240, 80, False, "HS", 2), (80, 3, 200, 80, False, "HS", 1),
    (80, 3, 184, 80, False, "HS", 1), (80, 3, 184, 80, False, "HS", 1),
    (80, 3, 480, 112, True, "HS", 1), (112, 3, 672, 112, True, "HS", 1),
    (112, 5, 672, 160, True, "HS", 2), (160, 5, 960, 160, True, "HS", 1),
    (160, 5, 960, 160, True, "HS", 1))]
_SMALL = [BlockConfig(*row) for row in (
    (16, 3, 16, 16, True, "RE", 2), (16, 3, 72, 24, False, "RE", 2),
    (24, 3, 88, 24, False, "RE", 1), (24, 5, 96, 40, True, "HS", 2),
    (40, 5, 240, 40, True, "HS", 1), (40, 5, 240, 40, True, "HS", 1),
    (40, 5, 120, 48, True, "HS", 1), (48, 5, 144, 48, True, "HS", 1),
    (48, 5, 288, 96, True, "HS", 2), (96, 5, 576, 96, True, "HS", 1),
    (96, 5, 576, 96, True, "HS", 1))]


class MobileNetV3(nn.Module):
    """MobileNetV3 for ``(B, 3, H, W)`` images -> ``(B, num_classes)`` logits.

    Args:
        blocks: the inverted-residual table (see :func:`mobilenet_v3_large`).
        last_channel: width of the hidden layer of the head.
        num_classes: outputs of the head.
        dropout: dropout probability in the head.

    ``forward_features`` gives ``(B, 6 * blocks[-1].out_channels, H / 32, W / 32)`` (rounded up).
    """

    def __init__(self, blocks: list[BlockConfig], last_channel: int, *, num_classes: int = 1000,
                 dropout: float = 0.2):
        super().__init__()
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        layers: list[nn.Module] = [_conv_bn(3, blocks[0].in_channels, 3, stride=2,
                                            activation=nn.Hardswish)]
        layers += [InvertedResidual(cfg) for cfg in blocks]
        last_in = blocks[-1].out_channels
        layers.append(_conv_bn(last_in, 6 * last_in, 1, activation=nn.Hardswish))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Linear(6 * last_in, last_channel), nn.Hardswish(inplace=True),
            nn.Dropout(p=dropout, inplace=True), nn.Linear(last_channel, num_classes))
        self.num_features = 6 * last_in

        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out")
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, 0, 0.01)
                nn.init.zeros_(module.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W) -> (B, num_features, H', W')``."""
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"MobileNetV3 expects images of shape (B, 3, H, W), "
                             f"got {tuple(x.shape)}")
        return self.features(x)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """``(B, num_features, H', W') -> (B, num_classes)``."""
        return self.classifier(torch.flatten(self.avgpool(features), 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W)`` float images (normalised as the weights' transforms do) -> logits."""
        return self.forward_head(self.forward_features(x))


def _build(weights, enum_cls, blocks, last_channel, progress, num_classes, dropout):
    return build_model(enum_cls, weights,
                       lambda _: MobileNetV3(blocks, last_channel, num_classes=num_classes,
                                             dropout=dropout),
                       progress=progress, num_classes=num_classes)


@register_model(weights=MobileNet_V3_Large_Weights)
def mobilenet_v3_large(*, weights: MobileNet_V3_Large_Weights | str | None = None,
                       progress: bool = True, num_classes: int = 1000,
                       dropout: float = 0.2) -> MobileNetV3:
    """MobileNetV3-Large: 5.5 M parameters; ``(B, 3, H, W)`` -> ``(B, num_classes)`` logits.

    Args:
        weights: None (random init), ``MobileNet_V3_Large_Weights.IMAGENET1K_V1`` /
            ``"DEFAULT"`` (or its name), or a local checkpoint path / ``file://`` URL of the
            same layout (loaded with ``strict=True``).
        progress: show a download progress bar.
        num_classes: outputs of the head; must be 1000 with the ImageNet weights.
        dropout: dropout probability in the head.

    Example:
        >>> import torch
        >>> from triptych.vision.models import mobilenet_v3_large
        >>> mobilenet_v3_large(num_classes=10).eval()(torch.rand(1, 3, 64, 64)).shape
        torch.Size([1, 10])
    """
    return _build(weights, MobileNet_V3_Large_Weights, _LARGE, 1280, progress, num_classes,
                  dropout)


@register_model(weights=MobileNet_V3_Small_Weights)
def mobilenet_v3_small(*, weights: MobileNet_V3_Small_Weights | str | None = None,
                       progress: bool = True, num_classes: int = 1000,
                       dropout: float = 0.2) -> MobileNetV3:
    """MobileNetV3-Small: 2.5 M parameters; ``(B, 3, H, W)`` -> ``(B, num_classes)`` logits.

    Args: as :func:`mobilenet_v3_large`, with ``MobileNet_V3_Small_Weights``.

    Example:
        >>> import torch
        >>> from triptych.vision.models import mobilenet_v3_small
        >>> mobilenet_v3_small(num_classes=10).eval()(torch.rand(1, 3, 64, 64)).shape
        torch.Size([1, 10])
    """
    return _build(weights, MobileNet_V3_Small_Weights, _SMALL, 1024, progress, num_classes,
                  dropout)
