"""triptych.vision.io: decoding against Pillow and against the pixels that were encoded.

Every image is made here, from random content drawn fresh each run.
"""

from __future__ import annotations

import gc
import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch

PIL = pytest.importorskip("PIL")
from PIL import Image, ImageOps  # noqa: E402

import triptych.vision.io as vio  # noqa: E402
from triptych.vision.io import (  # noqa: E402
    ImageDecodeError,
    ImageReadMode,
    decode_image,
    encode_jpeg,
    encode_png,
    read_image,
    write_jpeg,
    write_png,
)

SHARED_IMAGES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "images"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng()


def _random_image(rng, height=None, width=None, channels=3) -> np.ndarray:
    height = height or int(rng.integers(17, 70))
    width = width or int(rng.integers(17, 70))
    shape = (height, width) if channels == 1 else (height, width, channels)
    return rng.integers(0, 256, shape, dtype=np.uint8)


def _smooth_image(rng, height, width) -> np.ndarray:
    """Low-frequency content, which JPEG keeps well."""
    coarse = torch.from_numpy(rng.uniform(0, 255, (1, 3, 6, 6))).float()
    smooth = torch.nn.functional.interpolate(coarse, size=(height, width), mode="bicubic", align_corners=True)
    return smooth[0].clamp(0, 255).round().to(torch.uint8).permute(1, 2, 0).contiguous().numpy()


def _encode(array_or_image, fmt: str, **params) -> bytes:
    image = array_or_image if isinstance(array_or_image, Image.Image) else Image.fromarray(array_or_image)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def _pillow_rgb(data: bytes) -> torch.Tensor:
    """The reference: the naive Pillow path, as (C, H, W)."""
    return torch.from_numpy(np.array(Image.open(io.BytesIO(data)).convert("RGB"))).permute(2, 0, 1)


def _chw(array: np.ndarray) -> torch.Tensor:
    tensor = torch.from_numpy(np.ascontiguousarray(array))
    return tensor.unsqueeze(0) if tensor.dim() == 2 else tensor.permute(2, 0, 1)


# --- formats ---------------------------------------------------------------------------------

FORMAT_PARAMS = {
    "JPEG": {"quality": 90},
    "PNG": {},
    "WEBP": {"lossless": True},
    "GIF": {},
    "BMP": {},
    "TIFF": {},
}


@pytest.mark.parametrize("fmt", list(FORMAT_PARAMS))
def test_decode_equals_pillow_rgb_reference(fmt, rng):
    data = _encode(_random_image(rng), fmt, **FORMAT_PARAMS[fmt])
    out = decode_image(data)
    assert out.dtype == torch.uint8
    assert torch.equal(out, _pillow_rgb(data))


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "BMP", "TIFF"])
def test_lossless_formats_give_back_the_encoded_pixels(fmt, rng):
    source = _random_image(rng)
    out = decode_image(_encode(source, fmt, **FORMAT_PARAMS[fmt]))
    assert torch.equal(out, _chw(source))


def test_rgb_result_is_a_channels_last_view(rng):
    source = _random_image(rng)
    out = decode_image(_encode(source, "PNG"))
    height, width = source.shape[:2]
    assert out.shape == (3, height, width)
    assert out.stride() == (1, 3 * width, 3)
    assert out.permute(1, 2, 0).is_contiguous()
    out[0, 0, 0] = 7  # writable, and owned by this tensor alone
    assert decode_image(_encode(source, "PNG"))[0, 0, 0] == source[0, 0, 0]


def test_gif_gives_the_first_frame(rng):
    frames = [Image.fromarray(_random_image(rng, 20, 30)).convert("P") for _ in range(2)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    out = decode_image(buffer.getvalue())
    assert torch.equal(out, _chw(np.array(frames[0].convert("RGB"))))


def test_cmyk_jpeg_is_converted_to_rgb(rng):
    cmyk = Image.frombytes("CMYK", (40, 24), _random_image(rng, 24, 40, channels=4).tobytes())
    data = _encode(cmyk, "JPEG", quality=95)
    for mode in ("RGB", "UNCHANGED"):
        assert torch.equal(decode_image(data, mode=mode), _pillow_rgb(data))


def test_unknown_format_is_an_error(rng):
    with pytest.raises(ImageDecodeError, match="<bytes>: unknown image format"):
        decode_image(rng.integers(0, 256, 100, dtype=np.uint8).tobytes())
    with pytest.raises(ImageDecodeError, match="unknown image format"):
        decode_image(_encode(_random_image(rng), "PPM"))  # Pillow reads it, we do not
    with pytest.raises(ImageDecodeError):
        decode_image(b"")


# --- modes -----------------------------------------------------------------------------------


def test_unchanged_keeps_the_files_channels(rng):
    for channels, pil_mode in [(1, "L"), (2, "LA"), (3, "RGB"), (4, "RGBA")]:
        source = _random_image(rng, channels=channels)
        image = Image.fromarray(source) if channels != 2 else Image.frombytes("LA", source.shape[1::-1], source.tobytes())
        assert image.mode == pil_mode
        out = decode_image(_encode(image, "PNG"), mode="UNCHANGED")
        assert out.shape[0] == channels and out.dtype == torch.uint8
        assert torch.equal(out, _chw(source))


def test_palette_images_expand_to_rgb_or_rgba(rng):
    palette_image = Image.fromarray(_random_image(rng)).quantize(colors=16)
    expected_rgb = _chw(np.array(palette_image.convert("RGB")))
    assert torch.equal(decode_image(_encode(palette_image, "PNG"), mode="UNCHANGED"), expected_rgb)
    palette_image.info["transparency"] = 3
    data = _encode(palette_image, "PNG", transparency=3)
    rgba = decode_image(data, mode="UNCHANGED")
    assert torch.equal(rgba, _chw(np.array(Image.open(io.BytesIO(data)).convert("RGBA"))))
    assert rgba.shape[0] == 4 and (rgba[3] == 0).any()
    assert torch.equal(decode_image(data, mode="RGB"), rgba[:3])


def test_bilevel_images_read_as_0_or_255(rng):
    bits = rng.integers(0, 2, (20, 33)).astype(bool)
    out = decode_image(_encode(Image.fromarray(bits), "PNG"), mode="UNCHANGED")
    assert torch.equal(out, _chw(bits.astype(np.uint8) * 255))


def test_gray_mode_of_png_is_pillows_luma(rng):
    data = _encode(_random_image(rng), "PNG")
    out = decode_image(data, mode="GRAY")
    assert torch.equal(out, _chw(np.array(Image.open(io.BytesIO(data)).convert("L"))))


def test_gray_mode_of_jpeg_is_libjpegs_luma_channel(rng):
    data = _encode(_smooth_image(rng, 40, 56), "JPEG", quality=90)
    reference = Image.open(io.BytesIO(data))
    reference.draft("L", None)  # libjpeg outputs Y directly, as torchvision's GRAY does
    expected = _chw(np.array(reference.convert("L")))
    assert torch.equal(decode_image(data, mode="GRAY"), expected)
    # and it is the luma of the RGB decode, up to rounding and RGB clipping
    rgb = decode_image(data).float()
    luma = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
    assert (luma - expected[0].float()).abs().mean() < 0.5


def test_alpha_modes(rng):
    source = _random_image(rng, channels=4)
    data = _encode(source, "PNG")
    assert torch.equal(decode_image(data, mode="RGB_ALPHA"), _chw(source))
    assert torch.equal(decode_image(data, mode="RGBA"), _chw(source))
    gray_alpha = decode_image(data, mode="GRAY_ALPHA")
    expected = np.array(Image.fromarray(source).convert("LA"))
    assert torch.equal(gray_alpha, _chw(expected))
    opaque = decode_image(_encode(source[..., :3], "PNG"), mode="RGBA")
    assert torch.equal(opaque[:3], _chw(source[..., :3])) and bool((opaque[3] == 255).all())


def test_mode_spellings(rng):
    data = _encode(_random_image(rng), "PNG")
    expected = decode_image(data, mode="GRAY")
    assert torch.equal(decode_image(data, mode="gray"), expected)
    assert torch.equal(decode_image(data, mode=ImageReadMode.GRAY), expected)
    with pytest.raises(ValueError, match="mode must be one of"):
        decode_image(data, mode="CMYK")
    with pytest.raises(TypeError, match="mode must be a string"):
        decode_image(data, mode=3)


# --- 16-bit PNG ------------------------------------------------------------------------------


def _paeth(left, up, up_left):
    estimate = left + up - up_left
    pa, pb, pc = np.abs(estimate - left), np.abs(estimate - up), np.abs(estimate - up_left)
    return np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, up_left))


def _png16_all_filters(array: np.ndarray, rng) -> bytes:
    """An independent 16-bit PNG writer: every row gets a random one of PNG's five filters."""
    height, width = array.shape[:2]
    channels = 1 if array.ndim == 2 else array.shape[2]
    bpp = 2 * channels
    raw = array.astype(">u2").view(np.uint8).reshape(height, width * bpp).astype(np.int32)
    rows = []
    for y in range(height):
        line = raw[y]
        up = raw[y - 1] if y else np.zeros_like(line)
        left = np.concatenate([np.zeros(bpp, np.int32), line[:-bpp]])
        up_left = np.concatenate([np.zeros(bpp, np.int32), up[:-bpp]])
        kind = int(rng.integers(0, 5))
        predictor = [0, left, up, (left + up) // 2, _paeth(left, up, up_left)][kind]
        rows.append(bytes([kind]) + ((line - predictor) & 0xFF).astype(np.uint8).tobytes())

    def chunk(tag, payload):
        return struct.pack(">I", len(payload)) + tag + payload + struct.pack(">I", zlib.crc32(tag + payload))

    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, color_type, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_16bit_png_unchanged_is_uint16_exact(channels, rng):
    shape = (int(rng.integers(5, 40)), int(rng.integers(5, 40))) + ((channels,) if channels > 1 else ())
    source = rng.integers(0, 65536, shape, dtype=np.uint16)
    data = _png16_all_filters(source, rng)
    out = decode_image(data, mode="UNCHANGED")
    assert out.dtype == torch.uint16
    assert torch.equal(out, _chw(source))


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_16bit_png_in_8bit_modes_keeps_the_high_byte(channels, rng):
    shape = (23, 31) + ((channels,) if channels > 1 else ())
    source = rng.integers(0, 65536, shape, dtype=np.uint16)
    high = (source >> 8).astype(np.uint8)
    data = _png16_all_filters(source, rng)
    rgb = decode_image(data, mode="RGB")
    expected = np.repeat(high[..., None], 3, axis=-1) if channels == 1 else high[..., :3]
    assert rgb.dtype == torch.uint8 and torch.equal(rgb, _chw(expected))
    if channels == 1:
        assert torch.equal(decode_image(data, mode="GRAY"), _chw(high))


def test_16bit_gray_png_written_by_pillow(rng):
    source = rng.integers(0, 65536, (19, 27), dtype=np.uint16)
    data = _encode(Image.fromarray(source), "PNG")
    assert torch.equal(decode_image(data, mode="UNCHANGED"), _chw(source))


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_encode_png_uint16_round_trip(channels, rng):
    source = torch.from_numpy(rng.integers(0, 65536, (channels, 13, 21), dtype=np.uint16))
    assert torch.equal(decode_image(encode_png(source), mode="UNCHANGED"), source)


def test_encode_png_uint16_is_read_by_pillow_as_its_high_byte(rng):
    source = rng.integers(0, 65536, (3, 13, 21), dtype=np.uint16)
    data = bytes(encode_png(torch.from_numpy(source)).tolist())
    pillow = np.array(Image.open(io.BytesIO(data)).convert("RGB"))  # an independent decoder
    assert np.array_equal(pillow, (source >> 8).astype(np.uint8).transpose(1, 2, 0))


# --- encode / round trips ----------------------------------------------------------------------


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_png_round_trip_is_exact(channels, rng):
    source = torch.from_numpy(_random_image(rng, channels=3)).permute(2, 0, 1)[:1].repeat(channels, 1, 1)
    source = source ^ torch.from_numpy(rng.integers(0, 256, source.shape, dtype=np.uint8))
    assert torch.equal(decode_image(encode_png(source, compression_level=int(rng.integers(0, 10))),
                                    mode="UNCHANGED"), source)


def test_jpeg_round_trip_within_tolerance(rng):
    source = torch.from_numpy(_smooth_image(rng, 48, 64)).permute(2, 0, 1)
    data = encode_jpeg(source, quality=95)
    assert data.dtype == torch.uint8 and data.dim() == 1
    out = decode_image(data)
    # 4:2:0 chroma subsampling at quality 95: over 300 random images the mean error peaked at
    # 2.13 levels; a wrong channel order or a broken encoder is tens of levels off.
    assert (out.float() - source.float()).abs().mean() < 3.0
    assert torch.equal(out, _pillow_rgb(bytes(data.tolist())))
    gray = source[:1]
    assert (decode_image(encode_jpeg(gray), mode="GRAY").float() - gray.float()).abs().mean() < 3.0


def test_jpeg_quality_changes_the_size(rng):
    source = torch.from_numpy(_random_image(rng, 64, 64)).permute(2, 0, 1)
    assert encode_jpeg(source, quality=20).numel() < encode_jpeg(source, quality=95).numel()


def test_encode_jpeg_list(rng):
    images = [torch.from_numpy(_smooth_image(rng, 16, 24)).permute(2, 0, 1) for _ in range(3)]
    encoded = encode_jpeg(images, quality=80)
    assert isinstance(encoded, list) and len(encoded) == 3
    for image, data in zip(images, encoded):
        assert torch.equal(data, encode_jpeg(image, quality=80))


def test_encode_accepts_the_decoded_view_without_copy(rng):
    decoded = decode_image(_encode(_random_image(rng), "PNG"))
    assert torch.equal(decode_image(encode_png(decoded)), decoded)


def test_encode_rejects_bad_input():
    image = torch.zeros(3, 4, 4, dtype=torch.uint8)
    with pytest.raises(ValueError, match="quality"):
        encode_jpeg(image, quality=0)
    with pytest.raises(ValueError, match="compression_level"):
        encode_png(image, compression_level=10)
    with pytest.raises(TypeError, match="dtype"):
        encode_jpeg(image.float())
    with pytest.raises(TypeError, match="dtype"):
        encode_jpeg(image.to(torch.uint16))
    with pytest.raises(ValueError, match="C in"):
        encode_jpeg(torch.zeros(4, 4, 4, dtype=torch.uint8))
    with pytest.raises(ValueError, match="C in"):
        encode_png(torch.zeros(4, 4, dtype=torch.uint8))
    with pytest.raises(ValueError, match="empty"):
        encode_png(torch.zeros(3, 0, 4, dtype=torch.uint8))
    with pytest.raises(TypeError, match="tensor"):
        encode_png(np.zeros((3, 4, 4), np.uint8))


# --- size_hint (reduced DCT scale) -------------------------------------------------------------


def _pillow_scale(width, height, hint_width, hint_height) -> int:
    """The largest 1/s, s in (1, 2, 4, 8), that keeps the exact scaled size >= the hint."""
    return max(s for s in (1, 2, 4, 8) if width >= s * hint_width and height >= s * hint_height)


@pytest.mark.parametrize("mode", ["RGB", "GRAY"])
def test_size_hint_decodes_jpeg_at_the_largest_reduction_that_fits(mode, rng):
    height, width = int(rng.integers(200, 480)), int(rng.integers(200, 480))
    data = _encode(_smooth_image(rng, height, width), "JPEG", quality=90)
    for _ in range(4):
        hint = (int(rng.integers(16, height)), int(rng.integers(16, width)))
        out = decode_image(data, mode=mode, size_hint=hint)
        scale = _pillow_scale(width, height, hint[1], hint[0])
        assert out.shape[1:] == (-(-height // scale), -(-width // scale))
        assert out.shape[1] >= hint[0] and out.shape[2] >= hint[1]
        reference = Image.open(io.BytesIO(data))
        reference.draft("L" if mode == "GRAY" else "RGB", (hint[1], hint[0]))
        expected = reference.convert("L" if mode == "GRAY" else "RGB")
        assert torch.equal(out, _chw(np.array(expected)))


def test_size_hint_is_ignored_by_other_formats_and_when_too_large(rng):
    source = _random_image(rng, 64, 80)
    assert decode_image(_encode(source, "PNG"), size_hint=(8, 8)).shape == (3, 64, 80)
    data = _encode(_smooth_image(rng, 64, 80), "JPEG")
    assert decode_image(data, size_hint=(100, 100)).shape == (3, 64, 80)
    assert decode_image(data, size_hint=8).shape == (3, 8, 10)


def test_size_hint_validation():
    for bad in [(0, 4), (4,), (1.5, 2), "ab", (True, 3)]:
        with pytest.raises(ValueError, match="size_hint"):
            decode_image(b"\xff\xd8\xff", size_hint=bad)


# --- EXIF orientation --------------------------------------------------------------------------

ORIENTED = {  # orientation tag -> what a viewer shows, from the stored array
    1: lambda a: a,
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.transpose(1, 0, 2),
    6: lambda a: np.rot90(a, k=-1),
    7: lambda a: np.rot90(a, k=1)[:, ::-1],  # transverse: out[r, c] = a[H-1-c, W-1-r]
    8: lambda a: np.rot90(a, k=1),
}


def _exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif


@pytest.mark.parametrize("orientation", list(ORIENTED))
def test_exif_orientation_png(orientation, rng):
    source = _random_image(rng, 21, 34)
    data = _encode(source, "PNG", exif=_exif(orientation))
    assert torch.equal(decode_image(data), _chw(source))
    assert torch.equal(decode_image(data, apply_exif_orientation=True), _chw(ORIENTED[orientation](source)))


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_orientation_jpeg_with_size_hint(orientation, rng):
    data = _encode(_smooth_image(rng, 200, 320), "JPEG", quality=90, exif=_exif(orientation).tobytes())
    out = decode_image(data, apply_exif_orientation=True, size_hint=(90, 60))
    reference = Image.open(io.BytesIO(data))
    transposed = orientation in (6, 8)
    reference.draft("RGB", (90, 60) if transposed else (60, 90))  # (width, height) as stored
    expected = np.array(ImageOps.exif_transpose(reference.convert("RGB")))
    assert torch.equal(out, _chw(expected))
    assert out.shape[1] >= 90 and out.shape[2] >= 60
    assert out.shape[1:] == ((160, 100) if transposed else (100, 160))


# --- errors: truncated, corrupt, bombs ---------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF"])
def test_truncated_file_raises_naming_the_file(fmt, rng, tmp_path):
    data = _encode(_random_image(rng, 40, 40), fmt, **FORMAT_PARAMS[fmt])
    cut = data[: len(data) // 2]
    path = tmp_path / f"broken.{fmt.lower()}"
    path.write_bytes(cut)
    with pytest.raises(ImageDecodeError) as info:
        read_image(path)
    assert str(path) in str(info.value) and info.value.source == repr(str(path))
    with pytest.raises(ImageDecodeError, match="<bytes>"):
        decode_image(cut)


def test_truncated_jpeg_says_truncated(rng):
    data = _encode(_random_image(rng, 64, 64), "JPEG")
    with pytest.raises(ImageDecodeError, match="truncated"):
        decode_image(data[: len(data) - 100])


def test_corrupt_png_data_raises(rng):
    data = bytearray(_encode(_random_image(rng, 40, 40), "PNG"))
    start = data.index(b"IDAT") + 4
    data[start + 10: start + 30] = bytes(20)  # zeroed deflate stream
    with pytest.raises(ImageDecodeError, match="<bytes>: PNG: "):
        decode_image(bytes(data))


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow's notes on damaged TIFF tags
@pytest.mark.parametrize("fmt", list(FORMAT_PARAMS))
def test_random_damage_never_crashes(fmt, rng):
    """Truncations and byte flips: either a clean decode or ImageDecodeError, nothing else."""
    data = _encode(_random_image(rng, 24, 24), fmt, **FORMAT_PARAMS[fmt])
    for _ in range(25):
        damaged = bytearray(data[: int(rng.integers(1, len(data) + 1))])
        for position in rng.integers(0, len(damaged), int(rng.integers(0, 4))):
            damaged[position] = int(rng.integers(0, 256))
        try:
            out = decode_image(bytes(damaged), mode="UNCHANGED")
        except ImageDecodeError:
            continue
        assert out.dim() == 3


def test_decompression_bomb_is_rejected_before_decoding(monkeypatch, rng):
    data = _encode(_random_image(rng, 30, 40), "PNG")
    monkeypatch.setattr(vio, "MAX_IMAGE_PIXELS", 30 * 40 - 1)
    with pytest.raises(ImageDecodeError, match=r"40x30 = 1200 pixels exceeds MAX_IMAGE_PIXELS = 1199"):
        decode_image(data)
    monkeypatch.setattr(vio, "MAX_IMAGE_PIXELS", 30 * 40)
    assert decode_image(data).shape == (3, 30, 40)
    monkeypatch.setattr(vio, "MAX_IMAGE_PIXELS", None)
    assert decode_image(data).shape == (3, 30, 40)


def test_bomb_header_without_pixels_is_caught_by_the_size_check():
    """A PNG header claiming 10^10 pixels and no image data: rejected from the header alone."""
    def chunk(tag, payload):
        return struct.pack(">I", len(payload)) + tag + payload + struct.pack(">I", zlib.crc32(tag + payload))

    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0))
    data += chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    with pytest.raises(ImageDecodeError, match="10000000000 pixels exceeds MAX_IMAGE_PIXELS = 89478485"):
        decode_image(data)


def test_default_limit_is_pillows_and_pillows_setting_does_not_apply(monkeypatch, rng):
    assert vio.MAX_IMAGE_PIXELS == int(1024 * 1024 * 1024 // 4 // 3)  # Pillow's documented default
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10)
    assert decode_image(_encode(_random_image(rng, 30, 40), "PNG")).shape == (3, 30, 40)


# --- inputs ------------------------------------------------------------------------------------


def test_tensor_and_buffer_inputs(rng):
    data = _encode(_random_image(rng), "PNG")
    expected = decode_image(data)
    as_tensor = torch.frombuffer(bytearray(data), dtype=torch.uint8)
    assert torch.equal(decode_image(as_tensor), expected)
    strided = torch.zeros(2 * len(data), dtype=torch.uint8)
    strided[::2] = as_tensor
    assert torch.equal(decode_image(strided[::2]), expected)
    assert torch.equal(decode_image(bytearray(data)), expected)
    assert torch.equal(decode_image(memoryview(data)), expected)
    assert torch.equal(decode_image(np.frombuffer(data, np.uint8)), expected)
    with pytest.raises(ValueError, match="1-D uint8 tensor"):
        decode_image(as_tensor.to(torch.int32))
    with pytest.raises(ValueError, match="1-D uint8 tensor"):
        decode_image(as_tensor.view(1, -1))
    with pytest.raises(TypeError, match="expects bytes"):
        decode_image(12345)


def test_paths(rng, tmp_path):
    source = _random_image(rng)
    path = tmp_path / "image.png"
    path.write_bytes(_encode(source, "PNG"))
    assert torch.equal(read_image(path), _chw(source))
    assert torch.equal(read_image(str(path), mode="GRAY"), decode_image(path, mode="GRAY"))
    with pytest.raises(FileNotFoundError):
        read_image(tmp_path / "missing.png")


# --- memory: shared Pillow buffers and the packed fallback --------------------------------------


def test_shared_buffers_outlive_the_pillow_images(rng):
    sources = [_random_image(rng, channels=c) for c in (1, 4, 1, 4, 1, 4)]
    decoded = [decode_image(_encode(s, "PNG"), mode="UNCHANGED") for s in sources]
    gc.collect()
    churn = [decode_image(_encode(_random_image(rng, channels=4), "PNG"), mode="UNCHANGED") for _ in range(20)]
    del churn
    gc.collect()
    for source, out in zip(sources, decoded):
        assert torch.equal(out, _chw(source))


def test_packed_fallback_when_pillow_splits_rows_into_blocks(rng):
    """Pillow stores big images in several blocks, which it cannot export without a copy."""
    sources = {c: _random_image(rng, 90, 120, channels=c) for c in (1, 4)}
    block_size = Image.core.get_block_size()
    Image.core.set_block_size(4096)
    try:
        for channels, source in sources.items():
            image = Image.open(io.BytesIO(_encode(source, "PNG")))
            image.load()
            assert vio._shared_pixels(image, channels, np.uint8) is None
            out = decode_image(_encode(source, "PNG"), mode="UNCHANGED")
            assert torch.equal(out, _chw(source))
    finally:
        Image.core.set_block_size(block_size)


# --- writers -----------------------------------------------------------------------------------


def test_write_png_and_jpeg(rng, tmp_path):
    source = torch.from_numpy(_random_image(rng)).permute(2, 0, 1)
    write_png(source, tmp_path / "a.png")
    assert torch.equal(read_image(tmp_path / "a.png"), source)
    write_jpeg(source, str(tmp_path / "a.jpg"), quality=90)
    assert read_image(tmp_path / "a.jpg").shape == source.shape
    assert sorted(os.listdir(tmp_path)) == ["a.jpg", "a.png"]  # no temporary files left
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_png(source, tmp_path / "missing" / "b.png")


def test_writers_never_leave_a_partial_file(rng, tmp_path, monkeypatch):
    target = tmp_path / "keep.png"
    original = torch.from_numpy(_random_image(rng)).permute(2, 0, 1)
    write_png(original, target)
    before = target.read_bytes()
    with pytest.raises(TypeError):
        write_png(original.float(), target)  # fails while encoding
    assert target.read_bytes() == before

    def failing_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(vio.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_png(torch.zeros_like(original), target)
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["keep.png"]



@pytest.mark.skipif(not SHARED_IMAGES.is_dir(), reason="shared images not present")
def test_real_photos_match_pillow():
    for path in sorted(SHARED_IMAGES.glob("img*.jpg"))[:6]:
        data = path.read_bytes()
        assert torch.equal(read_image(path), _pillow_rgb(data))


# --- EncodedImage: header first, then a partial decode -------------------------------------


def test_encoded_image_reports_size_before_decoding(rng):
    data = _encode(_random_image(rng, 37, 53), "JPEG")
    encoded = vio.EncodedImage(data)
    assert encoded.size == (37, 53) and encoded.format == "JPEG"


@pytest.mark.parametrize("size_hint", [None, (40, 40), (20, 30)])
def test_encoded_image_max_rows_gives_the_top_rows_of_the_full_decode(rng, size_hint):
    height, width = int(rng.integers(120, 300)), int(rng.integers(120, 300))
    data = _encode(_smooth_image(rng, height, width), "JPEG", quality=90)
    full = decode_image(data, size_hint=size_hint)
    max_rows = int(rng.integers(1, height))
    part = vio.EncodedImage(data).decode(size_hint=size_hint, max_rows=max_rows)
    scaled = -(-max_rows * full.shape[1] // height)  # ceil, at the decoded scale
    assert part.shape == (3, scaled, full.shape[2])
    assert torch.equal(part, full[:, :scaled])


def test_encoded_image_max_rows_is_ignored_for_other_formats(rng):
    data = _encode(_random_image(rng, 30, 20), "PNG")
    assert vio.EncodedImage(data).decode(max_rows=5).shape == (3, 30, 20)


def test_encoded_image_max_rows_still_reports_truncation(rng):
    data = _encode(_smooth_image(rng, 200, 160), "JPEG")
    with pytest.raises(ImageDecodeError, match="truncated|broken"):
        vio.EncodedImage(data[: len(data) // 3]).decode(max_rows=190)


def test_encoded_image_decodes_once(rng):
    encoded = vio.EncodedImage(_encode(_random_image(rng, 8, 8), "PNG"))
    encoded.decode()
    with pytest.raises(RuntimeError, match="once"):
        encoded.decode()


def test_encoded_image_share_rgb_views_pillows_memory(rng, monkeypatch):
    monkeypatch.setattr(vio._jpeg, "AVAILABLE", False)  # Pillow's path (the compiled decoder packs RGB)
    data = _encode(_smooth_image(rng, 45, 61), "JPEG")
    shared = vio.EncodedImage(data).decode(share_rgb=True)
    assert shared.shape == (3, 45, 61) and shared.stride() == (1, 4 * 61, 4)
    assert torch.equal(shared, decode_image(data))


def test_truncated_jpeg_fails_even_when_only_top_rows_are_decoded(rng):
    data = _encode(_smooth_image(rng, 256, 192), "JPEG", quality=90)
    cut = data[: len(data) * 3 // 4]
    # Before any pixel: the top 8 rows alone decode fine from the cut file.
    with pytest.raises(ImageDecodeError, match="truncated"):
        vio.EncodedImage(cut).decode(max_rows=8)
    assert vio.EncodedImage(data).decode(max_rows=8).shape == (3, 8, 192)


def test_bytes_after_the_jpeg_end_marker_are_allowed(rng):
    data = _encode(_random_image(rng, 32, 40), "JPEG")
    expected = decode_image(data)
    for trailer in (b"\x00" * 64, b"camera trailer \xff\xd8 data"):
        assert torch.equal(decode_image(data + trailer), expected)


def test_truncated_jpeg_loads_when_pillow_is_told_to(rng, monkeypatch):
    from PIL import ImageFile

    data = _encode(_smooth_image(rng, 64, 64), "JPEG")
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    assert decode_image(data[: len(data) - 100]).shape == (3, 64, 64)
