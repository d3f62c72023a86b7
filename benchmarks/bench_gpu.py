"""GPU benchmarks. (1) normalize of a 256x3x224x224 uint8 batch vs the eager torch expression.
(2) a 256-image uint8 batch through the fused crop->resize->flip->normalize CUDA kernel
(one launch, per-sample boxes and flips) vs torchvision v2 on CUDA tensors.

Prints ours, torchvision (per-sample crops in a Python loop — the same semantics — and one crop
for the whole batch — a lower bound torchvision can only reach by giving every sample the same
crop), the ratio, and GB/s against the card's device-to-device copy bandwidth. Skips without
a CUDA GPU. Writes benchmarks/results/bench_gpu.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def cuda_time(fn, repeats: int = 20) -> float:
    fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    best = float("inf")
    for _ in range(3):
        start.record()
        for _ in range(repeats):
            fn()
        end.record()
        end.synchronize()
        best = min(best, start.elapsed_time(end) / 1e3 / repeats)
    return best


def copy_bandwidth() -> float:
    x = torch.empty(1 << 30, dtype=torch.uint8, device="cuda")
    y = torch.empty_like(x)
    seconds = cuda_time(lambda: y.copy_(x), repeats=10)
    return 2 * x.numel() / seconds / 1e9  # bytes read + written


def main() -> int:
    if not torch.cuda.is_available():
        print("skipped: no CUDA GPU")
        return 0
    from triptych.vision.ops import resized_crop_flip_normalize

    n, h, w, out = 256, 375, 500, 224
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (n, 3, h, w), dtype=torch.uint8, generator=g).cuda()
    images_cl = images.contiguous(memory_format=torch.channels_last)
    side = torch.randint(150, 370, (n, 2), generator=g)
    tops = (torch.rand(n, generator=g) * (h - side[:, 0])).long()
    lefts = (torch.rand(n, generator=g) * (w - side[:, 1])).long()
    boxes = torch.stack([tops, lefts, side[:, 0], side[:, 1]], 1)
    flips = torch.rand(n, generator=g) < 0.5
    boxes_d, flips_d = boxes.cuda(), flips.cuda()

    rows = {}
    for name, batch in (("NCHW", images), ("NHWC", images_cl)):
        rows[f"ours fused kernel ({name} in)"] = cuda_time(
            lambda b=batch: resized_crop_flip_normalize(b, boxes_d, flips_d, (out, out), mean=MEAN, std=STD))
    try:
        import torchvision
        from torchvision.transforms.v2 import functional as TF

        box_list, flip_list = boxes.tolist(), flips.tolist()

        def tv_per_sample():
            outs = []
            for img, (top, left, bh, bw), f in zip(images, box_list, flip_list):
                x = TF.resized_crop(img, top, left, bh, bw, [out, out], antialias=True)
                if f:
                    x = TF.horizontal_flip(x)
                outs.append(x)
            x = TF.to_dtype(torch.stack(outs), torch.float32, scale=True)
            return TF.normalize(x, MEAN, STD)

        def tv_one_crop():
            top, left, bh, bw = box_list[0]
            x = TF.resized_crop(images, top, left, bh, bw, [out, out], antialias=True)
            x = TF.horizontal_flip(x)
            return TF.normalize(TF.to_dtype(x, torch.float32, scale=True), MEAN, STD)

        rows["torchvision v2, per-sample crops"] = cuda_time(tv_per_sample, repeats=3)
        rows["torchvision v2, one crop for all"] = cuda_time(tv_one_crop)
        anchor = f"torchvision {torchvision.__version__}"
    except ImportError:
        anchor = "torchvision not installed"

    from triptych.ops import normalize

    batch = torch.randint(0, 256, (n, 3, out, out), dtype=torch.uint8, generator=g).cuda()
    mean_t = torch.tensor(MEAN, device="cuda").view(3, 1, 1)
    std_t = torch.tensor(STD, device="cuda").view(3, 1, 1)
    norm_ours = cuda_time(lambda: normalize(batch, MEAN, STD))
    norm_eager = cuda_time(lambda: (batch.float() / 255 - mean_t) / std_t)

    copy_gbs = copy_bandwidth()
    norm_bytes = batch.numel() * 5  # uint8 read + float32 written
    print(f"\nnormalize {tuple(batch.shape)} uint8 -> float32: ours {norm_ours * 1e3:.3f} ms "
          f"({norm_bytes / norm_ours / 1e9:,.0f} GB/s), eager torch {norm_eager * 1e3:.3f} ms, "
          f"ours is {norm_eager / norm_ours:.2f}x")
    rows["normalize ours"] = norm_ours
    rows["normalize eager torch"] = norm_eager
    crop_bytes = int((boxes[:, 2] * boxes[:, 3]).sum()) * 3
    moved = crop_bytes + n * 3 * out * out * 4  # crop pixels read + float output written
    print(f"\n{torch.cuda.get_device_name()}, torch {torch.__version__}, {anchor}")
    print(f"device-to-device copy: {copy_gbs:,.0f} GB/s (read + write)")
    ours = rows["ours fused kernel (NCHW in)"]
    for name, seconds in rows.items():
        if name.startswith("normalize"):
            continue
        print(f"{name:<36} {seconds * 1e3:8.3f} ms  {n / seconds:>10,.0f} img/s  "
              f"{moved / seconds / 1e9:7.1f} GB/s ({moved / seconds / 1e9 / copy_gbs:5.1%} of copy)  "
              f"ours is {seconds / ours:5.2f}x")
    result = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "anchor": anchor,
              "copy_gbs": copy_gbs, "bytes_moved": moved, "seconds": rows}
    out_dir = Path(__file__).resolve().parent / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "bench_gpu.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
