"""triptych.vision.ops detection ops: op-specific behaviour against the pure-torch references
(the generic checks — reference parity on samples, opcheck, gradcheck, fallback, bad
arguments to the compiled ops — come from tests/test_op_conformance.py)."""

from __future__ import annotations

import pytest
import torch

from triptych.vision import _detection_ops as ref
from triptych.vision import ops
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


# --- box geometry and the IoU family -------------------------------------------------------


def _proper_boxes(gen, n, dtype=torch.float32):
    return ref._sample_detections(gen, n, dtype, "plain")[0]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kind", ["plain", "ties", "degenerate", "huge"])
def test_box_iou_matches_reference_including_nan(seeded_generator, dtype, kind):
    a, _ = ref._sample_detections(seeded_generator, 123, dtype, kind)
    b, _ = ref._sample_detections(seeded_generator, 77, dtype, kind)
    got = ops.box_iou(a, b)
    assert got.dtype == dtype and got.shape == (123, 77)
    # x86 builds have no contracted multiply-adds: bit-identical, NaN (0/0, inf/inf) included.
    torch.testing.assert_close(got, ref._box_iou_reference(a, b), atol=1e-6, rtol=1e-6, equal_nan=True)


def test_box_iou_known_values_formats_and_dtypes():
    a = torch.tensor([[0, 0, 2, 2]])
    b = torch.tensor([[1, 1, 3, 3], [0, 0, 2, 2], [5, 5, 6, 6]])
    want = torch.tensor([[1 / 7, 1.0, 0.0]])
    torch.testing.assert_close(ops.box_iou(a, b), want)  # int boxes: float32 result
    torch.testing.assert_close(ops.box_iou(a.half(), b.half()), want)
    xywh = ops.box_convert(b.float(), "xyxy", "xywh")
    torch.testing.assert_close(ops.box_iou(ops.box_convert(a.float(), "xyxy", "xywh"), xywh, fmt="xywh"), want)
    assert ops.box_iou(torch.zeros(0, 4), b.float()).shape == (0, 3)


def test_box_iou_gradient_matches_reference(seeded_generator):
    a = _proper_boxes(seeded_generator, 6, torch.float64).requires_grad_(True)
    b = _proper_boxes(seeded_generator, 5, torch.float64).requires_grad_(True)
    weights = torch.rand(6, 5, generator=seeded_generator, dtype=torch.float64)
    got = torch.autograd.grad((ops.box_iou(a, b) * weights).sum(), (a, b))
    want = torch.autograd.grad((ref._box_iou_reference(a, b) * weights).sum(), (a, b))
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w)


def test_iou_family_known_values():
    a = torch.tensor([[0.0, 0, 1, 1]])
    b = torch.tensor([[2.0, 0, 3, 1], [0, 0, 1, 1], [0, 0, 2, 2]])
    # disjoint: enclosing box area 3, union 2 -> 0 - 1/3; identical: 1; inside: iou 1/4.
    torch.testing.assert_close(ops.generalized_box_iou(a, b), torch.tensor([[-1 / 3, 1.0, 0.25]]))
    # centres 2 apart, enclosing diagonal^2 = 9 + 1 -> -4/10; same box 1; centres (0.5,0.5),(1,1): 0.5/8.
    torch.testing.assert_close(ops.distance_box_iou(a, b), torch.tensor([[-0.4, 1.0, 0.25 - 0.5 / 8]]), atol=1e-6, rtol=0)
    # same aspect ratios: complete == distance
    torch.testing.assert_close(ops.complete_box_iou(a, b), ops.distance_box_iou(a, b))
    wide = torch.tensor([[0.0, 0, 2, 1]])
    assert ops.complete_box_iou(a, wide)[0, 0] < ops.distance_box_iou(a, wide)[0, 0]


def test_iou_losses_are_one_minus_the_paired_ious(seeded_generator):
    a, b = _proper_boxes(seeded_generator, 20), _proper_boxes(seeded_generator, 20)
    for loss, pairwise in ((ops.generalized_box_iou_loss, ops.generalized_box_iou),
                           (ops.distance_box_iou_loss, ops.distance_box_iou),
                           (ops.complete_box_iou_loss, ops.complete_box_iou)):
        torch.testing.assert_close(loss(a, b), 1 - pairwise(a, b).diagonal(), atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(loss(a, b, reduction="mean"), loss(a, b).mean())
        torch.testing.assert_close(loss(a, b, reduction="sum"), loss(a, b).sum())
        assert loss(a[:0], b[:0], reduction="mean").item() == 0
        with pytest.raises(ValueError, match="reduction must be 'none', 'mean' or 'sum'"):
            loss(a, b, reduction="max")
    a.requires_grad_(True)
    ops.complete_box_iou_loss(a, b, reduction="sum").backward()
    assert torch.isfinite(a.grad).all() and a.grad.abs().sum() > 0


def test_box_convert_round_trips_and_known_values(seeded_generator):
    boxes = _proper_boxes(seeded_generator, 30, torch.float64)
    for fmt in ("xywh", "cxcywh"):
        torch.testing.assert_close(ops.box_convert(ops.box_convert(boxes, "xyxy", fmt), fmt, "xyxy"), boxes)
    box = torch.tensor([[10.0, 20, 30, 60]])
    assert ops.box_convert(box, "xyxy", "xywh").tolist() == [[10, 20, 20, 40]]
    assert ops.box_convert(torch.tensor([[20.0, 40, 20, 40]]), "cxcywh", "xyxy").tolist() == box.tolist()
    assert ops.box_area(box, fmt="xyxy").tolist() == [800]
    assert ops.box_area(torch.tensor([[10.0, 20, 20, 40]]), fmt="xywh").tolist() == [800]
    with pytest.raises(ValueError, match="in_fmt must be one of"):
        ops.box_convert(box, "yxyx", "xyxy")


def test_clip_and_remove_small_boxes():
    boxes = torch.tensor([[-5.0, 2, 50, 70], [1, 1, 1.5, 9], [3, 3, 4, 4]])
    assert ops.clip_boxes_to_image(boxes, (60, 40)).tolist() == [[0, 2, 40, 60], [1, 1, 1.5, 9], [3, 3, 4, 4]]
    assert ops.clip_boxes_to_image(boxes[None], (60, 40)).shape == (1, 3, 4)
    assert ops.remove_small_boxes(boxes, 1.0).tolist() == [0, 2]
    assert ops.remove_small_boxes(boxes, 0.5).tolist() == [0, 1, 2]


def test_masks_to_boxes_matches_a_per_mask_loop(seeded_generator):
    masks = torch.rand(7, 13, 17, generator=seeded_generator) < 0.05
    masks[3] = False
    got = ops.masks_to_boxes(masks)
    for mask, box in zip(masks, got):
        ys, xs = torch.where(mask)
        want = [xs.min(), ys.min(), xs.max(), ys.max()] if xs.numel() else [0, 0, 0, 0]
        assert box.tolist() == [float(v) for v in want]
    assert got.dtype == torch.float32
    assert ops.masks_to_boxes(torch.zeros(0, 4, 4)).shape == (0, 4)
    with pytest.raises(ValueError, match=r"masks must be an \(N, H, W\) tensor"):
        ops.masks_to_boxes(torch.zeros(4, 4))


# --- roi_align / roi_pool ------------------------------------------------------------------


def _roi_problem(gen, dtype, channels_last=False):
    x = torch.rand(2, 9, 13, 11, generator=gen, dtype=dtype)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    rois = ref._sample_rois(gen, 20, 2, 13, 11, 0.5, dtype)
    return x, rois


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("aligned", [False, True])
@pytest.mark.parametrize("sampling_ratio", [-1, 1, 3])
def test_roi_align_matches_reference(seeded_generator, dtype, aligned, sampling_ratio):
    x, rois = _roi_problem(seeded_generator, dtype, channels_last=sampling_ratio == 1)
    got = ops.roi_align(x, rois, (3, 5), spatial_scale=0.5, sampling_ratio=sampling_ratio, aligned=aligned)
    want = ref._roi_align_reference(x, rois, 0.5, 3, 5, sampling_ratio, aligned)
    assert got.shape == (20, 9, 3, 5) and got.is_contiguous()
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("op", ["roi_align", "roi_pool"])
def test_roi_ops_gradient_matches_reference(seeded_generator, op):
    x, rois = _roi_problem(seeded_generator, torch.float64)
    x.requires_grad_(True)
    grad = torch.randn(20, 9, 3, 2, generator=seeded_generator, dtype=torch.float64)
    if op == "roi_align":
        got = ops.roi_align(x, rois, (3, 2), spatial_scale=0.5, sampling_ratio=2)
        want = ref._roi_align_reference(x, rois, 0.5, 3, 2, 2, False)
    else:
        got = ops.roi_pool(x, rois, (3, 2), spatial_scale=0.5)
        want = ref._roi_pool_reference(x, rois, 0.5, 3, 2)
    torch.testing.assert_close(torch.autograd.grad((got * grad).sum(), x)[0],
                               torch.autograd.grad((want * grad).sum(), x)[0])


def test_roi_align_box_list_equals_roi_tensor(seeded_generator):
    x = torch.rand(3, 4, 10, 10, generator=seeded_generator)
    per_image = [ref._sample_detections(seeded_generator, n, torch.float32, "plain")[0] / 10 for n in (3, 0, 2)]
    rois = torch.cat([torch.cat([torch.full((len(b), 1), float(i)), b], 1) for i, b in enumerate(per_image)])
    torch.testing.assert_close(ops.roi_align(x, per_image, 2), ops.roi_align(x, rois, 2), atol=0, rtol=0)
    torch.testing.assert_close(ops.roi_pool(x, per_image, 2), ops.roi_pool(x, rois, 2), atol=0, rtol=0)


def test_roi_known_values():
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    box = torch.tensor([[0.0, 0, 0, 2, 2]])
    # one sample at the box centre: (1, 1) = 5; aligned=True shifts it to (0.5, 0.5) = (0 + 1 + 4 + 5) / 4
    assert ops.roi_align(x, box, 1, sampling_ratio=1).item() == 5
    assert ops.roi_align(x, box, 1, sampling_ratio=1, aligned=True).item() == 2.5
    # 2 x 2 samples at 0.5 and 1.5: 2.5, 3.5, 6.5, 7.5, mean 5
    assert ops.roi_align(x, box, 1, sampling_ratio=2).item() == 5
    assert ops.roi_pool(x, torch.tensor([[0.0, 0, 0, 3, 3]]), 2).flatten().tolist() == [5, 7, 13, 15]
    # a box entirely outside the feature map: zeros
    assert ops.roi_align(x, torch.tensor([[0.0, 20, 20, 30, 30]]), 2).abs().sum() == 0
    assert ops.roi_pool(x, torch.tensor([[0.0, 20, 20, 30, 30]]), 2).abs().sum() == 0


def test_roi_wrappers_name_the_bad_argument():
    x = torch.rand(2, 3, 8, 8)
    with pytest.raises(ValueError, match=r"roi_align: every roi's batch index must lie in \[0, 2\)"):
        ops.roi_align(x, torch.tensor([[2.0, 0, 0, 4, 4]]), 2)
    with pytest.raises(ValueError, match=r"roi_pool: boxes must be a \(K, 5\) tensor"):
        ops.roi_pool(x, torch.zeros(3, 4), 2)
    with pytest.raises(ValueError, match=r"roi_align: boxes\[1\] must be an \(L, 4\) tensor"):
        ops.roi_align(x, [torch.zeros(1, 4), torch.zeros(1, 5)], 2)
    with pytest.raises(ValueError, match="roi_align: 3 box tensors for a batch of 2 images"):
        ops.roi_align(x, [torch.zeros(1, 4)] * 3, 2)
    with pytest.raises(ValueError, match="output_size must be a positive int"):
        ops.roi_align(x, torch.zeros(1, 5), (2, 0))
    with pytest.raises(TypeError, match="roi_pool: input must be a floating-point tensor"):
        ops.roi_pool(x.long(), torch.zeros(1, 5), 2)


def test_roi_align_half_input_keeps_its_dtype():
    x = torch.rand(1, 2, 6, 6)
    out = ops.roi_align(x.half(), [torch.tensor([[0.0, 0, 4, 4]])], 2)
    assert out.dtype == torch.float16
    torch.testing.assert_close(out.float(), ops.roi_align(x.half().float(), [torch.tensor([[0.0, 0, 4, 4]])], 2),
                               atol=1e-3, rtol=1e-3)


def test_roi_align_under_torch_compile(seeded_generator):
    x, rois = _roi_problem(seeded_generator, torch.float32)

    def pooled(x, rois):
        return ops.roi_align(x, rois, 2, spatial_scale=0.5, sampling_ratio=2).relu().sum((2, 3))

    compiled = torch.compile(pooled, fullgraph=True, backend="eager")
    torch.testing.assert_close(compiled(x, rois), pooled(x, rois))


@pytest.mark.cuda
def test_roi_ops_cuda_match_cpu(seeded_generator):
    x, rois = _roi_problem(seeded_generator, torch.float32)
    for op in (lambda x, r: ops.roi_align(x, r, (3, 4), spatial_scale=0.5, sampling_ratio=-1),
               lambda x, r: ops.roi_pool(x, r, (3, 4), spatial_scale=0.5)):
        xc = x.cuda().requires_grad_(True)
        xx = x.clone().requires_grad_(True)
        out_c, out = op(xc, rois.cuda()), op(xx, rois)
        torch.testing.assert_close(out_c.cpu(), out, atol=1e-5, rtol=1e-5)
        out_c.sum().backward()
        out.sum().backward()
        torch.testing.assert_close(xc.grad.cpu(), xx.grad, atol=1e-5, rtol=1e-5)


def test_multiscale_roi_align_pools_each_box_from_its_level(seeded_generator):
    feats = {"p2": torch.rand(1, 3, 64, 64, generator=seeded_generator),
             "p3": torch.rand(1, 3, 32, 32, generator=seeded_generator),
             "p4": torch.rand(1, 3, 16, 16, generator=seeded_generator)}
    # sqrt(area) 20 -> level floor(4 + log2(20/224)) = 0 -> clamped to k_min 2 (p2); 224 -> 4 (p4); 112 -> 3.
    boxes = [torch.tensor([[0.0, 0, 20, 20], [10, 10, 234, 234], [5, 5, 117, 117]])]
    pool = ops.MultiScaleRoIAlign(["p2", "p3", "p4"], output_size=2, sampling_ratio=2)
    out = pool(feats, boxes, [(256, 256)])
    for row, (name, scale) in enumerate((("p2", 0.25), ("p4", 1 / 16), ("p3", 0.125))):
        want = ops.roi_align(feats[name], [boxes[0][row:row + 1]], 2, spatial_scale=scale, sampling_ratio=2)
        torch.testing.assert_close(out[row:row + 1], want)
    single = ops.MultiScaleRoIAlign(["p3"], 2, 2)(feats, boxes, [(256, 256)])
    torch.testing.assert_close(single, ops.roi_align(feats["p3"], boxes, 2, spatial_scale=0.125, sampling_ratio=2))
    with pytest.raises(KeyError, match=r"features \['p5'\] not in the input dict"):
        ops.MultiScaleRoIAlign(["p5"], 2, 2)(feats, boxes, [(256, 256)])


def test_sigmoid_focal_loss_formula(seeded_generator):
    x = torch.randn(40, generator=seeded_generator, dtype=torch.float64)
    t = (torch.rand(40, generator=seeded_generator) < 0.5).double()
    p = torch.sigmoid(x)
    bce = -(t * torch.log(p) + (1 - t) * torch.log(1 - p))
    p_t = torch.where(t == 1, p, 1 - p)
    alpha_t = torch.where(t == 1, 0.25, 0.75)
    torch.testing.assert_close(ops.sigmoid_focal_loss(x, t), alpha_t * (1 - p_t) ** 2 * bce)
    torch.testing.assert_close(ops.sigmoid_focal_loss(x, t, alpha=-1, gamma=0, reduction="sum"), bce.sum())
    torch.testing.assert_close(ops.sigmoid_focal_loss(x, t, reduction="mean"), (alpha_t * (1 - p_t) ** 2 * bce).mean())
    with pytest.raises(ValueError, match="alpha must be in"):
        ops.sigmoid_focal_loss(x, t, alpha=2)


def test_stochastic_depth():
    x = torch.ones(2000, 3)
    assert ops.stochastic_depth(x, 0.3, "row", training=False) is x
    assert ops.stochastic_depth(x, 0.0, "row") is x
    out = ops.stochastic_depth(x, 0.3, "row")
    kept = out[:, 0] != 0
    assert torch.all(out[kept] == 1 / 0.7) and torch.all(out[~kept] == 0)
    assert 0.6 < kept.float().mean() < 0.8
    batch = ops.stochastic_depth(x, 0.5, "batch")
    assert batch.unique().numel() == 1
    assert torch.all(ops.stochastic_depth(x, 1.0, "row") == 0)
    with pytest.raises(ValueError, match="mode must be 'batch' or 'row'"):
        ops.stochastic_depth(x, 0.5, "col")
    with pytest.raises(ValueError, match="drop probability must be between 0 and 1"):
        ops.StochasticDepth(1.5, "row")


def test_drop_block2d():
    x = torch.ones(4, 2, 15, 15)
    assert ops.drop_block2d(x, 0.2, 3, training=False) is x
    out = ops.drop_block2d(x, 0.2, 3)
    dropped = out == 0
    assert dropped.any() and not dropped.all()
    # survivors share one scale: numel / kept count
    assert torch.allclose(out[~dropped], torch.tensor(x.numel() / (~dropped).sum().item()), rtol=1e-4)
    # the dropped pixels are exactly the union of fully dropped 3 x 3 windows inside the map
    full = -torch.nn.functional.max_pool2d(-dropped.float(), 3, stride=1)  # window centres, (13, 13)
    covered = torch.nn.functional.max_pool2d(torch.nn.functional.pad(full, [1] * 4), 3, stride=1, padding=1)
    assert torch.equal(covered.bool(), dropped)
    module = ops.DropBlock2d(0.2, 3).eval()
    assert module(x) is x
    with pytest.raises(ValueError, match="block_size must be odd"):
        ops.drop_block2d(x, 0.2, 4)
    with pytest.raises(ValueError, match=r"input must be an \(N, C, H, W\) tensor"):
        ops.drop_block2d(x[0], 0.2, 3)


def test_op_samples_allow_zero_boxes():
    """The conformance samples draw 0..60 boxes; 0 with the "ties" kind raised in torch.randint
    (made test_op_conformance fail at random)."""
    gen = torch.Generator().manual_seed(0)
    for kind in ("plain", "ties", "degenerate", "huge"):
        boxes, scores = ref._sample_detections(gen, 0, torch.float32, kind)
        assert boxes.shape == (0, 4) and scores.shape == (0,)
