"""kws_cnn: registered under the audio domain, the shapes it promises, clear errors, and a
checkpoint written by save_state_dict_file that loads back through the weights API."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from triptych.audio.models import KWSCNN, kws_cnn
from triptych.models import get_model, list_models, model_entry, save_state_dict_file


def test_registered_in_the_audio_domain():
    assert "kws_cnn" in list_models(domain="audio")
    assert "kws_cnn" not in list_models(domain="vision")
    entry = model_entry("kws_cnn")
    assert entry.domain == "audio" and entry.builder is kws_cnn and entry.weights is None


def test_cli_lists_it_for_the_audio_domain():
    out = subprocess.run([sys.executable, "-m", "triptych", "models", "list", "--domain", "audio"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert any(line.split()[:2] == ["kws_cnn", "audio"] for line in out.stdout.splitlines())


@pytest.mark.parametrize(("shape", "num_classes"), [((2, 1, 40, 101), 12), ((3, 1, 16, 16), 5),
                                                    ((1, 1, 80, 51), 35)])
def test_output_shape(shape, num_classes):
    model = get_model("kws_cnn", num_classes=num_classes).eval()
    assert model(torch.randn(shape)).shape == (shape[0], num_classes)


def test_trains_end_to_end():
    torch.manual_seed(0)
    model = KWSCNN(num_classes=2, widths=(8, 16))
    x = torch.randn(16, 1, 16, 20)
    y = (x[:, 0, :8].mean((1, 2)) > x[:, 0, 8:].mean((1, 2))).long()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    first = None
    for _ in range(30):
        loss = torch.nn.functional.cross_entropy(model(x), y)
        first = loss.item() if first is None else first
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.5 * first


@pytest.mark.parametrize("bad", [torch.zeros(2, 40, 101), torch.zeros(2, 3, 40, 101),
                                 torch.zeros(2, 1, 8, 101)])
def test_bad_input_shape_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="KWSCNN"):
        KWSCNN()(bad)


@pytest.mark.parametrize(("kwargs", "name"), [({"num_classes": 0}, "num_classes"),
                                              ({"in_channels": 0}, "in_channels"),
                                              ({"widths": ()}, "widths"),
                                              ({"dropout": 1.0}, "dropout")])
def test_bad_options_name_themselves(kwargs, name):
    with pytest.raises(ValueError, match=name):
        KWSCNN(**kwargs)


@pytest.mark.parametrize("suffix", ["", ".pth", ".safetensors"])
def test_checkpoint_round_trip(tmp_path, suffix):
    if suffix == ".safetensors":
        pytest.importorskip("safetensors")
    model = get_model("kws_cnn", num_classes=7)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_()
    model.eval()
    path = save_state_dict_file(model, tmp_path / f"kws{suffix}")
    assert path.exists() and (suffix == "" or path.suffix == suffix)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no partial file left
    reloaded = get_model("kws_cnn", weights=path, num_classes=7).eval()
    x = torch.randn(2, 1, 40, 101)
    assert torch.equal(model(x), reloaded(x))
    with pytest.raises(ValueError, match="do not fit"):
        get_model("kws_cnn", weights=path, num_classes=8)


def test_save_state_dict_file_rejects_other_objects(tmp_path):
    with pytest.raises(TypeError, match="model_or_state"):
        save_state_dict_file({"a": 1}, tmp_path / "x.pth")
    assert not list(tmp_path.iterdir())


def test_example_inputs_fit_the_model_and_check_their_options():
    model = kws_cnn().eval()
    (features,) = model.example_inputs(batch_size=3, n_mels=40, frames=101)
    assert features.shape == (3, 1, 40, 101) and model(features).shape == (3, 12)
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        model.example_inputs(batch_size=0)
    with pytest.raises(ValueError, match="frames must be a positive int"):
        model.example_inputs(frames=4.0)
