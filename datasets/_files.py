"""Small helpers shared by the downloads and the extraction: the read size, glob escaping,
quiet removal, and the progress bar."""

from __future__ import annotations

import contextlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from triptych import paths

CHUNK_SIZE = 1 << 20


def glob_escape(text: str) -> str:
    """``text`` with glob metacharacters escaped."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


@dataclass
class _Progress:
    """A tqdm bar that costs nothing when progress is off."""

    wanted: bool
    total: int | None
    desc: str

    def __post_init__(self):
        self._bar = None
        if paths.progress_enabled(self.wanted) and (
                sys.stderr.isatty() or paths.env_flag("TRIPTYCH_PROGRESS")):
            from tqdm import tqdm

            self._bar = tqdm(total=self.total, desc=self.desc, unit="B", unit_scale=True,
                             unit_divisor=1024, leave=False, file=sys.stderr)

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.close()

    def update(self, n: int) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def set(self, n: int) -> None:
        if self._bar is not None:
            self._bar.n = n
            self._bar.refresh()

    def set_total(self, total: int) -> None:
        if self._bar is not None and self._bar.total != total:
            self._bar.total = total
            self._bar.refresh()

