"""BERT WordPiece tokenizer (basic tokenisation + greedy longest match), encoding in C++."""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import torch

from ._compiled import compiled_text, default_threads, pad_rows, padded_tensors


class WordPieceTokenizer:
    """BERT's tokenizer; ids equal Hugging Face's ``BertWordPieceTokenizer`` (without ``[CLS]``/``[SEP]``).

    Basic tokenisation: control characters are dropped, text is split on whitespace, every
    punctuation character and every CJK ideograph becomes its own word, accents are stripped
    (NFD, then non-spacing marks removed) and text is lowercased when asked. Each word is then
    split greedily into the longest vocabulary pieces, continuations prefixed with ``##``; a
    word with an unmatchable part, or longer than ``max_input_chars_per_word``, becomes
    ``unk_token``. Encoding runs in C++ without the GIL.

    Args:
        vocab: token -> id.
        lowercase: lowercase the text (``bert-base-uncased``: True).
        strip_accents: remove accents; None follows ``lowercase`` (the BERT default).
        unk_token, continuing_subword_prefix, max_input_chars_per_word: WordPiece options.
        special_tokens: tokens matched in the raw text before anything else and kept whole
            (those not in the vocabulary are ignored).

    Example:
        >>> vocab = {t: i for i, t in enumerate(["[UNK]", "un", "##aff", "##able", "!", "é"])}
        >>> tok = WordPieceTokenizer(vocab, lowercase=True)
        >>> tok.encode("UNAFFABLE! Café")
        [1, 2, 3, 4, 0]
        >>> tok.tokenize("unaffable!")
        ['un', '##aff', '##able', '!']
    """

    def __init__(
        self,
        vocab: Mapping[str, int],
        *,
        lowercase: bool = True,
        strip_accents: bool | None = None,
        unk_token: str = "[UNK]",
        continuing_subword_prefix: str = "##",
        max_input_chars_per_word: int = 100,
        special_tokens: Sequence[str] = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"),
    ):
        self._vocab = dict(vocab)
        if unk_token not in self._vocab:
            raise ValueError(f"unk_token {unk_token!r} is not in the vocabulary")
        if max_input_chars_per_word < 1:
            raise ValueError(f"max_input_chars_per_word must be >= 1, got {max_input_chars_per_word}")
        self.lowercase = lowercase
        self.strip_accents = lowercase if strip_accents is None else strip_accents
        self.unk_token = unk_token
        self._id_to_token = {i: t for t, i in self._vocab.items()}
        self._core = compiled_text().wordpiece_new(
            [(t.encode(), i) for t, i in self._vocab.items()], self._vocab[unk_token],
            continuing_subword_prefix.encode(), max_input_chars_per_word, lowercase)
        self.continuing_subword_prefix = continuing_subword_prefix
        self.special_tokens = [s for s in special_tokens if s in self._vocab]
        longest_first = sorted(self.special_tokens, key=len, reverse=True)
        self._special_re = re.compile("|".join(map(re.escape, longest_first))) if longest_first else None

    @classmethod
    def from_vocab(cls, path: str | os.PathLike, *, lowercase: bool = True, **kwargs) -> WordPieceTokenizer:
        """Load a BERT ``vocab.txt`` (one token per line, the line number is the id)."""
        tokens = Path(path).read_text(encoding="utf-8").split("\n")
        if tokens and tokens[-1] == "":
            tokens.pop()
        vocab: dict[str, int] = {}
        for i, token in enumerate(tokens):
            vocab.setdefault(token.rstrip("\r"), i)
        return cls(vocab, lowercase=lowercase, **kwargs)

    def _prepare(self, text: str) -> str:
        # Accent stripping and non-ASCII lowercasing need Unicode decompositions: done here,
        # before the compiled basic tokenizer (ASCII text skips this; the C++ side lowercases it).
        if text.isascii() or not (self.lowercase or self.strip_accents):
            return text
        if self.strip_accents:
            text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
        if self.lowercase:
            # Per character, like Rust's char::to_lowercase (str.lower turns a final Σ into ς).
            text = text.lower() if "Σ" not in text else "".join(c.lower() for c in text)
        return text

    def _prepare_all(self, texts: list[str]) -> list[str]:
        return [self._prepare(text) for text in texts]

    def encode(self, text: str | bytes) -> list[int]:
        """Ids of ``text`` (str, or bytes holding UTF-8: invalid bytes raise ValueError)."""
        return self.encode_batch([text], num_threads=1)[0]

    def encode_batch(self, texts: Sequence[str | bytes], *, num_threads: int | None = None) -> list[list[int]]:
        """Ids of every text; large batches run on up to ``num_threads`` threads."""
        texts, with_special = self._split_special(texts)
        ids = compiled_text().encode_batch(self._core, self._prepare_all(texts), default_threads(num_threads))
        for i, pieces in with_special.items():
            ids[i] = self._encode_pieces(pieces)
        return ids

    def encode_batch_padded(
        self, texts: Sequence[str | bytes], *, padding_value: int = 0, max_length: int | None = None,
        num_threads: int | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``ids`` ``(len(texts), T)`` int64 padded with ``padding_value`` (cut at ``max_length``)
        and ``lengths`` ``(len(texts),)``."""
        if max_length is not None and max_length < 0:
            raise ValueError(f"max_length must be >= 0 or None, got {max_length}")
        plain, with_special = self._split_special(texts)
        if with_special:
            return pad_rows(self.encode_batch(texts, num_threads=num_threads), padding_value, max_length)
        data, width, lengths = compiled_text().encode_batch_padded(
            self._core, self._prepare_all(plain), default_threads(num_threads), int(padding_value),
            -1 if max_length is None else int(max_length))
        return padded_tensors(data, width, lengths)

    def _split_special(self, texts) -> tuple[list, dict[int, list]]:
        """Texts with special tokens blanked out, and for those texts their pieces (special
        tokens as ints, the text between as str), encoded apart."""
        if isinstance(texts, (str, bytes)):
            raise TypeError("texts must be a list of str or bytes, not a single string (use encode)")
        texts = [_as_str(text, i) for i, text in enumerate(texts)]
        pieces: dict[int, list] = {}
        if self._special_re is None:
            return texts, pieces
        for i, text in enumerate(texts):
            if self._special_re.search(text):
                parts: list = []
                start = 0
                for match in self._special_re.finditer(text):
                    parts += [text[start:match.start()], self._vocab[match.group()]]
                    start = match.end()
                parts.append(text[start:])
                pieces[i] = parts
                texts[i] = ""
        return texts, pieces

    def _encode_pieces(self, parts: list) -> list[int]:
        texts = [p for p in parts if isinstance(p, str)]
        encoded = iter(compiled_text().encode_batch(self._core, self._prepare_all(texts), 1))
        out: list[int] = []
        for p in parts:
            out += next(encoded) if isinstance(p, str) else [p]
        return out

    def tokenize(self, text: str) -> list[str]:
        """The word pieces of ``text`` as strings."""
        return [self._id_to_token[i] for i in self.encode(text)]

    def __call__(self, text: str | Sequence[str]) -> list[int] | list[list[int]]:
        return self.encode(text) if isinstance(text, (str, bytes)) else self.encode_batch(text)

    def decode(self, ids: Iterable[int]) -> str:
        """Pieces joined with spaces, ``##`` continuations glued to the previous piece."""
        words: list[str] = []
        prefix = self.continuing_subword_prefix
        for i in ids:
            token = self._id_to_token.get(int(i))
            if token is None:
                raise ValueError(f"ids: {int(i)} is not in the vocabulary")
            if words and prefix and token.startswith(prefix):
                words[-1] += token[len(prefix):]
            else:
                words.append(token)
        return " ".join(words)

    def get_vocab(self) -> dict[str, int]:
        return dict(self._vocab)

    def __len__(self) -> int:
        return len(self._vocab)


def _as_str(text: str | bytes, index: int) -> str:
    if isinstance(text, str):
        return text
    if isinstance(text, bytes):
        try:
            return text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"texts[{index}] is not valid UTF-8: {exc.reason} at offset {exc.start}") from None
    raise TypeError(f"texts[{index}] must be str or bytes, got {type(text).__name__}")
