"""Detection ops with torchvision's names and semantics, re-exported by :mod:`triptych.vision.ops`:
non-maximum suppression, box geometry and IoU families, RoI pooling and detection losses.

The compiled ones (``triptych::nms``, ``triptych::batched_nms``, ``triptych::box_iou``, …) are
defined through :func:`triptych.library.define_op`, with the pure-torch references below as
fallback and test oracle. Boxes are ``(x1, y1, x2, y2)`` rows unless a function says otherwise.
"""

from __future__ import annotations

import math

import torch

from triptych.library import ErrorInput, OpDef, SampleInput, define_op

__all__ = [
    "nms", "batched_nms", "box_convert", "box_area", "clip_boxes_to_image", "remove_small_boxes", "masks_to_boxes",
    "box_iou", "generalized_box_iou", "distance_box_iou", "complete_box_iou", "generalized_box_iou_loss",
    "distance_box_iou_loss", "complete_box_iou_loss", "roi_align", "roi_pool",
    "MultiScaleRoIAlign", "sigmoid_focal_loss", "stochastic_depth", "drop_block2d", "StochasticDepth", "DropBlock2d",
]


# --- shared checks --------------------------------------------------------------------------


def _check_boxes_tensor(boxes, name: str, what: str = "boxes") -> None:
    if not isinstance(boxes, torch.Tensor):
        raise TypeError(f"{name}: {what} must be a tensor, got {type(boxes).__name__}")
    if boxes.dim() != 2 or boxes.shape[-1] != 4:
        raise ValueError(f"{name}: {what} must be an (N, 4) tensor, got shape {tuple(boxes.shape)}")
    if not boxes.is_floating_point():
        raise TypeError(f"{name}: {what} must be a floating-point tensor, got {boxes.dtype}")


def _kernel_float(*tensors: torch.Tensor) -> list[torch.Tensor]:
    """The tensors in the dtype the kernels take: float64 stays, other floats become float32."""
    dtype = torch.float64 if any(t.dtype == torch.float64 for t in tensors) else torch.float32
    return [t.to(dtype) for t in tensors]


# --- nms and batched_nms ----------------------------------------------------------------------


def _iou_tv(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    """(N, M) IoU with torchvision's NMS arithmetic and operation order, in the boxes' dtype:
    ``inter / (area_i + area_j - inter)``, areas not clamped (a degenerate box has a negative
    or zero area, exactly as torchvision computes it)."""
    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])
    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])
    w = (torch.minimum(boxes1[:, None, 2], boxes2[None, :, 2]) - torch.maximum(boxes1[:, None, 0], boxes2[None, :, 0]))
    h = (torch.minimum(boxes1[:, None, 3], boxes2[None, :, 3]) - torch.maximum(boxes1[:, None, 1], boxes2[None, :, 1]))
    inter = w.clamp(min=0) * h.clamp(min=0)
    return inter / (area1[:, None] + area2[None, :] - inter)


def _nms_reference(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    torch._check(boxes.dim() == 2 and boxes.shape[-1] == 4, lambda: "nms: boxes must be an (N, 4) tensor")
    order = torch.sort(scores, descending=True, stable=True).indices
    ranked = boxes[order]
    keep = torch.ones(order.numel(), dtype=torch.bool, device=boxes.device)
    for i in range(order.numel()):
        if keep[i]:
            # Compared in float64, as torchvision's kernel compares its float IoU with a double
            # threshold. One row at a time: memory O(N), not O(N**2).
            over = _iou_tv(ranked[i:i + 1], ranked[i + 1:])[0].double() > iou_threshold
            keep[i + 1:] &= ~over
    return order[keep]


def _batched_nms_reference(
    boxes: torch.Tensor, scores: torch.Tensor, idxs: torch.Tensor, iou_threshold: float
) -> torch.Tensor:
    # Per category (torchvision's "vanilla" path: no coordinate offsets, so no rounding), then
    # every kept box in the one stable score order.
    keep = torch.zeros(scores.numel(), dtype=torch.bool, device=boxes.device)
    for category in torch.unique(idxs):
        members = torch.where(idxs == category)[0]
        keep[members[_nms_reference(boxes[members], scores[members], iou_threshold)]] = True
    order = torch.sort(scores, descending=True, stable=True).indices
    return order[keep[order]]


def _nms_fake(boxes, scores, iou_threshold):
    torch._check(boxes.dim() == 2 and boxes.shape[-1] == 4, lambda: "nms: boxes must be an (N, 4) tensor")
    kept = torch.library.get_ctx().new_dynamic_size()
    return boxes.new_empty((kept,), dtype=torch.int64)


def _batched_nms_fake(boxes, scores, idxs, iou_threshold):
    return _nms_fake(boxes, scores, iou_threshold)


_IOU_THRESHOLDS = (0.0, 0.1, 0.3, 0.5, 0.7, 1.0, -0.5)


def _sample_detections(gen: torch.Generator, n: int, dtype: torch.dtype, kind: str) -> tuple[torch.Tensor, torch.Tensor]:
    """n random (x1, y1, x2, y2) boxes clustered around a few objects, so suppression happens,
    and scores. ``kind``: "plain"; "ties" (scores from 3 values, some boxes repeated);
    "degenerate" (zero-size and inverted boxes mixed in); "huge" (coordinates near 1e30 in
    float32 / 1e300 in float64, so areas overflow to inf)."""
    centres = torch.rand(max(1, n // 8), 2, generator=gen, dtype=torch.float64) * 100
    pick = torch.randint(0, centres.shape[0], (n,), generator=gen)
    xy = centres[pick] + torch.randn(n, 2, generator=gen, dtype=torch.float64) * 3
    wh = torch.rand(n, 2, generator=gen, dtype=torch.float64) * 20 + 1
    boxes = torch.cat([xy, xy + wh], 1)
    scores = torch.rand(n, generator=gen, dtype=torch.float64)
    if kind == "ties" and n > 0:  # randint(0, n) needs n > 0; no boxes, nothing to repeat
        scores = torch.randint(0, 3, (n,), generator=gen).double() / 2
        copies = torch.randint(0, n, (n // 4,), generator=gen)
        boxes[torch.randint(0, n, (n // 4,), generator=gen)] = boxes[copies]
    elif kind == "degenerate":
        rows = torch.rand(n, generator=gen) < 0.3
        boxes[rows] = boxes[rows][:, [2, 3, 0, 1]]  # inverted: x2 < x1, y2 < y1
        flat = torch.rand(n, generator=gen) < 0.2
        boxes[flat, 2] = boxes[flat, 0]  # zero width
    elif kind == "huge":
        boxes = boxes * (1e28 if dtype == torch.float32 else 1e298)
    return boxes.to(dtype), scores.to(dtype)


def _nms_sample_cases(device, gen):
    for i, kind in enumerate(("plain", "ties", "degenerate", "huge", "plain", "ties")):
        dtype = (torch.float32, torch.float64)[i % 2]
        n = _randint(gen, 0 if i == 4 else 1, 300)
        boxes, scores = _sample_detections(gen, n, dtype, kind)
        threshold = _IOU_THRESHOLDS[_randint(gen, 0, len(_IOU_THRESHOLDS) - 1)]
        yield boxes.to(device), scores.to(device), threshold


def _randint(gen: torch.Generator, low: int, high: int) -> int:
    """Uniform in [low, high]."""
    return int(torch.randint(low, high + 1, (), generator=gen))


def _nms_samples(device, gen):
    for boxes, scores, threshold in _nms_sample_cases(device, gen):
        yield SampleInput((boxes, scores, threshold), atol=0, rtol=0)


def _batched_nms_samples(device, gen):
    for boxes, scores, threshold in _nms_sample_cases(device, gen):
        idxs = torch.randint(0, _randint(gen, 1, 5), (boxes.shape[0],), generator=gen).to(device)
        yield SampleInput((boxes, scores, idxs, threshold), atol=0, rtol=0)


def _nms_error_cases(device):
    boxes, scores = torch.zeros(3, 4, device=device), torch.zeros(3, device=device)
    yield (boxes[:, :3], scores), r"boxes must be an \(N, 4\) tensor"
    yield (boxes[0], scores), r"boxes must be an \(N, 4\) tensor"
    yield (boxes.int(), scores), "boxes must be float32 or float64"
    yield (boxes, scores[:2]), "one score per box"
    yield (boxes, scores.double()), "scores must have the dtype of boxes"


def _nms_errors(device):
    for args, match in _nms_error_cases(device):
        yield ErrorInput((*args, 0.5), match=match)


def _batched_nms_errors(device):
    idxs = torch.zeros(3, dtype=torch.int64, device=device)
    for (boxes, scores), match in _nms_error_cases(device):
        yield ErrorInput((boxes, scores, idxs, 0.5), match=match)
    boxes, scores = torch.zeros(3, 4, device=device), torch.zeros(3, device=device)
    yield ErrorInput((boxes, scores, idxs[:2], 0.5), match="one category per box")
    yield ErrorInput((boxes, scores, idxs.int(), 0.5), match="idxs must be int64")


_nms_op = define_op(
    OpDef(
        name="nms",
        schema="nms(Tensor boxes, Tensor scores, float iou_threshold) -> Tensor",
        reference=_nms_reference,
        fake=_nms_fake,
        sample_inputs=_nms_samples,
        error_inputs=_nms_errors,
    )
)

_batched_nms_op = define_op(
    OpDef(
        name="batched_nms",
        schema="batched_nms(Tensor boxes, Tensor scores, Tensor idxs, float iou_threshold) -> Tensor",
        reference=_batched_nms_reference,
        fake=_batched_nms_fake,
        sample_inputs=_batched_nms_samples,
        error_inputs=_batched_nms_errors,
    )
)


def _check_scores(boxes: torch.Tensor, scores, name: str, what: str = "scores") -> None:
    if not isinstance(scores, torch.Tensor):
        raise TypeError(f"{name}: {what} must be a tensor, got {type(scores).__name__}")
    if scores.shape != boxes.shape[:1]:
        raise ValueError(f"{name}: {what} must have shape ({boxes.shape[0]},), one per box, got {tuple(scores.shape)}")
    if scores.device != boxes.device:
        raise ValueError(f"{name}: {what} is on {scores.device} but boxes are on {boxes.device}")


def _check_threshold(iou_threshold) -> float:
    if isinstance(iou_threshold, torch.Tensor):
        iou_threshold = iou_threshold.item()
    if isinstance(iou_threshold, bool) or not isinstance(iou_threshold, (int, float)):
        raise TypeError(f"iou_threshold must be a number, got {iou_threshold!r}")
    return float(iou_threshold)


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Non-maximum suppression: the indices of the boxes kept, by decreasing score.

    Boxes are visited by decreasing score; each box not yet suppressed is kept and
    suppresses every later box whose IoU with it is above ``iou_threshold`` (torchvision's
    semantics and IoU arithmetic). Equal scores keep their input order (a stable sort, the
    order ``torch.sort(scores, descending=True, stable=True)`` gives), so ties are reproducible.

    Args:
        boxes: ``(N, 4)`` floating-point ``(x1, y1, x2, y2)`` boxes (finite coordinates).
        scores: ``(N,)`` scores, on the device of ``boxes``.
        iou_threshold: boxes with IoU strictly above it are suppressed.

    Returns:
        int64 tensor ``(K,)`` of indices into ``boxes``, sorted by decreasing score.

    Example:
        >>> import torch
        >>> from triptych.vision.ops import nms
        >>> boxes = torch.tensor([[0., 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]])
        >>> nms(boxes, torch.tensor([0.9, 0.8, 0.7]), 0.5)
        tensor([0, 2])
    """
    _check_boxes_tensor(boxes, "nms")
    _check_scores(boxes, scores, "nms")
    boxes, scores = _kernel_float(boxes.detach(), scores.detach())
    return _nms_op(boxes, scores, _check_threshold(iou_threshold))


def batched_nms(boxes: torch.Tensor, scores: torch.Tensor, idxs: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Non-maximum suppression per category: boxes of different ``idxs`` never suppress each other.

    Same result as running :func:`nms` on each category alone (torchvision's semantics,
    computed per category rather than with its coordinate-offset trick, which rounds large
    coordinates), the kept indices of all categories merged by decreasing score, equal
    scores in input order.

    Args:
        boxes: ``(N, 4)`` floating-point ``(x1, y1, x2, y2)`` boxes.
        scores: ``(N,)`` scores.
        idxs: ``(N,)`` integer category of each box.
        iou_threshold: boxes with IoU strictly above it are suppressed.

    Returns:
        int64 tensor ``(K,)`` of indices into ``boxes``, sorted by decreasing score.

    Example:
        >>> import torch
        >>> from triptych.vision.ops import batched_nms
        >>> boxes = torch.tensor([[0., 0, 10, 10], [1, 1, 10, 10], [1, 1, 10, 10]])
        >>> batched_nms(boxes, torch.tensor([0.9, 0.8, 0.7]), torch.tensor([0, 0, 1]), 0.5)
        tensor([0, 2])
    """
    _check_boxes_tensor(boxes, "batched_nms")
    _check_scores(boxes, scores, "batched_nms")
    _check_scores(boxes, idxs, "batched_nms", "idxs")
    if idxs.is_floating_point() or idxs.is_complex():
        raise TypeError(f"batched_nms: idxs must be an integer tensor, got {idxs.dtype}")
    boxes, scores = _kernel_float(boxes.detach(), scores.detach())
    return _batched_nms_op(boxes, scores, idxs.to(torch.int64), _check_threshold(iou_threshold))


# --- box geometry -----------------------------------------------------------------------------

_BOX_FORMATS = ("xyxy", "xywh", "cxcywh")


def _check_format(fmt: str, what: str = "fmt") -> None:
    if fmt not in _BOX_FORMATS:
        raise ValueError(f"{what} must be one of {_BOX_FORMATS}, got {fmt!r}")


def _check_boxes_any(boxes, name: str, what: str = "boxes") -> None:
    """A tensor whose last dimension holds the 4 coordinates of each box."""
    if not isinstance(boxes, torch.Tensor):
        raise TypeError(f"{name}: {what} must be a tensor, got {type(boxes).__name__}")
    if boxes.dim() == 0 or boxes.shape[-1] != 4:
        raise ValueError(f"{name}: {what} must have a last dimension of 4, got shape {tuple(boxes.shape)}")


def _upcast(t: torch.Tensor) -> torch.Tensor:
    """Arithmetic that cannot overflow (torchvision's rule): float16 -> float32, small ints -> int32/int64."""
    if t.is_floating_point():
        return t if t.dtype in (torch.float32, torch.float64) else t.float()
    return t if t.dtype in (torch.int32, torch.int64) else t.int()


def box_convert(boxes: torch.Tensor, in_fmt: str, out_fmt: str) -> torch.Tensor:
    """Convert ``(..., 4)`` boxes between ``"xyxy"`` (corners), ``"xywh"`` (top-left corner,
    width, height) and ``"cxcywh"`` (centre, width, height).

    Example:
        >>> import torch
        >>> from triptych.vision.ops import box_convert
        >>> box_convert(torch.tensor([[10., 20, 30, 60]]), "xyxy", "cxcywh")
        tensor([[20., 40., 20., 40.]])
    """
    _check_boxes_any(boxes, "box_convert")
    _check_format(in_fmt, "in_fmt")
    _check_format(out_fmt, "out_fmt")
    if in_fmt == out_fmt:
        return boxes.clone()
    a, b, c, d = boxes.unbind(-1)
    if in_fmt == "xywh":
        a, b, c, d = a, b, a + c, b + d
    elif in_fmt == "cxcywh":
        a, b, c, d = a - 0.5 * c, b - 0.5 * d, a + 0.5 * c, b + 0.5 * d
    if out_fmt == "xywh":
        a, b, c, d = a, b, c - a, d - b
    elif out_fmt == "cxcywh":
        a, b, c, d = (a + c) / 2, (b + d) / 2, c - a, d - b
    return torch.stack((a, b, c, d), dim=-1)


def box_area(boxes: torch.Tensor, fmt: str = "xyxy") -> torch.Tensor:
    """Area of ``(..., 4)`` boxes in ``fmt``; shape ``(...)``. Not clamped: an inverted
    ``xyxy`` box has a negative area, as in torchvision.

    Example:
        >>> import torch
        >>> from triptych.vision.ops import box_area
        >>> box_area(torch.tensor([[0, 0, 4, 3], [1, 1, 2, 2]]))
        tensor([12,  1])
    """
    _check_boxes_any(boxes, "box_area")
    _check_format(fmt)
    boxes = _upcast(boxes)
    if fmt == "xyxy":
        return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
    return boxes[..., 2] * boxes[..., 3]


def clip_boxes_to_image(boxes: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Clip ``(..., 4)`` ``xyxy`` boxes to an image of ``size = (height, width)``: x into
    ``[0, width]``, y into ``[0, height]``.

    Example:
        >>> import torch
        >>> from triptych.vision.ops import clip_boxes_to_image
        >>> clip_boxes_to_image(torch.tensor([[-5., 2, 50, 70]]), (60, 40))
        tensor([[ 0.,  2., 40., 60.]])
    """
    _check_boxes_any(boxes, "clip_boxes_to_image")
    if len(size) != 2:
        raise ValueError(f"clip_boxes_to_image: size must be (height, width), got {size!r}")
    height, width = size
    x = boxes[..., 0::2].clamp(min=0, max=width)
    y = boxes[..., 1::2].clamp(min=0, max=height)
    return torch.stack((x, y), dim=-1).reshape(boxes.shape)


def remove_small_boxes(boxes: torch.Tensor, min_size: float) -> torch.Tensor:
    """Indices (int64, ascending) of the ``(N, 4)`` ``xyxy`` boxes whose width and height are
    both at least ``min_size``.

    Example:
        >>> import torch
        >>> from triptych.vision.ops import remove_small_boxes
        >>> remove_small_boxes(torch.tensor([[0., 0, 10, 10], [0, 0, 10, 0.5], [5, 5, 7, 8]]), 1.0)
        tensor([0, 2])
    """
    _check_boxes_any(boxes, "remove_small_boxes")
    ws, hs = boxes[..., 2] - boxes[..., 0], boxes[..., 3] - boxes[..., 1]
    return torch.where((ws >= min_size) & (hs >= min_size))[0]


def masks_to_boxes(masks: torch.Tensor) -> torch.Tensor:
    """The ``xyxy`` box (float32, ``(N, 4)``) around the non-zero pixels of each ``(N, H, W)``
    mask: inclusive pixel indices, as torchvision; an empty mask gives a zero box.

    Example:
        >>> import torch
        >>> from triptych.vision.ops import masks_to_boxes
        >>> mask = torch.zeros(1, 5, 6, dtype=torch.bool)
        >>> mask[0, 1:3, 2:5] = True
        >>> masks_to_boxes(mask)
        tensor([[2., 1., 4., 2.]])
    """
    if not isinstance(masks, torch.Tensor) or masks.dim() != 3:
        raise ValueError(f"masks_to_boxes: masks must be an (N, H, W) tensor, got "
                         f"{tuple(masks.shape) if isinstance(masks, torch.Tensor) else type(masks).__name__}")
    n, height, width = masks.shape
    if masks.numel() == 0:
        return torch.zeros((n, 4), device=masks.device, dtype=torch.float)
    nonzero = masks != 0
    cols, rows = nonzero.any(1), nonzero.any(2)  # (N, W), (N, H)
    xs = torch.arange(width, device=masks.device, dtype=torch.float)
    ys = torch.arange(height, device=masks.device, dtype=torch.float)
    inf = torch.tensor(float("inf"), device=masks.device)
    boxes = torch.stack((torch.where(cols, xs, inf).amin(1), torch.where(rows, ys, inf).amin(1),
                         torch.where(cols, xs, -inf).amax(1), torch.where(rows, ys, -inf).amax(1)), dim=1)
    return torch.where(cols.any(1, keepdim=True), boxes, torch.zeros_like(boxes))


# --- box_iou (compiled) and the IoU family ----------------------------------------------------


def _box_iou_reference(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    """torchvision's box_iou arithmetic (the oracle the kernel matches bit for bit on x86)."""
    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])
    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])
    lt = torch.max(boxes1[:, None, :2], boxes2[None, :, :2])
    rb = torch.min(boxes1[:, None, 2:], boxes2[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter / (area1[:, None] + area2[None, :] - inter)


def _box_iou_fake(boxes1, boxes2):
    torch._check(boxes1.dim() == 2 and boxes1.shape[-1] == 4, lambda: "box_iou: boxes1 must be an (N, 4) tensor")
    torch._check(boxes2.dim() == 2 and boxes2.shape[-1] == 4, lambda: "box_iou: boxes2 must be an (M, 4) tensor")
    return boxes1.new_empty((boxes1.shape[0], boxes2.shape[0]))


def _box_iou_setup_context(ctx, inputs, output):
    ctx.save_for_backward(*inputs)


def _box_iou_backward(ctx, grad):
    # The vector-Jacobian product of the reference (same formula, so the same gradient).
    boxes1, boxes2 = ctx.saved_tensors
    _, vjp = torch.func.vjp(_box_iou_reference, boxes1, boxes2)
    return vjp(grad)


def _box_iou_samples(device, gen):
    # Degenerate and huge boxes give 0/0 and inf/inf = NaN, which the harness's comparison
    # refuses; tests/vision/test_detection_ops.py checks those against the reference.
    for i, kind in enumerate(("plain", "ties", "plain", "ties")):
        dtype = (torch.float32, torch.float64)[i % 2]
        a, _ = _sample_detections(gen, _randint(gen, 0, 60), dtype, kind)
        b, _ = _sample_detections(gen, _randint(gen, 1, 60), dtype, kind)
        yield SampleInput((a.to(device), b.to(device)), atol=1e-6, rtol=1e-6)
    # Differentiable: proper boxes (positive sizes), float64, small.
    a, _ = _sample_detections(gen, 5, torch.float64, "plain")
    b, _ = _sample_detections(gen, 4, torch.float64, "plain")
    yield SampleInput((a.to(device).requires_grad_(True), b.to(device).requires_grad_(True)), atol=1e-12, rtol=1e-12)


def _box_iou_errors(device):
    boxes = torch.zeros(3, 4, device=device)
    yield ErrorInput((boxes[:, :3], boxes), match=r"boxes1 must be an \(N, 4\) tensor")
    yield ErrorInput((boxes, boxes[None]), match=r"boxes2 must be an \(M, 4\) tensor")
    yield ErrorInput((boxes.long(), boxes), match="boxes1 must be float32 or float64")
    yield ErrorInput((boxes, boxes.double()), match="boxes2 must have the dtype of boxes1")
    box = torch.zeros(1, 4, device=device)
    yield ErrorInput((box.expand(2**20, 4), box.expand(2**21, 4)),
                     match=r"output \(1048576, 2097152\) of 8796093022208 bytes cannot be allocated")
    yield ErrorInput((box.expand(2**31, 4), box.expand(2**31, 4)), match="too large to address")


_box_iou_op = define_op(
    OpDef(
        name="box_iou",
        schema="box_iou(Tensor boxes1, Tensor boxes2) -> Tensor",
        reference=_box_iou_reference,
        fake=_box_iou_fake,
        backward=_box_iou_backward,
        setup_context=_box_iou_setup_context,
        sample_inputs=_box_iou_samples,
        error_inputs=_box_iou_errors,
    )
)


def _pair(boxes1, boxes2, name: str, fmt: str = "xyxy") -> tuple[torch.Tensor, torch.Tensor]:
    """Both box sets checked, in xyxy and one float dtype the kernels take."""
    _check_boxes_any(boxes1, name, "boxes1")
    _check_boxes_any(boxes2, name, "boxes2")
    if boxes1.dim() != 2 or boxes2.dim() != 2:
        raise ValueError(f"{name}: boxes1 and boxes2 must be (N, 4) and (M, 4) tensors, got shapes "
                         f"{tuple(boxes1.shape)} and {tuple(boxes2.shape)}")
    if boxes1.device != boxes2.device:
        raise ValueError(f"{name}: boxes1 is on {boxes1.device} but boxes2 is on {boxes2.device}")
    _check_format(fmt)
    if fmt != "xyxy":
        boxes1, boxes2 = box_convert(boxes1, fmt, "xyxy"), box_convert(boxes2, fmt, "xyxy")
    return tuple(_kernel_float(boxes1, boxes2))


def box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor, fmt: str = "xyxy") -> torch.Tensor:
    """Pairwise intersection over union of ``(N, 4)`` and ``(M, 4)`` boxes: ``(N, M)``.

    One compiled pass (torchvision's arithmetic, differentiable). Integer and float16 boxes
    are computed in float32; float64 stays float64.

    Example:
        >>> import torch
        >>> from triptych.vision.ops import box_iou
        >>> box_iou(torch.tensor([[0., 0, 2, 2]]), torch.tensor([[1., 1, 3, 3], [0, 0, 2, 2]]))
        tensor([[0.1429, 1.0000]])
    """
    return _box_iou_op(*_pair(boxes1, boxes2, "box_iou", fmt))


def _enclosing_wh(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    lt = torch.min(boxes1[:, None, :2], boxes2[None, :, :2])
    rb = torch.max(boxes1[:, None, 2:], boxes2[None, :, 2:])
    return (rb - lt).clamp(min=0)


def generalized_box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    """Pairwise generalized IoU ``iou - (C - union) / C`` (C: the enclosing box's area), ``(N, M)``.

    Example:
        >>> import torch
        >>> from triptych.vision.ops import generalized_box_iou
        >>> generalized_box_iou(torch.tensor([[0., 0, 1, 1]]), torch.tensor([[2., 0, 3, 1]]))
        tensor([[-0.3333]])
    """
    boxes1, boxes2 = _pair(boxes1, boxes2, "generalized_box_iou")
    iou = _box_iou_op(boxes1, boxes2)
    union = _inter_union(boxes1, boxes2)[1]
    whi = _enclosing_wh(boxes1, boxes2)
    areai = whi[..., 0] * whi[..., 1]
    return iou - (areai - union) / areai


def _inter_union(boxes1: torch.Tensor, boxes2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    area1 = box_area(boxes1)
    area2 = box_area(boxes2)
    wh = (torch.min(boxes1[:, None, 2:], boxes2[None, :, 2:]) - torch.max(boxes1[:, None, :2], boxes2[None, :, :2]))
    wh = wh.clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter, area1[:, None] + area2[None, :] - inter


def _diou_iou(boxes1: torch.Tensor, boxes2: torch.Tensor, eps: float) -> tuple[torch.Tensor, torch.Tensor]:
    iou = _box_iou_op(boxes1, boxes2)
    whi = _enclosing_wh(boxes1, boxes2)
    diagonal_squared = whi[..., 0] ** 2 + whi[..., 1] ** 2 + eps
    cx1, cy1 = (boxes1[:, 0] + boxes1[:, 2]) / 2, (boxes1[:, 1] + boxes1[:, 3]) / 2
    cx2, cy2 = (boxes2[:, 0] + boxes2[:, 2]) / 2, (boxes2[:, 1] + boxes2[:, 3]) / 2
    centres_squared = (cx1[:, None] - cx2[None, :]) ** 2 + (cy1[:, None] - cy2[None, :]) ** 2
    return iou - centres_squared / diagonal_squared, iou


def distance_box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Pairwise distance IoU ``iou - d² / c²`` (d: centre distance, c: enclosing-box diagonal), ``(N, M)``.

    Example:
        >>> import torch
        >>> from triptych.vision.ops import distance_box_iou
        >>> distance_box_iou(torch.tensor([[0., 0, 1, 1]]), torch.tensor([[0., 0, 1, 1]]))
        tensor([[1.]])
    """
    return _diou_iou(*_pair(boxes1, boxes2, "distance_box_iou"), eps)[0]


def _aspect_term(w1, h1, w2, h2) -> torch.Tensor:
    return 4 / torch.pi**2 * torch.pow(torch.atan(w2 / h2) - torch.atan(w1 / h1), 2)


def complete_box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Pairwise complete IoU: distance IoU minus ``alpha * v`` for the aspect-ratio mismatch ``v``, ``(N, M)``.

    Example:
        >>> import torch
        >>> from triptych.vision.ops import complete_box_iou
        >>> complete_box_iou(torch.tensor([[0., 0, 2, 1]]), torch.tensor([[0., 0, 2, 1]]))
        tensor([[1.]])
    """
    boxes1, boxes2 = _pair(boxes1, boxes2, "complete_box_iou")
    diou, iou = _diou_iou(boxes1, boxes2, eps)
    w1, h1 = (boxes1[:, 2] - boxes1[:, 0])[:, None], (boxes1[:, 3] - boxes1[:, 1])[:, None]
    w2, h2 = (boxes2[:, 2] - boxes2[:, 0])[None, :], (boxes2[:, 3] - boxes2[:, 1])[None, :]
    v = _aspect_term(w1, h1, w2, h2)
    with torch.no_grad():
        alpha = v / (1 - iou + v + eps)
    return diou - alpha * v


# --- IoU losses (paired boxes) ----------------------------------------------------------------


def _reduce(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean() if loss.numel() > 0 else 0.0 * loss.sum()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"reduction must be 'none', 'mean' or 'sum', got {reduction!r}")


def _loss_pair(boxes1, boxes2, name: str, reduction: str) -> tuple[torch.Tensor, torch.Tensor]:
    _check_boxes_any(boxes1, name, "boxes1")
    _check_boxes_any(boxes2, name, "boxes2")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{name}: reduction must be 'none', 'mean' or 'sum', got {reduction!r}")
    if boxes1.dtype not in (torch.float32, torch.float64):
        boxes1 = boxes1.float()
    if boxes2.dtype not in (torch.float32, torch.float64):
        boxes2 = boxes2.float()
    return boxes1, boxes2


def _loss_inter_union(boxes1, boxes2):
    x1, y1, x2, y2 = boxes1.unbind(-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(-1)
    w = torch.min(x2, x2g) - torch.max(x1, x1g)
    h = torch.min(y2, y2g) - torch.max(y1, y1g)
    inter = torch.where((w > 0) & (h > 0), w * h, torch.zeros_like(w))
    union = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - inter
    return inter, union


def _loss_enclosing(boxes1, boxes2):
    x1, y1, x2, y2 = boxes1.unbind(-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(-1)
    return torch.max(x2, x2g) - torch.min(x1, x1g), torch.max(y2, y2g) - torch.min(y1, y1g)


def _diou_loss(boxes1, boxes2, eps):
    inter, union = _loss_inter_union(boxes1, boxes2)
    iou = inter / (union + eps)
    cw, ch = _loss_enclosing(boxes1, boxes2)
    diagonal_squared = cw**2 + ch**2 + eps
    x1, y1, x2, y2 = boxes1.unbind(-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(-1)
    centres_squared = ((x2 + x1) / 2 - (x1g + x2g) / 2) ** 2 + ((y2 + y1) / 2 - (y1g + y2g) / 2) ** 2
    return 1 - iou + centres_squared / diagonal_squared, iou


def generalized_box_iou_loss(boxes1: torch.Tensor, boxes2: torch.Tensor, reduction: str = "none",
                             eps: float = 1e-7) -> torch.Tensor:
    """``1 - GIoU`` of matching ``(..., 4)`` ``xyxy`` boxes (``boxes1[k]`` with ``boxes2[k]``),
    reduced by ``reduction`` (``"none"``, ``"mean"``, ``"sum"``).

    Example:
        >>> import torch
        >>> from triptych.vision.ops import generalized_box_iou_loss
        >>> generalized_box_iou_loss(torch.tensor([[0., 0, 2, 2]]), torch.tensor([[1., 0, 3, 2]])).round(decimals=4)
        tensor([0.6667])
    """
    boxes1, boxes2 = _loss_pair(boxes1, boxes2, "generalized_box_iou_loss", reduction)
    inter, union = _loss_inter_union(boxes1, boxes2)
    iou = inter / (union + eps)
    cw, ch = _loss_enclosing(boxes1, boxes2)
    area_c = cw * ch
    return _reduce(1 - (iou - (area_c - union) / (area_c + eps)), reduction)


def distance_box_iou_loss(boxes1: torch.Tensor, boxes2: torch.Tensor, reduction: str = "none",
                          eps: float = 1e-7) -> torch.Tensor:
    """``1 - DIoU`` of matching ``(..., 4)`` ``xyxy`` boxes, reduced by ``reduction``.

    Example:
        >>> import torch
        >>> from triptych.vision.ops import distance_box_iou_loss
        >>> distance_box_iou_loss(torch.tensor([[0., 0, 2, 2]]), torch.tensor([[1., 0, 3, 2]])).round(decimals=4)
        tensor([0.7436])
    """
    boxes1, boxes2 = _loss_pair(boxes1, boxes2, "distance_box_iou_loss", reduction)
    return _reduce(_diou_loss(boxes1, boxes2, eps)[0], reduction)


def complete_box_iou_loss(boxes1: torch.Tensor, boxes2: torch.Tensor, reduction: str = "none",
                          eps: float = 1e-7) -> torch.Tensor:
    """``1 - CIoU`` of matching ``(..., 4)`` ``xyxy`` boxes, reduced by ``reduction``.

    Example:
        >>> import torch
        >>> from triptych.vision.ops import complete_box_iou_loss
        >>> complete_box_iou_loss(torch.tensor([[0., 0, 2, 2]]), torch.tensor([[1., 0, 3, 2]])).round(decimals=4)
        tensor([0.7436])
    """
    boxes1, boxes2 = _loss_pair(boxes1, boxes2, "complete_box_iou_loss", reduction)
    # torchvision computes the DIoU part with the default eps whatever eps is passed; so do we.
    diou_loss, iou = _diou_loss(boxes1, boxes2, 1e-7)
    w1, h1 = boxes1[..., 2] - boxes1[..., 0], boxes1[..., 3] - boxes1[..., 1]
    w2, h2 = boxes2[..., 2] - boxes2[..., 0], boxes2[..., 3] - boxes2[..., 1]
    v = _aspect_term(w1, h1, w2, h2)
    with torch.no_grad():
        alpha = v / (1 - iou + v + eps)
    return _reduce(diou_loss + alpha * v, reduction)


# --- roi_align and roi_pool -------------------------------------------------------------------


def _axis_weights(start: torch.Tensor, bin_size: torch.Tensor, bins: int, grid: int, extent: int) -> torch.Tensor:
    """(bins, extent) weights: row p sums the bilinear taps of bin p's ``grid`` samples
    (torchvision's roi_align sampling; samples outside [-1, extent] count as 0)."""
    dtype = start.dtype
    p = torch.arange(bins, dtype=dtype, device=start.device)[:, None]
    s = torch.arange(grid, dtype=dtype, device=start.device)[None, :] + 0.5
    v = start + p * bin_size + s * bin_size / grid  # (bins, grid)
    valid = (v >= -1) & (v <= extent)
    v = torch.where(valid, v.clamp(min=0), torch.zeros_like(v))
    low = v.floor().long()
    edge = low >= extent - 1
    low = torch.where(edge, torch.full_like(low, extent - 1), low)
    high = torch.where(edge, low, low + 1)
    v = torch.where(edge, low.to(dtype), v)
    w_high = (v - low.to(dtype)) * valid
    w_low = (1 - (v - low.to(dtype))) * valid
    weights = torch.zeros(bins, extent, dtype=dtype, device=start.device)
    return weights.scatter_add(1, low, w_low).scatter_add(1, high, w_high)


def _roi_grid(sampling_ratio: int, extent: float, bins: int) -> int:
    return sampling_ratio if sampling_ratio > 0 else max(0, math.ceil(extent / bins))


def _roi_align_reference(input: torch.Tensor, rois: torch.Tensor, spatial_scale: float, pooled_height: int,
                         pooled_width: int, sampling_ratio: int, aligned: bool) -> torch.Tensor:
    _, channels, height, width = input.shape
    outs = []
    offset = 0.5 if aligned else 0.0
    for roi in rois:
        scaled = roi[1:] * spatial_scale - offset
        start_w, start_h = scaled[0], scaled[1]
        roi_w, roi_h = scaled[2] - start_w, scaled[3] - start_h
        if not aligned:
            roi_w, roi_h = roi_w.clamp(min=1), roi_h.clamp(min=1)
        grid_h = _roi_grid(sampling_ratio, float(roi_h), pooled_height)
        grid_w = _roi_grid(sampling_ratio, float(roi_w), pooled_width)
        wy = _axis_weights(start_h, roi_h / pooled_height, pooled_height, grid_h, height)
        wx = _axis_weights(start_w, roi_w / pooled_width, pooled_width, grid_w, width)
        plane = input[int(roi[0])]
        outs.append(torch.einsum("ph,chw,qw->cpq", wy, plane, wx) / max(grid_h * grid_w, 1))
    if not outs:
        return input.new_zeros((0, channels, pooled_height, pooled_width))
    return torch.stack(outs).contiguous()


def _roi_align_fake(input, rois, spatial_scale, pooled_height, pooled_width, sampling_ratio, aligned):
    torch._check(input.dim() == 4, lambda: "roi_align: input must be an (N, C, H, W) tensor")
    torch._check(rois.dim() == 2 and rois.shape[1] == 5, lambda: "roi_align: rois must be a (K, 5) tensor")
    return input.new_empty((rois.shape[0], input.shape[1], pooled_height, pooled_width))


def _roi_align_setup_context(ctx, inputs, output):
    input, rois, *args = inputs
    ctx.save_for_backward(rois)
    ctx.input_shape = tuple(input.shape)
    ctx.args = args


def _roi_align_backward(ctx, grad):
    (rois,) = ctx.saved_tensors
    spatial_scale, pooled_height, pooled_width, sampling_ratio, aligned = ctx.args
    grad_input = _roi_align_backward_op(grad, rois, spatial_scale, pooled_height, pooled_width, *ctx.input_shape,
                                        sampling_ratio, aligned)
    return grad_input, None, None, None, None, None, None


def _roi_align_backward_reference(grad, rois, spatial_scale, pooled_height, pooled_width, batch_size, channels, height,
                                  width, sampling_ratio, aligned):
    # roi_align is linear in its input: the vector-Jacobian product of the reference.
    zeros = grad.new_zeros((batch_size, channels, height, width))
    _, vjp = torch.func.vjp(lambda x: _roi_align_reference(x, rois, spatial_scale, pooled_height, pooled_width,
                                                           sampling_ratio, aligned), zeros)
    return vjp(grad)[0].contiguous()


def _roi_align_backward_fake(grad, rois, spatial_scale, pooled_height, pooled_width, batch_size, channels, height,
                             width, sampling_ratio, aligned):
    return grad.new_empty((batch_size, channels, height, width))


def _sample_rois(gen: torch.Generator, k: int, batch: int, height: int, width: int, spatial_scale: float,
                 dtype: torch.dtype) -> torch.Tensor:
    """k random (batch index, x1, y1, x2, y2) rows in input coordinates (feature map / scale),
    some reaching outside the feature map, some smaller than a pixel."""
    idx = torch.randint(0, batch, (k, 1), generator=gen).to(dtype)
    size = torch.tensor([width, height], dtype=dtype)
    xy = (torch.rand(k, 2, generator=gen, dtype=dtype) * 1.4 - 0.2) * size
    wh = torch.rand(k, 2, generator=gen, dtype=dtype) * size * (torch.rand(k, 1, generator=gen, dtype=dtype) < 0.8)
    return torch.cat([idx, xy / spatial_scale, (xy + wh) / spatial_scale], 1)


def _roi_cases(device, gen, count: int, grad_only: bool = False):
    """(input, rois, spatial_scale, pooled_height, pooled_width, sampling_ratio, aligned) draws."""
    for i in range(count):
        grad = grad_only or i == count - 1
        dtype = torch.float64 if grad or i % 2 else torch.float32
        n, c = _randint(gen, 1, 2), _randint(gen, 1, 3 if grad else 70)
        h, w = _randint(gen, 1, 6 if grad else 12), _randint(gen, 1, 6 if grad else 12)
        layout = _LAYOUT_NAMES[i % 3]
        x = torch.rand(n, c, h, w, generator=gen, dtype=dtype)
        if layout == "channels_last":
            x = x.contiguous(memory_format=torch.channels_last)
        elif layout == "strided":
            x = torch.cat([x, x], -1)[..., :w]
        scale = (1.0, 0.5, 0.25)[_randint(gen, 0, 2)]
        rois = _sample_rois(gen, _randint(gen, 0 if i == 1 else 1, 5), n, h, w, scale, dtype)
        yield (x.to(device).requires_grad_(grad), rois.to(device), scale, _randint(gen, 1, 4), _randint(gen, 1, 4),
               (-1, 0, 1, 2)[_randint(gen, 0, 3)], bool(_randint(gen, 0, 1)))


_LAYOUT_NAMES = ("contiguous", "channels_last", "strided")


def _roi_align_samples(device, gen):
    for args in _roi_cases(device, gen, 6):
        yield SampleInput(args, atol=1e-5, rtol=1e-5)


def _roi_align_backward_samples(device, gen):
    for x, rois, scale, ph, pw, ratio, aligned in _roi_cases(device, gen, 4):
        grad = torch.randn(rois.shape[0], x.shape[1], ph, pw, generator=gen, dtype=x.dtype).to(device)
        yield SampleInput((grad, rois, scale, ph, pw, *x.shape, ratio, aligned), atol=1e-5, rtol=1e-5)


def _roi_error_cases(device):
    x = torch.zeros(1, 2, 4, 4, device=device)
    rois = torch.tensor([[0.0, 0, 0, 2, 2]], device=device)
    yield (x[0], rois), r"input must be an \(N, C, H, W\) tensor"
    yield (x.int(), rois), "input must be float32 or float64"
    yield (x[..., :0], rois), r"input is empty \(height or width 0\)"
    yield (x, rois[:, :4]), r"rois must be a \(K, 5\) tensor"
    yield (x, rois.double()), "rois must have the dtype of input"
    yield (x, torch.tensor([[1.0, 0, 0, 2, 2]], device=device)), r"roi 0 has batch index 1, outside \[0, 1\)"
    yield (x, torch.tensor([[-1.0, 0, 0, 2, 2]], device=device)), "roi 0 has batch index -1"
    yield (x, torch.tensor([[float("nan"), 0, 0, 2, 2]], device=device)), "roi 0 has batch index nan"


def _roi_align_errors(device):
    for (x, rois), match in _roi_error_cases(device):
        yield ErrorInput((x, rois, 1.0, 2, 2, -1, False), match=match)
    x = torch.zeros(1, 2, 4, 4, device=device)
    rois = torch.tensor([[0.0, 0, 0, 2, 2]], device=device)
    yield ErrorInput((x, rois, 1.0, 0, 2, -1, False), match="output_size must be")
    yield ErrorInput((x, torch.tensor([[0.0, 0, 0, 1e12, 2]], device=device), 1.0, 2, 2, -1, False),
                     match="sampling grid per bin")
    yield ErrorInput((x, rois.expand(2**40, 5), 1.0, 2**12, 2**12, 1, False), match="output_size gives an output")


def _roi_align_backward_errors(device):
    grad = torch.zeros(1, 2, 2, 2, device=device)
    rois = torch.tensor([[0.0, 0, 0, 2, 2]], device=device)
    yield ErrorInput((grad, rois, 1.0, 2, 2, 1, 3, 4, 4, -1, False), match="does not match grad's channels")
    yield ErrorInput((grad, rois, 1.0, 3, 2, 1, 2, 4, 4, -1, False), match="grad must be")
    yield ErrorInput((grad, rois[:, :4], 1.0, 2, 2, 1, 2, 4, 4, -1, False), match=r"rois must be a \(K, 5\)")
    yield ErrorInput((grad, torch.tensor([[3.0, 0, 0, 2, 2]], device=device), 1.0, 2, 2, 1, 2, 4, 4, -1, False),
                     match="roi 0 has batch index 3")


_roi_align_backward_op = define_op(
    OpDef(
        name="_roi_align_backward",
        schema="_roi_align_backward(Tensor grad, Tensor rois, float spatial_scale, int pooled_height, "
        "int pooled_width, int batch_size, int channels, int height, int width, int sampling_ratio, "
        "bool aligned) -> Tensor",
        reference=_roi_align_backward_reference,
        fake=_roi_align_backward_fake,
        sample_inputs=_roi_align_backward_samples,
        error_inputs=_roi_align_backward_errors,
    )
)

_roi_align_op = define_op(
    OpDef(
        name="roi_align",
        schema="roi_align(Tensor input, Tensor rois, float spatial_scale, int pooled_height, int pooled_width, "
        "int sampling_ratio, bool aligned) -> Tensor",
        reference=_roi_align_reference,
        fake=_roi_align_fake,
        backward=_roi_align_backward,
        setup_context=_roi_align_setup_context,
        sample_inputs=_roi_align_samples,
        error_inputs=_roi_align_errors,
    )
)


def _round_half_away(v: float) -> int:
    """C's round(): halves away from zero, exact for any double."""
    a = abs(v)
    r = math.floor(a)
    r += 1 if a - r >= 0.5 else 0
    return int(math.copysign(r, v))


def _pool_bins(lo: torch.Tensor, hi: torch.Tensor, scale: float, bins: int, extent: int) -> list[tuple[int, int]]:
    """roi_pool's [start, end) of each bin along one axis, in the rois' dtype as torchvision."""
    s, e = _round_half_away(float(lo * scale)), _round_half_away(float(hi * scale))
    size = torch.tensor(max(e - s + 1, 1), dtype=lo.dtype)
    bin_size = size / bins
    out = []
    for p in range(bins):
        start = math.floor(float(torch.tensor(p, dtype=lo.dtype) * bin_size)) + s
        end = math.ceil(float(torch.tensor(p + 1, dtype=lo.dtype) * bin_size)) + s
        out.append((min(max(start, 0), extent), min(max(end, 0), extent)))
    return out


def _roi_pool_reference(input: torch.Tensor, rois: torch.Tensor, spatial_scale: float, pooled_height: int,
                        pooled_width: int) -> torch.Tensor:
    _, channels, height, width = input.shape
    outs = []
    for roi in rois:
        plane = input[int(roi[0])]
        rows = _pool_bins(roi[2], roi[4], spatial_scale, pooled_height, height)
        cols = _pool_bins(roi[1], roi[3], spatial_scale, pooled_width, width)
        bins = [plane[:, h0:h1, w0:w1].amax((-1, -2)) if h1 > h0 and w1 > w0 else plane.new_zeros(channels)
                for h0, h1 in rows for w0, w1 in cols]
        outs.append(torch.stack(bins, -1).reshape(channels, pooled_height, pooled_width))
    if not outs:
        return input.new_zeros((0, channels, pooled_height, pooled_width))
    return torch.stack(outs).contiguous()


def _roi_pool_fake(input, rois, spatial_scale, pooled_height, pooled_width):
    torch._check(input.dim() == 4, lambda: "roi_pool: input must be an (N, C, H, W) tensor")
    torch._check(rois.dim() == 2 and rois.shape[1] == 5, lambda: "roi_pool: rois must be a (K, 5) tensor")
    return input.new_empty((rois.shape[0], input.shape[1], pooled_height, pooled_width))


def _roi_pool_setup_context(ctx, inputs, output):
    input, rois, *args = inputs
    ctx.save_for_backward(input, rois)
    ctx.args = args


def _roi_pool_backward(ctx, grad):
    input, rois = ctx.saved_tensors
    return _roi_pool_backward_op(grad, input.detach(), rois, *ctx.args), None, None, None, None


def _roi_pool_backward_reference(grad, input, rois, spatial_scale, pooled_height, pooled_width):
    _, vjp = torch.func.vjp(lambda x: _roi_pool_reference(x, rois, spatial_scale, pooled_height, pooled_width), input)
    return vjp(grad)[0].contiguous()


def _roi_pool_backward_fake(grad, input, rois, spatial_scale, pooled_height, pooled_width):
    return torch.empty_like(input, memory_format=torch.contiguous_format)


def _roi_pool_samples(device, gen):
    for x, rois, scale, ph, pw, _, _ in _roi_cases(device, gen, 6):
        yield SampleInput((x, rois, scale, ph, pw), atol=0, rtol=0)


def _roi_pool_backward_samples(device, gen):
    for x, rois, scale, ph, pw, _, _ in _roi_cases(device, gen, 4):
        grad = torch.randn(rois.shape[0], x.shape[1], ph, pw, generator=gen, dtype=x.dtype).to(device)
        tol = 1e-12 if x.dtype == torch.float64 else 1e-5  # gradient sums in another order
        yield SampleInput((grad, x.detach(), rois, scale, ph, pw), atol=tol, rtol=tol)


def _roi_pool_errors(device):
    for (x, rois), match in _roi_error_cases(device):
        yield ErrorInput((x, rois, 1.0, 2, 2), match=match)
    x = torch.zeros(1, 2, 4, 4, device=device)
    yield ErrorInput((x, torch.tensor([[0.0, 0, 0, 2, 2]], device=device), 1.0, 2, -2), match="output_size must be")
    yield ErrorInput((x, torch.tensor([[0.0, 0, 0, 1e30, 2]], device=device), 1.0, 2, 2), match=r"outside \+-2\*\*40")
    yield ErrorInput((x, torch.tensor([[0.0, 0, float("inf"), 1, 2]], device=device), 1.0, 2, 2), match="not finite")


def _roi_pool_backward_errors(device):
    x = torch.zeros(1, 2, 4, 4, device=device)
    rois = torch.tensor([[0.0, 0, 0, 2, 2]], device=device)
    yield ErrorInput((torch.zeros(1, 2, 3, 2, device=device), x, rois, 1.0, 2, 2), match="grad must be")
    yield ErrorInput((torch.zeros(1, 2, 2, 2, device=device).double(), x, rois, 1.0, 2, 2), match="dtype and device")
    yield ErrorInput((torch.zeros(1, 2, 2, 2, device=device), x, rois + torch.tensor([2.0, 0, 0, 0, 0], device=device), 1.0, 2, 2),
                     match="roi 0 has batch index 2")


_roi_pool_backward_op = define_op(
    OpDef(
        name="_roi_pool_backward",
        schema="_roi_pool_backward(Tensor grad, Tensor input, Tensor rois, float spatial_scale, int pooled_height, "
        "int pooled_width) -> Tensor",
        reference=_roi_pool_backward_reference,
        fake=_roi_pool_backward_fake,
        sample_inputs=_roi_pool_backward_samples,
        error_inputs=_roi_pool_backward_errors,
    )
)

_roi_pool_op = define_op(
    OpDef(
        name="roi_pool",
        schema="roi_pool(Tensor input, Tensor rois, float spatial_scale, int pooled_height, int pooled_width) -> Tensor",
        reference=_roi_pool_reference,
        fake=_roi_pool_fake,
        backward=_roi_pool_backward,
        setup_context=_roi_pool_setup_context,
        sample_inputs=_roi_pool_samples,
        error_inputs=_roi_pool_errors,
    )
)


def _rois(input: torch.Tensor, boxes, name: str) -> torch.Tensor:
    """boxes as a (K, 5) (batch index, x1, y1, x2, y2) tensor in the input's dtype and device:
    a (K, 5) tensor as is, or a list of (L_i, 4) per-image tensors (image i gets index i)."""
    if isinstance(boxes, torch.Tensor):
        if boxes.dim() != 2 or boxes.shape[1] != 5:
            raise ValueError(f"{name}: boxes must be a (K, 5) tensor or a list of (L, 4) tensors, got shape "
                             f"{tuple(boxes.shape)}")
        rois = boxes
    elif isinstance(boxes, (list, tuple)):
        for i, b in enumerate(boxes):
            if not isinstance(b, torch.Tensor) or b.dim() != 2 or b.shape[1] != 4:
                raise ValueError(f"{name}: boxes[{i}] must be an (L, 4) tensor, got "
                                 f"{tuple(b.shape) if isinstance(b, torch.Tensor) else type(b).__name__}")
        if len(boxes) > input.shape[0]:
            raise ValueError(f"{name}: {len(boxes)} box tensors for a batch of {input.shape[0]} images")
        if not boxes:
            rois = input.new_zeros((0, 5))
        else:
            rois = torch.cat([torch.cat([torch.full_like(b[:, :1], i, dtype=input.dtype), b.to(input.dtype)], 1)
                              for i, b in enumerate(boxes)])
    else:
        raise TypeError(f"{name}: boxes must be a (K, 5) tensor or a list of (L, 4) tensors")
    rois = rois.to(device=input.device, dtype=input.dtype)
    if rois.shape[0] and not torch.compiler.is_compiling():
        index = rois[:, 0]
        if not bool(((index >= 0) & (index < input.shape[0])).all()):
            raise ValueError(f"{name}: every roi's batch index must lie in [0, {input.shape[0]}), got "
                             f"{index[(index < 0) | (index >= input.shape[0])][:5].tolist()}")
    return rois


def _roi_input(input, name: str) -> torch.Tensor:
    if not isinstance(input, torch.Tensor) or input.dim() != 4:
        raise ValueError(f"{name}: input must be an (N, C, H, W) tensor")
    if not input.is_floating_point():
        raise TypeError(f"{name}: input must be a floating-point tensor, got {input.dtype}")
    if input.shape[-1] == 0 or input.shape[-2] == 0:
        raise ValueError(f"{name}: input is empty, shape {tuple(input.shape)}")
    return input if input.dtype in (torch.float32, torch.float64) else input.float()


def _output_size(output_size) -> tuple[int, int]:
    if isinstance(output_size, int) and not isinstance(output_size, bool):
        output_size = (output_size, output_size)
    size = tuple(output_size)
    if len(size) != 2 or not all(isinstance(s, int) and s > 0 for s in size):
        raise ValueError(f"output_size must be a positive int or (height, width), got {output_size!r}")
    return size


def roi_align(input: torch.Tensor, boxes, output_size, spatial_scale: float = 1.0, sampling_ratio: int = -1,
              aligned: bool = False) -> torch.Tensor:
    """RoI Align (Mask R-CNN): bilinearly sampled, averaged ``output_size`` features per box.

    torchvision's semantics and argument order. Differentiable in ``input`` (a compiled
    backward kernel); the boxes get no gradient.

    Args:
        input: ``(N, C, H, W)`` float features (any memory format).
        boxes: a ``(K, 5)`` tensor of ``(batch index, x1, y1, x2, y2)`` rows, or a list of
            ``(L_i, 4)`` ``xyxy`` tensors, one per image, in input-image coordinates.
        output_size: ``int`` or ``(height, width)`` of each output.
        spatial_scale: feature-map size / image size (e.g. 1/16 for a stride-16 map).
        sampling_ratio: samples per bin and axis; ``<= 0``: adaptive, ``ceil(box size / bins)``.
        aligned: shift boxes by -0.5 pixel so sample points sit on pixel centres.

    Returns:
        ``(K, C, output_height, output_width)`` tensor of the input's dtype.

    Example:
        >>> import torch
        >>> from triptych.vision.ops import roi_align
        >>> x = torch.arange(16.0).reshape(1, 1, 4, 4)
        >>> roi_align(x, [torch.tensor([[0.0, 0.0, 2.0, 2.0]])], output_size=1, sampling_ratio=2)
        tensor([[[[5.]]]])
    """
    x = _roi_input(input, "roi_align")
    ph, pw = _output_size(output_size)
    out = _roi_align_op(x, _rois(x, boxes, "roi_align"), float(spatial_scale), ph, pw, int(sampling_ratio),
                        bool(aligned))
    return out.to(input.dtype)


def roi_pool(input: torch.Tensor, boxes, output_size, spatial_scale: float = 1.0) -> torch.Tensor:
    """RoI max pooling (Fast R-CNN): the maximum of each of ``output_size`` bins per box.

    torchvision's semantics (box corners rounded to pixels, an empty bin gives 0) and argument
    order; differentiable in ``input`` (the gradient goes to the first maximum of each bin).

    Args:
        input: ``(N, C, H, W)`` float features.
        boxes: a ``(K, 5)`` tensor of ``(batch index, x1, y1, x2, y2)`` rows, or a list of
            ``(L_i, 4)`` ``xyxy`` tensors, one per image.
        output_size: ``int`` or ``(height, width)``.
        spatial_scale: feature-map size / image size.

    Returns:
        ``(K, C, output_height, output_width)`` tensor.

    Example:
        >>> import torch
        >>> from triptych.vision.ops import roi_pool
        >>> x = torch.arange(16.0).reshape(1, 1, 4, 4)
        >>> roi_pool(x, torch.tensor([[0.0, 0, 0, 3, 3]]), output_size=2)
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
    """
    x = _roi_input(input, "roi_pool")
    ph, pw = _output_size(output_size)
    return _roi_pool_op(x, _rois(x, boxes, "roi_pool"), float(spatial_scale), ph, pw).to(input.dtype)


class MultiScaleRoIAlign(torch.nn.Module):
    """RoI Align over a feature pyramid (FPN): each box is pooled from the level that suits its
    size (torchvision's ``MultiScaleRoIAlign``: level ``floor(4 + log2(sqrt(area) / 224))``
    clamped to the available levels; scales inferred from the feature and image sizes).

    Args:
        featmap_names: keys of the feature dict to pool from, finest first.
        output_size: ``int`` or ``(height, width)``.
        sampling_ratio: as in :func:`roi_align`.
        canonical_scale, canonical_level: the box size that maps to ``canonical_level``.

    Call with ``(features: dict[str, Tensor], boxes: list[Tensor (L_i, 4)], image_shapes:
    list[(height, width)])``; returns ``(sum L_i, C, output_height, output_width)``.

    Example:
        >>> import torch
        >>> from triptych.vision.ops import MultiScaleRoIAlign
        >>> pool = MultiScaleRoIAlign(["p2", "p3"], output_size=3, sampling_ratio=2)
        >>> features = {"p2": torch.rand(1, 8, 64, 64), "p3": torch.rand(1, 8, 32, 32)}
        >>> pool(features, [torch.tensor([[0.0, 0, 100, 100], [10, 10, 200, 150]])], [(256, 256)]).shape
        torch.Size([2, 8, 3, 3])
    """

    def __init__(self, featmap_names: list[str], output_size, sampling_ratio: int, *, canonical_scale: int = 224,
                 canonical_level: int = 4):
        super().__init__()
        self.featmap_names = list(featmap_names)
        self.output_size = _output_size(output_size)
        self.sampling_ratio = int(sampling_ratio)
        self.canonical_scale = canonical_scale
        self.canonical_level = canonical_level

    @staticmethod
    def _infer_scale(feature: torch.Tensor, original_size: tuple[int, int]) -> float:
        scales = [2.0 ** round(math.log2(s / o)) for s, o in zip(feature.shape[-2:], original_size)]
        if scales[0] != scales[1]:
            raise ValueError(f"MultiScaleRoIAlign: feature {tuple(feature.shape[-2:])} and image {original_size} "
                             "give different scales for height and width")
        return scales[0]

    def forward(self, x: dict[str, torch.Tensor], boxes: list[torch.Tensor],
                image_shapes: list[tuple[int, int]]) -> torch.Tensor:
        missing = [name for name in self.featmap_names if name not in x]
        if missing:
            raise KeyError(f"MultiScaleRoIAlign: features {missing} not in the input dict (has {list(x)})")
        features = [x[name] for name in self.featmap_names]
        if not image_shapes:
            raise ValueError("MultiScaleRoIAlign: image_shapes is empty")
        original = (max(s[0] for s in image_shapes), max(s[1] for s in image_shapes))
        scales = [self._infer_scale(f, original) for f in features]
        rois = _rois(features[0], boxes, "MultiScaleRoIAlign")
        if len(features) == 1:
            return roi_align(features[0], rois, self.output_size, scales[0], self.sampling_ratio)
        k_min, k_max = -math.log2(scales[0]), -math.log2(scales[-1])
        size = torch.sqrt(box_area(rois[:, 1:]))
        levels = torch.floor(self.canonical_level + torch.log2(size / self.canonical_scale) + 1e-6)
        levels = (levels.clamp(min=k_min, max=k_max) - k_min).to(torch.int64)
        first = features[0]
        result = first.new_zeros((rois.shape[0], first.shape[1], *self.output_size))
        for level, (feature, scale) in enumerate(zip(features, scales)):
            index = torch.where(levels == level)[0]
            result[index] = roi_align(feature, rois[index], self.output_size, scale, self.sampling_ratio).to(
                result.dtype)
        return result


# --- losses and regularisers (pure torch) -----------------------------------------------------


def sigmoid_focal_loss(inputs: torch.Tensor, targets: torch.Tensor, alpha: float = 0.25, gamma: float = 2,
                       reduction: str = "none") -> torch.Tensor:
    """Focal loss (RetinaNet) on logits: ``alpha_t * (1 - p_t) ** gamma * BCE``; ``alpha=-1``
    turns the class weighting off. torchvision's semantics.

    Example:
        >>> import torch
        >>> from triptych.vision.ops import sigmoid_focal_loss
        >>> sigmoid_focal_loss(torch.tensor([0.0, 4.0]), torch.tensor([1.0, 1.0])).round(decimals=5)
        tensor([0.0433, 0.0000])
    """
    if not 0 <= alpha <= 1 and alpha != -1:
        raise ValueError(f"alpha must be in [0, 1] or -1 (no weighting), got {alpha}")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"reduction must be 'none', 'mean' or 'sum', got {reduction!r}")
    p = torch.sigmoid(inputs)
    ce_loss = torch.nn.functional.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _check_probability(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"drop probability must be between 0 and 1, got {p}")


def stochastic_depth(input: torch.Tensor, p: float, mode: str, training: bool = True) -> torch.Tensor:
    """Stochastic depth (drop path): zero the whole input (``mode="batch"``) or each sample
    (``mode="row"``) with probability ``p`` and scale the survivors by ``1 / (1 - p)``.
    The identity when not ``training`` or ``p == 0``.

    Example:
        >>> import torch
        >>> from triptych.vision.ops import stochastic_depth
        >>> stochastic_depth(torch.ones(2, 3), p=0.5, mode="row", training=False)
        tensor([[1., 1., 1.],
                [1., 1., 1.]])
    """
    _check_probability(p)
    if mode not in ("batch", "row"):
        raise ValueError(f"mode must be 'batch' or 'row', got {mode!r}")
    if not training or p == 0.0:
        return input
    survival = 1.0 - p
    size = [input.shape[0]] + [1] * (input.ndim - 1) if mode == "row" else [1] * input.ndim
    noise = torch.empty(size, dtype=input.dtype, device=input.device).bernoulli_(survival)
    if survival > 0.0:
        noise.div_(survival)
    return input * noise


def drop_block2d(input: torch.Tensor, p: float, block_size: int, inplace: bool = False, eps: float = 1e-6,
                 training: bool = True) -> torch.Tensor:
    """DropBlock: zero ``block_size`` x ``block_size`` squares of ``(N, C, H, W)`` features
    (about a fraction ``p`` of the pixels) and rescale the rest; torchvision's semantics
    (odd ``block_size``, capped at the feature size). The identity when not ``training`` or ``p == 0``.

    Example:
        >>> import torch
        >>> from triptych.vision.ops import drop_block2d
        >>> drop_block2d(torch.ones(1, 1, 5, 5), p=0.3, block_size=3, training=False).sum()
        tensor(25.)
    """
    _check_probability(p)
    if input.ndim != 4:
        raise ValueError(f"drop_block2d: input must be an (N, C, H, W) tensor, got {input.ndim} dimensions")
    if not training or p == 0.0:
        return input
    n, c, h, w = input.shape
    block_size = min(block_size, w, h)
    if block_size % 2 == 0:
        raise ValueError(f"drop_block2d: block_size must be odd, got {block_size}")
    gamma = p * h * w / (block_size**2 * ((h - block_size + 1) * (w - block_size + 1)))
    noise = torch.empty((n, c, h - block_size + 1, w - block_size + 1), dtype=input.dtype, device=input.device)
    noise.bernoulli_(gamma)
    noise = torch.nn.functional.pad(noise, [block_size // 2] * 4, value=0)
    noise = torch.nn.functional.max_pool2d(noise, stride=(1, 1), kernel_size=(block_size, block_size),
                                           padding=block_size // 2)
    noise = 1 - noise
    scale = noise.numel() / (eps + noise.sum())
    if inplace:
        return input.mul_(noise).mul_(scale)
    return input * noise * scale


class StochasticDepth(torch.nn.Module):
    """Module form of :func:`stochastic_depth` (active in training mode)."""

    def __init__(self, p: float, mode: str):
        super().__init__()
        _check_probability(p)
        self.p, self.mode = p, mode

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return stochastic_depth(input, self.p, self.mode, self.training)


class DropBlock2d(torch.nn.Module):
    """Module form of :func:`drop_block2d` (active in training mode)."""

    def __init__(self, p: float, block_size: int, inplace: bool = False, eps: float = 1e-6):
        super().__init__()
        _check_probability(p)
        self.p, self.block_size, self.inplace, self.eps = p, block_size, inplace, eps

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return drop_block2d(input, self.p, self.block_size, self.inplace, self.eps, self.training)
