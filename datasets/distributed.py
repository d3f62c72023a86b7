"""Download once per node under ``torchrun``, then let every rank use the files.

Inside an initialised process group, local rank 0 of each node runs the function first while
the other ranks wait at a barrier; then they run it too, and find the files in place (a
download of a verified file makes no request), so every rank returns the same path. Without a
process group (e.g. before ``init_process_group``, or plain multi-process jobs), ranks take
turns through a file lock under ``$TRIPTYCH_HOME/locks``: the first does the work, the others
find it done.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import TypeVar

from triptych import paths

from ._lock import FileLock

T = TypeVar("T")


def local_rank() -> int:
    """This process's rank on its node: ``$LOCAL_RANK`` (set by torchrun), else the global rank
    when a process group is initialised, else 0."""
    value = os.environ.get("LOCAL_RANK")
    if value is not None and value.strip().isdigit():
        return int(value)
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    return 0


def download_once(fn: Callable[[], T], *, key: str = "download") -> T:
    """Run ``fn`` on local rank 0 of each node before the other ranks; return its result.

    ``fn`` must be idempotent (``download``/``download_dataset`` are: a second call finds the
    verified file and makes no request). If rank 0 fails, its error is raised there and the
    other ranks still run ``fn`` themselves, so none waits forever.

    Args:
        fn: a function of no arguments, e.g. ``lambda: download_dataset("mnist")``.
        key: names the file lock used when no process group is initialised.

    Example:
        >>> import hashlib, pathlib, tempfile
        >>> from triptych.datasets import download
        >>> src = pathlib.Path(tempfile.mkdtemp()) / "a.bin"
        >>> _ = src.write_bytes(b"data")
        >>> dest = tempfile.mkdtemp()
        >>> sha = hashlib.sha256(b"data").hexdigest()
        >>> path = download_once(lambda: download(src.as_uri(), dest, sha256=sha, progress=False))
        >>> path.read_bytes()
        b'data'
    """
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        if local_rank() == 0:
            error: BaseException | None = None
            try:
                result = fn()
            except BaseException as exc:  # the others must pass the barrier all the same
                error = exc
            dist.barrier()
            if error is not None:
                raise error
            return result
        dist.barrier()
        return fn()
    slug = re.sub(r"[^A-Za-z0-9_.-]", "_", key)[:100] or "download"
    with FileLock(paths.home() / "locks" / f"{slug}.lock"):
        return fn()
