"""examples/train_text.py trains far above chance and writes a checkpoint that loads back."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("sentencepiece")


def test_train_text_example(tmp_path):
    path = Path(__file__).resolve().parents[2] / "examples" / "train_text.py"
    spec = importlib.util.spec_from_file_location("train_text_example", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    accuracy = example.main(["--epochs", "2", "--samples", "800", "--out", str(tmp_path)])
    assert accuracy > 0.7  # chance: 0.25
    assert sorted(p.name for p in tmp_path.iterdir()) == ["classifier.pt", "tokenizer.model", "vocab.txt"]
