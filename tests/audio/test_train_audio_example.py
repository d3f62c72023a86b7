"""examples/train_audio.py: a tiny run learns (far above chance on SyntheticKeywords), returns
every key of the examples' main-job contract, and its checkpoint reloads through the weights API
with identical predictions."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

from triptych.models import get_model

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "train_audio.py"
CONTRACT_KEYS = {"domain", "model", "model_name", "checkpoint", "accuracy", "evaluate",
                 "example_inputs", "pipeline_samples_per_s", "train_samples_per_s", "history",
                 "wall_s", "preview"}


def load_example():
    spec = importlib.util.spec_from_file_location("train_audio_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_tiny_run_learns_and_returns_the_contract(tmp_path, triptych_home, monkeypatch):
    monkeypatch.setenv("TRIPTYCH_OFFLINE", "1")
    example = load_example()
    argv = ["--num-samples", "320", "--epochs", "3", "--batch-size", "32", "--num-classes", "4",
            "--duration", "0.5", "--workers", "0", "--out", str(tmp_path / "run"), "--quiet"]
    result = example.run(argv)

    assert CONTRACT_KEYS <= set(result)
    assert result["domain"] == "audio" and result["model_name"] == "kws_cnn"
    assert 0.6 < result["accuracy"] <= 1.0  # chance is 0.25 (4 classes)
    assert [h["epoch"] for h in result["history"]] == [1, 2, 3]
    assert all(isinstance(h["loss"], float) and 0 <= h["accuracy"] <= 1 for h in result["history"])
    assert result["history"][-1]["accuracy"] == result["accuracy"]
    assert result["pipeline_samples_per_s"] > 0 and result["train_samples_per_s"] > 0
    assert result["wall_s"] > 0

    model = result["model"]
    assert not model.training and all(p.device.type == "cpu" for p in model.parameters())
    (inputs,) = result["example_inputs"]
    assert inputs.shape == (8, 1, 40, 51)  # 0.5 s at a 10 ms hop
    assert model(inputs).shape == (8, 4)
    assert result["preview"].shape == (40, 51) and result["preview"].dtype == torch.float32

    # evaluate() scores any model with the same interface: the returned one reproduces the
    # accuracy, an untrained one does not learn it.
    assert result["evaluate"](model) == pytest.approx(result["accuracy"])
    torch.manual_seed(0)
    assert result["evaluate"](get_model("kws_cnn", num_classes=4)) < 0.5

    # The checkpoint loads independently through the weights API into the same predictions.
    checkpoint = result["checkpoint"]
    assert checkpoint.parent == tmp_path / "run" and checkpoint.stem == "kws_cnn"
    again = get_model("kws_cnn", weights=checkpoint, num_classes=4).eval()
    with torch.no_grad():
        assert torch.equal(again(inputs), model(inputs))


def test_main_prints_the_summary(tmp_path, triptych_home, capsys):
    example = load_example()
    code = example.main(["--num-samples", "64", "--epochs", "1", "--batch-size", "32",
                         "--num-classes", "2", "--duration", "0.25", "--workers", "0",
                         "--out", str(tmp_path), "--quiet"])
    out = capsys.readouterr().out
    assert code == 0
    assert "held-out accuracy:" in out and "(chance 0.5000)" in out
    assert "reloaded: identical predictions" in out


@pytest.mark.parametrize("bad", [["--epochs", "0"], ["--num-classes", "13"],
                                 ["--n-mels", "8"], ["--duration", "0.1"]])
def test_bad_flags_are_usage_errors(bad, capsys):
    with pytest.raises(SystemExit) as info:
        load_example().parse_args(bad)
    assert info.value.code == 2
    assert bad[0] in capsys.readouterr().err


def test_speechcommands_without_files_is_a_clear_error(tmp_path, triptych_home, monkeypatch):
    # Without the class (it lands with the audio datasets) or without its files, the example
    # stops with an error that says what is missing; it never downloads unasked.
    monkeypatch.setenv("TRIPTYCH_OFFLINE", "1")
    with pytest.raises(RuntimeError, match="SPEECHCOMMANDS|speech_commands|not found"):
        load_example().run(["--dataset", "speechcommands", "--root", str(tmp_path), "--quiet",
                            "--workers", "0"])


def test_speech_commands_clips_are_one_second_with_word_indices():
    example = load_example()
    assert len(example.SPEECH_COMMANDS_WORDS) == 35
    words = list(example.SPEECH_COMMANDS_WORDS)
    # torchaudio's SPEECHCOMMANDS sample layout: (waveform, sample_rate, label, speaker, number)
    fake = [(torch.ones(1, 12000), 16000, "yes", "abc", 0),
            (torch.ones(1, 17000), 16000, "zero", "def", 1),
            (torch.ones(1, 16000), 8000, "no", "ghi", 0)]
    clips = example._SpeechCommandsClips(fake, words)
    short, label = clips[0]
    assert short.shape == (1, 16000) and short[0, :12000].all() and not short[0, 12000:].any()
    assert words[label] == "yes"
    long, label = clips[1]
    assert long.shape == (1, 16000) and words[label] == "zero"
    with pytest.raises(ValueError, match="sample rate 8000"):
        clips[2]
