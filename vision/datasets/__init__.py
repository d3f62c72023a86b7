"""triptych.vision.datasets: the vision datasets.

Their catalog entries live in ``_catalog`` (registered when the catalog is first used: see
``triptych datasets list --domain vision``); dataset classes build on
:class:`triptych.datasets.Dataset`.
"""

from . import _catalog  # noqa: F401 - registers the vision catalog entries
