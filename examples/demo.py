"""The offline demo that `make demo` runs.

1. Builds a synthetic uint8 image batch, normalizes it through the compiled op and through the
   pure-torch reference, checks they agree, prints both timings.
2. Encodes synthetic photos as JPEG and runs the standard training pipeline on the bytes, fused
   (Compose's fast path) and plain, and prints both throughputs.
3. Prints ``triptych info``.
"""

from __future__ import annotations

import time

import torch

import triptych
from triptych.info import collect, format_info
from triptych.vision import ops

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def best_time(fn, repeats: int = 5) -> float:
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    torch.manual_seed(0)
    batch = torch.randint(0, 256, (32, 3, 224, 224), dtype=torch.uint8)
    compiled = ops.normalize(batch, MEAN, STD)
    reference = ops._normalize_reference(batch, MEAN, STD)
    torch.testing.assert_close(compiled, reference, rtol=1e-5, atol=1e-5)
    ours = best_time(lambda: ops.normalize(batch, MEAN, STD))
    ref = best_time(lambda: ops._normalize_reference(batch, MEAN, STD))
    print(f"normalize of a {tuple(batch.shape)} uint8 batch to float32:")
    print(f"  triptych op : {ours * 1e3:8.2f} ms")
    print(f"  pure torch  : {ref * 1e3:8.2f} ms   ({ref / ours:.1f}x)")
    print(f"  results agree (max abs diff {float((compiled - reference).abs().max()):.2e})")
    print()
    vision_pipeline()
    print()
    print(format_info(collect()))
    print(f"\ntriptych {triptych.__version__} is ready.")


def vision_pipeline() -> None:
    import io

    from PIL import Image as PILImage

    from triptych.vision import transforms as T

    generator = torch.Generator().manual_seed(0)
    photos = []
    for _ in range(16):
        low = torch.rand(1, 3, 12, 16, generator=generator)
        smooth = torch.nn.functional.interpolate(low, size=(768, 1024), mode="bicubic")[0]
        array = smooth.clamp(0, 1).mul(255).to(torch.uint8).permute(1, 2, 0).contiguous().numpy()
        buffer = io.BytesIO()
        PILImage.fromarray(array).save(buffer, "JPEG", quality=90)
        photos.append(buffer.getvalue())

    def pipeline(fuse: bool) -> T.Compose:
        return T.Compose([
            T.DecodeImage(),
            T.RandomResizedCrop(224, generator=torch.Generator().manual_seed(1)),
            T.RandomHorizontalFlip(generator=torch.Generator().manual_seed(2)),
            T.ToDtype(torch.float32, scale=True),
            T.Normalize(MEAN, STD),
        ], fuse=fuse)

    fused, plain = pipeline(True), pipeline(False)
    out = fused(photos[0])
    fused_s = best_time(lambda: [fused(p) for p in photos], repeats=3)
    plain_s = best_time(lambda: [plain(p) for p in photos], repeats=3)
    print(f"JPEG bytes (1024x768) -> RandomResizedCrop(224) -> flip -> normalize: {tuple(out.shape)} {out.dtype}")
    print(f"  fused fast path : {len(photos) / fused_s:8.1f} img/s   ({[type(m).__name__ for m in fused.plan]})")
    print(f"  plain chain     : {len(photos) / plain_s:8.1f} img/s")


if __name__ == "__main__":
    main()
