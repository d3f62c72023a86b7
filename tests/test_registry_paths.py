"""triptych.registry and triptych.paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from triptych import paths
from triptych.registry import Registry


def test_registry_registers_lists_and_gets():
    reg = Registry("model")

    @reg.register()
    def resnet18():
        return "r18"

    reg.register("vit_b_16", lambda: "vit")
    assert reg.names() == ["resnet18", "vit_b_16"]
    assert reg.names("*RES*") == ["resnet18"]
    assert reg.get("resnet18")() == "r18"
    assert "vit_b_16" in reg and len(reg) == 2 and list(reg) == ["resnet18", "vit_b_16"]


def test_registry_refuses_duplicates_and_suggests_names():
    reg = Registry("dataset")
    reg.register("cifar10", object())
    with pytest.raises(ValueError, match="already registered"):
        reg.register("cifar10", object())
    with pytest.raises(KeyError, match="did you mean 'cifar10'"):
        reg.get("cifar01")


def test_home_and_env_switches(monkeypatch, tmp_path):
    monkeypatch.setenv("TRIPTYCH_HOME", str(tmp_path))
    assert paths.home() == tmp_path
    assert paths.datasets_dir() == tmp_path / "datasets"
    monkeypatch.delenv("TRIPTYCH_HOME")
    assert paths.home() == Path.home() / ".cache" / "triptych"
    for value, expected in [("1", True), ("true", True), ("0", False), ("", False), ("off", False)]:
        monkeypatch.setenv("TRIPTYCH_OFFLINE", value)
        assert paths.is_offline() is expected
    monkeypatch.setenv("TRIPTYCH_MIRROR", "https://mirror.example/data/")
    assert paths.mirror() == "https://mirror.example/data"
    monkeypatch.setenv("TRIPTYCH_PROGRESS", "0")
    assert paths.progress_enabled(True) is False
    monkeypatch.delenv("TRIPTYCH_PROGRESS")
    assert paths.progress_enabled(True) is True and paths.progress_enabled(False) is False
