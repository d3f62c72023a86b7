"""wav2vec 2.0 (Baevski et al., 2020): the model, its builders, and the CTC speech-recognition bundle.

Module and parameter names follow ``torchaudio.models.Wav2Vec2Model``, so torchaudio's published
checkpoints load with ``strict=True``:

* ``feature_extractor.conv_layers.N``: ``conv`` (Conv1d) then, in ``"group_norm"`` mode, a
  ``layer_norm`` (GroupNorm, one group per channel) on layer 0 only; in ``"layer_norm"`` mode a
  ``layer_norm`` (LayerNorm over channels) on every layer; GELU after each.
* ``encoder.feature_projection``: ``layer_norm``, ``projection`` (Linear), dropout.
* ``encoder.transformer``: ``pos_conv_embed.conv`` (weight-normalised grouped Conv1d stored as
  ``weight_g`` / ``weight_v`` / ``bias``, as in the published files), ``layer_norm``, and
  ``layers.N`` with ``attention.{q,k,v,out}_proj``, ``layer_norm``,
  ``feed_forward.{intermediate,output}_dense``, ``final_layer_norm``.
* ``aux``: the optional Linear head (CTC logits of the fine-tuned models).

``forward(waveforms, lengths=None)`` takes ``(B, T)`` float audio at 16 kHz and the valid length of
each row (torchaudio's ``lengths``), and returns ``(B, frames, C)`` and the valid frame counts. No
Python branch depends on tensor values, so the model runs under ``torch.compile`` and
``torch.export``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from triptych.models import WeightsEnum, load_weights, register_model

from ._wav2vec2_weights import WAV2VEC2_BASE_URL, Wav2Vec2_Base_Weights

__all__ = [
    "WAV2VEC2_ASR_BASE_960H",
    "WAV2VEC2_BASE_URL",
    "Wav2Vec2ASRBundle",
    "Wav2Vec2Model",
    "Wav2Vec2_Base_Weights",
    "ctc_greedy_decode",
    "wav2vec2_base",
    "wav2vec2_model",
]

# fairseq's additive attention mask value for padded keys (torchaudio uses the same number)
_MASKED = -10000.0


def _frames_after(lengths: Tensor, kernel_size: int, stride: int) -> Tensor:
    """Valid output frames of an unpadded strided convolution, never below 0."""
    return torch.clamp((lengths - kernel_size) // stride + 1, min=0)


class _ChannelLayerNorm(nn.LayerNorm):
    """LayerNorm over the channels of a ``(B, C, T)`` tensor."""

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x.transpose(-2, -1)).transpose(-2, -1)


class _ConvBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int,
                 bias: bool, layer_norm: nn.Module | None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, stride=stride, bias=bias)
        self.layer_norm = layer_norm

    def forward(self, x: Tensor, lengths: Tensor | None) -> tuple[Tensor, Tensor | None]:
        x = self.conv(x)
        if self.layer_norm is not None:
            x = self.layer_norm(x)
        x = F.gelu(x)
        if lengths is not None:
            lengths = _frames_after(lengths, self.kernel_size, self.stride)
        return x, lengths


class _FeatureExtractor(nn.Module):
    """Strided 1-D convolutions: ``(B, T)`` samples -> ``(B, frames, C)`` features."""

    def __init__(self, conv_layers: nn.ModuleList):
        super().__init__()
        self.conv_layers = conv_layers

    def forward(self, x: Tensor, lengths: Tensor | None) -> tuple[Tensor, Tensor | None]:
        x = x.unsqueeze(1)
        for layer in self.conv_layers:
            x, lengths = layer(x, lengths)
        return x.transpose(1, 2), lengths


class _FeatureProjection(nn.Module):
    def __init__(self, in_features: int, out_features: int, dropout: float):
        super().__init__()
        self.layer_norm = nn.LayerNorm(in_features)
        self.projection = nn.Linear(in_features, out_features)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.projection(self.layer_norm(x)))


class _WeightNormConv1d(nn.Module):
    """A grouped Conv1d whose weight is ``weight_v`` scaled to norm ``weight_g`` per kernel tap.

    Stored as the published checkpoints store it (``weight_g``, ``weight_v``, ``bias``); a
    state_dict saved from torchaudio on torch >= 2.1 (``parametrizations.weight.original0/1``)
    loads too.
    """

    def __init__(self, channels: int, kernel_size: int, groups: int):
        super().__init__()
        if channels % groups:
            raise ValueError(f"encoder_pos_conv_groups={groups} must divide "
                             f"encoder_embed_dim={channels}")
        self.groups = groups
        self.padding = kernel_size // 2
        conv = nn.Conv1d(channels, channels, kernel_size, groups=groups)  # for its init only
        self.weight_v = nn.Parameter(conv.weight.detach().clone())
        self.weight_g = nn.Parameter(self._norm(self.weight_v.detach()))
        self.bias = nn.Parameter(conv.bias.detach().clone())
        self.register_load_state_dict_pre_hook(self._from_parametrization_names)

    @staticmethod
    def _norm(v: Tensor) -> Tensor:
        # one norm per kernel tap (weight_norm with dim=2): over output and input channels
        return torch.linalg.vector_norm(v, dim=(0, 1), keepdim=True)

    @property
    def weight(self) -> Tensor:
        return self.weight_v * (self.weight_g / self._norm(self.weight_v))

    def forward(self, x: Tensor) -> Tensor:
        return F.conv1d(x, self.weight, self.bias, padding=self.padding, groups=self.groups)

    @staticmethod
    def _from_parametrization_names(module, state_dict, prefix, *args) -> None:
        for new, old in (("weight_g", "parametrizations.weight.original0"),
                         ("weight_v", "parametrizations.weight.original1")):
            if prefix + old in state_dict and prefix + new not in state_dict:
                state_dict[prefix + new] = state_dict.pop(prefix + old)


class _ConvolutionalPositionalEmbedding(nn.Module):
    def __init__(self, embed_dim: int, kernel_size: int, groups: int):
        super().__init__()
        self.conv = _WeightNormConv1d(embed_dim, kernel_size, groups)
        # an even kernel with padding k // 2 gives one frame too many: drop the last
        self.num_remove = 1 if kernel_size % 2 == 0 else 0

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv(x.transpose(1, 2))
        if self.num_remove:
            x = x[..., :-self.num_remove]
        return F.gelu(x).transpose(1, 2)


class _SelfAttention(nn.Module):
    def __init__(self, embed_dim: int, num_heads: int, dropout: float):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"encoder_num_heads={num_heads} must divide "
                             f"encoder_embed_dim={embed_dim}")
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.dropout = dropout
        self.k_proj = nn.Linear(embed_dim, embed_dim)
        self.v_proj = nn.Linear(embed_dim, embed_dim)
        self.q_proj = nn.Linear(embed_dim, embed_dim)
        self.out_proj = nn.Linear(embed_dim, embed_dim)

    def forward(self, x: Tensor, attention_mask: Tensor | None) -> Tensor:
        batch, frames, embed = x.shape

        def heads(t: Tensor) -> Tensor:
            return t.view(batch, frames, self.num_heads, self.head_dim).transpose(1, 2)

        out = F.scaled_dot_product_attention(
            heads(self.q_proj(x)), heads(self.k_proj(x)), heads(self.v_proj(x)),
            attn_mask=attention_mask, dropout_p=self.dropout if self.training else 0.0)
        return self.out_proj(out.transpose(1, 2).reshape(batch, frames, embed))


class _FeedForward(nn.Module):
    def __init__(self, embed_dim: int, hidden: int, hidden_dropout: float, dropout: float):
        super().__init__()
        self.intermediate_dense = nn.Linear(embed_dim, hidden)
        self.intermediate_dropout = nn.Dropout(hidden_dropout)
        self.output_dense = nn.Linear(hidden, embed_dim)
        self.output_dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        x = self.intermediate_dropout(F.gelu(self.intermediate_dense(x)))
        return self.output_dropout(self.output_dense(x))


class _EncoderLayer(nn.Module):
    def __init__(self, attention: _SelfAttention, dropout: float, layer_norm_first: bool,
                 feed_forward: _FeedForward):
        super().__init__()
        embed_dim = attention.out_proj.out_features
        self.attention = attention
        self.dropout = nn.Dropout(dropout)
        self.layer_norm = nn.LayerNorm(embed_dim)
        self.layer_norm_first = layer_norm_first
        self.feed_forward = feed_forward
        self.final_layer_norm = nn.LayerNorm(embed_dim)

    def forward(self, x: Tensor, attention_mask: Tensor | None) -> Tensor:
        if self.layer_norm_first:  # pre-norm (the large models)
            x = x + self.dropout(self.attention(self.layer_norm(x), attention_mask))
            return x + self.feed_forward(self.final_layer_norm(x))
        x = self.layer_norm(x + self.dropout(self.attention(x, attention_mask)))
        return self.final_layer_norm(x + self.feed_forward(x))


class _Transformer(nn.Module):
    def __init__(self, pos_conv_embed: _ConvolutionalPositionalEmbedding, embed_dim: int,
                 dropout: float, layers: nn.ModuleList, layer_norm_first: bool,
                 layer_drop: float):
        super().__init__()
        self.pos_conv_embed = pos_conv_embed
        self.layer_norm = nn.LayerNorm(embed_dim)
        self.layer_norm_first = layer_norm_first
        self.layer_drop = layer_drop
        self.dropout = nn.Dropout(dropout)
        self.layers = layers

    def _embed(self, x: Tensor) -> Tensor:
        x = x + self.pos_conv_embed(x)
        if not self.layer_norm_first:
            x = self.layer_norm(x)
        return self.dropout(x)

    def forward(self, x: Tensor, attention_mask: Tensor | None) -> Tensor:
        x = self._embed(x)
        for layer in self.layers:
            # LayerDrop while training only, so eval-mode compile/export see no branch
            if not (self.training and self.layer_drop > 0
                    and float(torch.rand(())) < self.layer_drop):
                x = layer(x, attention_mask)
        if self.layer_norm_first:
            x = self.layer_norm(x)
        return x

    def intermediate_outputs(self, x: Tensor, attention_mask: Tensor | None,
                             num_layers: int | None) -> list[Tensor]:
        x = self._embed(x)
        outputs = []
        for layer in self.layers[:num_layers]:
            x = layer(x, attention_mask)
            outputs.append(x)
        return outputs


class _Encoder(nn.Module):
    def __init__(self, feature_projection: _FeatureProjection, transformer: _Transformer):
        super().__init__()
        self.feature_projection = feature_projection
        self.transformer = transformer

    def _project(self, features: Tensor, lengths: Tensor | None) -> tuple[Tensor, Tensor | None]:
        x = self.feature_projection(features)
        if lengths is None:
            return x, None
        frames = torch.arange(x.shape[1], device=x.device)
        padded = frames[None, :] >= lengths[:, None]  # (B, frames)
        x = x.masked_fill(padded[:, :, None], 0.0)
        # additive mask on the keys, broadcast over heads and queries: (B, 1, 1, frames)
        mask = torch.zeros(padded.shape, dtype=x.dtype, device=x.device).masked_fill(
            padded, _MASKED)
        return x, mask[:, None, None, :]

    def forward(self, features: Tensor, lengths: Tensor | None) -> Tensor:
        x, mask = self._project(features, lengths)
        return self.transformer(x, mask)

    def extract_features(self, features: Tensor, lengths: Tensor | None,
                         num_layers: int | None) -> list[Tensor]:
        x, mask = self._project(features, lengths)
        return self.transformer.intermediate_outputs(x, mask, num_layers)


class Wav2Vec2Model(nn.Module):
    """wav2vec 2.0: convolutional feature extractor, Transformer encoder, optional linear head.

    Build it with :func:`wav2vec2_model` (any configuration) or :func:`wav2vec2_base`.

    Args:
        feature_extractor: the convolutional front end (``feature_extractor.*`` parameters).
        encoder: projection + Transformer (``encoder.*`` parameters).
        aux: the head on the encoder output (``aux.*``), or None.

    ``forward(waveforms (B, T), lengths (B,) or None) -> (B, frames, C), (B,) or None``: ``C`` is
    ``aux``'s outputs (CTC logits for the fine-tuned models) or the embedding size.
    """

    def __init__(self, feature_extractor: nn.Module, encoder: nn.Module,
                 aux: nn.Module | None = None):
        super().__init__()
        self.feature_extractor = feature_extractor
        self.encoder = encoder
        self.aux = aux
        receptive, hop = 1, 1  # samples one output frame sees, and the hop between frames
        for layer in feature_extractor.conv_layers:
            receptive += (layer.kernel_size - 1) * hop
            hop *= layer.stride
        self.min_samples = receptive

    def _check(self, waveforms: Tensor, lengths: Tensor | None) -> None:
        if not isinstance(waveforms, Tensor) or waveforms.dim() != 2:
            shape = tuple(waveforms.shape) if isinstance(waveforms, Tensor) else type(waveforms)
            raise ValueError(f"waveforms must be a (batch, time) tensor, got {shape}")
        if not waveforms.is_floating_point():
            raise TypeError(f"waveforms must be a float tensor, got {waveforms.dtype}")
        if waveforms.shape[1] < self.min_samples:
            raise ValueError(f"waveforms must have at least {self.min_samples} samples (one "
                             f"output frame), got {waveforms.shape[1]}")
        if lengths is not None:
            if not isinstance(lengths, Tensor) or lengths.shape != (waveforms.shape[0],):
                shape = tuple(lengths.shape) if isinstance(lengths, Tensor) else type(lengths)
                raise ValueError(f"lengths must be a ({waveforms.shape[0]},) tensor (one valid "
                                 f"length per waveform), got {shape}")
            if lengths.is_floating_point() or lengths.is_complex():
                raise TypeError(f"lengths must be an integer tensor, got {lengths.dtype}")

    def example_inputs(self, *, batch_size: int = 2, num_samples: int = 16000,
                       generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        """A random padded batch the forward takes, for compile / export / ONNX checks:
        ``(batch_size, num_samples)`` waveforms (default 1 s at 16 kHz) and ``(batch_size,)``
        lengths, the first row full and the others three quarters long."""
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if not isinstance(num_samples, int) or num_samples < self.min_samples:
            raise ValueError(f"num_samples must be an int >= {self.min_samples}, got "
                             f"{num_samples!r}")
        waveforms = torch.randn(batch_size, num_samples, generator=generator)
        lengths = torch.full((batch_size,), max(self.min_samples, num_samples * 3 // 4))
        lengths[0] = num_samples
        return waveforms, lengths

    def extract_features(self, waveforms: Tensor, lengths: Tensor | None = None,
                         num_layers: int | None = None) -> tuple[list[Tensor], Tensor | None]:
        """The outputs of the first ``num_layers`` Transformer layers (all if None), each
        ``(B, frames, embed_dim)``, and the valid frame counts (None if ``lengths`` is None)."""
        self._check(waveforms, lengths)
        if num_layers is not None and not 1 <= num_layers <= len(self.encoder.transformer.layers):
            raise ValueError(f"num_layers must be in [1, {len(self.encoder.transformer.layers)}], "
                             f"got {num_layers}")
        features, lengths = self.feature_extractor(waveforms, lengths)
        return self.encoder.extract_features(features, lengths, num_layers), lengths

    def forward(self, waveforms: Tensor,
                lengths: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        """``(B, T)`` float waveforms, optional ``(B,)`` valid lengths -> ``(B, frames, C)`` and
        the ``(B,)`` valid frame counts (None when ``lengths`` is None)."""
        self._check(waveforms, lengths)
        features, lengths = self.feature_extractor(waveforms, lengths)
        x = self.encoder(features, lengths)
        if self.aux is not None:
            x = self.aux(x)
        return x, lengths


def wav2vec2_model(*, extractor_mode: str,
                   extractor_conv_layer_config: Sequence[tuple[int, int, int]] | None,
                   extractor_conv_bias: bool, encoder_embed_dim: int,
                   encoder_projection_dropout: float, encoder_pos_conv_kernel: int,
                   encoder_pos_conv_groups: int, encoder_num_layers: int, encoder_num_heads: int,
                   encoder_attention_dropout: float, encoder_ff_interm_features: int,
                   encoder_ff_interm_dropout: float, encoder_dropout: float,
                   encoder_layer_norm_first: bool, encoder_layer_drop: float,
                   aux_num_out: int | None) -> Wav2Vec2Model:
    """A :class:`Wav2Vec2Model` of any configuration (``torchaudio.models.wav2vec2_model``'s
    arguments and meanings, keyword-only).

    ``extractor_conv_layer_config``: ``(out_channels, kernel_size, stride)`` per convolution
    (None: the paper's seven layers of 512 channels). ``extractor_mode``: ``"group_norm"`` (the
    base models) or ``"layer_norm"``. ``encoder_layer_norm_first``: pre-norm layers (the large
    models). ``encoder_layer_drop``: probability of skipping a layer while training.

    Example:
        >>> import torch
        >>> from triptych.audio.models import wav2vec2_model
        >>> model = wav2vec2_model(
        ...     extractor_mode="group_norm", extractor_conv_layer_config=[(8, 10, 5), (8, 3, 2)],
        ...     extractor_conv_bias=False, encoder_embed_dim=16, encoder_projection_dropout=0.0,
        ...     encoder_pos_conv_kernel=4, encoder_pos_conv_groups=2, encoder_num_layers=2,
        ...     encoder_num_heads=2, encoder_attention_dropout=0.0, encoder_ff_interm_features=32,
        ...     encoder_ff_interm_dropout=0.0, encoder_dropout=0.0, encoder_layer_norm_first=False,
        ...     encoder_layer_drop=0.0, aux_num_out=5).eval()
        >>> out, lengths = model(torch.randn(2, 400), torch.tensor([400, 200]))
        >>> out.shape, lengths.tolist()
        (torch.Size([2, 39, 5]), [39, 19])
    """
    if extractor_mode not in ("group_norm", "layer_norm"):
        raise ValueError(f"extractor_mode must be 'group_norm' or 'layer_norm', "
                         f"got {extractor_mode!r}")
    if extractor_conv_layer_config is None:
        extractor_conv_layer_config = [(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512, 2, 2)] * 2
    if not extractor_conv_layer_config or any(
            len(c) != 3 or min(int(v) for v in c) < 1 for c in extractor_conv_layer_config):
        raise ValueError("extractor_conv_layer_config must be a non-empty list of positive "
                         f"(out_channels, kernel_size, stride), got {extractor_conv_layer_config!r}")
    for name, value in (("encoder_embed_dim", encoder_embed_dim),
                        ("encoder_pos_conv_kernel", encoder_pos_conv_kernel),
                        ("encoder_num_layers", encoder_num_layers),
                        ("encoder_num_heads", encoder_num_heads),
                        ("encoder_ff_interm_features", encoder_ff_interm_features)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if aux_num_out is not None and (not isinstance(aux_num_out, int) or aux_num_out < 1):
        raise ValueError(f"aux_num_out must be None or a positive int, got {aux_num_out!r}")
    if not 0.0 <= encoder_layer_drop <= 1.0:
        raise ValueError(f"encoder_layer_drop must be in [0, 1], got {encoder_layer_drop!r}")

    blocks, in_channels = [], 1
    for i, (out_channels, kernel, stride) in enumerate(extractor_conv_layer_config):
        if extractor_mode == "layer_norm":
            norm = _ChannelLayerNorm(out_channels)
        else:
            norm = nn.GroupNorm(out_channels, out_channels) if i == 0 else None
        blocks.append(_ConvBlock(in_channels, out_channels, kernel, stride,
                                 extractor_conv_bias, norm))
        in_channels = out_channels
    feature_extractor = _FeatureExtractor(nn.ModuleList(blocks))

    layers = nn.ModuleList(
        _EncoderLayer(_SelfAttention(encoder_embed_dim, encoder_num_heads,
                                     encoder_attention_dropout),
                      encoder_dropout, encoder_layer_norm_first,
                      _FeedForward(encoder_embed_dim, encoder_ff_interm_features,
                                   encoder_ff_interm_dropout, encoder_dropout))
        for _ in range(encoder_num_layers))
    transformer = _Transformer(
        _ConvolutionalPositionalEmbedding(encoder_embed_dim, encoder_pos_conv_kernel,
                                          encoder_pos_conv_groups),
        encoder_embed_dim, encoder_dropout, layers, encoder_layer_norm_first, encoder_layer_drop)
    encoder = _Encoder(_FeatureProjection(in_channels, encoder_embed_dim,
                                          encoder_projection_dropout), transformer)
    aux = nn.Linear(encoder_embed_dim, aux_num_out) if aux_num_out is not None else None
    return Wav2Vec2Model(feature_extractor, encoder, aux)


@dataclass(frozen=True)
class _DropUnusedOutputRows:
    """A checkpoint whose ``aux`` rows at ``rows`` are dropped on loading.

    fairseq's CTC checkpoints keep an output per entry of its text dictionary, three of which
    (``<pad>``, ``</s>``, ``<unk>`` at 1, 2, 3) CTC never emits; torchaudio drops them when it
    loads the published files, and so do we.
    """

    weights: WeightsEnum
    rows: tuple[int, ...]

    @property
    def full_name(self) -> str:
        return self.weights.full_name

    def get_state_dict(self, **kwargs) -> dict[str, Tensor]:
        state = self.weights.get_state_dict(**kwargs)
        for key in ("aux.weight", "aux.bias"):
            if key in state:
                keep = [i for i in range(state[key].shape[0]) if i not in self.rows]
                state[key] = state[key][keep].contiguous()
        return state


def _aux_num_out(weights, aux_num_out: int | None) -> int | None:
    """The head size the weights need; None: take theirs. A different number is an error."""
    labels = weights.meta.get("labels") if isinstance(weights, WeightsEnum) else None
    if labels is None:
        return aux_num_out
    if aux_num_out is not None and aux_num_out != len(labels):
        raise ValueError(f"aux_num_out={aux_num_out} does not fit {weights!r}, which has "
                         f"{len(labels)} labels: leave aux_num_out out (or pass {len(labels)}), "
                         "or build with weights=None and train a new head")
    return len(labels)


def _build(config: dict, weights, *, aux_num_out: int | None, progress: bool) -> Wav2Vec2Model:
    """The model of ``config`` with resolved ``weights`` (enum member, local file or None)
    loaded with ``strict=True``; an entry's ``meta["unused_output_rows"]`` are dropped first."""
    if weights is not None:
        aux_num_out = _aux_num_out(weights, aux_num_out)
    model = wav2vec2_model(**config, aux_num_out=aux_num_out)
    if weights is not None:
        rows = (tuple(weights.meta.get("unused_output_rows", ()))
                if isinstance(weights, WeightsEnum) else ())
        load_weights(model, _DropUnusedOutputRows(weights, rows) if rows else weights,
                     progress=progress)
    return model


@register_model("wav2vec2_base", domain="audio", weights=Wav2Vec2_Base_Weights)
def wav2vec2_base(*, aux_num_out: int | None = None,
                  weights: Wav2Vec2_Base_Weights | str | None = None, progress: bool = True,
                  encoder_projection_dropout: float = 0.1, encoder_attention_dropout: float = 0.1,
                  encoder_ff_interm_dropout: float = 0.1, encoder_dropout: float = 0.1,
                  encoder_layer_drop: float = 0.1) -> Wav2Vec2Model:
    """wav2vec 2.0 "base": 7 convolutions (512 channels), 12 Transformer layers of 768 with 12
    heads; ``(B, T)`` 16 kHz audio -> ``(B, frames, aux_num_out or 768)`` at 50 frames/s.

    Args:
        aux_num_out: outputs of the linear head (None: no head, the 768-d encoder output).
            With ``weights`` that carry labels it is taken from them (passing another number is
            an error).
        weights: None (random init), ``Wav2Vec2_Base_Weights.ASR_LIBRISPEECH_960H`` /
            ``"DEFAULT"`` (torchaudio's ``WAV2VEC2_ASR_BASE_960H``), or a local checkpoint path
            / ``file://`` URL of the same layout, e.g. torchaudio's ``WAV2VEC2_BASE`` file
            (:data:`WAV2VEC2_BASE_URL`: no sha256 is published for it, so triptych does not
            fetch it). Files load with ``strict=True``.
        progress: show a download progress bar.
        encoder_projection_dropout, encoder_attention_dropout, encoder_ff_interm_dropout,
            encoder_dropout, encoder_layer_drop: as in ``torchaudio.models.wav2vec2_base``
            (training-time only).

    Example:
        >>> import torch
        >>> from triptych.models import get_model
        >>> model = get_model("wav2vec2_base", aux_num_out=29).eval()
        >>> emissions, lengths = model(torch.randn(2, 16000), torch.tensor([16000, 8000]))
        >>> emissions.shape, lengths.tolist()
        (torch.Size([2, 49, 29]), [49, 24])
    """
    config = dict(
        extractor_mode="group_norm", extractor_conv_layer_config=None, extractor_conv_bias=False,
        encoder_embed_dim=768, encoder_projection_dropout=encoder_projection_dropout,
        encoder_pos_conv_kernel=128, encoder_pos_conv_groups=16, encoder_num_layers=12,
        encoder_num_heads=12, encoder_attention_dropout=encoder_attention_dropout,
        encoder_ff_interm_features=3072, encoder_ff_interm_dropout=encoder_ff_interm_dropout,
        encoder_dropout=encoder_dropout, encoder_layer_norm_first=False,
        encoder_layer_drop=encoder_layer_drop)
    return _build(config, Wav2Vec2_Base_Weights.verify(weights), aux_num_out=aux_num_out,
                  progress=progress)


def ctc_greedy_decode(emissions: Tensor, labels: Sequence[str], *, blank: int = 0,
                      lengths: Tensor | None = None, word_delimiter: str = "|") -> list[str]:
    """Best-path CTC decoding: per frame the most likely label, repeats merged, blanks removed.

    Args:
        emissions: ``(B, frames, len(labels))`` scores (logits or log-probabilities), or
            ``(frames, len(labels))`` for one utterance.
        labels: the label of each class; ``labels[blank]`` is the CTC blank.
        blank: the blank's index.
        lengths: ``(B,)`` valid frames per row (the model's second output); None: all frames.
        word_delimiter: the label that separates words; it becomes one space, and the text is
            stripped.

    Returns:
        one string per row.

    Example:
        >>> import torch
        >>> labels = ("-", "|", "A", "B")
        >>> best = torch.tensor([[2, 2, 0, 2, 1, 3, 3, 0]])  # A A - A | B B -
        >>> ctc_greedy_decode(torch.nn.functional.one_hot(best, 4).float(), labels)
        ['AA B']
    """
    if not isinstance(emissions, Tensor) or emissions.dim() not in (2, 3):
        raise ValueError("emissions must be a (batch, frames, classes) or (frames, classes) "
                         f"tensor, got {getattr(emissions, 'shape', type(emissions))}")
    if emissions.dim() == 2:
        emissions = emissions.unsqueeze(0)
    if emissions.shape[-1] != len(labels):
        raise ValueError(f"emissions have {emissions.shape[-1]} classes but there are "
                         f"{len(labels)} labels")
    if not 0 <= blank < len(labels):
        raise ValueError(f"blank must be an index into labels (0..{len(labels) - 1}), got {blank}")
    if lengths is not None and (not isinstance(lengths, Tensor)
                                or lengths.shape != (emissions.shape[0],)):
        raise ValueError(f"lengths must be a ({emissions.shape[0]},) tensor, got "
                         f"{getattr(lengths, 'shape', type(lengths))}")
    best = emissions.argmax(dim=-1).cpu()
    texts = []
    for row, path in enumerate(best):
        if lengths is not None:
            path = path[:int(lengths[row])]
        ids = torch.unique_consecutive(path).tolist()
        text = "".join(labels[i] for i in ids if i != blank)
        texts.append(" ".join(text.replace(word_delimiter, " ").split()))
    return texts


@dataclass(frozen=True)
class Wav2Vec2ASRBundle:
    """A fine-tuned wav2vec2 checkpoint with what using it needs (torchaudio's
    ``Wav2Vec2ASRBundle``): the sample rate, the labels, the model, and greedy decoding.

    Example:
        >>> import torch
        >>> from triptych.audio.models import WAV2VEC2_ASR_BASE_960H as bundle
        >>> bundle.sample_rate, len(bundle.get_labels()), bundle.get_labels()[:4]
        (16000, 29, ('-', '|', 'E', 'T'))
        >>> best = torch.tensor([[8, 8, 0, 2, 1, 0, 4, 5, 5]])  # H H - E | - A O O
        >>> bundle.decode(torch.nn.functional.one_hot(best, 29).float())
        ['HE AO']
    """

    weights: Wav2Vec2_Base_Weights

    @property
    def sample_rate(self) -> int:
        """The sample rate (Hz) the model was trained on; resample input audio to it."""
        return int(self.weights.meta["sample_rate"])

    def get_labels(self, *, blank: str = "-") -> tuple[str, ...]:
        """The output labels in class order: ``blank`` (the CTC blank) first, ``"|"`` between
        words, then the characters."""
        return (blank, *self.weights.meta["labels"][1:])

    def get_model(self, *, progress: bool = True) -> Wav2Vec2Model:
        """The model with the checkpoint loaded (downloaded once and verified), in eval mode."""
        return wav2vec2_base(weights=self.weights, progress=progress).eval()

    def decode(self, emissions: Tensor, lengths: Tensor | None = None) -> list[str]:
        """Greedy CTC decoding of the model's ``(B, frames, 29)`` output to one text per row
        (see :func:`ctc_greedy_decode`)."""
        return ctc_greedy_decode(emissions, self.get_labels(), blank=0, lengths=lengths)


WAV2VEC2_ASR_BASE_960H = Wav2Vec2ASRBundle(Wav2Vec2_Base_Weights.ASR_LIBRISPEECH_960H)
