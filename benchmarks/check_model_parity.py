"""Same weights, same outputs: each vision model against torchvision's, on random weights.

The anchor Python (torchvision) builds each model with a seeded random initialisation, saves
its state_dict, an input batch and its output; this process loads that state_dict into our model
with ``strict=True`` (the published checkpoints have exactly this layout) and compares outputs.
It needs the anchor environment, so it is a script beside the benchmarks, not a test; the tests
check the same layouts against committed manifests.

    python benchmarks/check_model_parity.py            # all five
    python benchmarks/check_model_parity.py resnet18
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from common import anchor_python

NAMES = ("resnet18", "resnet50", "mobilenet_v3_small", "mobilenet_v3_large", "vit_b_16")


def _anchor_side(name: str, out: str) -> None:
    import torch
    import torchvision.models

    torch.manual_seed(0)
    model = getattr(torchvision.models, name)().eval()
    # Noise on the zero-initialised tensors (biases, ViT's head) and random BN statistics, so
    # that no layer is an identity and every output depends on every tensor.
    with torch.no_grad():
        for param in model.parameters():
            if not param.any():
                param.normal_(0.0, 0.05)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    x = torch.rand(2, 3, 224, 224)
    with torch.inference_mode():
        y = model(x)
    torch.save({"state": model.state_dict(), "x": x, "y": y}, out)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--anchor-side"]:
        _anchor_side(argv[1], argv[2])
        return 0
    import torch

    from triptych.models import get_model

    python = anchor_python()
    if python is None:
        print("no anchor Python (set TRIPTYCH_ANCHOR_PYTHON)")
        return 2
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in argv or NAMES:
            path = str(Path(tmp) / f"{name}.pt")
            subprocess.run([python, __file__, "--anchor-side", name, path], check=True)
            saved = torch.load(path, weights_only=True)
            model = get_model(name, weights=None).eval()
            model.load_state_dict(saved["state"], strict=True)
            with torch.inference_mode():
                y = model(saved["x"])
            diff = (y - saved["y"]).abs().max().item()
            scale = saved["y"].abs().max().item()
            ok = torch.allclose(y, saved["y"], rtol=1e-4, atol=1e-4 * max(scale, 1.0))
            failed += not ok
            print(f"{name:20s} strict load ok, max |ours - torchvision| = {diff:.2e} "
                  f"(output scale {scale:.2f}) {'ok' if ok else 'DIFFERENT'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
