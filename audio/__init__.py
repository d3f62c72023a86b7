"""triptych.audio: audio I/O, features and transforms.

Needs the ``audio`` extra: ``pip install 'triptych[audio]'``.
"""

from triptych._deps import require

require("soundfile", "audio")
