"""triptych.audio.io: round trips for every writable format, sources, slicing, streaming, errors.

Signals are drawn fresh each run; expected values come from the sample format's definition
(an int16 sample s reads back as s / 32768, ...), not from the decoder under test.
"""

from __future__ import annotations

import importlib
import io
import math
import sys
from pathlib import Path

import pytest
import torch

sf = pytest.importorskip("soundfile")

from triptych.audio import io as aio  # noqa: E402
from triptych.audio.io import AudioDecodeError, AudioMetaData, info, load, save, stream  # noqa: E402

SHARED_AUDIO = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "audio"


def random_ints(dtype, channels=2, frames=1000):
    info_ = torch.iinfo(dtype)
    return torch.randint(info_.min, info_.max + 1, (channels, frames), dtype=torch.int64).to(dtype)


def random_floats(channels=2, frames=1000, dtype=torch.float32):
    return torch.rand(channels, frames, dtype=dtype) * 2 - 1


def encode(tensor, sample_rate=16000, **kwargs) -> bytes:
    buffer = io.BytesIO()
    save(buffer, tensor, sample_rate, **kwargs)
    return buffer.getvalue()


# ------------------------------------------------------------------------- lossless round trips

@pytest.mark.parametrize("fmt", ["wav", "aiff"])
@pytest.mark.parametrize(("dtype", "scale", "bits", "encoding"), [
    (torch.int16, 32768, 16, "PCM_S"),
    (torch.int32, 2**31, 32, "PCM_S"),
])
def test_integer_samples_round_trip_exactly(fmt, dtype, scale, bits, encoding):
    samples = random_ints(dtype)
    data = encode(samples, format=fmt)
    assert info(data) == AudioMetaData(16000, 1000, 2, bits, encoding)
    floats, rate = load(data)
    assert rate == 16000
    torch.testing.assert_close(floats, samples.double().div(scale).float(), rtol=0, atol=0)
    if fmt == "wav":  # normalize=False gives WAV's native integers (torchaudio's rule)
        native, _ = load(data, normalize=False)
        assert native.dtype == dtype
        assert torch.equal(native, samples)


def test_uint8_wav_round_trips_exactly():
    samples = torch.randint(0, 256, (3, 500), dtype=torch.uint8)
    data = encode(samples, format="wav")
    assert info(data) == AudioMetaData(16000, 500, 3, 8, "PCM_U")
    native, _ = load(data, normalize=False)
    assert native.dtype == torch.uint8 and torch.equal(native, samples)
    floats, _ = load(data)
    torch.testing.assert_close(floats, (samples.float() - 128) / 128, rtol=0, atol=0)


@pytest.mark.parametrize("fmt", ["wav", "aiff"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_float_samples_round_trip_exactly(fmt, dtype):
    samples = random_floats(dtype=dtype)
    data = encode(samples, format=fmt)
    meta = info(data)
    assert (meta.encoding, meta.bits_per_sample) == ("PCM_F", 32 if dtype == torch.float32 else 64)
    loaded, _ = load(data, dtype=dtype)
    assert loaded.dtype == dtype and torch.equal(loaded, samples)
    if fmt == "wav":
        native, _ = load(data, normalize=False)
        assert native.dtype == dtype and torch.equal(native, samples)


@pytest.mark.parametrize(("fmt", "bits", "step"), [
    ("wav", 16, 2**-15), ("wav", 24, 2**-23), ("aiff", 24, 2**-23), ("aiff", 8, 2**-7),
    ("flac", 16, 2**-15), ("flac", 24, 2**-23), ("flac", 8, 2**-7),
])
def test_floats_into_integer_formats_are_quantized(fmt, bits, step):
    samples = random_floats(channels=1, frames=4000)
    data = encode(samples, format=fmt, bits_per_sample=bits, encoding=None if fmt == "flac" else "PCM_S")
    meta = info(data)
    assert meta.bits_per_sample == bits
    assert meta.encoding == ("FLAC" if fmt == "flac" else "PCM_S")
    loaded, _ = load(data)
    error = (loaded - samples).abs().max().item()
    assert error <= step  # one quantization step, never more
    assert error > 0 or bits == 24  # quantization really happened


def test_24_bit_wav_reads_natively_as_int32_scaled_to_full_range():
    samples = random_floats(channels=1, frames=100)
    data = encode(samples, format="wav", bits_per_sample=24)
    native, _ = load(data, normalize=False)
    assert native.dtype == torch.int32
    assert torch.all(native % 256 == 0)  # 24 significant bits in the top of an int32
    torch.testing.assert_close(native.double() / 2**31, load(data)[0].double(), rtol=0, atol=0)


@pytest.mark.parametrize("encoding", ["ULAW", "ALAW"])
def test_companded_wav(encoding):
    samples = random_floats(channels=1, frames=2000) * 0.9
    data = encode(samples, format="wav", encoding=encoding)
    assert info(data) == AudioMetaData(16000, 2000, 1, 8, encoding)
    loaded, _ = load(data)
    # 8-bit companding: relative error about 1/32, absolute error near zero about 1/256
    assert torch.all((loaded - samples).abs() <= samples.abs() / 16 + 2**-8)


def test_out_of_range_floats_clip_instead_of_wrapping():
    data = encode(torch.tensor([[1.5, -3.0, 0.25]]), format="wav", bits_per_sample=16)
    loaded, _ = load(data, normalize=False)
    assert loaded.tolist() == [[32767, -32768, 8192]]


# ------------------------------------------------------------------------- lossy formats

def tone(sample_rate, seconds=1.0, channels=2, frequency=440.0):
    t = torch.arange(int(sample_rate * seconds)) / sample_rate
    phases = torch.rand(channels, 1) * 2 * math.pi
    return 0.5 * torch.sin(2 * math.pi * frequency * t + phases)


@pytest.mark.parametrize(("fmt", "encoding"), [("ogg", "VORBIS"), ("vorbis", "VORBIS"),
                                               ("opus", "OPUS"), ("mp3", "MP3")])
def test_lossy_formats_round_trip_a_tone(fmt, encoding):
    if fmt == "mp3" and "MP3" not in sf.available_formats():
        pytest.skip("this libsndfile has no MP3")
    signal = tone(48000)
    data = encode(signal, 48000, format=fmt)
    assert info(data) == AudioMetaData(48000, 48000, 2, 0, encoding)
    loaded, rate = load(data)
    assert rate == 48000 and loaded.shape == signal.shape
    relative_error = (loaded - signal).pow(2).mean().sqrt() / signal.pow(2).mean().sqrt()
    assert relative_error < 0.1


def test_lossy_formats_reject_encoding_and_bits():
    with pytest.raises(ValueError, match="bits_per_sample"):
        encode(tone(48000), 48000, format="ogg", bits_per_sample=16)
    with pytest.raises(ValueError, match="encoding"):
        encode(tone(48000), 48000, format="opus", encoding="PCM_S")


# ------------------------------------------------------------------------- sources and layout

def test_paths_file_objects_and_bytes_agree(tmp_path):
    samples = random_ints(torch.int16, channels=2, frames=777)
    path = tmp_path / "x.flac"
    save(path, samples, 22050)
    expected, rate = load(path)
    assert rate == 22050
    assert torch.equal(load(str(path))[0], expected)
    assert torch.equal(load(path.read_bytes())[0], expected)
    assert torch.equal(load(bytearray(path.read_bytes()))[0], expected)
    with open(path, "rb") as file:
        assert torch.equal(load(file)[0], expected)

    class Unseekable(io.RawIOBase):  # e.g. a pipe or an HTTP response
        def __init__(self, data):
            self._inner = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            return self._inner.readinto(b)

    assert torch.equal(load(Unseekable(path.read_bytes()))[0], expected)
    assert torch.equal(expected, samples.float() / 32768)


def test_save_infers_format_from_the_extension(tmp_path):
    for suffix, encoding in [(".wav", "PCM_F"), (".flac", "FLAC"), (".aif", "PCM_F"), (".ogg", "VORBIS")]:
        path = tmp_path / f"x{suffix}"
        save(path, tone(16000, 0.1), 16000)
        assert info(path).encoding == encoding


def test_channels_last_layout():
    samples = random_ints(torch.int16, channels=3, frames=50)
    data = encode(samples.t(), format="wav", channels_first=False)
    loaded, _ = load(data, channels_first=False)
    assert loaded.shape == (50, 3)
    assert torch.equal(loaded, samples.t().float() / 32768)
    assert load(data)[0].is_contiguous()


def test_frame_offset_and_num_frames_slice_the_file():
    samples = random_ints(torch.int16, channels=2, frames=1000)
    data = encode(samples, format="flac")
    full, _ = load(data)
    offset, count = int(torch.randint(0, 1000, ())), int(torch.randint(0, 1000, ()))
    part, _ = load(data, frame_offset=offset, num_frames=count)
    assert torch.equal(part, full[:, offset:offset + count])
    assert load(data, frame_offset=5000)[0].shape == (2, 0)
    assert load(data, num_frames=0)[0].shape == (2, 0)


def test_low_precision_dtypes():
    samples = random_ints(torch.int16, channels=1, frames=64)
    data = encode(samples, format="wav")
    loaded, _ = load(data, dtype=torch.bfloat16)
    assert loaded.dtype == torch.bfloat16
    torch.testing.assert_close(loaded.float(), samples.float() / 32768, rtol=1e-2, atol=0)


# ------------------------------------------------------------------------- streaming

@pytest.mark.parametrize("overlap", [0, 3])
def test_stream_blocks_cover_the_file(overlap):
    samples = random_ints(torch.int16, channels=2, frames=1003)
    data = encode(samples, format="wav")
    full, _ = load(data, frame_offset=10, num_frames=900)
    blocks = list(stream(data, 64, overlap=overlap, frame_offset=10, num_frames=900))
    assert all(b.shape[1] == 64 for b in blocks[:-1]) and 0 < blocks[-1].shape[1] <= 64
    stitched = torch.cat([blocks[0]] + [b[:, overlap:] for b in blocks[1:]], dim=1)
    assert torch.equal(stitched, full)
    for previous, block in zip(blocks, blocks[1:]):
        if overlap:
            assert torch.equal(previous[:, -overlap:], block[:, :overlap])


def test_stream_checks_arguments():
    data = encode(torch.zeros(1, 10), format="wav")
    with pytest.raises(ValueError, match="frames_per_block"):
        next(stream(data, 0))
    with pytest.raises(ValueError, match="overlap"):
        next(stream(data, 4, overlap=4))


# ------------------------------------------------------------------------- the shared files

@pytest.mark.parametrize("name", ["speech16k.wav", "speech44k_stereo.flac", "speech48k.ogg", "speech22k.mp3"])
def test_shared_recordings_load(name):
    path = SHARED_AUDIO / name
    if not path.exists():
        pytest.skip(f"{path} is not on this machine")
    meta = info(path)
    waveform, rate = load(path)
    assert rate == meta.sample_rate and waveform.shape[0] == meta.num_channels
    slack = 2304 if name.endswith(".mp3") else 0  # an MP3's length may be an estimate
    assert meta.num_frames - slack <= waveform.shape[1] <= meta.num_frames
    assert waveform.abs().max() <= 1.0 and waveform.abs().max() > 0.01


# ------------------------------------------------------------------------- errors

def test_missing_file():
    with pytest.raises(FileNotFoundError, match="nope.wav"):
        load("/no/such/folder/nope.wav")


def test_garbage_names_the_source_and_the_supported_formats(tmp_path):
    path = tmp_path / "noise.wav"
    path.write_bytes(bytes(torch.randint(0, 256, (4000,), dtype=torch.uint8).tolist()))
    with pytest.raises(AudioDecodeError, match="noise.wav") as caught:
        load(path)
    assert "FLAC" in str(caught.value) and "WAV" in str(caught.value)
    with pytest.raises(AudioDecodeError, match="<bytes>"):
        info(b"RIFF\x00\x00")


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "mp3"])
def test_truncated_files_raise(tmp_path, fmt):
    if fmt == "mp3" and "MP3" not in sf.available_formats():
        pytest.skip("this libsndfile has no MP3")
    data = encode(tone(16000, 1.0, channels=1), 16000, format=fmt)
    path = tmp_path / f"cut.{fmt}"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(AudioDecodeError, match=f"cut.{fmt}"):
        load(path)
    with pytest.raises(AudioDecodeError, match=f"cut.{fmt}"):
        list(stream(path, 1000))


def test_bad_load_arguments():
    data = encode(torch.zeros(1, 10), format="wav")
    with pytest.raises(ValueError, match="frame_offset"):
        load(data, frame_offset=-1)
    with pytest.raises(ValueError, match="num_frames"):
        load(data, num_frames=-2)
    with pytest.raises(ValueError, match="dtype"):
        load(data, dtype=torch.int16)
    with pytest.raises(TypeError, match="uri"):
        load(12345)


def test_bad_save_arguments(tmp_path):
    x = torch.zeros(1, 10)
    with pytest.raises(ValueError, match="2-D"):
        save(tmp_path / "a.wav", torch.zeros(10), 16000)
    with pytest.raises(ValueError, match="sample_rate"):
        save(tmp_path / "a.wav", x, 0)
    with pytest.raises(ValueError, match="format"):
        save(tmp_path / "a.xyz", x, 16000)
    with pytest.raises(ValueError, match="format= is needed"):
        save(io.BytesIO(), x, 16000)
    with pytest.raises(ValueError, match="encoding"):
        save(tmp_path / "a.wav", x, 16000, encoding="MP3")
    with pytest.raises(ValueError, match="PCM_U"):
        save(tmp_path / "a.wav", x, 16000, encoding="PCM_U", bits_per_sample=16)
    with pytest.raises(ValueError, match="flac"):
        save(tmp_path / "a.flac", x, 16000, bits_per_sample=32)
    with pytest.raises(ValueError, match="int64"):
        save(tmp_path / "a.wav", torch.zeros(1, 10, dtype=torch.int64), 16000)
    assert list(tmp_path.iterdir()) == []


def test_an_encoder_error_leaves_no_file(tmp_path):
    path = tmp_path / "a.opus"
    with pytest.raises(ValueError, match="a.opus.*8000, 12000, 16000, 24000"):
        save(path, tone(44100, 0.1), 44100)  # Opus has no 44.1 kHz
    assert list(tmp_path.iterdir()) == []


def test_missing_soundfile_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "soundfile", None)
    monkeypatch.delitem(sys.modules, "triptych.audio.io")
    with pytest.raises(ImportError, match=r"pip install 'triptych\[audio\]'"):
        importlib.import_module("triptych.audio.io")
    # the features do not need soundfile
    importlib.import_module("triptych.audio")
    assert aio.load is load
