"""TSV tables with the provenance header: ``##`` lines, then a header row, then rows.

Formatting is vectorised with Arrow: floats rounded to 6 significant digits and printed in
their shortest form, lists ``;``-joined, booleans ``yes``/``no``, missing values ``.``.
"""

from __future__ import annotations

import functools
import io
import sys
from pathlib import Path
from typing import BinaryIO, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from varprio.parallel import THREADS, ordered_map
from varprio.provenance import Provenance
from varprio.report.atomic import atomic_text

MISSING = "."
SIGNIFICANT = 6


def round_significant(values: np.ndarray, digits: int = SIGNIFICANT) -> np.ndarray:
    """Round to ``digits`` significant digits (NaN and 0 kept)."""
    x = values.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.floor(np.log10(np.abs(x)))
        scale = np.where(np.isfinite(mag), 10.0 ** (digits - 1 - mag), 1.0)
        out = np.round(x * scale) / scale
    return np.where(np.isfinite(out), out, x)


def _clean(text: pa.Array) -> pa.Array:
    """Strings ready to print: tabs and newlines blanked, empty and missing values ``.``."""
    if _printable(text):
        return pc.fill_null(text, MISSING)
    # A tab or newline inside a value would shift every later column.
    text = pc.replace_substring_regex(text, r"[\t\r\n]", " ")
    return pc.fill_null(pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text), MISSING)


def _printable(text: pa.Array) -> bool:
    """Whether no value of a string array is empty or holds a tab or newline (then only its
    missing values need replacing): a scan of its buffers, far cheaper than the kernels."""
    if len(text) == 0:
        return True
    _, offsets_buf, data_buf = text.buffers()
    offsets = np.frombuffer(offsets_buf, np.int32)[text.offset : text.offset + len(text) + 1]
    empty = np.diff(offsets) == 0
    if empty.any() and (empty & pc.is_valid(text).to_numpy(zero_copy_only=False)).any():
        return False
    if data_buf is None:
        return True
    data = np.frombuffer(data_buf, np.uint8)[offsets[0] : offsets[-1]]
    return not ((data == 9) | (data == 10) | (data == 13)).any()


def _float_text(arr: pa.Array) -> pa.Array:
    """Floats rounded to :data:`SIGNIFICANT` digits in their shortest form, missing ``.``;
    a column of few distinct values (priors, frequencies) formats each of them once."""
    codes = pc.dictionary_encode(arr)
    if len(codes.dictionary) * 4 < len(arr):
        return pc.fill_null(_float_text(codes.dictionary).take(codes.indices), MISSING)
    values = arr.to_numpy(zero_copy_only=False)
    missing = np.isnan(values)
    text = pc.cast(pa.array(round_significant(values), mask=missing), pa.string())
    return pc.fill_null(text, MISSING)


def _as_text(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    """One column as strings, every value ready to print."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    t = arr.type
    if arr.null_count == len(arr):
        return _missing(len(arr))
    # Numbers and booleans print without tabs, newlines or empty strings: no cleaning needed.
    if pa.types.is_floating(t):
        return _float_text(arr)
    if pa.types.is_integer(t):
        text = pc.cast(arr, pa.string())
    elif pa.types.is_boolean(t):
        text = pc.if_else(arr, "yes", "no")
    elif pa.types.is_list(t) or pa.types.is_large_list(t):
        return _clean(pc.binary_join(pc.cast(arr, pa.list_(pa.string())), ";"))
    else:
        text = pc.cast(arr, pa.string())
        if _printable(text):
            return pc.fill_null(text, MISSING)
        # few distinct values in most string columns: clean each distinct value once
        codes = pc.dictionary_encode(text)
        return pc.fill_null(_clean(codes.dictionary).take(codes.indices), MISSING)
    return pc.fill_null(text, MISSING)


@functools.lru_cache(maxsize=4)  # (thread-safe: slices are formatted on several threads)
def _missing(n: int) -> pa.Array:
    """``n`` missing values as text (one shared array per length: most optional columns are
    empty in a knowledge base without gnomAD, ClinVar or scores)."""
    return pc.fill_null(pa.nulls(n, pa.string()), MISSING)


#: Rows formatted and written at a time: bounds the memory of a genome's variant table.
SLICE_ROWS = 50_000
_OPTIONS = pacsv.WriteOptions(include_header=False, delimiter="\t", quoting_style="none")


def _slice_text(part: pa.Table) -> pa.Buffer:
    """The TSV rows of one slice of the table (written as it is: no copy to bytes)."""
    text = pa.table([_as_text(part.column(i)) for i in range(part.num_columns)],
                    names=part.column_names)  # fmt: skip
    sink = pa.BufferOutputStream()
    pacsv.write_csv(text, sink, write_options=_OPTIONS)  # C++ writer: no per-row Python
    return sink.getvalue()


def stream_tsv(table: pa.Table, provenance: Provenance, out: BinaryIO) -> None:
    """Write the whole TSV document to the binary stream ``out``, a slice of rows at a time."""
    lines = [*provenance.header_lines(), "\t".join(table.column_names)]
    out.write(("\n".join(lines) + "\n").encode())
    slices = (table.slice(start, SLICE_ROWS) for start in range(0, table.num_rows, SLICE_ROWS))
    if table.num_rows <= SLICE_ROWS or THREADS == 1:
        for part in slices:
            out.write(_slice_text(part))
        return
    for text in ordered_map(_slice_text, slices, ahead=2 * THREADS):  # 2 slices a thread
        out.write(text)


def render(table: pa.Table, provenance: Provenance) -> str:
    """The whole TSV document as text."""
    buf = io.BytesIO()
    stream_tsv(table, provenance, buf)
    return buf.getvalue().decode()


def write_tsv(table: pa.Table, dest: Path | str, provenance: Provenance) -> None:
    """Write ``table`` to ``dest`` ('-' for stdout) atomically."""
    if str(dest) == "-":
        stream_tsv(table, provenance, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    with atomic_text(Path(dest)) as fh:
        stream_tsv(table, provenance, cast(BinaryIO, cast(io.TextIOWrapper, fh).buffer))
