"""normalize: uint8 image -> float32, ``(x/255 - mean)/std``, one thread.

Ours (``triptych.ops.normalize``, one pass) vs the eager torch expression
``(x.float() / 255 - mean) / std`` on the same torch, in a separate process.
"""

from __future__ import annotations

import sys

from common import main

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
SHAPES = {
    "image 3x1024x1024": (3, 1024, 1024),
    "batch 64x3x224x224": (64, 3, 224, 224),
    "HWC image 1024x1024x3 -> CHW": (1024, 1024, 3),
}


def _input(shape):
    import torch

    return torch.randint(0, 256, shape, dtype=torch.uint8, generator=torch.Generator().manual_seed(0))


def _ours(shape):
    def make():
        from triptych.ops import normalize

        x = _input(shape)
        layout = "HWC" if shape[-1] == 3 else "CHW"
        return lambda: normalize(x, MEAN, STD, layout=layout)

    return make


def _eager(shape):
    def make():
        import torch

        x = _input(shape)
        if shape[-1] == 3:
            x = x.permute(2, 0, 1)
        mean = torch.tensor(MEAN).view(3, 1, 1)
        std = torch.tensor(STD).view(3, 1, 1)
        return lambda: (x.float() / 255 - mean) / std

    return make


def _versions():
    import torch

    return {"eager torch": torch.__version__}


if __name__ == "__main__":
    main(
        "normalize uint8 -> float32 (1 thread): triptych vs eager torch expression",
        __file__,
        {name: _ours(shape) for name, shape in SHAPES.items()},
        {name: _eager(shape) for name, shape in SHAPES.items()},
        _versions,
        anchor_python=sys.executable,
    )
