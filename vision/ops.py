"""Vision compiled ops: ``triptych::normalize``, ``triptych::resize``, ``triptych::resized_crop``
and ``triptych::resized_crop_flip_normalize``.

Each op is defined through :func:`triptych.library.define_op`: the compiled kernels from
``core/csrc/vision`` when ``triptych._C`` has them, else the pure-torch references below.
The references are also the test oracles.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from triptych.library import ErrorInput, OpDef, SampleInput, define_op

__all__ = ["normalize", "resize", "resized_crop", "resized_crop_flip_normalize", "INTERPOLATIONS"]

INTERPOLATIONS = ("nearest", "bilinear", "bicubic")


def _is_channels_last(x: torch.Tensor) -> bool:
    if x.dim() == 4:
        return x.shape[1] > 1 and not x.is_contiguous() and x.is_contiguous(memory_format=torch.channels_last)
    return x.shape[0] > 1 and not x.is_contiguous() and x.permute(1, 2, 0).is_contiguous()


def _interpolate_float(x: torch.Tensor, size: Sequence[int], interpolation: str, antialias: bool) -> torch.Tensor:
    """(N, C, H, W) float -> (N, C, h, w) float, torch's interpolate semantics."""
    if interpolation == "nearest":
        return F.interpolate(x, size=list(size), mode="nearest")
    return F.interpolate(x, size=list(size), mode=interpolation, align_corners=False, antialias=antialias)


# --- sample and error inputs for the op conformance test (tests/test_op_conformance.py) ------
#
# Drawn from the generator only, so the test can redraw the same samples in a subprocess.

_IMAGE_DTYPES = (torch.uint8, torch.float32, torch.float64)
_LAYOUTS = ("contiguous", "channels_last", "strided")


def _randint(gen: torch.Generator, low: int, high: int) -> int:
    """Uniform in [low, high]."""
    return int(torch.randint(low, high + 1, (), generator=gen))


def _sample_image(gen: torch.Generator, device, dtype: torch.dtype, shape: tuple, layout: str) -> torch.Tensor:
    """A random image of ``shape`` on ``device`` in one of the memory layouts the kernels
    special-case: contiguous, channels-last (also the HWC view of a 3-D image), or a
    strided crop of a wider image."""
    if dtype == torch.uint8:
        x = torch.randint(0, 256, shape, dtype=dtype, generator=gen)
    else:
        x = torch.rand(shape, dtype=dtype, generator=gen)
    x = x.to(device)
    if layout == "channels_last":
        perm, back = ((0, 2, 3, 1), (0, 3, 1, 2)) if x.dim() == 4 else ((1, 2, 0), (2, 0, 1))
        return x.permute(*perm).contiguous().permute(*back)
    if layout == "strided":
        return torch.cat([x, x], dim=-1)[..., : x.shape[-1]]
    return x


def _sample_per_channel(gen: torch.Generator, channels: int) -> tuple[list[float], list[float]]:
    mean = torch.rand(channels, generator=gen).tolist()
    std = (torch.rand(channels, generator=gen) + 0.1).tolist()
    return mean, std


# --- normalize ----------------------------------------------------------------------------


def _normalize_out_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.float64 if dtype == torch.float64 else torch.float32


def _normalize_reference(
    image: torch.Tensor, mean: list[float], std: list[float], channels_last: bool = False
) -> torch.Tensor:
    out_dtype = _normalize_out_dtype(image.dtype)
    x = image.to(out_dtype)
    if image.dtype == torch.uint8:
        x = x / 255
    mean_t = torch.tensor(mean, dtype=out_dtype, device=image.device).view(-1, 1, 1)
    std_t = torch.tensor(std, dtype=out_dtype, device=image.device).view(-1, 1, 1)
    out = (x - mean_t) / std_t
    return _to_layout(out, channels_last)


def _to_layout(out: torch.Tensor, channels_last: bool) -> torch.Tensor:
    if not channels_last:
        return out.contiguous()
    if out.dim() == 4:
        return out.contiguous(memory_format=torch.channels_last)
    return out.permute(1, 2, 0).contiguous().permute(2, 0, 1)


def _normalize_fake(image, mean, std, channels_last=False):
    torch._check(image.dim() in (3, 4), lambda: "normalize expects (C, H, W) or (N, C, H, W)")
    out = image.new_empty(image.shape, dtype=_normalize_out_dtype(image.dtype))
    return _to_layout(out, channels_last)


def _normalize_setup_context(ctx, inputs, output):
    image, _, std, _ = inputs
    ctx.std = std
    ctx.input_dtype = image.dtype


def _normalize_backward(ctx, grad):
    inv_std = 1.0 / torch.tensor(ctx.std, dtype=grad.dtype, device=grad.device).view(-1, 1, 1)
    return (grad * inv_std).to(ctx.input_dtype), None, None, None


def _normalize_samples(device, gen):
    for i in range(6):
        dtype, layout = _IMAGE_DTYPES[i % 3], _LAYOUTS[(i // 2) % 3]
        c, h, w = _randint(gen, 1, 4), _randint(gen, 1, 17), _randint(gen, 1, 17)
        shape = (_randint(gen, 1, 3), c, h, w) if i % 2 else (c, h, w)
        image = _sample_image(gen, device, dtype, shape, layout)
        mean, std = _sample_per_channel(gen, c)
        yield SampleInput((image, mean, std, bool(_randint(gen, 0, 1))))
    # Differentiable: float64, small enough for gradcheck.
    image = _sample_image(gen, device, torch.float64, (2, 3, 4, 5), "channels_last").requires_grad_(True)
    mean, std = _sample_per_channel(gen, 3)
    yield SampleInput((image, mean, std, False))


def _normalize_errors(device):
    image = torch.zeros(3, 2, 2, device=device)
    yield ErrorInput((image, [0.0], [1.0], False), match="one value per channel")
    yield ErrorInput((image, [0.0] * 3, [1.0, 0.0, 1.0], False), match="std must be non-zero")
    yield ErrorInput((image[0], [0.0], [1.0], False), match=r"expects a \(C, H, W\) or \(N, C, H, W\)")
    yield ErrorInput((image.int(), [0.0] * 3, [1.0] * 3, False), match="uint8, float32 or float64")


_normalize_op = define_op(
    OpDef(
        name="normalize",
        schema="normalize(Tensor image, float[] mean, float[] std, bool channels_last=False) -> Tensor",
        reference=_normalize_reference,
        fake=_normalize_fake,
        backward=_normalize_backward,
        setup_context=_normalize_setup_context,
        sample_inputs=_normalize_samples,
        error_inputs=_normalize_errors,
    )
)


def _per_channel(values: float | Sequence[float], channels: int, what: str) -> list[float]:
    if isinstance(values, torch.Tensor):
        values = values.tolist()
    values = [float(values)] if isinstance(values, (int, float)) else [float(v) for v in values]
    if len(values) == 1:
        values = values * channels
    if len(values) != channels:
        raise ValueError(f"{what} has {len(values)} values but the image has {channels} channels")
    return values


def _mean_std(mean, std, channels: int) -> tuple[list[float], list[float]]:
    """``mean`` and ``std`` as one float per channel (one value stands for all); std non-zero."""
    mean, std = _per_channel(mean, channels, "mean"), _per_channel(std, channels, "std")
    if any(s == 0 for s in std):
        raise ValueError(f"std must be non-zero, got {std}")
    return mean, std


def normalize(
    image: torch.Tensor,
    mean: float | Sequence[float],
    std: float | Sequence[float],
    *,
    layout: str = "CHW",
    channels_last: bool = False,
) -> torch.Tensor:
    """Scale to [0, 1] (uint8 input) and normalize per channel: ``(x - mean) / std``.

    One pass over the data in the compiled kernel, instead of four in the eager expression
    ``(x.float() / 255 - mean) / std``.

    Args:
        image: ``(C, H, W)``, ``(H, W, C)`` (with ``layout="HWC"``) or ``(N, C, H, W)``;
            uint8, float16, bfloat16, float32 or float64; any memory format.
        mean, std: one value per channel, or a single value for all channels.
        layout: ``"CHW"`` (also for batches) or ``"HWC"`` for a decoded image in
            height-width-channel order; ``"HWC"`` is read in place, without a copy.
        channels_last: write the output in channels-last memory (``(N, C, H, W)`` logical
            shape, NHWC strides) for convolution models that run faster that way.

    Returns:
        float32 tensor of shape ``(C, H, W)`` or ``(N, C, H, W)`` (float64 for float64 input).
        Float input is differentiable.

    Example:
        >>> import torch
        >>> from triptych.vision.ops import normalize
        >>> x = torch.full((3, 2, 2), 255, dtype=torch.uint8)
        >>> normalize(x, mean=[0.5, 0.5, 0.5], std=[0.5, 0.5, 0.5])[:, 0, 0]
        tensor([1., 1., 1.])
    """
    if not isinstance(image, torch.Tensor):
        raise TypeError(f"normalize expects a tensor, got {type(image).__name__}")
    if layout not in ("CHW", "HWC"):
        raise ValueError(f'layout must be "CHW" or "HWC", got {layout!r}')
    if layout == "HWC":
        if image.dim() != 3:
            raise ValueError(f'layout="HWC" expects a 3-D (H, W, C) tensor, got shape {tuple(image.shape)}')
        image = image.permute(2, 0, 1)
    if image.dim() not in (3, 4):
        raise ValueError(f"normalize expects (C, H, W) or (N, C, H, W), got shape {tuple(image.shape)}")
    if image.dtype in (torch.float16, torch.bfloat16):
        image = image.float()
    elif image.dtype not in (torch.uint8, torch.float32, torch.float64):
        raise TypeError(f"normalize supports uint8 and floating-point images, got {image.dtype}")
    mean, std = _mean_std(mean, std, image.shape[-3])
    return _normalize_op(image, mean, std, channels_last)


# --- resize -------------------------------------------------------------------------------


def _resize_reference(image: torch.Tensor, size: list[int], interpolation: str = "bilinear", antialias: bool = True) -> torch.Tensor:
    torch._check(interpolation in INTERPOLATIONS, lambda: f"interpolation must be one of {INTERPOLATIONS}")
    batched = image.dim() == 4
    x = image if batched else image.unsqueeze(0)
    work = x if x.is_floating_point() else x.to(torch.float32)
    out = _interpolate_float(work, size, interpolation, antialias)
    if not image.is_floating_point():
        out = out.round_().clamp_(0, 255).to(image.dtype)
    out = out if batched else out.squeeze(0)
    return _to_layout(out, _is_channels_last(image))


def _resize_fake(image, size, interpolation="bilinear", antialias=True):
    out = image.new_empty((*image.shape[:-2], size[0], size[1]))
    return _to_layout(out, _is_channels_last(image))


def _resize_setup_context(ctx, inputs, output):
    image, size, interpolation, antialias = inputs
    ctx.image_shape = image.shape
    ctx.args = (list(size), interpolation, antialias)


def _resize_backward(ctx, grad):
    # resize is linear in the image; its vector-Jacobian product is torch's interpolate
    # backward for the same mode (the transpose of the reference's resampling).
    size, interpolation, antialias = ctx.args
    batched = len(ctx.image_shape) == 4
    grad4 = grad if batched else grad.unsqueeze(0)
    input_size = list(ctx.image_shape) if batched else [1, *ctx.image_shape]
    if interpolation == "nearest":
        grad_image = torch.ops.aten.upsample_nearest2d_backward(grad4, size, input_size)
    else:
        mode = "bilinear2d" if interpolation == "bilinear" else "bicubic2d"
        backward = getattr(torch.ops.aten, f"_upsample_{mode}_aa_backward" if antialias else f"upsample_{mode}_backward")
        grad_image = backward(grad4, size, input_size, False)
    return (grad_image if batched else grad_image.squeeze(0)), None, None, None


# torch's meta kernels for upsample_bilinear2d_backward and the bicubic backwards take concrete
# sizes only, so tracing their backward with symbolic shapes fails inside torch ("Expected
# IntList but got GenericList"); F.interpolate has the same limit. Differentiable samples of
# the other modes skip that one opcheck test.
_DYNAMIC_BACKWARD_OK = {("nearest", True), ("nearest", False), ("bilinear", True)}
_OPCHECK_NO_DYNAMIC = ("test_schema", "test_autograd_registration", "test_faketensor")


def _resize_samples(device, gen):
    # Output sizes from 2: torch's CPU antialias kernel (the reference) is wrong for a
    # one-pixel-wide output whose height changes (tests/vision/test_vision_ops.py).
    for i, (interpolation, antialias) in enumerate((m, a) for m in INTERPOLATIONS for a in (True, False)):
        dtype, layout = _IMAGE_DTYPES[i % 3], _LAYOUTS[(i // 3 + i) % 3]
        grad = dtype == torch.float64
        c, h, w = _randint(gen, 1, 4), _randint(gen, 1, 9 if grad else 30), _randint(gen, 1, 9 if grad else 30)
        shape = (_randint(gen, 1, 2), c, h, w) if i % 2 else (c, h, w)
        image = _sample_image(gen, device, dtype, shape, layout).requires_grad_(grad)
        size = [_randint(gen, 2, 8 if grad else 33), _randint(gen, 2, 8 if grad else 33)]
        tests = _OPCHECK_NO_DYNAMIC if grad and (interpolation, antialias) not in _DYNAMIC_BACKWARD_OK else None
        atol, rtol = {torch.uint8: (1, 0), torch.float32: (1e-5, 1e-5), torch.float64: (1e-10, 1e-10)}[dtype]
        yield SampleInput((image, size, interpolation, antialias), atol=atol, rtol=rtol, opcheck_tests=tests)


def _resize_errors(device):
    image = torch.zeros(3, 4, 4, device=device)
    yield ErrorInput((image, [2, 2], "lanczos", True), match="interpolation must be one of")
    yield ErrorInput((image.int(), [2, 2], "bilinear", True), match="uint8, float32 or float64")
    yield ErrorInput((image, [2, -1], "bilinear", True), match="positive")
    yield ErrorInput((image[:, :0], [2, 2], "bilinear", True), match="empty")
    # Output sizes that cannot be allocated, or whose byte count overflows int64: once
    # "torch_call_dispatcher(...) API call failed" from the stable ABI.
    yield ErrorInput((image.byte(), [10**6, 10**6], "bilinear", True),
                     match=r"size gives an output \(3, 1000000, 1000000\) of 3000000000000 bytes, which cannot be")
    yield ErrorInput((image, [2**62, 2**62], "bilinear", True), match="size gives an output .* too large to address")


resize_op = define_op(
    OpDef(
        name="resize",
        schema="resize(Tensor image, int[2] size, str interpolation=\"bilinear\", bool antialias=True) -> Tensor",
        reference=_resize_reference,
        fake=_resize_fake,
        backward=_resize_backward,
        setup_context=_resize_setup_context,
        sample_inputs=_resize_samples,
        error_inputs=_resize_errors,
    )
)


def resize(image: torch.Tensor, size: Sequence[int], *, interpolation: str = "bilinear", antialias: bool = True) -> torch.Tensor:
    """Resize ``(C, H, W)`` or ``(N, C, H, W)`` images to ``size`` = (h, w).

    uint8 or float input (uint8 output is rounded and saturated); contiguous or channels-last
    memory, kept in the output. ``antialias`` filters when downscaling (as PIL and torch's
    ``interpolate(antialias=True)``); it does nothing for ``"nearest"``.

    Example:
        >>> import torch
        >>> from triptych.vision.ops import resize
        >>> resize(torch.zeros(3, 100, 80, dtype=torch.uint8), (50, 40)).shape
        torch.Size([3, 50, 40])
    """
    _check_image(image, "resize")
    size = _check_size(size, image, image.dtype)
    _check_interpolation(interpolation)
    return resize_op(image, size, interpolation, bool(antialias))


# --- resized_crop_flip_normalize --------------------------------------------------------------


def _rcfn_reference(
    image: torch.Tensor, boxes: torch.Tensor, flips: torch.Tensor, size: list[int],
    interpolation: str, antialias: bool, mean: list[float], std: list[float], channels_last: bool = False,
) -> torch.Tensor:
    batched = image.dim() == 4
    images = image if batched else image.unsqueeze(0)
    box_rows = boxes.reshape(-1, 4).tolist()
    flip_rows = flips.reshape(-1).tolist()
    torch._check(len(box_rows) == images.shape[0] and len(flip_rows) == images.shape[0],
                 lambda: "need one crop box and one flip flag per image")
    out_dtype = _normalize_out_dtype(image.dtype)
    unit = 1.0 / 255 if image.dtype == torch.uint8 else 1.0
    outs = []
    for img, (top, left, height, width), flip in zip(images, box_rows, flip_rows):
        crop = img[:, top:top + height, left:left + width].unsqueeze(0).to(out_dtype)
        resized = _interpolate_float(crop, size, interpolation, antialias)[0]
        if flip:
            resized = resized.flip(-1)
        outs.append(resized * unit)
    out = torch.stack(outs)
    m = torch.tensor(mean, dtype=out_dtype, device=image.device).view(-1, 1, 1)
    s = torch.tensor(std, dtype=out_dtype, device=image.device).view(-1, 1, 1)
    out = (out - m) / s
    return _to_layout(out if batched else out[0], channels_last)


def _rcfn_fake(image, boxes, flips, size, interpolation, antialias, mean, std, channels_last=False):
    out = image.new_empty((*image.shape[:-2], size[0], size[1]), dtype=_normalize_out_dtype(image.dtype))
    return _to_layout(out, channels_last)


def _sample_boxes(gen: torch.Generator, n: int, height: int, width: int, device) -> torch.Tensor:
    rows = []
    for _ in range(n):
        h, w = _randint(gen, 1, height), _randint(gen, 1, width)
        rows.append([_randint(gen, 0, height - h), _randint(gen, 0, width - w), h, w])
    return torch.tensor(rows, dtype=torch.int64, device=device)


def _crop_sample_cases(device, gen):
    """(image, boxes, size, interpolation, antialias) for the crop ops' samples: every mode,
    every dtype and layout, one image with a (4,) box or a batch with (N, 4) boxes."""
    for i, (interpolation, antialias) in enumerate((m, a) for m in INTERPOLATIONS for a in (True, False)):
        dtype, layout = _IMAGE_DTYPES[i % 3], _LAYOUTS[(i // 3 + i) % 3]
        c, h, w = _randint(gen, 1, 4), _randint(gen, 1, 30), _randint(gen, 1, 30)
        n = _randint(gen, 1, 3) if i % 2 else 1
        image = _sample_image(gen, device, dtype, (n, c, h, w) if i % 2 else (c, h, w), layout)
        boxes = _sample_boxes(gen, n, h, w, device)
        size = [_randint(gen, 2, 33), _randint(gen, 2, 33)]  # from 2: see _resize_samples
        yield image, boxes if i % 2 else boxes[0], size, interpolation, antialias


# Boxes whose end overflows int64: once a segfault (left), an out-of-bounds read that returned
# different values each run (top) and a std::length_error, because the bounds check added
# top + height.
_OVERFLOWING_BOXES = ([0, 2**63 - 1, 5, 5], [2**63 - 1, 0, 5, 5], [2**62, 2**62, 2**62, 50], [0, 0, 2**63 - 1, 5])


def _rcfn_samples(device, gen):
    for image, boxes, size, interpolation, antialias in _crop_sample_cases(device, gen):
        n, c = boxes.reshape(-1, 4).shape[0], image.shape[-3]
        flips = (torch.rand(n, generator=gen) < 0.5).to(device)
        mean, std = _sample_per_channel(gen, c)
        tol = 1e-10 if image.dtype == torch.float64 else 5e-5
        yield SampleInput((image, boxes, flips, size, interpolation, antialias, mean, std, bool(_randint(gen, 0, 1))),
                          atol=tol, rtol=tol)


def _rcfn_errors(device):
    image = torch.zeros(3, 10, 11, device=device)

    def call(boxes, *, image=image, flips=(False,), size=(4, 4), interpolation="bilinear", dtype=torch.int64, match):
        return ErrorInput((image, torch.tensor(boxes, dtype=dtype, device=device), torch.tensor(flips, device=device),
                           list(size), interpolation, True, [0.0] * 3, [1.0] * 3), match=match)

    yield call([[4, 0, 7, 5]], match="does not lie inside")
    yield call([[0, 0, 5, 5]], interpolation="area", match="interpolation must be one of")
    yield call([[0, 0, 5, 5]], dtype=torch.int32, match="boxes must be int64")
    yield call([[0, 0, 5, 5]], flips=(True, False), match="one flag per image")
    for box in _OVERFLOWING_BOXES:
        yield call([box], image=image.byte(), match="does not lie inside")
    yield call([[0, 0, 5, 5]], size=(2**62, 4), match="size gives an output .* too large to address")


rcfn_op = define_op(
    OpDef(
        name="resized_crop_flip_normalize",
        schema=(
            "resized_crop_flip_normalize(Tensor image, Tensor boxes, Tensor flips, int[2] size, "
            "str interpolation, bool antialias, float[] mean, float[] std, bool channels_last=False) -> Tensor"
        ),
        reference=_rcfn_reference,
        fake=_rcfn_fake,
        sample_inputs=_rcfn_samples,
        error_inputs=_rcfn_errors,
    )
)


def resized_crop_flip_normalize(
    image: torch.Tensor,
    boxes: torch.Tensor | Sequence[int],
    flips: torch.Tensor | bool,
    size: Sequence[int],
    *,
    interpolation: str = "bilinear",
    antialias: bool = True,
    mean: float | Sequence[float] = 0.0,
    std: float | Sequence[float] = 1.0,
    channels_last: bool = False,
) -> torch.Tensor:
    """Crop -> resize -> optional horizontal flip -> scale/normalize, in one pass.

    Equivalent to ``normalize(to_dtype(hflip?(resize(crop(image, *box), size)), scale=True))``
    without the intermediate uint8 rounding, so it matches that chain within one uint8 level
    before normalisation.

    Args:
        image: uint8 or float ``(C, H, W)`` (or its channels-last/HWC view) or a batch
            ``(N, C, H, W)`` of same-sized images.
        boxes: crop boxes ``(top, left, height, width)``: shape ``(4,)`` for one image,
            ``(N, 4)`` for a batch; inside the image.
        flips: bool, or a bool tensor ``(N,)``: flip that sample horizontally.
        size: output (h, w).
        mean, std: per channel (or one value); uint8 input is first scaled to [0, 1].
        channels_last: write NHWC memory.

    Returns:
        float32 ``(C, h, w)`` or ``(N, C, h, w)``.

    Example:
        >>> import torch
        >>> from triptych.vision.ops import resized_crop_flip_normalize
        >>> img = torch.randint(0, 256, (3, 64, 48), dtype=torch.uint8)
        >>> resized_crop_flip_normalize(img, [8, 4, 32, 32], True, (16, 16), mean=0.5, std=0.5).shape
        torch.Size([3, 16, 16])
    """
    _check_image(image, "resized_crop_flip_normalize")
    size = _check_size(size, image, _normalize_out_dtype(image.dtype))
    _check_interpolation(interpolation)
    boxes = _check_boxes(image, boxes)
    n = boxes.shape[0]
    if isinstance(flips, torch.Tensor):
        flip_rows = flips.reshape(-1).tolist()
    else:
        flip_rows = [bool(flips)] if isinstance(flips, (bool, int)) else [bool(f) for f in flips]
    if len(flip_rows) != n:
        raise ValueError(f"need {n} flip flag(s), one per image, got {len(flip_rows)}")
    flips = flips.to(device=image.device, dtype=torch.bool).reshape(-1) if isinstance(flips, torch.Tensor) \
        else torch.tensor(flip_rows, dtype=torch.bool, device=image.device)
    mean, std = _mean_std(mean, std, image.shape[-3])
    return rcfn_op(image, boxes, flips, size, interpolation, bool(antialias), mean, std, bool(channels_last))


# --- resized_crop ---------------------------------------------------------------------------------


def _resized_crop_reference(
    image: torch.Tensor, boxes: torch.Tensor, size: list[int], interpolation: str = "bilinear", antialias: bool = True,
) -> torch.Tensor:
    batched = image.dim() == 4
    images = image if batched else image.unsqueeze(0)
    box_rows = boxes.reshape(-1, 4).tolist()
    torch._check(len(box_rows) == images.shape[0], lambda: "need one crop box per image")
    outs = [_resize_reference(img[:, top:top + height, left:left + width], size, interpolation, antialias)
            for img, (top, left, height, width) in zip(images, box_rows)]
    out = torch.stack(outs)
    return _to_layout(out if batched else out[0], _is_channels_last(image))


def _resized_crop_fake(image, boxes, size, interpolation="bilinear", antialias=True):
    return _resize_fake(image, size)  # resize's output: the image's dtype and memory format


def _resized_crop_samples(device, gen):
    for args in _crop_sample_cases(device, gen):
        atol, rtol = {torch.uint8: (1, 0), torch.float32: (5e-5, 5e-5), torch.float64: (1e-10, 1e-10)}[args[0].dtype]
        yield SampleInput(args, atol=atol, rtol=rtol)


def _resized_crop_errors(device):
    image = torch.zeros(3, 10, 11, dtype=torch.uint8, device=device)

    def call(boxes, *, image=image, size=(4, 4), interpolation="bilinear", dtype=torch.int64, match):
        return ErrorInput((image, torch.tensor(boxes, dtype=dtype, device=device), list(size), interpolation, True),
                          match=match)

    yield call([[4, 0, 7, 5]], match="does not lie inside")
    yield call([[0, 0, 5, 5]], interpolation="area", match="interpolation must be one of")
    yield call([[0, 0, 5, 5]], dtype=torch.int32, match="boxes must be int64")
    yield call([[0, 0, 5, 5], [0, 0, 5, 5]], match=r"boxes must have shape \(N, 4\)")
    yield call([[0, 0, 5, 5]], image=image.int(), match="uint8, float32 or float64")
    for box in _OVERFLOWING_BOXES:
        yield call([box], match="does not lie inside")
    yield call([[0, 0, 5, 5]], size=(2**62, 4), match="size gives an output .* too large to address")


resized_crop_op = define_op(
    OpDef(
        name="resized_crop",
        schema=(
            "resized_crop(Tensor image, Tensor boxes, int[2] size, str interpolation=\"bilinear\", "
            "bool antialias=True) -> Tensor"
        ),
        reference=_resized_crop_reference,
        fake=_resized_crop_fake,
        sample_inputs=_resized_crop_samples,
        error_inputs=_resized_crop_errors,
    )
)


def resized_crop(
    image: torch.Tensor,
    boxes: torch.Tensor | Sequence[int],
    size: Sequence[int],
    *,
    interpolation: str = "bilinear",
    antialias: bool = True,
) -> torch.Tensor:
    """Crop each image to its box and resize the crop to ``size``, in one pass.

    Equivalent to ``resize(image[..., top:top + height, left:left + width], size)`` per image
    (uint8 output rounded and saturated, the input's memory format kept), without the cropped
    copies; a batch is one call, with one box per image.

    Args:
        image: uint8 or float ``(C, H, W)`` (or its channels-last/HWC view) or a batch
            ``(N, C, H, W)`` of same-sized images.
        boxes: crop boxes ``(top, left, height, width)``: shape ``(4,)`` for one image,
            ``(N, 4)`` for a batch; inside the image.
        size: output (h, w).

    Returns:
        ``(C, h, w)`` or ``(N, C, h, w)``, the image's dtype.

    Example:
        >>> import torch
        >>> from triptych.vision.ops import resized_crop
        >>> batch = torch.randint(0, 256, (2, 3, 64, 48), dtype=torch.uint8)
        >>> resized_crop(batch, [[8, 4, 32, 32], [0, 0, 64, 48]], (16, 16)).shape
        torch.Size([2, 3, 16, 16])
    """
    _check_image(image, "resized_crop")
    size = _check_size(size, image, image.dtype)
    _check_interpolation(interpolation)
    return resized_crop_op(image, _check_boxes(image, boxes), size, interpolation, bool(antialias))


_KERNEL_DTYPES = (torch.uint8, torch.float32, torch.float64)


def _check_image(
    image: torch.Tensor,
    name: str,
    channels: Sequence[int] | None = None,
    *,
    ndims: Sequence[int] | None = (3, 4),
    min_ndim: int = 3,
    dtypes: Sequence[torch.dtype] | None = _KERNEL_DTYPES,
    allow_empty: bool = False,
) -> None:
    """The one image check of vision (ops, functionals, drawing utilities).

    ``image`` must be a tensor with ``ndims`` dimensions (``None``: at least ``min_ndim``, i.e.
    ``(..., C, H, W)``, or ``(..., H, W)`` with ``min_ndim=2``), a dtype in ``dtypes``
    (``None``: any; the string ``"uint8 or float"`` in the message comes from the set), ``C``
    in ``channels`` when given and, unless ``allow_empty`` (photometric kernels map an empty
    image to an empty image), at least one pixel: an empty image has nothing to resample.
    """
    if not isinstance(image, torch.Tensor):
        raise TypeError(f"{name} expects a tensor, got {type(image).__name__}")
    if ndims is not None and image.dim() not in ndims:
        shapes = {2: "(H, W)", 3: "(C, H, W)", 4: "(N, C, H, W)"}
        wanted = " or ".join(shapes[n] for n in ndims)
        extra = " (not a batch)" if tuple(ndims) == (3,) else ""
        raise ValueError(f"{name} expects {wanted}{extra}, got shape {tuple(image.shape)}")
    if ndims is None and image.dim() < min_ndim:
        layout = "(..., C, H, W)" if min_ndim == 3 else "(..., H, W)"
        raise ValueError(f"{name} expects an image {layout}, got shape {tuple(image.shape)}")
    if dtypes is not None and image.dtype not in dtypes:
        names = ", ".join(str(d).removeprefix("torch.") for d in dtypes)
        raise TypeError(f"{name} supports {names} images, got {image.dtype}")
    if channels is not None and image.shape[-3] not in channels:
        raise TypeError(f"{name} expects images with C in {tuple(channels)}, got shape "
                         f"{tuple(image.shape)}")
    if not allow_empty and (image.shape[-2] == 0 or image.shape[-1] == 0):
        raise ValueError(f"{name} got an empty image of shape {tuple(image.shape)}: height and "
                         "width must be at least 1")


def _index(value, what: str) -> int:
    """``value`` as a Python int; floats are refused instead of truncated."""
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must hold integers, got {value!r}") from None


def _check_boxes(image: torch.Tensor, boxes) -> torch.Tensor:
    """``boxes`` (one ``(top, left, height, width)`` per image: a sequence, or a tensor ``(4,)``
    or ``(N, 4)``) as an int64 ``(N, 4)`` tensor on the image's device, each box inside it."""
    n = image.shape[0] if image.dim() == 4 else 1
    # Checked as Python ints (exact, no overflow): for one image this costs microseconds, where
    # the same checks as tensor expressions cost more than the kernel's launch.
    if isinstance(boxes, torch.Tensor):
        box_rows = _integer_rows(boxes)
    elif len(boxes) == 4 and all(isinstance(v, int) for v in boxes):
        box_rows = [list(boxes)]
    else:
        try:
            box_rows = _integer_rows(torch.as_tensor(boxes))  # no dtype: floats are refused, not truncated
        except (OverflowError, RuntimeError, ValueError) as exc:
            raise ValueError(f"crop boxes must be int64 values, got {boxes!r}") from exc
    if len(box_rows) != n:
        raise ValueError(f"need {n} crop box(es), one per image, got {len(box_rows)}")
    height, width = image.shape[-2:]
    for top, left, h, w in box_rows:
        if top < 0 or left < 0 or h <= 0 or w <= 0 or top + h > height or left + w > width:
            raise ValueError(f"crop boxes must lie inside the {height}x{width} image, got {box_rows}")
    if isinstance(boxes, torch.Tensor):
        return boxes.to(device=image.device, dtype=torch.int64).reshape(-1, 4)
    return torch.tensor(box_rows, dtype=torch.int64, device=image.device)


def _integer_rows(boxes: torch.Tensor) -> list[list[int]]:
    if boxes.is_floating_point() or boxes.is_complex() or boxes.dtype == torch.bool:
        raise TypeError(f"boxes must hold integers, got a {boxes.dtype} tensor")
    if boxes.numel() % 4:
        raise ValueError(f"crop boxes must be (top, left, height, width) rows, got shape {tuple(boxes.shape)}")
    return boxes.reshape(-1, 4).tolist()


def _check_size(size: Sequence[int] | int, image: torch.Tensor, out_dtype: torch.dtype) -> list[int]:
    """(height, width) as two positive ints whose output ``image``'s batch and channels
    times ``out_dtype``'s size still addresses (below 2**63 bytes), like the kernels' check."""
    size = [_index(size, "size")] * 2 if not isinstance(size, (Sequence, torch.Tensor)) else \
        [_index(s, "size") for s in size]
    if len(size) != 2 or min(size) < 1:
        raise ValueError(f"size must be (height, width) of positive integers, got {size}")
    shape = (*image.shape[:-2], *size)
    if math.prod(shape) * out_dtype.itemsize >= 2**63:
        raise ValueError(f"size {size} gives an output {shape} too large to address (2**63 bytes or more)")
    return size


def _check_interpolation(interpolation: str) -> None:
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")


# --- detection ops (nms, boxes, RoI pooling, losses): vision/_detection_ops.py ----------------

from triptych.vision import _detection_ops  # noqa: E402
from triptych.vision._detection_ops import *  # noqa: E402,F401,F403

__all__ += _detection_ops.__all__
