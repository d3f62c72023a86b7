"""triptych.audio.datasets: the audio datasets.

Their catalog entries live in ``_catalog`` (registered when the catalog is first used: see
``triptych datasets list --domain audio``); dataset classes build on
:class:`triptych.datasets.Dataset`.
"""

from . import _catalog  # noqa: F401 - registers the audio catalog entries
