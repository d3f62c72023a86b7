"""Builders of tiny dataset files in their real formats (IDX, tar, zip, ...) for the tests."""

from __future__ import annotations

import gzip

import numpy as np
from loopback import tar_archive, zip_archive  # noqa: F401 - the builders' home (tests/)


def idx(array: np.ndarray) -> bytes:
    """``array`` in the IDX format (uint8 or big-endian int32)."""
    codes = {np.dtype(np.uint8): 0x08, np.dtype(np.int32): 0x0C}
    code = codes[array.dtype]
    header = bytes([0, 0, code, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def idx_gz(array: np.ndarray) -> bytes:
    return gzip.compress(idx(array))


_MI = {np.dtype(np.uint8): 2, np.dtype(np.int32): 5, np.dtype(np.float64): 9,
       np.dtype(np.uint16): 4}
_MX = {np.dtype(np.uint8): 9, np.dtype(np.int32): 12, np.dtype(np.float64): 6,
       np.dtype(np.uint16): 11}


def _mat_element(kind: int, data: bytes, *, small: bool = False) -> bytes:
    if small and len(data) <= 4:
        return (len(data) << 16 | kind).to_bytes(4, "little") + data.ljust(4, b"\0")
    return (kind.to_bytes(4, "little") + len(data).to_bytes(4, "little")
            + data + bytes(-len(data) % 8))


def mat_v5(variables: dict, *, compress: bool = True, stored: dict | None = None) -> bytes:
    """A little-endian MATLAB v5 file (v7 when ``compress``: zlib-compressed variables).

    ``stored`` maps a variable to the dtype its data is written in (MATLAB stores a double
    array as uint8 when its values fit); its class stays the array's dtype. A str value is
    written as a char array (which readers of numeric variables skip)."""
    import zlib

    out = b"MATLAB 5.0 MAT-file, written by the triptych tests".ljust(116, b" ")
    out += bytes(8) + (0x0100).to_bytes(2, "little") + b"IM"
    for name, value in variables.items():
        if isinstance(value, str):
            array, mx, real = np.array([[ord(c) for c in value]], np.uint16), 4, None
        else:
            array = np.asarray(value)
            mx = _MX[array.dtype]
            real = array.astype((stored or {}).get(name, array.dtype))
        if real is None:
            real = array
        body = _mat_element(6, (mx).to_bytes(4, "little") + bytes(4))
        body += _mat_element(5, np.array(array.shape, "<i4").tobytes())
        body += _mat_element(1, name.encode(), small=True)
        body += _mat_element(_MI[real.dtype], real.astype(real.dtype.newbyteorder("<"))
                             .tobytes(order="F"))
        element = _mat_element(14, body)
        if compress:
            packed = zlib.compress(element)
            element = (15).to_bytes(4, "little") + len(packed).to_bytes(4, "little") + packed
        out += element
    return out
