"""examples/train_text.py: the main-job contract, far above chance, a checkpoint that reloads
through the weights API, and the AG News path on a tiny copy of its files."""

from __future__ import annotations

import csv
import importlib.util
import io
import math
import warnings
from pathlib import Path

import pytest
import torch

pytest.importorskip("sentencepiece")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "train_text.py"


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("train_text_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_run_follows_the_main_job_contract(example, tmp_path):
    result = example.run(["--epochs", "2", "--samples", "800", "--out", str(tmp_path)])
    assert result["domain"] == "text" and result["model_name"] is None
    model = result["model"]
    assert not model.training and all(p.device.type == "cpu" for p in model.parameters())
    assert result["accuracy"] > 0.7  # 4 classes: chance 0.25
    assert result["evaluate"](model) == result["accuracy"]
    untrained = example.MeanPoolClassifier(model.embedding.num_embeddings, 4)
    assert result["evaluate"](untrained) < 0.6

    # The checkpoint is a plain state_dict file that loads into a fresh model, same predictions.
    assert result["checkpoint"] in (tmp_path / "classifier.pth", tmp_path / "classifier.safetensors")
    from triptych.models import load_state_dict_file

    fresh = example.MeanPoolClassifier(model.embedding.num_embeddings, 4)
    fresh.load_state_dict(load_state_dict_file(result["checkpoint"]))
    ids, mask = result["example_inputs"]
    assert ids.dtype == torch.int64 and ids.shape == mask.shape and ids.shape[0] == 8
    torch.testing.assert_close(fresh.eval()(ids, mask), model(ids, mask))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        result["checkpoint"].name, "tokenizer.model", "vocab.txt"]

    # The forward survives what the main job does to it: dynamic int8 Linear layers and export.
    with warnings.catch_warnings():  # torch.ao's deprecation notices, not ours
        warnings.simplefilter("ignore")
        int8 = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    assert result["evaluate"](int8) > 0.7
    exported = torch.export.export(model, result["example_inputs"]).module()
    torch.testing.assert_close(exported(ids, mask), model(ids, mask))

    assert [h["epoch"] for h in result["history"]] == [1, 2]
    assert all(math.isfinite(h["loss"]) and 0 <= h["accuracy"] <= 1 for h in result["history"])
    assert result["history"][1]["loss"] < result["history"][0]["loss"]
    for key in ("pipeline_samples_per_s", "train_samples_per_s", "wall_s"):
        assert result[key] > 0, key
    preview = result["preview"]
    assert 1 <= len(preview) <= 8
    for text, tokens in preview:
        assert isinstance(text, str) and tokens and all(isinstance(t, str) for t in tokens)
        assert "".join(tokens).replace("\u2581", " ").strip() == text.strip()


def test_ag_news_option_reads_the_dataset(example, tmp_path):
    # A tiny AG News in the extracted layout under --root (no download: the test is offline).
    folder = tmp_path / "ag_news"
    (folder / "ag_news_csv" / "ag_news_csv").mkdir(parents=True)
    (folder / "ag_news_csv.tar.gz").write_bytes(b"stands in for the verified archive")
    topics = [["1", "minister election vote", "parliament government"],
              ["2", "team wins match", "coach goal season"],
              ["3", "market shares profit", "investor bank merger"],
              ["4", "planet telescope", "cell protein genome"]]

    def rows(n):
        out = io.StringIO()
        csv.writer(out, quoting=csv.QUOTE_ALL).writerows(topics[i % 4] for i in range(n))
        return out.getvalue()

    (folder / "ag_news_csv" / "ag_news_csv" / "train.csv").write_text(rows(200))
    (folder / "ag_news_csv" / "ag_news_csv" / "test.csv").write_text(rows(40))
    result = example.run(["--dataset", "ag_news", "--root", str(tmp_path), "--samples", "120",
                          "--epochs", "3", "--vocab-size", "60", "--out", str(tmp_path / "out")])
    assert result["classes"] == ["World", "Sports", "Business", "Sci/Tech"]
    assert result["accuracy"] > 0.9
    assert result["preview"][0][0] == "minister election vote parliament government"


def test_bad_flags_are_clear_errors(example, capsys):
    with pytest.raises(SystemExit):
        example.run(["--epochs", "0"])
    assert "--epochs must be >= 1" in capsys.readouterr().err
