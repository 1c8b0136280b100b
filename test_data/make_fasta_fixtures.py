"""Write the reference-FASTA fixtures under ``test_data/fasta/`` (run from the repo root).

``tiny_grch38.fa.gz`` (+ ``.fai``, ``.gzi``): bgzipped FASTA with one contig, ``chr21`` of
GRCh38's length (46,709,983 bp), all ``N`` except seeded random bases at 4,901-7,700 where two
coding transcripts are written; ``genes.gtf``: their GENCODE-style models; ``case.vcf``: a
patient carrying a few of the variants of ``tests/test_coding.py``; ``wrong_length.fa``
(+ ``.fai``): a plain FASTA whose ``chr21`` is 1,000 bp (not GRCh38: must be refused).

Transcripts (1-based, inclusive; CDS drawn codon by codon in ``CDS_P``/``CDS_M``)::

    ENSTP01.1 GENEP chr21 +  exons 5001-5100 | 5201-5300 | 5401-5500
              CDS 5051-5430 (c.1-c.50 | c.51-c.150 | c.151-c.180, stop TAA at 5428-5430)
              3' UTR starts GGA TGA (an in-frame stop 2 codons after the annotated one)
    ENSTM01.1 GENEM chr21 -  exons 7401-7500 (exon 1) | 7101-7300 (exon 2)
              CDS 7470-7401 (c.1-c.70) | 7300-7191 (c.71-c.180, stop TAG at 7193-7191)
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pysam

OUT = Path(__file__).parent / "fasta"
LENGTH = 46_709_983  # GRCh38 chr21
_FILL = ("GCT", "CCA", "TCC", "GTC", "ACC", "CAG")
#: GENEP: Met Arg Gly Arg Lys Lys Phe Trp Glu Glu Leu, 48 filler codons, Ter (60 codons).
CDS_P = (
    "ATG CGA GGC CGT AAA AAG TTC TGG GAA GAA CTG".replace(" ", "")
    + "".join(_FILL[i % 6] for i in range(48))
    + "TAA"
)
#: GENEM: Met Ala Trp Gln Leu Leu Asp, 52 filler codons, Ter (60 codons).
CDS_M = (
    "ATG GCT TGG CAG CTT TTG GAC".replace(" ", "")
    + "".join(_FILL[(i + 3) % 6] for i in range(52))
    + "TAG"
)
_COMP = str.maketrans("ACGT", "TGCA")


def _genome() -> dict[int, str]:
    """Bases of 4,901-7,700 (1-based position -> base), genes written over random ones."""
    rng = random.Random(21)
    seq = {p: rng.choice("ACGT") for p in range(4901, 7701)}
    plus = {5051 + i: b for i, b in enumerate(CDS_P[:50])}
    plus |= {5201 + i: b for i, b in enumerate(CDS_P[50:150])}
    plus |= {5401 + i: b for i, b in enumerate(CDS_P[150:] + "GGATGA")}
    plus |= {5101: "G", 5102: "T", 5199: "A", 5200: "G"}  # donor GT, acceptor AG
    minus = {7470 - i: b for i, b in enumerate(CDS_M[:70])}
    minus |= {7300 - i: b for i, b in enumerate(CDS_M[70:] + "CCC")}
    minus |= {7400: "G", 7399: "T", 7302: "A", 7301: "G"}  # transcript GT ... AG
    seq |= plus
    seq |= {p: b.translate(_COMP) for p, b in minus.items()}
    return seq


def write_fasta(path: Path) -> None:
    """``chr21``: N, with :func:`_genome`'s bases, bgzipped and indexed (.fai, .gzi)."""
    bases = _genome()
    lo, hi = min(bases), max(bases)
    middle = "".join(bases[p] for p in range(lo, hi + 1))
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "chr21.fa"
        with open(plain, "w") as fh:
            fh.write(">chr21 AS:GRCh38 (varprio test fixture: N outside 4901-7700)\n")
            body = "N" * (lo - 1) + middle + "N" * (LENGTH - hi)
            for i in range(0, len(body), 60):
                fh.write(body[i : i + 60] + "\n")
        pysam.tabix_compress(str(plain), str(path), force=True)
    pysam.faidx(str(path))


def gtf_lines() -> list[str]:
    """GENCODE-style exon, CDS and stop_codon rows of the two transcripts."""
    models = [
        ("GENEP", "ENSGP01.1", "ENSTP01.1", "+",
         [(5001, 5100), (5201, 5300), (5401, 5500)], [(5051, 5100), (5201, 5300), (5401, 5427)],
         (5428, 5430)),
        ("GENEM", "ENSGM01.1", "ENSTM01.1", "-",
         [(7401, 7500), (7101, 7300)], [(7401, 7470), (7194, 7300)], (7191, 7193)),
    ]  # fmt: skip
    lines = ["##description: varprio FASTA fixture gene models (see make_fasta_fixtures.py)"]
    for gene, gid, tid, strand, exons, cds, stop in models:
        attrs = (
            f'gene_id "{gid}"; transcript_id "{tid}"; gene_type "protein_coding"; '
            f'gene_name "{gene}"; transcript_type "protein_coding"; tag "MANE_Select";'
        )
        feats = [("exon", *x) for x in exons] + [("CDS", *x) for x in cds] + [("stop_codon", *stop)]
        for kind, s, e in feats:
            lines.append(f"chr21\tHAVANA\t{kind}\t{s}\t{e}\t.\t{strand}\t.\t{attrs}")
    return lines


#: The patient: GENEP c.4C>T (stop gained), GENEP c.17del, GENEM c.10C>G, GENEM c.70+1G>A.
CASE = [(5054, "C", "T"), (5062, "TA", "T"), (7400, "C", "T"), (7461, "G", "C")]


def case_lines() -> list[str]:
    header = [
        "##fileformat=VCFv4.2",
        f"##contig=<ID=chr21,length={LENGTH}>",
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tFASTA1",
    ]
    return header + [f"chr21\t{p}\t.\t{r}\t{a}\t50\tPASS\t.\tGT\t0/1" for p, r, a in CASE]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    write_fasta(OUT / "tiny_grch38.fa.gz")
    (OUT / "genes.gtf").write_text("\n".join(gtf_lines()) + "\n")
    (OUT / "case.vcf").write_text("\n".join(case_lines()) + "\n")
    wrong = OUT / "wrong_length.fa"
    wrong.write_text(">chr21\n" + "\n".join(["ACGT" * 15] * 16) + "\n" + "ACGT" * 10 + "\n")
    pysam.faidx(str(wrong))


if __name__ == "__main__":
    main()
