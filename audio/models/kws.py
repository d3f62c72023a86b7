"""KWSCNN: a small keyword-spotting CNN on log-mel spectrograms that trains in seconds on a CPU.

The model ``examples/train_audio.py`` trains. The front end (``MelSpectrogram`` then a log) is
not part of the model, so the model exports, compiles and quantizes as a plain CNN. It has no
published weights: ``weights=`` takes a checkpoint of its own (a path or a ``file://`` URL),
e.g. the one the example saves.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from triptych.models import build_model, register_model

__all__ = ["KWSCNN", "kws_cnn"]


class KWSCNN(nn.Module):
    """Input batch norm, then 3x3 conv-BN-ReLU stages each halving frequency and time (the first
    by a stride-2 convolution, the others by 2x2 max pooling), global average pool, dropout,
    linear.

    Args:
        num_classes: outputs of the head (Speech Commands' 12-class task: 12).
        in_channels: feature channels (1 for a log-mel spectrogram).
        widths: channels of the stages.
        dropout: dropout probability before the head.

    ``(B, in_channels, n_mels, frames)`` float features -> ``(B, num_classes)`` logits;
    ``n_mels`` and ``frames`` at least ``2 ** len(widths)``.
    """

    def __init__(self, *, num_classes: int = 12, in_channels: int = 1,
                 widths: Sequence[int] = (16, 32, 64, 96), dropout: float = 0.1):
        super().__init__()
        for option, value in (("num_classes", num_classes), ("in_channels", in_channels)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{option} must be a positive int, got {value!r}")
        if len(widths) < 1 or any(int(w) < 1 for w in widths):
            raise ValueError(f"widths must be one or more positive channel counts, got {widths!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        # Log-mel levels depend on the recording gain: a batch norm on the input learns the
        # scale instead of the front end hard-coding one.
        layers: list[nn.Module] = [nn.BatchNorm2d(in_channels)]
        channels = in_channels
        for stage, width in enumerate(widths):
            # The first stage strides instead of pooling: at full resolution it would cost as
            # much as all the others together.
            stride = 2 if stage == 0 else 1
            layers += [nn.Conv2d(channels, int(width), 3, stride=stride, padding=1, bias=False),
                       nn.BatchNorm2d(int(width)), nn.ReLU(inplace=True)]
            if stage > 0:
                layers.append(nn.MaxPool2d(2))
            channels = int(width)
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(channels, num_classes))
        self.in_channels = in_channels
        self.num_features = channels
        self._min_size = 2 ** len(widths)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, in_channels, n_mels, frames)`` -> ``(B, num_classes)``."""
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"KWSCNN expects features of shape (B, {self.in_channels}, n_mels, "
                             f"frames), got {tuple(x.shape)}")
        if min(x.shape[-2:]) < self._min_size:
            raise ValueError(f"KWSCNN needs n_mels, frames >= {self._min_size}, "
                             f"got {tuple(x.shape[-2:])}")
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))

    def example_inputs(self, *, batch_size: int = 2, n_mels: int = 40, frames: int = 64,
                       generator: torch.Generator | None = None) -> tuple[torch.Tensor]:
        """A small random batch for compile / export / ONNX checks (:mod:`triptych.deploy`'s
        convention): ``(batch_size, in_channels, n_mels, frames)`` standard-normal features."""
        for option, value in (("batch_size", batch_size), ("n_mels", n_mels), ("frames", frames)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{option} must be a positive int, got {value!r}")
        return (torch.randn(batch_size, self.in_channels, n_mels, frames, generator=generator),)


@register_model()
def kws_cnn(*, weights: str | None = None, progress: bool = True, num_classes: int = 12,
            in_channels: int = 1, widths: Sequence[int] = (16, 32, 64, 96),
            dropout: float = 0.1) -> KWSCNN:
    """A small keyword-spotting CNN on log-mel spectrograms (the audio example's model).

    Args:
        weights: None (random init), or a checkpoint of this model's layout: a local path or a
            ``file://`` URL (``.safetensors`` or a ``torch.save``-d state_dict). There are no
            published weights.
        progress: unused (there is nothing to download); kept for the builders' signature.
        num_classes, in_channels, widths, dropout: see :class:`KWSCNN`; must match the
            checkpoint.

    Example:
        >>> import torch
        >>> from triptych.models import get_model
        >>> model = get_model("kws_cnn", num_classes=12).eval()
        >>> model(torch.randn(2, 1, 40, 101)).shape  # (B, 1, n_mels, frames)
        torch.Size([2, 12])
    """
    return build_model(None, weights,
                       lambda _: KWSCNN(num_classes=num_classes, in_channels=in_channels,
                                        widths=widths, dropout=dropout),
                       progress=progress)
