"""Detection ops, one thread: triptych.vision.ops vs torchvision.ops (the anchor venv).

Workloads (the same generator code in both processes, seed 0):

* nms: N boxes with corners uniform in a 1000x1000 image and sides 10-110 px, uniform
  scores, IoU threshold 0.5 (N = 1 000 and 10 000);
* batched_nms: the 10 000 boxes in 80 categories (torchvision takes its coordinate-offset path
  above 4 000 boxes on CPU);
* box_iou: 2000 x 2000 such boxes;
* roi_align: 512 boxes (sides 8-136 px in a 512x512 image) on a 2x256x64x64 float32 feature
  map, spatial_scale 1/8, 7x7 output, sampling_ratio 2; forward, and forward + backward
  (the gradient of the features for a fixed random output gradient).
"""

from __future__ import annotations

from common import main


def _boxes(n: int, size: float = 1000.0, low: float = 10.0, high: float = 110.0, seed: int = 0):
    import torch

    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=g) * size
    wh = torch.rand(n, 2, generator=g) * (high - low) + low
    return torch.cat([xy, xy + wh], 1), torch.rand(n, generator=g), torch.randint(0, 80, (n,), generator=g)


def _roi_problem():
    import torch

    g = torch.Generator().manual_seed(1)
    x = torch.rand(2, 256, 64, 64, generator=g)
    boxes, _, _ = _boxes(512, size=448.0, low=8.0, high=136.0, seed=2)
    index = torch.randint(0, 2, (512, 1), generator=g).float()
    grad = torch.randn(512, 256, 7, 7, generator=g)
    return x, torch.cat([index, boxes], 1), grad


def _cases(ops):
    def nms(n):
        def make():
            boxes, scores, _ = _boxes(n)
            return lambda: ops().nms(boxes, scores, 0.5)
        return make

    def batched():
        boxes, scores, idxs = _boxes(10_000)
        return lambda: ops().batched_nms(boxes, scores, idxs, 0.5)

    def box_iou():
        a, _, _ = _boxes(2000, seed=3)
        b, _, _ = _boxes(2000, seed=4)
        return lambda: ops().box_iou(a, b)

    def roi_forward():
        x, rois, _ = _roi_problem()
        return lambda: ops().roi_align(x, rois, (7, 7), 0.125, 2, False)

    def roi_backward():
        x, rois, grad = _roi_problem()
        x.requires_grad_(True)

        def run():
            x.grad = None
            ops().roi_align(x, rois, (7, 7), 0.125, 2, False).backward(grad)
        return run

    return {
        "nms 1 000 boxes": nms(1000),
        "nms 10 000 boxes": nms(10_000),
        "batched_nms 10 000 boxes, 80 classes": batched,
        "box_iou 2000 x 2000": box_iou,
        "roi_align fwd, 512 rois, 2x256x64x64": roi_forward,
        "roi_align fwd+bwd, 512 rois, 2x256x64x64": roi_backward,
    }


def _ours():
    from triptych.vision import ops

    return ops


def _torchvision():
    import torchvision.ops

    return torchvision.ops


def _versions():
    import torch
    import torchvision

    return {"torch": torch.__version__, "torchvision": torchvision.__version__}


if __name__ == "__main__":
    main(
        "detection ops (1 thread): triptych.vision.ops vs torchvision.ops",
        __file__,
        _cases(_ours),
        _cases(_torchvision),
        _versions,
    )
