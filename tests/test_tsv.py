"""The TSV formatter's fast paths print exactly what the plain kernels print."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from varprio.provenance import Provenance
from varprio.report.tsv import MISSING, SLICE_ROWS, _as_text, render, round_significant


def _plain(arr: pa.Array) -> list[str]:
    """Each value as printed, the slow way: one kernel chain for every value."""
    if pa.types.is_floating(arr.type):
        values = arr.to_numpy(zero_copy_only=False)
        text = pc.cast(pa.array(round_significant(values), mask=np.isnan(values)), pa.string())
    elif pa.types.is_list(arr.type):
        text = pc.binary_join(pc.cast(arr, pa.list_(pa.string())), ";")
    else:
        text = pc.cast(arr, pa.string())
    text = pc.replace_substring_regex(text, r"[\t\r\n]", " ")
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    return pc.fill_null(text, MISSING).to_pylist()


RNG = np.random.default_rng(7)
N = 5000
COLUMNS = {
    "distinct_floats": pa.array(RNG.random(N)),
    "few_floats": pa.array(RNG.choice([0.1, 0.25, 1 / 3, 0.0, -0.0, np.nan], N)),
    "few_floats_nulls": pa.array(RNG.choice([0.5, 2e-7, 1e6], N), mask=RNG.random(N) < 0.5),
    "float32": pa.array(RNG.choice([0.1, 0.7, 123.456], N).astype(np.float32)),
    "ints": pa.array(RNG.integers(-5, 10**6, N), mask=RNG.random(N) < 0.1),
    "plain_strings": pa.array([f"G{i % 300}" for i in range(N)]),
    "strings_nulls": pa.array([None if i % 3 else f"x{i}" for i in range(N)]),
    "strings_tabs": pa.array(["a\tb", "c\nd", "", None, "e\r"] * (N // 5)),
    "strings_empty": pa.array(["", "ok"] * (N // 2)),
    "lists": pa.array([["a", "b"], [], None, ["c\td"]] * (N // 4), pa.list_(pa.string())),
    "all_null": pa.nulls(N, pa.float64()),
}


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_fast_paths_print_what_the_plain_kernels_print(name: str) -> None:
    arr = COLUMNS[name]
    assert _as_text(arr).to_pylist() == _plain(arr)
    part = arr.slice(1234, 777)  # a slice: offsets into shared buffers
    assert _as_text(part).to_pylist() == _plain(part)


def test_rows_split_across_slices_join_up() -> None:
    """A table longer than one slice prints as the concatenation of its rows."""
    n = SLICE_ROWS + 17
    table = pa.table({"x": pa.array(np.arange(n) / 7), "s": pa.array(["a"] * n)})
    text = render(table, Provenance("cmd", "kb", "model"))
    rows = [line for line in text.splitlines() if not line.startswith("##")]
    assert rows[0] == "x\ts" and len(rows) == n + 1
    assert rows[-1] == f"{round_significant(np.array([(n - 1) / 7]))[0]:g}\ta"
