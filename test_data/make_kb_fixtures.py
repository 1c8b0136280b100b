"""Write the tiny end-to-end knowledge-base inputs and case under ``test_data/kb/``.

Run ``python test_data/make_kb_fixtures.py``. Together with the tiny HPO release in
``test_data/hpo/`` (see ``make_hpo_fixtures.py``) these build a whole knowledge base in well
under a second, offline, for CLI tests::

    genes.gtf         GENCODE-style GTF: four genes of the tiny HPO release (1-based)
        GENEA chr1 +  exons 1001-1100, 2001-2100, 3001-3100; CDS 1051-3048 + stop 3049-3051
        GENEB chr2 -  exons 5001-5100, 6001-6100;            CDS 5034-6070 + stop 5031-5033
        GENEC chr3 +  exon  1001-1200;                       CDS 1050-1145 + stop 1146-1148
        GENED chrX +  exon  10001-10300;                     CDS 10010-10294 + stop 10295-10297
    hgnc.txt          HGNC complete-set columns for the four genes (entrez 1001-1004)
    peddy/            1000 Genomes-like genotypes (10 people) at two sites, peddy's layout
    case.vcf          the tiny patient: a GENEC frameshift (causal), a common GENEA variant,
                      a rare GENEB heterozygote, an intronic and an intergenic variant
    case.hpo.txt      Generalized myoclonic seizure, Intellectual disability, mild
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

OUT = Path(__file__).parent / "kb"

GENES = [  # name, chrom, strand, exons, cds (without stop), stop codon, hgnc, entrez
    (
        "GENEA",
        "chr1",
        "+",
        [(1001, 1100), (2001, 2100), (3001, 3100)],
        (1051, 3048),
        (3049, 3051),
        "HGNC:90001",
        "1001",
    ),
    (
        "GENEB",
        "chr2",
        "-",
        [(5001, 5100), (6001, 6100)],
        (5034, 6070),
        (5031, 5033),
        "HGNC:90002",
        "1002",
    ),
    ("GENEC", "chr3", "+", [(1001, 1200)], (1050, 1145), (1146, 1148), "HGNC:90003", "1003"),
    ("GENED", "chrX", "+", [(10001, 10300)], (10010, 10294), (10295, 10297), "HGNC:90004", "1004"),
]


def _gtf_line(chrom: str, kind: str, start: int, end: int, strand: str, name: str) -> str:
    attrs = (
        f'gene_id "ENSG_{name}"; transcript_id "ENST_{name}"; gene_type "protein_coding"; '
        f'gene_name "{name}"; transcript_type "protein_coding"; tag "MANE_Select";'
    )
    return "\t".join([chrom, "HAVANA", kind, str(start), str(end), ".", strand, ".", attrs])


def _cds_pieces(exons: list[tuple[int, int]], cds: tuple[int, int]) -> list[tuple[int, int]]:
    return [(max(s, cds[0]), min(e, cds[1])) for s, e in exons if e >= cds[0] and s <= cds[1]]


def write_gtf() -> None:
    lines = ["##description: tiny GENCODE-style GTF for varprio end-to-end tests"]
    for name, chrom, strand, exons, cds, stop, _, _ in GENES:
        span = (exons[0][0], exons[-1][1])
        lines.append(_gtf_line(chrom, "gene", *span, strand, name))
        lines.append(_gtf_line(chrom, "transcript", *span, strand, name))
        lines += [_gtf_line(chrom, "exon", s, e, strand, name) for s, e in exons]
        lines += [_gtf_line(chrom, "CDS", s, e, strand, name) for s, e in _cds_pieces(exons, cds)]
        lines.append(_gtf_line(chrom, "stop_codon", *stop, strand, name))
    (OUT / "genes.gtf").write_text("\n".join(lines) + "\n")


def write_hgnc() -> None:
    cols = [
        "hgnc_id",
        "symbol",
        "name",
        "locus_group",
        "alias_symbol",
        "prev_symbol",
        "entrez_id",
        "ensembl_gene_id",
        "omim_id",
    ]
    rows = ["\t".join(cols)]
    for name, *_, hgnc, entrez in GENES:
        rows.append(
            "\t".join(
                [
                    hgnc,
                    name,
                    f"test gene {name}",
                    "protein-coding gene",
                    f"{name}_ALIAS",
                    "",
                    entrez,
                    f"ENSG_{name}",
                    "",
                ]
            )
        )
    (OUT / "hgnc.txt").write_text("\n".join(rows) + "\n")


def write_peddy() -> None:
    """Two sites x 10 people; superpopulations 0-4 twice over (AFR..SAS)."""
    peddy = OUT / "peddy"
    peddy.mkdir(parents=True, exist_ok=True)
    (peddy / "GRCH38.sites").write_text("1:2050:C:T\n2:6050:G:A\n")
    geno = np.array(
        [
            [1, 2, 1, 0, 1, 1, 0, 2, 1, 1],  # common GENEA variant, AF 0.5
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        ],
        dtype=np.uint8,
    )  # AF 0.05
    with gzip.GzipFile(peddy / "GRCH38.sites.bin.gz", "wb", mtime=0) as fh:
        fh.write(geno.tobytes())
    (peddy / "pca.py").write_text('_str = "0|1|2|3|4|0|1|2|3|4"\n')


CASE = [  # chrom, pos, ref, alt, GT:AD:DP:GQ
    ("chr1", 2050, "C", "T", "0/1:12,11:23:70"),  # GENEA coding, common in 1000 Genomes
    ("chr1", 2500, "A", "G", "0/1:10,9:19:60"),  # GENEA intron
    ("chr2", 6020, "T", "C", "0/1:15,14:29:80"),  # GENEB coding, rare, het in an AR gene
    ("chr3", 1100, "AG", "A", "0/1:16,15:31:90"),  # GENEC frameshift: the causal variant
    ("chr5", 100, "G", "T", "1/1:0,20:20:60"),  # intergenic
]


def write_case() -> None:
    header = [
        "##fileformat=VCFv4.2",
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">',
        '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tTINY1",
    ]
    body = [f"{c}\t{p}\t.\t{r}\t{a}\t50\tPASS\t.\tGT:AD:DP:GQ\t{s}" for c, p, r, a, s in CASE]
    (OUT / "case.vcf").write_text("\n".join(header + body) + "\n")
    (OUT / "case.hpo.txt").write_text(
        "# tiny patient\nHP:0002123\tGeneralized myoclonic seizure\n"
        "HP:0001256\tIntellectual disability, mild\n"
    )


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    write_gtf()
    write_hgnc()
    write_peddy()
    write_case()
