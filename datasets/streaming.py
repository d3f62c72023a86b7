"""Stream tar shards under ``torchrun`` and resume exactly, at any world size.

One global order per epoch
    The order of the samples of epoch ``e`` depends only on ``seed``, ``e`` and the index:
    the shards are permuted, then the samples inside each window of ``shuffle_window``
    consecutive shards. It does not depend on the world size or on ``num_workers``.

Each rank and worker takes its slice
    With per-rank batch size ``b`` and ``W`` ranks, step ``s`` consumes the global batch
    ``order[s*b*W : (s+1)*b*W]``; rank ``r`` takes the ``r``-th run of ``b`` samples, so the
    rank batches of a step, concatenated in rank order, are the world-size-1 sequence. Inside a
    rank, DataLoader worker ``w`` of ``k`` makes the rank's batches ``w, w+k, ...``, which is
    the order in which DataLoader hands them out. Shards are split at the sample level, so there
    may be fewer shards than ranks x workers.

Equal batch counts
    The last, short global batch is split evenly: it is padded with at most ``W - 1`` repeats
    (every sample carries ``"__pad__"``: True for such a repeat, so evaluation can mask them
    and count every sample exactly once), or dropped with ``drop_last=True``.

One position
    The state is the epoch and the number of samples the training loop has consumed, counted
    globally. It is counted where batches reach the loop: by :class:`StreamingDataLoader`
    (a DataLoader whose workers may prefetch freely), or by the dataset itself when iterated
    in the main process. Resuming splits the rest of the epoch over the new world size; the
    global batch ``b * W`` must stay the same (e.g. 2 ranks x 6 -> 1 x 12 -> 3 x 4), other
    changes are refused with an error that says what to pass.

Downloads
    Remote shards are fetched with :func:`triptych.datasets.download` into ``cache_dir``
    (temp file, sha256 from ``index.json``, atomic rename) under its per-file lock: on one node
    the first process fetches a shard, the other ranks and workers wait and find it verified.
    ``cache_limit`` bounds the cache in bytes; least recently used shards are removed first.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from triptych import paths
from triptych.device import derive_seed

from ._lock import FileLock
from .download import download, is_verified, sha256_file
from .shards import INDEX_NAME, ShardReader, check_index, index_fingerprint, read_index

STATE_VERSION = 1
_OPEN_READERS = 8


# --------------------------------------------------------------------------------------------
# The partition, as pure functions of a few integers


def epoch_order(shard_sizes: list[int], *, seed: int, epoch: int, shuffle: bool = True,
                shuffle_window: int = 4) -> np.ndarray:
    """Global sample ids (int64, shape ``(N,)``) in the order of ``epoch``.

    Shards are permuted, then the samples of each window of ``shuffle_window`` consecutive
    shards (in the permuted order); ``shuffle=False`` keeps the stored order.

    Example:
        >>> epoch_order([2, 3], seed=0, epoch=0, shuffle=False).tolist()
        [0, 1, 2, 3, 4]
        >>> sorted(epoch_order([2, 3], seed=0, epoch=1).tolist())
        [0, 1, 2, 3, 4]
    """
    starts = np.concatenate([[0], np.cumsum(shard_sizes)]).astype(np.int64)
    total = int(starts[-1])
    if not shuffle:
        return np.arange(total, dtype=np.int64)
    rng = np.random.default_rng(derive_seed(seed, "epoch", epoch))
    shards = rng.permutation(len(shard_sizes))
    pieces = []
    for w in range(0, len(shards), shuffle_window):
        window = np.concatenate([np.arange(starts[s], starts[s + 1]) for s in
                                 shards[w:w + shuffle_window]])
        pieces.append(rng.permutation(window))
    return np.concatenate(pieces).astype(np.int64)


def _check_layout(num_samples: int, world_size: int, rank: int, batch_size: int | None,
                  start: int) -> None:
    if world_size < 1:
        raise ValueError(f"world_size must be >= 1, got {world_size}")
    if not 0 <= rank < world_size:
        raise ValueError(f"rank must be in [0, {world_size}), got {rank}")
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be >= 1 or None, got {batch_size}")
    if not 0 <= start <= num_samples:
        raise ValueError(f"start must be in [0, {num_samples}], got {start}")


def rank_batches(num_samples: int, *, world_size: int = 1, rank: int = 0,
                 batch_size: int | None = None, start: int = 0,
                 drop_last: bool = False) -> Iterator[tuple[int, int]]:
    """The ``(begin, end)`` position ranges of the epoch order that ``rank`` gets, from ``start``.

    Positions ``>= num_samples`` are padding (they repeat ``order[pos % num_samples]``).
    ``batch_size=None`` means single samples (ranges of one).

    Example:
        >>> list(rank_batches(7, world_size=2, rank=1, batch_size=2))
        [(2, 4), (6, 8)]
        >>> list(rank_batches(7, world_size=2, rank=1, batch_size=2, drop_last=True))
        [(2, 4)]
    """
    _check_layout(num_samples, world_size, rank, batch_size, start)
    unit = batch_size or 1
    step = unit * world_size
    full, tail = divmod(num_samples - start, step)
    for s in range(full):
        begin = start + s * step + rank * unit
        yield begin, begin + unit
    if tail and not drop_last:
        share = -(-tail // world_size)
        begin = start + full * step + rank * share
        yield begin, begin + share


def worker_batches(num_samples: int, *, world_size: int = 1, rank: int = 0,
                   num_workers: int = 0, worker: int = 0, batch_size: int | None = None,
                   start: int = 0, drop_last: bool = False) -> Iterator[tuple[int, int]]:
    """The ranges DataLoader worker ``worker`` of ``num_workers`` makes: the rank's ranges
    ``worker, worker + num_workers, ...`` (``num_workers=0``: all of them).

    Example:
        >>> list(worker_batches(8, num_workers=2, worker=1, batch_size=2))
        [(2, 4), (6, 8)]
    """
    workers = max(num_workers, 1)
    if not 0 <= worker < workers:
        raise ValueError(f"worker must be in [0, {workers}), got {worker}")
    ranges = rank_batches(num_samples, world_size=world_size, rank=rank, batch_size=batch_size,
                          start=start, drop_last=drop_last)
    return islice(ranges, worker, None, workers)


def num_batches(num_samples: int, *, world_size: int = 1, batch_size: int | None = None,
                start: int = 0, drop_last: bool = False) -> int:
    """How many batches (samples when ``batch_size=None``) every rank gets from ``start``.

    Example:
        >>> num_batches(7, world_size=2, batch_size=2), num_batches(7, world_size=3)
        (2, 3)
    """
    _check_layout(num_samples, world_size, 0, batch_size, start)
    full, tail = divmod(num_samples - start, (batch_size or 1) * world_size)
    return full + (1 if tail and not drop_last else 0)


def consumed_after(num_samples: int, steps: int, *, world_size: int = 1,
                   batch_size: int | None = None, start: int = 0,
                   drop_last: bool = False) -> int:
    """The global position after every rank consumed ``steps`` batches from ``start``
    (padding is not counted; the end of the epoch is ``num_samples``).

    Example:
        >>> consumed_after(7, 1, world_size=2, batch_size=2), consumed_after(7, 2, world_size=2, batch_size=2)
        (4, 7)
    """
    _check_layout(num_samples, world_size, 0, batch_size, start)
    step = (batch_size or 1) * world_size
    full, tail = divmod(num_samples - start, step)
    if steps <= full:
        return start + steps * step
    return start + full * step + (0 if drop_last else tail)


def current_layout() -> tuple[int, int]:
    """``(rank, world_size)``: from torch.distributed when initialised, else ``$RANK`` and
    ``$WORLD_SIZE`` (set by torchrun), else ``(0, 1)``."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    try:
        rank = int(os.environ.get("RANK", "0"))
        world = int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        raise ValueError("$RANK and $WORLD_SIZE must be integers") from None
    if not 0 <= rank < world:
        raise ValueError(f"$RANK={rank} is not in [0, $WORLD_SIZE={world})")
    return rank, world


# --------------------------------------------------------------------------------------------
# Where the shards come from


class _Source:
    """Resolves ``source`` to its index and gives the local path of shard ``i``."""

    def __init__(self, source: str | os.PathLike, cache_dir: str | os.PathLike | None,
                 cache_limit: int | None):
        text = os.fspath(source)
        scheme = urlsplit(text).scheme.lower() if "://" in text else ""
        self.source = text
        self.kind = ("local" if scheme in ("", "file") else
                     "http" if scheme in ("http", "https") else "fsspec")
        if self.kind == "local":
            folder = Path(urlsplit(text).path) if scheme == "file" else Path(text).expanduser()
            self.folder = folder
            self.index = read_index(folder)
            self.cache = None
        else:
            self.base = text.rstrip("/")
            digest = hashlib.sha256(self.base.encode()).hexdigest()[:16]
            self.cache = (Path(cache_dir).expanduser() if cache_dir is not None
                          else paths.home() / "streaming" / digest)
            self.cache.mkdir(parents=True, exist_ok=True)
            self.index = self._remote_index()
        self.cache_limit = cache_limit
        if cache_limit is not None:
            biggest = max(s["size"] for s in self.index["shards"])
            if not isinstance(cache_limit, int) or cache_limit < biggest:
                raise ValueError(f"cache_limit must be an int >= the largest shard "
                                 f"({biggest} bytes), got {cache_limit!r}")

    def _remote_index(self) -> dict:
        cached = self.cache / INDEX_NAME
        where = f"{self.base}/{INDEX_NAME}"
        if paths.is_offline():
            if not cached.exists():
                raise FileNotFoundError(f"TRIPTYCH_OFFLINE=1 is set and {cached} (the index of "
                                        f"{self.base}) is not cached; unset it to fetch {where}")
            return read_index(self.cache)
        if self.kind == "http":
            import requests

            try:
                response = requests.get(where, timeout=30)
            except requests.RequestException as exc:
                raise ConnectionError(f"cannot fetch {where}: {exc}") from None
            if response.status_code != 200:
                raise FileNotFoundError(f"cannot fetch {where}: HTTP {response.status_code}")
            data = response.content
        else:
            fs, path = _fsspec(self.base)
            data = fs.cat_file(f"{path}/{INDEX_NAME}")
        try:
            index = check_index(json.loads(data), where)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where} is not valid JSON: {exc}") from None
        paths.write_atomic(cached, data)  # for offline runs
        return index

    def path(self, i: int) -> Path:
        shard = self.index["shards"][i]
        if self.kind == "local":
            return self.folder / shard["name"]
        target = self.cache / shard["name"]
        if not is_verified(target, shard["sha256"], shard["size"]):
            if self.kind == "http":
                download(f"{self.base}/{shard['name']}", self.cache, sha256=shard["sha256"],
                         size=shard["size"], progress=False)
            else:
                self._fsspec_get(shard, target)
            self._evict(keep=shard["name"])
        with contextlib.suppress(OSError):
            # Most recently used: the access time only. The modification time is part of the
            # verification record (size, mtime, inode), so touching it would make the next
            # open re-hash the whole shard.
            os.utime(target, ns=(time.time_ns(), target.stat().st_mtime_ns))
        return target

    def _fsspec_get(self, shard: dict, target: Path) -> None:
        with FileLock(self.cache / f".{shard['name']}.lock"):
            if is_verified(target, shard["sha256"], shard["size"]):
                return
            fs, path = _fsspec(self.base)
            temp = self.cache / f".{shard['name']}.{os.getpid()}.part"
            try:
                fs.get_file(f"{path}/{shard['name']}", str(temp))
                digest = sha256_file(temp)
                if digest != shard["sha256"] or temp.stat().st_size != shard["size"]:
                    raise OSError(f"{self.base}/{shard['name']} has sha256 {digest}, "
                                  f"index.json says {shard['sha256']}: a changed or corrupt copy")
                os.replace(temp, target)
            finally:
                with contextlib.suppress(OSError):
                    temp.unlink()
            is_verified(target, shard["sha256"])  # records the verification

    def _evict(self, keep: str) -> None:
        if self.cache_limit is None:
            return
        with FileLock(self.cache / ".evict.lock"):
            files = []
            for shard in self.index["shards"]:
                path = self.cache / shard["name"]
                with contextlib.suppress(OSError):
                    st = path.stat()
                    files.append((st.st_atime_ns, st.st_size, path))
            total = sum(size for _, size, _ in files)
            for _, size, path in sorted(files):
                if total <= self.cache_limit:
                    break
                if path.name == keep:
                    continue
                # Readers that have the file open keep reading it (POSIX unlink semantics).
                with contextlib.suppress(OSError):
                    path.unlink()
                    total -= size
                with contextlib.suppress(OSError):
                    path.with_name(f".{path.name}.verified").unlink()


def _fsspec(url: str):
    try:
        import fsspec
    except ImportError:
        raise ImportError(f"reading {url!r} needs fsspec: pip install 'triptych[cloud]'") from None
    return fsspec.core.url_to_fs(url)


# --------------------------------------------------------------------------------------------
# The dataset


class StreamingDataset(IterableDataset):
    """Samples of tar shards (written by :class:`ShardWriter`), in one seeded global order per
    epoch that every rank and worker slices; resumable at any step and world size.

    Args:
        source: a local folder with ``index.json``, an ``http(s)://`` URL of such a folder,
            or any fsspec URL (``s3://...``; needs ``pip install 'triptych[cloud]'``).
        shuffle: shuffle shards and samples each epoch (with ``seed`` and the epoch).
        seed: the seed of the order; the same on every rank.
        batch_size: samples per batch on each rank (collated with ``collate_fn``); ``None``
            yields single samples. Set it here, not on the DataLoader, so that workers keep
            the global order.
        drop_last: drop the last short global batch instead of padding it.
        cache_dir: where remote shards are cached (default ``$TRIPTYCH_HOME/streaming/<hash>``).
            Put it on a disk of the node: every process of the node shares it.
        cache_limit: most bytes of shards to keep in ``cache_dir`` (LRU); default unbounded.
        transform: called on each sample dict before batching.
        collate_fn: makes a batch of a list of samples (default ``default_collate``).
        shuffle_window: shards whose samples are shuffled together.

    Each sample is a dict of the stored fields (tensors for ``npy`` fields) plus ``"__key__"``
    (str), ``"__index__"`` (int, the sample's position in the index) and ``"__pad__"`` (bool,
    True for the <= world_size - 1 repeats that even out the last batch).

    Iterate it through :class:`StreamingDataLoader` (or directly, in the main process) so
    that :meth:`state_dict` counts the samples the loop consumed.

    Example:
        >>> import tempfile
        >>> from triptych.datasets import ShardWriter
        >>> folder = tempfile.mkdtemp()
        >>> with ShardWriter(folder, samples_per_shard=4) as writer:
        ...     for i in range(10):
        ...         writer.write({"value": i})
        >>> ds = StreamingDataset(folder, shuffle=False, batch_size=4)
        >>> [batch["value"].tolist() for batch in ds]
        [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
        >>> ds = StreamingDataset(folder, seed=1, batch_size=4)
        >>> first = next(iter(ds))["__index__"].tolist()
        >>> state = ds.state_dict()          # after one batch: position 4 of epoch 0
        >>> state["epoch"], state["position"]
        (0, 4)
        >>> resumed = StreamingDataset(folder, seed=1, batch_size=4)
        >>> resumed.load_state_dict(state)
        >>> rest = [i for b in resumed for i in b["__index__"].tolist()]
        >>> sorted(first + rest) == list(range(10))
        True
    """

    def __init__(self, source: str | os.PathLike, *, shuffle: bool = True, seed: int = 0,
                 batch_size: int | None = None, drop_last: bool = False,
                 cache_dir: str | os.PathLike | None = None, cache_limit: int | None = None,
                 transform: Callable[[dict], Any] | None = None,
                 collate_fn: Callable[[list], Any] | None = None, shuffle_window: int = 4):
        super().__init__()
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
            raise ValueError(f"batch_size must be a positive int or None, got {batch_size!r}")
        if not isinstance(seed, int):
            raise ValueError(f"seed must be an int, got {seed!r}")
        if not isinstance(shuffle_window, int) or shuffle_window < 1:
            raise ValueError(f"shuffle_window must be a positive int, got {shuffle_window!r}")
        if transform is not None and not callable(transform):
            raise TypeError("transform must be callable")
        self._source = _Source(source, cache_dir, cache_limit)
        self.index = self._source.index
        self.num_samples: int = self.index["num_samples"]
        self.shuffle = bool(shuffle)
        self.seed = seed
        self.batch_size = batch_size
        self.drop_last = bool(drop_last)
        self.transform = transform
        self.collate_fn = collate_fn
        self.shuffle_window = shuffle_window
        self.fingerprint = index_fingerprint(self.index)
        self._sizes = [s["num_samples"] for s in self.index["shards"]]
        self._starts = np.concatenate([[0], np.cumsum(self._sizes)]).astype(np.int64)
        self.epoch = 0
        self.position = 0  # samples of this epoch consumed, globally
        self._start = 0
        self._steps = 0
        self._layout: tuple[int, int] | None = None
        self._resumed_from: dict | None = None
        self._epoch_pinned = False  # set_epoch named the epoch of the next iteration
        self._readers: OrderedDict[int, ShardReader] = OrderedDict()
        self._columns_as_lists = False  # set by StreamingDataLoader while it starts workers

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_readers"] = OrderedDict()  # open files stay with their process
        return state

    # -- epoch and state ---------------------------------------------------------------------
    def set_epoch(self, epoch: int) -> None:
        """Start epoch ``epoch`` from its beginning — unless a state just loaded with
        :meth:`load_state_dict` is of this epoch: then it continues from the saved position
        (and yields nothing if that epoch was finished).

        Without calls to ``set_epoch``, an iteration that starts after a finished epoch runs
        the next epoch."""
        if not isinstance(epoch, int) or epoch < 0:
            raise ValueError(f"epoch must be an int >= 0, got {epoch!r}")
        self._epoch_pinned = True
        if self._resumed_from is not None and epoch == self.epoch:
            return
        self.epoch, self.position, self._start, self._steps = epoch, 0, 0, 0
        self._resumed_from = None

    def state_dict(self) -> dict:
        """The position as a few integers (JSON-serialisable, well under 4 KB)."""
        world = (self._layout or current_layout())[1]
        return {"version": STATE_VERSION, "epoch": self.epoch, "position": self.position,
                "seed": self.seed, "shuffle": self.shuffle, "shuffle_window": self.shuffle_window,
                "drop_last": self.drop_last, "batch_size": self.batch_size, "world_size": world,
                "num_samples": self.num_samples, "fingerprint": self.fingerprint}

    def load_state_dict(self, state: dict) -> None:
        """Continue from ``state`` (of :meth:`state_dict`), possibly at another world size.

        Raises:
            ValueError: the state is of another dataset, another order (seed, shuffle,
                shuffle_window, drop_last), or another global batch (batch_size x world size).
        """
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
            raise ValueError(f"state must be a dict from StreamingDataset.state_dict() "
                             f"(version {STATE_VERSION}), got {state!r:.200}")
        missing = [k for k in self.state_dict() if k not in state]
        if missing:
            raise ValueError(f"state lacks {missing}")
        if (state["num_samples"], state["fingerprint"]) != (self.num_samples, self.fingerprint):
            raise ValueError(f"state belongs to another dataset ({state['num_samples']} samples, "
                             f"fingerprint {state['fingerprint']}); this one has "
                             f"{self.num_samples} samples, fingerprint {self.fingerprint}")
        for name in ("seed", "shuffle", "shuffle_window", "drop_last"):
            if state[name] != getattr(self, name):
                raise ValueError(f"state was saved with {name}={state[name]!r}, this dataset has "
                                 f"{name}={getattr(self, name)!r}: the order would differ; "
                                 f"pass {name}={state[name]!r}")
        position, epoch = state["position"], state["epoch"]
        if not (isinstance(position, int) and 0 <= position <= self.num_samples
                and isinstance(epoch, int) and epoch >= 0):
            raise ValueError(f"state has an invalid epoch {epoch!r} or position {position!r}")
        self._check_global_batch(state, (self._layout or current_layout())[1])
        self.epoch, self.position, self._start, self._steps = epoch, position, position, 0
        self._resumed_from = state

    def _check_global_batch(self, state: dict, world: int) -> None:
        old_bs, old_world = state["batch_size"], state["world_size"]
        if (old_bs is None) != (self.batch_size is None):
            raise ValueError(f"state was saved with batch_size={old_bs!r}, this dataset has "
                             f"batch_size={self.batch_size!r}")
        if old_bs is None:
            return  # single samples: the rest of the epoch splits over any world size
        old_global = old_bs * old_world
        if self.batch_size * world == old_global:
            return
        hint = (f"pass batch_size={old_global // world} for {world} ranks" if old_global % world
                == 0 else f"use a world size that divides {old_global}")
        raise ValueError(f"the global batch was {old_global} (batch_size={old_bs} x {old_world} "
                         f"ranks); batch_size={self.batch_size} x {world} ranks = "
                         f"{self.batch_size * world} would change it: {hint}")

    # -- iteration ---------------------------------------------------------------------------
    def _begin(self) -> None:
        """Fix the layout and the start of an iteration (main process only)."""
        layout = current_layout()
        if self._resumed_from is not None:
            self._check_global_batch(self._resumed_from, layout[1])
        self._layout = layout
        if self.drop_last and self.batch_size is not None and (
                self.num_samples < self.batch_size * layout[1]):
            raise ValueError(f"drop_last=True with {self.num_samples} samples and a global batch "
                             f"of {self.batch_size} x {layout[1]} ranks: every rank would get "
                             "no batch; lower batch_size or pass drop_last=False")
        if self.position > 0 and self._remaining(self.position) == 0 and not self._epoch_pinned:
            # The epoch is finished and set_epoch was not called: go on with the next one.
            self.epoch, self.position = self.epoch + 1, 0
            self._resumed_from = None
        self._epoch_pinned = False
        self._start, self._steps = self.position, 0

    def _remaining(self, start: int) -> int:
        return num_batches(self.num_samples, world_size=self._layout[1],
                           batch_size=self.batch_size, start=start, drop_last=self.drop_last)

    def _counted(self, items: Iterable) -> Iterator:
        """Count the batches handed to the training loop: the position advances as it takes
        each one (so a state saved after a step resumes after that step)."""
        for item in items:
            self._steps += 1
            self.position = consumed_after(
                self.num_samples, self._steps, world_size=self._layout[1],
                batch_size=self.batch_size, start=self._start, drop_last=self.drop_last)
            yield item

    def __iter__(self) -> Iterator:
        info = get_worker_info()
        if info is None:
            self._begin()
            return self._counted(self._generate(0, 0))
        return self._generate(info.id, info.num_workers)

    def __len__(self) -> int:
        """Batches (or samples) this rank gets in a whole epoch."""
        world = (self._layout or current_layout())[1]
        return num_batches(self.num_samples, world_size=world, batch_size=self.batch_size,
                           drop_last=self.drop_last)

    def _generate(self, worker: int, num_workers: int) -> Iterator:
        rank, world = self._layout or current_layout()
        order = epoch_order(self._sizes, seed=self.seed, epoch=self.epoch, shuffle=self.shuffle,
                            shuffle_window=self.shuffle_window)
        collate = self.collate_fn or torch.utils.data.default_collate
        # A tensor leaves a worker through its own shared-memory file (a socket round trip
        # each), so under StreamingDataLoader the two small bookkeeping columns travel as
        # lists and become tensors in the main process (_columns_to_tensors).
        as_lists = (num_workers > 0 and self._columns_as_lists and self.collate_fn is None
                    and self.transform is None and self.batch_size is not None)
        try:
            for begin, end in worker_batches(
                    self.num_samples, world_size=world, rank=rank, num_workers=num_workers,
                    worker=worker, batch_size=self.batch_size, start=self._start,
                    drop_last=self.drop_last):
                ids = order[np.arange(begin, end) % self.num_samples]
                shards = np.searchsorted(self._starts, ids, side="right") - 1
                offsets = (ids - self._starts[shards]).tolist()
                samples = [self._reader(shard)[j] for shard, j in zip(shards.tolist(), offsets)]
                ids = ids.tolist()
                pads = [pos >= self.num_samples for pos in range(begin, end)]
                if as_lists:
                    batch = collate(samples)
                    batch["__index__"], batch["__pad__"] = _Column(ids), _Column(pads)
                    yield batch
                    continue
                for sample, index, pad in zip(samples, ids, pads):
                    sample["__index__"] = index
                    sample["__pad__"] = pad
                if self.transform is not None:
                    samples = [self.transform(sample) for sample in samples]
                yield samples[0] if self.batch_size is None else collate(samples)
        finally:
            self._close_readers()

    def _reader(self, shard: int) -> ShardReader:
        reader = self._readers.get(shard)
        if reader is not None:
            self._readers.move_to_end(shard)
            return reader
        reader = ShardReader(self._source.path(shard), self.index["fields"], self._sizes[shard])
        self._readers[shard] = reader
        while len(self._readers) > _OPEN_READERS:
            self._readers.popitem(last=False)[1].close()
        return reader

    def _close_readers(self) -> None:
        while self._readers:
            self._readers.popitem()[1].close()


def _as_is(batch: Any) -> Any:
    return batch


class _Column(list):
    """A batch column a worker sends as a list, made a tensor by StreamingDataLoader."""


class StreamingDataLoader(DataLoader):
    """A DataLoader for :class:`StreamingDataset` that counts the batches the loop consumed.

    Workers prefetch as usual; the position in ``state_dict()`` advances only as the loop takes
    each batch, so a state saved after step ``k`` resumes at step ``k + 1`` exactly. Batching
    (``batch_size``, ``drop_last``) and the order belong to the dataset; ``persistent_workers``
    is refused (workers must see each epoch's start). Other DataLoader options pass through.

    Example:
        >>> import tempfile
        >>> from triptych.datasets import ShardWriter, StreamingDataset
        >>> folder = tempfile.mkdtemp()
        >>> with ShardWriter(folder) as writer:
        ...     for i in range(6):
        ...         writer.write({"value": i})
        >>> loader = StreamingDataLoader(StreamingDataset(folder, batch_size=2), num_workers=0)
        >>> for step, batch in enumerate(loader):
        ...     if step == 1:
        ...         break
        >>> loader.state_dict()["position"]
        4
    """

    def __init__(self, dataset: StreamingDataset, **kwargs: Any):
        if not isinstance(dataset, StreamingDataset):
            raise TypeError(f"dataset must be a StreamingDataset, got {type(dataset).__name__}")
        for name in ("batch_size", "shuffle", "sampler", "batch_sampler", "drop_last"):
            if name in kwargs:
                raise ValueError(f"{name}= belongs to the StreamingDataset, not the loader")
        if kwargs.get("persistent_workers"):
            raise ValueError("persistent_workers=True is not supported: workers keep the "
                             "position of the epoch they started in")
        if ("collate_fn" not in kwargs and dataset.collate_fn is None
                and dataset.batch_size is not None):
            # default_collate already made every batch of tensors; the loader's own
            # default (default_convert) would only walk each batch again in the worker.
            kwargs["collate_fn"] = _as_is
        super().__init__(dataset, batch_size=None, **kwargs)

    def __iter__(self):
        if self.num_workers == 0:
            return super().__iter__()  # the dataset counts, in this process
        self.dataset._begin()
        self.dataset._columns_as_lists = True  # the workers started now copy it
        try:
            batches = super().__iter__()
        finally:
            self.dataset._columns_as_lists = False
        return self.dataset._counted(self._columns_to_tensors(batches))

    def _columns_to_tensors(self, batches: Iterable) -> Iterator:
        """The batches with ``__index__`` and ``__pad__`` as the tensors ``default_collate``
        makes (int64, bool), from the lists the workers sent."""
        for batch in batches:
            if isinstance(batch, dict) and isinstance(batch.get("__index__"), _Column):
                index = torch.tensor(batch["__index__"], dtype=torch.int64)
                pad = torch.tensor(batch["__pad__"], dtype=torch.bool)
                if self.pin_memory:
                    index, pad = index.pin_memory(), pad.pin_memory()
                batch["__index__"], batch["__pad__"] = index, pad
            yield batch

    def set_epoch(self, epoch: int) -> None:
        self.dataset.set_epoch(epoch)

    def state_dict(self) -> dict:
        return self.dataset.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.dataset.load_state_dict(state)
