"""resize and the fused crop-resize-flip-normalize op, one thread.

uint8 3x500x375 -> 224x224, bilinear, antialias: ours (``triptych.vision.ops.resize``) vs
torch's ``F.interpolate(antialias=True)`` on uint8 and torchvision v2's
``functional.resize``, for contiguous CHW input and for the channels-last view of an HWC
image (what decoding produces). The fused case crops, resizes, flips and normalizes a
500x375 HWC uint8 image to a 224x224 float32 CHW tensor in one call; the anchor is
torchvision v2's chain ``resized_crop`` + ``hflip`` + ``to_dtype(scale=True)`` + ``normalize``
on the same tensor.
"""

from __future__ import annotations

from common import main

HEIGHT, WIDTH, OUT = 500, 375, (224, 224)
BOX = (40, 30, 400, 300)  # top, left, height, width
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def _image(layout):
    import torch

    hwc = torch.randint(0, 256, (HEIGHT, WIDTH, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    chw = hwc.permute(2, 0, 1)  # channels-last view, as decoded
    return chw.contiguous() if layout == "CHW" else chw


def _ours_resize(layout):
    def make():
        from triptych.vision.ops import resize

        x = _image(layout)
        return lambda: resize(x, OUT, interpolation="bilinear", antialias=True)

    return make


def _ours_fused():
    def make():
        from triptych.vision.ops import resized_crop_flip_normalize

        x = _image("HWC")
        return lambda: resized_crop_flip_normalize(x, BOX, True, OUT, mean=MEAN, std=STD)

    return make


def _torch_interpolate(layout):
    def make():
        import torch.nn.functional as F

        x = _image(layout).unsqueeze(0)
        return lambda: F.interpolate(x, size=OUT, mode="bilinear", align_corners=False, antialias=True)

    return make


def _tv_resize(layout):
    def make():
        import torchvision.transforms.v2.functional as TF

        x = _image(layout)
        return lambda: TF.resize(x, list(OUT), antialias=True)

    return make


def _tv_fused():
    def make():
        import torch
        import torchvision.transforms.v2.functional as TF

        x = _image("HWC")
        top, left, h, w = BOX

        def chain():
            y = TF.resized_crop(x, top, left, h, w, list(OUT), antialias=True)
            y = TF.horizontal_flip(y)
            y = TF.to_dtype(y, torch.float32, scale=True)
            return TF.normalize(y, MEAN, STD)

        return chain

    return make


CASES = {
    "resize u8 CHW vs F.interpolate": (_ours_resize("CHW"), _torch_interpolate("CHW")),
    "resize u8 CHW vs tv v2 resize": (_ours_resize("CHW"), _tv_resize("CHW")),
    "resize u8 HWC vs F.interpolate": (_ours_resize("HWC"), _torch_interpolate("HWC")),
    "resize u8 HWC vs tv v2 resize": (_ours_resize("HWC"), _tv_resize("HWC")),
    "crop+resize+flip+normalize HWC vs tv v2 chain": (_ours_fused(), _tv_fused()),
}


def _versions():
    import torch
    import torchvision

    return {"torch": torch.__version__, "torchvision": torchvision.__version__}


if __name__ == "__main__":
    main(
        "resize uint8 3x500x375 -> 224x224 bilinear antialias (1 thread): triptych vs torch/torchvision",
        __file__,
        {name: ours for name, (ours, _) in CASES.items()},
        {name: anchor for name, (_, anchor) in CASES.items()},
        _versions,
        rounds=5,
    )
