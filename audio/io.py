"""Audio files <-> tensors through soundfile (libsndfile): no FFmpeg, no system libraries.

Same names and meanings as torchaudio's I/O (``torchaudio.load`` / ``save`` / ``info``):

* :func:`load` returns ``(waveform, sample_rate)`` with ``waveform`` of shape
  ``(channels, frames)`` (``(frames, channels)`` with ``channels_first=False``).
* :func:`save` writes a ``(channels, frames)`` tensor; the format comes from the file name or
  ``format=``; ``encoding`` / ``bits_per_sample`` pick the sample format as in torchaudio.
* :func:`info` reads only the header: an :class:`AudioMetaData`.
* :func:`stream` yields blocks of a long file without reading it all.

Sources are paths, binary file objects, or ``bytes``. WAV, FLAC, OGG/Vorbis, OGG/Opus, MP3
and AIFF are read (and written, where libsndfile can: MP3 writing needs libsndfile >= 1.1),
plus every other format :func:`supported_formats` lists.

**Errors.** A missing file raises ``FileNotFoundError``. A file that is corrupt, truncated or in
a format soundfile cannot read raises :class:`AudioDecodeError`, whose message names the file (or
``<bytes>``) and the formats soundfile reads here. A file declaring more samples than it holds
is truncated: it is an error, never a silently shorter waveform. Writers never leave a
half-written file (they encode in memory, then write through a temporary file and rename).

Example:
    >>> import io, torch
    >>> from triptych.audio import io as aio
    >>> tone = torch.sin(torch.arange(8000) * 0.1).mul(0.5).unsqueeze(0)
    >>> buffer = io.BytesIO()
    >>> aio.save(buffer, tone, 8000, format="flac")
    >>> waveform, sample_rate = aio.load(buffer.getvalue())
    >>> waveform.shape, sample_rate
    (torch.Size([1, 8000]), 8000)
    >>> aio.info(buffer.getvalue())
    AudioMetaData(sample_rate=8000, num_frames=8000, num_channels=1, bits_per_sample=16, encoding='FLAC')
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from triptych._deps import require
from triptych.paths import write_atomic

sf = require("soundfile", "audio")

__all__ = ["AudioDecodeError", "AudioMetaData", "info", "load", "save", "stream", "supported_formats"]


class AudioDecodeError(ValueError):
    """Audio could not be decoded: unknown format, truncated or corrupt data.

    ``source`` is the file name, or ``"<bytes>"`` / ``"<file object>"`` for in-memory data.
    """

    def __init__(self, source: str, reason: str):
        super().__init__(
            f"cannot decode audio {source}: {reason}. soundfile (libsndfile "
            f"{sf.__libsndfile_version__}) reads here: {', '.join(supported_formats())}"
        )
        self.source = source
        self.reason = reason


@dataclass
class AudioMetaData:
    """What :func:`info` reads from a file's header (torchaudio's ``AudioMetaData``).

    Attributes:
        sample_rate: frames per second.
        num_frames: frames per channel.
        num_channels: channels.
        bits_per_sample: bits of one sample, 0 for compressed formats without a fixed size.
        encoding: ``"PCM_S"``, ``"PCM_U"``, ``"PCM_F"``, ``"ULAW"``, ``"ALAW"``, ``"FLAC"``,
            ``"VORBIS"``, ``"OPUS"``, ``"MP3"`` or ``"UNKNOWN"``.
    """

    sample_rate: int
    num_frames: int
    num_channels: int
    bits_per_sample: int
    encoding: str


def supported_formats() -> list[str]:
    """The container formats soundfile handles on this machine (``"WAV"``, ``"FLAC"``, ...)."""
    return sorted(sf.available_formats())


# subtype -> (encoding, bits_per_sample), following torchaudio's soundfile backend.
_SUBTYPES = {
    "PCM_S8": ("PCM_S", 8), "PCM_16": ("PCM_S", 16), "PCM_24": ("PCM_S", 24),
    "PCM_32": ("PCM_S", 32), "PCM_U8": ("PCM_U", 8), "FLOAT": ("PCM_F", 32),
    "DOUBLE": ("PCM_F", 64), "ULAW": ("ULAW", 8), "ALAW": ("ALAW", 8),
    "VORBIS": ("VORBIS", 0), "OPUS": ("OPUS", 0), "MPEG_LAYER_I": ("MP3", 0),
    "MPEG_LAYER_II": ("MP3", 0), "MPEG_LAYER_III": ("MP3", 0),
}
# Integer PCM WAV subtypes that load(normalize=False) returns as integers.
_NATIVE_DTYPES = {"PCM_16": torch.int16, "PCM_24": torch.int32, "PCM_32": torch.int32,
                  "PCM_U8": torch.uint8, "FLOAT": torch.float32, "DOUBLE": torch.float64}
_MP3_FRAME_SLACK = 2 * 1152  # two MPEG-1 Layer III frames
_WAV_DATA_SIZE = re.compile(r"^data\s*:\s*(\d+)\s*\(should be (\d+)\)", re.MULTILINE)


# ---------------------------------------------------------------------------------- reading


def _source(uri) -> tuple[object, str]:
    """What soundfile opens for ``uri``, and the name errors use."""
    if isinstance(uri, (str, os.PathLike)):
        path = os.fspath(uri)
        if not os.path.exists(path):
            raise FileNotFoundError(f"no such audio file: {path!r}")
        if os.path.isdir(path):
            raise IsADirectoryError(f"expected an audio file, got the folder {path!r}")
        return path, repr(path)
    if isinstance(uri, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(uri)), "<bytes>"
    if hasattr(uri, "read"):
        name = getattr(uri, "name", None)
        label = repr(name) if isinstance(name, str) else "<file object>"
        seekable = getattr(uri, "seekable", None)
        if seekable is None or not seekable():
            return io.BytesIO(uri.read()), label  # libsndfile needs to seek
        return uri, label
    raise TypeError(
        f"uri must be a path, a binary file object or bytes, got {type(uri).__name__}"
    )


def _open(uri) -> tuple[sf.SoundFile, str]:
    source, label = _source(uri)
    try:
        file = sf.SoundFile(source)
    except sf.LibsndfileError as exc:
        raise AudioDecodeError(label, exc.error_string) from None
    except (RuntimeError, TypeError, ValueError) as exc:
        raise AudioDecodeError(label, str(exc)) from None
    if file.format in ("WAV", "WAVEX", "RF64"):
        # libsndfile shortens a truncated WAV to the bytes present and only says so in its log.
        for declared, present in _WAV_DATA_SIZE.findall(file.extra_info):
            declared, present = int(declared), int(present)
            if 0 < declared < 0xFFFFFFF0 and present < declared:
                file.close()
                raise AudioDecodeError(
                    label, f"truncated: the header declares {declared} data bytes, {present} are present"
                )
    return file, label


def _metadata(file: sf.SoundFile) -> AudioMetaData:
    encoding, bits = _SUBTYPES.get(file.subtype, ("UNKNOWN", 0))
    if file.format == "FLAC":
        encoding = "FLAC"
    return AudioMetaData(file.samplerate, file.frames, file.channels, bits, encoding)


def info(uri) -> AudioMetaData:
    """Read the header of an audio file.

    Args:
        uri: a path, a binary file object or ``bytes``.

    Returns:
        :class:`AudioMetaData` (sample rate, frames, channels, bits per sample, encoding).
    """
    file, _ = _open(uri)
    with file:
        return _metadata(file)


def _check_read_args(frame_offset, num_frames, normalize, dtype) -> None:
    if isinstance(frame_offset, bool) or not isinstance(frame_offset, int) or frame_offset < 0:
        raise ValueError(f"frame_offset must be an int >= 0, got {frame_offset!r}")
    if isinstance(num_frames, bool) or not isinstance(num_frames, int) or num_frames < -1:
        raise ValueError(f"num_frames must be -1 (all) or an int >= 0, got {num_frames!r}")
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise ValueError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")


def _read_plan(file: sf.SoundFile, normalize: bool, dtype: torch.dtype) -> tuple[str, torch.dtype]:
    """(numpy dtype soundfile reads, torch dtype returned)."""
    if not normalize and file.format == "WAV" and file.subtype in _NATIVE_DTYPES:
        native = _NATIVE_DTYPES[file.subtype]
        # soundfile has no uint8 reads: 8-bit unsigned samples come back as int16 (value << 8).
        return ("int16" if native == torch.uint8 else str(native).removeprefix("torch.")), native
    return ("float64" if dtype == torch.float64 else "float32"), dtype


def _to_tensor(array: np.ndarray, dtype: torch.dtype, channels_first: bool) -> torch.Tensor:
    tensor = torch.from_numpy(array)
    if dtype == torch.uint8:
        tensor = tensor.div(256, rounding_mode="floor").add(128).to(torch.uint8)
    elif tensor.dtype != dtype:
        tensor = tensor.to(dtype)
    return tensor.t().contiguous() if channels_first else tensor


def _frames_left(file: sf.SoundFile, frame_offset: int, num_frames: int) -> int:
    left = max(file.frames - frame_offset, 0)
    return left if num_frames == -1 else min(num_frames, left)


def _seek(file: sf.SoundFile, frame_offset: int, label: str) -> None:
    if 0 < frame_offset < file.frames:
        try:
            file.seek(frame_offset)
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise AudioDecodeError(label, f"cannot seek to frame {frame_offset}: {exc}") from None


def _read(file: sf.SoundFile, label: str, frames: int, np_dtype: str, remaining: int) -> np.ndarray:
    """Read ``frames`` frames of the ``remaining`` ones the caller expects from here on."""
    try:
        array = file.read(frames, dtype=np_dtype, always_2d=True)
    except sf.LibsndfileError as exc:
        raise AudioDecodeError(label, exc.error_string) from None
    # An MP3 header's frame count is an estimate unless the encoder wrote a Xing/LAME header.
    slack = _MP3_FRAME_SLACK if file.format == "MP3" else 0
    if len(array) < frames and remaining - len(array) > slack:
        raise AudioDecodeError(
            label, f"truncated: {remaining} more frames expected from frame "
            f"{file.tell() - len(array)}, {len(array)} decoded"
        )
    return array


def load(
    uri,
    *,
    frame_offset: int = 0,
    num_frames: int = -1,
    normalize: bool = True,
    channels_first: bool = True,
    dtype: torch.dtype = torch.float32,
) -> tuple[torch.Tensor, int]:
    """Decode an audio file into a tensor.

    Args:
        uri: a path, a binary file object or ``bytes``.
        frame_offset: frames to skip at the start.
        num_frames: frames to read (-1: up to the end). Fewer come back only when the file ends
            first; an offset past the end gives zero frames. (An MP3 without a Xing/LAME
            header only estimates its length; up to two MPEG frames, 2304 samples, fewer than
            :func:`info` says may come back. More missing is a truncated file.)
        normalize: True: samples as floats in ``[-1, 1]``. False: integer PCM WAV files give
            their native integers (``int16``, ``int32`` — 24-bit samples scaled to the
            ``int32`` range — or ``uint8``) and float WAVs their float type, as in torchaudio;
            other files are floats either way.
        channels_first: shape ``(channels, frames)`` if True, else ``(frames, channels)``.
        dtype: the floating dtype of normalized samples.

    Returns:
        ``(waveform, sample_rate)``; ``waveform`` is contiguous.

    Example:
        >>> import io, torch
        >>> from triptych.audio.io import load, save
        >>> buffer = io.BytesIO()
        >>> save(buffer, torch.tensor([[0.0, 0.5, -0.5, 1.0]]), 16000, format="wav",
        ...      encoding="PCM_S", bits_per_sample=16)
        >>> load(buffer.getvalue(), normalize=False)
        (tensor([[     0,  16384, -16384,  32767]], dtype=torch.int16), 16000)
    """
    _check_read_args(frame_offset, num_frames, normalize, dtype)
    file, label = _open(uri)
    with file:
        np_dtype, out_dtype = _read_plan(file, normalize, dtype)
        frames = _frames_left(file, frame_offset, num_frames)
        _seek(file, frame_offset, label)
        array = _read(file, label, frames, np_dtype, frames) if frames else np.zeros((0, file.channels), np_dtype)
        return _to_tensor(array, out_dtype, channels_first), file.samplerate


def stream(
    uri,
    frames_per_block: int,
    *,
    overlap: int = 0,
    frame_offset: int = 0,
    num_frames: int = -1,
    normalize: bool = True,
    channels_first: bool = True,
    dtype: torch.dtype = torch.float32,
) -> Iterator[torch.Tensor]:
    """Yield a long file block by block, holding only one block in memory.

    Every block has ``frames_per_block`` frames except the last, which holds what is left.
    Consecutive blocks share ``overlap`` frames. The other arguments mean what they mean in
    :func:`load`; the sample rate is ``info(uri).sample_rate``.

    Yields:
        ``(channels, frames)`` tensors (``(frames, channels)`` with ``channels_first=False``).

    Example:
        >>> import io, torch
        >>> from triptych.audio.io import save, stream
        >>> buffer = io.BytesIO()
        >>> save(buffer, torch.zeros(2, 10), 8000, format="wav")
        >>> [block.shape[-1] for block in stream(buffer.getvalue(), 4)]
        [4, 4, 2]
    """
    _check_read_args(frame_offset, num_frames, normalize, dtype)
    if isinstance(frames_per_block, bool) or not isinstance(frames_per_block, int) or frames_per_block < 1:
        raise ValueError(f"frames_per_block must be an int >= 1, got {frames_per_block!r}")
    if isinstance(overlap, bool) or not isinstance(overlap, int) or not 0 <= overlap < frames_per_block:
        raise ValueError(f"overlap must be an int in [0, frames_per_block), got {overlap!r}")
    file, label = _open(uri)
    with file:
        np_dtype, out_dtype = _read_plan(file, normalize, dtype)
        remaining = _frames_left(file, frame_offset, num_frames)
        _seek(file, frame_offset, label)
        carry = np.zeros((0, file.channels), np_dtype)
        while remaining > 0:
            fresh = _read(file, label, min(frames_per_block - len(carry), remaining), np_dtype, remaining)
            if len(fresh) == 0:  # an MP3 shorter than its estimated length
                return
            remaining -= len(fresh)
            block = np.concatenate([carry, fresh]) if len(carry) else fresh
            yield _to_tensor(block, out_dtype, channels_first)
            carry = block[len(block) - overlap:] if overlap else carry


# ---------------------------------------------------------------------------------- writing

# format name (lower case, as in a file extension) -> (libsndfile format, fixed subtype or None)
_FORMATS = {
    "wav": ("WAV", None), "flac": ("FLAC", None), "ogg": ("OGG", "VORBIS"),
    "vorbis": ("OGG", "VORBIS"), "opus": ("OGG", "OPUS"), "mp3": ("MP3", "MPEG_LAYER_III"),
    "aiff": ("AIFF", None), "aif": ("AIFF", None), "aifc": ("AIFF", None),
}
_DEFAULT_SUBTYPE = {torch.uint8: "PCM_U8", torch.int16: "PCM_16", torch.int32: "PCM_32",
                    torch.float32: "FLOAT", torch.float64: "DOUBLE"}


def _pcm_subtype(container: str, dtype: torch.dtype, encoding, bits) -> str:
    """torchaudio's rules for WAV (and AIFF, which also has 8-bit signed samples)."""
    name = container.lower()
    if encoding is None:
        if bits is None:
            if dtype not in _DEFAULT_SUBTYPE:
                raise ValueError(f"{name} cannot store {dtype} samples without an encoding")
            return _DEFAULT_SUBTYPE[dtype]
        if bits == 8:
            return "PCM_U8"
        if bits not in (16, 24, 32):
            raise ValueError(f"bits_per_sample must be 8, 16, 24 or 32 for {name}, got {bits}")
        return f"PCM_{bits}"
    if encoding == "PCM_S":
        if bits is None:
            return "PCM_32"
        if bits == 8 and container == "AIFF":
            return "PCM_S8"
        if bits not in (16, 24, 32):
            raise ValueError(f"{name} stores PCM_S samples in 16, 24 or 32 bits, got {bits}")
        return f"PCM_{bits}"
    if encoding == "PCM_U":
        if bits not in (None, 8):
            raise ValueError(f"{name} stores PCM_U samples only in 8 bits, got {bits}")
        return "PCM_U8"
    if encoding == "PCM_F":
        if bits not in (None, 32, 64):
            raise ValueError(f"{name} stores PCM_F samples in 32 or 64 bits, got {bits}")
        return "DOUBLE" if bits == 64 else "FLOAT"
    if encoding in ("ULAW", "ALAW"):
        if bits not in (None, 8):
            raise ValueError(f"{name} stores {encoding} samples only in 8 bits, got {bits}")
        return encoding
    raise ValueError(
        f"encoding must be one of PCM_S, PCM_U, PCM_F, ULAW, ALAW for {name}, got {encoding!r}"
    )


def _subtype(fmt: str, dtype: torch.dtype, encoding, bits) -> tuple[str, str]:
    container, fixed = _FORMATS[fmt]
    if fixed is not None:
        expected = _SUBTYPES[fixed][0]
        if encoding not in (None, expected) or bits is not None:
            raise ValueError(
                f"{fmt} has one encoding ({expected}) and no bits_per_sample; got "
                f"encoding={encoding!r}, bits_per_sample={bits!r}"
            )
        return container, fixed
    if container == "FLAC":
        if encoding not in (None, "FLAC"):
            raise ValueError(f"flac takes no encoding (it is FLAC), got {encoding!r}")
        if bits is None:
            return container, "PCM_16"
        if bits not in (8, 16, 24):
            raise ValueError(f"flac stores 8, 16 or 24 bits per sample, got {bits}")
        return container, "PCM_S8" if bits == 8 else f"PCM_{bits}"
    return container, _pcm_subtype(container, dtype, encoding, bits)


def _format_of(uri, format) -> str:
    if format is None:
        name = os.fspath(uri) if isinstance(uri, (str, os.PathLike)) else getattr(uri, "name", None)
        if not isinstance(name, str) or not os.path.splitext(name)[1]:
            raise ValueError("format= is needed: the destination has no file extension to infer it from")
        format = os.path.splitext(name)[1][1:]
    if not isinstance(format, str) or format.lower() not in _FORMATS:
        raise ValueError(f"format must be one of {', '.join(sorted(_FORMATS))}, got {format!r}")
    return format.lower()


def _samples(src: torch.Tensor, channels_first: bool) -> np.ndarray:
    """The ``(frames, channels)`` array soundfile writes (it clips floats for integer formats)."""
    data = src.detach().cpu()
    if data.dtype in (torch.float16, torch.bfloat16):
        data = data.float()
    if data.dtype == torch.uint8:
        # soundfile has no uint8 writes: hand it int16 (value - 128) << 8, exact for PCM_U8.
        data = data.to(torch.int16).sub(128).mul(256)
    data = data if not channels_first else data.t()
    return np.ascontiguousarray(data.numpy())


def save(
    uri,
    src: torch.Tensor,
    sample_rate: int,
    *,
    channels_first: bool = True,
    format: str | None = None,
    encoding: str | None = None,
    bits_per_sample: int | None = None,
) -> None:
    """Encode a waveform into an audio file.

    Args:
        uri: a path or a writable binary file object.
        src: ``(channels, frames)`` (``(frames, channels)`` with ``channels_first=False``);
            float (values in ``[-1, 1]``; integer formats clip values outside), ``int16``,
            ``int32`` or ``uint8``.
        sample_rate: frames per second.
        format: ``"wav"``, ``"flac"``, ``"ogg"`` / ``"vorbis"``, ``"opus"``, ``"mp3"``,
            ``"aiff"``; default: the file's extension.
        encoding: WAV/AIFF only: ``"PCM_S"``, ``"PCM_U"``, ``"PCM_F"``, ``"ULAW"``, ``"ALAW"``.
        bits_per_sample: WAV/AIFF/FLAC: 8, 16, 24, 32 (or 64 for PCM_F).
            Defaults as in torchaudio: WAV and AIFF follow ``src.dtype`` (float32 -> 32-bit float,
            int16 -> 16-bit PCM, ...); FLAC is 16-bit; ``encoding="PCM_S"`` alone is 32-bit.

    Example:
        >>> import io, torch
        >>> from triptych.audio.io import info, save
        >>> buffer = io.BytesIO()
        >>> save(buffer, torch.zeros(2, 100), 44100, format="wav", bits_per_sample=24)
        >>> info(buffer.getvalue()).bits_per_sample
        24
    """
    if not isinstance(src, torch.Tensor):
        raise TypeError(f"src must be a torch.Tensor, got {type(src).__name__}")
    if src.ndim != 2:
        raise ValueError(f"src must be 2-D (channels, frames), got shape {tuple(src.shape)}")
    if not (src.is_floating_point() or src.dtype in (torch.int16, torch.int32, torch.uint8)):
        raise ValueError(f"src must be float, int16, int32 or uint8, got {src.dtype}")
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or sample_rate <= 0:
        raise ValueError(f"sample_rate must be a positive int, got {sample_rate!r}")
    if bits_per_sample is not None and (isinstance(bits_per_sample, bool) or not isinstance(bits_per_sample, int)):
        raise ValueError(f"bits_per_sample must be an int or None, got {bits_per_sample!r}")
    is_path = isinstance(uri, (str, os.PathLike))
    if not is_path and not hasattr(uri, "write"):
        raise TypeError(f"uri must be a path or a writable binary file object, got {type(uri).__name__}")
    fmt = _format_of(uri, format)
    container, subtype = _subtype(fmt, src.dtype, encoding, bits_per_sample)
    label = repr(os.fspath(uri)) if is_path else "<file object>"
    buffer = io.BytesIO()
    try:
        sf.write(buffer, _samples(src, channels_first), sample_rate, subtype=subtype, format=container)
    except (sf.LibsndfileError, RuntimeError, ValueError, TypeError) as exc:
        reason = getattr(exc, "error_string", None) or str(exc)
        raise ValueError(f"cannot encode {label} as {fmt} ({subtype}): {reason}") from None
    if is_path:
        write_atomic(uri, buffer.getbuffer())
    else:
        uri.write(buffer.getbuffer())
