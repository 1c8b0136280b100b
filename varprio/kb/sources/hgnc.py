"""HGNC complete set: approved symbols, previous symbols and aliases, and cross-references.

File: ``hgnc_complete_set.txt`` (tab-separated, header row, ``"a|b"`` lists), e.g.::

    hgnc_id  symbol  name  locus_group  ...  alias_symbol  prev_symbol  ...  entrez_id  ...
    HGNC:5   A1BG    alpha-1-B glycoprotein  protein-coding gene  ...  1  ENSG00000121410 ...
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from varprio.errors import InputError

if TYPE_CHECKING:  # pandas is imported by the builders only: prioritize starts faster
    import pandas as pd

COLUMNS = (
    "hgnc_id",
    "symbol",
    "locus_group",
    "alias_symbol",
    "prev_symbol",
    "entrez_id",
    "ensembl_gene_id",
    "omim_id",
)


def _split(values: pd.Series) -> list[list[str]]:
    return [[] if not v else v.strip('"').split("|") for v in values.fillna("")]


def build_hgnc_table(path: Path) -> pa.Table:
    """Read the HGNC complete set into the ``hgnc`` table (one row per approved gene)."""
    import pandas as pd

    try:
        df = pd.read_csv(path, sep="\t", dtype=str, usecols=lambda c: c in COLUMNS)
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not an HGNC complete set TSV ({exc})") from exc
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"{path}: header lacks the HGNC column(s) {', '.join(missing)}")
    df = df.sort_values("hgnc_id", key=lambda s: s.str[5:].astype(int), kind="stable")
    return pa.table(
        {
            "hgnc_id": pa.array(df["hgnc_id"], pa.string()),
            "symbol": pa.array(df["symbol"], pa.string()),
            "locus_group": pa.array(df["locus_group"], pa.string()),
            "entrez_id": pa.array(df["entrez_id"], pa.string()),
            "ensembl_gene_id": pa.array(df["ensembl_gene_id"], pa.string()),
            "omim_id": pa.array(df["omim_id"].fillna("").str.strip('"'), pa.string()),
            "prev_symbol": pa.array(_split(df["prev_symbol"]), pa.list_(pa.string())),
            "alias_symbol": pa.array(_split(df["alias_symbol"]), pa.list_(pa.string())),
        }
    )


def symbol_lookup(hgnc: pa.Table) -> dict[str, str]:
    """Map approved, previous and alias symbols to HGNC IDs (approved symbols win)."""
    ids = hgnc.column("hgnc_id").combine_chunks()
    keys, values = [], []
    for col in ("alias_symbol", "prev_symbol"):  # later entries overwrite earlier ones
        names = hgnc.column(col).combine_chunks()
        keys.append(pc.list_flatten(names))
        values.append(ids.take(pc.list_parent_indices(names)))
    keys.append(hgnc.column("symbol").combine_chunks())
    values.append(ids)
    return dict(zip(pa.concat_arrays(keys).to_pylist(), pa.concat_arrays(values).to_pylist(),
                    strict=True))  # fmt: skip
