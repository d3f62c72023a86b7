"""triptych.vision.models: ResNet-18 against torchvision's checkpoint layout, its weights entry,
and loading a checkpoint of that layout from the loopback server."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from triptych.models import (
    Weights,
    WeightsEnum,
    check_num_classes,
    get_model,
    get_weight,
    load_weights,
    register_model,
)
from triptych.registry import MODELS, WEIGHTS
from triptych.vision.models import (
    IMAGENET_CATEGORIES,
    BasicBlock,
    ResNet,
    ResNet18_Weights,
    resnet18,
)

LAYOUT = json.loads((Path(__file__).with_name("resnet18_checkpoint_layout.json")).read_text())


@pytest.fixture(autouse=True)
def _home(triptych_home):
    return triptych_home


def random_checkpoint() -> dict[str, torch.Tensor]:
    """Random tensors in the published layout (not taken from our model)."""
    state = {}
    for name, shape in LAYOUT["tensors"].items():
        if name.endswith("num_batches_tracked"):
            state[name] = torch.tensor(int(torch.randint(1, 10**6, ())))
        elif name.endswith("running_var"):
            state[name] = torch.rand(shape) + 0.5
        else:
            state[name] = torch.randn(shape) * 0.05
    return state


def saved(state) -> bytes:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def test_state_dict_matches_the_published_layout():
    state = resnet18().state_dict()
    assert {k: list(v.shape) for k, v in state.items()} == LAYOUT["tensors"]
    assert all(state[k].dtype == torch.int64 for k in state if k.endswith("num_batches_tracked"))


def test_parameter_count_matches_the_weights_meta():
    model = resnet18()
    assert sum(p.numel() for p in model.parameters()) == ResNet18_Weights.DEFAULT.meta["num_params"]


def test_shapes_and_feature_surface():
    model = resnet18(num_classes=7).eval()
    x = torch.rand(2, 3, 65, 97)
    features = model.forward_features(x)
    assert features.shape == (2, 512, 3, 4)  # ceil(65/32), ceil(97/32)
    torch.testing.assert_close(model.forward_head(features), model(x))
    assert model(x).shape == (2, 7)
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        model(torch.rand(3, 64, 64))
    with pytest.raises(ValueError, match="num_classes"):
        resnet18(num_classes=0)


def test_imagenet_weights_entry():
    weights = ResNet18_Weights.IMAGENET1K_V1
    assert ResNet18_Weights.DEFAULT is weights
    assert get_weight("ResNet18_Weights.IMAGENET1K_V1") is weights
    assert weights.url == "https://download.pytorch.org/models/resnet18-f37072fd.pth"
    assert weights.sha256 == "f37072fd" and weights.sha256_is_prefix
    assert weights.size == 46830571 and weights.filename == "resnet18-f37072fd.pth"
    categories = weights.meta["categories"]
    assert categories is IMAGENET_CATEGORIES and len(set(categories)) == 1000
    assert (categories[0], categories[207], categories[999]) == (
        "tench", "golden retriever", "toilet tissue")
    assert weights.meta["metrics"]["ImageNet-1K"] == {"acc@1": 69.758, "acc@5": 89.078}


def test_eval_transforms_resize_crop_normalize():
    from triptych.vision.transforms import functional as F

    image = torch.randint(0, 256, (3, 300, 450), dtype=torch.uint8)
    out = ResNet18_Weights.DEFAULT.transforms()(image)
    expected = F.center_crop(F.resize(image, [256], antialias=True), [224, 224])
    mean = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
    assert out.shape == (3, 224, 224) and out.dtype == torch.float32
    torch.testing.assert_close(out, (expected.float() / 255 - mean) / std, atol=1e-5, rtol=1e-5)


def test_num_classes_other_than_1000_with_imagenet_weights(monkeypatch):
    monkeypatch.setenv("TRIPTYCH_OFFLINE", "1")
    with pytest.raises(ValueError, match="num_classes=10 does not fit .*1000 categories"):
        resnet18(weights="DEFAULT", num_classes=10)


def test_real_weights_not_on_disk_say_where_to_put_them(_home):
    expected = _home / "weights" / "resnet18-f37072fd.pth"
    with pytest.raises(RuntimeError, match=str(expected)):
        get_model("resnet18", weights="DEFAULT")


@pytest.fixture
def loopback_resnet(loopback_server):
    """A random checkpoint of the published layout, served with its real sha256, and a model
    registered with a weights entry pointing at it."""
    state = random_checkpoint()
    data = saved(state)
    url = loopback_server.add_file("models/resnet18-test.pth", data)
    entry = Weights(url, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                    transforms=ResNet18_Weights.DEFAULT.transforms,
                    meta={"categories": IMAGENET_CATEGORIES})
    suffix = os.urandom(3).hex()
    enum_cls = WeightsEnum(f"LoopbackResNet18_{suffix}_Weights", {"V1": entry, "DEFAULT": entry})

    def builder(*, weights=None, progress=True, num_classes=1000):
        weights = enum_cls.verify(weights)
        check_num_classes(weights, num_classes)
        model = ResNet(BasicBlock, (2, 2, 2, 2), num_classes=num_classes)
        if weights is not None:
            load_weights(model, weights, progress=progress)
        return model

    name = f"resnet18_loopback_{suffix}"
    register_model(name, weights=enum_cls)(builder)
    yield {"name": name, "enum": enum_cls, "state": state, "data": data, "server": loopback_server}
    MODELS.unregister(name)
    WEIGHTS.unregister(enum_cls.__name__)


def test_loopback_checkpoint_loads_strict_and_predicts_like_the_state_dict(loopback_resnet):
    model = get_model(loopback_resnet["name"], weights="DEFAULT").eval()
    loaded = model.state_dict()
    for key, value in loopback_resnet["state"].items():
        torch.testing.assert_close(loaded[key], value, rtol=0, atol=0, msg=key)
    direct = ResNet(BasicBlock, (2, 2, 2, 2)).eval()
    direct.load_state_dict(torch.load(io.BytesIO(loopback_resnet["data"]), weights_only=True),
                           strict=True)
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(model(x), direct(x), rtol=0, atol=0)
    assert loopback_resnet["server"].stats("models/resnet18-test.pth").requests >= 1


def test_resnet18_loads_a_local_checkpoint_and_file_url_offline(loopback_resnet, tmp_path,
                                                                monkeypatch):
    monkeypatch.setenv("TRIPTYCH_OFFLINE", "1")
    path = tmp_path / "resnet18.pth"
    path.write_bytes(loopback_resnet["data"])
    x = torch.rand(1, 3, 48, 48)
    outputs = []
    for spec in (path, str(path), path.as_uri()):
        model = resnet18(weights=spec).eval()
        with torch.no_grad():
            outputs.append(model(x))
    torch.testing.assert_close(outputs[0], outputs[1], rtol=0, atol=0)
    torch.testing.assert_close(outputs[0], outputs[2], rtol=0, atol=0)
    assert loopback_resnet["server"].stats("models/resnet18-test.pth").requests == 0


def test_resnet18_refuses_a_checkpoint_with_another_head(tmp_path):
    state = random_checkpoint()
    state["fc.weight"] = torch.zeros(10, 512)
    state["fc.bias"] = torch.zeros(10)
    path = tmp_path / "ten.pth"
    path.write_bytes(saved(state))
    with pytest.raises(ValueError, match=r"fc\.weight \(\[10, 512\] in the weights, \[1000, 512\]"):
        resnet18(weights=path)
    assert resnet18(weights=path, num_classes=10).fc.out_features == 10


def test_models_and_their_transforms_work_without_pillow():
    code = ("import sys; sys.modules['PIL'] = None; import torch; "
            "from triptych.models import get_model, get_weight; "
            "t = get_weight('ResNet18_Weights.DEFAULT').transforms(); "
            "x = t(torch.randint(0, 256, (2, 3, 300, 400), dtype=torch.uint8)); "
            "print(tuple(get_model('resnet18', num_classes=3).eval()(x).shape))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(2, 3)"
