"""Text transforms that the RoBERTa / XLM-R weights name (``Weights.transforms``): fetch the
tokenizer files (verified by sha256, cached beside the weights), then
tokenize -> truncate -> add ``<s>`` / ``</s>`` -> tensor."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["FairseqSentencePieceIds", "bpe_text_transform", "encoder_text_transform",
           "sentencepiece_text_transform"]

# RoBERTa's and XLM-R's special ids (fairseq's dictionary order)
BOS, PAD, EOS, UNK = 0, 1, 2, 3


def encoder_text_transform(tokenize: Callable[[Any], Any], *, max_seq_len: int, bos_idx: int = BOS,
                           eos_idx: int = EOS, padding_idx: int = PAD):
    """``tokenize``, cut to ``max_seq_len - 2`` ids, put ``bos_idx`` before and ``eos_idx`` after,
    and make a tensor: a string -> ``(T,)`` int64; a list of strings -> ``(B, T)`` padded with
    ``padding_idx`` (``attention_mask = ids != padding_idx``). ``T <= max_seq_len``.

    Example:
        >>> t = encoder_text_transform(lambda s: [[len(w) + 5 for w in x.split()] for x in s]
        ...                            if isinstance(s, list) else [len(w) + 5 for w in s.split()],
        ...                            max_seq_len=4)
        >>> t("a bb ccc")
        tensor([0, 6, 7, 2])
        >>> t(["a bb ccc", "dddd"])
        tensor([[0, 6, 7, 2],
                [0, 9, 2, 1]])
    """
    from triptych.text.transforms import AddToken, Sequential, ToTensor, Truncate

    if not isinstance(max_seq_len, int) or isinstance(max_seq_len, bool) or max_seq_len < 2:
        raise ValueError(f"max_seq_len must be an int >= 2, got {max_seq_len!r}")
    return Sequential(tokenize, Truncate(max_seq_len - 2), AddToken(bos_idx, begin=True),
                      AddToken(eos_idx, begin=False), ToTensor(padding_value=padding_idx))


class FairseqSentencePieceIds:
    """SentencePiece ids in fairseq's dictionary order, as XLM-R numbers them: ``<s>`` 0,
    ``<pad>`` 1, ``</s>`` 2, ``<unk>`` 3, then piece ``i`` (``i >= 3``) at ``i + 1``; the model's
    unknown piece (0) becomes 3. Takes a string or a list of strings.
    """

    def __init__(self, tokenizer: Any):
        self.tokenizer = tokenizer

    @staticmethod
    def _shift(ids: Sequence[int]) -> list[int]:
        return [UNK if i == 0 else i + 1 for i in ids]

    def __call__(self, text: str | Sequence[str]) -> list[int] | list[list[int]]:
        if isinstance(text, str):
            return self._shift(self.tokenizer.encode(text))
        return [self._shift(ids) for ids in self.tokenizer.encode_batch(text)]


def _fetch(files: Mapping[str, Any], names: Sequence[str], root: str | os.PathLike | None,
           progress: bool) -> list[Path]:
    """Download (once, verified) the tokenizer files ``names`` among ``files`` (Resources)."""
    from triptych.datasets import download
    from triptych.models._hub import weights_root

    missing = [n for n in names if n not in files]
    if missing:
        raise ValueError(f"tokenizer_files lacks {missing}; it has {sorted(files)}")
    return [download(list(files[n].urls), weights_root(root), sha256=files[n].sha256,
                     filename=files[n].filename, size=files[n].size, progress=progress)
            for n in names]


def bpe_text_transform(*, tokenizer_files: Mapping[str, Any], max_seq_len: int = 512,
                       root: str | os.PathLike | None = None, progress: bool = True):
    """RoBERTa's text transform: byte-level BPE from ``vocab.json`` + ``merges.txt``
    (:meth:`BPETokenizer.from_vocab_merges`), then :func:`encoder_text_transform`."""
    from triptych.text.tokenizers import BPETokenizer

    vocab, merges = _fetch(tokenizer_files, ("vocab.json", "merges.txt"), root, progress)
    return encoder_text_transform(BPETokenizer.from_vocab_merges(vocab, merges),
                                  max_seq_len=max_seq_len)


def sentencepiece_text_transform(*, tokenizer_files: Mapping[str, Any], max_seq_len: int = 512,
                                 root: str | os.PathLike | None = None, progress: bool = True):
    """XLM-R's text transform: ``sentencepiece.bpe.model`` through
    :class:`SentencePieceTokenizer` with fairseq's ids (:class:`FairseqSentencePieceIds`),
    then :func:`encoder_text_transform`. Needs the ``text`` extra (sentencepiece)."""
    from triptych.text.tokenizers import SentencePieceTokenizer

    (model,) = _fetch(tokenizer_files, ("sentencepiece.bpe.model",), root, progress)
    return encoder_text_transform(FairseqSentencePieceIds(SentencePieceTokenizer(model)),
                                  max_seq_len=max_seq_len)
