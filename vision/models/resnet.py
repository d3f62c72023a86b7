"""ResNet (He et al., 2015, "Deep Residual Learning for Image Recognition").

Parameter and buffer names follow the layout of torchvision's published checkpoints
(``conv1``, ``bn1``, ``layer1``..``layer4`` of blocks with ``conv1/bn1/conv2/bn2`` and a
``downsample`` = (1x1 conv, batch norm) where the shape changes, ``fc``; ResNet-50's
:class:`Bottleneck` blocks add ``conv3/bn3`` and take the stride on the 3x3 ``conv2``, as
torchvision's "ResNet v1.5"), so those files load
with ``strict=True``. The weight tables are in :mod:`triptych.vision.models._weights`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from triptych.models import build_model, register_model

from ._weights import ResNet18_Weights, ResNet50_Weights

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "resnet18", "resnet50"]


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and a residual connection.

    ``(B, in_channels, H, W) -> (B, channels, ceil(H / stride), ceil(W / stride))``; the
    shortcut is a strided 1x1 convolution + batch norm (``downsample``) when the shape changes.
    """

    expansion = 1

    def __init__(self, in_channels: int, channels: int, *, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.downsample: nn.Module | None = None
        if stride != 1 or in_channels != channels * self.expansion:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, channels * self.expansion, 1, stride=stride, bias=False),
                nn.BatchNorm2d(channels * self.expansion),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + shortcut)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (strided), 1x1 expand (x4), each with batch norm, plus the shortcut.

    ``(B, in_channels, H, W) -> (B, 4 * channels, ceil(H / stride), ceil(W / stride))``; the
    stride is on the 3x3 convolution (torchvision's ResNet v1.5); the shortcut is a strided 1x1
    convolution + batch norm (``downsample``) when the shape changes.
    """

    expansion = 4

    def __init__(self, in_channels: int, channels: int, *, stride: int = 1):
        super().__init__()
        out_channels = channels * self.expansion
        self.conv1 = nn.Conv2d(in_channels, channels, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.conv3 = nn.Conv2d(channels, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample: nn.Module | None = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + shortcut)


class ResNet(nn.Module):
    """A ResNet for ``(B, 3, H, W)`` images: stem, four stages, global average pool, linear head.

    Args:
        block: the residual block class (:class:`BasicBlock` or :class:`Bottleneck`).
        layers: blocks per stage, e.g. ``(2, 2, 2, 2)`` for ResNet-18.
        num_classes: outputs of the head ``fc``.
        zero_init_residual: start each block's last batch-norm scale at 0, so every block
            begins as the identity (helps some training recipes).

    ``forward_features`` gives ``(B, 512 * expansion, H / 32, W / 32)`` (rounded up);
    ``forward_head`` pools it and gives the logits ``(B, num_classes)``.
    """

    def __init__(self, block: type[BasicBlock] | type[Bottleneck], layers: Sequence[int], *,
                 num_classes: int = 1000, zero_init_residual: bool = False):
        super().__init__()
        if len(layers) != 4 or any(int(n) < 1 for n in layers):
            raise ValueError(f"layers must be 4 positive block counts, got {layers!r}")
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        channels, stages = 64, []
        for index, (width, count) in enumerate(zip((64, 128, 256, 512), layers)):
            blocks = []
            for position in range(int(count)):
                stride = 2 if index > 0 and position == 0 else 1
                blocks.append(block(channels, width, stride=stride))
                channels = width * block.expansion
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)
        self.num_features = channels

        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        if zero_init_residual:
            for module in self.modules():
                if isinstance(module, Bottleneck):
                    nn.init.zeros_(module.bn3.weight)
                elif isinstance(module, BasicBlock):
                    nn.init.zeros_(module.bn2.weight)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W) -> (B, num_features, H', W')``: everything before the pooling."""
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"ResNet expects images of shape (B, 3, H, W), got {tuple(x.shape)}")
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """``(B, num_features, H', W') -> (B, num_classes)``: pool and classify."""
        return self.fc(torch.flatten(self.avgpool(features), 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W)`` float images (normalised as the weights' transforms do) -> logits."""
        return self.forward_head(self.forward_features(x))


@register_model(weights=ResNet18_Weights)
def resnet18(*, weights: ResNet18_Weights | str | None = None, progress: bool = True,
             num_classes: int = 1000) -> ResNet:
    """ResNet-18: 11.7 M parameters; ``(B, 3, H, W)`` -> ``(B, num_classes)`` logits.

    Args:
        weights: None (random init), ``ResNet18_Weights.IMAGENET1K_V1`` / ``"DEFAULT"`` (or
            any member or its name), or a local checkpoint path or ``file://`` URL of the same
            layout. The files load with ``strict=True``.
        progress: show a download progress bar.
        num_classes: outputs of the head; must be 1000 with the ImageNet weights.

    Example:
        >>> import torch
        >>> from triptych.vision.models import resnet18
        >>> model = resnet18(num_classes=10).eval()
        >>> model(torch.rand(2, 3, 64, 64)).shape
        torch.Size([2, 10])
    """
    return build_model(ResNet18_Weights, weights,
                       lambda _: ResNet(BasicBlock, (2, 2, 2, 2), num_classes=num_classes),
                       progress=progress, num_classes=num_classes)


@register_model(weights=ResNet50_Weights)
def resnet50(*, weights: ResNet50_Weights | str | None = None, progress: bool = True,
             num_classes: int = 1000) -> ResNet:
    """ResNet-50 (v1.5, :class:`Bottleneck` blocks 3-4-6-3): 25.6 M parameters;
    ``(B, 3, H, W)`` -> ``(B, num_classes)`` logits.

    Args:
        weights: None (random init), ``ResNet50_Weights.IMAGENET1K_V1``,
            ``ResNet50_Weights.IMAGENET1K_V2`` (= ``"DEFAULT"``), a member's name, or a local
            checkpoint path / ``file://`` URL of the same layout (loaded with ``strict=True``).
        progress: show a download progress bar.
        num_classes: outputs of the head; must be 1000 with the ImageNet weights.

    Example:
        >>> import torch
        >>> from triptych.vision.models import resnet50
        >>> model = resnet50(num_classes=10).eval()
        >>> model(torch.rand(1, 3, 64, 64)).shape
        torch.Size([1, 10])
    """
    return build_model(ResNet50_Weights, weights,
                       lambda _: ResNet(Bottleneck, (3, 4, 6, 3), num_classes=num_classes),
                       progress=progress, num_classes=num_classes)
