"""Byte-level BPE (GPT-2, RoBERTa, Hugging Face ``tokenizer.json``), encoding in C++."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import torch

from ._compiled import compiled_text, default_threads, padded_tensors


@lru_cache(maxsize=1)
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte-level alphabet: every byte as a printable character (``0x20`` -> ``"Ġ"``).

    >>> bytes_to_unicode()[ord(" ")], bytes_to_unicode()[ord("a")]
    ('Ġ', 'a')
    """
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    table = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def _token_bytes(token: str) -> bytes | None:
    """The raw bytes a byte-level token stands for, or None if it is not in the alphabet."""
    inverse = _unicode_to_bytes()
    try:
        return bytes(inverse[c] for c in token)
    except KeyError:
        return None


@lru_cache(maxsize=1)
def _unicode_to_bytes() -> dict[str, int]:
    return {c: b for b, c in bytes_to_unicode().items()}


class BPETokenizer:
    """Byte-level BPE tokenizer whose ids equal the Hugging Face ``tokenizers`` library's.

    Text is split by the GPT-2 pattern (contractions, runs of letters, of digits, of other
    characters, each with an optional leading space, and whitespace runs), every piece is
    mapped to bytes and merged by rank. Encoding runs in C++ (``triptych._text``) without the
    GIL; :meth:`encode_batch` uses several threads for large batches.

    Build one with :meth:`from_file` (a ``tokenizer.json``) or :meth:`from_vocab_merges`
    (GPT-2 / RoBERTa ``vocab.json`` + ``merges.txt``). ``decode(encode(s)) == s`` for every
    string when ``add_prefix_space=False`` and no special tokens are added.

    Args:
        vocab: token (in the byte-level alphabet) -> id.
        merges: merge pairs, highest priority first.
        add_prefix_space: put a space before text that does not start with one (RoBERTa-style
            files say so in ``tokenizer.json``).
        added_tokens: Hugging Face added tokens, as dicts with ``content``, ``id`` and optionally
            ``special``, ``lstrip``, ``rstrip``, ``normalized``; they are matched in the raw text
            before the split.
        prefix_tokens, suffix_tokens: ids put around every encoding when
            ``add_special_tokens=True`` (the post-processor's ``<s>`` ... ``</s>``).
        ignore_merges: a piece that is itself a vocabulary token becomes that token directly.
        unk_token: token for bytes the vocabulary lacks (dropped when None).
        fuse_unk: merge consecutive unknown tokens into one.
        use_regex: split with the GPT-2 pattern (False: each text is one piece).

    Example:
        >>> vocab = {c: i for i, c in enumerate(bytes_to_unicode().values())}
        >>> vocab.update({"Ġl": 256, "ow": 257, "Ġlow": 258})
        >>> tok = BPETokenizer(vocab, [("Ġ", "l"), ("o", "w"), ("Ġl", "ow")])
        >>> tok.encode("a low")
        [64, 258]
        >>> tok.decode(tok.encode("a low"))
        'a low'
    """

    def __init__(
        self,
        vocab: Mapping[str, int],
        merges: Sequence[tuple[str, str]],
        *,
        add_prefix_space: bool = False,
        added_tokens: Iterable[Mapping] = (),
        prefix_tokens: Sequence[int] = (),
        suffix_tokens: Sequence[int] = (),
        ignore_merges: bool = False,
        unk_token: str | None = None,
        fuse_unk: bool = False,
        use_regex: bool = True,
    ):
        self._vocab = dict(vocab)
        self._added = [_check_added_token(t) for t in added_tokens]
        self._id_to_token = {i: t for t, i in self._vocab.items()}
        self._id_to_token.update({t["id"]: t["content"] for t in self._added})
        self._special_ids = {t["id"] for t in self._added if t.get("special", False)}
        unknown = [i for i in (*prefix_tokens, *suffix_tokens) if i not in self._id_to_token]
        if unknown:
            raise ValueError(f"prefix_tokens/suffix_tokens: ids {unknown} are not in the vocabulary")
        if unk_token is not None and unk_token not in self._vocab:
            raise ValueError(f"unk_token {unk_token!r} is not in the vocabulary")
        alphabet = bytes_to_unicode()
        byte_ids = [self._vocab.get(alphabet[b], -1) for b in range(256)]
        merge_ids = []
        for rank, pair in enumerate(merges):
            if len(pair) != 2:
                raise ValueError(f"merges[{rank}] must be a pair of tokens, got {pair!r}")
            left, right = pair
            for token in (left, right, left + right):
                if token not in self._vocab:
                    raise ValueError(f"merges[{rank}] ({left!r}, {right!r}): {token!r} is not in the vocabulary")
            merge_ids.append((self._vocab[left], self._vocab[right], self._vocab[left + right]))
        raw_vocab = []
        if ignore_merges:
            for token, i in self._vocab.items():
                raw = _token_bytes(token)
                if raw is not None:
                    raw_vocab.append((raw, i))
        added = [
            (t["content"].encode(), t["id"], t.get("lstrip", False), t.get("rstrip", False),
             t.get("normalized", not t.get("special", False)))
            for t in self._added
        ]
        self.add_prefix_space = add_prefix_space
        self.prefix_tokens = list(prefix_tokens)
        self.suffix_tokens = list(suffix_tokens)
        options = (add_prefix_space, use_regex, ignore_merges,
                   -1 if unk_token is None else self._vocab[unk_token], fuse_unk)
        text = compiled_text()
        self._plain = text.bpe_new(byte_ids, merge_ids, raw_vocab, added, *options, [], [])
        self._with_special = self._plain
        if self.prefix_tokens or self.suffix_tokens:
            self._with_special = text.bpe_new(byte_ids, merge_ids, raw_vocab, added, *options,
                                              self.prefix_tokens, self.suffix_tokens)

    # ---------------------------------------------------------------- construction from files
    @classmethod
    def from_file(cls, path: str | os.PathLike) -> BPETokenizer:
        """Load a Hugging Face ``tokenizer.json`` holding a BPE model with the ByteLevel
        pre-tokenizer (GPT-2, RoBERTa, ... and what ``tokenizers`` trains with ``ByteLevel``).

        Normalizers, other pre-tokenizers, dropout and subword prefixes/suffixes are refused
        with a ValueError rather than encoded differently.
        """
        spec = json.loads(Path(path).read_text(encoding="utf-8"))
        model = spec.get("model") or {}
        if model.get("type", "BPE") != "BPE" or "merges" not in model:
            raise ValueError(f"{path}: the model is {model.get('type')!r}, BPETokenizer needs a BPE model")
        for key, neutral in (("dropout", None), ("continuing_subword_prefix", None),
                             ("end_of_word_suffix", None), ("byte_fallback", False)):
            if model.get(key) not in (neutral, "") and model.get(key) != neutral:
                raise ValueError(f"{path}: model.{key}={model.get(key)!r} is not supported")
        if spec.get("normalizer") is not None:
            raise ValueError(f"{path}: normalizer {spec['normalizer'].get('type')!r} is not supported "
                             "(byte-level BPE files have none)")
        pre = spec.get("pre_tokenizer") or {}
        if pre.get("type") != "ByteLevel":
            raise ValueError(f"{path}: pre_tokenizer {pre.get('type')!r} is not supported; "
                             "BPETokenizer reads files with the ByteLevel pre-tokenizer")
        merges = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in model["merges"]]
        prefix, suffix = _post_processor_ids(spec.get("post_processor"), path)
        return cls(
            model["vocab"],
            merges,
            add_prefix_space=pre.get("add_prefix_space", True),
            use_regex=pre.get("use_regex", True),
            added_tokens=spec.get("added_tokens") or (),
            prefix_tokens=prefix,
            suffix_tokens=suffix,
            ignore_merges=model.get("ignore_merges", False),
            unk_token=model.get("unk_token"),
            fuse_unk=model.get("fuse_unk", False),
        )

    @classmethod
    def from_vocab_merges(
        cls, vocab_path: str | os.PathLike, merges_path: str | os.PathLike, *, add_prefix_space: bool = False
    ) -> BPETokenizer:
        """Load GPT-2 / RoBERTa style ``vocab.json`` and ``merges.txt`` (``#version`` line optional)."""
        vocab = json.loads(Path(vocab_path).read_text(encoding="utf-8"))
        merges = []
        for number, line in enumerate(Path(merges_path).read_text(encoding="utf-8").splitlines(), 1):
            if line.startswith("#version") or not line.strip():
                continue
            parts = line.split(" ")
            if len(parts) != 2:
                raise ValueError(f"{merges_path}:{number}: expected two tokens separated by a space, got {line!r}")
            merges.append((parts[0], parts[1]))
        return cls(vocab, merges, add_prefix_space=add_prefix_space)

    # ---------------------------------------------------------------- encoding
    def encode(self, text: str | bytes, *, add_special_tokens: bool = True) -> list[int]:
        """Ids of ``text`` (str, or bytes holding UTF-8: invalid bytes raise ValueError)."""
        return compiled_text().encode(self._core(add_special_tokens), text)

    def encode_batch(
        self, texts: Sequence[str | bytes], *, add_special_tokens: bool = True, num_threads: int | None = None
    ) -> list[list[int]]:
        """Ids of every text. Runs without the GIL, on up to ``num_threads`` threads
        (default ``torch.get_num_threads()``) when the batch is large."""
        return compiled_text().encode_batch(self._core(add_special_tokens), _as_list(texts),
                                                default_threads(num_threads))

    def encode_batch_padded(
        self,
        texts: Sequence[str | bytes],
        *,
        padding_value: int = 0,
        max_length: int | None = None,
        add_special_tokens: bool = True,
        num_threads: int | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Ids of every text as one padded tensor.

        Returns:
            ``ids`` ``(len(texts), T)`` int64, each row padded with ``padding_value`` (``T`` is the
            longest encoding, at most ``max_length``: longer ones are cut), and ``lengths``
            ``(len(texts),)`` int64, the unpadded length of each row.
        """
        if max_length is not None and max_length < 0:
            raise ValueError(f"max_length must be >= 0 or None, got {max_length}")
        data, width, lengths = compiled_text().encode_batch_padded(
            self._core(add_special_tokens), _as_list(texts), default_threads(num_threads),
            int(padding_value), -1 if max_length is None else int(max_length))
        return padded_tensors(data, width, lengths)

    def __call__(self, text: str | Sequence[str]) -> list[int] | list[list[int]]:
        """``encode`` for one string, ``encode_batch`` for a list of strings."""
        return self.encode(text) if isinstance(text, (str, bytes)) else self.encode_batch(text)

    # ---------------------------------------------------------------- decoding and lookup
    def decode(self, ids: Iterable[int], *, skip_special_tokens: bool = False) -> str:
        """The text of ``ids``; bytes that do not form UTF-8 become U+FFFD."""
        table = self._decode_table()
        parts = []
        for i in ids:
            i = int(i)
            if skip_special_tokens and i in self._special_ids:
                continue
            if i not in table:
                raise ValueError(f"ids: {i} is not in the vocabulary")
            parts.append(table[i])
        return b"".join(parts).decode("utf-8", errors="replace")

    def id_to_token(self, index: int) -> str | None:
        return self._id_to_token.get(index)

    def token_to_id(self, token: str) -> int | None:
        for t in self._added:
            if t["content"] == token:
                return t["id"]
        return self._vocab.get(token)

    def get_vocab(self) -> dict[str, int]:
        vocab = dict(self._vocab)
        vocab.update({t["content"]: t["id"] for t in self._added})
        return vocab

    def __len__(self) -> int:
        return len(self._id_to_token)

    def _core(self, add_special_tokens: bool):
        return self._with_special if add_special_tokens else self._plain

    def _decode_table(self) -> dict[int, bytes]:
        # The Hugging Face ByteLevel decoder's rule: a token made only of alphabet characters
        # stands for those bytes; any other token (an added token like "<mask>") for its UTF-8.
        if not hasattr(self, "_table"):
            self._table = {i: _token_bytes(t) or t.encode() for i, t in self._id_to_token.items()}
        return self._table


def _check_added_token(token: Mapping) -> dict:
    token = dict(token)
    if "content" not in token or "id" not in token:
        raise ValueError(f"added_tokens: each token needs 'content' and 'id', got {token!r}")
    if token.get("single_word", False):
        raise ValueError(f"added_tokens: single_word=True ({token['content']!r}) is not supported")
    return token


def _post_processor_ids(post: Mapping | None, path) -> tuple[list[int], list[int]]:
    """(prefix ids, suffix ids) a single sequence gets from a tokenizer.json post-processor."""
    if post is None or post.get("type") == "ByteLevel":
        return [], []
    kind = post.get("type")
    if kind in ("RobertaProcessing", "BertProcessing"):
        return [post["cls"][1]], [post["sep"][1]]
    if kind == "TemplateProcessing":
        prefix: list[int] = []
        suffix: list[int] = []
        seen_sequence = False
        for item in post["single"]:
            if "Sequence" in item:
                seen_sequence = True
                continue
            ids = post["special_tokens"][item["SpecialToken"]["id"]]["ids"]
            (suffix if seen_sequence else prefix).extend(ids)
        return prefix, suffix
    if kind == "Sequence":
        prefix, suffix = [], []
        for p in post["processors"]:
            a, b = _post_processor_ids(p, path)
            prefix, suffix = prefix + a, suffix + b
        return prefix, suffix
    raise ValueError(f"{path}: post_processor {kind!r} is not supported")


def _as_list(texts) -> list:
    if isinstance(texts, (str, bytes)):
        raise TypeError("texts must be a list of str or bytes, not a single string (use encode)")
    return texts if isinstance(texts, (list, tuple)) else list(texts)
