"""TSV tables with the provenance header: ``##`` lines, then a header row, then rows."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

import numpy as np
import pyarrow as pa

from varprio.provenance import Provenance
from varprio.report.atomic import atomic_text

MISSING = "."


def _format_column(col: pa.ChunkedArray) -> list[str]:
    """Text of one column: floats with 6 significant digits, lists ``;``-joined, nulls '.'."""
    t = col.type
    values = col.to_pylist()
    if pa.types.is_floating(t):
        return [MISSING if v is None or np.isnan(v) else f"{v:.6g}" for v in values]
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return [MISSING if not v else ";".join(str(x) for x in v) for v in values]
    if pa.types.is_boolean(t):
        return [MISSING if v is None else ("yes" if v else "no") for v in values]
    return [MISSING if v is None or v == "" else _clean(str(v)) for v in values]


def _clean(text: str) -> str:
    # A tab or newline inside a value would shift every later column of a TSV.
    return text.replace("\t", " ").replace("\n", " ").replace("\r", " ")


def render(table: pa.Table, provenance: Provenance) -> str:
    """The whole TSV document as text."""
    lines = provenance.header_lines()
    lines.append("\t".join(table.column_names))
    columns = [_format_column(table.column(i)) for i in range(table.num_columns)]
    lines.extend("\t".join(row) for row in zip(*columns, strict=False))
    return "\n".join(lines) + "\n"


def write_tsv(table: pa.Table, dest: Path | str, provenance: Provenance) -> None:
    """Write ``table`` to ``dest`` ('-' for stdout) atomically."""
    text = render(table, provenance)
    if str(dest) == "-":
        out: IO[str] = sys.stdout
        out.write(text)
        out.flush()
        return
    with atomic_text(Path(dest)) as fh:
        fh.write(text)
