"""Tokenizers: byte-level BPE (C++), with Hugging Face ``tokenizers``-equal ids.

>>> from triptych.text.tokenizers import BPETokenizer
"""

from ._bpe import BPETokenizer, bytes_to_unicode

__all__ = ["BPETokenizer", "bytes_to_unicode"]
