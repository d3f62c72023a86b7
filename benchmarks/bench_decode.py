"""JPEG decode to a (C, H, W) uint8 tensor, one thread, img/s.

Ours: ``triptych.vision.io.decode_image`` (the libjpeg-turbo decoder compiled into
``triptych._C``, or Pillow when built without it — the header line says which), also with
``size_hint=(224, 224)`` (reduced DCT scale) on the camera-sized photos, and
``decode_jpeg(list, num_threads=2)`` for a batch. Anchor: ``torchvision.io.decode_jpeg`` —
which has no reduced-scale decode, so the size_hint row compares against its full decode, the
work a 224-px pipeline does with it; its list form decodes one after another — and, in one
row, the naive Pillow path ``np.asarray(Image.open(f).convert("RGB"))``.

Reads ``../shared/data/images/{img,large}*.jpg`` beside the repository; skips if absent.
"""

from __future__ import annotations

import sys
from pathlib import Path

from common import main

IMAGES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "images"
SETS = {"img": "img*.jpg", "large": "large*.jpg"}


def _files(which: str) -> list[bytes]:
    return [path.read_bytes() for path in sorted(IMAGES.glob(SETS[which]))]


def _ours(which: str, **options):
    def make():
        from triptych.vision.io import decode_image

        files = _files(which)
        return lambda: [decode_image(data, **options) for data in files]

    return make


def _ours_batch(which: str, threads: int):
    def make():
        import torch

        from triptych.vision.io import decode_jpeg

        tensors = [torch.frombuffer(bytearray(data), dtype=torch.uint8) for data in _files(which)]
        return lambda: decode_jpeg(tensors, mode="RGB", num_threads=threads)

    return make


def _torchvision_batch(which: str):
    def make():
        import torch
        from torchvision.io import ImageReadMode, decode_jpeg

        tensors = [torch.frombuffer(bytearray(data), dtype=torch.uint8) for data in _files(which)]
        return lambda: decode_jpeg(tensors, mode=ImageReadMode.RGB)

    return make


def _torchvision(which: str, **options):
    def make():
        import torch
        from torchvision.io import ImageReadMode, decode_jpeg

        if "mode" in options:
            options["mode"] = ImageReadMode[options["mode"]]
        tensors = [torch.frombuffer(bytearray(data), dtype=torch.uint8) for data in _files(which)]
        return lambda: [decode_jpeg(data, **options) for data in tensors]

    return make


def _naive_pillow(which: str):
    def make():
        import io
        import warnings

        import numpy as np
        import torch
        from PIL import Image

        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        files = _files(which)
        return lambda: [torch.from_numpy(np.asarray(Image.open(io.BytesIO(d)).convert("RGB"))).permute(2, 0, 1)
                        for d in files]

    return make


CASES = {
    "img*.jpg RGB vs decode_jpeg": (_ours("img"), _torchvision("img")),
    "img*.jpg RGB vs naive Pillow asarray": (_ours("img"), _naive_pillow("img")),
    "img*.jpg GRAY vs decode_jpeg GRAY": (_ours("img", mode="GRAY"), _torchvision("img", mode="GRAY")),
    "large*.jpg RGB vs decode_jpeg": (_ours("large"), _torchvision("large")),
    "large*.jpg size_hint 224 vs decode_jpeg": (_ours("large", size_hint=(224, 224)), _torchvision("large")),
    "img*.jpg list, 2 threads vs decode_jpeg(list)": (_ours_batch("img", 2), _torchvision_batch("img")),
}


def _versions():
    import PIL
    import torchvision

    return {"torchvision": torchvision.__version__, "Pillow (naive row)": PIL.__version__}


def _our_decoder() -> str:
    from triptych.vision.io import jpeg_decoder

    return jpeg_decoder()


if __name__ == "__main__":
    if "--anchor-worker" not in sys.argv and not all(any(IMAGES.glob(p)) for p in SETS.values()):
        print(f"bench_decode: skipped, no images in {IMAGES}")
        sys.exit(0)
    counts = {which: len(list(IMAGES.glob(pattern))) for which, pattern in SETS.items()}
    if "--anchor-worker" not in sys.argv:
        print(f"our JPEG decoder: {_our_decoder()}")
    main(
        "JPEG decode to a (C, H, W) uint8 tensor (1 thread): triptych.vision.io vs torchvision / naive Pillow",
        __file__,
        {name: ours for name, (ours, _) in CASES.items()},
        {name: anchor for name, (_, anchor) in CASES.items()},
        _versions,
        units={name: ("img/s", counts["large" if name.startswith("large") else "img"]) for name in CASES},
    )
