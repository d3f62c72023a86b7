"""triptych.audio.models: audio model builders, their pretrained weights and bundles.

Builders register with :func:`triptych.models.register_model` (domain ``"audio"``), so
``triptych.models.get_model("wav2vec2_base")`` or ``get_model("kws_cnn")`` works as well as
calling the builder here (``triptych models list --domain audio`` lists them).

Example:
    >>> import torch
    >>> from triptych.audio.models import WAV2VEC2_ASR_BASE_960H
    >>> WAV2VEC2_ASR_BASE_960H.sample_rate
    16000
"""

# the keyword-spotting CNN (helper akws)
from .kws import KWSCNN, kws_cnn

# wav2vec 2.0 (helper w2v)
from .wav2vec2 import (
    WAV2VEC2_ASR_BASE_960H,
    WAV2VEC2_BASE_URL,
    Wav2Vec2_Base_Weights,
    Wav2Vec2ASRBundle,
    Wav2Vec2Model,
    ctc_greedy_decode,
    wav2vec2_base,
    wav2vec2_model,
)

__all__ = [
    # keyword spotting
    "KWSCNN",
    "kws_cnn",
    # wav2vec 2.0
    "WAV2VEC2_ASR_BASE_960H",
    "WAV2VEC2_BASE_URL",
    "Wav2Vec2ASRBundle",
    "Wav2Vec2Model",
    "Wav2Vec2_Base_Weights",
    "ctc_greedy_decode",
    "wav2vec2_base",
    "wav2vec2_model",
]
