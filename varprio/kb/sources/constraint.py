"""Gene constraint (gnomAD v4.1 / v2.1.1 metrics, ExAC pLI) -> the ``constraint/genes`` table.

Files (tab-separated, header row, ``NA`` for missing; format told by the header):

- gnomAD v4.1 ``gnomad.v4.1.constraint_metrics.tsv``: one row per transcript (Ensembl and
  RefSeq); the gene's row is its Ensembl MANE Select transcript, else Ensembl canonical, else
  RefSeq MANE/canonical::

      gene  gene_id          transcript       canonical  mane_select  ...  lof.pLI  ...
      AAGAB ENSG00000103591  ENST00000261880  true       true         ...  1.5706e-08 ...

- gnomAD v2.1.1 ``gnomad.v2.1.1.lof_metrics.by_gene.txt``: ``gene transcript ... pLI
  oe_lof_upper mis_z ... gene_id``, one row per gene.
- ExAC r0.3 pLI as in Ensembl VEP_plugins ``ExACpLI_values.txt``: ``gene  pLI``.

Genes are keyed by HGNC ID: Ensembl gene ID first, else approved, previous or alias symbol.
Columns: ``constraint_loeuf`` (LoF o/e upper 90% CI), ``constraint_pli``,
``constraint_mis_z``, ``constraint_lof_oe``, ``constraint_syn_z``, ``constraint_exac_pli``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from varprio.errors import InputError
from varprio.kb.sources.hgnc import symbol_lookup
from varprio.kb.sources.site_table import described

if TYPE_CHECKING:  # pandas is imported by the builders only: prioritize starts faster
    import pandas as pd

log = logging.getLogger(__name__)

TABLE = "constraint/genes"
#: Format -> (header column that identifies it, {file column: table column}).
FORMATS: dict[str, tuple[str, dict[str, str]]] = {
    "gnomad_v4": (
        "lof.oe_ci.upper",
        {
            "lof.oe_ci.upper": "constraint_loeuf",
            "lof.pLI": "constraint_pli",
            "mis.z_score": "constraint_mis_z",
            "lof.oe": "constraint_lof_oe",
            "syn.z_score": "constraint_syn_z",
        },
    ),
    "gnomad_v2": (
        "oe_lof_upper",
        {
            "oe_lof_upper": "constraint_loeuf",
            "pLI": "constraint_pli",
            "mis_z": "constraint_mis_z",
            "oe_lof": "constraint_lof_oe",
            "syn_z": "constraint_syn_z",
        },
    ),
    "exac": ("pLI", {"pLI": "constraint_exac_pli"}),
}
COLUMNS = (
    "constraint_loeuf", "constraint_pli", "constraint_mis_z", "constraint_lof_oe",
    "constraint_syn_z", "constraint_exac_pli",
)  # fmt: skip
DESCRIPTIONS = {
    "constraint_loeuf": "gnomAD LOEUF: upper bound of the LoF observed/expected 90% CI",
    "constraint_pli": "gnomAD probability of LoF intolerance (pLI)",
    "constraint_mis_z": "gnomAD missense Z score",
    "constraint_lof_oe": "gnomAD LoF observed/expected",
    "constraint_syn_z": "gnomAD synonymous Z score",
    "constraint_exac_pli": "ExAC r0.3 pLI",
}
SCHEMA = pa.schema(
    [pa.field("hgnc_id", pa.string()), pa.field("constraint_gene", pa.string())]
    + described([pa.field(c, pa.float32()) for c in COLUMNS], DESCRIPTIONS)
)


def detect(path: Path, header: list[str]) -> str:
    """Name the format from a header row."""
    for name, (marker, _) in FORMATS.items():
        if marker in header and "gene" in header:
            return name
    raise InputError(
        f"{path}: not a constraint table: the header has none of "
        f"{', '.join(m for m, _ in FORMATS.values())} beside 'gene'"
    )


def _rank(df: pd.DataFrame) -> pd.Series:
    """Preference of each transcript row (lower is better)."""
    import pandas as pd

    ens = df.get("gene_id", pd.Series("", index=df.index)).fillna("").str.startswith("ENSG")
    mane = df.get("mane_select", pd.Series("", index=df.index)).fillna("").eq("true")
    canon = df.get("canonical", pd.Series("", index=df.index)).fillna("").eq("true")
    return (~ens) * 4 + (~mane) * 2 + (~canon) * 1


def read_constraint(path: Path, hgnc: pa.Table) -> tuple[str, pd.DataFrame]:
    """One row per HGNC gene: (format, frame with hgnc_id, constraint_gene and its columns)."""
    import pandas as pd

    try:
        df = pd.read_csv(path, sep="\t", dtype=str, na_values=["NA", "nan", ""])
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: unreadable constraint table ({exc})") from exc
    fmt = detect(path, list(df.columns))
    mapping = FORMATS[fmt][1]
    missing = [c for c in mapping if c not in df.columns]
    if missing:
        raise InputError(f"{path}: {fmt} constraint header lacks {', '.join(missing)}")
    df = df.assign(_rank=_rank(df)).sort_values(
        ["gene", "_rank", *(["transcript"] if "transcript" in df else [])], kind="stable"
    )
    df = df.drop_duplicates("gene", keep="first")
    out = pd.DataFrame({"constraint_gene": df["gene"], "hgnc_id": _hgnc_ids(df, hgnc)})
    for src, dst in mapping.items():
        out[dst] = pd.to_numeric(df[src], errors="coerce").astype("float32")
    unmapped = int(out["hgnc_id"].isna().sum())
    if unmapped:
        log.info("%s: %d of %d genes have no HGNC ID; dropped", path, unmapped, len(out))
    out = out.dropna(subset=["hgnc_id"]).drop_duplicates("hgnc_id", keep="first")
    return fmt, out


def _hgnc_ids(df: pd.DataFrame, hgnc: pa.Table) -> pd.Series:
    import pandas as pd

    pairs = zip(hgnc["ensembl_gene_id"].to_pylist(), hgnc["hgnc_id"].to_pylist(), strict=True)
    by_ensembl = {ens: hid for ens, hid in pairs if ens}
    by_symbol = symbol_lookup(hgnc)
    ensembl = df.get("gene_id", pd.Series(None, index=df.index)).map(by_ensembl)
    return ensembl.fillna(df["gene"].map(by_symbol))


def build_constraint_table(paths: list[Path], hgnc: pa.Table) -> tuple[pa.Table, list[str]]:
    """Merge every file into one gene table; return it and each file's format."""
    import pandas as pd

    merged: pd.DataFrame | None = None
    formats = []
    for path in paths:
        fmt, df = read_constraint(path, hgnc)
        if merged is not None and set(df.columns[2:]) & set(merged.columns[2:]):
            raise InputError(f"{path}: a second {fmt} constraint file; give one per kind")
        formats.append(fmt)
        if merged is None:
            merged = df
        else:
            merged = merged.merge(df, on="hgnc_id", how="outer", suffixes=("", "_other"))
            merged["constraint_gene"] = merged["constraint_gene"].fillna(
                merged.pop("constraint_gene_other")
            )
    assert merged is not None
    for col in COLUMNS:
        if col not in merged:
            merged[col] = pd.Series(float("nan"), index=merged.index, dtype="float32")
    merged = merged.sort_values("hgnc_id", key=lambda s: s.str[5:].astype(int), kind="stable")
    return pa.Table.from_pandas(merged[SCHEMA.names], schema=SCHEMA, preserve_index=False), formats
