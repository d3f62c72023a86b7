"""The example at the top of docs/text.md runs and its assertions hold."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("tokenizers")


def test_docs_text_example_runs(capsys):
    page = (Path(__file__).resolve().parents[2] / "docs" / "text.md").read_text(encoding="utf-8")
    example = re.search(r"```python\n(.*?)```", page, re.S).group(1)
    exec(compile(example, "docs/text.md", "exec"), {})
    assert "torch.Size([4, 9])" in capsys.readouterr().out
