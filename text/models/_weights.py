"""The text weights tables: one :class:`~triptych.models.WeightsEnum` per model.

Files come from the Hugging Face hub, pinned to a commit so that the bytes (and their sha256,
the hub's Git LFS object ids for the large files) cannot change under us. Each entry carries its
tokenizer files (``meta["tokenizer_files"]``, verified the same way) and its text transform:
``weights.transforms()`` fetches them and returns ``str | list[str] -> LongTensor``.
"""

from __future__ import annotations

from functools import partial

from triptych.datasets.catalog import Resource
from triptych.models import Weights, WeightsEnum

from ._presets import bpe_text_transform, sentencepiece_text_transform

__all__ = ["RoBERTa_Base_Weights", "XLMR_Base_Weights"]

_ROBERTA = "https://huggingface.co/FacebookAI/roberta-base/resolve/e2da8e2f811d1448a5b465c236feacd80ffbac7b"
_XLMR = "https://huggingface.co/FacebookAI/xlm-roberta-base/resolve/e73636d4f797dec63c3081bb6ed5c7b0bb3f2089"
_SPECIAL_IDS = {"bos": 0, "pad": 1, "eos": 2, "unk": 3}

_ROBERTA_TOKENIZER = {
    "vocab.json": Resource(
        "roberta-base-e2da8e2f-vocab.json", f"{_ROBERTA}/vocab.json",
        "9e7f63c2d15d666b52e21d250d2e513b87c9b713cfa6987a82ed89e5e6e50655", extract=False,
        max_size=2_000_000),
    "merges.txt": Resource(
        "roberta-base-e2da8e2f-merges.txt", f"{_ROBERTA}/merges.txt",
        "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5", extract=False,
        max_size=1_000_000),
}
_XLMR_TOKENIZER = {
    "sentencepiece.bpe.model": Resource(
        "xlm-roberta-base-e73636d4-sentencepiece.bpe.model", f"{_XLMR}/sentencepiece.bpe.model",
        "cfc8146abe2a0488e9e2a0c56de7952f7c11ab059eca145a0a727afce0db2865", size=5_069_051,
        extract=False),
}


class RoBERTa_Base_Weights(WeightsEnum):  # noqa: N801 - torchvision-style name
    """Weights of :func:`~triptych.text.models.roberta_base`: ``FacebookAI/roberta-base``."""

    FAIRSEQ_HF = Weights(
        f"{_ROBERTA}/model.safetensors",
        sha256="5bde1d28afb363d0103324efeb5afc8b2b397fe5e04beabb9b1ef355255ade81",
        size=498_818_054,
        filename="roberta-base-e2da8e2f.safetensors",
        transforms=partial(bpe_text_transform, tokenizer_files=_ROBERTA_TOKENIZER, max_seq_len=512),
        meta={
            "num_params": 124_055_040,
            "tokenizer": "byte-level BPE (GPT-2's merges), 50 265 tokens",
            "tokenizer_files": _ROBERTA_TOKENIZER,
            "special_ids": {**_SPECIAL_IDS, "mask": 50264},
            "max_seq_len": 512,
            "languages": ["en"],
            "source": "https://huggingface.co/FacebookAI/roberta-base",
            "paper": "https://arxiv.org/abs/1907.11692",
            "license": "MIT",
        },
    )
    DEFAULT = FAIRSEQ_HF


class XLMR_Base_Weights(WeightsEnum):  # noqa: N801
    """Weights of :func:`~triptych.text.models.xlmr_base`: ``FacebookAI/xlm-roberta-base``."""

    FAIRSEQ_HF = Weights(
        f"{_XLMR}/model.safetensors",
        sha256="6fd4797bc397c3b8b55d6bb5740366b57e6a3ce91c04c77f22aafc0c128e6feb",
        size=1_115_567_652,
        filename="xlm-roberta-base-e73636d4.safetensors",
        transforms=partial(sentencepiece_text_transform, tokenizer_files=_XLMR_TOKENIZER,
                           max_seq_len=512),
        meta={
            "num_params": 277_453_056,
            "tokenizer": "SentencePiece (unigram) with fairseq's id offset, 250 002 tokens",
            "tokenizer_files": _XLMR_TOKENIZER,
            "special_ids": {**_SPECIAL_IDS, "mask": 250001},
            "max_seq_len": 512,
            "languages": "100 languages (CC-100)",
            "source": "https://huggingface.co/FacebookAI/xlm-roberta-base",
            "paper": "https://arxiv.org/abs/1911.02116",
            "license": "MIT",
        },
    )
    DEFAULT = FAIRSEQ_HF
