"""triptych.audio.models.wav2vec2: torchaudio's checkpoint layout, outputs equal to torchaudio's on
random weights (fixtures made by make_wav2vec2_fixtures.py), the weights entry, loading through
the weights API from the loopback server, the CTC bundle, and compile / export."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from pathlib import Path

import pytest
import torch

from triptych.audio.models import (
    WAV2VEC2_ASR_BASE_960H,
    Wav2Vec2_Base_Weights,
    ctc_greedy_decode,
    wav2vec2_base,
    wav2vec2_model,
)
from triptych.audio.models.wav2vec2 import _aux_num_out, _build
from triptych.models import (
    Weights,
    WeightsEnum,
    get_model,
    get_weight,
    list_models,
    register_model,
    resolve_weights,
)
from triptych.registry import MODELS, WEIGHTS

HERE = Path(__file__).parent
LAYOUTS = json.loads((HERE / "wav2vec2_checkpoint_layout.json").read_text())["layouts"]
REFERENCE = torch.load(HERE / "wav2vec2_reference.pt", weights_only=True)["cases"]
CASES = sorted(REFERENCE)


@pytest.fixture(autouse=True)
def _home(triptych_home):
    return triptych_home


@pytest.fixture(scope="module")
def base_asr():
    return wav2vec2_base(aux_num_out=29)


def reference_model(case: str) -> torch.nn.Module:
    ref = REFERENCE[case]
    config = dict(ref["config"])
    config["extractor_conv_layer_config"] = [tuple(c) for c in config["extractor_conv_layer_config"]]
    model = wav2vec2_model(**config).eval()
    model.load_state_dict(ref["state_dict"], strict=True)
    return model


def saved(state) -> bytes:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


# -- layout ---------------------------------------------------------------------------------


def test_base_state_dict_matches_torchaudios_layout():
    state = wav2vec2_base().state_dict()
    assert {k: list(v.shape) for k, v in state.items()} == LAYOUTS["wav2vec2_base"]["tensors"]


def test_base_with_ctc_head_matches_torchaudios_layout(base_asr):
    state = base_asr.state_dict()
    assert {k: list(v.shape) for k, v in state.items()} == LAYOUTS["wav2vec2_base_aux29"]["tensors"]
    num_params = sum(p.numel() for p in base_asr.parameters())
    assert num_params == Wav2Vec2_Base_Weights.DEFAULT.meta["num_params"]


def test_base_output_shapes_and_lengths(base_asr):
    model = base_asr.eval()
    with torch.no_grad():
        emissions, lengths = model(torch.randn(2, 8000), torch.tensor([8000, 4000]))
        features, _ = model.extract_features(torch.randn(1, 4000), num_layers=3)
    assert emissions.shape == (2, 24, 29) and lengths.tolist() == [24, 12]
    assert len(features) == 3 and features[0].shape == (1, 12, 768)


# -- outputs equal torchaudio's ---------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_outputs_equal_torchaudio_on_random_weights(case):
    ref = REFERENCE[case]
    model = reference_model(case)
    with torch.no_grad():
        output, lengths = model(ref["waveforms"], ref["lengths"])
        unpadded, none = model(ref["waveforms"])
    torch.testing.assert_close(output, ref["output"], rtol=1e-4, atol=1e-4)
    assert torch.equal(lengths, ref["output_lengths"]) and none is None
    torch.testing.assert_close(unpadded, ref["output_unpadded"], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("case", CASES)
def test_extract_features_equal_torchaudio(case):
    ref = REFERENCE[case]
    with torch.no_grad():
        features, _ = reference_model(case).extract_features(ref["waveforms"], ref["lengths"])
    assert len(features) == len(ref["features"])
    for ours, theirs in zip(features, ref["features"]):
        torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-4)


def test_padding_does_not_change_the_valid_frames_with_a_layer_norm_extractor():
    # (the group-norm extractor normalises over the whole row, padding included, as torchaudio)
    model = reference_model("layer_norm_pre_norm")
    ref = REFERENCE["layer_norm_pre_norm"]
    short = ref["waveforms"][2:3, :170]
    with torch.no_grad():
        alone, n = model(short)
        batched, lengths = model(ref["waveforms"], ref["lengths"])
    frames = int(lengths[2])
    assert alone.shape[1] == frames
    torch.testing.assert_close(batched[2, :frames], alone[0], rtol=1e-4, atol=1e-4)


def test_torchaudio_parametrization_names_load_too():
    ref = REFERENCE["layer_norm_pre_norm"]
    state = {k.replace("conv.weight_g", "conv.parametrizations.weight.original0")
              .replace("conv.weight_v", "conv.parametrizations.weight.original1"): v
             for k, v in ref["state_dict"].items()}
    assert "encoder.transformer.pos_conv_embed.conv.weight_g" not in state
    config = dict(ref["config"])
    model = wav2vec2_model(**config).eval()
    model.load_state_dict(state, strict=True)
    with torch.no_grad():
        torch.testing.assert_close(model(ref["waveforms"], ref["lengths"])[0], ref["output"],
                                   rtol=1e-4, atol=1e-4)


def test_bad_inputs_name_the_argument():
    model = reference_model("group_norm_post_norm")
    with pytest.raises(ValueError, match="waveforms must be a \\(batch, time\\)"):
        model(torch.randn(400))
    with pytest.raises(TypeError, match="waveforms must be a float"):
        model(torch.ones(1, 400, dtype=torch.int16))
    with pytest.raises(ValueError, match="at least 30 samples"):
        model(torch.randn(1, 29))
    with pytest.raises(ValueError, match="lengths must be a \\(2,\\) tensor"):
        model(torch.randn(2, 400), torch.tensor([400]))
    with pytest.raises(TypeError, match="lengths must be an integer"):
        model(torch.randn(1, 400), torch.tensor([400.0]))
    with pytest.raises(ValueError, match="extractor_mode"):
        wav2vec2_model(**{**REFERENCE["group_norm_post_norm"]["config"], "extractor_mode": "x"})
    with pytest.raises(ValueError, match="aux_num_out"):
        wav2vec2_base(aux_num_out=0)


# -- weights entry and loading through the weights API -----------------------------------------


def test_registered_in_the_audio_domain():
    assert "wav2vec2_base" in list_models(domain="audio", with_weights=True)
    assert "wav2vec2_base" not in list_models(domain="vision")


def test_asr_weights_entry():
    weights = get_weight("Wav2Vec2_Base_Weights.DEFAULT")
    assert weights is Wav2Vec2_Base_Weights.ASR_LIBRISPEECH_960H
    assert weights.url == ("https://download.pytorch.org/torchaudio/models/"
                           "wav2vec2_fairseq_base_ls960_asr_ls960.pth")
    assert len(weights.sha256) == 64 and not weights.sha256_is_prefix
    assert weights.size == 377_664_473
    assert weights.meta["sample_rate"] == 16000
    assert weights.meta["unused_output_rows"] == (1, 2, 3)


def test_asr_weights_decide_the_head_size():
    weights = Wav2Vec2_Base_Weights.DEFAULT
    assert _aux_num_out(weights, None) == 29 and _aux_num_out(weights, 29) == 29
    with pytest.raises(ValueError, match="aux_num_out=10 does not fit .*29 labels"):
        _aux_num_out(weights, 10)


def test_real_weights_not_on_disk_say_where_to_put_them(_home, monkeypatch):
    monkeypatch.setenv("TRIPTYCH_OFFLINE", "1")
    expected = _home / "weights" / "wav2vec2_fairseq_base_ls960_asr_ls960.pth"
    with pytest.raises(RuntimeError, match=str(expected)):
        WAV2VEC2_ASR_BASE_960H.get_model()


def fairseq_file(state: dict, rows=(1, 2, 3)) -> dict:
    """The state as fairseq's CTC files hold it: never-emitted outputs inserted at ``rows``."""
    out = dict(state)
    for key in ("aux.weight", "aux.bias"):
        value = state[key]
        parts = list(value)
        for row in rows:
            parts.insert(row, torch.full_like(value[0], 1e3))
        out[key] = torch.stack(parts)
    return out


@pytest.fixture
def loopback_wav2vec2(loopback_server):
    """The reduced reference checkpoint in fairseq's file form, served with its real sha256, and
    a model registered with a weights entry pointing at it (same loading code as wav2vec2_base)."""
    ref = REFERENCE["group_norm_post_norm"]
    data = saved(fairseq_file(ref["state_dict"]))
    url = loopback_server.add_file("models/w2v-test.pth", data)
    labels = ("-", "|", "A", "B", "C")
    entry = Weights(url, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                    meta={"sample_rate": 16000, "labels": labels,
                          "unused_output_rows": (1, 2, 3)})
    suffix = os.urandom(3).hex()
    enum_cls = WeightsEnum(f"LoopbackWav2Vec2_{suffix}_Weights", {"V1": entry, "DEFAULT": entry})

    config = {k: v for k, v in ref["config"].items() if k != "aux_num_out"}

    def builder(*, weights=None, progress=True, aux_num_out=None):  # wav2vec2_base's body
        return _build(config, enum_cls.verify(weights), aux_num_out=aux_num_out,
                      progress=progress)

    name = f"wav2vec2_loopback_{suffix}"
    register_model(name, domain="audio", weights=enum_cls)(builder)
    yield {"name": name, "ref": ref, "data": data, "server": loopback_server}
    MODELS.unregister(name)
    WEIGHTS.unregister(enum_cls.__name__)


def test_loopback_checkpoint_loads_strict_and_equals_torchaudio(loopback_wav2vec2):
    ref = loopback_wav2vec2["ref"]
    model = get_model(loopback_wav2vec2["name"], weights="DEFAULT").eval()
    loaded = model.state_dict()
    assert loaded.keys() == ref["state_dict"].keys()
    for key, value in ref["state_dict"].items():
        torch.testing.assert_close(loaded[key], value, rtol=0, atol=0, msg=key)
    with torch.no_grad():
        output, _ = model(ref["waveforms"], ref["lengths"])
    torch.testing.assert_close(output, ref["output"], rtol=1e-4, atol=1e-4)
    assert loopback_wav2vec2["server"].stats("models/w2v-test.pth").requests >= 1


def test_local_checkpoint_of_another_head_is_refused_naming_the_tensor(tmp_path):
    ref = REFERENCE["group_norm_post_norm"]
    path = tmp_path / "w2v.pth"
    path.write_bytes(saved(fairseq_file(ref["state_dict"])))  # a local file: no rows dropped
    config = {k: v for k, v in ref["config"].items() if k != "aux_num_out"}
    with pytest.raises(ValueError, match=r"aux\.weight \(\[8, 16\] in the weights, \[5, 16\]"):
        _build(config, resolve_weights(path, None), aux_num_out=5, progress=False)
    model = _build(config, resolve_weights(path, None), aux_num_out=8, progress=False)
    assert model.aux.out_features == 8


def test_wav2vec2_base_loads_a_local_checkpoint_of_the_published_layout(tmp_path):
    # one distinct constant per tensor, stored as a one-element expanded view: a tiny file
    layout = LAYOUTS["wav2vec2_base"]["tensors"]
    state = {name: torch.full((1,) * len(shape), float(i)).expand(shape)
             for i, (name, shape) in enumerate(layout.items())}
    path = tmp_path / "wav2vec2_fairseq_base_ls960.pth"
    torch.save(state, path)
    assert path.stat().st_size < 200_000
    model = wav2vec2_base(weights=path)
    assert model.aux is None
    loaded = model.state_dict()
    for i, name in enumerate(layout):
        assert torch.equal(loaded[name], torch.full(layout[name], float(i))), name


# -- the CTC bundle ----------------------------------------------------------------------------


def test_bundle_labels_and_sample_rate():
    labels = WAV2VEC2_ASR_BASE_960H.get_labels()
    assert WAV2VEC2_ASR_BASE_960H.sample_rate == 16000
    assert labels == ("-", "|", "E", "T", "A", "O", "N", "I", "H", "S", "R", "D", "L", "U", "M",
                      "W", "C", "F", "G", "Y", "P", "B", "V", "K", "'", "X", "J", "Q", "Z")
    assert WAV2VEC2_ASR_BASE_960H.get_labels(blank="<b>")[0] == "<b>"


def emissions_for(text_paths: list[str], labels) -> torch.Tensor:
    """Hand-made emissions: per frame a random score row whose maximum is the given label."""
    index = {label: i for i, label in enumerate(labels)}
    rows = []
    for path in text_paths:
        scores = torch.randn(len(path), len(labels))
        for t, char in enumerate(path):
            scores[t, index[char]] = scores[t].max() + 1.0 + torch.rand(())
        rows.append(scores)
    return torch.stack(rows)


def test_greedy_decoder_on_hand_made_emissions():
    labels = WAV2VEC2_ASR_BASE_960H.get_labels()
    # blanks between repeats keep double letters; repeats without a blank merge; "|" -> space
    paths = ["--HH-E-LL-LL-OO||--W-O-RR-L-DD---",
             "|I-T'-SS|--|-A|---|-T-EE-SS-T||--"]
    emissions = emissions_for(paths, labels)
    assert WAV2VEC2_ASR_BASE_960H.decode(emissions) == ["HELLO WORLD", "IT'S A TEST"]
    assert WAV2VEC2_ASR_BASE_960H.decode(emissions[0]) == ["HELLO WORLD"]
    log_probs = torch.log_softmax(emissions, dim=-1)
    assert WAV2VEC2_ASR_BASE_960H.decode(log_probs) == ["HELLO WORLD", "IT'S A TEST"]


def test_greedy_decoder_stops_at_the_valid_length():
    labels = ("-", "|", "A", "B")
    emissions = emissions_for(["AA-B|BA", "B-B-AAA"], labels)
    assert ctc_greedy_decode(emissions, labels, lengths=torch.tensor([4, 3])) == ["AB", "BB"]
    assert ctc_greedy_decode(emissions, labels) == ["AB BA", "BBA"]


def test_greedy_decoder_rejects_bad_arguments():
    labels = ("-", "A")
    with pytest.raises(ValueError, match="emissions have 3 classes but there are 2 labels"):
        ctc_greedy_decode(torch.zeros(1, 4, 3), labels)
    with pytest.raises(ValueError, match="emissions must be"):
        ctc_greedy_decode(torch.zeros(4), labels)
    with pytest.raises(ValueError, match="lengths must be a \\(1,\\) tensor"):
        ctc_greedy_decode(torch.zeros(1, 4, 2), labels, lengths=torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="blank"):
        ctc_greedy_decode(torch.zeros(1, 4, 2), labels, blank=2)


# -- compile and export ------------------------------------------------------------------------


def test_example_inputs_are_a_padded_batch_the_model_takes(base_asr):
    waveforms, lengths = base_asr.example_inputs(batch_size=3)
    assert waveforms.shape == (3, 16000) and lengths.tolist() == [16000, 12000, 12000]
    small = reference_model("group_norm_post_norm")
    gen = torch.Generator().manual_seed(0)
    inputs = small.example_inputs(batch_size=1, num_samples=30, generator=gen)
    assert small(*inputs)[0].shape == (1, 1, 5)
    with pytest.raises(ValueError, match="num_samples must be an int >= 30"):
        small.example_inputs(num_samples=29)
    with pytest.raises(ValueError, match="batch_size"):
        small.example_inputs(batch_size=0)


def test_compiles_without_graph_breaks():
    ref = REFERENCE["group_norm_post_norm"]
    model = reference_model("group_norm_post_norm")
    compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
    with torch.no_grad():
        output, lengths = compiled(ref["waveforms"], ref["lengths"])
    torch.testing.assert_close(output, ref["output"], rtol=1e-4, atol=1e-4)
    assert torch.equal(lengths, ref["output_lengths"])


def test_exports_with_dynamic_batch_and_time_and_matches_eager():
    ref = REFERENCE["layer_norm_pre_norm"]
    model = reference_model("layer_norm_pre_norm")
    batch, time = torch.export.Dim("batch", min=1, max=64), torch.export.Dim("time", min=400)
    program = torch.export.export(model, (ref["waveforms"], ref["lengths"]),
                                  dynamic_shapes=({0: batch, 1: time}, {0: batch}))
    other = torch.randn(5, 1234)
    lengths = torch.tensor([1234, 1000, 800, 500, 400])
    with torch.no_grad():
        expected = model(other, lengths)
    got = program.module()(other, lengths)
    torch.testing.assert_close(got[0], expected[0], rtol=1e-5, atol=1e-5)
    assert torch.equal(got[1], expected[1])


def test_docs_page_example_runs(capsys):
    page = HERE.parents[1] / "docs" / "audio-models.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S)
    assert len(blocks) == 1
    namespace: dict = {}
    exec(compile(blocks[0], str(page), "exec"), namespace)
    assert namespace["emissions"].shape == (2, 49, 29)
    assert namespace["frames"].tolist() == [49, 37]
    assert capsys.readouterr().out.splitlines()[-1] == "['HI']"
