"""Detection ops with torchvision's names and semantics, re-exported by :mod:`triptych.vision.ops`:
non-maximum suppression, box geometry and IoU families, RoI pooling and detection losses.

The compiled ones (``triptych::nms``, ``triptych::batched_nms``, ``triptych::box_iou``, …) are
defined through :func:`triptych.library.define_op`, with the pure-torch references below as
fallback and test oracle. Boxes are ``(x1, y1, x2, y2)`` rows unless a function says otherwise.
"""

from __future__ import annotations

import torch

from triptych.library import ErrorInput, OpDef, SampleInput, define_op

__all__ = ["nms", "batched_nms"]


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
