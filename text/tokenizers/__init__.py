"""Tokenizers: byte-level BPE and BERT WordPiece in C++ (ids equal to Hugging Face
``tokenizers``), SentencePiece (the ``text`` extra), regex tokenizers, torchtext's ``get_tokenizer``.

>>> from triptych.text.tokenizers import get_tokenizer
>>> get_tokenizer("basic_english")("You can now install TorchText using pip!")
['you', 'can', 'now', 'install', 'torchtext', 'using', 'pip', '!']
"""

from ._bpe import BPETokenizer, bytes_to_unicode
from ._regex import RegexTokenizer, get_tokenizer
from ._sentencepiece import SentencePieceTokenizer, train_sentencepiece
from ._wordpiece import WordPieceTokenizer

__all__ = [
    "BPETokenizer",
    "RegexTokenizer",
    "SentencePieceTokenizer",
    "WordPieceTokenizer",
    "bytes_to_unicode",
    "get_tokenizer",
    "train_sentencepiece",
]
