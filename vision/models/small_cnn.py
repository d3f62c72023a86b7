"""SmallCNN: a few-hundred-thousand-parameter image classifier that trains in seconds on a CPU.

The model ``examples/train_vision.py`` trains. It has no published weights: ``weights=`` takes a
checkpoint of its own (a path or a ``file://`` URL), e.g. the one the example saves.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from triptych.models import build_model, register_model

__all__ = ["SmallCNN", "small_cnn"]


class SmallCNN(nn.Module):
    """3x3 conv-BN-ReLU stages, each then halving the resolution, global average pool, dropout,
    linear.

    Args:
        num_classes: outputs of the head.
        widths: channels of the stages (each: 3x3 conv-BN-ReLU, then 2x2 max pool).
        dropout: dropout probability before the head.

    ``(B, 3, H, W)`` float images -> ``(B, num_classes)`` logits; ``H, W`` at least
    ``2 ** len(widths)``.
    """

    def __init__(self, *, num_classes: int = 10, widths: Sequence[int] = (16, 32, 64, 128),
                 dropout: float = 0.1):
        super().__init__()
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
        if len(widths) < 1 or any(int(w) < 1 for w in widths):
            raise ValueError(f"widths must be one or more positive channel counts, got {widths!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        layers: list[nn.Module] = []
        channels = 3
        for width in widths:
            layers += [nn.Conv2d(channels, int(width), 3, padding=1, bias=False),
                       nn.BatchNorm2d(int(width)), nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            channels = int(width)
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(channels, num_classes))
        self.num_features = channels
        self._min_size = 2 ** len(widths)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W)`` -> ``(B, num_classes)``."""
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"SmallCNN expects images of shape (B, 3, H, W), got {tuple(x.shape)}")
        if min(x.shape[-2:]) < self._min_size:
            raise ValueError(f"SmallCNN needs H, W >= {self._min_size}, got {tuple(x.shape[-2:])}")
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


@register_model()
def small_cnn(*, weights: str | None = None, progress: bool = True, num_classes: int = 10,
              widths: Sequence[int] = (16, 32, 64, 128), dropout: float = 0.1) -> SmallCNN:
    """A small CNN for quick training runs (the vision example's model).

    Args:
        weights: None (random init), or a checkpoint of this model's layout: a local path or a
            ``file://`` URL (``.safetensors`` or a ``torch.save``-d state_dict). There are no
            published weights.
        progress: unused (there is nothing to download); kept for the builders' signature.
        num_classes, widths, dropout: see :class:`SmallCNN`; must match the checkpoint.

    Example:
        >>> import torch
        >>> from triptych.models import get_model
        >>> model = get_model("small_cnn", num_classes=5).eval()
        >>> model(torch.rand(2, 3, 32, 32)).shape
        torch.Size([2, 5])
    """
    return build_model(None, weights,
                       lambda _: SmallCNN(num_classes=num_classes, widths=widths, dropout=dropout),
                       progress=progress)
