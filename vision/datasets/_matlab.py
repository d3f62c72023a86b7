"""A reader of MATLAB v5/v7 ``.mat`` files (numeric arrays only), so that SVHN and Flowers102
load without scipy.

The layout (MathWorks, "MAT-File Format", level 5): a 128-byte header (text, subsystem offset,
version, the endian indicator ``IM``/``MI``), then data elements, each a tag (type, byte count;
or the 4-byte "small element" form) and its data padded to 8 bytes. A variable is a
``miMATRIX`` element holding array flags (class), dimensions, name and the real part (stored in
the smallest integer type that holds it: a double array may be stored as uint8); v7 files wrap
each variable in a zlib-compressed ``miCOMPRESSED`` element. Arrays are column-major.
"""

from __future__ import annotations

import os
import zlib

import numpy as np

__all__ = ["MatError", "read_mat"]

_MI_MATRIX, _MI_COMPRESSED = 14, 15
# data element types -> numpy dtypes (without byte order)
_MI_TYPES = {1: "i1", 2: "u1", 3: "i2", 4: "u2", 5: "i4", 6: "u4", 7: "f4", 9: "f8",
             12: "i8", 13: "u8"}
# numeric array classes -> numpy dtypes
_MX_CLASSES = {6: "f8", 7: "f4", 8: "i1", 9: "u1", 10: "i2", 11: "u2", 12: "i4", 13: "u4",
               14: "i8", 15: "u8"}


class MatError(ValueError):
    """A file that is not a MATLAB v5/v7 file, or a variable this reader does not handle."""


def read_mat(path: str | os.PathLike, names: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """Read the numeric variables of a MATLAB v5/v7 file as arrays in MATLAB's shape.

    Args:
        path: the ``.mat`` file.
        names: only these variables (a variable missing from the file is an error); None: every
            numeric variable (others — cells, structs, strings, sparse — are skipped).

    Returns:
        ``{name: array}``, each array of the class's dtype, MATLAB's dimensions and Fortran
        order (``array[i, j]`` is MATLAB's ``A(i+1, j+1)``). Complex arrays keep their real part
        only.

    Raises:
        MatError: not a v5/v7 file (v7.3 is HDF5: not read), truncated or corrupt data, a
            requested variable that is missing or not numeric.
    """
    source = repr(os.fspath(path))
    with open(path, "rb") as file:
        data = file.read()
    if len(data) < 128:
        raise MatError(f"{source} is not a MATLAB v5 file (shorter than its 128-byte header)")
    if data[:8] == b"\x89HDF\r\n\x1a\n" or data[512:520] == b"\x89HDF\r\n\x1a\n":
        raise MatError(f"{source} is a MATLAB v7.3 (HDF5) file; only v5/v7 files are read")
    indicator = data[126:128]
    if indicator not in (b"IM", b"MI"):
        raise MatError(f"{source} is not a MATLAB v5 file (no endian indicator in its header)")
    order = "<" if indicator == b"IM" else ">"
    found: dict[str, np.ndarray] = {}
    wanted = set(names) if names is not None else None
    pos = 128
    while pos + 8 <= len(data):
        kind, body, pos = _element(data, pos, order, source)
        if kind == _MI_COMPRESSED:
            try:
                body = zlib.decompress(body)
            except zlib.error as exc:
                raise MatError(f"{source}: corrupt compressed variable ({exc})") from None
            kind, body, _ = _element(body, 0, order, source)
        if kind != _MI_MATRIX or not body:
            continue
        name, array = _matrix(body, order, source, wanted)
        if array is not None:
            found[name] = array
    if wanted is not None:
        missing = sorted(wanted - set(found))
        if missing:
            raise MatError(f"{source}: no numeric variable {', '.join(map(repr, missing))}")
    return found


def _element(data: bytes, pos: int, order: str, source: str) -> tuple[int, bytes, int]:
    """One data element at ``pos``: (type, its data, where the next element starts)."""
    if pos + 8 > len(data):
        raise MatError(f"{source}: truncated (a data element's tag is cut off)")
    first = int(np.frombuffer(data, f"{order}u4", 1, pos)[0])
    if first >> 16:  # small element: 2-byte count, 2-byte type, data in the next 4 bytes
        count = first >> 16
        if count > 4:
            raise MatError(f"{source}: corrupt small data element")
        return first & 0xFFFF, data[pos + 4:pos + 4 + count], pos + 8
    count = int(np.frombuffer(data, f"{order}u4", 1, pos + 4)[0])
    end = pos + 8 + count
    if end > len(data):
        raise MatError(f"{source}: truncated (a data element says {count} bytes, "
                       f"{len(data) - pos - 8} are left)")
    step = count if first == _MI_COMPRESSED else (count + 7) // 8 * 8
    return first, data[pos + 8:end], pos + 8 + step


def _matrix(body: bytes, order: str, source: str,
            wanted: set[str] | None) -> tuple[str, np.ndarray | None]:
    kind, flags, pos = _element(body, 0, order, source)
    if kind != 6 or len(flags) < 4:
        raise MatError(f"{source}: corrupt variable (array flags missing)")
    word = int(np.frombuffer(flags, f"{order}u4", 1)[0])
    mx_class = word & 0xFF
    kind, dims, pos = _element(body, pos, order, source)
    if kind != 5:
        raise MatError(f"{source}: corrupt variable (dimensions missing)")
    shape = tuple(int(d) for d in np.frombuffer(dims, f"{order}i4"))
    _, raw_name, pos = _element(body, pos, order, source)
    name = raw_name.decode("latin-1")
    if (wanted is not None and name not in wanted) or mx_class not in _MX_CLASSES:
        if wanted is not None and name in wanted:
            raise MatError(f"{source}: variable {name!r} is not a numeric array "
                           f"(MATLAB class {mx_class})")
        return name, None
    kind, real, _ = _element(body, pos, order, source)
    if kind not in _MI_TYPES:
        raise MatError(f"{source}: variable {name!r} has data of unknown type {kind}")
    stored = np.dtype(order + _MI_TYPES[kind])
    count = int(np.prod(shape, dtype=np.int64))
    if len(real) != count * stored.itemsize:
        raise MatError(f"{source}: variable {name!r} of shape {shape} holds {len(real)} bytes, "
                       f"expected {count * stored.itemsize}")
    values = np.frombuffer(real, stored).astype(np.dtype(_MX_CLASSES[mx_class]), copy=False)
    return name, values.reshape(shape, order="F")
