"""Shared pytest setup: the ``cuda`` marker skips without a GPU."""

from __future__ import annotations

import pytest
import torch


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip_cuda = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip_cuda)


@pytest.fixture
def seeded_generator() -> torch.Generator:
    """A generator with a fresh random seed per test (printed on failure via the id)."""
    seed = int(torch.randint(0, 2**31 - 1, ()).item())
    return torch.Generator().manual_seed(seed)


@pytest.fixture
def loopback_server(tmp_path_factory):
    """A :class:`loopback.LoopbackServer` on 127.0.0.1 serving a fresh temp folder (tests/loopback.py)."""
    import sys
    from pathlib import Path

    if str(Path(__file__).parent) not in sys.path:  # only needed with --import-mode=importlib
        sys.path.insert(0, str(Path(__file__).parent))
    from loopback import LoopbackServer

    with LoopbackServer(tmp_path_factory.mktemp("loopback")) as server:
        yield server
