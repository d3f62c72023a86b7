"""Vision dataset throughput, one thread, img/s.

* ``SyntheticShapes`` (64x64, each task) vs torchvision's ``FakeData`` (random-noise PIL
  images, made tensors by ``PILToTensor``): the anchor's only generated dataset; it draws no
  shapes and has no exact targets, so it is a floor, not a like-for-like rival.
* IDX parsing of 10,000 28x28 images (an MNIST-sized test file, uncompressed):
  ``triptych.vision.datasets.mnist.read_idx`` vs ``torchvision.datasets.mnist.read_image_file``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from common import main

N_SHAPES = 256
N_IDX = 10_000


def _shapes(task: str):
    def make():
        from triptych.vision.datasets import SyntheticShapes

        ds = SyntheticShapes(N_SHAPES, 64, task=task, seed=0)
        return lambda: [ds[i] for i in range(N_SHAPES)]

    return make


def _fakedata():
    import torchvision
    from torchvision.transforms import PILToTensor

    ds = torchvision.datasets.FakeData(N_SHAPES, (3, 64, 64), 5, transform=PILToTensor())
    return lambda: [ds[i] for i in range(N_SHAPES)]


def _idx_file() -> Path:
    import numpy as np

    path = Path(tempfile.gettempdir()) / "triptych-bench-t10k-images-idx3-ubyte"
    if not path.exists():
        images = np.random.default_rng(0).integers(0, 256, (N_IDX, 28, 28), dtype=np.uint8)
        header = bytes([0, 0, 8, 3]) + b"".join(d.to_bytes(4, "big") for d in (N_IDX, 28, 28))
        path.write_bytes(header + images.tobytes())
    return path


def _ours_idx():
    import numpy as np
    import torch

    from triptych.vision.datasets.mnist import read_idx

    path = _idx_file()
    return lambda: torch.from_numpy(read_idx(np.fromfile(path, dtype=np.uint8)))


def _torchvision_idx():
    from torchvision.datasets.mnist import read_image_file

    path = str(_idx_file())
    return lambda: read_image_file(path)


CASES = {
    "SyntheticShapes classification vs FakeData": (_shapes("classification"), _fakedata),
    "SyntheticShapes detection vs FakeData": (_shapes("detection"), _fakedata),
    "SyntheticShapes segmentation vs FakeData": (_shapes("segmentation"), _fakedata),
    "IDX 10k x 28x28 parse vs read_image_file": (_ours_idx, _torchvision_idx),
}


def _versions():
    import torchvision

    return {"torchvision": torchvision.__version__}


if __name__ == "__main__":
    main(
        "Vision datasets (1 thread): SyntheticShapes and IDX parsing vs torchvision",
        __file__,
        {name: ours for name, (ours, _) in CASES.items()},
        {name: anchor for name, (_, anchor) in CASES.items()},
        _versions,
        units={name: ("img/s", N_IDX if name.startswith("IDX") else N_SHAPES) for name in CASES},
    )
