"""SentencePiece models (unigram / BPE): a thin wrapper over the ``sentencepiece`` library.

``sentencepiece`` is imported here only, when a model is loaded or trained; it comes with the
``text`` extra: ``pip install 'triptych[text]'``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import torch

from triptych._deps import require

from ._compiled import default_threads, pad_rows


class SentencePieceTokenizer:
    """Encode and decode with a trained SentencePiece model (``.model`` file).

    The library does the work (in C++, batches on several threads); this class gives it the
    same surface as the other triptych tokenizers.

    Args:
        model_path: a ``.model`` file, e.g. from :func:`train_sentencepiece`.

    Example:
        >>> import tempfile, pathlib
        >>> folder = tempfile.TemporaryDirectory()
        >>> lines = ["the quick brown fox jumps over the lazy dog"] * 50 + ["hello world"] * 50
        >>> model = train_sentencepiece(lines, vocab_size=30, output=pathlib.Path(folder.name) / "m.model")
        >>> tok = SentencePieceTokenizer(model)
        >>> tok.decode(tok.encode("hello fox"))
        'hello fox'
        >>> tok.encode("hello", out_type=str)
        ['▁', 'h', 'e', 'l', 'l', 'o']
        >>> folder.cleanup()
    """

    def __init__(self, model_path: str | os.PathLike):
        spm = require("sentencepiece", "text")
        path = Path(model_path)
        if not path.is_file():
            raise FileNotFoundError(f"model_path: no SentencePiece model at {path}")
        self._sp = spm.SentencePieceProcessor(model_file=str(path))
        self.model_path = path

    def encode(self, text: str, *, out_type: type = int) -> list[int] | list[str]:
        """Ids (``out_type=int``) or pieces (``out_type=str``) of ``text``."""
        return self._sp.encode(_check_str(text, "text"), out_type=_check_out_type(out_type))

    def encode_batch(
        self, texts: Sequence[str], *, out_type: type = int, num_threads: int | None = None
    ) -> list[list[int]] | list[list[str]]:
        """Ids or pieces of every text, on up to ``num_threads`` threads."""
        texts = [_check_str(t, f"texts[{i}]") for i, t in enumerate(_check_list(texts))]
        return self._sp.encode(texts, out_type=_check_out_type(out_type), num_threads=default_threads(num_threads))

    def encode_batch_padded(
        self, texts: Sequence[str], *, padding_value: int = 0, max_length: int | None = None,
        num_threads: int | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``ids`` ``(len(texts), T)`` int64 padded with ``padding_value`` (cut at ``max_length``)
        and ``lengths`` ``(len(texts),)``."""
        if max_length is not None and max_length < 0:
            raise ValueError(f"max_length must be >= 0 or None, got {max_length}")
        return pad_rows(self.encode_batch(texts, num_threads=num_threads), padding_value, max_length)

    def __call__(self, text: str | Sequence[str]) -> list[int] | list[list[int]]:
        return self.encode(text) if isinstance(text, str) else self.encode_batch(text)

    def decode(self, ids: Iterable[int] | Iterable[str]) -> str:
        """The text of ids or of pieces."""
        ids = list(ids)
        if ids and not isinstance(ids[0], str):
            bad = [i for i in ids if not 0 <= int(i) < len(self)]
            if bad:
                raise ValueError(f"ids: {bad[0]} is not in the vocabulary (size {len(self)})")
            ids = [int(i) for i in ids]
        return self._sp.decode(ids)

    def id_to_piece(self, index: int) -> str:
        return self._sp.id_to_piece(index)

    def piece_to_id(self, piece: str) -> int:
        return self._sp.piece_to_id(piece)

    def __len__(self) -> int:
        return self._sp.get_piece_size()


def train_sentencepiece(
    texts_or_files: Iterable[str] | str | os.PathLike | Sequence[os.PathLike],
    *,
    vocab_size: int,
    output: str | os.PathLike,
    model_type: str = "unigram",
    character_coverage: float = 1.0,
    user_defined_symbols: Sequence[str] = (),
    num_threads: int | None = None,
    **options,
) -> Path:
    """Train a SentencePiece model and write it to ``output`` (a ``.model`` file); return its path.

    Args:
        texts_or_files: an iterable of sentences (str), or a file path (str or PathLike) or a
            list of PathLike files with one sentence per line.
        vocab_size: number of pieces.
        output: where the ``.model`` file goes; written whole or not at all.
        model_type: ``"unigram"`` or ``"bpe"`` (also ``"char"``, ``"word"``).
        character_coverage, user_defined_symbols, num_threads, **options: passed to
            ``sentencepiece.SentencePieceTrainer.train``.
    """
    spm = require("sentencepiece", "text")
    if model_type not in ("unigram", "bpe", "char", "word"):
        raise ValueError(f"model_type must be 'unigram', 'bpe', 'char' or 'word', got {model_type!r}")
    if vocab_size < 1:
        raise ValueError(f"vocab_size must be >= 1, got {vocab_size}")
    output = Path(output)
    kwargs = dict(vocab_size=vocab_size, model_type=model_type, character_coverage=character_coverage,
                  user_defined_symbols=list(user_defined_symbols), num_threads=default_threads(num_threads),
                  minloglevel=2, **options)
    if isinstance(texts_or_files, (str, os.PathLike)):
        kwargs["input"] = str(texts_or_files)
    elif isinstance(texts_or_files, (list, tuple)) and texts_or_files and all(
            isinstance(f, os.PathLike) for f in texts_or_files):
        kwargs["input"] = ",".join(str(f) for f in texts_or_files)
    else:
        kwargs["sentence_iterator"] = iter(_check_str(t, "texts_or_files item") for t in texts_or_files)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".spm-") as tmp:
        prefix = Path(tmp) / "model"
        try:
            spm.SentencePieceTrainer.train(model_prefix=str(prefix), **kwargs)
        except RuntimeError as exc:
            raise ValueError(f"train_sentencepiece: {exc}") from None
        os.replace(prefix.with_suffix(".model"), output)
    return output


def _check_str(text, what: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{what} must be str, got {type(text).__name__}")
    return text


def _check_list(texts) -> Sequence:
    if isinstance(texts, (str, bytes)):
        raise TypeError("texts must be a list of str, not a single string (use encode)")
    return texts


def _check_out_type(out_type):
    if out_type not in (int, str):
        raise ValueError(f"out_type must be int or str, got {out_type!r}")
    return out_type
