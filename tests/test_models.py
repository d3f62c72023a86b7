"""triptych.models: Weights records, the registry, fetching/verifying/loading, the CLI."""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from triptych.datasets import DownloadError, OfflineError
from triptych.models import (
    LocalWeights,
    Weights,
    WeightsEnum,
    check_num_classes,
    get_model,
    get_model_weights,
    get_weight,
    list_models,
    load_weights,
    register_model,
    resolve_weights,
)
from triptych.models.cli import add_parser
from triptych.registry import MODELS, WEIGHTS

ROOT = Path(__file__).resolve().parents[1]
CATEGORIES = ["cat", "dog", "bird"]


@pytest.fixture(autouse=True)
def _home(triptych_home):
    return triptych_home


class Tiny(nn.Module):
    """A model with a parameter and batch-norm buffers: enough to test loading."""

    def __init__(self, num_classes: int = 3):
        super().__init__()
        self.body = nn.Linear(4, 8)
        self.norm = nn.BatchNorm1d(8)
        self.head = nn.Linear(8, num_classes)

    def forward(self, x):
        return self.head(torch.relu(self.norm(self.body(x))))


def random_state(num_classes: int = 3) -> dict[str, torch.Tensor]:
    state = Tiny(num_classes).state_dict()
    out = {k: torch.randn(v.shape) for k, v in state.items() if v.is_floating_point()}
    out["norm.running_var"] = out["norm.running_var"].abs() + 0.5
    out["norm.num_batches_tracked"] = torch.tensor(int(torch.randint(1, 10_000, ())))
    return out


def saved(state) -> bytes:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def unregister(name: str, enum_cls: type[WeightsEnum] | None) -> None:
    MODELS.unregister(name)
    if enum_cls is not None and enum_cls.__name__ in WEIGHTS:
        WEIGHTS.unregister(enum_cls.__name__)


def make_model(entries: dict[str, Weights] | None):
    """Register a Tiny builder (and a weights enum made of ``entries``); return (name, enum)."""
    suffix = os.urandom(3).hex()
    enum_cls = None if entries is None else WeightsEnum(f"Tiny{suffix}_Weights", entries)

    def builder(*, weights=None, progress=True, num_classes=3):
        weights = resolve(weights)
        check_num_classes(weights, num_classes)
        model = Tiny(num_classes)
        if weights is not None:
            load_weights(model, weights, progress=progress)
        return model

    def resolve(weights):
        return resolve_weights(weights, enum_cls)

    name = f"tiny_{suffix}"
    register_model(name, domain="vision", weights=enum_cls)(builder)
    return name, enum_cls


@pytest.fixture
def served(loopback_server):
    """A Tiny checkpoint on the loopback server, with a weights entry and a model using it."""
    state = random_state()
    data = saved(state)
    url = loopback_server.add_file("weights/tiny-v1.pth", data)
    weights = Weights(url, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                      meta={"categories": CATEGORIES, "license": "CC0-1.0"})
    name, enum_cls = make_model({"V1": weights, "DEFAULT": weights})
    yield {"name": name, "enum": enum_cls, "state": state, "data": data, "url": url,
           "server": loopback_server}
    unregister(name, enum_cls)


def assert_state_equal(model: nn.Module, state: dict[str, torch.Tensor]) -> None:
    own = model.state_dict()
    assert own.keys() == state.keys()
    for key, value in state.items():
        torch.testing.assert_close(own[key], value, rtol=0, atol=0, msg=key)


# --- Weights records --------------------------------------------------------------------------


def test_weights_record_checks_its_fields():
    ok = Weights("https://example.org/a/b-0123abcd.pth", sha256="0123ABCD", sha256_is_prefix=True)
    assert ok.sha256 == "0123abcd" and ok.filename == "b-0123abcd.pth" and ok.urls == (ok.url,)
    with pytest.raises(ValueError, match="64 hex digits"):
        Weights("https://example.org/a.pth", sha256="0123abcd")  # a prefix not flagged as one
    with pytest.raises(ValueError, match="at least 8"):
        Weights("https://example.org/a.pth", sha256="0123", sha256_is_prefix=True)
    with pytest.raises(ValueError, match="hex digits"):
        Weights("https://example.org/a.pth", sha256="z" * 64)
    with pytest.raises(ValueError, match="unsupported URL"):
        Weights("ftp://example.org/a.pth", sha256="0" * 64)
    with pytest.raises(ValueError, match="size"):
        Weights("https://example.org/a.pth", sha256="0" * 64, size=-1)


def test_enum_default_is_an_alias_and_names_read_back(served):
    enum_cls = served["enum"]
    assert enum_cls.DEFAULT is enum_cls.V1
    assert repr(enum_cls.DEFAULT) == f"{enum_cls.__name__}.V1"
    assert get_weight(f"{enum_cls.__name__}.DEFAULT") is enum_cls.V1
    assert enum_cls.V1.url == served["url"] and enum_cls.V1.meta["license"] == "CC0-1.0"


# --- the registry -----------------------------------------------------------------------------


def test_register_twice_and_bad_domain_are_errors(served):
    with pytest.raises(ValueError, match="already registered"):
        register_model(served["name"])(lambda **kw: None)
    with pytest.raises(ValueError, match="domain must be one of"):
        register_model("x_" + os.urandom(3).hex(), domain="genomics")(lambda **kw: None)
    with pytest.raises(TypeError, match="WeightsEnum"):
        register_model("y_" + os.urandom(3).hex(), weights=dict)


def test_domain_comes_from_the_builder_module():
    from triptych.models import model_entry

    assert model_entry("resnet18").domain == "vision"


def test_unknown_names_suggest_close_ones():
    with pytest.raises(ValueError, match="did you mean 'resnet18'"):
        get_model("resnet19")
    with pytest.raises(ValueError, match=r"did you mean ResNet18_Weights\.IMAGENET1K_V1"):
        get_weight("ResNet18_Weights.IMAGENET1K_V2")
    with pytest.raises(ValueError, match="did you mean 'ResNet18_Weights'"):
        get_weight("ResNet81_Weights.DEFAULT")
    with pytest.raises(ValueError, match="look like"):
        get_weight("resnet18")


def test_list_models_pattern_domain_and_with_weights(served):
    bare, _ = make_model(None)
    try:
        everything = list_models()
        assert everything == sorted(everything)
        assert {"resnet18", served["name"], bare} <= set(everything)
        assert list_models("RESNET1?") == ["resnet18"]  # globs are case-insensitive
        assert bare in list_models("tiny_*") and "resnet18" not in list_models("tiny_*")
        assert bare in list_models(domain="vision")
        assert "resnet18" not in list_models(domain="audio")
        with_weights = list_models(with_weights=True)
        assert served["name"] in with_weights and "resnet18" in with_weights
        assert bare not in with_weights
        with pytest.raises(ValueError, match="domain must be one of"):
            list_models(domain="genomics")
    finally:
        unregister(bare, None)


def test_get_model_weights_by_name_and_builder(served):
    enum_cls = served["enum"]
    assert get_model_weights(served["name"]) is enum_cls
    builder = MODELS.get(served["name"]).builder
    assert get_model_weights(builder) is enum_cls
    bare, _ = make_model(None)
    try:
        with pytest.raises(ValueError, match="no pretrained weights"):
            get_model_weights(bare)
        with pytest.raises(ValueError, match="this model has no named weights"):
            get_model(bare, weights="DEFAULT")
    finally:
        unregister(bare, None)


# --- fetch, verify, load ----------------------------------------------------------------------


def test_loopback_weights_load_strict_and_are_cached(served, _home):
    server = served["server"]
    model = get_model(served["name"], weights="DEFAULT")
    assert_state_equal(model, served["state"])
    cached = _home / "weights" / "tiny-v1.pth"
    assert cached.read_bytes() == served["data"]
    requests = server.stats("weights/tiny-v1.pth").requests
    assert requests >= 1
    again = get_model(served["name"], weights=served["enum"].V1)
    assert_state_equal(again, served["state"])
    assert server.stats("weights/tiny-v1.pth").requests == requests  # verified: no new request
    x = torch.randn(5, 4)
    direct = Tiny().eval()
    direct.load_state_dict(served["state"])
    torch.testing.assert_close(again.eval()(x), direct(x), rtol=0, atol=0)


def test_offline_uses_the_cache_and_never_the_network(served, monkeypatch):
    monkeypatch.setenv("TRIPTYCH_OFFLINE", "1")
    with pytest.raises(OfflineError, match="TRIPTYCH_OFFLINE"):
        get_model(served["name"], weights="DEFAULT")
    assert served["server"].stats("weights/tiny-v1.pth").requests == 0
    monkeypatch.delenv("TRIPTYCH_OFFLINE")
    get_model(served["name"], weights="DEFAULT")
    monkeypatch.setenv("TRIPTYCH_OFFLINE", "1")
    assert_state_equal(get_model(served["name"], weights="DEFAULT"), served["state"])


def test_hash_mismatch_is_an_error_and_keeps_nothing(loopback_server, _home):
    data = saved(random_state())
    url = loopback_server.add_file("weights/bad.pth", data)
    wrong = Weights(url, sha256=hashlib.sha256(data + b"x").hexdigest())
    name, enum_cls = make_model({"V1": wrong, "DEFAULT": wrong})
    try:
        with pytest.raises(DownloadError, match="sha256"):
            get_model(name, weights="DEFAULT")
        assert not (_home / "weights" / "bad.pth").exists()
    finally:
        unregister(name, enum_cls)


def test_prefix_only_weights_download_and_are_checked_against_prefix_and_size(
        loopback_server, _home):
    state = random_state()
    data = saved(state)
    digest = hashlib.sha256(data).hexdigest()
    url = loopback_server.add_file(f"weights/tiny-{digest[:8]}.pth", data)
    entry = Weights(url, sha256=digest[:8], sha256_is_prefix=True, size=len(data))
    other = bytearray(data)
    other[-1] ^= 0xFF  # same size, other bytes: the prefix no longer matches
    bad_url = loopback_server.add_file("weights/tiny-other.pth", bytes(other))
    bad = Weights(bad_url, sha256=digest[:8], sha256_is_prefix=True, size=len(data))
    name, enum_cls = make_model({"V1": entry, "BAD": bad, "DEFAULT": entry})
    try:
        target = enum_cls.V1.local_path()
        assert target == _home / "weights" / f"tiny-{digest[:8]}.pth"
        assert_state_equal(get_model(name, weights="DEFAULT"), state)
        assert target.read_bytes() == data
        with pytest.raises(DownloadError, match="sha256"):
            get_model(name, weights="BAD")
        assert not (_home / "weights" / "tiny-other.pth").exists()
    finally:
        unregister(name, enum_cls)


def test_local_path_and_file_url_load_offline(served, tmp_path, monkeypatch):
    monkeypatch.setenv("TRIPTYCH_OFFLINE", "1")
    state = random_state()
    path = tmp_path / "mine.pt"
    path.write_bytes(saved(state))
    for spec in (str(path), path, path.as_uri()):
        assert_state_equal(get_model(served["name"], weights=spec), state)
    assert served["server"].stats("weights/tiny-v1.pth").requests == 0
    assert isinstance(served["enum"].verify(str(path)), LocalWeights)


def test_bad_weights_arguments_are_clear_errors(served, tmp_path):
    name = served["name"]
    with pytest.raises(FileNotFoundError, match="no such file"):
        get_model(name, weights=str(tmp_path / "missing.pth"))
    with pytest.raises(ValueError, match="no sha256"):
        get_model(name, weights="https://example.org/x.pth")
    with pytest.raises(ValueError, match="did you mean 'DEFAULT'.*one of V1, DEFAULT"):
        get_model(name, weights="DEFAULTS")
    with pytest.raises(ValueError, match="unknown weights 'ResNet18_Weights.DEFAULT'"):
        get_model(name, weights="ResNet18_Weights.DEFAULT")  # a name, not a missing file
    with pytest.raises(ValueError, match="another model"):
        get_model(name, weights=get_weight("ResNet18_Weights.DEFAULT"))
    with pytest.raises(TypeError, match="weights must be"):
        get_model(name, weights=True)


def test_num_classes_that_do_not_fit_the_weights(served, tmp_path):
    with pytest.raises(ValueError, match="num_classes=5 does not fit .* 3 categories"):
        get_model(served["name"], weights="DEFAULT", num_classes=5)
    assert served["server"].stats("weights/tiny-v1.pth").requests == 0  # checked before fetching
    path = tmp_path / "three.pt"
    path.write_bytes(saved(random_state(3)))
    with pytest.raises(ValueError, match=r"head\.weight \(\[3, 8\] in the weights, \[5, 8\]"):
        get_model(served["name"], weights=path, num_classes=5)


def test_files_that_are_not_state_dicts(served, tmp_path):
    listing = tmp_path / "list.pt"
    torch.save([torch.zeros(1)], listing)
    with pytest.raises(ValueError, match="does not hold a state_dict"):
        get_model(served["name"], weights=listing)
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"<html>not a checkpoint</html>")
    with pytest.raises(ValueError, match="cannot load weights"):
        get_model(served["name"], weights=garbage)
    partial = tmp_path / "partial.pt"
    state = random_state()
    del state["head.bias"]
    state["extra"] = torch.zeros(1)
    partial.write_bytes(saved(state))
    with pytest.raises(ValueError, match=r"missing head\.bias; unexpected extra"):
        get_model(served["name"], weights=partial)


def test_safetensors_files_load(served, tmp_path):
    safetensors_torch = pytest.importorskip("safetensors.torch")
    state = random_state()
    path = tmp_path / "w.safetensors"
    safetensors_torch.save_file(state, str(path))
    assert_state_equal(get_model(served["name"], weights=path), state)


# --- the command line -------------------------------------------------------------------------


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="triptych")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_list_json_and_domain(capsys, served):
    code, out, _ = cli(capsys, "models", "list", "--json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert code == 0 and list(rows) == list_models()
    assert rows["resnet18"] == {"name": "resnet18", "domain": "vision",
                                "weights": ["IMAGENET1K_V1", "DEFAULT"],
                                "default": "ResNet18_Weights.IMAGENET1K_V1"}
    code, out, _ = cli(capsys, "models", "list", "--domain", "audio", "--json")
    assert code == 0 and "resnet18" not in {r["name"] for r in json.loads(out)}
    code, out, _ = cli(capsys, "models", "list", "resnet*")
    assert code == 0 and out.split()[:2] == ["resnet18", "vision"]
    code, _, err = cli(capsys, "models", "list", "--domain", "genomics")
    assert code == 2 and "domain must be one of" in err


def test_cli_info_json(capsys):
    code, out, _ = cli(capsys, "models", "info", "resnet18", "--json")
    record = json.loads(out)
    assert code == 0 and record["weights_enum"] == "ResNet18_Weights"
    assert list(record["weights"]) == ["IMAGENET1K_V1"]  # DEFAULT is an alias, shown once
    v1 = record["weights"]["IMAGENET1K_V1"]
    assert v1["urls"] == ["https://download.pytorch.org/models/resnet18-f37072fd.pth"]
    assert (v1["sha256"], v1["sha256_is_prefix"], v1["size"]) == ("f37072fd", True, 46830571)
    assert v1["meta"]["categories"] == "1000 names" and v1["on_disk"] is False
    code, out, _ = cli(capsys, "models", "info", "ResNet18_Weights.DEFAULT", "--json")
    assert code == 0 and json.loads(out)["name"] == "ResNet18_Weights.IMAGENET1K_V1"
    code, out, _ = cli(capsys, "models", "info", "resnet18")
    assert code == 0 and "f37072fd" in out and "image_classification(crop_size=224" in out
    code, _, err = cli(capsys, "models", "info", "resnet19")
    assert code == 2 and "did you mean 'resnet18'" in err


def test_cli_download(capsys, served, _home, monkeypatch):
    code, out, _ = cli(capsys, "models", "download", served["name"], "--no-progress")
    assert code == 0 and Path(out.strip()) == _home / "weights" / "tiny-v1.pth"
    assert Path(out.strip()).read_bytes() == served["data"]
    full = f"{served['enum'].__name__}.V1"
    code, out, _ = cli(capsys, "models", "download", full, "--json", "--no-progress")
    assert code == 0 and json.loads(out)["name"] == full
    monkeypatch.setenv("TRIPTYCH_OFFLINE", "1")  # the real checkpoint: no network in tests
    code, _, err = cli(capsys, "models", "download", "resnet18", "--no-progress")
    assert code == 1 and "TRIPTYCH_OFFLINE=1" in err and "resnet18-f37072fd.pth" in err
    code, _, err = cli(capsys, "models", "download", served["name"], "--weights", "V9")
    assert code == 2 and "has V1, DEFAULT" in err


def test_cli_module_imports_no_torch():
    """``triptych models --help`` must not pay for torch: neither the module nor the package
    imports it."""
    code = ("import sys, triptych.models.cli, triptych.models; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'torch'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_models_subcommand_in_the_triptych_command(capsys):
    from triptych.cli import SUBCOMMANDS, main

    assert SUBCOMMANDS["models"] == "triptych.models.cli:add_parser"
    assert main(["models", "list", "resnet*", "--json"]) == 0
    assert [r["name"] for r in json.loads(capsys.readouterr().out)] == ["resnet18"]
    assert main(["models", "info", "resnet19"]) == 2
    assert "did you mean 'resnet18'" in capsys.readouterr().err
    result = subprocess.run([sys.executable, "-m", "triptych", "models", "--help"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "download" in result.stdout


# --- docs -------------------------------------------------------------------------------------


def test_docs_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = (ROOT / "docs" / "models.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "docs/models.md", "exec"), {})
