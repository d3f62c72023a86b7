"""triptych.vision.ops detection ops: op-specific behaviour against the pure-torch references
(the generic checks — reference parity on samples, opcheck, gradcheck, fallback, bad
arguments to the compiled ops — come from tests/test_op_conformance.py)."""

from __future__ import annotations

import pytest
import torch

from triptych.vision import _detection_ops as ref
from triptych.vision.ops import batched_nms, nms

# --- nms / batched_nms ---------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kind", ["plain", "ties", "degenerate", "huge"])
def test_nms_matches_reference_on_many_boxes(seeded_generator, dtype, kind):
    boxes, scores = ref._sample_detections(seeded_generator, 1500, dtype, kind)
    for threshold in (0.0, 0.3, 0.5, 0.9, -0.1):
        assert torch.equal(nms(boxes, scores, threshold), ref._nms_reference(boxes, scores, threshold))


def test_nms_known_result():
    boxes = torch.tensor([[0.0, 0, 10, 10], [1, 1, 11, 11], [0, 0, 10, 9], [50, 50, 60, 60], [51, 50, 61, 60]])
    scores = torch.tensor([0.5, 0.9, 0.4, 0.3, 0.8])
    # IoU(1, 0) = 81/119 > 0.5 suppresses 0; box 2 overlaps box 1 by 72/128 > 0.5; 3 vs 4: 90/110.
    assert nms(boxes, scores, 0.5).tolist() == [1, 4]
    assert nms(boxes, scores, 0.9).tolist() == [1, 4, 0, 2, 3]


def test_nms_equal_scores_keep_input_order():
    # Identical boxes with equal scores: the first in input order is kept.
    boxes = torch.tensor([[0.0, 0, 10, 10]] * 4 + [[20.0, 20, 30, 30]] * 2)
    scores = torch.tensor([0.5, 0.7, 0.7, 0.5, 0.7, 0.7])
    assert nms(boxes, scores, 0.5).tolist() == [1, 4]
    # Disjoint boxes with equal scores: all kept, in input order within a score.
    disjoint = torch.arange(6.0)[:, None] * 20 + torch.tensor([0.0, 0, 10, 10])
    assert nms(disjoint, scores, 0.5).tolist() == [1, 2, 4, 5, 0, 3]


def test_nms_compares_the_float_iou_with_the_threshold_in_double():
    # IoU = 30/100 = 0.3 in float32 is 0.30000001192..., above the double 0.3: suppressed, as
    # in torchvision (a float32 comparison would round the threshold up and keep the box).
    boxes = torch.tensor([[0.0, 0, 10, 10], [0, 0, 10, 3]])
    scores = torch.tensor([1.0, 0.5])
    assert nms(boxes, scores, 0.3).tolist() == [0]
    assert nms(boxes, scores, float(torch.tensor(0.3))).tolist() == [0, 1]


def test_nms_window_search_with_one_wide_box(seeded_generator):
    # One box spanning everything and many small ones: the x-window must still find every pair.
    boxes, scores = ref._sample_detections(seeded_generator, 400, torch.float32, "plain")
    boxes[7] = torch.tensor([-1e4, -1e4, 1e4, 1e4])
    for threshold in (0.0, 1e-6, 0.5):
        assert torch.equal(nms(boxes, scores, threshold), ref._nms_reference(boxes, scores, threshold))


def test_nms_empty_and_single():
    assert nms(torch.zeros(0, 4), torch.zeros(0), 0.5).dtype == torch.int64
    assert nms(torch.zeros(0, 4), torch.zeros(0), 0.5).numel() == 0
    assert nms(torch.tensor([[0.0, 0, 1, 1]]), torch.tensor([1.0]), 0.5).tolist() == [0]


def test_nms_half_precision_and_grad_inputs():
    boxes = torch.tensor([[0.0, 0, 10, 10], [1, 1, 10, 10]], requires_grad=True)
    assert nms(boxes.half(), torch.tensor([0.9, 0.8]).half(), 0.5).tolist() == [0]
    assert nms(boxes, torch.tensor([0.9, 0.8]), 0.5).tolist() == [0]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_batched_nms_matches_reference(seeded_generator, dtype):
    for kind in ("plain", "ties", "degenerate"):
        boxes, scores = ref._sample_detections(seeded_generator, 1000, dtype, kind)
        idxs = torch.randint(0, 7, (1000,), generator=seeded_generator)
        for threshold in (0.0, 0.5):
            assert torch.equal(batched_nms(boxes, scores, idxs, threshold),
                               ref._batched_nms_reference(boxes, scores, idxs, threshold))


def test_batched_nms_categories_never_suppress_each_other(seeded_generator):
    boxes, scores = ref._sample_detections(seeded_generator, 300, torch.float32, "plain")
    idxs = torch.randint(-3, 3, (300,), generator=seeded_generator, dtype=torch.int32)
    kept = batched_nms(boxes, scores, idxs, 0.4)
    for category in idxs.unique():
        members = torch.where(idxs == category)[0]
        assert set(kept[idxs[kept] == category].tolist()) == set(members[nms(boxes[members], scores[members], 0.4)].tolist())
    assert torch.all(scores[kept][:-1] >= scores[kept][1:])


def test_nms_wrappers_name_the_bad_argument():
    boxes, scores = torch.zeros(3, 4), torch.zeros(3)
    with pytest.raises(ValueError, match=r"nms: boxes must be an \(N, 4\) tensor"):
        nms(boxes[:, :2], scores, 0.5)
    with pytest.raises(TypeError, match="nms: boxes must be a floating-point tensor"):
        nms(boxes.long(), scores, 0.5)
    with pytest.raises(ValueError, match=r"nms: scores must have shape \(3,\)"):
        nms(boxes, scores[:2], 0.5)
    with pytest.raises(TypeError, match="iou_threshold must be a number"):
        nms(boxes, scores, "0.5")
    with pytest.raises(ValueError, match=r"batched_nms: idxs must have shape \(3,\)"):
        batched_nms(boxes, scores, torch.zeros(2, dtype=torch.int64), 0.5)
    with pytest.raises(TypeError, match="batched_nms: idxs must be an integer tensor"):
        batched_nms(boxes, scores, torch.zeros(3), 0.5)


@pytest.mark.cuda
def test_nms_cuda_matches_cpu(seeded_generator):
    for kind in ("plain", "ties", "degenerate", "huge"):
        boxes, scores = ref._sample_detections(seeded_generator, 3000, torch.float32, kind)
        idxs = torch.randint(0, 5, (3000,), generator=seeded_generator)
        for threshold in (0.0, 0.3, 0.5):
            assert torch.equal(nms(boxes.cuda(), scores.cuda(), threshold).cpu(), nms(boxes, scores, threshold))
            assert torch.equal(batched_nms(boxes.cuda(), scores.cuda(), idxs.cuda(), threshold).cpu(),
                               batched_nms(boxes, scores, idxs, threshold))
