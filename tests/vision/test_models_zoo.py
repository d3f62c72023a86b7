"""ResNet-50, MobileNetV3-Small/Large and ViT-B/16 against torchvision's checkpoint layouts
(manifests written by make_checkpoint_layouts.py from the architectures, independently of the
model code, and equal to torchvision 0.24.1's state_dicts name for name and shape for shape),
their weights entries, forward shapes and strict loading; the small CNN.
``benchmarks/check_model_parity.py`` shows the outputs equal torchvision's for the same weights."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from triptych.models import get_model, get_model_weights, get_weight, list_models
from triptych.vision.models import (
    IMAGENET_CATEGORIES,
    MobileNet_V3_Large_Weights,
    MobileNet_V3_Small_Weights,
    ResNet50_Weights,
    ViT_B_16_Weights,
    mobilenet_v3_small,
    small_cnn,
    vit_b_16,
)

HERE = Path(__file__).parent
MODELS = {
    # name: (weights enum, file names by member, num_params, resize per member)
    "resnet50": (ResNet50_Weights, {"IMAGENET1K_V1": "resnet50-0676ba61.pth",
                                    "IMAGENET1K_V2": "resnet50-11ad3fa6.pth"}, 25557032,
                 {"IMAGENET1K_V1": 256, "IMAGENET1K_V2": 232}),
    "mobilenet_v3_large": (MobileNet_V3_Large_Weights,
                           {"IMAGENET1K_V1": "mobilenet_v3_large-8738ca79.pth",
                            "IMAGENET1K_V2": "mobilenet_v3_large-5c1a4163.pth"}, 5483032,
                           {"IMAGENET1K_V1": 256, "IMAGENET1K_V2": 232}),
    "mobilenet_v3_small": (MobileNet_V3_Small_Weights,
                           {"IMAGENET1K_V1": "mobilenet_v3_small-047dcff4.pth"}, 2542856,
                           {"IMAGENET1K_V1": 256}),
    "vit_b_16": (ViT_B_16_Weights, {"IMAGENET1K_V1": "vit_b_16-c867db91.pth"}, 86567656,
                 {"IMAGENET1K_V1": 256}),
}


def layout(name: str) -> dict[str, list[int]]:
    return json.loads((HERE / f"{name}_checkpoint_layout.json").read_text())["tensors"]


@pytest.fixture(autouse=True)
def _home(triptych_home):
    return triptych_home


@pytest.mark.parametrize("name", sorted(MODELS))
def test_state_dict_matches_the_published_layout(name):
    state = get_model(name).state_dict()
    expected = layout(name)
    assert sorted(set(state) ^ set(expected)) == []
    assert {k: list(v.shape) for k, v in state.items()} == expected
    assert all(v.dtype == torch.int64 for k, v in state.items() if k.endswith("num_batches_tracked"))
    assert all(v.dtype == torch.float32 for k, v in state.items()
               if not k.endswith("num_batches_tracked"))


@pytest.mark.parametrize("name", sorted(MODELS))
def test_parameter_count_and_weights_entries(name):
    enum_cls, files, num_params, resize = MODELS[name]
    assert get_model_weights(name) is enum_cls
    assert sum(p.numel() for p in get_model(name).parameters()) == num_params
    assert set(enum_cls.__members__) == {*files, "DEFAULT"}
    for tag, filename in files.items():
        weights = get_weight(f"{enum_cls.__name__}.{tag}")
        assert weights.url == f"https://download.pytorch.org/models/{filename}"
        assert weights.sha256_is_prefix and weights.sha256 == filename.rsplit("-")[-1][:8]
        assert weights.meta["categories"] is IMAGENET_CATEGORIES
        assert weights.meta["num_params"] == num_params
        preprocess = weights.transforms()
        out = preprocess(torch.randint(0, 256, (3, 300, 400), dtype=torch.uint8))
        assert out.shape == (3, 224, 224)
        assert [t.size for t in preprocess.transforms if type(t).__name__ == "Resize"] == [
            [resize[tag]]]


def test_defaults_and_metrics():
    assert ResNet50_Weights.DEFAULT is ResNet50_Weights.IMAGENET1K_V2
    assert ResNet50_Weights.IMAGENET1K_V2.meta["metrics"]["ImageNet-1K"] == {
        "acc@1": 80.858, "acc@5": 95.434}
    assert ViT_B_16_Weights.DEFAULT.meta["metrics"]["ImageNet-1K"]["acc@1"] == 81.072
    assert MobileNet_V3_Small_Weights.DEFAULT.meta["metrics"]["ImageNet-1K"]["acc@1"] == 67.668
    assert MobileNet_V3_Large_Weights.DEFAULT is MobileNet_V3_Large_Weights.IMAGENET1K_V2
    assert MobileNet_V3_Large_Weights.DEFAULT.meta["metrics"]["ImageNet-1K"]["acc@1"] == 75.274


def test_registered_and_listed():
    names = list_models(domain="vision")
    assert {"resnet18", "resnet50", "mobilenet_v3_small", "mobilenet_v3_large", "vit_b_16",
            "small_cnn"} <= set(names)
    assert "small_cnn" not in list_models(domain="vision", with_weights=True)


@pytest.mark.parametrize("name,features", [("resnet50", (2, 2048, 3, 4)),
                                           ("mobilenet_v3_large", (2, 960, 3, 4)),
                                           ("mobilenet_v3_small", (2, 576, 3, 4))])
def test_cnn_forward_shapes(name, features):
    model = get_model(name, num_classes=7).eval()
    x = torch.rand(2, 3, 65, 97)
    with torch.no_grad():
        f = model.forward_features(x)
        assert f.shape == features
        torch.testing.assert_close(model.forward_head(f), model(x))
    assert model(x).shape == (2, 7)
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        model(torch.rand(3, 64, 64))


def test_vit_forward_shapes_and_checks():
    model = vit_b_16(num_classes=5, image_size=32).eval()
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        tokens = model.forward_features(x)
        assert tokens.shape == (2, 1 + 4, 768)
        assert model(x).shape == (2, 5)
        # the class token's output depends on every patch (attention mixes them)
        y = x.clone()
        y[:, :, 16:, 16:] = 0
        assert not torch.allclose(model.forward_features(y)[:, 0], tokens[:, 0])
    with pytest.raises(ValueError, match=r"\(B, 3, 32, 32\)"):
        model(torch.rand(2, 3, 48, 48))
    with pytest.raises(ValueError, match="image_size=32 does not fit"):
        vit_b_16(weights="DEFAULT", image_size=32)
    with pytest.raises(ValueError, match="multiple of patch_size"):
        vit_b_16(image_size=40)


def test_num_classes_other_than_1000_with_imagenet_weights():
    for name in MODELS:
        with pytest.raises(ValueError, match="num_classes=10 does not fit"):
            get_model(name, weights="DEFAULT", num_classes=10)


def random_checkpoint(name: str) -> dict[str, torch.Tensor]:
    """Random tensors in the published layout (not taken from our model)."""
    state = {}
    for key, shape in layout(name).items():
        if key.endswith("num_batches_tracked"):
            state[key] = torch.tensor(int(torch.randint(1, 10**6, ())))
        elif key.endswith("running_var"):
            state[key] = torch.rand(shape) + 0.5
        else:
            state[key] = torch.randn(shape) * 0.05
    return state


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_checkpoint_of_the_published_layout_loads_strict(name, tmp_path):
    state = random_checkpoint(name)
    path = tmp_path / f"{name}.pth"
    torch.save(state, path)
    loaded = get_model(name, weights=path).state_dict()
    assert sorted(loaded) == sorted(state)
    for key, value in state.items():
        torch.testing.assert_close(loaded[key], value, rtol=0, atol=0, msg=key)
    path.unlink()
    state.pop(sorted(state)[len(state) // 2])  # one tensor short: refused, the name given
    torch.save(state, path)
    with pytest.raises(ValueError, match="missing"):
        get_model(name, weights=path)


def test_mobilenet_v3_small_refuses_another_head_unless_num_classes_fits(tmp_path):
    state = random_checkpoint("mobilenet_v3_small")
    path = tmp_path / "mobilenet_v3_small.pth"
    state["classifier.3.weight"] = torch.zeros(10, 1024)
    state["classifier.3.bias"] = torch.zeros(10)
    torch.save(state, path)
    with pytest.raises(ValueError, match=r"classifier\.3\.weight \(\[10, 1024\] in the weights"):
        mobilenet_v3_small(weights=path)
    assert mobilenet_v3_small(weights=path, num_classes=10).classifier[3].out_features == 10


def test_small_cnn_shapes_checks_and_round_trip(tmp_path):
    model = small_cnn(num_classes=5).eval()
    x = torch.rand(3, 3, 32, 40)
    assert model(x).shape == (3, 5)
    with pytest.raises(ValueError, match=r"H, W >= 16"):
        model(torch.rand(1, 3, 8, 32))
    with pytest.raises(ValueError, match="num_classes"):
        small_cnn(num_classes=0)
    with pytest.raises(ValueError, match="no named weights"):
        small_cnn(weights="DEFAULT")
    path = tmp_path / "cnn.pth"
    torch.save(model.state_dict(), path)
    again = get_model("small_cnn", weights=path, num_classes=5).eval()
    with torch.no_grad():
        torch.testing.assert_close(again(x), model(x), rtol=0, atol=0)
