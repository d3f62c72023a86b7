"""RoBERTa / XLM-R encoders against Hugging Face ``transformers``: names and shapes of the published
layouts (manifests), outputs on random weights of a reduced config of the same architecture,
the tokenizers + text transforms, and loading from the loopback server through the weights API.

The reference files come from tests/text/make_text_model_fixtures.py (run with transformers).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from functools import partial
from pathlib import Path

import pytest
import torch

from triptych.datasets.catalog import Resource
from triptych.models import (
    LocalWeights,
    Weights,
    WeightsEnum,
    get_model,
    get_model_weights,
    list_models,
    register_model,
)
from triptych.registry import MODELS, WEIGHTS
from triptych.text.models import (
    RoBERTa_Base_Weights,
    RobertaClassifier,
    RobertaEncoder,
    XLMR_Base_Weights,
    bpe_text_transform,
    hub_to_encoder_state,
    load_roberta_weights,
    roberta_base,
    roberta_position_ids,
    sentencepiece_text_transform,
    xlmr_base,
)

HERE = Path(__file__).parent
FIXTURES = HERE / "text_models"
TINY = dict(vocab_size=50, hidden_size=32, num_layers=2, num_heads=4, intermediate_size=37,
            max_positions=20)
TOKENIZER_IDS = json.loads((FIXTURES / "tokenizer_ids.json").read_text(encoding="utf-8"))
BUILDERS = {"roberta_base": (roberta_base, RoBERTa_Base_Weights),
            "xlmr_base": (xlmr_base, XLMR_Base_Weights)}


@pytest.fixture(autouse=True)
def _home(triptych_home):
    return triptych_home


def layout(name: str) -> dict:
    return json.loads((HERE / f"{name}_layout.json").read_text(encoding="utf-8"))


def fixture(name: str) -> dict:
    return torch.load(FIXTURES / f"{name}_tiny.pt", weights_only=True)


def shapes(model: torch.nn.Module) -> dict[str, list[int]]:
    return {k: list(v.shape) for k, v in model.state_dict().items()}


# ---------------------------------------------------------------------------------- layouts
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_encoder_and_classifier_match_the_transformers_layouts(name):
    builder, _ = BUILDERS[name]
    manifest = layout(name)
    with torch.device("meta"):
        assert shapes(builder()) == manifest["encoder"]
        assert shapes(builder(num_classes=2)) == manifest["sequence_classification"]


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_hub_layout_maps_onto_the_encoder(name):
    manifest = layout(name)
    hub = {k: torch.empty(s, device="meta") for k, s in manifest["masked_lm"].items()}
    hub["roberta.embeddings.position_ids"] = torch.empty(1, 514, device="meta")  # roberta-base's file
    assert {k: list(v.shape) for k, v in hub_to_encoder_state(hub).items()} == manifest["encoder"]


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_weights_entries(name):
    builder, enum_cls = BUILDERS[name]
    assert get_model_weights(name) is enum_cls
    weights = enum_cls.DEFAULT
    revision = weights.url.split("/resolve/")[1].split("/")[0]
    assert weights.url.startswith("https://huggingface.co/FacebookAI/") and len(revision) == 40
    assert not weights.sha256_is_prefix and len(weights.sha256) == 64
    assert weights.filename.endswith(".safetensors")
    params = sum(torch.Size(s).numel() for s in layout(name)["encoder"].values())
    assert weights.meta["num_params"] == params
    files = weights.meta["tokenizer_files"]
    assert all(isinstance(r, Resource) and revision in r.urls[0] and len(r.sha256) == 64
               for r in files.values())
    assert weights.meta["special_ids"]["mask"] == layout(name)["encoder"][
        "embeddings.word_embeddings.weight"][0] - 1


def test_registered_in_the_text_domain():
    assert {"roberta_base", "xlmr_base"} <= set(list_models(domain="text", with_weights=True))
    assert "roberta_base" not in list_models(domain="vision")


# ------------------------------------------------------------------ outputs vs transformers
def tiny_encoder(name: str, tmp_path: Path) -> RobertaEncoder:
    """The reduced-config encoder with the fixture's weights, loaded from the hub layout."""
    path = tmp_path / f"{name}.pt"
    torch.save(fixture(name)["state_dict"], path)
    model = RobertaEncoder(**TINY)
    load_roberta_weights(model, LocalWeights(path))
    return model.eval()


@pytest.mark.parametrize("name", ["roberta", "xlmr"])
def test_outputs_equal_transformers_with_and_without_attention_mask(name, tmp_path):
    ref = fixture(name)
    model = tiny_encoder(name, tmp_path)
    with torch.no_grad():
        masked = model(ref["input_ids"], attention_mask=ref["attention_mask"])
        unmasked = model(ref["input_ids"])
    torch.testing.assert_close(masked, ref["last_hidden_state"], rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(unmasked, ref["last_hidden_state_no_mask"], rtol=1e-4, atol=1e-5)
    # padded rows attend to their padding without the mask: the two must differ there
    assert not torch.allclose(masked[1], unmasked[1], atol=1e-3)
    torch.testing.assert_close(masked[0], unmasked[0], rtol=1e-4, atol=1e-5)  # row 0: no padding


def test_position_ids_skip_padding():
    ids = torch.tensor([[0, 9, 9, 2, 1, 1], [1, 1, 0, 9, 2, 1], [0, 9, 9, 9, 9, 2]])
    expected = torch.tensor([[2, 3, 4, 5, 1, 1], [1, 1, 2, 3, 4, 1], [2, 3, 4, 5, 6, 7]])
    assert torch.equal(roberta_position_ids(ids, padding_idx=1), expected)
    assert torch.equal(roberta_position_ids(ids + 5, padding_idx=6), expected + 5)


def test_left_and_right_padding_do_not_change_the_tokens_outputs(tmp_path, seeded_generator):
    """Padding-offset positions: a sequence's outputs are the same wherever its padding is."""
    model = tiny_encoder("roberta", tmp_path)
    tokens = torch.randint(3, 50, (6,), generator=seeded_generator)
    plain = tokens[None]
    right = torch.cat([tokens, torch.ones(3, dtype=torch.long)])[None]
    left = torch.cat([torch.ones(3, dtype=torch.long), tokens])[None]
    with torch.no_grad():
        out = model(plain)
        torch.testing.assert_close(model(right, right.ne(1))[:, :6], out, rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(model(left, left.ne(1))[:, 3:], out, rtol=1e-4, atol=1e-5)


def test_classifier_logits_equal_transformers(tmp_path):
    ref = fixture("roberta")
    path = tmp_path / "classifier.pt"
    torch.save(ref["classifier_state_dict"], path)
    model = RobertaClassifier(RobertaEncoder(**TINY), num_classes=3)
    load_roberta_weights(model, LocalWeights(path))
    with torch.no_grad():
        logits = model.eval()(ref["input_ids"], ref["attention_mask"])
    torch.testing.assert_close(logits, ref["logits"], rtol=1e-4, atol=1e-5)


def test_classifier_over_a_pretrained_encoder_file_keeps_its_new_head(tmp_path):
    ref = fixture("roberta")
    path = tmp_path / "mlm.pt"
    torch.save(ref["state_dict"], path)  # hub layout, no classifier.* tensors
    model = RobertaClassifier(RobertaEncoder(**TINY), num_classes=4)
    head = {k: v.clone() for k, v in model.classifier.state_dict().items()}
    load_roberta_weights(model, LocalWeights(path))
    for key, value in model.classifier.state_dict().items():
        assert torch.equal(value, head[key]), key
    with torch.no_grad():
        torch.testing.assert_close(model.eval().forward_features(ref["input_ids"],
                                                                ref["attention_mask"]),
                                   ref["last_hidden_state"], rtol=1e-4, atol=1e-5)


def test_strict_loading_names_what_does_not_fit(tmp_path):
    state = dict(fixture("roberta")["state_dict"])
    del state["roberta.encoder.layer.1.output.dense.bias"]
    state["roberta.extra.weight"] = torch.zeros(2)
    path = tmp_path / "bad.pt"
    torch.save(state, path)
    with pytest.raises(ValueError, match=r"missing encoder\.layer\.1\.output\.dense\.bias.*"
                                         r"unexpected extra\.weight"):
        load_roberta_weights(RobertaEncoder(**TINY), LocalWeights(path))
    with pytest.raises(ValueError, match="shape mismatch for embeddings.word_embeddings"):
        load_roberta_weights(RobertaEncoder(**{**TINY, "vocab_size": 51}),
                             LocalWeights(tmp_path / "bad.pt"))


def test_bad_inputs_are_clear_errors():
    model = RobertaEncoder(**TINY).eval()
    with pytest.raises(ValueError, match=r"input_ids must have shape \(B, T\)"):
        model(torch.zeros(5, dtype=torch.long))
    with pytest.raises(TypeError, match="input_ids must be int64"):
        model(torch.zeros(1, 5))
    with pytest.raises(ValueError, match="attention_mask must have the shape"):
        model(torch.zeros(2, 5, dtype=torch.long), torch.ones(2, 4))
    with pytest.raises(RuntimeError, match="at most 18 tokens"):
        model(torch.zeros(1, 19, dtype=torch.long))
    with pytest.raises(ValueError, match="multiple of num_heads"):
        RobertaEncoder(**{**TINY, "num_heads": 5})
    with pytest.raises(ValueError, match="num_classes"):
        roberta_base(num_classes=0)
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        model.example_inputs(batch_size=0)
    with pytest.raises(ValueError, match="length must be at most 18"):
        model.example_inputs(length=19)
    ids, mask = model.example_inputs(batch_size=3, length=18)
    assert ids.shape == mask.shape == (3, 18) and model(ids, mask).shape == (3, 18, TINY["hidden_size"])


def test_export_with_dynamic_batch_and_sequence_length(tmp_path):
    model = tiny_encoder("roberta", tmp_path)
    ids = torch.tensor([[0, 5, 6, 7, 2], [0, 8, 2, 1, 1]])
    b, t = torch.export.Dim("b", min=1, max=64), torch.export.Dim("t", min=2, max=18)
    program = torch.export.export(model, (ids, ids.ne(1)),
                                  dynamic_shapes=({0: b, 1: t}, {0: b, 1: t}))
    longer = torch.tensor([[0, 5, 6, 7, 9, 9, 9, 2]])
    with torch.no_grad():
        for x in (ids, longer):
            torch.testing.assert_close(program.module()(x, x.ne(1)), model(x, x.ne(1)))


# ------------------------------------------------------------------ tokenizers + transforms
def local_files(kind: str) -> dict[str, Resource]:
    folder = FIXTURES / f"{kind}_tokenizer"
    return {p.name: Resource(f"{kind}-{p.name}", p.as_uri(),
                             hashlib.sha256(p.read_bytes()).hexdigest(), extract=False)
            for p in folder.iterdir()}


def test_roberta_transform_ids_equal_transformers():
    transform = bpe_text_transform(tokenizer_files=local_files("roberta"), progress=False)
    texts = TOKENIZER_IDS["texts"]
    assert [transform(t).tolist() for t in texts] == TOKENIZER_IDS["roberta"]
    batch = transform(texts)
    longest = max(map(len, TOKENIZER_IDS["roberta"]))
    assert batch.shape == (len(texts), longest) and batch.dtype == torch.int64
    for row, ids in zip(batch.tolist(), TOKENIZER_IDS["roberta"]):
        assert row == ids + [1] * (longest - len(ids))  # padded with <pad> = 1
    short = bpe_text_transform(tokenizer_files=local_files("roberta"), max_seq_len=6,
                               progress=False)
    assert short(texts[1]).tolist() == TOKENIZER_IDS["roberta_truncated"]  # </s> kept


def test_xlmr_transform_ids_equal_transformers():
    pytest.importorskip("sentencepiece")
    transform = sentencepiece_text_transform(tokenizer_files=local_files("xlmr"), progress=False)
    texts = TOKENIZER_IDS["texts"]
    assert [transform(t).tolist() for t in texts] == TOKENIZER_IDS["xlmr"]
    assert transform(texts).shape == (len(texts), max(map(len, TOKENIZER_IDS["xlmr"])))
    assert transform(texts * 3)[len(texts):2 * len(texts)].tolist() == transform(texts).tolist()


# ------------------------------------------------------------------ loopback + weights API
@pytest.fixture
def loopback_roberta(loopback_server):
    """The tiny checkpoint (hub layout) and tokenizer files served with their sha256, and a
    builder registered with a weights entry pointing at them."""
    buffer = io.BytesIO()
    torch.save(fixture("roberta")["state_dict"], buffer)
    data = buffer.getvalue()
    url = loopback_server.add_file("models/roberta-tiny.pt", data)
    files = {}
    for path in sorted((FIXTURES / "roberta_tokenizer").iterdir()):
        raw = path.read_bytes()
        files[path.name] = Resource(f"roberta-tiny-{path.name}",
                                    loopback_server.add_file(f"models/{path.name}", raw),
                                    hashlib.sha256(raw).hexdigest(), size=len(raw), extract=False)
    entry = Weights(url, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                    transforms=partial(bpe_text_transform, tokenizer_files=files, max_seq_len=18),
                    meta={"tokenizer_files": files})
    suffix = os.urandom(3).hex()
    enum_cls = WeightsEnum(f"LoopbackRoberta_{suffix}_Weights", {"V1": entry, "DEFAULT": entry})

    def builder(*, weights=None, progress=True, num_classes=None):
        weights = enum_cls.verify(weights)
        encoder = RobertaEncoder(**TINY)
        model = encoder if num_classes is None else RobertaClassifier(encoder, num_classes)
        if weights is not None:
            load_roberta_weights(model, weights, progress=progress)
        return model

    name = f"roberta_loopback_{suffix}"
    register_model(name, domain="text", weights=enum_cls)(builder)
    yield {"name": name, "enum": enum_cls, "server": loopback_server}
    MODELS.unregister(name)
    WEIGHTS.unregister(enum_cls.__name__)


def test_loopback_checkpoint_loads_strict_and_matches_transformers(loopback_roberta):
    ref = fixture("roberta")
    model = get_model(loopback_roberta["name"], weights="DEFAULT").eval()
    with torch.no_grad():
        out = model(ref["input_ids"], ref["attention_mask"])
    torch.testing.assert_close(out, ref["last_hidden_state"], rtol=1e-4, atol=1e-5)
    assert loopback_roberta["server"].stats("models/roberta-tiny.pt").requests >= 1
    assert loopback_roberta["name"] in list_models(domain="text")


def test_loopback_weights_carry_their_tokenizer_and_transform(loopback_roberta):
    server = loopback_roberta["server"]
    transform = loopback_roberta["enum"].DEFAULT.transforms(progress=False)
    assert transform(TOKENIZER_IDS["texts"][0]).tolist() == TOKENIZER_IDS["roberta"][0]
    requests = server.stats("models/vocab.json").requests
    assert requests >= 1
    loopback_roberta["enum"].DEFAULT.transforms(progress=False)  # cached and verified: no request
    assert server.stats("models/vocab.json").requests == requests
    model = get_model(loopback_roberta["name"], weights="DEFAULT", num_classes=2).eval()
    ids = transform(["Hello world", "again"]).clamp(max=TINY["vocab_size"] - 1)
    assert model(ids, ids.ne(1)).shape == (2, 2)


def test_docs_page_example_runs(tmp_path, monkeypatch):
    import re

    monkeypatch.chdir(tmp_path)
    page = HERE.parent.parent / "docs" / "text-models.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "docs/text-models.md", "exec"), {"__name__": "docs_text_models"})
