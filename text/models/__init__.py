"""triptych.text.models: RoBERTa / XLM-R encoders and a classification head, with their weights.

Builders register with :func:`triptych.models.register_model` (domain ``"text"``), so
``triptych.models.get_model("roberta_base", weights="DEFAULT")`` works as well as calling
:func:`roberta_base` here. Checkpoints (Hugging Face hub files, with their tokenizer files and
text transform) are described in :mod:`._weights`.

Example:
    >>> import torch
    >>> from triptych.text.models import RobertaEncoder, XLMR_Base_Weights
    >>> XLMR_Base_Weights.DEFAULT.meta["special_ids"]["mask"]
    250001
    >>> encoder = RobertaEncoder(vocab_size=100, hidden_size=16, num_layers=1, num_heads=2,
    ...                          intermediate_size=32, max_positions=34).eval()
    >>> encoder(torch.tensor([[0, 5, 2]])).shape
    torch.Size([1, 3, 16])
"""

from ._presets import (
    FairseqSentencePieceIds,
    bpe_text_transform,
    encoder_text_transform,
    sentencepiece_text_transform,
)
from ._weights import RoBERTa_Base_Weights, XLMR_Base_Weights
from .roberta import (
    RobertaClassifier,
    RobertaEncoder,
    hub_to_encoder_state,
    load_roberta_weights,
    roberta_base,
    roberta_position_ids,
    xlmr_base,
)

__all__ = [
    "FairseqSentencePieceIds",
    "RoBERTa_Base_Weights",
    "RobertaClassifier",
    "RobertaEncoder",
    "XLMR_Base_Weights",
    "bpe_text_transform",
    "encoder_text_transform",
    "hub_to_encoder_state",
    "load_roberta_weights",
    "roberta_base",
    "roberta_position_ids",
    "sentencepiece_text_transform",
    "xlmr_base",
]
