"""Vision Transformer (Dosovitskiy et al., 2020, "An Image is Worth 16x16 Words"), ViT-B/16.

Parameter names follow torchvision's published checkpoints: ``conv_proj`` (the patch
embedding), ``class_token``, ``encoder.pos_embedding``, ``encoder.layers.encoder_layer_N``
(``ln_1``, ``self_attention`` with the packed ``in_proj_weight``/``in_proj_bias`` and
``out_proj``, ``ln_2``, ``mlp.0``/``mlp.3``), ``encoder.ln`` and ``heads.head``; so those files
load with ``strict=True``.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from functools import partial

import torch
from torch import nn

from triptych.models import build_model, register_model

from ._weights import ViT_B_16_Weights

__all__ = ["EncoderBlock", "VisionTransformer", "vit_b_16"]

_LayerNorm = partial(nn.LayerNorm, eps=1e-6)


class MLPBlock(nn.Sequential):
    """Linear (``0``), GELU, dropout, linear (``3``), dropout."""

    def __init__(self, dim: int, mlp_dim: int, dropout: float):
        super().__init__(nn.Linear(dim, mlp_dim), nn.GELU(), nn.Dropout(dropout),
                         nn.Linear(mlp_dim, dim), nn.Dropout(dropout))
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                nn.init.normal_(module.bias, std=1e-6)


class EncoderBlock(nn.Module):
    """Pre-norm transformer block: ``x + attn(ln_1(x))``, then ``+ mlp(ln_2(.))``;
    ``(B, L, dim) -> (B, L, dim)``."""

    def __init__(self, num_heads: int, dim: int, mlp_dim: int, dropout: float,
                 attention_dropout: float):
        super().__init__()
        self.ln_1 = _LayerNorm(dim)
        self.self_attention = nn.MultiheadAttention(dim, num_heads, dropout=attention_dropout,
                                                    batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.ln_2 = _LayerNorm(dim)
        self.mlp = MLPBlock(dim, mlp_dim, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.ln_1(x)
        y, _ = self.self_attention(y, y, y, need_weights=False)
        x = x + self.dropout(y)
        return x + self.mlp(self.ln_2(x))


class Encoder(nn.Module):
    """Position embedding, dropout, the blocks (``layers.encoder_layer_N``), final ``ln``."""

    def __init__(self, seq_length: int, num_layers: int, num_heads: int, dim: int, mlp_dim: int,
                 dropout: float, attention_dropout: float):
        super().__init__()
        self.pos_embedding = nn.Parameter(torch.empty(1, seq_length, dim).normal_(std=0.02))
        self.dropout = nn.Dropout(dropout)
        self.layers = nn.Sequential(OrderedDict(
            (f"encoder_layer_{i}", EncoderBlock(num_heads, dim, mlp_dim, dropout,
                                                attention_dropout))
            for i in range(num_layers)))
        self.ln = _LayerNorm(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ln(self.layers(self.dropout(x + self.pos_embedding)))


class VisionTransformer(nn.Module):
    """ViT for ``(B, 3, image_size, image_size)`` images -> ``(B, num_classes)`` logits.

    Args:
        image_size: the input side (fixed: the position embedding has one entry per patch).
        patch_size: the patch side; ``image_size`` must be a multiple of it.
        num_layers, num_heads, hidden_dim, mlp_dim: the encoder's depth and widths.
        dropout, attention_dropout: dropout probabilities.
        num_classes: outputs of ``heads.head``.
    """

    def __init__(self, *, image_size: int, patch_size: int, num_layers: int, num_heads: int,
                 hidden_dim: int, mlp_dim: int, dropout: float = 0.0,
                 attention_dropout: float = 0.0, num_classes: int = 1000):
        super().__init__()
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
        if image_size % patch_size:
            raise ValueError(f"image_size ({image_size}) must be a multiple of patch_size "
                             f"({patch_size})")
        if hidden_dim % num_heads:
            raise ValueError(f"hidden_dim ({hidden_dim}) must be a multiple of num_heads "
                             f"({num_heads})")
        self.image_size, self.patch_size, self.hidden_dim = image_size, patch_size, hidden_dim
        self.conv_proj = nn.Conv2d(3, hidden_dim, patch_size, stride=patch_size)
        seq_length = (image_size // patch_size) ** 2 + 1
        self.class_token = nn.Parameter(torch.zeros(1, 1, hidden_dim))
        self.encoder = Encoder(seq_length, num_layers, num_heads, hidden_dim, mlp_dim, dropout,
                               attention_dropout)
        self.heads = nn.Sequential(OrderedDict(head=nn.Linear(hidden_dim, num_classes)))
        self.num_features = hidden_dim

        fan_in = 3 * patch_size * patch_size
        nn.init.trunc_normal_(self.conv_proj.weight, std=math.sqrt(1 / fan_in))
        nn.init.zeros_(self.conv_proj.bias)
        nn.init.zeros_(self.heads.head.weight)
        nn.init.zeros_(self.heads.head.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, S, S) -> (B, 1 + (S / patch)^2, hidden_dim)``: the encoded tokens."""
        if x.dim() != 4 or x.shape[1] != 3 or tuple(x.shape[-2:]) != (self.image_size,) * 2:
            raise ValueError(f"VisionTransformer expects images of shape (B, 3, {self.image_size}, "
                             f"{self.image_size}), got {tuple(x.shape)}")
        x = self.conv_proj(x).flatten(2).transpose(1, 2)  # (B, patches, hidden_dim)
        x = torch.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1)
        return self.encoder(x)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """``(B, L, hidden_dim) -> (B, num_classes)`` from the class token."""
        return self.heads(features[:, 0])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, S, S)`` float images (normalised as the weights' transforms do) -> logits."""
        return self.forward_head(self.forward_features(x))


@register_model(weights=ViT_B_16_Weights)
def vit_b_16(*, weights: ViT_B_16_Weights | str | None = None, progress: bool = True,
             num_classes: int = 1000, image_size: int = 224, dropout: float = 0.0,
             attention_dropout: float = 0.0) -> VisionTransformer:
    """ViT-B/16: 86.6 M parameters; ``(B, 3, 224, 224)`` -> ``(B, num_classes)`` logits.

    Args:
        weights: None (random init), ``ViT_B_16_Weights.IMAGENET1K_V1`` / ``"DEFAULT"`` (or
            its name), or a local checkpoint path / ``file://`` URL of the same layout (loaded
            with ``strict=True``).
        progress: show a download progress bar.
        num_classes: outputs of the head; must be 1000 with the ImageNet weights.
        image_size: the input side; must be 224 with the ImageNet weights.
        dropout, attention_dropout: dropout probabilities.

    Example:
        >>> import torch
        >>> from triptych.vision.models import vit_b_16
        >>> vit_b_16(num_classes=10, image_size=32).eval()(torch.rand(1, 3, 32, 32)).shape
        torch.Size([1, 10])
    """
    def make(weights):
        if isinstance(weights, ViT_B_16_Weights) and image_size != 224:
            raise ValueError(f"image_size={image_size} does not fit {weights!r}, trained at 224")
        return VisionTransformer(image_size=image_size, patch_size=16, num_layers=12,
                                 num_heads=12, hidden_dim=768, mlp_dim=3072, dropout=dropout,
                                 attention_dropout=attention_dropout, num_classes=num_classes)

    return build_model(ViT_B_16_Weights, weights, make, progress=progress,
                       num_classes=num_classes)
