"""triptych.audio.models: audio model builders.

Builders register with :func:`triptych.models.register_model` (domain ``"audio"``), so
``triptych.models.get_model("kws_cnn")`` works as well as calling :func:`kws_cnn` here
(``triptych models list --domain audio`` lists them).
"""

# akws: the keyword-spotting CNN
from .kws import KWSCNN, kws_cnn

__all__ = [
    "KWSCNN",
    "kws_cnn",
]
