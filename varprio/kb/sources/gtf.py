"""Gene models from a GENCODE/Ensembl GTF or GFF3 file: one transcript per gene.

Files: ``*.gtf[.gz]`` or ``*.gff3[.gz]``, nine tab-separated columns, ``#`` comments; the
format is told from the attributes column (GTF ``key "value";``, GFF3 ``key=value``)::

    # GTF (GENCODE): exon, CDS and stop_codon rows carry gene and transcript attributes
    chr21  HAVANA  exon  5011799  5011874  .  +  .  gene_id "ENSG00000279493.1";
        transcript_id "ENST00000624081.1"; gene_name "FP565260.4"; tag "Ensembl_canonical";
    # GFF3 (Ensembl): transcripts have an ID and a Parent gene; exons and CDS a Parent transcript
    21  havana  mRNA  5011799  5017145  .  +  .  ID=transcript:ENST00000624081;
        Parent=gene:ENSG00000279493;biotype=protein_coding;tag=basic

(attribute columns wrapped here).  In GTF the CDS excludes the stop codon (a separate
``stop_codon`` feature); in Ensembl GFF3 the CDS includes it.  The CDS here always spans the CDS
and stop codon features together.  Per gene the transcript kept is the ``MANE_Select``-tagged
one, else ``Ensembl_canonical``, else the one with the longest CDS, else the longest.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from varprio.errors import InputError
from varprio.schemas import EXONS, TRANSCRIPTS

#: Column indices of a GTF/GFF3 line.
SEQID, SOURCE, TYPE, START, END, SCORE, STRAND, PHASE, ATTRIBUTES = range(9)
_TX_FEATURES = ("exon", "CDS", "stop_codon")


def harmonise_contigs(chrom: pd.Series) -> pd.Series:
    """Give contigs the ``chr`` prefix; ``MT``/``M``/``chrMT`` become ``chrM``."""
    out = chrom.where(chrom.str.startswith("chr"), "chr" + chrom)
    return out.replace({"chrMT": "chrM"})


def _read_lines(path: Path) -> pa.Array:
    """All lines of a plain or gzipped text file, as one string array (line i at index i-1)."""
    try:
        with open(path, "rb") as fh:
            gz = fh.read(2) == b"\x1f\x8b"
        stream = pa.input_stream(str(path), compression="gzip" if gz else None)
        table = pacsv.read_csv(
            stream,
            read_options=pacsv.ReadOptions(column_names=["line"], block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                delimiter="\x01", quote_char=False, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(column_types={"line": pa.string()}),
        )
    except (OSError, gzip.BadGzipFile, pa.ArrowInvalid) as exc:
        raise InputError(f"{path}: cannot read as a GTF/GFF3 text file ({exc})") from exc
    return table.column("line").combine_chunks()


def _parse_columns(path: Path) -> tuple[pd.DataFrame, bool]:
    """Split feature lines into a frame (with ``line`` numbers); return it and whether GFF3."""
    lines = _read_lines(path)
    fasta = pc.index(lines, "##FASTA").as_py()
    if fasta >= 0:
        lines = lines.slice(0, fasta)
    keep = pc.invert(pc.or_(pc.starts_with(lines, "#"), pc.equal(lines, "")))
    numbers = np.flatnonzero(keep.to_numpy(zero_copy_only=False)) + 1
    fields = pc.split_pattern(lines.filter(keep), "\t")
    counts = pc.list_value_length(fields).to_numpy()
    bad = np.flatnonzero(counts != 9)
    if bad.size:
        raise InputError(
            f"{path}: line {numbers[bad[0]]}: expected 9 tab-separated fields, "
            f"found {counts[bad[0]]}"
        )
    flat = fields.flatten().to_numpy(zero_copy_only=False).reshape(-1, 9)
    df = pd.DataFrame(
        {
            "chrom": flat[:, SEQID],
            "type": flat[:, TYPE],
            "strand": flat[:, STRAND],
            "attr": flat[:, ATTRIBUTES],
            "line": numbers,
        }
    )
    for name, col in (("start", START), ("end", END)):
        values = pd.to_numeric(pd.Series(flat[:, col]), errors="coerce")
        bad_rows = np.flatnonzero(values.isna().to_numpy() | (values < 1).to_numpy())
        if bad_rows.size:
            i = bad_rows[0]
            raise InputError(
                f"{path}: line {numbers[i]}: field {name} is {flat[i, col]!r}, "
                "expected a positive integer"
            )
        df[name] = values.astype(np.int64)
    gff3 = bool(len(df)) and "=" in df["attr"].iloc[0] and '"' not in df["attr"].iloc[0]
    return df, gff3


def _attr(attrs: pd.Series, key: str, gff3: bool) -> pd.Series:
    """One attribute's value (first occurrence) or NaN."""
    pattern = rf"(?:^|;)\s*{key}=([^;]*)" if gff3 else rf'(?:^|;)\s*{key} "([^"]*)"'
    return attrs.str.extract(pattern, expand=False)


def _has_tag(attrs: pd.Series, tag: str, gff3: bool) -> pd.Series:
    pattern = rf"(?:^|;)tag=(?:[^;]*,)?{tag}(?:,|;|$)" if gff3 else rf'tag "{tag}"'
    return attrs.str.contains(pattern, regex=True)


def _first(*series: pd.Series) -> pd.Series:
    out = series[0]
    for s in series[1:]:
        out = out.fillna(s)
    return out


def _features_gtf(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """GTF: (exon/CDS/stop rows with transcript_id, per-transcript attributes)."""
    rows = df[df["type"].isin(_TX_FEATURES)].copy()
    a = rows["attr"]
    rows["transcript_id"] = _attr(a, "transcript_id", False)
    info = pd.DataFrame(
        {
            "transcript_id": rows["transcript_id"],
            "gene_id": _attr(a, "gene_id", False),
            "gene": _first(_attr(a, "gene_name", False), _attr(a, "gene_id", False)),
            "biotype": _first(
                _attr(a, "transcript_type", False), _attr(a, "transcript_biotype", False)
            ),
            "mane": _has_tag(a, "MANE_Select", False),
            "canonical": _has_tag(a, "Ensembl_canonical", False),
        }
    )
    info = info[rows["type"] == "exon"].drop_duplicates("transcript_id")
    return rows, info


def _strip(ids: pd.Series) -> pd.Series:
    return ids.str.replace(r"^(?:transcript|gene):", "", regex=True)


def _features_gff3(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """GFF3: (exon/CDS/stop rows with transcript_id, per-transcript attributes)."""
    a = df["attr"]
    df = df.assign(ID=_attr(a, "ID", True), parent=_attr(a, "Parent", True).str.split(","))
    rows = df[df["type"].isin(_TX_FEATURES)].explode("parent")
    rows = rows.assign(transcript_id=rows["parent"])
    tx = df[df["ID"].isin(set(rows.loc[rows["type"] == "exon", "parent"]))].copy()
    tx["gene_ref"] = tx["parent"].str[0]
    genes = df[df["ID"].isin(set(tx["gene_ref"].dropna()))]
    ga = genes["attr"]
    genes = pd.DataFrame(
        {
            "gene_ref": genes["ID"],
            "gene_id": _first(_attr(ga, "gene_id", True), _strip(genes["ID"])),
            "gene": _first(_attr(ga, "gene_name", True), _attr(ga, "Name", True)),
        }
    ).drop_duplicates("gene_ref")
    ta = tx["attr"]
    info = (
        pd.DataFrame(
            {
                "transcript_id": tx["ID"],
                "gene_ref": tx["gene_ref"],
                "biotype": _first(_attr(ta, "transcript_type", True), _attr(ta, "biotype", True)),
                "mane": _has_tag(ta, "MANE_Select", True),
                "canonical": _has_tag(ta, "Ensembl_canonical", True),
                "name": _first(_attr(ta, "transcript_id", True), _strip(tx["ID"])),
            }
        )
        .merge(genes, on="gene_ref", how="left")
        .drop_duplicates("transcript_id")
    )
    info["gene"] = _first(info["gene"], info["gene_id"])
    rename = info.set_index("transcript_id")["name"]
    rows["transcript_id"] = rows["transcript_id"].map(rename)
    info["transcript_id"] = info["name"]
    return rows, info.drop(columns=["gene_ref", "name"])


def _choose_transcripts(rows: pd.DataFrame, info: pd.DataFrame) -> pd.DataFrame:
    """Per gene: MANE Select, else Ensembl canonical, else longest CDS, else longest transcript."""
    lengths = rows["end"] - rows["start"] + 1
    cds_len = lengths.where(rows["type"] == "CDS", 0).groupby(rows["transcript_id"]).sum()
    tx_len = lengths.where(rows["type"] == "exon", 0).groupby(rows["transcript_id"]).sum()
    info = info.assign(
        cds_len=info["transcript_id"].map(cds_len).fillna(0),
        tx_len=info["transcript_id"].map(tx_len).fillna(0),
    )
    gene_key = info["gene_id"].fillna(info["gene"])
    info = info.assign(gene_key=gene_key).sort_values(
        ["gene_key", "mane", "canonical", "cds_len", "tx_len", "transcript_id"],
        ascending=[True, False, False, False, False, True],
    )
    return info.drop_duplicates("gene_key")


def read_gene_models(path: Path) -> dict[str, pa.Table]:
    """Read a GTF or GFF3 file into ``{"transcripts": ..., "exons": ...}``, one transcript per gene.

    Raises
    ------
    InputError
        When the file cannot be read or a line is malformed (names the file and line).
    """
    df, gff3 = _parse_columns(Path(path))
    bad = ~df["strand"].isin(["+", "-", "."])
    if bad.any():
        row = df[bad].iloc[0]
        raise InputError(
            f"{path}: line {row['line']}: field strand is {row['strand']!r}, "
            "expected '+', '-' or '.'"
        )
    rows, info = _features_gff3(df) if gff3 else _features_gtf(df)
    if rows["transcript_id"].isna().any():
        line = rows.loc[rows["transcript_id"].isna(), "line"].iloc[0]
        raise InputError(
            f"{path}: line {line}: feature without a transcript (transcript_id/Parent)"
        )
    chosen = _choose_transcripts(rows, info)
    rows = rows[rows["transcript_id"].isin(set(chosen["transcript_id"]))]
    rows = rows.assign(chrom=harmonise_contigs(rows["chrom"]))
    exons = rows[rows["type"] == "exon"][["transcript_id", "chrom", "start", "end", "strand"]]
    coding = rows[rows["type"] != "exon"].groupby("transcript_id")
    spans = exons.groupby("transcript_id").agg(
        chrom=("chrom", "first"),
        start=("start", "min"),
        end=("end", "max"),
        strand=("strand", "first"),
    )
    tx = chosen.merge(spans, left_on="transcript_id", right_index=True)
    tx["cds_start"] = tx["transcript_id"].map(coding["start"].min())
    tx["cds_end"] = tx["transcript_id"].map(coding["end"].max())
    tx["is_mane_select"] = tx["mane"]
    return gene_model_tables(tx, exons)


def _chrom_order(chrom: pd.Series) -> pd.Series:
    """Sort key: chr1..chr22, chrX, chrY, chrM, then other contigs by name."""
    names = [f"chr{i}" for i in range(1, 23)] + ["chrX", "chrY", "chrM"]
    rank = chrom.map({c: f"{i:03d}" for i, c in enumerate(names)})
    return rank.fillna("999" + chrom)


def gene_model_tables(tx: pd.DataFrame, exons: pd.DataFrame) -> dict[str, pa.Table]:
    """Sort, number exons 5'->3' and convert to the TRANSCRIPTS and EXONS tables.

    ``tx`` has the TRANSCRIPTS columns (cds bounds may be NaN); ``exons`` has transcript_id,
    chrom, start, end and strand.
    """
    tx = tx.assign(_k=_chrom_order(tx["chrom"])).sort_values(["_k", "start", "transcript_id"])
    exons = exons.assign(_s=np.where(exons["strand"] == "-", -exons["start"], exons["start"]))
    exons = exons.sort_values(["transcript_id", "_s"], kind="stable")
    exons["exon_number"] = exons.groupby("transcript_id").cumcount() + 1
    order = pd.Series(np.arange(len(tx)), index=tx["transcript_id"].to_numpy())
    exons = exons.assign(_t=exons["transcript_id"].map(order)).dropna(subset=["_t"])
    exons = exons.sort_values(["_t", "exon_number"])
    ex_cols = {
        "transcript_id": exons["transcript_id"],
        "chrom": exons["chrom"],
        "start": exons["start"].astype(np.int32),
        "end": exons["end"].astype(np.int32),
        "exon_number": exons["exon_number"].astype(np.int16),
    }
    tx_cols = {name: tx[name] for name in TRANSCRIPTS.names}
    for name in ("start", "end"):
        tx_cols[name] = tx[name].astype(np.int32)
    for name in ("cds_start", "cds_end"):
        tx_cols[name] = tx[name].astype("Int32")
    tx_table = pa.Table.from_pydict(
        {n: pa.array(v, TRANSCRIPTS.field(n).type, from_pandas=True) for n, v in tx_cols.items()},
        schema=TRANSCRIPTS,
    )
    ex_table = pa.Table.from_pydict(
        {n: pa.array(v.to_numpy(), EXONS.field(n).type) for n, v in ex_cols.items()}, schema=EXONS
    )
    return {"transcripts": tx_table, "exons": ex_table}
