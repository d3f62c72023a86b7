"""``Vocab``: token <-> index, with torchtext's names and behaviour.

A Python ``dict`` holds token -> index and a ``list`` index -> token. A compiled map would not be
faster here: every lookup starts from a Python ``str``, and ``dict.get`` on it is already one
hash probe on a cached hash (see ``benchmarks/bench_text.py`` for measured figures).

Example:
    >>> v = build_vocab_from_iterator([["a", "b", "b"], ["c", "b", "a"]], specials=["<unk>"])
    >>> v.get_itos()
    ['<unk>', 'b', 'a', 'c']
    >>> v.set_default_index(v["<unk>"])
    >>> v.lookup_indices(["a", "zzz", "c"])
    [2, 0, 3]
    >>> v(["b"]), v.lookup_tokens([3, 1])
    ([1], ['c', 'b'])
    >>> v.numericalize(["a b  zzz", "c"])
    [[2, 1, 0], [3]]
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = ["TokenNotFoundError", "Vocab", "build_vocab_from_iterator", "vocab"]


class TokenNotFoundError(KeyError, RuntimeError):
    """A token or index the vocabulary does not hold (a KeyError, and a RuntimeError as in torchtext)."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else ""


class Vocab:
    """An ordered vocabulary: ``tokens[i]`` has index ``i``.

    Args:
        tokens: the tokens in index order (no duplicates).
        default_index: index returned for unknown tokens (None: unknown tokens raise).
    """

    def __init__(self, tokens: Iterable[str] = (), *, default_index: int | None = None):
        self._itos: list[str] = []
        self._stoi: dict[str, int] = {}
        for token in tokens:
            self.append_token(token)
        self._default: int | None = None
        self._compiled = None  # the compiled lookup of numericalize, rebuilt after a change
        if default_index is not None:
            self.set_default_index(default_index)

    # ---------------------------------------------------------------- lookups
    def __len__(self) -> int:
        return len(self._itos)

    def __contains__(self, token: object) -> bool:
        return token in self._stoi

    def __getitem__(self, token: str) -> int:
        index = self._stoi.get(token, self._default)
        if index is None:
            raise TokenNotFoundError(f"token {token!r} is not in the vocabulary and no default index is set")
        return index

    def __call__(self, tokens: Sequence[str]) -> list[int]:
        """Same as :meth:`lookup_indices` (torchtext's ``forward``)."""
        return self.lookup_indices(tokens)

    def lookup_indices(self, tokens: Sequence[str]) -> list[int]:
        """Index of every token (unknown ones get the default index, or raise)."""
        get, default = self._stoi.get, self._default
        indices = [get(t, default) for t in tokens]
        if default is None and None in indices:
            missing = next(t for t, i in zip(tokens, indices) if i is None)
            raise TokenNotFoundError(f"token {missing!r} is not in the vocabulary and no default index is set")
        return indices

    def numericalize(self, texts: Sequence[str], *, num_threads: int | None = None) -> list[list[int]]:
        """Split every text on whitespace and look up each token, in one compiled call.

        Equal to ``[self.lookup_indices(t.split()) for t in texts]`` (``str.split``'s whitespace),
        without the GIL and on up to ``num_threads`` threads for large batches.
        """
        from triptych.text.tokenizers._compiled import compiled_text, default_threads

        if isinstance(texts, (str, bytes)):
            raise TypeError("texts must be a list of str, not a single string")
        if self._compiled is None:
            self._compiled = compiled_text().split_lookup_new(
                [(t.encode(), i) for t, i in self._stoi.items()], -1 if self._default is None else self._default)
        rows = compiled_text().encode_batch(self._compiled, texts, default_threads(num_threads))
        if self._default is None:
            for row, text in zip(rows, texts):
                if -1 in row:
                    self.lookup_indices(text.split())  # raises, naming the token
        return rows

    def lookup_token(self, index: int) -> str:
        if not 0 <= index < len(self._itos):
            raise TokenNotFoundError(f"index {index} is out of range for a vocabulary of {len(self._itos)} tokens")
        return self._itos[index]

    def lookup_tokens(self, indices: Sequence[int]) -> list[str]:
        return [self.lookup_token(int(i)) for i in indices]

    def get_stoi(self) -> dict[str, int]:
        return dict(self._stoi)

    def get_itos(self) -> list[str]:
        return list(self._itos)

    # ---------------------------------------------------------------- default index
    def set_default_index(self, index: int | None) -> None:
        """Index returned for unknown tokens; None makes unknown tokens raise."""
        if index is not None and not isinstance(index, int):
            raise TypeError(f"index must be an int or None, got {type(index).__name__}")
        self._default = index
        self._compiled = None

    def get_default_index(self) -> int | None:
        return self._default

    # ---------------------------------------------------------------- changes
    def append_token(self, token: str) -> None:
        """Add ``token`` at the end (it must be new)."""
        if not isinstance(token, str):
            raise TypeError(f"token must be str, got {type(token).__name__}")
        if token in self._stoi:
            raise ValueError(f"token {token!r} is already in the vocabulary (index {self._stoi[token]})")
        self._stoi[token] = len(self._itos)
        self._itos.append(token)
        self._compiled = None

    def insert_token(self, token: str, index: int) -> None:
        """Put ``token`` (new) at ``index`` (0 to len); the tokens from there move up by one."""
        if not isinstance(token, str):
            raise TypeError(f"token must be str, got {type(token).__name__}")
        if token in self._stoi:
            raise ValueError(f"token {token!r} is already in the vocabulary (index {self._stoi[token]})")
        if not 0 <= index <= len(self._itos):
            raise ValueError(f"index must be in [0, {len(self._itos)}], got {index}")
        self._itos.insert(index, token)
        self._compiled = None
        for i in range(index, len(self._itos)):
            self._stoi[self._itos[i]] = i

    # ---------------------------------------------------------------- files
    def save(self, path: str | os.PathLike) -> None:
        """Write the tokens, one per line in index order, as UTF-8 (written whole or not at all).

        The default index is not part of the file."""
        bad = next((t for t in self._itos if "\n" in t or "\r" in t), None)
        if bad is not None:
            raise ValueError(f"token {bad!r} holds a line break and cannot be saved one per line")
        path = Path(path)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text("".join(t + "\n" for t in self._itos), encoding="utf-8")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    @classmethod
    def load(cls, path: str | os.PathLike, *, default_index: int | None = None) -> Vocab:
        """Read a file written by :meth:`save` (one token per line)."""
        text = Path(path).read_text(encoding="utf-8")
        tokens = text.split("\n")
        if tokens and tokens[-1] == "":
            tokens.pop()
        seen: set[str] = set()
        for number, token in enumerate(tokens, 1):
            if token in seen:
                raise ValueError(f"{path}:{number}: token {token!r} appears twice")
            seen.add(token)
        return cls(tokens, default_index=default_index)

    def __repr__(self) -> str:
        return f"Vocab({len(self)} tokens, default_index={self._default})"


def vocab(ordered_dict, min_freq: int = 1, *, specials: Sequence[str] | None = None,
          special_first: bool = True) -> Vocab:
    """A Vocab from token -> frequency in the order given, like ``torchtext.vocab.vocab``:
    tokens below ``min_freq`` are dropped; ``specials`` go first (or last)."""
    if min_freq < 1:
        raise ValueError(f"min_freq must be >= 1, got {min_freq}")
    specials = list(specials or [])
    tokens = [t for t, freq in ordered_dict.items() if freq >= min_freq and t not in specials]
    return Vocab(specials + tokens if special_first else tokens + specials)


def build_vocab_from_iterator(
    iterator: Iterable[Iterable[str]],
    min_freq: int = 1,
    specials: Sequence[str] | None = None,
    special_first: bool = True,
    max_tokens: int | None = None,
) -> Vocab:
    """Count the tokens of every item of ``iterator`` and build a Vocab (torchtext's rules).

    Tokens are ordered by descending frequency, ties alphabetically; ``max_tokens`` caps the
    size including ``specials`` (counted before specials are set aside, as torchtext does).
    """
    counter: Counter[str] = Counter()
    for tokens in iterator:
        if isinstance(tokens, str):
            raise TypeError("iterator must yield lists of tokens, not strings (tokenize first)")
        counter.update(tokens)
    specials = list(specials or [])
    by_freq = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    if max_tokens is not None:
        if len(specials) >= max_tokens:
            raise ValueError(f"max_tokens ({max_tokens}) must exceed the number of specials ({len(specials)})")
        by_freq = by_freq[: max_tokens - len(specials)]
    return vocab(dict(by_freq), min_freq, specials=specials, special_first=special_first)
