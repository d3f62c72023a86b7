"""The libjpeg-turbo decoder compiled into ``triptych._C`` (``core/csrc/vision/decode_jpeg.cpp``).

A thin layer over the two ops; :mod:`triptych.vision.io` decides when to use them and turns
their failures into :class:`~triptych.vision.io.ImageDecodeError`. The ops never raise for bad
data (a C++ exception leaving a stable-ABI kernel aborts the process on torch 2.11): they
return a status and libjpeg's message, and every argument is checked here before the call.

``AVAILABLE`` is False when ``_C`` was built without libjpeg-turbo (``TRIPTYCH_JPEG=0``, or
``auto`` on a machine without it), did not load, or ``TRIPTYCH_NO_EXT=1``; ``vision.io`` then
decodes JPEGs with Pillow.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import torch

from triptych import library

OK, CORRUPT, UNSUPPORTED, TOO_LARGE = 0, 1, 2, 3
MAGIC = b"\xff\xd8\xff"


def _compiled() -> bool:
    if library.EXTENSION_ERROR is not None:
        return False
    name = "triptych::decode_jpeg"
    return bool(torch._C._dispatch_has_kernel(name)
                and torch._C._dispatch_has_kernel_for_dispatch_key(name, "CPU"))


AVAILABLE: bool = _compiled()


def library_version() -> str:
    """The linked libjpeg-turbo's version, e.g. "2.1.5"."""
    number = int(torch.ops.triptych.jpeg_library_version())
    return f"{number // 1000000}.{number // 1000 % 1000}.{number % 1000}"


class Decoded(NamedTuple):
    """A decoded region: ``image`` is (H, W, C) uint8, rows ``top:top+H`` and columns
    ``left:left+W`` of the image scaled by ``scale_num / 8`` to ``scaled_size``."""

    image: torch.Tensor
    size: tuple[int, int]          # (height, width) in the file
    scaled_size: tuple[int, int]   # (height, width) of the whole image at the decoded scale
    top: int
    left: int


class Failure(NamedTuple):
    status: int
    size: tuple[int, int]  # from the header, (0, 0) when it could not be read
    message: str


_buffer_warning_seen = False


def data_tensor(data: bytes | torch.Tensor) -> torch.Tensor:
    """A 1-D uint8 CPU tensor over ``data``: no copy for ``bytes`` or a contiguous CPU tensor.

    ``torch.frombuffer`` warns, once per process, that ``bytes`` are read-only; the ops only
    read, so that one warning is silenced here instead of being shown to every user.
    """
    global _buffer_warning_seen
    if isinstance(data, torch.Tensor):
        return data.detach().to("cpu").contiguous()
    if not data:
        return torch.empty(0, dtype=torch.uint8)
    if _buffer_warning_seen:
        return torch.frombuffer(data, dtype=torch.uint8)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given buffer is not writable")
        tensor = torch.frombuffer(data, dtype=torch.uint8)
    _buffer_warning_seen = True
    return tensor


def scale_for(extent: tuple[int, int], wanted: tuple[int, int] | None) -> int:
    """The numerator of the smallest DCT scale num / 8 that keeps ``extent`` (height, width) at
    least ``wanted``: ``extent * num >= wanted * 8``; 8 (full size) when ``wanted`` is None.

    num is 1, 2, 4 or 8, Pillow's ``draft`` choices. libjpeg-turbo also has 3/8, 5/8, 6/8, 7/8
    (plain C IDCTs): measured in the training pipeline they gained nothing (img*.jpg 748 vs 765
    img/s, large*.jpg 154 vs 147, one thread) and would move the pixels further from Pillow's.
    """
    if wanted is None:
        return 8
    for num in (1, 2, 4):
        if extent[0] * num >= wanted[0] * 8 and extent[1] * num >= wanted[1] * 8:
            return num
    return 8


def decode(data: torch.Tensor, mode: str, *, crop: list[int] | None = None, scale_num: int = 8,
           max_pixels: int | None = None) -> Decoded | Failure:
    """Decode ``data`` (from :func:`data_tensor`); ``mode`` is "RGB", "GRAY" or "UNCHANGED".

    ``crop`` = [top, left, height, width] inside the file's image (the caller checks it against
    the header's size): only the rows and iMCU columns it touches are decoded, with a margin.
    """
    if data.numel() == 0:
        return Failure(CORRUPT, (0, 0), "empty data")
    image, info, message = torch.ops.triptych.decode_jpeg(
        data, mode, list(crop) if crop is not None else [], int(scale_num),
        -1 if max_pixels is None else int(max_pixels))
    status, height, width, scaled_h, scaled_w, top, left = info
    if status != OK:
        return Failure(status, (height, width), message)
    return Decoded(image, (height, width), (scaled_h, scaled_w), top, left)


def header(data: torch.Tensor) -> tuple[int, int, int] | Failure:
    """(height, width, components) from the file's header, or a Failure."""
    if data.numel() == 0:
        return Failure(CORRUPT, (0, 0), "empty data")
    (status, height, width, components, _color_space), message = torch.ops.triptych.jpeg_header(data)
    if status != OK:
        return Failure(status, (0, 0), message)
    return height, width, components
