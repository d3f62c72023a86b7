"""Access to ``triptych._text``, the tokenizers' compiled core, and helpers around it."""

from __future__ import annotations

import importlib
from types import ModuleType

import torch


def compiled_text() -> ModuleType:
    """``triptych._text``, or an ImportError saying how to get it."""
    try:
        return importlib.import_module("triptych._text")
    except ImportError as exc:
        raise ImportError(
            "triptych's compiled tokenizers (triptych._text) are not built: reinstall triptych "
            "with a C++17 compiler available (and without TRIPTYCH_NO_BUILD=1)"
        ) from exc


def default_threads(num_threads: int | None) -> int:
    if num_threads is None:
        return torch.get_num_threads()
    if not isinstance(num_threads, int) or num_threads < 1:
        raise ValueError(f"num_threads must be a positive int or None, got {num_threads!r}")
    return num_threads


def padded_tensors(data: bytearray, width: int, lengths: bytearray) -> tuple[torch.Tensor, torch.Tensor]:
    """(ids (B, width), lengths (B,)) int64 tensors over the buffers the compiled core filled."""
    lengths_t = torch.frombuffer(lengths, dtype=torch.int64) if lengths else torch.zeros(0, dtype=torch.int64)
    batch = lengths_t.numel()
    ids = torch.frombuffer(data, dtype=torch.int64) if data else torch.zeros(0, dtype=torch.int64)
    return ids.view(batch, width), lengths_t


def pad_rows(rows: list[list[int]], padding_value: int, max_length: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    """The padded (ids, lengths) form of ragged id lists, in Python (for the rare slow path)."""
    lengths = [len(r) if max_length is None else min(len(r), max_length) for r in rows]
    width = max(lengths, default=0)
    ids = torch.full((len(rows), width), padding_value, dtype=torch.int64)
    for i, (row, n) in enumerate(zip(rows, lengths)):
        ids[i, :n] = torch.tensor(row[:n], dtype=torch.int64)
    return ids, torch.tensor(lengths, dtype=torch.int64)
