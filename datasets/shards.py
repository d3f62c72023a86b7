"""Write a dataset as tar shards anyone can read, with an ``index.json`` that describes them.

The layout is webdataset's: each shard is a plain tar file whose members are named
``{key}.{field}``, the members of one sample next to each other. Values are stored without
pickle, so reading a shard never runs code:

=============== ================================================================
python value    member bytes (``fields`` in ``index.json`` records the type)
=============== ================================================================
``bytes``       as is                                               (``bytes``)
``str``         UTF-8                                                 (``str``)
``int``         decimal ASCII, e.g. ``b"7"``                          (``int``)
``float``       ``repr`` ASCII, e.g. ``b"0.25"``                    (``float``)
tensor / array  NumPy ``.npy`` (``np.save(allow_pickle=False)``)      (``npy``)
=============== ================================================================

``index.json`` lists the shards in order with their file name, sample count, size and sha256;
it is written last (atomically), so a folder with an ``index.json`` always holds complete shards.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import tarfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from triptych import paths

from .download import sha256_file

INDEX_NAME = "index.json"
FORMAT = "triptych-shards"
FORMAT_VERSION = 1
KINDS = ("bytes", "str", "int", "float", "npy")
_KEY = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_-]*$")
_FIELD = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def _kind_of(field: str, value: Any) -> str:
    if isinstance(value, bool):  # a bool is an int to Python; keep it explicit
        raise TypeError(f"sample field {field!r}: bool is not supported; store int(value)")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "bytes"
    if isinstance(value, str):
        return "str"
    if isinstance(value, (int, np.integer)):
        return "int"
    if isinstance(value, (float, np.floating)):
        return "float"
    if isinstance(value, np.ndarray) or _is_tensor(value):
        return "npy"
    raise TypeError(f"sample field {field!r}: cannot store a {type(value).__name__}; "
                    "use bytes, str, int, float, a tensor or a NumPy array")


def _is_tensor(value: Any) -> bool:
    torch = _torch_if_loaded()
    return torch is not None and isinstance(value, torch.Tensor)


def _torch_if_loaded():
    import sys

    return sys.modules.get("torch")


def encode_value(field: str, value: Any) -> tuple[str, bytes]:
    """``(kind, bytes)`` for one sample value (see the module docstring for the formats)."""
    kind = _kind_of(field, value)
    if kind == "bytes":
        return kind, bytes(value)
    if kind == "str":
        return kind, value.encode("utf-8")
    if kind == "int":
        return kind, str(int(value)).encode("ascii")
    if kind == "float":
        return kind, repr(float(value)).encode("ascii")
    array = value
    if _is_tensor(value):
        if value.dtype.is_complex or str(value.dtype) in ("torch.bfloat16",) or (
                value.dtype.is_floating_point and value.element_size() == 1):
            raise TypeError(f"sample field {field!r}: NumPy has no {value.dtype}; "
                            "convert it first (e.g. .float())")
        array = value.detach().cpu().contiguous().numpy()
    if array.dtype.hasobject:
        raise TypeError(f"sample field {field!r}: object arrays would need pickle")
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return kind, buffer.getvalue()


def decode_value(kind: str, data: bytes) -> Any:
    """The Python value of one member's bytes; ``npy`` gives a ``torch.Tensor``."""
    if kind == "bytes":
        return data
    if kind == "str":
        return data.decode("utf-8")
    if kind == "int":
        return int(data)
    if kind == "float":
        return float(data)
    if kind == "npy":
        import torch

        return torch.from_numpy(_load_npy(data))
    raise ValueError(f"unknown field kind {kind!r} in index.json (expected one of {KINDS})")


def _tar_size(content: int) -> int:
    """Size of a tar file closed after ``content`` bytes: two zero blocks, then padding to
    a whole record (``tarfile.RECORDSIZE``)."""
    return -(-(content + 2 * tarfile.BLOCKSIZE) // tarfile.RECORDSIZE) * tarfile.RECORDSIZE


_NPY_HEADERS: dict[bytes, tuple] = {}  # header bytes -> (shape, order, dtype, data offset)


def _load_npy(data: bytes) -> np.ndarray:
    """``np.load(allow_pickle=False)`` of ``.npy`` bytes, with the header parsed once per
    distinct header (samples of a dataset share them; parsing is most of np.load's time)."""
    if data[:6] != b"\x93NUMPY":
        raise ValueError("not a .npy member (bad magic)")
    length = (int.from_bytes(data[8:10], "little") + 10 if data[6] == 1
              else int.from_bytes(data[8:12], "little") + 12)
    header = data[:length]
    parsed = _NPY_HEADERS.get(header)
    if parsed is None:
        stream = io.BytesIO(header)
        version = np.lib.format.read_magic(stream)
        read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                else np.lib.format.read_array_header_2_0)
        shape, fortran, dtype = read(stream)
        if dtype.hasobject:
            raise ValueError("object arrays are not loaded (they would need pickle)")
        parsed = (shape, "F" if fortran else "C", dtype, stream.tell())
        if len(_NPY_HEADERS) > 256:
            _NPY_HEADERS.clear()
        _NPY_HEADERS[header] = parsed
    shape, order, dtype, offset = parsed
    count = int(np.prod(shape, dtype=np.int64))
    array = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
    return array.reshape(shape, order=order).copy(order="K")  # writable, owns its memory


def _scan_ustar(fd: int, size: int) -> list[tuple[str, int, int]] | None:
    """``(name, data offset, size)`` of the regular members of a plain ustar file, reading the
    512-byte headers only; None when the file needs tarfile (pax/GNU headers, other types)."""
    members, offset = [], 0
    while offset + 512 <= size:
        header = os.pread(fd, 512, offset)
        if header == bytes(512):
            return members
        checksum = header[148:156].strip(b"\0 ")
        if not checksum.isdigit() or int(checksum, 8) != sum(header[:148]) + 256 + sum(
                header[156:]):
            return None
        kind = header[156:157]
        if kind not in (b"0", b"\0") or header[257:262] != b"ustar":
            return None
        length = int(header[124:136].strip(b"\0 ") or b"0", 8)
        name = header[:100].rstrip(b"\0")
        prefix = header[345:500].rstrip(b"\0")
        if prefix:
            name = prefix + b"/" + name
        members.append((name.decode("utf-8"), offset + 512, length))
        offset += 512 + -(-length // 512) * 512
    return None


class ShardWriter:
    """Write samples into tar shards in the webdataset layout, plus ``index.json``.

    Args:
        out_dir: folder for the shards (created if needed); it must not hold an ``index.json``.
        samples_per_shard: start a new shard after this many samples (default: no count limit).
        max_shard_bytes: start a new shard before one would grow past this size (default
            256 MB); a single sample larger than that gets a shard of its own.
        prefix: shard file names are ``{prefix}-{n:05d}.tar``.

    ``write(sample)`` takes a dict of field name -> bytes, str, int, float, tensor or NumPy
    array; the optional ``"__key__"`` names the sample (default: its running number). Every
    sample must have the same fields with the same kinds. ``close()`` finishes the last shard
    and writes ``index.json`` atomically; leaving a ``with`` block by an exception removes the
    shards written so far instead, so a folder never looks complete when it is not.

    Example:
        >>> import tempfile, torch
        >>> out = tempfile.mkdtemp()
        >>> with ShardWriter(out, samples_per_shard=2) as writer:
        ...     for i in range(5):
        ...         writer.write({"image": torch.full((2, 2), i), "label": i})
        >>> index = read_index(out)
        >>> [s["num_samples"] for s in index["shards"]], index["fields"]
        ([2, 2, 1], {'image': 'npy', 'label': 'int'})
    """

    def __init__(self, out_dir: str | os.PathLike, *, samples_per_shard: int | None = None,
                 max_shard_bytes: int = 256 * 1000 * 1000, prefix: str = "shard"):
        if samples_per_shard is not None and (not isinstance(samples_per_shard, int)
                                              or samples_per_shard < 1):
            raise ValueError(f"samples_per_shard must be a positive int, got {samples_per_shard!r}")
        if not isinstance(max_shard_bytes, int) or max_shard_bytes < 1024:
            raise ValueError(f"max_shard_bytes must be an int >= 1024, got {max_shard_bytes!r}")
        if not _KEY.match(prefix):
            raise ValueError(f"prefix must be letters, digits, '_' or '-', got {prefix!r}")
        self.out_dir = Path(out_dir).expanduser()
        if (self.out_dir / INDEX_NAME).exists():
            raise FileExistsError(f"{self.out_dir / INDEX_NAME} exists: write the shards into "
                                  "an empty folder (out_dir)")
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.samples_per_shard = samples_per_shard
        self.max_shard_bytes = max_shard_bytes
        self.prefix = prefix
        self.fields: dict[str, str] | None = None
        self.shards: list[dict] = []
        self._count = 0
        self._keys: set[str] = set()
        self._tar: tarfile.TarFile | None = None
        self._file = None
        self._temp: Path | None = None
        self._shard_samples = 0
        self._closed = False

    def __enter__(self) -> ShardWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    @property
    def num_samples(self) -> int:
        """Samples written so far."""
        return self._count

    def write(self, sample: Mapping[str, Any]) -> None:
        """Append one sample (a dict of field -> value, optional ``"__key__"``)."""
        if self._closed:
            raise ValueError("this ShardWriter is closed")
        if not isinstance(sample, Mapping) or not sample:
            raise TypeError(f"sample must be a non-empty dict, got {type(sample).__name__}")
        key = str(sample.get("__key__", f"{self._count:09d}"))
        if not _KEY.match(key):
            raise ValueError(f"sample key {key!r}: use letters, digits, '_' or '-' (no '.', '/')")
        if key in self._keys:
            raise ValueError(f"sample key {key!r} was written before; keys must be unique")
        encoded = {}
        for field, value in sample.items():
            if field == "__key__":
                continue
            if not isinstance(field, str) or not _FIELD.match(field) or field.startswith("__"):
                raise ValueError(f"field name {field!r}: use letters, digits, '_', '-', '.' "
                                 "(not starting with '__' or '.')")
            encoded[field] = encode_value(field, value)
        if not encoded:
            raise ValueError("sample has no fields besides __key__")
        kinds = {field: kind for field, (kind, _) in encoded.items()}
        if self.fields is None:
            self.fields = kinds
        elif kinds != self.fields:
            raise ValueError(f"sample {key!r} has fields {kinds}, but the first sample had "
                             f"{self.fields}: every sample needs the same fields and kinds")
        size = sum(512 + -(-len(data) // 512) * 512 for _, data in encoded.values())
        if self._tar is not None and (
                self._shard_samples == self.samples_per_shard
                or _tar_size(self._file.tell() + size) > self.max_shard_bytes):
            self._finish_shard()
        if self._tar is None:
            self._start_shard()
        for field, (_, data) in encoded.items():
            info = tarfile.TarInfo(f"{key}.{field}")
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 0  # the same samples give byte-identical shards
            self._tar.addfile(info, io.BytesIO(data))
        self._keys.add(key)
        self._shard_samples += 1
        self._count += 1

    def _start_shard(self) -> None:
        name = f"{self.prefix}-{len(self.shards):05d}.tar"
        self._temp = self.out_dir / f".{name}.{os.getpid()}.tmp"
        self._file = open(self._temp, "wb")  # noqa: SIM115 - closed in _finish_shard
        self._tar = tarfile.open(fileobj=self._file, mode="w", format=tarfile.USTAR_FORMAT)
        self._shard_samples = 0

    def _finish_shard(self) -> None:
        self._tar.close()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        name = f"{self.prefix}-{len(self.shards):05d}.tar"
        final = self.out_dir / name
        os.replace(self._temp, final)
        self.shards.append({"name": name, "num_samples": self._shard_samples,
                            "size": final.stat().st_size, "sha256": sha256_file(final)})
        self._tar = self._file = self._temp = None

    def close(self) -> None:
        """Finish the last shard and write ``index.json`` (atomically)."""
        if self._closed:
            return
        if self._count == 0:
            raise ValueError("no samples were written; there is nothing to index")
        if self._tar is not None:
            self._finish_shard()
        index = {"format": FORMAT, "version": FORMAT_VERSION, "num_samples": self._count,
                 "fields": self.fields, "shards": self.shards}
        paths.write_atomic(self.out_dir / INDEX_NAME,
                           (json.dumps(index, indent=1) + "\n").encode())
        self._closed = True

    def abort(self) -> None:
        """Remove the shards written so far (no ``index.json`` is written)."""
        if self._tar is not None:
            with contextlib.suppress(Exception):
                self._tar.close()
            self._file.close()
            with contextlib.suppress(OSError):
                self._temp.unlink()
        for shard in self.shards:
            with contextlib.suppress(OSError):
                (self.out_dir / shard["name"]).unlink()
        self._tar = self._file = self._temp = None
        self.shards = []
        self._closed = True


# --------------------------------------------------------------------------------------------
# Reading


def check_index(index: Any, source: str) -> dict:
    """``index`` if it is a well-formed shard index, else ValueError naming ``source``."""
    def bad(why: str) -> ValueError:
        return ValueError(f"{source} is not a triptych shard index: {why}")

    if not isinstance(index, dict) or index.get("format") != FORMAT:
        raise bad(f"'format' must be {FORMAT!r}")
    if index.get("version") != FORMAT_VERSION:
        raise bad(f"version {index.get('version')!r} is not {FORMAT_VERSION}")
    fields = index.get("fields")
    if not isinstance(fields, dict) or not fields or any(k not in KINDS for k in fields.values()):
        raise bad(f"'fields' must map names to one of {KINDS}")
    shards = index.get("shards")
    if not isinstance(shards, list) or not shards:
        raise bad("'shards' must be a non-empty list")
    for shard in shards:
        if not (isinstance(shard, dict) and isinstance(shard.get("name"), str)
                and isinstance(shard.get("num_samples"), int) and shard["num_samples"] > 0
                and isinstance(shard.get("size"), int)
                and re.fullmatch(r"[0-9a-f]{64}", str(shard.get("sha256")))):
            raise bad(f"malformed shard entry {shard!r}")
        if "/" in shard["name"] or "\\" in shard["name"] or shard["name"].startswith("."):
            raise bad(f"shard name {shard['name']!r} must be a plain file name")
    if sum(s["num_samples"] for s in shards) != index.get("num_samples"):
        raise bad("'num_samples' is not the sum of the shards' sample counts")
    return index


def read_index(folder: str | os.PathLike) -> dict:
    """The checked ``index.json`` of a local shard folder."""
    path = Path(folder).expanduser() / INDEX_NAME
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} does not exist: is {folder} a folder written by "
                                "ShardWriter (or `triptych datasets shard`)?") from None
    try:
        index = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from None
    return check_index(index, str(path))


def index_fingerprint(index: dict) -> str:
    """16 hex digits that change whenever any shard of the index does."""
    digest = hashlib.sha256()
    for shard in index["shards"]:
        digest.update(f"{shard['name']} {shard['num_samples']} {shard['sha256']}\n".encode())
    return digest.hexdigest()[:16]


class ShardReader:
    """Random access to the samples of one local tar shard (members located once, read by
    offset); ``reader[j]`` is sample ``j`` as a dict with ``"__key__"``."""

    def __init__(self, path: str | os.PathLike, fields: dict[str, str], num_samples: int):
        self.path = Path(path)
        self.fields = fields
        self._file = open(self.path, "rb")  # noqa: SIM115 - closed in close()
        samples: list[tuple[str, dict[str, tuple[int, int]]]] = []
        members = _scan_ustar(self._file.fileno(), os.fstat(self._file.fileno()).st_size)
        if members is None:  # any other tar: the slower, general reader
            try:
                with tarfile.open(fileobj=self._file, mode="r:") as tar:
                    members = [(m.name, m.offset_data, m.size) for m in tar if m.isfile()]
            except tarfile.TarError as exc:
                self._file.close()
                raise ValueError(f"{self.path} is not a readable tar shard: {exc}") from None
        for name, offset, size in members:
            key, _, field = name.partition(".")
            if not samples or samples[-1][0] != key:
                samples.append((key, {}))
            samples[-1][1][field] = (offset, size)
        if len(samples) != num_samples:
            self._file.close()
            raise ValueError(f"{self.path} holds {len(samples)} samples, index.json says "
                             f"{num_samples}: the shard and its index do not match")
        self._samples = samples

    def __len__(self) -> int:
        return len(self._samples)

    def __getitem__(self, j: int) -> dict:
        key, members = self._samples[j]
        sample: dict[str, Any] = {"__key__": key}
        for field, kind in self.fields.items():
            if field not in members:
                raise ValueError(f"{self.path}: sample {key!r} has no member {key}.{field}")
            offset, size = members[field]
            sample[field] = decode_value(kind, os.pread(self._file.fileno(), size, offset))
        return sample

    def close(self) -> None:
        self._file.close()


def iter_shard(path: str | os.PathLike, fields: dict[str, str]) -> Iterator[dict]:
    """The samples of one shard in file order (any webdataset-style tar with these fields)."""
    with tarfile.open(path, mode="r|") as tar:
        current: dict[str, Any] | None = None
        for member in tar:
            if not member.isfile():
                continue
            key, _, field = member.name.partition(".")
            if current is None or current["__key__"] != key:
                if current is not None:
                    yield current
                current = {"__key__": key}
            if field in fields:
                current[field] = decode_value(fields[field], tar.extractfile(member).read())
        if current is not None:
            yield current


# --------------------------------------------------------------------------------------------
# Converting a catalog dataset


def _as_sample(item: Any) -> dict:
    """A dataset item as a sample dict: a dict stays, ``(input, target)`` becomes
    ``{"input", "target"}``, a longer tuple ``{"item0", "item1", ...}``, anything else
    ``{"input"}``; PIL images become uint8 arrays (H, W[, C])."""
    if isinstance(item, Mapping):
        sample = dict(item)
    elif isinstance(item, (tuple, list)):
        names = ("input", "target") if len(item) == 2 else [f"item{k}" for k in range(len(item))]
        sample = dict(zip(names, item))
    else:
        sample = {"input": item}
    for field, value in sample.items():
        if type(value).__module__.startswith("PIL."):
            sample[field] = np.asarray(value)
    return sample


def shard_dataset(name: str, root: str | os.PathLike | None, out_dir: str | os.PathLike, *,
                  split: str | None = "train", samples_per_shard: int | None = None,
                  max_shard_bytes: int = 256 * 1000 * 1000) -> dict:
    """Write catalog dataset ``name`` (read by its registered class) as shards in ``out_dir``.

    Items are stored as :func:`_as_sample` makes them: ``(image, label)`` pairs become the
    fields ``input`` and ``target``. Returns the written index.

    Raises:
        KeyError: ``name`` is not in the catalog.
        ValueError: the dataset has no reader class to convert it with.
    """
    from .catalog import dataset_info

    info = dataset_info(name)
    cls = info.load_class()
    if cls is None:
        raise ValueError(f"dataset {name!r} has no reader class yet (only its files are in the "
                         "catalog), so there are no samples to shard")
    dataset = cls(root, split=split)
    with ShardWriter(out_dir, samples_per_shard=samples_per_shard,
                     max_shard_bytes=max_shard_bytes) as writer:
        for i in range(len(dataset)):
            writer.write(_as_sample(dataset[i]))
    return read_index(out_dir)
