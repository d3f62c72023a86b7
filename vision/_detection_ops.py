"""Detection ops with torchvision's names and semantics, re-exported by :mod:`triptych.vision.ops`:
non-maximum suppression, box geometry and IoU families, RoI pooling and detection losses.

The compiled ones (``triptych::nms``, ``triptych::batched_nms``, ``triptych::box_iou``, …) are
defined through :func:`triptych.library.define_op`, with the pure-torch references below as
fallback and test oracle. Boxes are ``(x1, y1, x2, y2)`` rows unless a function says otherwise.
"""

from __future__ import annotations

import torch

from triptych.library import ErrorInput, OpDef, SampleInput, define_op

__all__ = [
    "nms", "batched_nms", "box_convert", "box_area", "clip_boxes_to_image", "remove_small_boxes", "masks_to_boxes",
    "box_iou", "generalized_box_iou", "distance_box_iou", "complete_box_iou", "generalized_box_iou_loss",
    "distance_box_iou_loss", "complete_box_iou_loss",
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


def _pairwise_iou_tv(boxes: torch.Tensor) -> torch.Tensor:
    """(N, N) IoU with torchvision's NMS arithmetic and operation order, in the boxes' dtype:
    ``inter / (area_i + area_j - inter)``, areas not clamped (a degenerate box has a negative
    or zero area, exactly as torchvision computes it)."""
    x1, y1, x2, y2 = boxes.unbind(1)
    area = (x2 - x1) * (y2 - y1)
    w = (torch.minimum(x2[:, None], x2[None]) - torch.maximum(x1[:, None], x1[None])).clamp(min=0)
    h = (torch.minimum(y2[:, None], y2[None]) - torch.maximum(y1[:, None], y1[None])).clamp(min=0)
    inter = w * h
    return inter / (area[:, None] + area[None] - inter)


def _nms_reference(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    torch._check(boxes.dim() == 2 and boxes.shape[-1] == 4, lambda: "nms: boxes must be an (N, 4) tensor")
    order = torch.sort(scores, descending=True, stable=True).indices
    # Compared in float64, as torchvision's kernel compares its float IoU with a double threshold.
    over = (_pairwise_iou_tv(boxes[order]).double() > iou_threshold).triu(1)
    keep = torch.ones(order.numel(), dtype=torch.bool, device=boxes.device)
    for i in range(order.numel()):
        if keep[i]:
            keep &= ~over[i]
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
    if kind == "ties":
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
