"""Compose's fused fast path and DecodeImage: same results as the plain chain."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image as PILImage

from triptych.vision import transforms as T
from triptych.vision.tensors import BoundingBoxes, Image
from triptych.vision.transforms import FusedCropResizeNormalize

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def pipelines(geometry_factory, *, seed: int, flip=True, normalize=True, decode=False):
    """The same pipeline twice, fused and plain, with identically seeded generators."""

    def build(fuse):
        steps = [T.DecodeImage()] if decode else []
        steps.append(geometry_factory(torch.Generator().manual_seed(seed)))
        if flip:
            steps.append(T.RandomHorizontalFlip(generator=torch.Generator().manual_seed(seed + 1)))
        steps.append(T.ToDtype(torch.float32, scale=True))
        if normalize:
            steps.append(T.Normalize(MEAN, STD))
        return T.Compose(steps, fuse=fuse)

    return build(True), build(False)


GEOMETRIES = {
    "RandomResizedCrop": lambda g: T.RandomResizedCrop(24, generator=g),
    "RandomResizedCrop-bicubic": lambda g: T.RandomResizedCrop((20, 28), interpolation="bicubic", generator=g),
    "Resize-int": lambda g: T.Resize(19),
    "Resize-hw": lambda g: T.Resize((23, 31), antialias=False),
    "CenterCrop": lambda g: T.CenterCrop((17, 21)),
}


def levels(a: torch.Tensor, b: torch.Tensor, normalized: bool) -> float:
    """Largest difference in uint8 levels before normalisation."""
    scale = torch.tensor(STD).view(3, 1, 1) * 255 if normalized else 255
    return float(((a - b).abs() * scale).max())


@pytest.mark.parametrize("name", sorted(GEOMETRIES))
@pytest.mark.parametrize("flip", [True, False])
@pytest.mark.parametrize("normalize", [True, False])
def test_fused_equals_plain_chain(seeded_generator, name, flip, normalize):
    seed = int(torch.randint(0, 2**30, (), generator=seeded_generator))
    fused, plain = pipelines(GEOMETRIES[name], seed=seed, flip=flip, normalize=normalize)
    assert [type(m) for m in fused.plan] == [FusedCropResizeNormalize]
    assert all(not isinstance(m, FusedCropResizeNormalize) for m in plain.plan)
    for _ in range(4):
        h, w = (int(v) for v in torch.randint(30, 90, (2,), generator=seeded_generator))
        image = torch.randint(0, 256, (3, h, w), dtype=torch.uint8, generator=seeded_generator)
        for layout in (image, image.permute(1, 2, 0).contiguous().permute(2, 0, 1)):
            a, b = fused(layout), plain(layout)
            assert a.shape == b.shape and a.dtype == b.dtype == torch.float32
            assert levels(a, b, normalize) <= 1.0


def test_fused_keeps_the_image_type_and_passes_labels(seeded_generator):
    fused, plain = pipelines(GEOMETRIES["RandomResizedCrop"], seed=3)
    image = Image(torch.randint(0, 256, (3, 40, 50), dtype=torch.uint8, generator=seeded_generator))
    a_image, a_label = fused((image, 7))
    b_image, b_label = plain((image, 7))
    assert type(a_image) is Image and a_label == b_label == 7
    assert levels(a_image, b_image, True) <= 1.0


def test_samples_the_fast_path_does_not_cover_run_the_plain_chain(seeded_generator):
    image = torch.randint(0, 256, (3, 40, 50), dtype=torch.uint8, generator=seeded_generator)
    boxes = BoundingBoxes([[5, 5, 30, 30]], format="XYXY", canvas_size=(40, 50))
    batch = torch.randint(0, 256, (2, 3, 40, 50), dtype=torch.uint8, generator=seeded_generator)
    pil = PILImage.fromarray(image.permute(1, 2, 0).numpy())
    for sample in ({"image": image, "boxes": boxes}, batch):
        fused, plain = pipelines(GEOMETRIES["RandomResizedCrop"], seed=11)
        a, b = fused(sample), plain(sample)
        if isinstance(a, dict):
            assert torch.equal(a["boxes"], b["boxes"]) and torch.equal(a["image"], b["image"])
        else:
            assert torch.equal(a, b)
    fused, plain = pipelines(GEOMETRIES["RandomResizedCrop"], seed=11)
    assert np.array_equal(np.asarray(fused(pil)), np.asarray(plain(pil)))
    big_crop = pipelines(lambda g: T.CenterCrop(60), seed=1)  # larger than the image: pads
    assert torch.equal(big_crop[0](image), big_crop[1](image))


def test_unfusable_pipelines_are_left_alone():
    assert not any(isinstance(m, FusedCropResizeNormalize) for m in T.Compose(
        [T.RandomResizedCrop(8), T.ToDtype(torch.float32, scale=False)]).plan)
    assert not any(isinstance(m, FusedCropResizeNormalize) for m in T.Compose(
        [T.RandomResizedCrop(8), T.ColorJitter(0.5), T.ToDtype(torch.float32, scale=True)]).plan)
    plan = T.Compose([T.ColorJitter(0.1), T.Resize(8), T.ToDtype(torch.float32, scale=True), T.Normalize(MEAN, STD)]).plan
    assert [type(m).__name__ for m in plan] == ["ColorJitter", "FusedCropResizeNormalize"]


def test_fused_is_reproducible_with_generators(seeded_generator):
    image = torch.randint(0, 256, (3, 64, 48), dtype=torch.uint8, generator=seeded_generator)
    first, _ = pipelines(GEOMETRIES["RandomResizedCrop"], seed=5)
    second, _ = pipelines(GEOMETRIES["RandomResizedCrop"], seed=5)
    outs = [first(image) for _ in range(3)]
    assert all(torch.equal(a, second(image)) for a in outs)
    assert not torch.equal(outs[0], outs[1])  # new draws each call


def _jpeg(seeded_generator, height: int, width: int) -> bytes:
    # Smooth content so that JPEG (and its reduced-scale decoding) is well behaved.
    low = torch.randint(0, 256, (3, height // 16 + 2, width // 16 + 2), generator=seeded_generator).float()
    smooth = torch.nn.functional.interpolate(low[None], size=(height, width), mode="bicubic")[0]
    array = smooth.clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()
    buf = io.BytesIO()
    PILImage.fromarray(np.ascontiguousarray(array)).save(buf, "JPEG", quality=95)
    return buf.getvalue()


def test_decode_image_transform_decodes_every_encoded_item(seeded_generator):
    data = _jpeg(seeded_generator, 30, 40)
    out = T.DecodeImage()({"a": data, "b": torch.frombuffer(bytearray(data), dtype=torch.uint8), "label": 1})
    assert type(out["a"]) is Image and out["a"].shape == (3, 30, 40)
    assert torch.equal(out["a"], out["b"]) and out["label"] == 1
    assert T.DecodeImage(mode="GRAY")(data).shape == (1, 30, 40)


def test_decoding_fused_pipeline_matches_plain_chain_without_reduced_scale(seeded_generator):
    # Crops at most 2x the output: full-scale decoding, only the rows above the crop's bottom.
    data = _jpeg(seeded_generator, 64, 80)
    fused, plain = pipelines(lambda g: T.RandomResizedCrop(48, scale=(0.5, 1.0), generator=g), seed=9, decode=True)
    for _ in range(5):
        a, b = fused(data), plain(data)
        assert type(a) is Image and a.shape == b.shape == (3, 48, 48)
        assert levels(a, b, True) <= 1.0


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_a_lone_encoded_sample_the_kernel_cannot_take_runs_the_plain_chain(seeded_generator, kind):
    # A bare bytes-like sample takes the short path; where that path declines (uint8 bicubic,
    # a centre crop that pads) the plain chain runs once, with the same random draws.
    data = kind(_jpeg(seeded_generator, 40, 52))
    for geometry in (GEOMETRIES["RandomResizedCrop-bicubic"], lambda g: T.CenterCrop(60)):
        fused, plain = pipelines(geometry, seed=13, decode=True)
        for _ in range(3):
            a, b = fused(data), plain(data)
            assert type(a) is Image and torch.equal(a, b)
    fused, plain = pipelines(GEOMETRIES["RandomResizedCrop"], seed=13, decode=True)
    for _ in range(3):
        a, b = fused(data), plain(data)
        assert type(a) is Image and a.shape == b.shape == (3, 24, 24) and levels(a, b, True) <= 1.0


def test_decoding_fused_pipeline_at_reduced_scale_stays_close(seeded_generator, monkeypatch):
    from triptych.vision import io as vio

    decoded_widths = []
    original_decode = vio.EncodedImage.decode_crop

    def spy(self, *args, **kwargs):
        image, box = original_decode(self, *args, **kwargs)
        decoded_widths.append(image.shape[-1])
        return image, box

    monkeypatch.setattr(vio.EncodedImage, "decode_crop", spy)
    data = _jpeg(seeded_generator, 480, 640)
    fused, plain = pipelines(lambda g: T.Resize((60, 80)), seed=2, decode=True)
    a, b = fused(data), plain(data)
    assert decoded_widths == [80]  # libjpeg decoded at 1/8 scale
    assert a.shape == b.shape == (3, 60, 80)
    # libjpeg's 1/8 IDCT is an 8x8 box filter, the plain chain a triangle filter 16 px wide:
    # a few levels apart on average, far from the hundreds a misplaced crop would give.
    diff = (a - b).abs() * torch.tensor(STD).view(3, 1, 1) * 255
    assert float(diff.mean()) < 6.0 and float(diff.max()) < 64.0


def test_decoding_fused_pipeline_honours_exif_orientation(seeded_generator):
    image = PILImage.open(io.BytesIO(_jpeg(seeded_generator, 40, 64)))
    exif = image.getexif()
    exif[0x0112] = 6  # stored rotated: shown after a 90-degree turn
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95, exif=exif.tobytes())
    data = buffer.getvalue()

    def build(fuse):
        return T.Compose([T.DecodeImage(apply_exif_orientation=True), T.Resize((32, 20)),
                          T.ToDtype(torch.float32, scale=True)], fuse=fuse)

    fused, plain = build(True), build(False)
    assert [type(m) for m in fused.plan] == [FusedCropResizeNormalize]
    a, b = fused(data), plain(data)
    assert a.shape == b.shape == (3, 32, 20)
    assert levels(a, b, False) <= 1.0


# --- samples and inputs the kernel does not fully handle (issue 7) -----------------------------


def test_every_image_of_a_sample_is_transformed(seeded_generator):
    first = Image(torch.randint(0, 256, (3, 40, 50), dtype=torch.uint8, generator=seeded_generator))
    second = Image(torch.randint(0, 256, (3, 40, 50), dtype=torch.uint8, generator=seeded_generator))
    fused, plain = pipelines(GEOMETRIES["RandomResizedCrop"], seed=4)
    a, b = fused({"x": first, "y": second}), plain({"x": first, "y": second})
    for key in ("x", "y"):
        assert a[key].shape == b[key].shape == (3, 24, 24) and a[key].dtype == torch.float32
        assert torch.equal(a[key], b[key])  # one transform for both: the plain chain ran


@pytest.mark.parametrize("name", sorted(GEOMETRIES))
def test_float64_input_ends_as_float32(seeded_generator, name):
    image = torch.rand((3, 40, 50), dtype=torch.float64, generator=seeded_generator)
    fused, plain = pipelines(GEOMETRIES[name], seed=6)
    a, b = fused(image), plain(image)
    assert a.dtype == b.dtype == torch.float32
    assert levels(a, b, True) <= 1.0


def test_empty_image_fails_like_the_plain_chain():
    for name in sorted(GEOMETRIES):
        fused, plain = pipelines(GEOMETRIES[name], seed=1)
        for shape in [(3, 0, 40), (3, 40, 0)]:
            image = torch.zeros(shape, dtype=torch.uint8)
            for pipeline in (fused, plain):
                with pytest.raises(ValueError, match="at least 1x1"):
                    pipeline(image)


def test_truncated_jpeg_fails_both_paths_the_same_way(seeded_generator):
    data = _jpeg(seeded_generator, 256, 192)
    cut = data[: len(data) * 3 // 4]  # the bottom quarter of the rows is missing
    # Small crops: most lie above the cut, where decoding only their rows would succeed.
    fused, plain = pipelines(
        lambda g: T.RandomResizedCrop(16, scale=(0.01, 0.02), generator=g), seed=8, decode=True
    )
    for _ in range(8):
        errors = []
        for pipeline in (fused, plain):
            with pytest.raises(ValueError, match="truncated") as info:
                pipeline(cut)
            errors.append(str(info.value))
        assert errors[0] == errors[1]


def _png16(seeded_generator, channels: int) -> bytes:
    from triptych.vision.io import encode_png

    image = torch.randint(0, 65536, (channels, 40, 50), generator=seeded_generator).to(torch.uint16)
    return encode_png(image).numpy().tobytes()


def _tiff32(seeded_generator) -> bytes:
    array = torch.randint(-(2**31), 2**31 - 1, (40, 50), generator=seeded_generator, dtype=torch.int32)
    buffer = io.BytesIO()
    PILImage.fromarray(array.numpy(), mode="I").save(buffer, "TIFF")
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["png16-gray", "png16-rgb", "tiff-int32"])
def test_unchanged_decoding_of_wide_dtypes_runs_the_plain_chain(seeded_generator, kind):
    data = _tiff32(seeded_generator) if kind == "tiff-int32" else _png16(
        seeded_generator, 1 if kind == "png16-gray" else 3)

    def build(fuse):
        return T.Compose([
            T.DecodeImage(mode="UNCHANGED"),
            T.RandomResizedCrop(24, generator=torch.Generator().manual_seed(2)),
            T.RandomHorizontalFlip(generator=torch.Generator().manual_seed(3)),
            T.ToDtype(torch.float32, scale=True),
        ], fuse=fuse)

    fused, plain = build(True), build(False)
    assert [type(m) for m in fused.plan] == [FusedCropResizeNormalize]
    for _ in range(4):
        a, b = fused(data), plain(data)
        assert a.dtype == torch.float32 and torch.equal(a, b)


def test_reduced_scale_off_decodes_at_full_scale_and_matches_the_plain_chain(seeded_generator, monkeypatch):
    from triptych.vision import io as vio

    full_scale = []
    original_decode = vio.EncodedImage.decode_crop

    def spy(self, box, size, **kwargs):
        image, box_in_image = original_decode(self, box, size, **kwargs)
        full_scale.append(list(box_in_image[2:]) == list(box[2:]))  # a reduced scale shrinks it
        return image, box_in_image

    monkeypatch.setattr(vio.EncodedImage, "decode_crop", spy)
    data = _jpeg(seeded_generator, 480, 640)

    def build(fuse):
        return T.Compose([
            T.DecodeImage(reduced_scale=False),
            T.RandomResizedCrop((60, 80), generator=torch.Generator().manual_seed(5)),
            T.ToDtype(torch.float32, scale=True), T.Normalize(MEAN, STD),
        ], fuse=fuse)

    fused, plain = build(True), build(False)
    assert [type(m) for m in fused.plan] == [FusedCropResizeNormalize]
    for _ in range(4):
        a, b = fused(data), plain(data)
        assert a.shape == b.shape == (3, 60, 80)
        assert levels(a, b, True) <= 1.0
    assert full_scale == [True] * 4  # the fused kernel ran, on a full-scale decode


@pytest.mark.cuda
def test_fused_runs_on_a_cuda_image(seeded_generator):
    # The kernel's box and flip tensors must be made on the image's device.
    fused, plain = pipelines(GEOMETRIES["RandomResizedCrop"], seed=17)
    image = torch.randint(0, 256, (3, 40, 50), dtype=torch.uint8, generator=seeded_generator)
    for _ in range(3):
        a, b = fused(image.cuda()), plain(image)
        assert a.is_cuda and levels(a.cpu(), b, True) <= 1.0


def test_a_1d_tensor_without_decode_image_fails_like_the_plain_chain():
    fused, plain = pipelines(GEOMETRIES["Resize-int"], seed=1)
    errors = []
    for pipeline in (fused, plain):
        with pytest.raises(TypeError) as info:  # the chain finds no image in it
            pipeline(torch.zeros(100, dtype=torch.uint8))
        errors.append(str(info.value))
    assert errors[0] == errors[1]


def test_building_decode_image_loads_the_decoder_so_forked_workers_inherit_it():
    # DataLoader workers are forked per epoch: a decoder imported on first use would be
    # imported again by every worker of every epoch.
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from triptych.vision import transforms as T\n"
        "before = 'triptych.vision.io' in sys.modules\n"
        "T.Compose([T.DecodeImage(), T.RandomResizedCrop(8), T.ToDtype(__import__('torch').float32, scale=True)])\n"
        "print(before, 'triptych.vision.io' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]
