"""triptych.audio: audio I/O, features and transforms (not built yet: only its catalog entries, in ``datasets``).

Its io will need the ``audio`` extra (``pip install 'triptych[audio]'``), checked where it is used
(``triptych._deps.require("soundfile", "audio")``), not at import.
"""
