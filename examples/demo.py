"""The offline demo that `make demo` runs.

Builds a synthetic uint8 image batch, normalizes it through the compiled op and through the
pure-torch reference, checks they agree, prints both timings and ``triptych info``.
"""

from __future__ import annotations

import time

import torch

import triptych
from triptych import ops
from triptych.info import collect, format_info

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
    print(format_info(collect()))
    print(f"\ntriptych {triptych.__version__} is ready.")


if __name__ == "__main__":
    main()
