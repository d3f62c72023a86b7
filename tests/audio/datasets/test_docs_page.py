"""The offline example of docs/audio-datasets.md runs and prints what the page says."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "audio-datasets.md"


def test_docs_example_runs(capsys):
    code = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)[0]
    namespace: dict = {"__name__": "docs_audio_datasets"}
    exec(compile(code, str(DOC), "exec"), namespace)
    promised = re.search(r"^# (2 \(1, 800\).*)$", code, re.M).group(1)
    assert capsys.readouterr().out.strip() == promised
    assert namespace["labels"] == [0, 0, 1, 0, 1, 0, 1, 1]
