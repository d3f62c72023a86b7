"""Audio features and filters on tensors: torchaudio.functional's names and meanings.

Every function takes ``(..., time)`` waveforms or ``(..., freq, time)`` spectrograms with any
number of leading (batch, channel) dimensions, on any device; options are keyword-only.
Nothing here needs soundfile.

Example:
    >>> import torch
    >>> from triptych.audio import functional as F
    >>> waveform = torch.randn(2, 16000)
    >>> spec = F.spectrogram(waveform, n_fft=400, hop_length=160)
    >>> mel = torch.matmul(spec.transpose(-1, -2), F.melscale_fbanks(
    ...     201, f_min=0.0, f_max=8000.0, n_mels=80, sample_rate=16000)).transpose(-1, -2)
    >>> spec.shape, mel.shape
    (torch.Size([2, 201, 101]), torch.Size([2, 80, 101]))
"""

from __future__ import annotations

import functools
import math
import warnings

import torch
import torch.nn.functional as nnf

from triptych.audio.ops import lfilter_iir, resample_poly

__all__ = [
    "spectrogram", "inverse_spectrogram", "griffinlim", "melscale_fbanks", "kaldi_fbank", "linear_fbanks", "create_dct",
    "amplitude_to_DB", "DB_to_amplitude", "compute_deltas", "mu_law_encoding", "mu_law_decoding",
    "preemphasis", "deemphasis", "gain", "add_noise", "resample", "speed", "lfilter", "filtfilt", "biquad",
    "lowpass_biquad", "highpass_biquad", "bandpass_biquad", "bandreject_biquad", "allpass_biquad",
    "equalizer_biquad", "bass_biquad", "treble_biquad", "mask_along_axis", "mask_along_axis_iid",
]


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


# ---------------------------------------------------------------------------------- spectra


def _spec_norms(normalized) -> tuple[bool, bool]:
    """(frame_length normalization inside stft, division by the window's norm)."""
    if normalized is True or normalized == "window":
        return False, True
    if normalized == "frame_length":
        return True, False
    if normalized is False:
        return False, False
    raise ValueError(f"normalized must be a bool, 'window' or 'frame_length', got {normalized!r}")


def _stft_args(n_fft, win_length, hop_length, window, device, dtype):
    _positive_int("n_fft", n_fft)
    win_length = n_fft if win_length is None else _positive_int("win_length", win_length)
    hop_length = win_length // 2 if hop_length is None else _positive_int("hop_length", hop_length)
    if win_length > n_fft:
        raise ValueError(f"win_length ({win_length}) must not exceed n_fft ({n_fft})")
    if window is None:
        window = torch.hann_window(win_length, device=device, dtype=dtype)
    elif window.shape != (win_length,):
        raise ValueError(f"window must have shape ({win_length},) (win_length), got {tuple(window.shape)}")
    return win_length, max(hop_length, 1), window


def spectrogram(
    waveform: torch.Tensor,
    *,
    n_fft: int = 400,
    win_length: int | None = None,
    hop_length: int | None = None,
    pad: int = 0,
    window: torch.Tensor | None = None,
    power: float | None = 2.0,
    normalized: bool | str = False,
    center: bool = True,
    pad_mode: str = "reflect",
    onesided: bool = True,
) -> torch.Tensor:
    """Short-time Fourier transform, as a power, magnitude or complex spectrogram.

    Args:
        waveform: ``(..., time)``.
        n_fft: FFT size; ``n_fft // 2 + 1`` frequency bins when ``onesided``.
        win_length: window size (default ``n_fft``). hop_length: default ``win_length // 2``.
        pad: zeros added on both sides first. window: default ``torch.hann_window(win_length)``.
        power: 2 for power, 1 for magnitude, None for the complex spectrum.
        normalized: True / ``"window"`` divides by the window's L2 norm; ``"frame_length"``
            by ``sqrt(n_fft)`` (torch.stft's ``normalized``).
        center, pad_mode, onesided: as in ``torch.stft``.

    Returns:
        ``(..., freq, frames)``; frames ``= 1 + time // hop_length`` when centered.

    Example:
        >>> import torch
        >>> from triptych.audio.functional import spectrogram
        >>> spectrogram(torch.randn(3, 1000), n_fft=256).shape
        torch.Size([3, 129, 8])
    """
    win_length, hop_length, window = _stft_args(n_fft, win_length, hop_length, window,
                                                waveform.device, waveform.dtype)
    frame_norm, window_norm = _spec_norms(normalized)
    if pad > 0:
        waveform = nnf.pad(waveform, (pad, pad), "constant")
    shape = waveform.shape
    spec = torch.stft(waveform.reshape(-1, shape[-1]), n_fft=n_fft, hop_length=hop_length,
                      win_length=win_length, window=window, center=center, pad_mode=pad_mode,
                      normalized=frame_norm, onesided=onesided, return_complex=True)
    spec = spec.reshape(shape[:-1] + spec.shape[-2:])
    if window_norm:
        spec = spec / window.pow(2.0).sum().sqrt()
    if power is None:
        return spec
    if power == 2.0:  # |z|^2 without the square root: ~3x faster than abs()**2 (measured)
        return spec.real.square() + spec.imag.square()
    if power == 1.0:
        return spec.abs()
    return spec.abs().pow(power)


def inverse_spectrogram(
    spectrogram: torch.Tensor,
    *,
    length: int | None = None,
    n_fft: int = 400,
    win_length: int | None = None,
    hop_length: int | None = None,
    pad: int = 0,
    window: torch.Tensor | None = None,
    normalized: bool | str = False,
    center: bool = True,
    onesided: bool = True,
) -> torch.Tensor:
    """Invert a complex spectrogram made by :func:`spectrogram` with the same options.

    Args:
        spectrogram: complex ``(..., freq, frames)``.
        length: the waveform length to return (default: what the frames give).

    Returns:
        ``(..., time)``.

    Example:
        >>> import torch
        >>> from triptych.audio.functional import inverse_spectrogram, spectrogram
        >>> x = torch.randn(2, 800, dtype=torch.float64)
        >>> y = inverse_spectrogram(spectrogram(x, power=None), length=800)
        >>> torch.allclose(x, y)
        True
    """
    if not spectrogram.is_complex():
        raise ValueError(f"spectrogram must be complex, got {spectrogram.dtype}")
    real_dtype = spectrogram.real.dtype
    win_length, hop_length, window = _stft_args(n_fft, win_length, hop_length, window,
                                                spectrogram.device, real_dtype)
    frame_norm, window_norm = _spec_norms(normalized)
    if window_norm:
        spectrogram = spectrogram * window.pow(2.0).sum().sqrt()
    shape = spectrogram.shape
    waveform = torch.istft(spectrogram.reshape(-1, shape[-2], shape[-1]), n_fft=n_fft,
                           hop_length=hop_length, win_length=win_length, window=window,
                           center=center, normalized=frame_norm, onesided=onesided,
                           length=length + 2 * pad if length is not None else None)
    if length is not None and pad > 0:
        waveform = waveform[:, pad:-pad]
    return waveform.reshape(shape[:-2] + waveform.shape[-1:])


def griffinlim(
    specgram: torch.Tensor,
    *,
    window: torch.Tensor | None = None,
    n_fft: int = 400,
    hop_length: int | None = None,
    win_length: int | None = None,
    power: float = 2.0,
    n_iter: int = 32,
    momentum: float = 0.99,
    length: int | None = None,
    rand_init: bool = True,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Waveform from a magnitude or power spectrogram by the fast Griffin-Lim algorithm
    (Perraudin et al. 2013): torchaudio's ``griffinlim``, options keyword-only.

    Args:
        specgram: ``(..., n_fft // 2 + 1, frames)``, non-negative, ``|X| ** power``.
        window: default ``torch.hann_window(win_length)``. n_fft, hop_length, win_length: the
            STFT's (``hop_length`` default ``win_length // 2``).
        power: the spectrogram's exponent (1 magnitude, 2 power). n_iter: iterations (>= 0).
        momentum: in ``[0, 1)``; 0 is the original Griffin-Lim. length: output length.
        rand_init: random initial phases (from ``generator``) instead of zeros.

    Returns:
        ``(..., time)``.

    Example:
        >>> import torch
        >>> from triptych.audio.functional import griffinlim, spectrogram
        >>> spec = spectrogram(torch.randn(2, 4000), n_fft=256)
        >>> griffinlim(spec, n_fft=256, n_iter=4, length=4000).shape
        torch.Size([2, 4000])
    """
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
    if isinstance(n_iter, bool) or not isinstance(n_iter, int) or n_iter < 0:
        raise ValueError(f"n_iter must be an int >= 0, got {n_iter!r}")
    if not power > 0:
        raise ValueError(f"power must be positive, got {power!r}")
    if specgram.is_complex() or specgram.size(-2) != n_fft // 2 + 1:
        raise ValueError(f"specgram must be real (..., n_fft // 2 + 1 = {n_fft // 2 + 1}, frames), "
                         f"got {specgram.dtype} {tuple(specgram.shape)}")
    win_length, hop_length, window = _stft_args(n_fft, win_length, hop_length, window,
                                                specgram.device, specgram.dtype)
    momentum = momentum / (1 + momentum)
    shape = specgram.shape
    magnitude = specgram.reshape(-1, *shape[-2:]).pow(1 / power)
    complex_dtype = (magnitude * 1j).dtype
    if rand_init:
        angles = torch.rand(magnitude.shape, dtype=complex_dtype, generator=generator).to(magnitude.device)
    else:
        angles = torch.ones(magnitude.shape, dtype=complex_dtype, device=magnitude.device)
    stft = functools.partial(torch.stft, n_fft=n_fft, hop_length=hop_length, win_length=win_length,
                             window=window, center=True, pad_mode="reflect", onesided=True,
                             return_complex=True)
    istft = functools.partial(torch.istft, n_fft=n_fft, hop_length=hop_length, win_length=win_length,
                              window=window, length=length)
    previous = torch.zeros((), dtype=complex_dtype, device=magnitude.device)
    for _ in range(n_iter):
        rebuilt = stft(istft(magnitude * angles))
        angles = rebuilt - previous * momentum if momentum else rebuilt
        angles = angles / (angles.abs() + 1e-16)
        previous = rebuilt
    waveform = istft(magnitude * angles)
    return waveform.reshape(shape[:-2] + waveform.shape[-1:])


# ---------------------------------------------------------------------------------- mel


def _hz_to_mel(freq: float, mel_scale: str) -> float:
    if mel_scale == "htk":
        return 2595.0 * math.log10(1.0 + freq / 700.0)
    f_sp, min_log_hz = 200.0 / 3, 1000.0  # slaney: linear below 1 kHz, logarithmic above
    min_log_mel, logstep = min_log_hz / f_sp, math.log(6.4) / 27.0
    if freq >= min_log_hz:
        return min_log_mel + math.log(freq / min_log_hz) / logstep
    return freq / f_sp


def _mel_to_hz(mels: torch.Tensor, mel_scale: str) -> torch.Tensor:
    if mel_scale == "htk":
        return 700.0 * (10.0 ** (mels / 2595.0) - 1.0)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, math.log(6.4) / 27.0
    return torch.where(mels >= min_log_mel, min_log_hz * torch.exp(logstep * (mels - min_log_mel)), f_sp * mels)


def _triangular_filterbank(all_freqs: torch.Tensor, f_pts: torch.Tensor) -> torch.Tensor:
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts.unsqueeze(0) - all_freqs.unsqueeze(1)
    down = -slopes[:, :-2] / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    return torch.clamp(torch.min(down, up), min=0.0)


def melscale_fbanks(
    n_freqs: int,
    *,
    f_min: float,
    f_max: float,
    n_mels: int,
    sample_rate: int,
    norm: str | None = None,
    mel_scale: str = "htk",
) -> torch.Tensor:
    """Triangular mel filterbank (torchaudio's ``melscale_fbanks``).

    Args:
        n_freqs: frequency bins of the spectrogram (``n_fft // 2 + 1``), spanning
            0 .. ``sample_rate // 2``.
        f_min, f_max: the band covered. n_mels: filters.
        norm: None, or ``"slaney"`` to divide each triangle by its width (constant energy).
        mel_scale: ``"htk"`` or ``"slaney"``.

    Returns:
        ``(n_freqs, n_mels)``: ``mel = spec.transpose(-1, -2) @ fb``.

    Example:
        >>> from triptych.audio.functional import melscale_fbanks
        >>> melscale_fbanks(201, f_min=0.0, f_max=8000.0, n_mels=40, sample_rate=16000).shape
        torch.Size([201, 40])
    """
    _positive_int("n_freqs", n_freqs)
    _positive_int("n_mels", n_mels)
    if norm not in (None, "slaney"):
        raise ValueError(f"norm must be None or 'slaney', got {norm!r}")
    if mel_scale not in ("htk", "slaney"):
        raise ValueError(f"mel_scale must be 'htk' or 'slaney', got {mel_scale!r}")
    if not 0 <= f_min < f_max:
        raise ValueError(f"need 0 <= f_min < f_max, got f_min={f_min}, f_max={f_max}")
    all_freqs = torch.linspace(0, sample_rate // 2, n_freqs)
    m_pts = torch.linspace(_hz_to_mel(f_min, mel_scale), _hz_to_mel(f_max, mel_scale), n_mels + 2)
    f_pts = _mel_to_hz(m_pts, mel_scale)
    fb = _triangular_filterbank(all_freqs, f_pts)
    if norm == "slaney":
        fb = fb * (2.0 / (f_pts[2:n_mels + 2] - f_pts[:n_mels])).unsqueeze(0)
    if (fb.max(dim=0).values == 0.0).any():
        warnings.warn(
            "At least one mel filterbank has all zero values: n_mels may be too high or "
            "n_freqs too low.", stacklevel=2,
        )
    return fb


_KALDI_WINDOWS = ("povey", "hanning", "hamming", "rectangular")


def _kaldi_mel(freq: torch.Tensor) -> torch.Tensor:
    return 1127.0 * torch.log1p(freq / 700.0)


def kaldi_fbank(
    waveform: torch.Tensor,
    *,
    sample_frequency: float = 16000.0,
    num_mel_bins: int = 23,
    frame_length: float = 25.0,
    frame_shift: float = 10.0,
    low_freq: float = 20.0,
    high_freq: float = 0.0,
    preemphasis_coefficient: float = 0.97,
    remove_dc_offset: bool = True,
    window_type: str = "povey",
    round_to_power_of_two: bool = True,
    use_power: bool = True,
    use_log_fbank: bool = True,
) -> torch.Tensor:
    """Kaldi's ``compute-fbank-feats`` (``torchaudio.compliance.kaldi.fbank``, same option names
    and defaults; no dither, ``snip_edges=True``, no energy or VTLN): frames of
    ``frame_length`` ms every ``frame_shift`` ms, DC removal, pre-emphasis, the window, an FFT
    padded to a power of two, power, triangles equally spaced on Kaldi's mel scale
    (``1127 ln(1 + f / 700)``) from ``low_freq`` to ``high_freq`` (<= 0: that far below the
    Nyquist frequency), and the log (floored at float32's epsilon).

    Args:
        waveform: floating ``(..., time)``, any scale (Kaldi's tools read int16 values).

    Returns:
        ``(..., frames, num_mel_bins)``, frames ``= 1 + (time - window) // shift`` (0 if shorter).

    Example:
        >>> import torch
        >>> from triptych.audio.functional import kaldi_fbank
        >>> kaldi_fbank(torch.randn(2, 16000) * 1000).shape
        torch.Size([2, 98, 23])
    """
    if not waveform.is_floating_point():
        raise TypeError(f"waveform must be floating point, got {waveform.dtype}")
    if window_type not in _KALDI_WINDOWS:
        raise ValueError(f"window_type must be one of {', '.join(_KALDI_WINDOWS)}, got {window_type!r}")
    _positive_int("num_mel_bins", num_mel_bins)
    window_size = int(sample_frequency * frame_length * 0.001)
    window_shift = int(sample_frequency * frame_shift * 0.001)
    if window_size < 2 or window_shift < 1:
        raise ValueError(f"frame_length ({frame_length} ms) and frame_shift ({frame_shift} ms) give "
                         f"{window_size} and {window_shift} samples at {sample_frequency} Hz")
    padded = 1 << (window_size - 1).bit_length() if round_to_power_of_two else window_size
    nyquist = 0.5 * sample_frequency
    high = high_freq if high_freq > 0 else high_freq + nyquist
    if not 0 <= low_freq < high <= nyquist:
        raise ValueError(f"need 0 <= low_freq ({low_freq}) < high_freq ({high}) <= Nyquist ({nyquist})")
    shape, dtype = waveform.shape, waveform.dtype
    x = waveform.reshape(-1, shape[-1])
    if x.shape[-1] < window_size:
        return waveform.new_zeros(shape[:-1] + (0, num_mel_bins))
    frames = x.unfold(-1, window_size, window_shift)                 # (N, frames, window)
    if remove_dc_offset:
        frames = frames - frames.mean(-1, keepdim=True)
    if preemphasis_coefficient != 0.0:
        previous = torch.cat([frames[..., :1], frames[..., :-1]], -1)
        frames = frames - preemphasis_coefficient * previous
    if window_type == "povey":
        window = torch.hann_window(window_size, periodic=False, dtype=dtype).pow(0.85)
    elif window_type == "hanning":
        window = torch.hann_window(window_size, periodic=False, dtype=dtype)
    elif window_type == "hamming":
        window = torch.hamming_window(window_size, periodic=False, alpha=0.54, beta=0.46, dtype=dtype)
    else:
        window = torch.ones(window_size, dtype=dtype)
    spectrum = torch.fft.rfft(frames * window.to(x.device), n=padded).abs()
    if use_power:
        spectrum = spectrum.pow(2.0)
    # Kaldi's triangles: equally spaced in mel between low and high, over bins 0 .. padded/2 - 1
    mel_low, mel_high = _kaldi_mel(torch.tensor(low_freq)), _kaldi_mel(torch.tensor(high))
    delta = (mel_high - mel_low) / (num_mel_bins + 1)
    index = torch.arange(num_mel_bins).unsqueeze(1)
    left, center, right = (mel_low + (index + k) * delta for k in (0.0, 1.0, 2.0))
    mel = _kaldi_mel(sample_frequency / padded * torch.arange(padded // 2)).unsqueeze(0)
    banks = torch.min((mel - left) / (center - left), (right - mel) / (right - center)).clamp(min=0)
    banks = nnf.pad(banks, (0, 1)).to(dtype=dtype, device=x.device)  # the Nyquist bin gets no weight
    energies = torch.matmul(spectrum, banks.t())
    if use_log_fbank:
        energies = torch.clamp(energies, min=torch.finfo(torch.float32).eps).log()
    return energies.reshape(shape[:-1] + energies.shape[-2:])


def linear_fbanks(n_freqs: int, *, f_min: float, f_max: float, n_filter: int, sample_rate: int) -> torch.Tensor:
    """Triangular filterbank with linearly spaced centres: ``(n_freqs, n_filter)``.

    Example:
        >>> from triptych.audio.functional import linear_fbanks
        >>> linear_fbanks(201, f_min=0.0, f_max=8000.0, n_filter=64, sample_rate=16000).shape
        torch.Size([201, 64])
    """
    all_freqs = torch.linspace(0, sample_rate // 2, n_freqs)
    return _triangular_filterbank(all_freqs, torch.linspace(f_min, f_max, n_filter + 2))


def create_dct(n_mfcc: int, n_mels: int, norm: str | None) -> torch.Tensor:
    """DCT-II matrix ``(n_mels, n_mfcc)``; ``norm="ortho"`` makes it orthonormal.

    Example:
        >>> import torch
        >>> from triptych.audio.functional import create_dct
        >>> d = create_dct(8, 8, "ortho")
        >>> torch.allclose(d.T @ d, torch.eye(8), atol=1e-6)
        True
    """
    if norm not in (None, "ortho"):
        raise ValueError(f"norm must be None or 'ortho', got {norm!r}")
    n = torch.arange(float(n_mels))
    k = torch.arange(float(n_mfcc)).unsqueeze(1)
    dct = torch.cos(math.pi / float(n_mels) * (n + 0.5) * k)
    if norm is None:
        dct *= 2.0
    else:
        dct[0] *= 1.0 / math.sqrt(2.0)
        dct *= math.sqrt(2.0 / float(n_mels))
    return dct.t()


def amplitude_to_DB(
    x: torch.Tensor, *, multiplier: float, amin: float, db_multiplier: float, top_db: float | None = None
) -> torch.Tensor:
    """``multiplier * log10(max(x, amin)) - multiplier * db_multiplier``, floored at ``top_db``
    below the maximum of each spectrogram (over its last three dimensions: channel, freq, time).

    Example:
        >>> import torch
        >>> from triptych.audio.functional import amplitude_to_DB
        >>> amplitude_to_DB(torch.tensor([[1.0, 0.1, 1e-12]]), multiplier=10.0, amin=1e-10,
        ...                 db_multiplier=0.0, top_db=50.0)
        tensor([[  0., -10., -50.]])
    """
    x_db = multiplier * torch.log10(torch.clamp(x, min=amin))
    x_db = x_db - multiplier * db_multiplier
    if top_db is not None:
        shape = x_db.shape
        channels = shape[-3] if x_db.dim() > 2 else 1
        x_db = x_db.reshape(-1, channels, shape[-2], shape[-1])
        floor = (x_db.amax(dim=(-3, -2, -1)) - top_db).view(-1, 1, 1, 1)
        x_db = torch.max(x_db, floor).reshape(shape)
    return x_db


def DB_to_amplitude(x: torch.Tensor, *, ref: float, power: float) -> torch.Tensor:
    """Inverse of :func:`amplitude_to_DB`: ``ref * (10 ** (x / 10)) ** power``.

    Example:
        >>> import torch
        >>> from triptych.audio.functional import DB_to_amplitude
        >>> DB_to_amplitude(torch.tensor([0.0, 20.0]), ref=1.0, power=0.5)
        tensor([ 1., 10.])
    """
    return ref * torch.pow(torch.pow(10.0, 0.1 * x), power)


def compute_deltas(specgram: torch.Tensor, *, win_length: int = 5, mode: str = "replicate") -> torch.Tensor:
    """Delta coefficients along time: ``d_t = sum_n n (c_{t+n} - c_{t-n}) / (2 sum_n n^2)``.

    Args:
        specgram: ``(..., freq, time)``. win_length: odd window >= 3.
        mode: how the ends are padded (``torch.nn.functional.pad`` modes).

    Example:
        >>> import torch
        >>> from triptych.audio.functional import compute_deltas
        >>> compute_deltas(torch.arange(6.0).reshape(1, 6))
        tensor([[0.5000, 0.8000, 1.0000, 1.0000, 0.8000, 0.5000]])
    """
    if isinstance(win_length, bool) or not isinstance(win_length, int) or win_length < 3:
        raise ValueError(f"win_length must be an int >= 3, got {win_length!r}")
    n = (win_length - 1) // 2
    denom = n * (n + 1) * (2 * n + 1) / 3
    shape = specgram.shape
    padded = nnf.pad(specgram.reshape(1, -1, shape[-1]), (n, n), mode=mode)
    length = shape[-1]
    out = torch.zeros_like(padded[..., n:n + length])
    for k in range(1, n + 1):
        out = out + k * (padded[..., n + k:n + k + length] - padded[..., n - k:n - k + length])
    return (out / denom).reshape(shape)


# ---------------------------------------------------------------------------------- simple ops


def mu_law_encoding(x: torch.Tensor, quantization_channels: int) -> torch.Tensor:
    """Mu-law companding of ``[-1, 1]`` floats to integers in ``[0, quantization_channels)``.

    Example:
        >>> import torch
        >>> from triptych.audio.functional import mu_law_encoding
        >>> mu_law_encoding(torch.tensor([-1.0, 0.0, 1.0]), 256)
        tensor([  0, 128, 255])
    """
    _positive_int("quantization_channels", quantization_channels)
    if not x.is_floating_point():
        x = x.to(torch.float)
    mu = torch.tensor(quantization_channels - 1.0, dtype=x.dtype, device=x.device)
    x_mu = torch.sign(x) * torch.log1p(mu * torch.abs(x)) / torch.log1p(mu)
    return ((x_mu + 1) / 2 * mu + 0.5).to(torch.int64)


def mu_law_decoding(x_mu: torch.Tensor, quantization_channels: int) -> torch.Tensor:
    """Inverse of :func:`mu_law_encoding`.

    Example:
        >>> import torch
        >>> from triptych.audio.functional import mu_law_decoding
        >>> mu_law_decoding(torch.tensor([0, 255]), 256)
        tensor([-1.,  1.])
    """
    _positive_int("quantization_channels", quantization_channels)
    if not x_mu.is_floating_point():
        x_mu = x_mu.to(torch.float)
    mu = torch.tensor(quantization_channels - 1.0, dtype=x_mu.dtype, device=x_mu.device)
    x = x_mu / mu * 2 - 1.0
    return torch.sign(x) * (torch.exp(torch.abs(x) * torch.log1p(mu)) - 1.0) / mu


def preemphasis(waveform: torch.Tensor, *, coeff: float = 0.97) -> torch.Tensor:
    """``y[n] = x[n] - coeff * x[n - 1]`` over ``(..., time)``.

    Example:
        >>> import torch
        >>> from triptych.audio.functional import preemphasis
        >>> preemphasis(torch.tensor([1.0, 1.0, 1.0]), coeff=0.5)
        tensor([1.0000, 0.5000, 0.5000])
    """
    out = waveform.clone()
    out[..., 1:] -= coeff * waveform[..., :-1]
    return out


def deemphasis(waveform: torch.Tensor, *, coeff: float = 0.97) -> torch.Tensor:
    """Inverse of :func:`preemphasis`: ``y[n] = x[n] + coeff * y[n - 1]``, clamped to [-1, 1]
    (torchaudio runs it through :func:`lfilter`, which clamps).

    Example:
        >>> import torch
        >>> from triptych.audio.functional import deemphasis, preemphasis
        >>> x = torch.rand(2, 50) - 0.5
        >>> torch.allclose(deemphasis(preemphasis(x)), x, atol=1e-6)
        True
    """
    a = torch.tensor([1.0, -coeff], dtype=waveform.dtype, device=waveform.device)
    b = torch.tensor([1.0, 0.0], dtype=waveform.dtype, device=waveform.device)
    return lfilter(waveform, a, b)


def gain(waveform: torch.Tensor, gain_db: float = 1.0) -> torch.Tensor:
    """Multiply by ``10 ** (gain_db / 20)``.

    Example:
        >>> import torch
        >>> from triptych.audio.functional import gain
        >>> gain(torch.tensor([0.1]), 20.0)
        tensor([1.])
    """
    if gain_db == 0:
        return waveform
    return waveform * 10 ** (gain_db / 20)


def add_noise(
    waveform: torch.Tensor, noise: torch.Tensor, snr: torch.Tensor, lengths: torch.Tensor | None = None
) -> torch.Tensor:
    """Add ``noise`` scaled so the signal-to-noise ratio is ``snr`` dB.

    Args:
        waveform, noise: ``(..., time)``. snr: ``(...)``, in dB.
        lengths: ``(...)`` valid samples of each waveform (energies are measured over them).

    Example:
        >>> import torch
        >>> from triptych.audio.functional import add_noise
        >>> x, n = torch.randn(2, 1000), torch.randn(2, 1000)
        >>> y = add_noise(x, n, torch.tensor([10.0, 20.0]))
        >>> snr = 10 * torch.log10(x.pow(2).sum(-1) / (y - x).pow(2).sum(-1))
        >>> torch.allclose(snr, torch.tensor([10.0, 20.0]), atol=1e-3)
        True
    """
    if not (waveform.ndim - 1 == noise.ndim - 1 == snr.ndim and (lengths is None or lengths.ndim == snr.ndim)):
        raise ValueError(
            f"waveform {tuple(waveform.shape)}, noise {tuple(noise.shape)}, snr {tuple(snr.shape)}"
            + ("" if lengths is None else f", lengths {tuple(lengths.shape)}")
            + ": leading dimensions do not match"
        )
    length = waveform.size(-1)
    if noise.size(-1) != length:
        raise ValueError(f"noise has {noise.size(-1)} samples, waveform {length}")
    if lengths is not None:
        mask = torch.arange(length, device=lengths.device).expand(waveform.shape) < lengths.unsqueeze(-1)
        signal_energy = (waveform * mask).pow(2).sum(-1)
        noise_energy = (noise * mask).pow(2).sum(-1)
    else:
        signal_energy, noise_energy = waveform.pow(2).sum(-1), noise.pow(2).sum(-1)
    original_snr_db = 10 * (torch.log10(signal_energy) - torch.log10(noise_energy))
    scale = 10 ** ((original_snr_db - snr) / 20.0)
    return waveform + scale.unsqueeze(-1) * noise


# ---------------------------------------------------------------------------------- resampling


# quality presets: (lowpass_filter_width, rolloff, resampling_method, beta)
RESAMPLING_QUALITIES = {
    # torchaudio's defaults: short and fast, but a tone just above the new Nyquist frequency
    # comes through at about -8 dB and the top of the band droops by up to 3.5 dB.
    "fast": (6, 0.99, "sinc_interp_hann", None),
    # flat within 0.01 dB up to 90 % of the new Nyquist frequency, >= 105 dB attenuation at
    # and above it (measured with tones by tests/audio/test_resample_quality.py).
    "hq": (64, 0.95, "sinc_interp_kaiser", 10.5),
}


@functools.lru_cache(maxsize=32)
def _sinc_resample_kernel(orig_freq: int, new_freq: int, lowpass_filter_width: int, rolloff: float,
                          resampling_method: str, beta: float | None) -> tuple[torch.Tensor, int]:
    """torchaudio's polyphase kernel ``(new, 2 * width + orig)`` for rates in lowest terms,
    computed in float64 (callers cast it; nobody may modify the cached tensor)."""
    if isinstance(lowpass_filter_width, bool) or not isinstance(lowpass_filter_width, int) or lowpass_filter_width <= 0:
        raise ValueError(f"lowpass_filter_width must be a positive int, got {lowpass_filter_width!r}")
    if not 0 < rolloff <= 1:
        raise ValueError(f"rolloff must be in (0, 1], got {rolloff!r}")
    if resampling_method not in ("sinc_interp_hann", "sinc_interp_kaiser"):
        raise ValueError(f"resampling_method must be 'sinc_interp_hann' or 'sinc_interp_kaiser', "
                         f"got {resampling_method!r}")
    base_freq = min(orig_freq, new_freq) * rolloff
    width = math.ceil(lowpass_filter_width * orig_freq / base_freq)
    idx = torch.arange(-width, width + orig_freq, dtype=torch.float64)[None, None] / orig_freq
    t = torch.arange(0, -new_freq, -1, dtype=torch.float64)[:, None, None] / new_freq + idx
    t = t * base_freq
    # Exact zeros outside the window (sin(k * pi) leaves ~1e-21 there): the compiled kernel
    # skips each polyphase row's zero taps, which are most of the row when downsampling.
    inside = t.abs() < lowpass_filter_width
    t = t.clamp(-lowpass_filter_width, lowpass_filter_width)
    if resampling_method == "sinc_interp_hann":
        window = torch.cos(t * math.pi / lowpass_filter_width / 2) ** 2
    else:
        beta_t = torch.tensor(14.769656459379492 if beta is None else float(beta), dtype=torch.float64)
        window = torch.i0(beta_t * torch.sqrt(1 - (t / lowpass_filter_width) ** 2)) / torch.i0(beta_t)
    t = t * math.pi
    kernels = torch.where(t == 0, torch.ones((), dtype=torch.float64), t.sin() / t)
    kernels = torch.where(inside, kernels * window * (base_freq / orig_freq), torch.zeros((), dtype=torch.float64))
    return kernels[:, 0], width


_MIN_PHASES = 16


def _resampler(orig_freq, new_freq, quality, lowpass_filter_width, rolloff, resampling_method, beta):
    """(orig, new) — in lowest terms, times a factor giving at least 16 phases — the float64
    kernel and its width, for the given options."""
    for name, value in (("orig_freq", orig_freq), ("new_freq", new_freq)):
        if value <= 0 or int(value) != value:
            raise ValueError(f"{name} must be a positive integer frequency, got {value!r}")
    if quality not in RESAMPLING_QUALITIES:
        raise ValueError(f"quality must be one of {', '.join(RESAMPLING_QUALITIES)}, got {quality!r}")
    preset = RESAMPLING_QUALITIES[quality]
    options = [preset[i] if given is None else given
               for i, given in enumerate((lowpass_filter_width, rolloff, resampling_method, beta))]
    gcd = math.gcd(int(orig_freq), int(new_freq))
    orig, new = int(orig_freq) // gcd, int(new_freq) // gcd
    if orig != new and new < _MIN_PHASES:
        # Same filter, same outputs, computed as (16 // new) * new phases: the strided
        # convolution then has enough output channels to run as a matrix product (for 48 k ->
        # 16 k, 4.7x faster than one phase; benchmarks/bench_audio.py).
        group = _MIN_PHASES // new
        orig, new = orig * group, new * group
    kernel, width = _sinc_resample_kernel(orig, new, *options)
    return orig, new, kernel, width


# A halving stage's Kaiser window (the "hq" preset's): about 105 dB of attenuation; its
# transition band is 6.76 * cutoff / lowpass_filter_width wide (Kaiser's length estimate).
_HALVING_BETA = 10.5
_HALVING_TRANSITION = 6.76


def _halving_filter(rate: int, new_freq: int) -> tuple[int, float]:
    """(lowpass_filter_width, rolloff) of a ``rate -> rate / 2`` stage ahead of a final
    ``-> new_freq`` stage: flat up to 90 % of ``new_freq / 2`` (the final passband) and
    attenuating everything that would fold back below ``new_freq / 2`` (from
    ``rate / 2 - new_freq / 2`` up) — the final stage removes the rest."""
    passband, stopband = 0.45 * new_freq, rate / 2 - new_freq / 2
    cutoff = (passband + stopband) / 2
    return math.ceil(_HALVING_TRANSITION * cutoff / (stopband - passband)) + 1, cutoff / (rate / 4)


def _resampling_stages(orig_freq, new_freq, quality, lowpass_filter_width, rolloff, resampling_method, beta):
    """The resampler as a list of ``(orig, new, kernel, width)`` stages applied in turn.

    One stage, except for ``"hq"`` with its own filter options going down by more than 2x:
    then halving stages first (while the rate stays above twice the target and even), each a
    short filter, and the sharp ``"hq"`` filter last at the lower rate — the same passband and
    stopband figures (tests/audio/test_resample_quality.py) for ~40 % fewer multiply-adds than
    one sharp filter at the input rate (44.1 k -> 16 k: ~250 instead of ~370 per output).
    """
    options = (lowpass_filter_width, rolloff, resampling_method, beta)
    stages, rate = [], orig_freq
    if quality == "hq" and all(o is None for o in options) and int(new_freq) == new_freq and new_freq > 0:
        while isinstance(rate, int) and rate > 2 * new_freq and rate % 2 == 0:
            width, roll = _halving_filter(rate, new_freq)
            stages.append(_resampler(rate, rate // 2, "hq", width, roll, "sinc_interp_kaiser", _HALVING_BETA))
            rate //= 2
    stages.append(_resampler(rate, new_freq, quality, *options))
    return [stage for stage in stages if stage[0] != stage[1]]


def _apply_resampler(waveform, stages, orig_freq, new_freq):
    if not waveform.is_floating_point():
        raise TypeError(f"waveform must be floating point, got {waveform.dtype}")
    if not stages:
        return waveform
    compute = waveform if waveform.dtype in (torch.float32, torch.float64) else waveform.float()
    shape = compute.shape
    out = compute.reshape(-1, shape[-1])
    for orig, new, kernel, width in stages:
        # The compiled kernel skips each polyphase row's zero taps (most of them going down):
        # faster than the strided convolution as a oneDNN matrix product, which multiplies them.
        out = resample_poly(out, kernel.to(out.dtype).to(out.device), orig, new, width)
    out = out[:, :-(-int(new_freq) * shape[-1] // int(orig_freq))]  # a cascade can give one more
    return out.reshape(shape[:-1] + out.shape[-1:]).to(waveform.dtype)


def resample(
    waveform: torch.Tensor,
    orig_freq: int,
    new_freq: int,
    *,
    quality: str = "hq",
    lowpass_filter_width: int | None = None,
    rolloff: float | None = None,
    resampling_method: str | None = None,
    beta: float | None = None,
) -> torch.Tensor:
    """Band-limited (windowed sinc) resampling from ``orig_freq`` to ``new_freq`` Hz:
    torchaudio's algorithm, output length and alignment, with a better default filter.

    Args:
        waveform: floating ``(..., time)``.
        quality: ``"hq"`` (default): flat within 0.1 dB up to 90 % of the lower Nyquist
            frequency and >= 100 dB attenuation above it (soxr "HQ" class). ``"fast"``:
            torchaudio's defaults (``lowpass_filter_width=6, rolloff=0.99``, Hann window),
            which let tones above the new Nyquist frequency alias back at about -8 dB.
        lowpass_filter_width, rolloff, resampling_method, beta: torchaudio's filter options;
            each one given overrides the preset's value (``"sinc_interp_hann"`` or
            ``"sinc_interp_kaiser"`` with ``beta``).

    Returns:
        ``(..., ceil(time * new_freq / orig_freq))``.

    Runs the compiled polyphase kernel ``triptych::resample_poly`` (CPU and CUDA). ``"hq"``
    going down by more than 2x first halves the rate with short filters, then applies the sharp
    filter at the lower rate (same quality figures, fewer operations). Differentiable with
    respect to the waveform.

    Example:
        >>> import torch
        >>> from triptych.audio.functional import resample
        >>> resample(torch.randn(2, 44100), 44100, 16000).shape
        torch.Size([2, 16000])
    """
    stages = _resampling_stages(orig_freq, new_freq, quality, lowpass_filter_width, rolloff,
                                resampling_method, beta)
    if not stages:
        return waveform
    return _apply_resampler(waveform, stages, orig_freq, new_freq)


def speed(waveform: torch.Tensor, orig_freq: int, factor: float, *,
          lengths: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Change the speed (and pitch) by ``factor``: torchaudio's ``speed`` — resample as if the
    signal were recorded at ``factor * orig_freq`` Hz and played at ``orig_freq`` (``factor``
    1.1: 10 % faster and shorter).

    Args:
        waveform: floating ``(..., time)``. orig_freq: its sample rate. factor: > 0.
        lengths: optional ``(...)`` valid lengths of the batch items, scaled with the signal.

    Returns:
        ``(waveform (..., ceil(time / factor)) roughly, lengths or None)``.

    Example:
        >>> import torch
        >>> from triptych.audio.functional import speed
        >>> y, lengths = speed(torch.randn(2, 16000), 16000, 1.25, lengths=torch.tensor([16000, 8000]))
        >>> y.shape, lengths
        (torch.Size([2, 12800]), tensor([12800,  6400]))
    """
    _positive_int("orig_freq", orig_freq)
    if not factor > 0:
        raise ValueError(f"factor must be positive, got {factor!r}")
    source, target = int(factor * orig_freq), int(orig_freq)
    if source <= 0:
        raise ValueError(f"factor * orig_freq must be at least 1 Hz, got {factor * orig_freq!r}")
    gcd = math.gcd(source, target)
    source, target = source // gcd, target // gcd
    out_lengths = None if lengths is None else torch.ceil(lengths * target / source).to(lengths.dtype)
    return resample(waveform, source, target), out_lengths


# ---------------------------------------------------------------------------------- filters

def lfilter(
    waveform: torch.Tensor,
    a_coeffs: torch.Tensor,
    b_coeffs: torch.Tensor,
    *,
    clamp: bool = True,
    batching: bool = True,
) -> torch.Tensor:
    """IIR filter: ``a0 y[n] = sum_k b_k x[n-k] - sum_{k>=1} a_k y[n-k]``, zero initial state.

    Args:
        waveform: ``(..., time)``.
        a_coeffs, b_coeffs: ``(order + 1,)`` — or ``(filters, order + 1)``: with ``batching``
            the second-to-last dimension of ``waveform`` has one channel per filter, without it
            every filter is applied to the whole input (output ``(..., filters, time)``).
        clamp: clamp the output to [-1, 1] (torchaudio's default).

    Differentiable with respect to the waveform and both coefficient tensors. Without
    gradients it runs the compiled recursion ``triptych::lfilter_iir`` (parallel over batch
    and channels); with them, an equivalent blocked state-space form in plain torch ops.

    Example:
        >>> import torch
        >>> from triptych.audio.functional import lfilter
        >>> lfilter(torch.tensor([1.0, 0.0, 0.0, 0.0]), torch.tensor([1.0, -0.5]),
        ...         torch.tensor([1.0, 0.0]))
        tensor([1.0000, 0.5000, 0.2500, 0.1250])
    """
    if a_coeffs.shape != b_coeffs.shape or a_coeffs.ndim not in (1, 2) or a_coeffs.shape[-1] < 1:
        raise ValueError(f"a_coeffs {tuple(a_coeffs.shape)} and b_coeffs {tuple(b_coeffs.shape)} "
                         "must have the same shape, (order + 1,) or (filters, order + 1)")
    if not waveform.is_floating_point():
        raise TypeError(f"waveform must be floating point, got {waveform.dtype}")
    a_coeffs = a_coeffs.to(waveform)
    b_coeffs = b_coeffs.to(waveform)
    if a_coeffs.ndim == 2:
        if batching:
            if waveform.ndim < 2 or waveform.size(-2) != a_coeffs.shape[0]:
                raise ValueError(f"with batching, waveform's dimension -2 ({tuple(waveform.shape)}) must "
                                 f"equal the number of filters ({a_coeffs.shape[0]})")
        else:
            waveform = torch.stack([waveform] * a_coeffs.shape[0], -2)
    else:
        a_coeffs, b_coeffs = a_coeffs[None], b_coeffs[None]
    if (a_coeffs[:, 0] == 0).any():
        raise ValueError("a_coeffs[..., 0] must not be zero")
    shape = waveform.shape
    if shape[-1] == 0:
        return waveform.clone()
    compute = torch.float64 if waveform.dtype == torch.float64 else torch.float32
    out = lfilter_iir(waveform.reshape(-1, a_coeffs.shape[0], shape[-1]).to(compute), a_coeffs.to(compute),
                      b_coeffs.to(compute)).to(waveform.dtype)
    if clamp:
        out = out.clamp(-1.0, 1.0)
    return out.reshape(shape)


def filtfilt(waveform: torch.Tensor, a_coeffs: torch.Tensor, b_coeffs: torch.Tensor, *,
             clamp: bool = True) -> torch.Tensor:
    """Zero-phase filtering: :func:`lfilter` forwards (unclamped), then backwards in time
    (clamped if ``clamp``), as torchaudio's ``filtfilt``. Coefficients as in :func:`lfilter`
    (batched: one filter per channel of dimension -2).

    Example:
        >>> import torch
        >>> from triptych.audio.functional import filtfilt
        >>> x = torch.zeros(201); x[100] = 1.0
        >>> y = filtfilt(x, torch.tensor([1.0, -0.5]), torch.tensor([0.5, 0.0]))
        >>> torch.allclose(y, y.flip(-1))  # symmetric around the impulse: no phase shift
        True
    """
    forward = lfilter(waveform, a_coeffs, b_coeffs, clamp=False)
    return lfilter(forward.flip(-1), a_coeffs, b_coeffs, clamp=clamp).flip(-1)


def biquad(waveform, b0, b1, b2, a0, a1, a2) -> torch.Tensor:
    """Second-order IIR filter with the given coefficients (:func:`lfilter`, clamped).

    Example:
        >>> import torch
        >>> from triptych.audio.functional import biquad
        >>> biquad(torch.tensor([1.0, 0.0, 0.0]), 0.5, 0.0, 0.0, 1.0, 0.0, 0.0)
        tensor([0.5000, 0.0000, 0.0000])
    """
    def stack(*values):
        return torch.stack([torch.as_tensor(v, dtype=waveform.dtype, device=waveform.device) for v in values])
    return lfilter(waveform, stack(a0, a1, a2), stack(b0, b1, b2))


def _w0_alpha(sample_rate, freq, Q):
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    if Q <= 0:
        raise ValueError(f"Q must be positive, got {Q}")
    w0 = 2 * math.pi * torch.as_tensor(freq, dtype=torch.float64) / sample_rate
    return w0, torch.sin(w0) / 2 / Q


def lowpass_biquad(waveform, sample_rate: int, cutoff_freq: float, Q: float = 0.707) -> torch.Tensor:
    """Second-order low-pass filter (RBJ audio EQ cookbook), -3 dB at ``cutoff_freq`` for Q=0.707.

    Example:
        >>> import torch
        >>> from triptych.audio.functional import lowpass_biquad
        >>> lowpass_biquad(torch.zeros(2, 100), 16000, 1000.0).shape
        torch.Size([2, 100])
    """
    w0, alpha = _w0_alpha(sample_rate, cutoff_freq, Q)
    cos = torch.cos(w0)
    return biquad(waveform, (1 - cos) / 2, 1 - cos, (1 - cos) / 2, 1 + alpha, -2 * cos, 1 - alpha)


def highpass_biquad(waveform, sample_rate: int, cutoff_freq: float, Q: float = 0.707) -> torch.Tensor:
    """Second-order high-pass filter (RBJ cookbook)."""
    w0, alpha = _w0_alpha(sample_rate, cutoff_freq, Q)
    cos = torch.cos(w0)
    return biquad(waveform, (1 + cos) / 2, -1 - cos, (1 + cos) / 2, 1 + alpha, -2 * cos, 1 - alpha)


def bandpass_biquad(waveform, sample_rate: int, central_freq: float, Q: float = 0.707,
                    const_skirt_gain: bool = False) -> torch.Tensor:
    """Second-order band-pass filter (RBJ cookbook): constant 0 dB peak gain, or constant skirt
    gain (peak gain Q) with ``const_skirt_gain``."""
    w0, alpha = _w0_alpha(sample_rate, central_freq, Q)
    cos = torch.cos(w0)
    temp = torch.sin(w0) / 2 if const_skirt_gain else alpha
    return biquad(waveform, temp, 0.0, -temp, 1 + alpha, -2 * cos, 1 - alpha)


def bandreject_biquad(waveform, sample_rate: int, central_freq: float, Q: float = 0.707) -> torch.Tensor:
    """Second-order band-reject (notch) filter (RBJ cookbook)."""
    w0, alpha = _w0_alpha(sample_rate, central_freq, Q)
    cos = torch.cos(w0)
    return biquad(waveform, 1.0, -2 * cos, 1.0, 1 + alpha, -2 * cos, 1 - alpha)


def allpass_biquad(waveform, sample_rate: int, central_freq: float, Q: float = 0.707) -> torch.Tensor:
    """Second-order all-pass filter (RBJ cookbook): unit gain, phase turning at ``central_freq``."""
    w0, alpha = _w0_alpha(sample_rate, central_freq, Q)
    cos = torch.cos(w0)
    return biquad(waveform, 1 - alpha, -2 * cos, 1 + alpha, 1 + alpha, -2 * cos, 1 - alpha)


def equalizer_biquad(waveform, sample_rate: int, center_freq: float, gain: float,
                     Q: float = 0.707) -> torch.Tensor:
    """Peaking equalizer (RBJ cookbook): ``gain`` dB at ``center_freq``."""
    w0, alpha = _w0_alpha(sample_rate, center_freq, Q)
    A = math.exp(gain / 40.0 * math.log(10))
    cos = torch.cos(w0)
    return biquad(waveform, 1 + alpha * A, -2 * cos, 1 - alpha * A, 1 + alpha / A, -2 * cos, 1 - alpha / A)


def _shelf_terms(sample_rate, gain, central_freq, Q):
    w0, alpha = _w0_alpha(sample_rate, central_freq, Q)
    A = math.exp(gain / 40 * math.log(10))
    return A, 2 * math.sqrt(A) * alpha, (A - 1) * torch.cos(w0), (A + 1) * torch.cos(w0)


def bass_biquad(waveform, sample_rate: int, gain: float, central_freq: float = 100,
                Q: float = 0.707) -> torch.Tensor:
    """Low shelf (RBJ cookbook): ``gain`` dB below ``central_freq``."""
    A, t1, t2, t3 = _shelf_terms(sample_rate, gain, central_freq, Q)
    b0, b1, b2 = A * ((A + 1) - t2 + t1), 2 * A * ((A - 1) - t3), A * ((A + 1) - t2 - t1)
    a0, a1, a2 = (A + 1) + t2 + t1, -2 * ((A - 1) + t3), (A + 1) + t2 - t1
    return biquad(waveform, b0 / a0, b1 / a0, b2 / a0, a0 / a0, a1 / a0, a2 / a0)


def treble_biquad(waveform, sample_rate: int, gain: float, central_freq: float = 3000,
                  Q: float = 0.707) -> torch.Tensor:
    """High shelf (RBJ cookbook): ``gain`` dB above ``central_freq``."""
    A, t1, t2, t3 = _shelf_terms(sample_rate, gain, central_freq, Q)
    b0, b1, b2 = A * ((A + 1) + t2 + t1), -2 * A * ((A - 1) + t3), A * ((A + 1) + t2 - t1)
    a0, a1, a2 = (A + 1) - t2 + t1, 2 * ((A - 1) - t3), (A + 1) - t2 - t1
    return biquad(waveform, b0 / a0, b1 / a0, b2 / a0, a0 / a0, a1 / a0, a2 / a0)


# ---------------------------------------------------------------------------------- masking


def _mask_param(mask_param: int, p: float, axis_length: int) -> int:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p}")
    return mask_param if p == 1.0 else min(mask_param, int(axis_length * p))


def _draw_masks(shape, mask_param: int, axis_length: int, generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Mask bounds [start, end) of the given batch shape, drawn as torchaudio draws them."""
    value = torch.rand(shape, generator=generator, dtype=torch.float64) * mask_param
    min_value = torch.rand(shape, generator=generator, dtype=torch.float64) * (axis_length - value)
    return min_value.long(), min_value.long() + value.long()


def _masked(specgram, axis, starts, ends, mask_value):
    positions = torch.arange(specgram.size(axis), device=specgram.device)
    mask = (positions >= starts) & (positions < ends)
    return specgram.transpose(axis, -1).masked_fill(mask, mask_value).transpose(axis, -1)


def mask_along_axis_iid(specgrams: torch.Tensor, mask_param: int, mask_value: float, axis: int,
                        p: float = 1.0, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """Mask ``[v0, v0 + v)`` along ``axis`` with ``v ~ U(0, mask_param)``, ``v0 ~ U(0, size - v)``,
    drawn independently for every spectrogram of a ``(batch, channel, freq, time)``-like input.

    ``axis`` is ``dim - 2`` (frequency) or ``dim - 1`` (time); ``p`` caps the mask at that
    fraction of the axis. Random numbers come from ``generator`` (on the CPU).

    Example:
        >>> import torch
        >>> from triptych.audio.functional import mask_along_axis_iid
        >>> g = torch.Generator().manual_seed(0)
        >>> out = mask_along_axis_iid(torch.ones(4, 1, 8, 10), 5, 0.0, 3, generator=g)
        >>> out.shape
        torch.Size([4, 1, 8, 10])
    """
    dim = specgrams.dim()
    if dim < 3:
        raise ValueError(f"specgrams must be at least 3-D (batch, freq, time), got {dim}-D")
    if axis not in (dim - 2, dim - 1):
        raise ValueError(f"axis must be {dim - 2} (frequency) or {dim - 1} (time), got {axis}")
    mask_param = _mask_param(mask_param, p, specgrams.shape[axis])
    if mask_param < 1:
        return specgrams
    starts, ends = _draw_masks(specgrams.shape[: dim - 2], mask_param, specgrams.size(axis), generator)
    starts, ends = starts.to(specgrams.device)[..., None, None], ends.to(specgrams.device)[..., None, None]
    return _masked(specgrams, axis, starts, ends, mask_value)


def mask_along_axis(specgram: torch.Tensor, mask_param: int, mask_value: float, axis: int,
                    p: float = 1.0, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """Like :func:`mask_along_axis_iid` but one mask for the whole input; ``axis`` counts from
    the front of a ``(..., freq, time)`` input and must be one of its last two dimensions.

    Example:
        >>> import torch
        >>> from triptych.audio.functional import mask_along_axis
        >>> g = torch.Generator().manual_seed(0)
        >>> mask_along_axis(torch.ones(1, 6, 4), 3, 0.0, 1, generator=g).sum(1)
        tensor([[4., 4., 4., 4.]])
    """
    dim = specgram.dim()
    if dim < 2 or axis not in (dim - 2, dim - 1):
        raise ValueError(f"axis must be one of the last two dimensions of a {dim}-D input, got {axis}")
    mask_param = _mask_param(mask_param, p, specgram.shape[axis])
    if mask_param < 1:
        return specgram
    start, end = _draw_masks((), mask_param, specgram.size(axis), generator)
    return _masked(specgram, axis, int(start), int(end), mask_value)
