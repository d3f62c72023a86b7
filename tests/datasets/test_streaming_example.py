"""examples/ddp_train.py runs under torchrun and checkpoints the data position."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "ddp_train.py"


@pytest.mark.slow  # one torchrun launch, ~6 s; still run by `make test`
def test_ddp_example_trains_and_checkpoints(tmp_path):
    checkpoint = tmp_path / "ckpt.pt"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               "--nproc-per-node=1", str(EXAMPLE), "--data", str(tmp_path / "data"),
               "--checkpoint", str(checkpoint), "--samples", "64", "--epochs", "1",
               "--batch-size", "16", "--workers", "0"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "epoch 0: step 4" in result.stdout
    state = torch.load(checkpoint, weights_only=True)
    assert (state["epoch"], state["step"], state["data"]["position"]) == (0, 4, 64)
