"""Every vision dataset class has its catalog entry (listed by the CLI) and the entry names
the class back."""

from __future__ import annotations

import subprocess
import sys

import pytest

from triptych.datasets import dataset_info, list_datasets
from triptych.vision import datasets as vd

CLASSES = {
    "mnist": vd.MNIST, "fashion_mnist": vd.FashionMNIST, "kmnist": vd.KMNIST,
    "emnist": vd.EMNIST, "cifar10": vd.CIFAR10, "cifar100": vd.CIFAR100, "svhn": vd.SVHN,
    "stl10": vd.STL10, "oxford_iiit_pet": vd.OxfordIIITPet, "flowers102": vd.Flowers102,
    "food101": vd.Food101, "voc": vd.VOCDetection, "coco2017": vd.CocoDetection,
}


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_entry_names_its_class(name):
    info = dataset_info(name)
    assert info.domain == "vision" and name in list_datasets("vision")
    assert info.load_class() is CLASSES[name]
    if hasattr(CLASSES[name], "name"):
        assert CLASSES[name].name == name
    for resource in info.resources("all"):
        assert resource.size and resource.urls[0].startswith("http")


def test_cli_lists_them():
    out = subprocess.run([sys.executable, "-m", "triptych", "datasets", "list", "--domain",
                          "vision"], capture_output=True, text=True, timeout=120, check=True)
    listed = {line.split()[0] for line in out.stdout.splitlines()[1:] if line.strip()}
    assert set(CLASSES) <= listed
