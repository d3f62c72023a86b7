"""The wav2vec2 weights table (torchaudio's published checkpoints), apart from the model code.

torchaudio publishes no hash for its wav2vec2 files (``torch.hub.load_state_dict_from_url``
without ``check_hash``, and no digest in the file names). triptych downloads only what it can
verify, so:

* ``WAV2VEC2_ASR_BASE_960H`` (``wav2vec2_fairseq_base_ls960_asr_ls960.pth``): the sha256 and size
  below are those recorded for that URL, in agreement, by two independent public projects that
  pin the file (not by torchaudio itself); a file with other bytes is refused.
* ``WAV2VEC2_BASE`` (``wav2vec2_fairseq_base_ls960.pth``, :data:`WAV2VEC2_BASE_URL`): no hash
  is known, so it has no entry here; download it yourself and pass its path as ``weights=``.
"""

from __future__ import annotations

from triptych.models import Weights, WeightsEnum

__all__ = ["LIBRISPEECH_CHARACTERS", "WAV2VEC2_BASE_URL", "Wav2Vec2_Base_Weights"]

_TORCHAUDIO_MODELS = "https://download.pytorch.org/torchaudio/models/"

WAV2VEC2_BASE_URL = _TORCHAUDIO_MODELS + "wav2vec2_fairseq_base_ls960.pth"
"""torchaudio's ``WAV2VEC2_BASE`` (pre-trained on LibriSpeech 960 h, not fine-tuned)."""

# The CTC output classes of the LibriSpeech fine-tuned models, in order (torchaudio's
# ``WAV2VEC2_ASR_BASE_960H.get_labels()``): blank, word delimiter, then letters by frequency.
LIBRISPEECH_CHARACTERS: tuple[str, ...] = ("-", "|", *"ETAONIHSRDLUMWCFGYPBVK'XJQZ")

_FAIRSEQ_SOURCE = ("https://github.com/pytorch/fairseq/blob/ce6c9eeae163ac04b79539c78e74f292f29eaa18"
                   "/examples/wav2vec#pre-trained-models")


class Wav2Vec2_Base_Weights(WeightsEnum):  # noqa: N801 - torchvision's naming of weights enums
    """Weights of :func:`~triptych.audio.models.wav2vec2_base`."""

    ASR_LIBRISPEECH_960H = Weights(
        _TORCHAUDIO_MODELS + "wav2vec2_fairseq_base_ls960_asr_ls960.pth",
        sha256="488fd4f16de84438ffc945334278c1b9fb9b7159a806c1080b16111a958c945d",
        size=377_664_473,
        meta={
            "sample_rate": 16000,
            "labels": LIBRISPEECH_CHARACTERS,
            # fairseq keeps 32 outputs (its text dictionary); CTC never emits <pad>, </s>, <unk>
            "unused_output_rows": (1, 2, 3),
            "num_params": 94_393_245,
            "torchaudio_bundle": "WAV2VEC2_ASR_BASE_960H",
            "pretraining": "LibriSpeech 960 h (unlabelled)",
            "fine_tuning": "LibriSpeech 960 h, CTC on characters",
            "license": "MIT (fairseq), redistributed by torchaudio under the same license",
            "source": _FAIRSEQ_SOURCE,
        },
    )
    DEFAULT = ASR_LIBRISPEECH_960H
