"""Audio compiled ops: ``triptych::resample_poly``, ``triptych::lfilter_iir`` and ``triptych::mel_power``.

Defined through :func:`triptych.library.define_op`: the kernels from ``core/csrc/audio`` when
``triptych._C`` has them, else the pure-torch reference below (also the test oracle).

``resample_poly(waveform (N, T), kernel (new, 2 * width + orig), orig, new, width)`` is
torchaudio's strided-convolution form of windowed-sinc resampling: output
``j = q * new + p`` is ``sum_m x[q * orig + m - width] * kernel[p, m]`` (zeros outside the
signal), for ``j < ceil(new * T / orig)``. The compiled CPU kernel visits only each
polyphase row's non-zero taps. :func:`triptych.audio.functional.resample` builds the kernel.
"""

from __future__ import annotations

import torch
import torch.nn.functional as nnf

from triptych.library import ErrorInput, OpDef, SampleInput, define_op

__all__ = ["lfilter_iir", "mel_power", "resample_poly"]

_SCHEMA = "resample_poly(Tensor waveform, Tensor kernel, int orig, int new, int width) -> Tensor"


def _output_length(frames: int, orig: int, new: int) -> int:
    return -(-new * frames // orig)


def _resample_poly_reference(waveform, kernel, orig, new, width):
    rows, frames = waveform.shape
    padded = nnf.pad(waveform, (width, width + orig))
    out = nnf.conv1d(padded[:, None], kernel[:, None], stride=orig)  # (rows, new, blocks)
    out = out.transpose(1, 2).reshape(rows, -1)
    return out[:, : _output_length(frames, orig, new)]


def _resample_poly_fake(waveform, kernel, orig, new, width):
    torch._check(waveform.dim() == 2, lambda: "resample_poly expects a (N, T) waveform")
    return waveform.new_empty((waveform.shape[0], _output_length(waveform.shape[1], orig, new)))


def _resample_poly_setup_context(ctx, inputs, output):
    waveform, kernel, orig, new, width = inputs
    ctx.save_for_backward(kernel)
    ctx.frames, ctx.orig, ctx.new, ctx.width = waveform.shape[1], orig, new, width


def _resample_poly_backward(ctx, grad):
    """The adjoint of the strided convolution: a strided transposed convolution."""
    (kernel,) = ctx.saved_tensors
    orig, new, width, frames = ctx.orig, ctx.new, ctx.width, ctx.frames
    rows = grad.shape[0]
    blocks = frames // orig + 1
    full = nnf.pad(grad, (0, blocks * new - grad.shape[1])).reshape(rows, blocks, new).transpose(1, 2)
    spread = nnf.conv_transpose1d(full, kernel[:, None], stride=orig)[:, 0]
    padded_length = frames + 2 * width + orig
    spread = nnf.pad(spread, (0, padded_length - spread.shape[1]))
    return spread[:, width:width + frames], None, None, None, None


def _randint(gen, low, high):
    return int(torch.randint(low, high + 1, (), generator=gen))


def _resample_poly_samples(device, gen):
    from triptych.audio.functional import _resampler  # functional imports this module

    for i, (rates, quality) in enumerate([((3, 2), "hq"), ((2, 5), "fast"), ((7, 3), "hq"), ((4, 1), "fast")]):
        dtype = (torch.float32, torch.float64)[i % 2]
        orig, new, kernel, width = _resampler(*rates, quality, None, None, None, None)
        x = torch.randn(_randint(gen, 1, 3), _randint(gen, 0, 300), generator=gen, dtype=dtype).to(device)
        yield SampleInput((x, kernel.to(dtype).to(device), orig, new, width))
    # Differentiable: float64, small enough for gradcheck.
    orig, new, kernel, width = _resampler(5, 3, "fast", None, None, None, None)
    x = torch.randn(2, 30, generator=gen, dtype=torch.float64).to(device).requires_grad_(True)
    yield SampleInput((x, kernel.to(device), orig, new, width))


def _resample_poly_errors(device):
    x = torch.zeros(2, 10, device=device)
    kernel = torch.zeros(2, 2 * 1 + 3, device=device)
    yield ErrorInput((x[0], kernel, 3, 2, 1), match=r"expects a \(N, T\) waveform")
    yield ErrorInput((x.int(), kernel, 3, 2, 1), match="float32 or float64")
    yield ErrorInput((x, kernel.double(), 3, 2, 1), match="kernel dtype must match")
    yield ErrorInput((x, kernel, 3, 2, 2), match="kernel must be")
    yield ErrorInput((x, kernel, 0, 2, 1), match="orig and new must be positive")
    yield ErrorInput((x, kernel, 3, 2, -1), match="width must be >= 0")
    yield ErrorInput((x, kernel, 3, 2, 2**62), match="width .* is too large")


_resample_poly_op = define_op(
    OpDef(
        name="resample_poly",
        schema=_SCHEMA,
        reference=_resample_poly_reference,
        fake=_resample_poly_fake,
        backward=_resample_poly_backward,
        setup_context=_resample_poly_setup_context,
        sample_inputs=_resample_poly_samples,
        error_inputs=_resample_poly_errors,
    )
)


def resample_poly(waveform: torch.Tensor, kernel: torch.Tensor, orig: int, new: int, width: int) -> torch.Tensor:
    """Apply polyphase resampling filters (see the module docstring for the formula).

    Args:
        waveform: float32 or float64 ``(N, T)``.
        kernel: ``(new, 2 * width + orig)``, same dtype and device.
        orig, new: the rate ratio in lowest terms. width: the filter's half-width in input samples.

    Returns:
        ``(N, ceil(new * T / orig))``.

    Example:
        >>> import torch
        >>> from triptych.audio.ops import resample_poly
        >>> kernel = torch.zeros(1, 2 * 1 + 2)
        >>> kernel[0, 1] = 1.0  # keep every second sample
        >>> resample_poly(torch.arange(6.0)[None], kernel, 2, 1, 1)
        tensor([[0., 2., 4.]])
    """
    if not isinstance(waveform, torch.Tensor) or waveform.dim() != 2:
        raise ValueError(f"waveform must be a (N, T) tensor, got {getattr(waveform, 'shape', type(waveform))}")
    if waveform.dtype not in (torch.float32, torch.float64):
        raise TypeError(f"waveform must be float32 or float64, got {waveform.dtype}")
    for name, value in (("orig", orig), ("new", new)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if isinstance(width, bool) or not isinstance(width, int) or width < 0:
        raise ValueError(f"width must be an int >= 0, got {width!r}")
    if not isinstance(kernel, torch.Tensor) or tuple(kernel.shape) != (new, 2 * width + orig):
        raise ValueError(f"kernel must have shape (new, 2 * width + orig) = ({new}, {2 * width + orig}), "
                         f"got {tuple(getattr(kernel, 'shape', ()))}")
    if kernel.dtype != waveform.dtype or kernel.device != waveform.device:
        raise ValueError(f"kernel ({kernel.dtype}, {kernel.device}) must match the waveform's dtype and "
                         f"device ({waveform.dtype}, {waveform.device})")
    return _resample_poly_op(waveform, kernel, orig, new, width)


# --- lfilter_iir -----------------------------------------------------------------------

_BLOCK = 128  # lfilter block length: the recursion runs once per block, the rest is matmuls


def _lfilter_iir_reference(x: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IIR filter of ``x`` (rows, channels, time) with per-channel ``a``, ``b`` (channels, order+1).

    State-space form of the difference equation (transposed direct form II):
    ``s[n+1] = A s[n] + B x[n]``, ``y[n] = C s[n] + D x[n]``. Over a block of length L starting
    in state s0, ``y = obs s0 + T x`` (obs: the observability rows ``C A^k``; T: the lower-triangular
    Toeplitz matrix of the impulse response) and the end state is ``A^L s0 + G x``. Only the
    block-to-block state update is sequential; everything else is batched matrix products, and
    every step is differentiable, so autograd gives gradients for x, a and b.
    """
    rows, channels, length = x.shape
    order = a.shape[-1] - 1
    b = b / a[:, :1]
    a = a / a[:, :1]
    if order == 0:
        return x * b[:, 0].view(1, channels, 1)
    if length == 0:
        return x.clone()
    L = min(_BLOCK, length)
    eye = torch.eye(order, dtype=x.dtype, device=x.device)
    # A: (channels, order, order), companion matrix of the transposed direct form II
    A = torch.zeros(channels, order, order, dtype=x.dtype, device=x.device)
    A = A + torch.diag_embed(torch.ones(order - 1, dtype=x.dtype, device=x.device), 1)
    A = A - nnf.pad(a[:, 1:, None], (0, order - 1))
    B = b[:, 1:] - a[:, 1:] * b[:, :1]                      # (channels, order)
    D = b[:, 0]                                             # (channels,)
    powers = [eye.expand(channels, order, order)]           # A^0 .. A^L
    for _ in range(L):
        powers.append(powers[-1] @ A)
    obs = torch.stack(powers[:L], 1)[:, :, 0, :]              # (channels, L, order): C A^k, C = e_0
    h = torch.cat([D[:, None], torch.einsum("cki,ci->ck", obs[:, :-1], B)], 1)  # impulse response
    idx = torch.arange(L, device=x.device)
    lag = idx[:, None] - idx[None, :]
    T = torch.where(lag >= 0, h[:, lag.clamp(min=0)], torch.zeros((), dtype=x.dtype, device=x.device))
    A_L = powers[L]
    G = torch.stack(powers[:L][::-1], 1) @ B[:, None, :, None]  # (channels, L, order, 1): A^(L-1-j) B
    G = G[..., 0]
    n_blocks = -(-length // L)
    padded = nnf.pad(x, (0, n_blocks * L - length)).reshape(rows, channels, n_blocks, L)
    forced = torch.einsum("rcnl,cml->rcnm", padded, T)      # zero-state output per block
    end_forced = torch.einsum("rcnl,clo->rcno", padded, G)  # zero-state end state per block
    states = [torch.zeros(rows, channels, order, dtype=x.dtype, device=x.device)]
    for n in range(n_blocks - 1):
        states.append(torch.einsum("rci,coi->rco", states[-1], A_L) + end_forced[:, :, n])
    s0 = torch.stack(states, 2)                             # (rows, channels, n_blocks, order)
    y = forced + torch.einsum("rcno,clo->rcnl", s0, obs)
    return y.reshape(rows, channels, n_blocks * L)[..., :length]


def _lfilter_iir_fake(waveform, a_coeffs, b_coeffs):
    torch._check(waveform.dim() == 3, lambda: "lfilter_iir expects a (R, C, T) waveform")
    return waveform.new_empty(waveform.shape)


def _lfilter_iir_samples(device, gen):
    for order in (0, 1, 2, 4, 7):  # 1, 2, 3 and 5 coefficients have fixed-size CPU paths
        dtype = (torch.float32, torch.float64)[order % 2]
        channels = _randint(gen, 1, 3)
        poles = torch.rand(channels, order, generator=gen, dtype=torch.float64) * 1.8 - 0.9
        a = torch.ones(channels, 1, dtype=torch.float64)
        for k in range(order):  # prod (1 - p z^-1): stable
            shifted = torch.cat([torch.zeros(channels, 1, dtype=torch.float64), a], -1)
            a = torch.cat([a, torch.zeros(channels, 1, dtype=torch.float64)], -1) - poles[:, k:k + 1] * shifted
        a = a * (torch.rand(channels, 1, generator=gen, dtype=torch.float64) + 0.5)
        b = torch.randn(channels, order + 1, generator=gen, dtype=torch.float64)
        x = torch.randn(_randint(gen, 1, 3), channels, _randint(gen, 0, 300), generator=gen, dtype=dtype)
        # The recursion and the blocked form round differently; the error grows with the
        # filter's gain (up to 10**order here), so the tolerance follows the output's size.
        scale = float(_lfilter_iir_reference(x.double(), a, b).abs().max()) if x.numel() else 1.0
        tol = (1e-4 if dtype == torch.float32 else 1e-9) * max(scale, 1.0)
        yield SampleInput((x.to(device), a.to(dtype).to(device), b.to(dtype).to(device)), atol=tol, rtol=0)


def _lfilter_iir_errors(device):
    x = torch.zeros(1, 2, 10, device=device)
    a = torch.ones(2, 3, device=device)
    yield ErrorInput((x[0], a, a), match=r"expects a \(R, C, T\) waveform")
    yield ErrorInput((x.int(), a, a), match="float32 or float64")
    yield ErrorInput((x, a.double(), a.double()), match="dtypes must match")
    yield ErrorInput((x, a[:1], a[:1]), match=r"\(C, order \+ 1\) with C = 2")
    yield ErrorInput((x, a, a[:, :2]), match=r"\(C, order \+ 1\)")


_lfilter_iir_op = define_op(
    OpDef(
        name="lfilter_iir",
        schema="lfilter_iir(Tensor waveform, Tensor a_coeffs, Tensor b_coeffs) -> Tensor",
        reference=_lfilter_iir_reference,
        fake=_lfilter_iir_fake,
        sample_inputs=_lfilter_iir_samples,
        error_inputs=_lfilter_iir_errors,
    )
)


def lfilter_iir(waveform: torch.Tensor, a_coeffs: torch.Tensor, b_coeffs: torch.Tensor) -> torch.Tensor:
    """IIR filter ``a0 y[n] = sum_k b_k x[n-k] - sum_{k>=1} a_k y[n-k]`` (zero initial state),
    channel ``c`` of ``waveform (R, C, T)`` with row ``c`` of ``a_coeffs`` / ``b_coeffs``
    ``(C, order + 1)``; no clamping.

    The compiled kernel is not differentiable; when an input needs a gradient this runs the
    reference (the same filter as a blocked state-space form in differentiable torch ops).

    Example:
        >>> import torch
        >>> from triptych.audio.ops import lfilter_iir
        >>> lfilter_iir(torch.tensor([[[1.0, 0.0, 0.0]]]), torch.tensor([[1.0, -0.5]]),
        ...             torch.tensor([[1.0, 0.0]]))
        tensor([[[1.0000, 0.5000, 0.2500]]])
    """
    if not isinstance(waveform, torch.Tensor) or waveform.dim() != 3:
        raise ValueError(f"waveform must be a (R, C, T) tensor, got {getattr(waveform, 'shape', type(waveform))}")
    if waveform.dtype not in (torch.float32, torch.float64):
        raise TypeError(f"waveform must be float32 or float64, got {waveform.dtype}")
    expected = (waveform.shape[1], a_coeffs.shape[-1] if a_coeffs.dim() == 2 else -1)
    if a_coeffs.dim() != 2 or tuple(a_coeffs.shape) != expected or a_coeffs.shape != b_coeffs.shape:
        raise ValueError(f"a_coeffs {tuple(a_coeffs.shape)} and b_coeffs {tuple(b_coeffs.shape)} must both be "
                         f"(C, order + 1) with C = {waveform.shape[1]}")
    for name, c in (("a_coeffs", a_coeffs), ("b_coeffs", b_coeffs)):
        if c.dtype != waveform.dtype or c.device != waveform.device:
            raise ValueError(f"{name} ({c.dtype}, {c.device}) must match the waveform's dtype and device "
                             f"({waveform.dtype}, {waveform.device})")
    if (a_coeffs[:, 0] == 0).any():
        raise ValueError("a_coeffs[:, 0] must not be zero")
    if torch.is_grad_enabled() and any(t.requires_grad for t in (waveform, a_coeffs, b_coeffs)):
        return _lfilter_iir_reference(waveform, a_coeffs, b_coeffs)
    return _lfilter_iir_op(waveform, a_coeffs, b_coeffs)


# --- mel_power -------------------------------------------------------------------------


def _mel_power_reference(spec: torch.Tensor, fb: torch.Tensor) -> torch.Tensor:
    power = spec.square().sum(-1)                        # (N, T, F)
    return torch.matmul(power, fb).transpose(1, 2).contiguous()  # (N, M, T)


def _mel_power_fake(spec, fb):
    torch._check(spec.dim() == 4, lambda: "mel_power expects spec of shape (N, T, F, 2)")
    return spec.new_empty((spec.shape[0], fb.shape[1], spec.shape[1]))


def _mel_power_setup_context(ctx, inputs, output):
    spec, fb = inputs
    ctx.save_for_backward(spec, fb)


def _mel_power_backward(ctx, grad):
    spec, fb = ctx.saved_tensors
    grad_spec = grad_fb = None
    if ctx.needs_input_grad[0]:  # d/d spec: 2 spec * (fb @ grad) per bin
        grad_spec = 2 * spec * torch.matmul(grad.transpose(1, 2), fb.t()).unsqueeze(-1)
    if ctx.needs_input_grad[1]:  # d/d fb: sum over rows and frames of power x grad
        grad_fb = torch.einsum("ntf,nmt->fm", spec.square().sum(-1), grad)
    return grad_spec, grad_fb


def _mel_power_samples(device, gen):
    from triptych.audio.functional import melscale_fbanks  # functional imports this module

    for i, (bins, mels) in enumerate([(201, 80), (65, 16), (9, 3), (33, 40)]):
        dtype = (torch.float32, torch.float64)[i % 2]
        fb = melscale_fbanks(bins, f_min=0.0, f_max=8000.0, n_mels=mels, sample_rate=16000,
                             norm=("slaney", None)[i % 2]).to(dtype)
        spec = torch.randn(_randint(gen, 1, 3), _randint(gen, 0, 40), bins, 2, generator=gen, dtype=dtype)
        yield SampleInput((spec.to(device), fb.to(device)), rtol=1e-5, atol=1e-5)
    # Differentiable in both inputs: float64, small enough for gradcheck.
    spec = torch.randn(2, 5, 9, 2, generator=gen, dtype=torch.float64).to(device).requires_grad_(True)
    fb = torch.rand(9, 3, generator=gen, dtype=torch.float64).to(device).requires_grad_(True)
    yield SampleInput((spec, fb))


def _mel_power_errors(device):
    spec = torch.zeros(1, 4, 9, 2, device=device)
    fb = torch.zeros(9, 3, device=device)
    yield ErrorInput((spec[..., 0], fb), match=r"expects spec of shape \(N, T, F, 2\)")
    yield ErrorInput((spec.int(), fb), match="float32 or float64")
    yield ErrorInput((spec, fb.double()), match="fb dtype must match")
    yield ErrorInput((spec, fb[:8]), match=r"fb must be \(F, M\) with F = 9")


_mel_power_op = define_op(
    OpDef(
        name="mel_power",
        schema="mel_power(Tensor spec, Tensor fb) -> Tensor",
        reference=_mel_power_reference,
        fake=_mel_power_fake,
        backward=_mel_power_backward,
        setup_context=_mel_power_setup_context,
        sample_inputs=_mel_power_samples,
        error_inputs=_mel_power_errors,
    )
)


def mel_power(spec: torch.Tensor, fb: torch.Tensor) -> torch.Tensor:
    """Mel projection of a power spectrogram, fused: ``out[n, m, t] = sum_f |spec[n, t, f]|^2 fb[f, m]``.

    Args:
        spec: the complex STFT as real pairs, float32 or float64 ``(N, T, F, 2)`` —
            ``torch.view_as_real(stft.transpose(-1, -2))``, a view of ``torch.stft``'s output.
        fb: ``(F, M)`` filterbank (:func:`~triptych.audio.functional.melscale_fbanks`), same
            dtype and device.

    Returns:
        ``(N, M, T)``. The compiled CPU kernel visits each filter's non-zero bins only.
        Differentiable in both inputs.

    Example:
        >>> import torch
        >>> from triptych.audio.ops import mel_power
        >>> spec = torch.tensor([[[[3.0, 4.0], [1.0, 0.0]]]])  # N=1, T=1, F=2
        >>> mel_power(spec, torch.tensor([[1.0], [2.0]]))
        tensor([[[27.]]])
    """
    if not isinstance(spec, torch.Tensor) or spec.dim() != 4 or spec.shape[-1] != 2:
        raise ValueError(f"spec must be a (N, T, F, 2) tensor, got {getattr(spec, 'shape', type(spec))}")
    if spec.dtype not in (torch.float32, torch.float64):
        raise TypeError(f"spec must be float32 or float64, got {spec.dtype}")
    if not isinstance(fb, torch.Tensor) or fb.dim() != 2 or fb.shape[0] != spec.shape[2]:
        raise ValueError(f"fb must be (F, M) with F = {spec.shape[2]} (spec's bins), "
                         f"got {tuple(getattr(fb, 'shape', ()))}")
    if fb.dtype != spec.dtype or fb.device != spec.device:
        raise ValueError(f"fb ({fb.dtype}, {fb.device}) must match spec's dtype and device "
                         f"({spec.dtype}, {spec.device})")
    return _mel_power_op(spec, fb)
