"""Image files <-> tensors, with as few copies as possible.

:func:`decode_image` and :func:`read_image` return a ``(C, H, W)`` tensor: uint8, or uint16 for
16-bit images read with ``mode="UNCHANGED"``. JPEG, PNG (8 and 16 bit), WebP, GIF (first
frame), BMP and TIFF are read. JPEGs go through the libjpeg-turbo decoder compiled into
``triptych._C`` where it was built (:func:`jpeg_decoder` says which; :func:`decode_jpeg` decodes
batches on threads, :class:`EncodedImage` only the part of an image a crop needs), everything
else through Pillow.

**Memory layout.** An RGB result is packed 3-byte pixels written straight into the tensor —
by libjpeg-turbo, or for Pillow's formats by Pillow's packer from its 4-byte pixels (one pass,
where ``np.asarray(img.convert("RGB"))`` makes two or three; ``benchmarks/bench_decode.py``).
The result is the ``(3, H, W)`` *view* of that ``(H, W, 3)`` buffer — ``permute(2, 0, 1)``,
strides ``(1, 3W, 3)`` — so it is **not contiguous**: it is channels-last memory. Kernels such
as :func:`triptych.ops.normalize` read it in place; call ``.contiguous()`` only if a consumer
needs planar memory. One channel (``L``), RGBA and 16-bit grey images decoded by Pillow are not
copied at all: the tensor shares Pillow's image memory through the Arrow C data interface
(Pillow >= 11.2) and keeps it alive.

**Safety.** Images with more than :data:`MAX_IMAGE_PIXELS` pixels (read from the header,
before any pixel is decoded) and truncated or corrupt files raise :class:`ImageDecodeError`,
whose message names the file (or says ``<bytes>``) and the reason. Writers never leave a
half-written file: they write a temporary file in the destination folder and rename it.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import os
import struct
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from enum import Enum

import numpy as np
import torch

from triptych.paths import write_atomic

from . import _jpeg
from ._pil import pil_modules

Image, ImageFile, ImageOps = pil_modules("Image", "ImageFile", "ImageOps")

__all__ = [
    "MAX_IMAGE_PIXELS",
    "ImageDecodeError",
    "ImageReadMode",
    "EncodedImage",
    "decode_image",
    "decode_jpeg",
    "jpeg_decoder",
    "read_image",
    "encode_jpeg",
    "encode_png",
    "write_jpeg",
    "write_png",
]

MAX_IMAGE_PIXELS: int | None = 1024 * 1024 * 1024 // 4 // 3
"""Largest pixel count decoded (Pillow's default, 89 478 485); ``None`` switches the check off.

Checked against the size in the file's header before decoding. Pillow's own setting
(``PIL.Image.MAX_IMAGE_PIXELS``) does not apply to files opened here."""

SUPPORTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
"""Formats :func:`decode_image` opens (Pillow format names; ``MPO`` camera JPEGs count as JPEG)."""


class ImageDecodeError(ValueError):
    """An image could not be decoded: unknown format, truncated or corrupt data, or too many pixels.

    ``source`` is the file name, or ``"<bytes>"`` for in-memory data.
    """

    def __init__(self, source: str, reason: str):
        super().__init__(f"cannot decode image {source}: {reason}")
        self.source = source
        self.reason = reason


class ImageReadMode(str, Enum):
    """What :func:`decode_image` converts to (plain strings work too: ``mode="RGB"``)."""

    UNCHANGED = "UNCHANGED"
    GRAY = "GRAY"
    GRAY_ALPHA = "GRAY_ALPHA"
    RGB = "RGB"
    RGB_ALPHA = "RGB_ALPHA"
    RGBA = "RGB_ALPHA"


# Pillow mode each read mode converts to; UNCHANGED is decided per image by _unchanged_mode.
_TARGET_MODE = {"GRAY": "L", "GRAY_ALPHA": "LA", "RGB": "RGB", "RGB_ALPHA": "RGBA"}
_UNCHANGED_MODE = {
    "1": "L", "L": "L", "LA": "LA", "La": "LA", "PA": "RGBA", "RGB": "RGB", "RGBA": "RGBA",
    "RGBa": "RGBA", "RGBX": "RGB", "CMYK": "RGB", "YCbCr": "RGB", "LAB": "RGB", "HSV": "RGB",
    "I": "I", "F": "F",
}  # fmt: skip
_GRAY16_MODES = ("I;16", "I;16L", "I;16B", "I;16N")

# What Pillow raises on bad data, besides its own DecompressionBombError.
_DECODE_ERRORS = (
    OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError,
    struct.error, zlib.error, Image.DecompressionBombError,
)  # fmt: skip


# --- decoding ------------------------------------------------------------------------------


def decode_image(
    data: bytes | bytearray | memoryview | torch.Tensor | str | os.PathLike,
    *,
    mode: str | ImageReadMode = "RGB",
    size_hint: int | tuple[int, int] | None = None,
    apply_exif_orientation: bool = False,
) -> torch.Tensor:
    """Decode an encoded image (JPEG, PNG, WebP, GIF, BMP, TIFF) into a ``(C, H, W)`` tensor.

    Args:
        data: the encoded file: ``bytes`` (read in place), any other buffer, or a 1-D uint8
            tensor as :func:`torchvision.io.decode_image` takes (copied once to ``bytes``, a
            few microseconds). A path is passed on to :func:`read_image`.
        mode: ``"RGB"`` (default; note torchvision defaults to ``"UNCHANGED"``), ``"GRAY"``,
            ``"GRAY_ALPHA"``, ``"RGB_ALPHA"`` (alias ``"RGBA"``) or ``"UNCHANGED"`` (the
            file's own channels: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA; palettes expand to
            RGB, or RGBA when they have transparency; CMYK becomes RGB).
        size_hint: ``(h, w)`` (or one int for both) the caller will shrink the image to. JPEGs
            are then decoded at the largest reduced DCT scale (1/2, 1/4, 1/8) whose result is
            still at least ``h`` x ``w`` — Pillow's ``draft`` — which is much faster for large
            photos. Other formats ignore it. The output may thus be smaller than the file.
        apply_exif_orientation: rotate/flip as the EXIF orientation tag says (Pillow's
            ``ImageOps.exif_transpose``).

    Returns:
        ``(C, H, W)`` tensor. uint8, except with ``mode="UNCHANGED"``: uint16 for 16-bit PNG
        and 16-bit grey TIFF (full 0-65535 range; the other modes keep the high byte),
        int32 / float32 for 32-bit TIFF. Multi-channel results are a **non-contiguous view**
        of channels-last ``(H, W, C)`` memory (``result.permute(1, 2, 0)`` is contiguous).
        GRAY of a JPEG is libjpeg's luma channel (as torchvision), of other formats
        Pillow's ``convert("L")``.

    Raises:
        ImageDecodeError: unknown format, truncated or corrupt data (unless Pillow's
            ``ImageFile.LOAD_TRUNCATED_IMAGES`` is set), or more than
            :data:`MAX_IMAGE_PIXELS` pixels.

    Example:
        >>> import io, PIL.Image
        >>> buf = io.BytesIO()
        >>> PIL.Image.new("RGB", (4, 2), (255, 0, 0)).save(buf, "PNG")
        >>> image = decode_image(buf.getvalue())
        >>> image.shape, image.dtype, image[:, 0, 0].tolist()
        (torch.Size([3, 2, 4]), torch.uint8, [255, 0, 0])
        >>> image.permute(1, 2, 0).is_contiguous()
        True
    """
    if isinstance(data, (str, os.PathLike)):
        return read_image(data, mode=mode, size_hint=size_hint,
                          apply_exif_orientation=apply_exif_orientation)
    return _decode(_as_bytes(data), "<bytes>", _parse_mode(mode), _parse_size_hint(size_hint),
                   bool(apply_exif_orientation))


def read_image(
    path: str | os.PathLike,
    *,
    mode: str | ImageReadMode = "RGB",
    size_hint: int | tuple[int, int] | None = None,
    apply_exif_orientation: bool = False,
) -> torch.Tensor:
    """Read and decode an image file; :func:`decode_image` describes the options and result.

    Errors name the file: ``ImageDecodeError: cannot decode image 'cat.jpg': image file is
    truncated (...)``. A missing file raises ``FileNotFoundError``.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "x.png")
        >>> write_png(torch.zeros(1, 5, 7, dtype=torch.uint8), path)
        >>> read_image(path, mode="GRAY").shape
        torch.Size([1, 5, 7])
    """
    mode, size_hint = _parse_mode(mode), _parse_size_hint(size_hint)
    name = os.fspath(path)
    with open(name, "rb") as file:
        data = file.read()
    return _decode(data, repr(name), mode, size_hint, bool(apply_exif_orientation))


def decode_jpeg(
    input: torch.Tensor | bytes | Sequence[torch.Tensor | bytes],
    *,
    mode: str | ImageReadMode = "UNCHANGED",
    device: str | torch.device = "cpu",
    apply_exif_orientation: bool = False,
    num_threads: int | None = None,
) -> torch.Tensor | list[torch.Tensor]:
    """Decode JPEG files into ``(C, H, W)`` uint8 tensors, as :func:`torchvision.io.decode_jpeg`.

    A list is decoded on a pool of ``num_threads`` threads (the compiled decoder runs without
    the GIL), for decoding batches in the main process.

    Args:
        input: the file's bytes as a 1-D uint8 tensor (what ``torchvision.io.read_file``
            gives) or a ``bytes``-like object; or a list of them.
        mode: ``"UNCHANGED"`` (default, as torchvision: 1 channel for grey files, 3 for
            colour; CMYK files become RGB), ``"GRAY"`` or ``"RGB"``.
        device: where the results go. Decoding runs on the CPU; other devices get a copy.
        apply_exif_orientation: rotate/flip as the EXIF orientation tag says.
        num_threads: threads for a list (default ``torch.get_num_threads()``; 1 decodes in the
            calling thread). Ignored for a single input.

    Returns:
        ``(C, H, W)`` uint8 tensor, or a list of them for a list input. Like
        :func:`decode_image`, a 3-channel result is a channels-last view (contiguous after
        ``.permute(1, 2, 0)``). With the compiled decoder (:func:`jpeg_decoder`) the pixels
        are libjpeg-turbo's (islow IDCT, fancy upsampling), as Pillow's and torchvision's.

    Raises:
        ImageDecodeError: not a JPEG, truncated or corrupt (libjpeg's warnings count as errors),
            or more than :data:`MAX_IMAGE_PIXELS` pixels; the message names the input
            (``input[i]`` in a list).

    Example:
        >>> data = encode_jpeg(torch.full((3, 16, 24), 200, dtype=torch.uint8))
        >>> decode_jpeg(data).shape
        torch.Size([3, 16, 24])
        >>> [image.shape[0] for image in decode_jpeg([data, data], mode="GRAY", num_threads=2)]
        [1, 1]
    """
    mode = _parse_mode(mode)
    if mode not in _NATIVE_MODES:
        raise ValueError(f"decode_jpeg: mode must be 'UNCHANGED', 'GRAY' or 'RGB', got {mode!r}")
    device = torch.device(device)
    apply_exif = bool(apply_exif_orientation)
    if not isinstance(input, (list, tuple)):
        image = _decode_one_jpeg(_jpeg_input(input, "input"), "<bytes>", mode, apply_exif)
        return image if device.type == "cpu" else image.to(device)
    if num_threads is None:
        num_threads = torch.get_num_threads()
    if isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1:
        raise ValueError(f"num_threads must be a positive int, got {num_threads!r}")
    items = [_jpeg_input(data, f"input[{i}]") for i, data in enumerate(input)]

    def work(i: int) -> torch.Tensor:
        return _decode_one_jpeg(items[i], f"input[{i}]", mode, apply_exif)

    threads = min(num_threads, len(items))
    if threads <= 1:
        images = [work(i) for i in range(len(items))]
    else:
        with ThreadPoolExecutor(threads, thread_name_prefix="decode_jpeg") as pool:
            images = list(pool.map(work, range(len(items))))
    return images if device.type == "cpu" else [image.to(device) for image in images]


def _jpeg_input(data, name: str) -> bytes | torch.Tensor:
    """What decode_jpeg reads: for the compiled decoder a 1-D uint8 CPU tensor (no copy for a
    CPU tensor or ``bytes``), made here in the calling thread, not on the pool; else ``bytes``."""
    if isinstance(data, torch.Tensor):
        if data.dtype != torch.uint8 or data.dim() != 1:
            raise ValueError(f"decode_jpeg expects {name} to be a 1-D uint8 tensor of encoded bytes, "
                             f"got dtype {data.dtype} and shape {tuple(data.shape)}")
        return _jpeg.data_tensor(data) if _jpeg.AVAILABLE else _as_bytes(data)
    data = _as_bytes(data)
    return _jpeg.data_tensor(data) if _jpeg.AVAILABLE else data


def _decode_one_jpeg(data: bytes | torch.Tensor, source: str, mode: str, apply_exif: bool) -> torch.Tensor:
    if _jpeg.AVAILABLE:
        image = _decode_jpeg_native(data, source, mode, None, apply_exif, strict=True)
        if image is not None:
            return image
    data = _as_bytes(data)
    image = _identify(data, source)
    if image.format not in ("JPEG", "MPO"):
        raise ImageDecodeError(source, f"not a JPEG file but {image.format} (decode_image reads it)")
    return _decode(data, source, mode, None, apply_exif, image=image)


def _parse_mode(mode: str | Enum) -> str:
    name = mode.name if isinstance(mode, Enum) else mode  # also torchvision's ImageReadMode
    if not isinstance(name, str):
        raise TypeError(f"mode must be a string such as 'RGB', got {type(mode).__name__}")
    key = name.upper()
    key = "RGB_ALPHA" if key == "RGBA" else key
    if key != "UNCHANGED" and key not in _TARGET_MODE:
        raise ValueError(
            f"mode must be one of 'RGB', 'GRAY', 'GRAY_ALPHA', 'RGB_ALPHA', 'UNCHANGED'; got {mode!r}")
    return key


def _parse_size_hint(size_hint) -> tuple[int, int] | None:
    if size_hint is None:
        return None
    pair = (size_hint, size_hint) if isinstance(size_hint, int) else tuple(size_hint)
    if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in pair):
        raise ValueError(f"size_hint must be (height, width) of positive ints, got {size_hint!r}")
    return pair


def _as_bytes(data) -> bytes:
    """``data`` as ``bytes``: the object itself for bytes, else one copy.

    Pillow parses headers with many small ``read`` calls; ``io.BytesIO`` answers them in C and
    shares a ``bytes`` object without copying it. A zero-copy file object written in Python
    over a tensor's memory was measured: its reads cost ~40 us per photo, ten times the one
    ``memcpy`` of the compressed bytes (~4 us per 100 kB) done here.
    """
    if isinstance(data, bytes):
        return data
    if isinstance(data, torch.Tensor):
        if data.dtype != torch.uint8 or data.dim() != 1:
            raise ValueError(
                "decode_image expects a 1-D uint8 tensor of encoded bytes, got "
                f"dtype {data.dtype} and shape {tuple(data.shape)}")
        data = data.detach().cpu().numpy()
    try:
        return memoryview(data).tobytes()
    except TypeError:
        raise TypeError(
            "decode_image expects bytes, a buffer, a 1-D uint8 tensor or a path, "
            f"got {type(data).__name__}") from None


_plugins_loaded = False


def _load_plugins() -> None:
    global _plugins_loaded
    if not _plugins_loaded:
        Image.preinit()  # BMP, GIF, JPEG, PNG
        for plugin in ("WebPImagePlugin", "TiffImagePlugin"):
            with contextlib.suppress(ImportError):
                __import__(f"PIL.{plugin}")
        _plugins_loaded = True


def _identify(data: bytes, source: str) -> ImageFile.ImageFile:
    """Open (header only) like ``Image.open``, restricted to our formats and to our pixel limit."""
    _load_plugins()
    prefix = data[:16]
    failures = []
    for fmt in SUPPORTED_FORMATS:
        factory, accept = Image.OPEN.get(fmt, (None, None))
        if factory is None:
            continue
        verdict = accept(prefix) if accept else True
        if isinstance(verdict, str):  # e.g. "WEBP support not installed"
            failures.append(verdict)
            continue
        if not verdict:
            continue
        try:
            image = factory(io.BytesIO(data), "")
        except (SyntaxError, IndexError, TypeError, struct.error, OSError, EOFError, ValueError) as exc:
            # OSError: Pillow's "Truncated File Read" for a header cut inside a segment
            failures.append(f"corrupt or truncated {fmt} ({exc})")
            continue
        _check_pixels(image, source)
        return image
    reason = "; ".join(failures) if failures else (
        f"unknown image format (supported: {', '.join(SUPPORTED_FORMATS)}; "
        f"the data starts with {prefix[:8]!r}, {len(data)} bytes)")
    raise ImageDecodeError(source, reason)


def _check_pixels(image: Image.Image, source: str) -> None:
    _check_size(*image.size, source)


def _check_size(width: int, height: int, source: str) -> None:
    limit = MAX_IMAGE_PIXELS
    if limit is not None and width * height > limit:
        raise ImageDecodeError(
            source,
            f"{width}x{height} = {width * height} pixels exceeds MAX_IMAGE_PIXELS = {limit} "
            "(possible decompression bomb; raise triptych.vision.io.MAX_IMAGE_PIXELS for trusted files)")


def _decode(data: bytes, source: str, mode: str, size_hint, apply_exif: bool,
            image: ImageFile.ImageFile | None = None, max_rows: int | None = None,
            share_rgb: bool = False) -> torch.Tensor:
    """Decode ``data`` (or the already identified ``image`` of it).

    ``max_rows`` (JPEG, no EXIF rotation): decode only the image's first ``max_rows`` rows
    (counted at full resolution); the result then has only those rows.
    ``share_rgb``: an RGB result views Pillow's 4-byte pixels (pixel stride 4) instead of
    being packed into 3 bytes per pixel: no copy at all, for kernels that read any strides.
    """
    if image is None and _native_jpeg(data, mode):
        decoded = _decode_jpeg_native(data, source, mode, size_hint, apply_exif, strict=False)
        if decoded is not None:
            return decoded
    fmt = "image"
    try:
        image = image or _identify(data, source)
        fmt = image.format
        if fmt in ("JPEG", "MPO"):
            _check_jpeg_end(data, image)
            _jpeg_draft(image, mode, size_hint, apply_exif)
        rawmode = _single_rawmode(image)
        if mode == "UNCHANGED" and fmt == "PNG" and rawmode in _PNG16_LOW_BYTES:
            pixels = _decode_png16(data, source, image, rawmode, apply_exif)
        else:
            if max_rows is not None and fmt in ("JPEG", "MPO") and not apply_exif and len(image.tile) == 1:
                _load_first_rows(image, max_rows)
            else:
                image.load()
            if apply_exif:
                ImageOps.exif_transpose(image, in_place=True)
            shared = _shared_pixels(image, 4, np.uint8) if share_rgb and mode == "RGB" and image.mode == "RGB" else None
            pixels = shared[..., :3] if shared is not None else _to_array(image, mode)
    except ImageDecodeError:
        raise
    except _DECODE_ERRORS as exc:
        reason = str(exc) or type(exc).__name__
        if isinstance(exc, Image.DecompressionBombError):
            reason = f"decompression bomb: {reason}"
        raise ImageDecodeError(source, f"{fmt}: {reason}" if fmt != "image" else reason) from exc
    tensor = torch.from_numpy(pixels)
    return tensor.unsqueeze(0) if tensor.dim() == 2 else tensor.permute(2, 0, 1)


# --- JPEG through the compiled libjpeg-turbo decoder ---------------------------------------

# The modes the compiled decoder produces; the others (alpha modes) go through Pillow.
_NATIVE_MODES = ("RGB", "GRAY", "UNCHANGED")
# EXIF orientation -> (swap rows and columns first, then flip these dims of the (H, W, C) array);
# the same images as Pillow's ImageOps.exif_transpose.
_ORIENTATIONS = {2: (False, (1,)), 3: (False, (0, 1)), 4: (False, (0,)), 5: (True, ()),
                 6: (True, (1,)), 7: (True, (0, 1)), 8: (True, (0,))}


def jpeg_decoder() -> str:
    """Which decoder reads JPEGs here: the compiled libjpeg-turbo one or Pillow (``triptych info``).

    Example:
        >>> jpeg_decoder().startswith(("libjpeg-turbo", "Pillow"))
        True
    """
    if _jpeg.AVAILABLE:
        return f"libjpeg-turbo {_jpeg.library_version()} (static, in triptych._C; crop- and scale-aware)"
    from PIL import features

    turbo = features.version("libjpeg_turbo") if features.check_feature("libjpeg_turbo") else None
    return f"Pillow {Image.__version__}" + (f" (libjpeg-turbo {turbo})" if turbo else "")


def _native_jpeg(data: bytes, mode: str) -> bool:
    return _jpeg.AVAILABLE and mode in _NATIVE_MODES and data[:3] == _jpeg.MAGIC


def _decode_jpeg_native(data: bytes | torch.Tensor, source: str, mode: str, size_hint,
                        apply_exif: bool, *, strict: bool) -> torch.Tensor | None:
    """Decode with the compiled decoder; None where Pillow should decode instead.

    ``strict=False`` (``decode_image``): a file libjpeg-turbo refuses goes to Pillow, which
    decodes the few that libjpeg-turbo 2.1 cannot (lossless JPEG; streams with recoverable
    damage, which libjpeg only warns about and we refuse) and words the errors as before.
    ``strict=True`` (``decode_jpeg``): libjpeg's error is raised.
    """
    orientation = 1
    if apply_exif:
        orientation = _exif_orientation(_identify(_as_bytes(data), source))
        if size_hint is not None and orientation in (5, 6, 7, 8):  # stored transposed
            size_hint = size_hint[::-1]
    tensor = _jpeg.data_tensor(data)
    scale_num = 8
    if size_hint is not None:
        header = _jpeg.header(tensor)
        if isinstance(header, _jpeg.Failure):
            return _native_failure(header, source, strict)
        scale_num = _jpeg.scale_for(header[:2], size_hint)
    result = _jpeg.decode(tensor, mode, scale_num=scale_num, max_pixels=MAX_IMAGE_PIXELS)
    if isinstance(result, _jpeg.Failure):
        return _native_failure(result, source, strict)
    image = result.image
    if orientation in _ORIENTATIONS:
        transpose, flips = _ORIENTATIONS[orientation]
        image = image.transpose(0, 1) if transpose else image
        image = (image.flip(flips) if flips else image).contiguous()
    return image.permute(2, 0, 1)


def _native_failure(failure: _jpeg.Failure, source: str, strict: bool) -> None:
    """Raise for a file over the pixel limit (and, when strict, for libjpeg's errors); None
    sends the file to Pillow."""
    if failure.status == _jpeg.TOO_LARGE:
        _check_size(failure.size[1], failure.size[0], source)
    if failure.status == _jpeg.CORRUPT and strict:
        raise ImageDecodeError(source, f"JPEG: {failure.message}")
    return None


def _check_jpeg_end(data: bytes, image: ImageFile.ImageFile) -> None:
    """A truncated JPEG is an error before any pixel is decoded, whatever part is decoded.

    libjpeg only notices truncation when it reaches the missing rows, so decoding just the top
    rows (``max_rows``) of a cut file would succeed. The end-of-image marker FF D9 cannot occur
    inside entropy-coded data (FF bytes there are stuffed as FF 00), so a complete file has one
    after the start of its scan; trailing bytes after it (padding, camera trailers) are allowed.
    Searching from the end finds it at once in a complete file.
    """
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        return
    scan_start = image.fp.tell()  # Pillow stops reading the header at the start of scan
    if data.rfind(b"\xff\xd9", scan_start) < 0:
        raise OSError(
            f"image file is truncated (no end-of-image marker after byte {scan_start}, "
            f"{len(data)} bytes)")


def _load_first_rows(image: ImageFile.ImageFile, max_rows: int) -> None:
    """Load only the top rows of a JPEG: libjpeg decodes top to bottom, so stopping early skips
    the rest of the work (a random crop's bottom edge is on average well above the image's).

    The tile (after ``draft``) is shortened to the rows wanted. libjpeg then reports the early
    stop as a broken stream when Pillow finishes; every requested row has been decoded by then,
    so exactly that report is ignored. Truncated files still fail ("image file is truncated").
    """
    full_width, full_height = image.size
    scaled_rows = min(full_height, -(-max_rows * full_height // _header_height(image)))
    if scaled_rows >= full_height:
        image.load()
        return
    codec, _, offset, args = image.tile[0]
    tile_type = getattr(ImageFile, "_Tile", None)
    extents = (0, 0, full_width, scaled_rows)
    image.tile = [tile_type(codec, extents, offset, args) if tile_type else (codec, extents, offset, args)]
    image._size = (full_width, scaled_rows)
    try:
        image.load()
    except OSError as exc:
        if "broken data stream" not in str(exc):
            raise


def _header_height(image: ImageFile.ImageFile) -> int:
    """The height stored in the file, before any ``draft`` scaling."""
    return getattr(image, "_triptych_header_height", None) or image.size[1]


class EncodedImage:
    """An encoded image whose header is read: its size is known, its pixels not yet decoded.

    Lets a pipeline choose what to decode — a reduced DCT scale, only the rows and columns of a
    crop — from the image's size before paying for the pixels (``DecodeImage`` does this when
    it starts a ``Compose`` with a crop). Decode once. JPEGs are read by the compiled
    libjpeg-turbo decoder where it is built (:func:`jpeg_decoder`), other formats by Pillow.

    Example:
        >>> import io, PIL.Image
        >>> buf = io.BytesIO()
        >>> PIL.Image.new("RGB", (64, 48), (0, 128, 255)).save(buf, "JPEG")
        >>> encoded = EncodedImage(buf.getvalue())
        >>> encoded.size, encoded.format
        ((48, 64), 'JPEG')
        >>> encoded.decode(size_hint=(12, 16), max_rows=24).shape
        torch.Size([3, 6, 16])
    """

    def __init__(self, data: bytes | bytearray | memoryview | torch.Tensor, source: str = "<bytes>"):
        self.data = _as_bytes(data)
        self.source = source
        self._used = False
        self._image: ImageFile.ImageFile | None = None
        self._native: torch.Tensor | None = None  # the bytes as a tensor, for the compiled decoder
        if _jpeg.AVAILABLE and self.data[:3] == _jpeg.MAGIC:
            tensor = _jpeg.data_tensor(self.data)
            header = _jpeg.header(tensor)
            if not isinstance(header, _jpeg.Failure):
                height, width, _ = header
                _check_size(width, height, source)
                self._native, self._size, self._format = tensor, (height, width), "JPEG"
                return
        self._open_with_pillow()

    def _open_with_pillow(self) -> None:
        self._native = None
        self._image = _identify(self.data, self.source)
        self._image._triptych_header_height = self._image.size[1]
        width, height = self._image.size
        self._size, self._format = (height, width), self._image.format

    @property
    def size(self) -> tuple[int, int]:
        """(height, width) stored in the file."""
        return self._size

    @property
    def format(self) -> str:
        return self._format

    def _take(self) -> None:
        if self._used:
            raise RuntimeError("EncodedImage.decode() can only be called once")
        self._used = True

    def _native_region(self, mode: str, crop, scale_num: int) -> _jpeg.Decoded | None:
        """The compiled decoder's result, or None after switching to Pillow (unsupported
        conversion, or a file libjpeg refuses: Pillow then decodes it or raises as before)."""
        if self._native is None or mode not in _NATIVE_MODES:
            if self._native is not None:
                self._open_with_pillow()
            return None
        result = _jpeg.decode(self._native, mode, crop=crop, scale_num=scale_num)
        if isinstance(result, _jpeg.Failure):
            self._open_with_pillow()
            return None
        return result

    def decode(self, *, mode: str | ImageReadMode = "RGB", size_hint=None,
               max_rows: int | None = None, share_rgb: bool = False) -> torch.Tensor:
        """Decode as :func:`decode_image` does; ``max_rows`` keeps only the top rows (JPEG: the
        rows below are never decoded). The result's size tells the scale chosen by ``size_hint``.

        ``share_rgb=True``: an RGB result decoded by Pillow may be a view of Pillow's own
        4-byte-per-pixel memory, strides ``(1, 4W, 4)``, with no copy — for consumers that read
        any strides (the compiled vision kernels); call ``.contiguous()`` for anything else."""
        self._take()
        mode, size_hint = _parse_mode(mode), _parse_size_hint(size_hint)
        height, width = self._size
        rows = max_rows if max_rows is not None and 0 < max_rows < height else None
        crop = [0, 0, rows, width] if rows is not None else None
        region = self._native_region(mode, crop, _jpeg.scale_for((height, width), size_hint))
        if region is not None:
            image = region.image
            if rows is not None:  # the region has a margin row: keep exactly the rows asked for
                image = image[: -(-rows * region.scaled_size[0] // height)]
            return image.permute(2, 0, 1)
        image, self._image = self._image, None
        return _decode(self.data, self.source, mode, size_hint, False,
                       image=image, max_rows=max_rows, share_rgb=share_rgb)

    def decode_crop(self, box: Sequence[int], size: Sequence[int], *, mode: str | ImageReadMode = "RGB",
                    reduced_scale: bool = True) -> tuple[torch.Tensor, list[int]]:
        """Decode what resizing the crop ``box`` to ``size`` needs; return it and the box in it.

        Args:
            box: ``(top, left, height, width)`` inside the image (:attr:`size`).
            size: ``(height, width)`` the crop will be resized to.
            reduced_scale: ``False`` decodes at full scale (same pixels as a full decode).

        Returns:
            ``(image, box)``: a ``(C, H, W)`` uint8 image, possibly reduced by a DCT scale so
            that the crop stays at least ``size``, and the crop's ``[top, left, height, width]``
            in it (rounded outward to whole pixels of the reduced image). With the compiled
            decoder only the rows and iMCU columns the crop touches are decoded; with Pillow,
            the rows down to the crop's bottom edge.
        """
        self._take()
        mode = _parse_mode(mode)
        top, left, box_h, box_w = (int(v) for v in box)
        out_h, out_w = (int(v) for v in size)
        height, width = self._size
        scale_num = _jpeg.scale_for((box_h, box_w), (out_h, out_w)) if reduced_scale else 8
        region = self._native_region(mode, [top, left, box_h, box_w], scale_num)
        if region is not None:
            scaled_h, scaled_w = region.scaled_size
            y0, x0 = top * scaled_h // height, left * scaled_w // width
            y1 = min(scaled_h, -(-(top + box_h) * scaled_h // height))
            x1 = min(scaled_w, -(-(left + box_w) * scaled_w // width))
            return region.image.permute(2, 0, 1), [y0 - region.top, x0 - region.left, y1 - y0, x1 - x0]
        # Pillow: the smallest power-of-two DCT scale that keeps the crop at least `size`, and
        # only the rows down to the crop's bottom edge.
        hint = (-(-height * out_h // box_h), -(-width * out_w // box_w)) if reduced_scale else None
        image, self._image = self._image, None
        image = _decode(self.data, self.source, mode, hint, False, image=image, max_rows=top + box_h,
                        share_rgb=True)
        scaled_h, scaled_w = int(image.shape[-2]), int(image.shape[-1])
        if scaled_w != width:  # reduced by 2, 4 or 8 in both directions: map the box
            factor = next(d for d in (2, 4, 8) if -(-width // d) == scaled_w)
            full_h = -(-height // factor)
            y0, x0 = top * full_h // height, left * scaled_w // width
            y1 = min(-(-(top + box_h) * full_h // height), scaled_h)
            x1 = min(-(-(left + box_w) * scaled_w // width), scaled_w)
            top, left, box_h, box_w = y0, x0, y1 - y0, x1 - x0
        return image, [top, left, box_h, box_w]


def _exif_orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(0x0112, 1))
    except Exception:  # a broken EXIF block only loses the hint, the pixels are still fine
        return 1


def _jpeg_draft(image, mode: str, size_hint, apply_exif: bool) -> None:
    """Ask libjpeg for grey output and/or a reduced DCT scale before decoding."""
    gray = mode in ("GRAY", "GRAY_ALPHA")
    request = None
    if size_hint is not None:
        height, width = size_hint
        if apply_exif and _exif_orientation(image) in (5, 6, 7, 8):  # stored transposed
            height, width = width, height
        request = (width, height)
    if gray or request is not None:
        # Pillow picks the largest scale 1/s, s in (8, 4, 2, 1), with size / s >= request in both
        # dimensions (the image is then ceil(size / s)); libjpeg scales while decoding.
        image.draft("L" if gray else "RGB", request)


def _single_rawmode(image) -> str | None:
    tile = getattr(image, "tile", None)
    if not tile or len(tile) != 1:
        return None
    args = tile[0][3]
    return args if isinstance(args, str) else None


def _with_rawmode(image, rawmode: str) -> None:
    codec, extents, offset, _ = image.tile[0]
    tile_type = getattr(ImageFile, "_Tile", None)
    image.tile = [tile_type(codec, extents, offset, rawmode) if tile_type else (codec, extents, offset, rawmode)]


# Pillow reads 16-bit colour PNGs as 8 bits (the high byte of each sample). Decoding the same
# stream again with the little-endian unpacker of the same width yields the low bytes (PNG's
# filters work on bytes, so both passes see identical data); grey+alpha has a 32-bit unpacker
# that keeps all four bytes.
_PNG16_LOW_BYTES = {"RGB;16B": "RGB;16L", "RGBA;16B": "RGBA;16L", "LA;16B": None}


def _decode_png16(data: bytes, source: str, image, rawmode: str, apply_exif: bool) -> np.ndarray:
    if rawmode == "LA;16B":  # Pillow opens it as RGBA; take the raw bytes Lhi, Llo, Ahi, Alo
        _with_rawmode(image, "RGBA")
        image.load()
        if apply_exif:
            ImageOps.exif_transpose(image, in_place=True)
        raw = _pixels(image).astype(np.uint16)
        return np.stack([raw[..., 0] << 8 | raw[..., 1], raw[..., 2] << 8 | raw[..., 3]], axis=-1)
    low_image = _identify(data, source)
    _with_rawmode(low_image, _PNG16_LOW_BYTES[rawmode])
    planes = []
    for part in (image, low_image):
        part.load()
        if apply_exif:
            ImageOps.exif_transpose(part, in_place=True)
        planes.append(_pixels(part))
    high, low = planes
    return high.astype(np.uint16) << 8 | low


def _unchanged_mode(image: Image.Image) -> str:
    if image.mode == "P":
        return "RGBA" if "transparency" in image.info else "RGB"
    return _UNCHANGED_MODE.get(image.mode, "RGB")


def _to_array(image: Image.Image, mode: str) -> np.ndarray:
    """The pixels of a loaded image in ``mode``, as an (H, W) or (H, W, C) array."""
    if image.mode in _GRAY16_MODES:
        gray16 = _gray16(image)
        if mode == "UNCHANGED":
            return gray16
        image = Image.fromarray((gray16 >> 8).astype(np.uint8))  # Pillow's convert would clip
    target = _unchanged_mode(image) if mode == "UNCHANGED" else _TARGET_MODE[mode]
    if image.mode != target:
        if image.mode == "P" and "A" not in target:
            image.info.pop("transparency", None)  # dropped anyway; avoids Pillow's warning
        image = image.convert(target)
    return _pixels(image)


def _gray16(image: Image.Image) -> np.ndarray:
    if image.mode == "I;16":
        return _pixels(image)
    big_endian = image.mode == "I;16B" or (image.mode == "I;16N" and np.little_endian is False)
    raw = np.frombuffer(image.tobytes(), ">u2" if big_endian else "<u2").reshape(image.height, image.width)
    return raw.astype(np.uint16)


# mode -> (channels as stored by Pillow, numpy dtype); these are shared without a copy.
_SHARED_LAYOUT = {"L": (1, np.uint8), "RGBA": (4, np.uint8), "I;16": (1, np.dtype("<u2")),
                  "I": (1, np.int32), "F": (1, np.float32)}
# mode -> (packed channels, dtype); Pillow's packer writes these into our buffer.
_PACKED_LAYOUT = {"RGB": (3, np.uint8), "LA": (2, np.uint8)}


def _pixels(image: Image.Image) -> np.ndarray:
    """(H, W) or (H, W, C) array of a loaded image, sharing Pillow's memory where it can."""
    if image.mode in _SHARED_LAYOUT:
        channels, dtype = _SHARED_LAYOUT[image.mode]
        array = _shared_pixels(image, channels, dtype)
        if array is None:
            array = _packed_pixels(image, channels, dtype)
    elif image.mode in _PACKED_LAYOUT:
        channels, dtype = _PACKED_LAYOUT[image.mode]
        array = _packed_pixels(image, channels, dtype)
    else:
        raise ValueError(f"internal: no pixel layout for Pillow mode {image.mode!r}")
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    return array


class _ArrowArray(ctypes.Structure):
    pass


# The Arrow C data interface struct (a stable ABI: https://arrow.apache.org/docs/format/CDataInterface.html).
_ArrowArray._fields_ = [
    ("length", ctypes.c_int64), ("null_count", ctypes.c_int64), ("offset", ctypes.c_int64),
    ("n_buffers", ctypes.c_int64), ("n_children", ctypes.c_int64),
    ("buffers", ctypes.POINTER(ctypes.c_void_p)),
    ("children", ctypes.POINTER(ctypes.POINTER(_ArrowArray))),
    ("dictionary", ctypes.c_void_p), ("release", ctypes.c_void_p), ("private_data", ctypes.c_void_p),
]  # fmt: skip
_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]


def _shared_pixels(image: Image.Image, channels: int, dtype) -> np.ndarray | None:
    """Pillow's pixel memory as an array, no copy; None where Pillow cannot export it.

    Pillow (>= 11.2) exports an image as an Arrow array when its rows are one contiguous
    block (images under 16 MiB by default). The capsule holds a reference to the image
    memory until it is destroyed; the array keeps the capsule alive.
    """
    export = getattr(image.im, "__arrow_c_array__", None)
    if export is None:
        return None
    try:
        capsule = export()
    except ValueError:  # rows in several blocks
        return None
    array = _ArrowArray.from_address(_capsule_pointer(capsule, b"arrow_array"))
    if array.n_children == 1:  # multi-band modes: a fixed-size list over a byte array
        array = array.children[0].contents
    height, width = image.height, image.width
    dtype = np.dtype(dtype)
    if (array.n_buffers != 2 or array.offset != 0 or array.null_count > 0
            or array.length != height * width * channels or not array.buffers[1]):
        return None
    nbytes = height * width * channels * dtype.itemsize
    memory = (ctypes.c_char * nbytes).from_address(array.buffers[1])
    memory._owner = capsule  # frees Pillow's image only when the array (tensor) is gone
    shape = (height, width) if channels == 1 else (height, width, channels)
    return np.frombuffer(memory, dtype).reshape(shape)


def _packed_pixels(image: Image.Image, channels: int, dtype) -> np.ndarray:
    """Packed pixels written by Pillow's raw packer straight into a new array (one pass)."""
    width, height = image.size
    shape = (height, width) if channels == 1 else (height, width, channels)
    out = np.empty(shape, dtype)
    target = memoryview(out).cast("B")
    if out.nbytes == 0:
        return out
    get_encoder = getattr(Image, "_getencoder", None)
    if get_encoder is None:  # a Pillow without it: one extra copy through bytes
        target[:] = image.tobytes()
        return out
    encoder = get_encoder(image.mode, "raw", (image.mode,))
    encoder.setimage(image.im, (0, 0, width, height))
    # Chunks of ~64 KiB stay in cache between the packer and the copy into ``out``.
    chunk_size = max(1 << 16, out.nbytes // height + 16)
    position, status = 0, 0
    while not status:
        _, status, chunk = encoder.encode(chunk_size)
        target[position:position + len(chunk)] = chunk
        position += len(chunk)
    if status < 0 or position != out.nbytes:
        raise OSError(f"Pillow's raw packer failed (status {status}, {position}/{out.nbytes} bytes)")
    return out


def _pil_to_tensor(image: Image.Image) -> torch.Tensor:
    """(C, H, W) uint8 view of a loaded Pillow image in mode L, LA, RGB or RGBA."""
    tensor = torch.from_numpy(_pixels(image))
    return tensor.unsqueeze(0) if tensor.dim() == 2 else tensor.permute(2, 0, 1)


# --- encoding ------------------------------------------------------------------------------


def encode_jpeg(input: torch.Tensor | list[torch.Tensor], *, quality: int = 75) -> torch.Tensor | list[torch.Tensor]:
    """Encode uint8 ``(C, H, W)`` images (C = 1 or 3) as JPEG.

    Args:
        input: one image or a list of images (then a list is returned).
        quality: 1 (smallest) to 100 (best), as torchvision; 4:2:0 chroma subsampling.

    Returns:
        1-D uint8 tensor of the file's bytes (per image for a list).

    Example:
        >>> data = encode_jpeg(torch.zeros(3, 8, 8, dtype=torch.uint8), quality=90)
        >>> data.dtype, bytes(data[:2].tolist())
        (torch.uint8, b'\\xff\\xd8')
    """
    if isinstance(quality, bool) or not isinstance(quality, int) or not 1 <= quality <= 100:
        raise ValueError(f"quality must be an int in [1, 100], got {quality!r}")
    if isinstance(input, (list, tuple)):
        return [encode_jpeg(image, quality=quality) for image in input]
    array = _hwc_array(input, "encode_jpeg", channels=(1, 3), dtypes=(torch.uint8,))
    return _buffer_tensor(_pillow_encode(array, "JPEG", quality=quality))


def encode_png(input: torch.Tensor, *, compression_level: int = 6) -> torch.Tensor:
    """Encode a ``(C, H, W)`` image as PNG, losslessly.

    Args:
        input: uint8 with C = 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA); or uint16
            with the same channels, written as a 16-bit PNG.
        compression_level: zlib level, 0 (none, fastest) to 9 (smallest).

    Returns:
        1-D uint8 tensor of the file's bytes.

    Example:
        >>> image = torch.randint(0, 256, (3, 4, 5), dtype=torch.uint8)
        >>> bool((decode_image(encode_png(image)) == image).all())
        True
    """
    if isinstance(compression_level, bool) or not isinstance(compression_level, int) \
            or not 0 <= compression_level <= 9:
        raise ValueError(f"compression_level must be an int in [0, 9], got {compression_level!r}")
    array = _hwc_array(input, "encode_png", channels=(1, 2, 3, 4), dtypes=(torch.uint8, torch.uint16))
    if array.dtype == np.uint16:
        return _buffer_tensor(io.BytesIO(_png16_bytes(array, compression_level)))
    return _buffer_tensor(_pillow_encode(array, "PNG", compress_level=compression_level))


def write_jpeg(input: torch.Tensor, filename: str | os.PathLike, *, quality: int = 75) -> None:
    """Encode ``input`` with :func:`encode_jpeg` and write it to ``filename`` atomically.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "x.jpg")
        >>> write_jpeg(torch.zeros(3, 8, 8, dtype=torch.uint8), path)
        >>> read_image(path).shape
        torch.Size([3, 8, 8])
    """
    write_atomic(filename, encode_jpeg(input, quality=quality).numpy())


def write_png(input: torch.Tensor, filename: str | os.PathLike, *, compression_level: int = 6) -> None:
    """Encode ``input`` with :func:`encode_png` and write it to ``filename`` atomically.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "x.png")
        >>> write_png(torch.zeros(3, 8, 8, dtype=torch.uint8), path)
        >>> read_image(path).shape
        torch.Size([3, 8, 8])
    """
    write_atomic(filename, encode_png(input, compression_level=compression_level).numpy())


def _hwc_array(image, what: str, *, channels: Sequence[int], dtypes: Sequence[torch.dtype]) -> np.ndarray:
    """(H, W) or (H, W, C) C-contiguous array of a (C, H, W) tensor (no copy for our own views)."""
    if not isinstance(image, torch.Tensor):
        raise TypeError(f"{what} expects a (C, H, W) tensor, got {type(image).__name__}")
    if image.dim() != 3 or image.shape[0] not in channels:
        raise ValueError(
            f"{what} expects a (C, H, W) tensor with C in {tuple(channels)}, got shape {tuple(image.shape)}")
    if image.dtype not in dtypes:
        raise TypeError(f"{what} expects dtype {' or '.join(map(str, dtypes))}, got {image.dtype}")
    if image.shape[1] == 0 or image.shape[2] == 0:
        raise ValueError(f"{what} cannot encode an empty image of shape {tuple(image.shape)}")
    array = image.detach().cpu().permute(1, 2, 0).contiguous().numpy()
    return array[..., 0] if array.shape[2] == 1 else array


def _pillow_encode(array: np.ndarray, fmt: str, **params) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, fmt, **params)
    return buffer


def _buffer_tensor(buffer: io.BytesIO) -> torch.Tensor:
    """1-D uint8 tensor over the BytesIO's own memory (kept alive by the tensor)."""
    return torch.from_numpy(np.frombuffer(buffer.getbuffer(), np.uint8))


def _png16_bytes(array: np.ndarray, level: int) -> bytes:
    """A 16-bit PNG (Pillow cannot write 16-bit colour), rows filtered with PNG's 'Up' filter."""
    height, width = array.shape[:2]
    channels = 1 if array.ndim == 2 else array.shape[2]
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    rows = np.ascontiguousarray(array, dtype=">u2").view(np.uint8).reshape(height, -1)
    filtered = np.empty((height, rows.shape[1] + 1), np.uint8)
    filtered[:, 0] = 2  # Up: each byte minus the byte above it (mod 256)
    filtered[:, 1:] = rows
    filtered[1:, 1:] -= rows[:-1]

    def chunk(tag: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + tag + payload + struct.pack(">I", zlib.crc32(tag + payload))

    header = struct.pack(">IIBBBBB", width, height, 16, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(filtered.tobytes(), level)) + chunk(b"IEND", b""))
