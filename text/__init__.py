"""triptych.text: tokenizers, vocabularies and text transforms.

Needs the ``text`` extra: ``pip install 'triptych[text]'``.
"""

from triptych._deps import require

require("sentencepiece", "text")
