"""Consequences on handcrafted + and - strand transcripts (drawn below, 1-based inclusive).

chr1  TP (+, gene GP): exons 1001-1100 | 1201-1300 | 1401-1500, CDS 1051-1450
        start codon 1051-1053, stop codon 1448-1450
chr1  GO (-, non-coding): one exon 1280-1290, overlapping TP exon 2
chr1  TM (-, gene GM): exons 20201-20300 (exon 1) | 20001-20100 (exon 2), CDS 20051-20250
        start codon 20248-20250, stop codon 20051-20053
chr2  NC (+, non-coding): exons 101-200 | 301-400
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from varprio.consequence import IMPACT, OUTPUT, SEVERITY, GeneModel, annotate
from varprio.schemas import EXONS, TRANSCRIPTS

TX = [  # chrom, start, end, strand, gene, gene_id, transcript_id, biotype, mane, cds_start, cds_end
    ("chr1", 1001, 1500, "+", "GP", "ENSGP", "TP", "protein_coding", True, 1051, 1450),
    ("chr1", 1280, 1290, "-", "GO", None, "gene:GO", "lncRNA", False, None, None),
    ("chr1", 20001, 20300, "-", "GM", "ENSGM", "TM", "protein_coding", True, 20051, 20250),
    ("chr2", 101, 400, "+", "NC", "ENSGN", "NC", "lncRNA", False, None, None),
]
EX = [
    ("TP", "chr1", 1001, 1100, 1),
    ("TP", "chr1", 1201, 1300, 2),
    ("TP", "chr1", 1401, 1500, 3),
    ("gene:GO", "chr1", 1280, 1290, 1),
    ("TM", "chr1", 20201, 20300, 1),
    ("TM", "chr1", 20001, 20100, 2),
    ("NC", "chr2", 101, 200, 1),
    ("NC", "chr2", 301, 400, 2),
]


@pytest.fixture(scope="module")
def model() -> GeneModel:
    tx = pa.Table.from_pylist(
        [dict(zip(TRANSCRIPTS.names, r, strict=True)) for r in TX], schema=TRANSCRIPTS
    )
    ex = pa.Table.from_pylist([dict(zip(EXONS.names, r, strict=True)) for r in EX], schema=EXONS)
    return GeneModel.from_tables(tx, ex)


def run(model: GeneModel, variants: list[tuple]) -> list[dict]:
    chrom, pos, ref, alt = zip(*variants, strict=True)
    table = annotate(model, pa.array(chrom), np.array(pos), pa.array(ref), pa.array(alt))
    assert table.schema == OUTPUT
    return table.to_pylist()


def only(model: GeneModel, chrom: str, pos: int, ref: str, alt: str, gene: str) -> dict:
    rows = [r for r in run(model, [(chrom, pos, ref, alt)]) if r["gene"] == gene]
    assert len(rows) == 1
    return rows[0]


SNVS = [  # pos, expected consequence on TP (+)
    (1000, "upstream_gene_variant"),
    (1001, "5_prime_UTR_variant"),
    (1050, "5_prime_UTR_variant"),
    (1051, "start_lost"),
    (1053, "start_lost"),
    (1054, "coding_sequence_variant"),
    (1097, "coding_sequence_variant"),
    (1098, "splice_region_variant"),
    (1100, "splice_region_variant"),
    (1101, "splice_donor_variant"),
    (1102, "splice_donor_variant"),
    (1103, "splice_region_variant"),
    (1108, "splice_region_variant"),
    (1109, "intron_variant"),
    (1192, "intron_variant"),
    (1193, "splice_region_variant"),
    (1198, "splice_region_variant"),
    (1199, "splice_acceptor_variant"),
    (1200, "splice_acceptor_variant"),
    (1201, "splice_region_variant"),
    (1203, "splice_region_variant"),
    (1204, "coding_sequence_variant"),
    (1447, "coding_sequence_variant"),
    (1448, "stop_lost"),
    (1450, "stop_lost"),
    (1451, "3_prime_UTR_variant"),
    (1500, "3_prime_UTR_variant"),
    (1501, "downstream_gene_variant"),
    (6500, "downstream_gene_variant"),
]


@pytest.mark.parametrize(("pos", "expected"), SNVS)
def test_plus_strand_snv(model: GeneModel, pos: int, expected: str) -> None:
    assert only(model, "chr1", pos, "A", "G", "GP")["consequence"] == expected


MINUS = [  # pos, expected consequence on TM (-): upstream is to the right
    (20301, "upstream_gene_variant"),
    (25300, "upstream_gene_variant"),
    (20300, "5_prime_UTR_variant"),
    (20251, "5_prime_UTR_variant"),
    (20250, "start_lost"),
    (20248, "start_lost"),
    (20247, "coding_sequence_variant"),
    (20201, "splice_region_variant"),
    (20200, "splice_donor_variant"),
    (20199, "splice_donor_variant"),
    (20198, "splice_region_variant"),
    (20102, "splice_acceptor_variant"),
    (20101, "splice_acceptor_variant"),
    (20103, "splice_region_variant"),
    (20150, "intron_variant"),
    (20100, "splice_region_variant"),
    (20053, "stop_lost"),
    (20051, "stop_lost"),
    (20050, "3_prime_UTR_variant"),
    (20001, "3_prime_UTR_variant"),
    (20000, "downstream_gene_variant"),
    (15001, "downstream_gene_variant"),
]


@pytest.mark.parametrize(("pos", "expected"), MINUS)
def test_minus_strand_snv(model: GeneModel, pos: int, expected: str) -> None:
    assert only(model, "chr1", pos, "C", "T", "GM")["consequence"] == expected


INDELS = [  # pos, ref, alt, expected on TP
    (1060, "A", "AT", "frameshift_variant"),
    (1060, "A", "ATTT", "inframe_insertion"),
    (1060, "AT", "A", "frameshift_variant"),
    (1060, "ATTT", "A", "inframe_deletion"),
    (1060, "ATTTC", "AG", "inframe_deletion"),
    (1060, "AC", "GT", "coding_sequence_variant"),
    (1100, "G", "GA", "splice_region_variant"),  # insertion exon|intron: donor GT intact
    (1101, "G", "GA", "splice_donor_variant"),  # between intron bases 1 and 2
    (1102, "T", "TA", "splice_region_variant"),  # between intron bases 2 and 3
    (1050, "C", "CA", "5_prime_UTR_variant"),  # before the ATG
    (1051, "A", "ACCC", "start_lost"),  # in-frame, inside the ATG
    (1051, "A", "AC", "frameshift_variant"),  # frameshift outranks start_lost (VEP order)
    (1053, "G", "GC", "frameshift_variant"),  # right after the ATG
    (1200, "G", "GA", "splice_region_variant"),  # intron|exon junction
    (1450, "A", "AC", "3_prime_UTR_variant"),  # right after the stop codon
    (1098, "CAGGTA", "C", "splice_donor_variant"),  # deletion exon end into intron
    (1447, "ATAG", "A", "stop_lost"),  # in-frame deletion of the stop codon
    (1000, "A", "AT", "upstream_gene_variant"),  # insertion just before the transcript
    (1500, "A", "AT", "downstream_gene_variant"),
    (1109, "A", "AT", "intron_variant"),
]


@pytest.mark.parametrize(("pos", "ref", "alt", "expected"), INDELS)
def test_indels(model: GeneModel, pos: int, ref: str, alt: str, expected: str) -> None:
    assert only(model, "chr1", pos, ref, alt, "GP")["consequence"] == expected


def test_deletion_over_whole_transcript_takes_most_severe(model: GeneModel) -> None:
    row = only(model, "chr1", 990, "A" * 520, "A", "GP")
    assert row["consequence"] == "splice_acceptor_variant"
    assert row["exon"] == "1-3/3"
    assert row["impact"] == "HIGH"


def test_exon_numbers_and_ids(model: GeneModel) -> None:
    assert only(model, "chr1", 1054, "A", "G", "GP")["exon"] == "1/3"
    assert only(model, "chr1", 1450, "A", "G", "GP")["exon"] == "3/3"
    assert only(model, "chr1", 1150, "A", "G", "GP")["exon"] is None
    row = only(model, "chr1", 20060, "A", "G", "GM")
    assert (row["exon"], row["transcript_id"], row["gene_id"]) == ("2/2", "TM", "ENSGM")


def test_non_coding(model: GeneModel) -> None:
    row = only(model, "chr2", 150, "A", "G", "NC")
    assert (row["consequence"], row["exon"]) == ("non_coding_transcript_exon_variant", "1/2")
    assert only(model, "chr2", 201, "A", "G", "NC")["consequence"] == "splice_donor_variant"
    assert only(model, "chr2", 100, "A", "G", "NC")["consequence"] == "upstream_gene_variant"


def test_multi_gene_and_intergenic(model: GeneModel) -> None:
    rows = run(
        model,
        [
            ("chr1", 1285, "A", "G"),
            ("chr1", 10000, "A", "G"),
            ("chr3", 5, "A", "G"),
            ("chrUn", 5, "A", "G"),
        ],
    )
    got = [(r["variant_index"], r["gene"], r["consequence"]) for r in rows]
    assert got == [
        (0, "GO", "non_coding_transcript_exon_variant"),
        (0, "GP", "coding_sequence_variant"),
        (1, None, "intergenic_variant"),
        (2, None, "intergenic_variant"),
        (3, None, "intergenic_variant"),
    ]
    assert rows[1]["impact"] == "MODIFIER"


def test_first_and_last_exon_ends_are_not_splice_sites(model: GeneModel) -> None:
    assert only(model, "chr1", 1002, "A", "G", "GP")["consequence"] == "5_prime_UTR_variant"
    assert only(model, "chr1", 1499, "A", "G", "GP")["consequence"] == "3_prime_UTR_variant"


def test_severity_and_impact_tables() -> None:
    assert SEVERITY.index("splice_acceptor_variant") < SEVERITY.index("frameshift_variant")
    assert SEVERITY.index("intron_variant") < SEVERITY.index("intergenic_variant")
    assert set(IMPACT) == set(SEVERITY)
    assert IMPACT["stop_lost"] == "HIGH" and IMPACT["inframe_deletion"] == "MODERATE"
    assert IMPACT["splice_region_variant"] == "LOW" and IMPACT["intron_variant"] == "MODIFIER"


def test_empty_input(model: GeneModel) -> None:
    table = annotate(
        model,
        pa.array([], pa.string()),
        np.array([], np.int64),
        pa.array([], pa.string()),
        pa.array([], pa.string()),
    )
    assert table.num_rows == 0 and table.schema == OUTPUT
