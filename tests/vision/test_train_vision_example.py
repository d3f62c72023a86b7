"""examples/train_vision.py: a tiny run learns (far above chance on SyntheticShapes) and the
checkpoint it saves reloads through the weights API with identical predictions."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import torch

from triptych.models import get_model

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "train_vision.py"


def load_example():
    spec = importlib.util.spec_from_file_location("train_vision_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tiny_run_learns_and_its_checkpoint_reloads(tmp_path, triptych_home):
    out = tmp_path / "run"
    argv = ["--num-samples", "960", "--epochs", "4", "--batch-size", "32", "--lr", "0.01",
            "--out", str(out), "--seed", "3"]
    env = {**os.environ, "TRIPTYCH_OFFLINE": "1", "TRIPTYCH_HOME": str(triptych_home)}
    result = subprocess.run([sys.executable, str(EXAMPLE), *argv], capture_output=True,
                            text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    accuracy = float(re.search(r"held-out accuracy: ([0-9.]+) \(chance 0\.2000\)",
                               result.stdout).group(1))
    assert accuracy > 0.5, result.stdout[-2000:]  # chance is 0.2 (5 balanced classes)
    assert re.search(r"train throughput: \d+ img/s", result.stdout)
    assert "reloaded checkpoint predictions identical: True" in result.stdout
    checkpoints = sorted(p.name for p in out.iterdir())
    assert checkpoints in (["small_cnn.pth"], ["small_cnn.safetensors"])

    # Independently of the example's own check: the saved file, loaded through the weights API,
    # reproduces the printed accuracy on the same held-out split.
    example = load_example()
    args = example.parse_args([*argv, "--workers", "0"])
    _, test_set, classes, _ = example.build_datasets(args)
    model = get_model("small_cnn", weights=out / checkpoints[0], num_classes=len(classes))
    predicted, labels = example.predict(model, example.loader(test_set, args, shuffle=False),
                                        torch.device("cpu"))
    assert len(labels) == 240
    assert round((predicted == labels).float().mean().item(), 4) == accuracy


def test_bad_arguments_are_usage_errors():
    result = subprocess.run([sys.executable, str(EXAMPLE), "--epochs", "0"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2 and "--epochs must be >= 1" in result.stderr
