"""Every audio dataset class has its catalog entry (listed by the CLI), and the entry names the
class back."""

from __future__ import annotations

import subprocess
import sys

import pytest

from triptych.audio import datasets as ad
from triptych.datasets import dataset_info, list_datasets

CLASSES = {"yesno": ad.YESNO, "speech_commands": ad.SPEECHCOMMANDS,
           "librispeech": ad.LIBRISPEECH, "ljspeech": ad.LJSPEECH, "esc50": ad.ESC50,
           "vctk_092": ad.VCTK_092}


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_entry_names_its_class(name):
    info = dataset_info(name)
    assert info.domain == "audio" and name in list_datasets("audio")
    assert info.load_class() is CLASSES[name] and CLASSES[name].name == name
    for resource in info.resources("all"):
        assert resource.urls[0].startswith("https://")
        assert resource.size or resource.max_size


def test_cli_lists_them():
    out = subprocess.run([sys.executable, "-m", "triptych", "datasets", "list", "--domain",
                          "audio"], capture_output=True, text=True, timeout=120, check=True)
    listed = {line.split()[0] for line in out.stdout.splitlines()[1:] if line.strip()}
    assert set(CLASSES) <= listed
