"""Audio transforms: torchaudio.transforms' names and meanings on triptych's transforms base.

Each class computes its setup once (windows, filterbanks, DCT matrices, resampling kernels are
buffers, so ``.to(device)`` moves them) and hands the math to :mod:`triptych.audio.functional`.
Inputs are ``(..., time)`` waveforms or ``(..., freq, time)`` spectrograms with any leading
batch dimensions. Random transforms draw from their own ``generator=`` (default: torch's
global generator).

A transform may be given a whole sample (any nesting of tuples, lists and dicts, as on the
core base :class:`triptych.transforms.Transform`): it acts on the floating-point tensors —
the audio — and passes everything else (integer labels, strings) through, so
``MelSpectrogram()((waveform, label))`` returns ``(mel, label)``.

Example:
    >>> import torch
    >>> from triptych.audio.transforms import AmplitudeToDB, MelSpectrogram
    >>> from triptych.transforms import Compose
    >>> features = Compose([MelSpectrogram(sample_rate=16000, n_fft=400, hop_length=160, n_mels=80),
    ...                     AmplitudeToDB(top_db=80.0)])
    >>> features(torch.randn(8, 16000)).shape
    torch.Size([8, 80, 101])
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from triptych.audio import functional as F
from triptych.audio.ops import mel_power
from triptych.transforms import Transform

__all__ = [
    "AudioTransform", "Spectrogram", "InverseSpectrogram", "GriffinLim", "MelScale", "MelSpectrogram", "MFCC",
    "LFCC", "KaldiFbank", "AmplitudeToDB", "ComputeDeltas", "Resample", "SpeedPerturbation", "FrequencyMasking", "TimeMasking",
    "SpecAugment", "Vol", "Fade", "AddNoise", "Preemphasis", "Deemphasis", "MuLawEncoding", "MuLawDecoding",
]


class AudioTransform(Transform):
    """Base of the audio transforms: they act on the floating-point (and complex) tensors of a
    sample; integer tensors (labels), strings and other leaves pass through."""

    def select_inputs(self, leaves):
        return [isinstance(x, torch.Tensor) and (x.is_floating_point() or x.is_complex()) for x in leaves]


def _window(window_fn: Callable[..., torch.Tensor], win_length: int, wkwargs: dict | None) -> torch.Tensor:
    return window_fn(win_length, **(wkwargs or {}))


class Spectrogram(AudioTransform):
    """:func:`~triptych.audio.functional.spectrogram` with a stored window.

    Args are torchaudio's: ``n_fft=400``, ``win_length=n_fft``, ``hop_length=win_length // 2``,
    ``pad=0``, ``window_fn=torch.hann_window`` (called with ``wkwargs``), ``power=2.0`` (None:
    complex), ``normalized``, ``center``, ``pad_mode``, ``onesided``.

    Shapes: ``(..., time) -> (..., n_fft // 2 + 1, frames)``.

    Example:
        >>> import torch
        >>> from triptych.audio.transforms import Spectrogram
        >>> Spectrogram(n_fft=512, hop_length=128)(torch.randn(2, 4096)).shape
        torch.Size([2, 257, 33])
    """

    def __init__(self, *, n_fft: int = 400, win_length: int | None = None, hop_length: int | None = None,
                 pad: int = 0, window_fn: Callable[..., torch.Tensor] = torch.hann_window,
                 power: float | None = 2.0, normalized: bool | str = False, wkwargs: dict | None = None,
                 center: bool = True, pad_mode: str = "reflect", onesided: bool = True):
        super().__init__()
        self.n_fft = n_fft
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        self.register_buffer("window", _window(window_fn, self.win_length, wkwargs))
        self.pad, self.power, self.normalized = pad, power, normalized
        self.center, self.pad_mode, self.onesided = center, pad_mode, onesided

    def transform(self, waveform, params):
        return F.spectrogram(waveform, n_fft=self.n_fft, win_length=self.win_length,
                             hop_length=self.hop_length, pad=self.pad, window=self.window.to(waveform.dtype),
                             power=self.power,
                             normalized=self.normalized, center=self.center, pad_mode=self.pad_mode,
                             onesided=self.onesided)


class InverseSpectrogram(AudioTransform):
    """Invert a complex :class:`Spectrogram` (same options); call with ``(spec, length=None)``.

    Example:
        >>> import torch
        >>> from triptych.audio.transforms import InverseSpectrogram, Spectrogram
        >>> x = torch.randn(1000)
        >>> y = InverseSpectrogram(n_fft=256)(Spectrogram(n_fft=256, power=None)(x), 1000)
        >>> torch.allclose(x, y, atol=1e-5)
        True
    """

    def __init__(self, *, n_fft: int = 400, win_length: int | None = None, hop_length: int | None = None,
                 pad: int = 0, window_fn: Callable[..., torch.Tensor] = torch.hann_window,
                 normalized: bool | str = False, wkwargs: dict | None = None, center: bool = True,
                 onesided: bool = True):
        super().__init__()
        self.n_fft = n_fft
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        self.register_buffer("window", _window(window_fn, self.win_length, wkwargs))
        self.pad, self.normalized, self.center, self.onesided = pad, normalized, center, onesided

    def forward(self, spectrogram: torch.Tensor, length: int | None = None) -> torch.Tensor:
        return F.inverse_spectrogram(spectrogram, length=length, n_fft=self.n_fft,
                                     win_length=self.win_length, hop_length=self.hop_length, pad=self.pad,
                                     window=self.window.to(spectrogram.real.dtype),
                                     normalized=self.normalized, center=self.center, onesided=self.onesided)


class GriffinLim(AudioTransform):
    """Waveform from a magnitude/power spectrogram (:func:`~triptych.audio.functional.griffinlim`);
    torchaudio's arguments and defaults (``n_fft=400``, ``n_iter=32``, ``power=2.0``,
    ``momentum=0.99``, ``rand_init=True``). The window is a buffer; random initial phases come
    from ``generator=``.

    Shapes: ``(..., n_fft // 2 + 1, frames) -> (..., time)``.

    Example:
        >>> import torch
        >>> from triptych.audio.transforms import GriffinLim, Spectrogram
        >>> spec = Spectrogram(n_fft=256)(torch.randn(4000))
        >>> GriffinLim(n_fft=256, n_iter=4, length=4000)(spec).shape
        torch.Size([4000])
    """

    def __init__(self, n_fft: int = 400, n_iter: int = 32, win_length: int | None = None,
                 hop_length: int | None = None, window_fn: Callable[..., torch.Tensor] = torch.hann_window,
                 power: float = 2.0, wkwargs: dict | None = None, momentum: float = 0.99,
                 length: int | None = None, rand_init: bool = True, *, generator=None):
        super().__init__(generator=generator)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        self.n_fft, self.n_iter, self.power, self.momentum = n_fft, n_iter, power, momentum
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        self.length, self.rand_init = length, rand_init
        self.register_buffer("window", _window(window_fn, self.win_length, wkwargs))

    def transform(self, specgram, params):
        return F.griffinlim(specgram, window=self.window.to(specgram.dtype), n_fft=self.n_fft,
                            hop_length=self.hop_length, win_length=self.win_length, power=self.power,
                            n_iter=self.n_iter, momentum=self.momentum, length=self.length,
                            rand_init=self.rand_init, generator=self.generator)


class MelScale(AudioTransform):
    """Project a ``(..., n_stft, time)`` spectrogram onto ``n_mels`` triangular filters.

    Args: ``n_mels=128``, ``sample_rate=16000``, ``f_min=0``, ``f_max=sample_rate // 2``,
    ``n_stft=201``, ``norm`` (None or ``"slaney"``), ``mel_scale`` (``"htk"`` or ``"slaney"``).
    The filterbank ``fb`` is a ``(n_stft, n_mels)`` buffer.

    Example:
        >>> import torch
        >>> from triptych.audio.transforms import MelScale
        >>> MelScale(n_mels=40, n_stft=201)(torch.rand(3, 201, 50)).shape
        torch.Size([3, 40, 50])
    """

    def __init__(self, *, n_mels: int = 128, sample_rate: int = 16000, f_min: float = 0.0,
                 f_max: float | None = None, n_stft: int = 201, norm: str | None = None,
                 mel_scale: str = "htk"):
        super().__init__()
        self.n_mels, self.sample_rate = n_mels, sample_rate
        self.f_max = f_max if f_max is not None else float(sample_rate // 2)
        self.f_min, self.norm, self.mel_scale = f_min, norm, mel_scale
        if f_min > self.f_max:
            raise ValueError(f"f_min ({f_min}) must not exceed f_max ({self.f_max})")
        self.register_buffer("fb", F.melscale_fbanks(n_stft, f_min=f_min, f_max=self.f_max, n_mels=n_mels,
                                                     sample_rate=sample_rate, norm=norm, mel_scale=mel_scale))

    def transform(self, specgram, params):
        if specgram.size(-2) != self.fb.size(0):
            raise ValueError(f"specgram has {specgram.size(-2)} frequency bins, the filterbank "
                             f"expects n_stft={self.fb.size(0)}")
        return torch.matmul(self.fb.to(specgram.dtype).t(), specgram)  # no transposed copies


# librosa.feature.melspectrogram's defaults (besides sr), shared by the librosa presets.
_LIBROSA_MEL = {"n_fft": 2048, "hop_length": 512, "n_mels": 128, "pad_mode": "constant", "norm": "slaney",
                "mel_scale": "slaney"}


class MelSpectrogram(AudioTransform):
    """:class:`Spectrogram` followed by :class:`MelScale` (torchaudio's arguments and defaults:
    ``sample_rate=16000``, ``n_fft=400``, ``n_mels=128``, ``power=2.0``, htk scale, no norm).

    Shapes: ``(..., time) -> (..., n_mels, frames)``.

    Example:
        >>> import torch
        >>> from triptych.audio.transforms import MelSpectrogram
        >>> MelSpectrogram(sample_rate=16000, hop_length=160, n_mels=80)(torch.randn(16000)).shape
        torch.Size([80, 101])
    """

    def __init__(self, *, sample_rate: int = 16000, n_fft: int = 400, win_length: int | None = None,
                 hop_length: int | None = None, f_min: float = 0.0, f_max: float | None = None,
                 pad: int = 0, n_mels: int = 128, window_fn: Callable[..., torch.Tensor] = torch.hann_window,
                 power: float = 2.0, normalized: bool = False, wkwargs: dict | None = None,
                 center: bool = True, pad_mode: str = "reflect", onesided: bool | None = None,
                 norm: str | None = None, mel_scale: str = "htk"):
        super().__init__()
        if onesided is False:
            raise ValueError("MelSpectrogram needs a one-sided spectrogram (onesided=None or True)")
        self.sample_rate, self.n_fft, self.n_mels = sample_rate, n_fft, n_mels
        self.spectrogram = Spectrogram(n_fft=n_fft, win_length=win_length, hop_length=hop_length, pad=pad,
                                       window_fn=window_fn, power=power, normalized=normalized,
                                       wkwargs=wkwargs, center=center, pad_mode=pad_mode, onesided=True)
        self.mel_scale = MelScale(n_mels=n_mels, sample_rate=sample_rate, f_min=f_min, f_max=f_max,
                                  n_stft=n_fft // 2 + 1, norm=norm, mel_scale=mel_scale)

    @classmethod
    def librosa(cls, sample_rate: int = 22050, **overrides) -> MelSpectrogram:
        """The settings of ``librosa.feature.melspectrogram``'s defaults (n_fft 2048, hop 512,
        128 mels on the Slaney scale with Slaney norm, zero padding when centering, sr 22050);
        ``overrides`` replace any of them. Matches librosa 0.11 within 1e-4 of the largest
        value (tests/audio/test_feature_presets.py).

        Example:
            >>> import torch
            >>> from triptych.audio.transforms import MelSpectrogram
            >>> MelSpectrogram.librosa()(torch.randn(22050)).shape
            torch.Size([128, 44])
        """
        options = {**_LIBROSA_MEL, **overrides}
        return cls(sample_rate=sample_rate, **options)

    def transform(self, waveform, params):
        if self.spectrogram.power != 2.0:
            return self.mel_scale(self.spectrogram(waveform))
        # Power 2: the complex STFT goes straight into the fused |X|^2 + mel projection
        # (triptych::mel_power), which writes no power spectrogram and skips the filterbank's
        # zeros; same result as the two steps above.
        sp = self.spectrogram
        spec = F.spectrogram(waveform, n_fft=sp.n_fft, win_length=sp.win_length, hop_length=sp.hop_length,
                             pad=sp.pad, window=sp.window.to(waveform.dtype), power=None,
                             normalized=sp.normalized, center=sp.center, pad_mode=sp.pad_mode, onesided=True)
        pairs = torch.view_as_real(spec.reshape((-1,) + spec.shape[-2:]).transpose(-1, -2))
        mel = mel_power(pairs, self.mel_scale.fb.to(pairs.dtype))
        return mel.reshape(spec.shape[:-2] + mel.shape[-2:])


class AmplitudeToDB(AudioTransform):
    """Power (``stype="power"``) or magnitude (``"magnitude"``) to decibels, floored ``top_db``
    below each spectrogram's maximum.

    Example:
        >>> import torch
        >>> from triptych.audio.transforms import AmplitudeToDB
        >>> AmplitudeToDB("magnitude")(torch.tensor([[10.0, 1.0]]))
        tensor([[20.,  0.]])
    """

    def __init__(self, stype: str = "power", top_db: float | None = None):
        super().__init__()
        if stype not in ("power", "magnitude"):
            raise ValueError(f"stype must be 'power' or 'magnitude', got {stype!r}")
        if top_db is not None and top_db < 0:
            raise ValueError(f"top_db must be positive, got {top_db}")
        self.stype, self.top_db = stype, top_db
        self.multiplier = 10.0 if stype == "power" else 20.0
        self.amin = 1e-10
        self.ref_value = 1.0
        self.db_multiplier = math.log10(max(self.amin, self.ref_value))

    def transform(self, x, params):
        return F.amplitude_to_DB(x, multiplier=self.multiplier, amin=self.amin,
                                 db_multiplier=self.db_multiplier, top_db=self.top_db)


class MFCC(AudioTransform):
    """Mel-frequency cepstral coefficients: log-mel (dB, ``top_db=80``, or ``log(x + 1e-6)``
    with ``log_mels``) times a DCT-II matrix (buffer ``dct_mat``).

    Args: ``sample_rate=16000``, ``n_mfcc=40``, ``dct_type=2``, ``norm="ortho"``,
    ``log_mels=False``, ``melkwargs`` (for :class:`MelSpectrogram`).

    Shapes: ``(..., time) -> (..., n_mfcc, frames)``.

    Example:
        >>> import torch
        >>> from triptych.audio.transforms import MFCC
        >>> MFCC(sample_rate=16000, n_mfcc=13, melkwargs={"n_mels": 40})(torch.randn(2, 8000)).shape
        torch.Size([2, 13, 41])
    """

    def __init__(self, *, sample_rate: int = 16000, n_mfcc: int = 40, dct_type: int = 2, norm: str = "ortho",
                 log_mels: bool = False, melkwargs: dict | None = None):
        super().__init__()
        if dct_type != 2:
            raise ValueError(f"only DCT type 2 is supported, got dct_type={dct_type}")
        self.sample_rate, self.n_mfcc, self.dct_type, self.norm, self.log_mels = (
            sample_rate, n_mfcc, dct_type, norm, log_mels)
        self.top_db = 80.0
        self.amplitude_to_DB = AmplitudeToDB("power", self.top_db)
        self.MelSpectrogram = MelSpectrogram(sample_rate=sample_rate, **(melkwargs or {}))
        if n_mfcc > self.MelSpectrogram.n_mels:
            raise ValueError(f"n_mfcc ({n_mfcc}) cannot exceed n_mels ({self.MelSpectrogram.n_mels})")
        self.register_buffer("dct_mat", F.create_dct(n_mfcc, self.MelSpectrogram.n_mels, norm))

    @classmethod
    def librosa(cls, sample_rate: int = 22050, n_mfcc: int = 20, **melkwargs) -> MFCC:
        """The settings of ``librosa.feature.mfcc``'s defaults (20 coefficients of the dB
        (``top_db=80``) :meth:`MelSpectrogram.librosa` spectrogram, orthonormal DCT-II);
        ``melkwargs`` override the mel settings. Matches librosa 0.11 within 1e-4 of the
        largest coefficient (tests/audio/test_feature_presets.py).

        Example:
            >>> import torch
            >>> from triptych.audio.transforms import MFCC
            >>> MFCC.librosa()(torch.randn(22050)).shape
            torch.Size([20, 44])
        """
        options = {**_LIBROSA_MEL, **melkwargs}
        return cls(sample_rate=sample_rate, n_mfcc=n_mfcc, norm="ortho", melkwargs=options)

    def transform(self, waveform, params):
        mel = self.MelSpectrogram(waveform)
        mel = torch.log(mel + 1e-6) if self.log_mels else self.amplitude_to_DB(mel)
        return torch.matmul(self.dct_mat.to(mel.dtype).t(), mel)


class LFCC(AudioTransform):
    """Linear-frequency cepstral coefficients: :class:`Spectrogram`, a linear triangular
    filterbank (``n_filter=128``, buffer ``filter_mat``), log (dB or ``log(x + 1e-6)``), DCT-II.

    Example:
        >>> import torch
        >>> from triptych.audio.transforms import LFCC
        >>> LFCC(sample_rate=16000, n_lfcc=20, speckwargs={"n_fft": 400})(torch.randn(4000)).shape
        torch.Size([20, 21])
    """

    def __init__(self, *, sample_rate: int = 16000, n_filter: int = 128, f_min: float = 0.0,
                 f_max: float | None = None, n_lfcc: int = 40, dct_type: int = 2, norm: str = "ortho",
                 log_lf: bool = False, speckwargs: dict | None = None):
        super().__init__()
        if dct_type != 2:
            raise ValueError(f"only DCT type 2 is supported, got dct_type={dct_type}")
        if n_lfcc > n_filter:
            raise ValueError(f"n_lfcc ({n_lfcc}) cannot exceed n_filter ({n_filter})")
        self.sample_rate, self.n_lfcc, self.log_lf = sample_rate, n_lfcc, log_lf
        self.f_min, self.f_max = f_min, f_max if f_max is not None else float(sample_rate // 2)
        self.top_db = 80.0
        self.amplitude_to_DB = AmplitudeToDB("power", self.top_db)
        self.Spectrogram = Spectrogram(**(speckwargs or {}))
        n_freqs = self.Spectrogram.n_fft // 2 + 1
        self.register_buffer("filter_mat", F.linear_fbanks(n_freqs, f_min=f_min, f_max=self.f_max,
                                                           n_filter=n_filter, sample_rate=sample_rate))
        self.register_buffer("dct_mat", F.create_dct(n_lfcc, n_filter, norm))

    def transform(self, waveform, params):
        spec = self.Spectrogram(waveform)
        spec = torch.matmul(self.filter_mat.to(spec.dtype).t(), spec)
        spec = torch.log(spec + 1e-6) if self.log_lf else self.amplitude_to_DB(spec)
        return torch.matmul(self.dct_mat.to(spec.dtype).t(), spec)


class KaldiFbank(AudioTransform):
    """Kaldi filterbank features (:func:`~triptych.audio.functional.kaldi_fbank`;
    ``torchaudio.compliance.kaldi.fbank``'s options and defaults, keyword-only). Matches it
    within 1e-4 relative (tests/audio/test_feature_presets.py).

    Shapes: ``(..., time) -> (..., frames, num_mel_bins)``.

    Example:
        >>> import torch
        >>> from triptych.audio.transforms import KaldiFbank
        >>> KaldiFbank(num_mel_bins=80)(torch.randn(16000) * 1000).shape
        torch.Size([98, 80])
    """

    def __init__(self, **options):
        super().__init__()
        F.kaldi_fbank(torch.zeros(1), **options)  # checks the options now, not on first use
        self.options = options

    def transform(self, waveform, params):
        return F.kaldi_fbank(waveform, **self.options)


class ComputeDeltas(AudioTransform):
    """:func:`~triptych.audio.functional.compute_deltas` along time (``win_length=5``)."""

    def __init__(self, win_length: int = 5, mode: str = "replicate"):
        super().__init__()
        self.win_length, self.mode = win_length, mode

    def transform(self, specgram, params):
        return F.compute_deltas(specgram, win_length=self.win_length, mode=self.mode)


class Resample(AudioTransform):
    """Resample ``(..., time)`` from ``orig_freq`` to ``new_freq`` Hz
    (:func:`~triptych.audio.functional.resample`; ``quality="hq"`` by default, ``"fast"`` for
    torchaudio's filter). The polyphase kernels are computed once (buffer ``kernel``, and
    ``kernel_0``, ... for the halving stages of an ``"hq"`` cascade; float64 unless ``dtype``
    says otherwise).

    Example:
        >>> import torch
        >>> from triptych.audio.transforms import Resample
        >>> Resample(48000, 16000)(torch.randn(2, 48000)).shape
        torch.Size([2, 16000])
    """

    def __init__(self, orig_freq: int = 16000, new_freq: int = 16000, *, quality: str = "hq",
                 resampling_method: str | None = None, lowpass_filter_width: int | None = None,
                 rolloff: float | None = None, beta: float | None = None, dtype: torch.dtype | None = None):
        super().__init__()
        self.orig_freq, self.new_freq, self.quality = orig_freq, new_freq, quality
        stages = F._resampling_stages(orig_freq, new_freq, quality, lowpass_filter_width, rolloff,
                                      resampling_method, beta)
        self._stages = [(orig, new, width) for orig, new, _, width in stages]
        # The last (sharp) stage's kernel is ``kernel``; halving stages ahead of it ``kernel_0``, ...
        for i, (_, _, kernel, _) in enumerate(stages):
            name = "kernel" if i == len(stages) - 1 else f"kernel_{i}"
            self.register_buffer(name, kernel.to(dtype or torch.float64))

    def transform(self, waveform, params):
        if not self._stages:
            return waveform
        kernels = [getattr(self, "kernel" if i == len(self._stages) - 1 else f"kernel_{i}")
                   for i in range(len(self._stages))]
        stages = [(orig, new, kernel, width) for (orig, new, width), kernel in zip(self._stages, kernels)]
        return F._apply_resampler(waveform, stages, self.orig_freq, self.new_freq)


class SpeedPerturbation(AudioTransform):
    """``forward(waveform, lengths=None) -> (waveform, lengths)``: speed the audio up or down by
    a factor drawn uniformly from ``factors`` (:func:`~triptych.audio.functional.speed`),
    torchaudio's ``SpeedPerturbation``. One factor per call, shared by the batch (the output
    length depends on it); ``lengths`` are scaled with it. ``generator=`` as elsewhere.

    Example:
        >>> import torch
        >>> from triptych.audio.transforms import SpeedPerturbation
        >>> t = SpeedPerturbation(16000, [0.9, 1.1, 1.0], generator=torch.Generator().manual_seed(0))
        >>> waveform, lengths = t(torch.randn(2, 16000), torch.tensor([16000, 12000]))
        >>> waveform.shape[-1] in (17778, 14546, 16000)
        True
    """

    def __init__(self, orig_freq: int, factors, *, generator=None):
        super().__init__(generator=generator)
        factors = list(factors)
        if not factors or any(not f > 0 for f in factors):
            raise ValueError(f"factors must be a non-empty list of positive numbers, got {factors!r}")
        self.orig_freq, self.factors = orig_freq, factors

    def forward(self, waveform: torch.Tensor, lengths: torch.Tensor | None = None):
        factor = self.factors[int(torch.randint(len(self.factors), (), generator=self.generator))]
        if factor == 1.0:
            return waveform, lengths
        return F.speed(waveform, self.orig_freq, factor, lengths=lengths)


class _AxisMasking(AudioTransform):
    axis: int  # 1: frequency, 2: time, counted in a (channel, freq, time) spectrogram

    def __init__(self, mask_param: int, iid_masks: bool, p: float, generator):
        super().__init__(generator=generator)
        if isinstance(mask_param, bool) or not isinstance(mask_param, int) or mask_param < 0:
            raise ValueError(f"mask_param must be an int >= 0, got {mask_param!r}")
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be in [0, 1], got {p}")
        self.mask_param, self.iid_masks, self.p = mask_param, iid_masks, p

    def forward(self, specgram: torch.Tensor, mask_value: float = 0.0) -> torch.Tensor:
        if specgram.dim() < 2:
            raise ValueError(f"specgram must be (..., freq, time), got shape {tuple(specgram.shape)}")
        axis = specgram.dim() - 3 + self.axis
        mask_param = F._mask_param(self.mask_param, self.p, specgram.size(axis))
        if mask_param < 1:
            return specgram
        shape = specgram.shape[:-2] if self.iid_masks and specgram.dim() >= 3 else ()
        starts, ends = F._draw_masks(shape, mask_param, specgram.size(axis), self.generator)
        starts = starts.to(specgram.device)[..., None, None] if shape else int(starts)
        ends = ends.to(specgram.device)[..., None, None] if shape else int(ends)
        return F._masked(specgram, axis, starts, ends, mask_value)


class FrequencyMasking(_AxisMasking):
    """SpecAugment frequency masking: zero (or ``mask_value``) a band ``[f0, f0 + f)`` with
    ``f ~ U(0, freq_mask_param)``. With ``iid_masks=True`` every spectrogram of a
    ``(batch, channel, freq, time)`` input gets its own band; otherwise one band for all
    (torchaudio's default).

    Example:
        >>> import torch
        >>> from triptych.audio.transforms import FrequencyMasking
        >>> g = torch.Generator().manual_seed(0)
        >>> FrequencyMasking(20, iid_masks=True, generator=g)(torch.ones(8, 1, 80, 100)).shape
        torch.Size([8, 1, 80, 100])
    """

    axis = 1

    def __init__(self, freq_mask_param: int, iid_masks: bool = False, *, generator=None):
        super().__init__(freq_mask_param, iid_masks, 1.0, generator)


class TimeMasking(_AxisMasking):
    """SpecAugment time masking: a span ``[t0, t0 + t)`` with ``t ~ U(0, time_mask_param)``,
    at most ``p`` of the frames; ``iid_masks`` as in :class:`FrequencyMasking`.

    Example:
        >>> import torch
        >>> from triptych.audio.transforms import TimeMasking
        >>> TimeMasking(30, p=0.2)(torch.ones(80, 100)).shape
        torch.Size([80, 100])
    """

    axis = 2

    def __init__(self, time_mask_param: int, iid_masks: bool = False, p: float = 1.0, *, generator=None):
        super().__init__(time_mask_param, iid_masks, p, generator)


class SpecAugment(AudioTransform):
    """SpecAugment (torchaudio's): ``n_time_masks`` time masks (width < ``time_mask_param``, at
    most ``p`` of the frames) then ``n_freq_masks`` frequency masks, filled with 0
    (``zero_masking``) or the spectrogram's mean; with ``iid_masks`` every spectrogram of a
    ``(batch, channel, freq, time)`` input gets its own masks. ``generator=`` as elsewhere.

    Example:
        >>> import torch
        >>> from triptych.audio.transforms import SpecAugment
        >>> t = SpecAugment(n_time_masks=2, time_mask_param=10, n_freq_masks=2, freq_mask_param=8,
        ...                 zero_masking=True, generator=torch.Generator().manual_seed(0))
        >>> t(torch.ones(4, 1, 40, 100)).shape
        torch.Size([4, 1, 40, 100])
    """

    def __init__(self, n_time_masks: int, time_mask_param: int, n_freq_masks: int, freq_mask_param: int, *,
                 iid_masks: bool = True, p: float = 1.0, zero_masking: bool = False, generator=None):
        super().__init__(generator=generator)
        for name, value in (("n_time_masks", n_time_masks), ("time_mask_param", time_mask_param),
                            ("n_freq_masks", n_freq_masks), ("freq_mask_param", freq_mask_param)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be an int >= 0, got {value!r}")
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be in [0, 1], got {p}")
        self.n_time_masks, self.time_mask_param = n_time_masks, time_mask_param
        self.n_freq_masks, self.freq_mask_param = n_freq_masks, freq_mask_param
        self.iid_masks, self.mask_p, self.zero_masking = iid_masks, p, zero_masking

    def transform(self, specgram, params):
        mask_value = 0.0 if self.zero_masking else float(specgram.mean())
        time_dim = specgram.dim() - 1
        mask = F.mask_along_axis_iid if specgram.dim() > 2 and self.iid_masks else F.mask_along_axis
        for _ in range(self.n_time_masks):
            specgram = mask(specgram, self.time_mask_param, mask_value, time_dim, p=self.mask_p,
                            generator=self.generator)
        for _ in range(self.n_freq_masks):
            specgram = mask(specgram, self.freq_mask_param, mask_value, time_dim - 1, p=self.mask_p,
                            generator=self.generator)
        return specgram


class Vol(AudioTransform):
    """Scale a waveform by ``gain`` (``gain_type``: ``"amplitude"``, ``"power"`` or ``"db"``),
    then clamp to [-1, 1].

    Example:
        >>> import torch
        >>> from triptych.audio.transforms import Vol
        >>> Vol(6.0206, gain_type="db")(torch.tensor([0.25, 0.75]))
        tensor([0.5000, 1.0000])
    """

    def __init__(self, gain: float, gain_type: str = "amplitude"):
        super().__init__()
        if gain_type not in ("amplitude", "power", "db"):
            raise ValueError(f"gain_type must be 'amplitude', 'power' or 'db', got {gain_type!r}")
        if gain_type in ("amplitude", "power") and gain < 0:
            raise ValueError(f"gain must be >= 0 for gain_type={gain_type!r}, got {gain}")
        self.gain, self.gain_type = gain, gain_type

    def transform(self, waveform, params):
        if self.gain_type == "amplitude":
            waveform = waveform * self.gain
        elif self.gain_type == "db":
            waveform = F.gain(waveform, self.gain)
        else:
            waveform = F.gain(waveform, 10 * math.log10(self.gain))
        return torch.clamp(waveform, -1, 1)


_FADE_IN = {
    "linear": lambda f: f,
    "exponential": lambda f: torch.pow(2, (f - 1) * 5) * f,
    "logarithmic": lambda f: torch.log10(0.1 + f) + 1,
    "quarter_sine": lambda f: torch.sin(f * math.pi / 2),
    "half_sine": lambda f: torch.sin(f * math.pi - math.pi / 2) / 2 + 0.5,
}
_FADE_OUT = {
    "linear": lambda f: 1 - f,
    "exponential": lambda f: torch.pow(2, -f * 5) * (1 - f),
    "logarithmic": lambda f: torch.log10(1.1 - f) + 1,
    "quarter_sine": lambda f: torch.sin(f * math.pi / 2 + math.pi / 2),
    "half_sine": lambda f: torch.sin(f * math.pi + math.pi / 2) / 2 + 0.5,
}


class Fade(AudioTransform):
    """Fade the first ``fade_in_len`` samples in and the last ``fade_out_len`` out, with
    ``fade_shape`` ``"linear"``, ``"exponential"``, ``"logarithmic"``, ``"quarter_sine"`` or
    ``"half_sine"`` (torchaudio's curves).

    Example:
        >>> import torch
        >>> from triptych.audio.transforms import Fade
        >>> Fade(fade_in_len=3, fade_out_len=2)(torch.ones(6))
        tensor([0.0000, 0.5000, 1.0000, 1.0000, 1.0000, 0.0000])
    """

    def __init__(self, fade_in_len: int = 0, fade_out_len: int = 0, fade_shape: str = "linear"):
        super().__init__()
        if fade_shape not in _FADE_IN:
            raise ValueError(f"fade_shape must be one of {', '.join(_FADE_IN)}, got {fade_shape!r}")
        if fade_in_len < 0 or fade_out_len < 0:
            raise ValueError(f"fade lengths must be >= 0, got {fade_in_len}, {fade_out_len}")
        self.fade_in_len, self.fade_out_len, self.fade_shape = fade_in_len, fade_out_len, fade_shape

    def transform(self, waveform, params):
        length = waveform.size(-1)
        if self.fade_in_len > length or self.fade_out_len > length:
            raise ValueError(f"fade lengths ({self.fade_in_len}, {self.fade_out_len}) exceed the "
                             f"waveform's {length} samples")
        kw = {"device": waveform.device, "dtype": waveform.dtype if waveform.is_floating_point() else None}
        fade_in = _FADE_IN[self.fade_shape](torch.linspace(0, 1, self.fade_in_len, **kw))
        fade_out = _FADE_OUT[self.fade_shape](torch.linspace(0, 1, self.fade_out_len, **kw))
        ones_in = torch.ones(length - self.fade_in_len, **kw)
        ones_out = torch.ones(length - self.fade_out_len, **kw)
        curve = torch.cat((fade_in, ones_in)).clamp_(0, 1) * torch.cat((ones_out, fade_out)).clamp_(0, 1)
        return curve * waveform


class AddNoise(AudioTransform):
    """``forward(waveform, noise, snr, lengths=None)``: add noise at ``snr`` dB
    (:func:`~triptych.audio.functional.add_noise`)."""

    def forward(self, waveform, noise, snr, lengths=None):
        return F.add_noise(waveform, noise, snr, lengths)


class Preemphasis(AudioTransform):
    """:func:`~triptych.audio.functional.preemphasis` with ``coeff=0.97``."""

    def __init__(self, coeff: float = 0.97):
        super().__init__()
        self.coeff = coeff

    def transform(self, waveform, params):
        return F.preemphasis(waveform, coeff=self.coeff)


class Deemphasis(AudioTransform):
    """:func:`~triptych.audio.functional.deemphasis` with ``coeff=0.97``."""

    def __init__(self, coeff: float = 0.97):
        super().__init__()
        self.coeff = coeff

    def transform(self, waveform, params):
        return F.deemphasis(waveform, coeff=self.coeff)


class MuLawEncoding(AudioTransform):
    """:func:`~triptych.audio.functional.mu_law_encoding` (``quantization_channels=256``)."""

    def __init__(self, quantization_channels: int = 256):
        super().__init__()
        self.quantization_channels = quantization_channels

    def transform(self, x, params):
        return F.mu_law_encoding(x, self.quantization_channels)


class MuLawDecoding(AudioTransform):
    """:func:`~triptych.audio.functional.mu_law_decoding` (``quantization_channels=256``); acts
    on integer tensors too (the codes)."""

    def select_inputs(self, leaves):
        return [isinstance(x, torch.Tensor) for x in leaves]

    def __init__(self, quantization_channels: int = 256):
        super().__init__()
        self.quantization_channels = quantization_channels

    def transform(self, x_mu, params):
        return F.mu_law_decoding(x_mu, self.quantization_channels)
