"""Named NumPy arrays in one file that is memory-mapped when read (no copy, no decompression).

Layout: the magic ``VARPRIO-ARRAYS-1\\n``, an 8-byte little-endian header length, a JSON
header ``[{"name", "dtype", "shape", "offset"}, ...]``, then each array's bytes (C order) at
its offset, aligned to 64 bytes.  Used for caches derived from a knowledge base, which only
this version of varprio reads (``np.savez`` files are read whole and CRC-checked: 60 ms for
the gene models' arrays, against under 5 ms mapped).
"""

from __future__ import annotations

import json
import mmap
import struct
from pathlib import Path
from typing import BinaryIO

import numpy as np

MAGIC = b"VARPRIO-ARRAYS-1\n"
_ALIGN = 64


def _aligned(n: int) -> int:
    return -(-n // _ALIGN) * _ALIGN


def write_arrays(out: BinaryIO, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` (any shapes, non-object dtypes) to the binary stream ``out``."""
    values = {name: np.ascontiguousarray(a) for name, a in arrays.items()}
    entries, offsets, offset = [], [], 0
    for name, a in values.items():
        if a.dtype.hasobject:
            raise ValueError(f"array {name}: object arrays cannot be stored")
        entries.append({"name": name, "dtype": a.dtype.str, "shape": list(a.shape),
                        "offset": offset})  # fmt: skip
        offsets.append(offset)
        offset = _aligned(offset + a.nbytes)
    header = json.dumps(entries).encode()
    start = _aligned(len(MAGIC) + 8 + len(header))
    out.write(MAGIC + struct.pack("<Q", len(header)) + header)
    out.write(b"\0" * (start - len(MAGIC) - 8 - len(header)))
    written = 0
    for at, a in zip(offsets, values.values(), strict=True):
        out.write(b"\0" * (at - written))
        out.write(a.tobytes())
        written = at + a.nbytes


def read_arrays(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a :func:`write_arrays` file, read-only views of its memory map.

    Raises ValueError when the file is not such a file or is truncated.
    """
    with open(path, "rb") as fh:
        size = fh.seek(0, 2)
        if size < len(MAGIC) + 8:
            raise ValueError(f"{path}: too short for an array file")
        data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    if data[: len(MAGIC)] != MAGIC:
        raise ValueError(f"{path}: not a varprio array file")
    (length,) = struct.unpack_from("<Q", data, len(MAGIC))
    try:
        entries = json.loads(data[len(MAGIC) + 8 : len(MAGIC) + 8 + length])
    except ValueError as exc:
        raise ValueError(f"{path}: unreadable header ({exc})") from exc
    start = _aligned(len(MAGIC) + 8 + length)
    out = {}
    for entry in entries:
        dtype, shape = np.dtype(entry["dtype"]), tuple(entry["shape"])
        count = int(np.prod(shape, dtype=np.int64))
        at = start + int(entry["offset"])
        if at + count * dtype.itemsize > size:
            raise ValueError(f"{path}: truncated (array {entry['name']})")
        out[entry["name"]] = np.frombuffer(data, dtype, count, at).reshape(shape)
    return out
