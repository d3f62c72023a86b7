"""RoBERTa (Liu et al., 2019) and XLM-R (Conneau et al., 2020) encoders and a classification head.

Parameter names and shapes are those of Hugging Face ``RobertaModel(add_pooling_layer=False)``
(``embeddings.word_embeddings``, ``embeddings.position_embeddings``,
``embeddings.token_type_embeddings``, ``embeddings.LayerNorm``, ``encoder.layer.N.attention.self
.query/key/value``, ``attention.output.dense/LayerNorm``, ``intermediate.dense``,
``output.dense/LayerNorm``) and of ``RobertaForSequenceClassification`` (``roberta.*`` +
``classifier.dense`` / ``classifier.out_proj``), so the published files load with ``strict=True``:
the hub files hold the encoder under a ``roberta.`` prefix beside the masked-LM head
(``lm_head.*``), which the encoder does not use and the loader leaves out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from triptych.models import load_weights, register_model

from ._weights import RoBERTa_Base_Weights, XLMR_Base_Weights

__all__ = ["RobertaClassifier", "RobertaEncoder", "roberta_base", "roberta_position_ids",
           "xlmr_base"]


def roberta_position_ids(input_ids: torch.Tensor, padding_idx: int) -> torch.Tensor:
    """Position ids as RoBERTa counts them: ``padding_idx + 1, padding_idx + 2, ...`` over the
    tokens that are not padding, ``padding_idx`` on padding. ``(B, T)`` -> ``(B, T)`` int64.

    Example:
        >>> import torch
        >>> roberta_position_ids(torch.tensor([[0, 7, 2, 1, 1], [1, 0, 7, 2, 1]]), padding_idx=1)
        tensor([[2, 3, 4, 1, 1],
                [1, 2, 3, 4, 1]])
    """
    not_pad = input_ids.ne(padding_idx).long()
    return torch.cumsum(not_pad, dim=1) * not_pad + padding_idx


class RobertaEmbeddings(nn.Module):
    """Token + position (padding-offset) + token-type embeddings, LayerNorm, dropout."""

    def __init__(self, vocab_size: int, hidden_size: int, max_positions: int, type_vocab_size: int,
                 padding_idx: int, layer_norm_eps: float, dropout: float):
        super().__init__()
        self.padding_idx = padding_idx
        self.word_embeddings = nn.Embedding(vocab_size, hidden_size, padding_idx=padding_idx)
        self.position_embeddings = nn.Embedding(max_positions, hidden_size, padding_idx=padding_idx)
        self.token_type_embeddings = nn.Embedding(type_vocab_size, hidden_size)
        self.LayerNorm = nn.LayerNorm(hidden_size, eps=layer_norm_eps)  # noqa: N815 - checkpoint name
        self.dropout = nn.Dropout(dropout)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        positions = roberta_position_ids(input_ids, self.padding_idx)
        x = (self.word_embeddings(input_ids) + self.position_embeddings(positions)
             + self.token_type_embeddings.weight[0])  # token type 0 everywhere
        return self.dropout(self.LayerNorm(x))


class _SelfAttention(nn.Module):
    def __init__(self, hidden_size: int, num_heads: int, dropout: float):
        super().__init__()
        self.num_heads = num_heads
        self.dropout = dropout
        self.query = nn.Linear(hidden_size, hidden_size)
        self.key = nn.Linear(hidden_size, hidden_size)
        self.value = nn.Linear(hidden_size, hidden_size)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        b, t, d = x.shape

        def heads(proj: nn.Linear) -> torch.Tensor:
            return proj(x).view(b, t, self.num_heads, d // self.num_heads).transpose(1, 2)

        y = F.scaled_dot_product_attention(heads(self.query), heads(self.key), heads(self.value),
                                           attn_mask=mask,
                                           dropout_p=self.dropout if self.training else 0.0)
        return y.transpose(1, 2).reshape(b, t, d)


class _DenseAddNorm(nn.Module):
    """``LayerNorm(residual + dropout(dense(x)))``: the ``attention.output`` and ``output`` parts."""

    def __init__(self, in_features: int, hidden_size: int, layer_norm_eps: float, dropout: float):
        super().__init__()
        self.dense = nn.Linear(in_features, hidden_size)
        self.LayerNorm = nn.LayerNorm(hidden_size, eps=layer_norm_eps)  # noqa: N815
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(residual + self.dropout(self.dense(x)))


class _Attention(nn.Module):
    def __init__(self, hidden_size: int, num_heads: int, layer_norm_eps: float, dropout: float,
                 attention_dropout: float):
        super().__init__()
        self.self = _SelfAttention(hidden_size, num_heads, attention_dropout)
        self.output = _DenseAddNorm(hidden_size, hidden_size, layer_norm_eps, dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        return self.output(self.self(x, mask), x)


class _Intermediate(nn.Module):
    def __init__(self, hidden_size: int, intermediate_size: int):
        super().__init__()
        self.dense = nn.Linear(hidden_size, intermediate_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(self.dense(x))  # exact (erf) GELU, as the checkpoints were trained


class RobertaLayer(nn.Module):
    """Post-LayerNorm transformer block: attention + add & norm, GELU MLP + add & norm."""

    def __init__(self, hidden_size: int, num_heads: int, intermediate_size: int,
                 layer_norm_eps: float, dropout: float, attention_dropout: float):
        super().__init__()
        self.attention = _Attention(hidden_size, num_heads, layer_norm_eps, dropout,
                                    attention_dropout)
        self.intermediate = _Intermediate(hidden_size, intermediate_size)
        self.output = _DenseAddNorm(intermediate_size, hidden_size, layer_norm_eps, dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        x = self.attention(x, mask)
        return self.output(self.intermediate(x), x)


class _Encoder(nn.Module):
    def __init__(self, layers: list[RobertaLayer]):
        super().__init__()
        self.layer = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        for block in self.layer:
            x = block(x, mask)
        return x


class RobertaEncoder(nn.Module):
    """RoBERTa / XLM-R encoder: ``(B, T)`` token ids -> ``(B, T, hidden_size)`` last hidden states.

    Args:
        vocab_size: rows of the token embedding.
        hidden_size, num_layers, num_heads, intermediate_size: widths and depth.
        max_positions: rows of the position embedding; sequences may have up to
            ``max_positions - padding_idx - 1`` tokens (512 for the published models).
        type_vocab_size: rows of the token-type embedding (1 in RoBERTa / XLM-R; type 0 is used).
        padding_idx: the padding token id (1), also the position offset.
        layer_norm_eps: LayerNorm epsilon (1e-5).
        dropout, attention_dropout: dropout probabilities (training only).

    Example:
        >>> import torch
        >>> encoder = RobertaEncoder(vocab_size=100, hidden_size=16, num_layers=1, num_heads=2,
        ...                          intermediate_size=32, max_positions=34).eval()
        >>> ids = torch.tensor([[0, 5, 6, 2], [0, 7, 2, 1]])
        >>> encoder(ids, attention_mask=ids.ne(1)).shape
        torch.Size([2, 4, 16])
    """

    def __init__(self, *, vocab_size: int, hidden_size: int = 768, num_layers: int = 12,
                 num_heads: int = 12, intermediate_size: int = 3072, max_positions: int = 514,
                 type_vocab_size: int = 1, padding_idx: int = 1, layer_norm_eps: float = 1e-5,
                 dropout: float = 0.1, attention_dropout: float = 0.1):
        super().__init__()
        for name, value in (("vocab_size", vocab_size), ("hidden_size", hidden_size),
                            ("num_layers", num_layers), ("num_heads", num_heads),
                            ("intermediate_size", intermediate_size),
                            ("type_vocab_size", type_vocab_size)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if hidden_size % num_heads:
            raise ValueError(f"hidden_size ({hidden_size}) must be a multiple of num_heads "
                             f"({num_heads})")
        if not 0 <= padding_idx < min(vocab_size, max_positions - 1):
            raise ValueError(f"padding_idx must be in [0, {min(vocab_size, max_positions - 1)}), "
                             f"got {padding_idx}")
        self.hidden_size = hidden_size
        self.padding_idx = padding_idx
        self.max_length = max_positions - padding_idx - 1
        self.embeddings = RobertaEmbeddings(vocab_size, hidden_size, max_positions,
                                            type_vocab_size, padding_idx, layer_norm_eps, dropout)
        self.encoder = _Encoder([RobertaLayer(hidden_size, num_heads, intermediate_size,
                                              layer_norm_eps, dropout, attention_dropout)
                                 for _ in range(num_layers)])
        self.apply(_init_weights)

    def forward(self, input_ids: torch.Tensor,
                attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """``input_ids`` ``(B, T)`` int64 (``T`` <= ``max_length``); ``attention_mask`` ``(B, T)``,
        1/True for tokens to attend to, 0/False for padding (None: attend to every token, as
        Hugging Face does; pass ``input_ids.ne(padding_idx)`` for a padded batch).
        Returns ``(B, T, hidden_size)`` float."""
        if input_ids.dim() != 2:
            raise ValueError(f"input_ids must have shape (B, T), got {tuple(input_ids.shape)}")
        if input_ids.dtype not in (torch.int64, torch.int32):
            raise TypeError(f"input_ids must be int64 or int32, got {input_ids.dtype}")
        # A message built before the check (not from the traced length) keeps torch.compile's
        # graph whole; eager and export still raise it for too long an input.
        message = (f"input_ids: at most {self.max_length} tokens per sequence (the position "
                   "table's size)")
        torch._check(input_ids.shape[1] <= self.max_length, lambda: message)
        x = self.embeddings(input_ids)
        mask = None
        if attention_mask is not None:
            if attention_mask.shape != input_ids.shape:
                raise ValueError(f"attention_mask must have the shape of input_ids "
                                 f"{tuple(input_ids.shape)}, got {tuple(attention_mask.shape)}")
            # additive mask, (B, 1, 1, T): a fully masked row still gives finite outputs
            keep = attention_mask[:, None, None, :].to(torch.bool)
            mask = torch.zeros(keep.shape, dtype=x.dtype, device=x.device).masked_fill(
                ~keep, torch.finfo(x.dtype).min)
        return self.encoder(x, mask)

    def example_inputs(self, *, batch_size: int = 2, length: int = 16,
                       generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
        """A small random batch for compile / export / ONNX checks (:mod:`triptych.deploy`'s
        convention): ``(input_ids (B, length) between <s> and </s>, attention_mask (B, length))``,
        the second sequence padded after half its length."""
        for option, value in (("batch_size", batch_size), ("length", length)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{option} must be a positive int, got {value!r}")
        if length > self.max_length:
            raise ValueError(f"length must be at most {self.max_length} (the position table's "
                             f"size), got {length}")
        ids = torch.randint(3, self.embeddings.word_embeddings.num_embeddings,
                            (batch_size, length), generator=generator)
        ids[:, 0], ids[:, -1] = 0, 2
        mask = torch.ones(batch_size, length, dtype=torch.int64)
        if batch_size > 1:
            mask[1:, length // 2:] = 0
            ids[1:, length // 2:] = self.padding_idx
        return ids, mask


class RobertaClassificationHead(nn.Module):
    """``features[:, 0]`` (the ``<s>`` token) -> dropout, dense, tanh, dropout, ``out_proj``."""

    def __init__(self, hidden_size: int, num_classes: int, dropout: float):
        super().__init__()
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.out_proj = nn.Linear(hidden_size, num_classes)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        x = self.dropout(features[:, 0])
        x = self.dropout(torch.tanh(self.dense(x)))
        return self.out_proj(x)


class RobertaClassifier(nn.Module):
    """A :class:`RobertaEncoder` (``roberta``) with a sequence-classification head
    (``classifier``): ``(B, T)`` ids -> ``(B, num_classes)`` logits. The layout of Hugging Face
    ``RobertaForSequenceClassification`` / ``XLMRobertaForSequenceClassification``.

    Example:
        >>> import torch
        >>> encoder = RobertaEncoder(vocab_size=100, hidden_size=16, num_layers=1, num_heads=2,
        ...                          intermediate_size=32, max_positions=34)
        >>> model = RobertaClassifier(encoder, num_classes=3).eval()
        >>> model(torch.tensor([[0, 5, 6, 2]])).shape
        torch.Size([1, 3])
    """

    def __init__(self, encoder: RobertaEncoder, num_classes: int, *, dropout: float = 0.1):
        super().__init__()
        if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 1:
            raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
        self.roberta = encoder
        self.classifier = RobertaClassificationHead(encoder.hidden_size, num_classes, dropout)
        self.classifier.apply(_init_weights)

    def example_inputs(self, **kwargs) -> tuple[torch.Tensor, ...]:
        """The encoder's :meth:`RobertaEncoder.example_inputs`."""
        return self.roberta.example_inputs(**kwargs)

    def forward_features(self, input_ids: torch.Tensor,
                         attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """``(B, T)`` -> ``(B, T, hidden_size)``: the encoder's last hidden states."""
        return self.roberta(input_ids, attention_mask)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """``(B, T, hidden_size)`` -> ``(B, num_classes)``."""
        return self.classifier(features)

    def forward(self, input_ids: torch.Tensor,
                attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.forward_head(self.forward_features(input_ids, attention_mask))


def _init_weights(module: nn.Module) -> None:
    """BERT's initialisation: normal(0, 0.02) weights, zero biases, unit LayerNorm."""
    if isinstance(module, (nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, std=0.02)
    if isinstance(module, nn.Linear) and module.bias is not None:
        nn.init.zeros_(module.bias)
    if isinstance(module, nn.Embedding) and module.padding_idx is not None:
        with torch.no_grad():
            module.weight[module.padding_idx].zero_()
    if isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


# ------------------------------------------------------------------------------ checkpoints
# Tensors of the published files that the encoder has no use for: the masked-LM head, the
# pooler (not part of the last hidden states) and buffers some files carry (arange / zeros).
_UNUSED = ("lm_head.", "pooler.", "roberta.pooler.")
_UNUSED_BUFFERS = ("embeddings.position_ids", "embeddings.token_type_ids")


def hub_to_encoder_state(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Keys of a Hugging Face RoBERTa / XLM-R file (``roberta.`` prefix, ``lm_head``, ...) as
    :class:`RobertaEncoder` names them; a file without the prefix is taken as it is."""
    out = {}
    for key, value in state.items():
        name = key.removeprefix("roberta.")
        if key.startswith(_UNUSED) or name in _UNUSED_BUFFERS:
            continue
        out[name] = value
    return out


class _HubLayout:
    """A weights record whose state dict is read through ``adapt`` (for :func:`load_weights`)."""

    def __init__(self, weights: Any, adapt: Callable[[Mapping], dict]):
        self.weights, self.adapt = weights, adapt

    @property
    def full_name(self) -> str:
        return self.weights.full_name

    def get_state_dict(self, **kwargs: Any) -> dict[str, torch.Tensor]:
        return self.adapt(self.weights.get_state_dict(**kwargs))


def load_roberta_weights(model: RobertaEncoder | RobertaClassifier, weights: Any, *,
                         progress: bool = True) -> None:
    """Load a RoBERTa / XLM-R checkpoint strictly (every tensor the model has, of its shape).

    Takes the hub layout (``roberta.`` prefix, masked-LM head left out), the bare encoder
    layout, or a sequence-classification file. Into a :class:`RobertaClassifier`, a file without
    ``classifier.*`` tensors (a pretrained encoder) loads the encoder and keeps the new head.
    """
    if isinstance(model, RobertaEncoder):
        load_weights(model, _HubLayout(weights, hub_to_encoder_state), progress=progress)
        return
    state = weights.get_state_dict(progress=progress)
    head = {k: v for k, v in state.items() if k.startswith("classifier.")}
    body = hub_to_encoder_state({k: v for k, v in state.items() if not k.startswith("classifier.")})
    if not head:
        load_weights(model.roberta, _HubLayout(weights, lambda _: body), progress=progress)
        return
    full = {**{f"roberta.{k}": v for k, v in body.items()}, **head}
    load_weights(model, _HubLayout(weights, lambda _: full), progress=progress)


_BASE = dict(hidden_size=768, num_layers=12, num_heads=12, intermediate_size=3072,
             max_positions=514, type_vocab_size=1, padding_idx=1, layer_norm_eps=1e-5)


def _build(weights_enum, weights: Any, *, vocab_size: int, progress: bool,
           num_classes: int | None, dropout: float, attention_dropout: float):
    weights = weights_enum.verify(weights)
    encoder = RobertaEncoder(vocab_size=vocab_size, dropout=dropout,
                             attention_dropout=attention_dropout, **_BASE)
    model = encoder if num_classes is None else RobertaClassifier(encoder, num_classes,
                                                                  dropout=dropout)
    if weights is not None:
        load_roberta_weights(model, weights, progress=progress)
    return model


@register_model(weights=RoBERTa_Base_Weights)
def roberta_base(*, weights: RoBERTa_Base_Weights | str | None = None, progress: bool = True,
                 num_classes: int | None = None, dropout: float = 0.1,
                 attention_dropout: float = 0.1) -> RobertaEncoder | RobertaClassifier:
    """RoBERTa-base: 12 layers, 768 wide, 50 265 byte-level BPE tokens (124.6 M parameters).

    Args:
        weights: None (random init), ``RoBERTa_Base_Weights.DEFAULT`` (``FacebookAI/roberta-base``
            from the Hugging Face hub; ``weights.transforms()`` gives its text transform) or its
            name, or a local checkpoint / ``file://`` URL in the hub, encoder or classifier layout.
        progress: show a download progress bar.
        num_classes: None: the encoder, ``(B, T)`` -> ``(B, T, 768)``; an int: a
            :class:`RobertaClassifier`, ``(B, T)`` -> ``(B, num_classes)`` (with pretrained
            encoder weights the head starts fresh).
        dropout, attention_dropout: dropout probabilities (training only).

    Example:
        >>> import torch
        >>> from triptych.text.models import roberta_base
        >>> with torch.device("meta"):
        ...     model = roberta_base()
        >>> model(torch.zeros(2, 7, dtype=torch.long, device="meta")).shape
        torch.Size([2, 7, 768])
    """
    return _build(RoBERTa_Base_Weights, weights, vocab_size=50265, progress=progress,
                  num_classes=num_classes, dropout=dropout, attention_dropout=attention_dropout)


@register_model(weights=XLMR_Base_Weights)
def xlmr_base(*, weights: XLMR_Base_Weights | str | None = None, progress: bool = True,
              num_classes: int | None = None, dropout: float = 0.1,
              attention_dropout: float = 0.1) -> RobertaEncoder | RobertaClassifier:
    """XLM-R base: RoBERTa-base's architecture with a 250 002-token SentencePiece vocabulary
    (278 M parameters), trained on 100 languages.

    Args: as :func:`roberta_base`; the weights are ``XLMR_Base_Weights``
    (``FacebookAI/xlm-roberta-base``).

    Example:
        >>> import torch
        >>> from triptych.text.models import xlmr_base
        >>> with torch.device("meta"):
        ...     model = xlmr_base(num_classes=4)
        >>> model(torch.zeros(2, 7, dtype=torch.long, device="meta")).shape
        torch.Size([2, 4])
    """
    return _build(XLMR_Base_Weights, weights, vocab_size=250002, progress=progress,
                  num_classes=num_classes, dropout=dropout, attention_dropout=attention_dropout)

