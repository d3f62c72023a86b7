"""triptych.text: tokenizers, vocabularies and text transforms (not built yet: only its catalog entries, in ``datasets``).

Its io will need the ``text`` extra (``pip install 'triptych[text]'``), checked where it is used
(``triptych._deps.require("sentencepiece", "text")``), not at import.
"""
