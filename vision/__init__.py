"""triptych.vision: image decoding, typed tensors, transforms, kernels and drawing utilities.

Pillow (the ``vision`` extra, ``pip install 'triptych[vision]'``) is needed where files or PIL
images are involved — ``io``, ``utils``, PIL inputs to the transforms — and checked there, with
an ImportError naming the extra; ``tensors``, ``ops``, the compiled kernels, the transforms on
tensors and the catalog entries (``datasets``) work without it. Submodules load on first use::

    from triptych.vision import io, tensors, transforms, ops, utils
    image = triptych.vision.io.read_image("cat.jpg")
"""

from __future__ import annotations

from triptych._lazy import lazy_attributes

_SUBMODULES = ("datasets", "io", "models", "ops", "tensors", "transforms", "utils")


# Lazy: the catalog and the CLI import this package without paying for torch.
__getattr__, __dir__ = lazy_attributes(__name__, dict.fromkeys(_SUBMODULES))
