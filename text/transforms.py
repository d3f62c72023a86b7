"""Text transforms with torchtext's names and meanings, on the core transforms base.

Each takes one sample (a list of tokens / ids, a tensor, a label) or a batch (a list of those)
and does the same to every item.

Example:
    >>> from triptych.text.vocab import build_vocab_from_iterator
    >>> v = build_vocab_from_iterator([["hello", "world"]], specials=["<pad>", "<unk>", "<s>"])
    >>> v.set_default_index(v["<unk>"])
    >>> split_all = lambda lines: [line.split() for line in lines]
    >>> pipeline = Sequential(split_all, VocabTransform(v), Truncate(3), AddToken(v["<s>"], begin=True),
    ...                       ToTensor(padding_value=v["<pad>"]))
    >>> pipeline(["hello world again and again", "world"])
    tensor([[2, 3, 4, 1],
            [2, 4, 0, 0]])
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from triptych.transforms import Compose, Transform

from .vocab import Vocab

__all__ = [
    "AddToken",
    "LabelToIndex",
    "PadTransform",
    "Sequential",
    "StrToIntTransform",
    "ToTensor",
    "Truncate",
    "VocabTransform",
]


class _TextTransform(Transform):
    """A text transform acts on the whole token list (or batch of lists) it is given.

    The core base flattens a sample into leaves and transforms the tensors among them (an image,
    its boxes and mask move together); a list of tokens is one item here, not leaves, so the
    sample goes to :meth:`transform` whole.
    """

    def forward(self, sample: Any) -> Any:
        return self.transform(sample, {})


def _is_batch(sample: Any) -> bool:
    """A list of token lists (a batch) rather than one list of tokens."""
    return isinstance(sample, (list, tuple)) and len(sample) > 0 and isinstance(sample[0], (list, tuple))


def _check_sequence(sample: Any, owner: str) -> None:
    if not isinstance(sample, (list, tuple)):
        raise TypeError(f"{owner} expects a list of tokens or a list of such lists, got {type(sample).__name__}")


class VocabTransform(_TextTransform):
    """Tokens -> indices through ``vocab`` (one list, or a batch of lists).

    Args:
        vocab: a :class:`~triptych.text.vocab.Vocab` (unknown tokens get its default index).
    """

    def __init__(self, vocab: Vocab):
        super().__init__()
        if not isinstance(vocab, Vocab):
            raise TypeError(f"vocab must be a triptych.text.vocab.Vocab, got {type(vocab).__name__}")
        self.vocab = vocab

    def transform(self, sample, params):
        _check_sequence(sample, "VocabTransform")
        if _is_batch(sample):
            return [self.vocab.lookup_indices(tokens) for tokens in sample]
        return self.vocab.lookup_indices(sample)


class Truncate(_TextTransform):
    """Keep the first ``max_seq_len`` items of a list (of each list of a batch)."""

    def __init__(self, max_seq_len: int):
        super().__init__()
        if not isinstance(max_seq_len, int) or max_seq_len < 0:
            raise ValueError(f"max_seq_len must be an int >= 0, got {max_seq_len!r}")
        self.max_seq_len = max_seq_len

    def transform(self, sample, params):
        _check_sequence(sample, "Truncate")
        if _is_batch(sample):
            return [list(s[: self.max_seq_len]) for s in sample]
        return list(sample[: self.max_seq_len])


class AddToken(_TextTransform):
    """Put ``token`` (an id or a string) at the beginning (``begin=True``) or the end of a list."""

    def __init__(self, token: int | str, begin: bool = True):
        super().__init__()
        if not isinstance(token, (int, str)):
            raise TypeError(f"token must be int or str, got {type(token).__name__}")
        self.token = token
        self.begin = begin

    def transform(self, sample, params):
        _check_sequence(sample, "AddToken")
        if _is_batch(sample):
            return [self._add(s) for s in sample]
        return self._add(sample)

    def _add(self, tokens):
        return [self.token, *tokens] if self.begin else [*tokens, self.token]


class PadTransform(_TextTransform):
    """Pad the last dimension of a tensor with ``pad_value`` up to ``max_length`` (longer ones
    are returned unchanged). Shape ``(*, L)`` -> ``(*, max(L, max_length))``."""

    def __init__(self, max_length: int, pad_value: int):
        super().__init__()
        if not isinstance(max_length, int) or max_length < 0:
            raise ValueError(f"max_length must be an int >= 0, got {max_length!r}")
        self.max_length = max_length
        self.pad_value = pad_value

    def transform(self, sample, params):
        if not isinstance(sample, torch.Tensor):
            raise TypeError(f"PadTransform expects a tensor, got {type(sample).__name__}")
        missing = self.max_length - sample.size(-1)
        if missing > 0:
            sample = torch.nn.functional.pad(sample, (0, missing), value=self.pad_value)
        return sample


class ToTensor(_TextTransform):
    """A list of ids -> a 1-D tensor; a batch of lists -> ``(B, longest)`` padded with
    ``padding_value`` (a ragged batch needs one)."""

    def __init__(self, padding_value: int | None = None, dtype: torch.dtype = torch.long):
        super().__init__()
        self.padding_value = padding_value
        self.dtype = dtype

    def transform(self, sample, params):
        _check_sequence(sample, "ToTensor")
        if not _is_batch(sample):
            return torch.tensor(list(sample), dtype=self.dtype)
        lengths = {len(s) for s in sample}
        if len(lengths) > 1 and self.padding_value is None:
            raise ValueError("ToTensor: the sequences have different lengths; set padding_value")
        rows = [torch.tensor(list(s), dtype=self.dtype) for s in sample]
        return torch.nn.utils.rnn.pad_sequence(rows, batch_first=True,
                                               padding_value=0 if self.padding_value is None else self.padding_value)


class LabelToIndex(_TextTransform):
    """Label names -> indices, from ``label_names`` or a file with one label per line.

    Args:
        label_names: the labels, index order (exactly one of label_names / label_path).
        label_path: a UTF-8 file with one label per line.
        sort_names: sort the labels before numbering them.
    """

    def __init__(self, label_names: Sequence[str] | None = None, label_path: str | os.PathLike | None = None,
                 sort_names: bool = False):
        super().__init__()
        if (label_names is None) == (label_path is None):
            raise ValueError("LabelToIndex needs exactly one of label_names and label_path")
        if label_path is not None:
            label_names = [line for line in Path(label_path).read_text(encoding="utf-8").splitlines() if line]
        names = sorted(label_names) if sort_names else list(label_names)
        if len(set(names)) != len(names):
            raise ValueError("label_names: a label appears twice")
        self.label_names = names
        self._index = {name: i for i, name in enumerate(names)}

    def transform(self, sample, params):
        if isinstance(sample, str):
            return self._lookup(sample)
        _check_sequence(sample, "LabelToIndex")
        return [self._lookup(s) for s in sample]

    def _lookup(self, label: str) -> int:
        try:
            return self._index[label]
        except KeyError:
            raise ValueError(f"label {label!r} is not one of {len(self._index)} label names") from None


class StrToIntTransform(_TextTransform):
    """Strings of digits -> ints (a list, or a batch of lists)."""

    def transform(self, sample, params):
        _check_sequence(sample, "StrToIntTransform")
        if _is_batch(sample):
            return [[int(x) for x in s] for s in sample]
        return [int(x) for x in sample]


class Sequential(Compose):
    """Apply ``transforms`` in order (torchtext's ``Sequential``, positional like
    ``torch.nn.Sequential``); plain callables such as a tokenizer are allowed."""

    def __init__(self, *transforms: Callable):
        super().__init__(list(transforms))
