"""The compiled libjpeg-turbo decoder (``triptych::decode_jpeg``) and ``vision.io.decode_jpeg``.

References: Pillow's decode of the same bytes (Pillow links libjpeg-turbo too, with the same
IDCT and upsampling), and for region decodes our own full decode at the same DCT scale. Every
image is made here from random content drawn fresh each run.
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

PIL = pytest.importorskip("PIL")
from PIL import Image, ImageOps  # noqa: E402

import triptych.vision.io as vio  # noqa: E402
from triptych import library  # noqa: E402
from triptych.vision import _jpeg  # noqa: E402
from triptych.vision.io import EncodedImage, ImageDecodeError, decode_image, decode_jpeg  # noqa: E402

needs_decoder = pytest.mark.skipif(not _jpeg.AVAILABLE, reason="triptych._C built without libjpeg-turbo")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng()


def _photo(rng, height, width) -> np.ndarray:
    """Smooth colour fields plus noise: JPEG-like content with detail in every block."""
    coarse = torch.from_numpy(rng.uniform(0, 255, (1, 3, 7, 7))).float()
    smooth = torch.nn.functional.interpolate(coarse, size=(height, width), mode="bicubic", align_corners=True)
    noisy = smooth + torch.from_numpy(rng.normal(0, 10, (1, 3, height, width))).float()
    return noisy[0].clamp(0, 255).round().to(torch.uint8).permute(1, 2, 0).contiguous().numpy()


def _jpeg_bytes(image: Image.Image | np.ndarray, **params) -> bytes:
    image = image if isinstance(image, Image.Image) else Image.fromarray(image)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", **params)
    return buffer.getvalue()


def _pillow(data: bytes, mode: str = "RGB") -> torch.Tensor:
    array = np.array(Image.open(io.BytesIO(data)).convert(mode))
    tensor = torch.from_numpy(array)
    return tensor.unsqueeze(0) if tensor.dim() == 2 else tensor.permute(2, 0, 1)


# Kinds of file, all written by Pillow: (Pillow mode, save options).
KINDS = {
    "baseline 4:2:0": ("RGB", {"quality": 90}),
    "4:2:2": ("RGB", {"quality": 85, "subsampling": 1}),
    "4:4:4": ("RGB", {"quality": 95, "subsampling": 0}),
    "progressive": ("RGB", {"quality": 80, "progressive": True}),
    "restart markers every 3 MCUs": ("RGB", {"quality": 90, "restart_marker_blocks": 3}),
    "restart markers every MCU row": ("RGB", {"quality": 90, "restart_marker_rows": 1}),
    "RGB (Adobe, no YCbCr)": ("RGB", {"quality": 90, "keep_rgb": True}),
    "grey": ("L", {"quality": 90}),
    "CMYK": ("CMYK", {"quality": 90}),
}


def _file(rng, kind: str, height: int, width: int) -> bytes:
    mode, params = KINDS[kind]
    return _jpeg_bytes(Image.fromarray(_photo(rng, height, width)).convert(mode), **params)


def _size(rng) -> tuple[int, int]:
    return int(rng.integers(9, 260)), int(rng.integers(9, 260))


# --- which decoder -------------------------------------------------------------------------------


def test_the_decoder_in_use_is_reported():
    name = vio.jpeg_decoder()
    assert name.startswith("libjpeg-turbo" if _jpeg.AVAILABLE else "Pillow")
    from triptych.info import collect

    assert collect()["jpeg_decoder"] == name


@needs_decoder
def test_the_linked_library_is_libjpeg_turbo_2_1_or_later():
    major, minor, _ = (int(v) for v in _jpeg.library_version().split("."))
    assert (major, minor) >= (2, 1)


# --- against Pillow ------------------------------------------------------------------------------


@needs_decoder
@pytest.mark.parametrize("kind", list(KINDS))
def test_rgb_equals_pillow(kind, rng):
    data = _file(rng, kind, *_size(rng))
    ours, reference = decode_image(data), _pillow(data)
    assert ours.shape == reference.shape
    # Same library family, same islow IDCT and fancy upsampling: identical in practice; allow
    # one level for a different libjpeg-turbo release in Pillow's wheel.
    assert int((ours.int() - reference.int()).abs().max()) <= 1
    assert decode_jpeg(torch.frombuffer(bytearray(data), dtype=torch.uint8), mode="RGB").equal(ours)


@needs_decoder
@pytest.mark.parametrize("kind", ["baseline 4:2:0", "progressive", "RGB (Adobe, no YCbCr)", "grey"])
def test_gray_equals_pillows_luma_decode(kind, rng):
    data = _file(rng, kind, *_size(rng))
    reference = Image.open(io.BytesIO(data))
    reference.draft("L", None)  # what decode_image does with Pillow: libjpeg's own grey output
    expected = torch.from_numpy(np.array(reference.convert("L"))).unsqueeze(0)
    assert torch.equal(decode_image(data, mode="GRAY"), expected)
    assert torch.equal(decode_jpeg(data, mode="GRAY"), expected)


@needs_decoder
def test_unchanged_keeps_one_channel_for_grey_and_gives_rgb_for_cmyk(rng):
    gray, cmyk = _file(rng, "grey", 31, 45), _file(rng, "CMYK", 31, 45)
    assert decode_jpeg(gray).shape == (1, 31, 45)
    assert torch.equal(decode_jpeg(gray), _pillow(gray, "L"))
    assert torch.equal(decode_jpeg(cmyk), _pillow(cmyk))  # Pillow's CMYK -> RGB formula, exactly


@needs_decoder
def test_cmyk_in_gray_mode_goes_to_pillow(rng):
    data = _file(rng, "CMYK", 20, 30)
    result = _jpeg.decode(_jpeg.data_tensor(data), "GRAY")
    assert isinstance(result, _jpeg.Failure) and result.status == _jpeg.UNSUPPORTED
    assert torch.equal(decode_image(data, mode="GRAY"), _pillow(data, "L"))


@needs_decoder
def test_results_are_channels_last_views_like_the_pillow_path(rng):
    data = _file(rng, "baseline 4:2:0", 23, 37)
    image = decode_image(data)
    assert image.shape == (3, 23, 37) and image.permute(1, 2, 0).is_contiguous()


@needs_decoder
@pytest.mark.parametrize("hint", [(10, 10), (40, 30), (100, 100), (1000, 1000)])
def test_size_hint_gives_pillows_draft_scale(hint, rng):
    data = _file(rng, "baseline 4:2:0", 200, 300)
    reference = Image.open(io.BytesIO(data))
    reference.draft("RGB", hint[::-1])
    expected = torch.from_numpy(np.array(reference.convert("RGB"))).permute(2, 0, 1)
    ours = decode_image(data, size_hint=hint)
    assert ours.shape == expected.shape
    assert int((ours.int() - expected.int()).abs().max()) <= 1


# --- EXIF orientation ------------------------------------------------------------------------------


@needs_decoder
@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_equals_pillows_exif_transpose(orientation, rng):
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = _jpeg_bytes(_photo(rng, 26, 41), quality=90, exif=exif.tobytes())
    expected = torch.from_numpy(np.array(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")))
    expected = expected.permute(2, 0, 1)
    for ours in (decode_image(data, apply_exif_orientation=True),
                 decode_jpeg(data, mode="RGB", apply_exif_orientation=True)):
        assert torch.equal(ours, expected)
        assert ours.permute(1, 2, 0).is_contiguous()
    assert decode_jpeg(data).shape == (3, 26, 41)  # ignored unless asked for


# --- region decode ------------------------------------------------------------------------------------


def _scaled_box(box, size, scaled):
    """The crop box at the decoded scale, rounded outward (as EncodedImage.decode_crop)."""
    (top, left, box_h, box_w), (height, width), (scaled_h, scaled_w) = box, size, scaled
    y0, x0 = top * scaled_h // height, left * scaled_w // width
    y1 = min(scaled_h, -(-(top + box_h) * scaled_h // height))
    x1 = min(scaled_w, -(-(left + box_w) * scaled_w // width))
    return y0, x0, y1, x1


@needs_decoder
@pytest.mark.parametrize("kind", ["baseline 4:2:0", "4:2:2", "progressive", "restart markers every 3 MCUs", "grey"])
@pytest.mark.parametrize("scale_num", [8, 4, 3, 1])
def test_region_decode_equals_the_same_region_of_a_full_decode(kind, scale_num, rng):
    """Skipped rows, cropped columns and the upsampling margin: exactly the full decode's pixels."""
    height, width = int(rng.integers(40, 300)), int(rng.integers(40, 300))
    data = _jpeg.data_tensor(_file(rng, kind, height, width))
    full = _jpeg.decode(data, "UNCHANGED", scale_num=scale_num)
    for _ in range(8):
        top, left = int(rng.integers(0, height - 1)), int(rng.integers(0, width - 1))
        box = [top, left, int(rng.integers(1, height - top + 1)), int(rng.integers(1, width - left + 1))]
        region = _jpeg.decode(data, "UNCHANGED", crop=box, scale_num=scale_num)
        assert region.scaled_size == full.scaled_size
        y0, x0, y1, x1 = _scaled_box(box, (height, width), full.scaled_size)
        got = region.image[y0 - region.top: y1 - region.top, x0 - region.left: x1 - region.left]
        assert got.shape == full.image[y0:y1, x0:x1].shape and torch.equal(got, full.image[y0:y1, x0:x1])
        # only what the crop needs (plus a pixel, and iMCU alignment on the left) was decoded
        assert region.image.shape[0] <= y1 - y0 + 2
        assert region.image.shape[1] <= x1 - x0 + 2 + 32


@needs_decoder
def test_decode_crop_picks_the_smallest_scale_that_keeps_the_output_size(rng):
    data = _file(rng, "baseline 4:2:0", 480, 640)
    for box, size, expected_width in [([0, 0, 480, 640], (60, 80), 80),      # 1/8
                                      ([100, 100, 240, 320], (60, 80), 80),  # 1/4 of the image width
                                      ([0, 0, 480, 640], (224, 224), 320),   # 1/2
                                      ([10, 20, 300, 300], (224, 224), 640)]:
        encoded = EncodedImage(data)
        image, crop = encoded.decode_crop(box, size)
        assert crop[2] >= size[0] and crop[3] >= size[1]
        scaled_width = image.shape[-1] if crop[1] == 0 and box[1] == 0 else None
        if scaled_width is not None:
            assert scaled_width == expected_width


@needs_decoder
def test_encoded_image_uses_the_header_of_the_compiled_decoder(rng, monkeypatch):
    data = _file(rng, "progressive", 37, 53)
    monkeypatch.setattr(vio, "_identify", lambda *a: pytest.fail("Pillow should not open a JPEG"))
    encoded = EncodedImage(data)
    assert encoded.size == (37, 53) and encoded.format == "JPEG"
    assert torch.equal(encoded.decode(), _pillow(data))


# --- batches and threads ----------------------------------------------------------------------------


@pytest.mark.parametrize("num_threads", [1, 3])
def test_batch_equals_one_by_one(num_threads, rng):
    files = [_file(rng, kind, *_size(rng)) for kind in ("baseline 4:2:0", "grey", "progressive", "CMYK")] * 3
    tensors = [torch.frombuffer(bytearray(data), dtype=torch.uint8) for data in files]
    batch = decode_jpeg(tensors, num_threads=num_threads)
    assert len(batch) == len(files)
    for data, image in zip(files, batch):
        assert torch.equal(image, decode_jpeg(data))


def test_batch_error_names_the_item(rng):
    good = _file(rng, "baseline 4:2:0", 30, 30)
    with pytest.raises(ImageDecodeError, match=r"input\[2\]"):
        decode_jpeg([good, good, good[: len(good) // 2], good], num_threads=2)


def test_decode_jpeg_argument_checks(rng):
    data = _file(rng, "baseline 4:2:0", 8, 8)
    with pytest.raises(ValueError, match="mode"):
        decode_jpeg(data, mode="RGBA")
    with pytest.raises(ValueError, match="num_threads"):
        decode_jpeg([data], num_threads=0)
    with pytest.raises(ValueError, match="1-D uint8"):
        decode_jpeg(torch.zeros(2, 3, dtype=torch.uint8))
    with pytest.raises(ImageDecodeError, match="JPEG"):
        png = io.BytesIO()
        Image.new("RGB", (4, 4)).save(png, "PNG")
        decode_jpeg(png.getvalue())


# --- errors: truncated, corrupt, bombs -------------------------------------------------------------------


@needs_decoder
@pytest.mark.parametrize("kind", ["baseline 4:2:0", "progressive"])
def test_truncated_file_is_an_error_naming_the_input(kind, rng, tmp_path):
    data = _file(rng, kind, 64, 64)
    cut = data[: len(data) * 2 // 3]
    with pytest.raises(ImageDecodeError, match="<bytes>: JPEG: Premature end of JPEG file"):
        decode_jpeg(cut)
    with pytest.raises(ImageDecodeError, match=r"input\[0\]: JPEG: Premature end"):
        decode_jpeg([cut])
    path = tmp_path / "cut.jpg"
    path.write_bytes(cut)
    with pytest.raises(ImageDecodeError, match="cut.jpg"):  # decode_image: Pillow's wording, as before
        vio.read_image(path)
    result = _jpeg.decode(_jpeg.data_tensor(cut), "RGB")
    assert isinstance(result, _jpeg.Failure) and result.status == _jpeg.CORRUPT


@pytest.mark.parametrize("native", [True, False])
def test_header_cut_inside_a_segment_is_an_image_decode_error(native, rng, monkeypatch):
    """Pillow raised a bare OSError ("Truncated File Read") for these from EncodedImage."""
    if not native:
        monkeypatch.setattr(_jpeg, "AVAILABLE", False)
    data = _file(rng, "baseline 4:2:0", 8, 8)
    for cut in (10, 15, 19, 25):
        with pytest.raises(ImageDecodeError, match="<bytes>"):
            EncodedImage(data[:cut])
        with pytest.raises(ImageDecodeError, match="<bytes>"):
            decode_image(data[:cut], apply_exif_orientation=True)
        with pytest.raises(ImageDecodeError, match="<bytes>"):
            decode_jpeg(data[:cut], apply_exif_orientation=True)


@needs_decoder
def test_missing_end_marker_is_an_error(rng):
    data = _file(rng, "baseline 4:2:0", 32, 32)
    assert data.endswith(b"\xff\xd9")
    with pytest.raises(ImageDecodeError, match="Premature end"):
        decode_jpeg(data[:-2])


@needs_decoder
def test_a_region_above_the_cut_of_a_truncated_file_is_refused_too(rng):
    """libjpeg would decode the top rows of a cut file happily; the end-marker check refuses it."""
    data = _file(rng, "baseline 4:2:0", 256, 64)
    cut = data[: len(data) * 3 // 4]
    result = _jpeg.decode(_jpeg.data_tensor(cut), "RGB", crop=[0, 0, 16, 16])
    assert isinstance(result, _jpeg.Failure) and "end-of-image marker" in result.message
    with pytest.raises(ImageDecodeError, match="truncated"):
        EncodedImage(cut).decode_crop([0, 0, 16, 16], (8, 8))
    trailer = data + b"camera trailer bytes"  # bytes after the end marker are fine
    assert isinstance(_jpeg.decode(_jpeg.data_tensor(trailer), "RGB", crop=[0, 0, 16, 16]), _jpeg.Decoded)


@needs_decoder
def test_not_a_jpeg_and_empty_input():
    with pytest.raises(ImageDecodeError, match="Not a JPEG file"):
        decode_jpeg(b"\x89PNG\r\n\x1a\n" + bytes(40))
    with pytest.raises(ImageDecodeError, match="empty"):
        decode_jpeg(b"")


def _with_size(data: bytes, height: int, width: int) -> bytes:
    """The file with its SOF0 frame header claiming height x width."""
    sof = data.index(b"\xff\xc0")
    return data[: sof + 5] + struct.pack(">HH", height, width) + data[sof + 9:]


@needs_decoder
def test_bomb_sized_header_is_refused_before_any_pixel_is_decoded(rng, monkeypatch):
    data = _with_size(_file(rng, "baseline 4:2:0", 16, 16), 60000, 60000)
    start = time.perf_counter()
    with pytest.raises(ImageDecodeError, match="60000x60000 = 3600000000 pixels exceeds MAX_IMAGE_PIXELS"):
        decode_jpeg(data)
    with pytest.raises(ImageDecodeError, match="exceeds MAX_IMAGE_PIXELS"):
        decode_image(data)
    with pytest.raises(ImageDecodeError, match="exceeds MAX_IMAGE_PIXELS"):
        EncodedImage(data)
    assert time.perf_counter() - start < 5  # nothing of 10.8 GB was allocated or decoded
    monkeypatch.setattr(vio, "MAX_IMAGE_PIXELS", 16 * 16 - 1)
    with pytest.raises(ImageDecodeError, match="16x16 = 256 pixels exceeds MAX_IMAGE_PIXELS = 255"):
        decode_jpeg(_file(rng, "grey", 16, 16))


@needs_decoder
def test_header_claiming_more_rows_than_the_data_holds_is_an_error(rng):
    data = _with_size(_file(rng, "baseline 4:2:0", 16, 16), 4000, 16)
    with pytest.raises(ImageDecodeError, match="(?i)premature end"):
        decode_jpeg(data)


def _mutations(rng, data: bytes, count: int):
    """Byte flips, truncations, inserted and deleted runs, copied segments."""
    for _ in range(count):
        damaged = bytearray(data)
        for _ in range(int(rng.integers(1, 4))):
            if not damaged:  # a deletion took every byte: nothing left to damage
                break
            choice = int(rng.integers(0, 5))
            position = int(rng.integers(0, len(damaged)))
            if choice == 0:
                damaged[position] = int(rng.integers(0, 256))
            elif choice == 1:
                damaged = damaged[: max(1, position)]
            elif choice == 2:
                damaged[position:position] = rng.integers(0, 256, int(rng.integers(1, 8)), dtype=np.uint8).tobytes()
            elif choice == 3:
                del damaged[position: position + int(rng.integers(1, 8))]
            else:
                source = int(rng.integers(0, len(damaged)))
                damaged[position:position] = damaged[source: source + int(rng.integers(1, 64))]
        yield bytes(damaged)


@needs_decoder
def test_fuzz_mutated_files_decode_or_raise_cleanly(rng):
    """~3000 damaged files through the compiled decoder (whole and region decodes): each gives
    an image of the expected channels or ImageDecodeError, never a crash or another exception.
    benchmarks/fuzz_jpeg.py runs the same for longer."""
    kinds = ["baseline 4:2:0", "progressive", "restart markers every 3 MCUs", "grey", "CMYK", "4:4:4"]
    outcomes = {"decoded": 0, "refused": 0}
    for kind in kinds:
        data = _file(rng, kind, int(rng.integers(8, 48)), int(rng.integers(8, 48)))
        for damaged in _mutations(rng, data, 500):
            try:
                image = decode_jpeg(damaged, mode="RGB")
                assert image.dim() == 3 and image.shape[0] == 3
                encoded = EncodedImage(damaged)
                height, width = encoded.size
                image, box = encoded.decode_crop([height // 3, width // 4, height - height // 3, width // 2], (4, 4))
                assert image.dim() == 3 and box[2] > 0 and box[3] > 0
                outcomes["decoded"] += 1
            except ImageDecodeError:
                outcomes["refused"] += 1
    assert outcomes["decoded"] > 0 and outcomes["refused"] > 0


@needs_decoder
def test_repeated_progressive_scans_are_refused(rng):
    """A scan-count bomb made of one scan repeated: libjpeg warns at the first repeat (bogus
    progression), and warnings are errors here, so it stops there. (A legal progression of
    more than 500 scans — the decoder's limit — cannot be written with Pillow.)"""
    data = _file(rng, "progressive", 16, 16)
    sos = [i for i in range(len(data) - 1) if data[i] == 0xFF and data[i + 1] == 0xDA]
    last_scan = data[sos[-1]: len(data) - 2]  # the final refinement scan, up to EOI
    bomb = data[: len(data) - 2] + last_scan * 5000 + b"\xff\xd9"
    with pytest.raises(ImageDecodeError, match="Inconsistent progression sequence"):
        decode_jpeg(bomb)


def test_compiled_op_reports_bad_data_instead_of_raising():
    if not _jpeg.AVAILABLE:
        pytest.skip("no compiled decoder")
    image, info, message = torch.ops.triptych.decode_jpeg(torch.zeros(50, dtype=torch.uint8), "RGB", [], 8, -1)
    assert info[0] == _jpeg.CORRUPT and "Not a JPEG file" in message and image.numel() == 0
    info, message = torch.ops.triptych.jpeg_header(torch.tensor([0xFF, 0xD8], dtype=torch.uint8))
    assert info[0] == _jpeg.CORRUPT and message


@needs_decoder
@pytest.mark.skipif(not library.KERNEL_ERRORS_RAISE, reason="a kernel error aborts the process on this torch")
def test_compiled_op_checks_its_arguments():
    data = torch.zeros(4, dtype=torch.uint8)
    with pytest.raises(RuntimeError, match="mode must be"):
        torch.ops.triptych.decode_jpeg(data, "RGBA", [], 8, -1)
    with pytest.raises(RuntimeError, match="scale_num"):
        torch.ops.triptych.decode_jpeg(data, "RGB", [], 9, -1)
    with pytest.raises(RuntimeError, match="1-D uint8"):
        torch.ops.triptych.decode_jpeg(data.float(), "RGB", [], 8, -1)


# --- without the compiled decoder (TRIPTYCH_JPEG=0) --------------------------------------------------


def test_without_the_compiled_decoder_pillow_decodes_everything(rng, monkeypatch):
    """What a TRIPTYCH_JPEG=0 build does: the op is absent, _jpeg.AVAILABLE is False."""
    monkeypatch.setattr(_jpeg, "AVAILABLE", False)
    assert vio.jpeg_decoder().startswith("Pillow")
    data = _file(rng, "baseline 4:2:0", 50, 70)
    assert torch.equal(decode_image(data), _pillow(data))
    assert torch.equal(decode_jpeg(torch.frombuffer(bytearray(data), dtype=torch.uint8)), _pillow(data))
    assert [im.shape for im in decode_jpeg([data, data], num_threads=2)] == [(3, 50, 70)] * 2
    encoded = EncodedImage(data)
    assert encoded._native is None
    image, box = encoded.decode_crop([10, 10, 40, 60], (30, 40))  # not shrunk 2x: full scale
    assert box == [10, 10, 40, 60] and image.shape[-1] == 70
    assert image.stride()[-1] == 4  # Pillow's own RGBX memory, shared
    with pytest.raises(ImageDecodeError, match="truncated"):
        decode_jpeg(data[: len(data) // 2])


def test_without_the_extension_info_and_decoding_use_pillow(rng, tmp_path):
    path = tmp_path / "x.jpg"
    path.write_bytes(_file(rng, "baseline 4:2:0", 12, 20))
    code = ("import sys, triptych.vision.io as vio; from triptych.info import collect; "
            "print(collect()['jpeg_decoder']); print(tuple(vio.decode_jpeg(open(sys.argv[1], 'rb').read()).shape))")
    env = {**os.environ, "TRIPTYCH_NO_EXT": "1"}
    out = subprocess.run([sys.executable, "-c", code, str(path)], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [out.stdout.splitlines()[0], "(3, 12, 20)"]
    assert out.stdout.startswith("Pillow")
