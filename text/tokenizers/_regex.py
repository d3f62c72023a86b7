"""Regex tokenizers and ``get_tokenizer`` with torchtext's semantics."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence


class RegexTokenizer:
    """Apply ``re.sub(pattern, replacement)`` for each pair in order, then split on whitespace.

    Same as ``torchtext.transforms.RegexTokenizer``.

    Args:
        patterns: ``(pattern, replacement)`` pairs.

    Example:
        >>> tok = RegexTokenizer([(r"\\s+", " "), (r"[^\\w ]", " ")])
        >>> tok("hello,   world!")
        ['hello', 'world']
    """

    def __init__(self, patterns: Sequence[tuple[str, str]]):
        compiled = []
        for i, pair in enumerate(patterns):
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
                raise ValueError(f"patterns[{i}] must be a (pattern, replacement) pair, got {pair!r}")
            compiled.append((re.compile(pair[0]), pair[1]))
        self.patterns = list(patterns)
        self._compiled = compiled

    def __call__(self, line: str) -> list[str]:
        for pattern, replacement in self._compiled:
            line = pattern.sub(replacement, line)
        return line.split()


# torchtext's basic_english: lowercase, pad punctuation with spaces, drop quotes and <br />.
_BASIC_ENGLISH = [
    (r"\'", " '  "), (r"\"", ""), (r"\.", " . "), (r"<br \/>", " "), (r",", " , "), (r"\(", " ( "),
    (r"\)", " ) "), (r"\!", " ! "), (r"\?", " ? "), (r"\;", " "), (r"\:", " "), (r"\s+", " "),
]


class _BasicEnglish(RegexTokenizer):
    def __init__(self):
        super().__init__(_BASIC_ENGLISH)

    def __call__(self, line: str) -> list[str]:
        return super().__call__(line.lower())


def get_tokenizer(tokenizer: str | Callable[[str], list[str]] | None, language: str = "en") -> Callable[[str], list[str]]:
    """A tokenizer by name, like ``torchtext.data.utils.get_tokenizer``.

    ``None`` splits on whitespace, a callable is returned as is, ``"basic_english"`` (English
    only) lowercases and splits punctuation off words. Other torchtext names (spacy, moses,
    ...) need third-party libraries and are not provided.

    Example:
        >>> get_tokenizer("basic_english")("Hello, World. It's (very) nice!")
        ['hello', ',', 'world', '.', 'it', "'", 's', '(', 'very', ')', 'nice', '!']
        >>> get_tokenizer(None)("a  b")
        ['a', 'b']
    """
    if tokenizer is None:
        return str.split
    if callable(tokenizer):
        return tokenizer
    if tokenizer == "basic_english":
        if language != "en":
            raise ValueError(f"basic_english supports language='en' only, got {language!r}")
        return _BasicEnglish()
    raise ValueError(f"tokenizer {tokenizer!r} is not available; use None, 'basic_english' or a callable")
