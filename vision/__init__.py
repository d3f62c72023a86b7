"""triptych.vision: image decoding, typed tensors, transforms and kernels.

Needs the ``vision`` extra: ``pip install 'triptych[vision]'``.
"""

from triptych._deps import require

require("PIL", "vision")
