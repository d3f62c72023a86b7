"""Tokenizers: byte-level BPE and BERT WordPiece in C++ (ids equal to Hugging Face
``tokenizers``), regex tokenizers, torchtext's ``get_tokenizer``.

>>> from triptych.text.tokenizers import get_tokenizer
>>> get_tokenizer("basic_english")("You can now install TorchText using pip!")
['you', 'can', 'now', 'install', 'torchtext', 'using', 'pip', '!']
"""

from ._bpe import BPETokenizer, bytes_to_unicode
from ._regex import RegexTokenizer, get_tokenizer
from ._wordpiece import WordPieceTokenizer

__all__ = ["BPETokenizer", "RegexTokenizer", "WordPieceTokenizer", "bytes_to_unicode", "get_tokenizer"]
