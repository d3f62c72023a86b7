"""examples/main_job.py on tiny flags: the vision example trains, its checkpoint reloads through
the weights API, compiles with inductor, exports, runs in onnxruntime and quantizes to int8; the
table, report and summary are written. A domain without its example gets a "skipped" row."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "main_job.py"
HAS_ONNX = all(importlib.util.find_spec(m) for m in ("onnx", "onnxscript", "onnxruntime"))


def load_main_job():
    spec = importlib.util.spec_from_file_location("main_job_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tiny_vision_run(tmp_path, triptych_home, monkeypatch, capsys):
    monkeypatch.setenv("TRIPTYCH_OFFLINE", "1")
    job = load_main_job()
    out = tmp_path / "job"
    code = job.main(["--domain", "vision", "--epochs", "2", "--out", str(out), "--args",
                     "vision=--num-samples 480 --batch-size 32 --lr 0.01 --workers 0 --seed 3"])
    printed = capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    (row,) = summary["domains"]
    assert code == 0, printed[-2000:]
    assert row["domain"] == "vision" and row["status"] == "ok" and row["model_name"] == "small_cnn"
    # The reloaded checkpoint is the trained model: same held-out accuracy.
    assert row["accuracy_reloaded"] == row["accuracy"] and row["reloaded_with"] == "get_model"
    assert 0 <= row["accuracy"] <= 1  # learning itself: tests/vision/test_train_vision_example.py
    assert row["compile"] == "ok" and row["export"] == "ok"
    if HAS_ONNX:
        assert row["onnx"].startswith("ok (max |diff|"), row["onnx"]
    else:
        assert row["onnx"].startswith("skipped:")
    assert row["int8"] == "ok" and abs(row["accuracy_int8"] - row["accuracy"]) <= 0.05
    assert row["pipeline_samples_per_s"] > 0 and row["train_samples_per_s"] > 0
    assert [h["epoch"] for h in row["history"]] == [1, 2]
    assert (out / "vision" / "small_cnn.safetensors").exists() or \
        (out / "vision" / "small_cnn.pth").exists()
    report = (out / "report.md").read_text()
    assert "| vision | small_cnn |" in report
    if importlib.util.find_spec("matplotlib"):
        for image in ("vision_curves.png", "vision_augmented.png"):
            assert f"]({image})" in report and (out / image).stat().st_size > 1000
    header = next(line for line in printed.splitlines() if line.startswith("domain"))
    assert header.split() == ["domain", "model", "pipeline/s", "train/s", "chance", "accuracy",
                              "int8",
                              "accuracy", "compile", "export", "onnx", "wall", "s"]


def test_missing_example_is_a_skipped_row(tmp_path, monkeypatch):
    job = load_main_job()
    monkeypatch.setattr(job, "EXAMPLES", tmp_path)
    (tmp_path / "train_text.py").write_text("def main(argv=None):\n    return 0\n")
    args = job.parse_args(["--out", str(tmp_path / "out")])
    assert job.run_domain("audio", args, tmp_path / "out") == {
        "domain": "audio", "status": "skipped: not present"}
    assert job.run_domain("text", args, tmp_path / "out")["status"] == \
        "skipped: no run() (main-job contract)"


@pytest.mark.parametrize("argv, message", [
    (["--epochs", "0"], "--epochs must be >= 1"),
    (["--args", "video=--x 1"], "--args takes DOMAIN=FLAGS"),
    (["--domain", "speech"], "invalid choice"),
])
def test_bad_arguments(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        load_main_job().parse_args(argv)
    assert exc.value.code == 2 and message in capsys.readouterr().err
