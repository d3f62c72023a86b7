"""The example at the top of docs/audio.md runs and gives the shapes it promises."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("soundfile")

DOC = Path(__file__).resolve().parents[2] / "docs" / "audio.md"


def test_docs_example_runs():
    code = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)[0]
    namespace: dict = {}
    exec(compile(code, str(DOC), "exec"), namespace)
    assert tuple(namespace["mel"].shape) == (1, 2, 80, 101)
    assert tuple(namespace["low"].shape) == (2, 44100)
    assert namespace["rate"] == 44100
