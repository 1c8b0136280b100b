"""Write the tiny training/benchmark inputs under ``test_data/train/`` (tiny knowledge base).

Run ``python test_data/make_train_fixtures.py`` (deterministic). With the tiny KB of
``make_kb_fixtures.py`` (genes GENEA chr1, GENEB chr2, GENEC chr3, GENED chrX) these exercise
``varprio train`` and ``varprio benchmark`` end to end in seconds::

    background.vcf   one sample, 40 records in and around the four genes: coding SNVs,
                     indels, UTR/intronic/intergenic calls, heterozygous and homozygous,
                     with varied QUAL, DP, GQ and AD (the spike donors)
    cases.jsonl      24 cases in the developer-case format (id, sex, observed, excluded,
                     diseases, genes, variants), six per gene, with the disease's terms:
                     GENEA seizure + ID (AD), GENEB ASD + VSD (AR, homozygous),
                     GENEC myoclonic seizure (frameshifts), GENED visual impairment (X-linked)
"""

from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent / "train"
BASES = "ACGT"

# gene, chrom, coding positions to draw causal variants from, hgnc, terms, disease, zygosity
GENES = [
    ("GENEA", "chr1", list(range(1060, 1100)) + list(range(2001, 2100)), "HGNC:90001",
     ["HP:0001250", "HP:0001249"], "OMIM:100001", "heterozygous"),
    ("GENEB", "chr2", list(range(5040, 5100)) + list(range(6001, 6070)), "HGNC:90002",
     ["HP:0001631", "HP:0001629"], "OMIM:100002", "homozygous"),
    ("GENEC", "chr3", list(range(1050, 1145)), "HGNC:90003",
     ["HP:0002123", "HP:0001256"], "OMIM:100003", "heterozygous"),
    ("GENED", "chrX", list(range(10010, 10294)), "HGNC:90004",
     ["HP:0000505"], "ORPHA:100004", "hemizygous"),
]  # fmt: skip
HEADER = [
    "##fileformat=VCFv4.2",
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">',
    '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">',
    '##INFO=<ID=AC,Number=A,Type=Integer,Description="Allele count">',
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tBG1",
]
# background records: chrom, pos (in and around the genes' exons, introns and flanks)
SITES = [
    ("chr1", p) for p in (900, 1020, 1055, 1070, 1500, 2010, 2050, 2500, 3010, 3060, 4000)
] + [("chr2", p) for p in (4900, 5010, 5050, 5080, 5500, 6010, 6050, 6090, 6200)] + [
    ("chr3", p) for p in (950, 1010, 1060, 1100, 1130, 1170, 1190, 1300)
] + [("chrX", p) for p in (9900, 10005, 10050, 10100, 10200, 10250, 10290, 10400)] + [
    ("chr5", 100), ("chr5", 200), ("chr7", 50), ("chr7", 60)
]  # fmt: skip


def write_background(rng: random.Random) -> None:
    lines = list(HEADER)
    for i, (chrom, pos) in enumerate(SITES):
        ref = rng.choice(BASES)
        alt = rng.choice([b for b in BASES if b != ref])
        if i % 9 == 4:
            alt = ref + rng.choice(BASES)  # insertion
        hom = i % 5 == 0
        dp = rng.randint(12, 80)
        alt_reads = dp if hom else rng.randint(dp // 3, 2 * dp // 3)
        gq = rng.randint(20, 99)
        sample = f"{'1/1' if hom else '0/1'}:{dp - alt_reads},{alt_reads}:{dp}:{gq}"
        qual = f"{rng.uniform(30, 900):.1f}"
        lines.append("\t".join([chrom, str(pos), f"rs{i}", ref, alt, qual, "PASS",
                                f"AC={2 if hom else 1}", "GT:AD:DP:GQ", sample]))  # fmt: skip
    (OUT / "background.vcf").write_text("\n".join(lines) + "\n")


def _variant(rng: random.Random, gene: tuple, frameshift: bool) -> dict:
    name, chrom, positions, hgnc, _, _, zyg = gene
    pos = rng.choice(positions)
    ref = rng.choice(BASES)
    alt = ref + rng.choice(BASES) if frameshift else rng.choice([b for b in BASES if b != ref])
    return {"chrom": chrom, "pos": pos, "ref": ref, "alt": alt, "gene": name, "hgnc": hgnc,
            "zygosity": zyg}  # fmt: skip


def write_cases(rng: random.Random) -> None:
    lines = []
    for gene in GENES:
        name, _, _, _, terms, disease, zyg = gene
        for k in range(6):
            sex = "MALE" if zyg == "hemizygous" else rng.choice(["MALE", "FEMALE", None])
            case = {
                "id": f"TINY_{name}_{k}",
                "sex": sex,
                "observed": terms[: 1 + k % len(terms)],
                "excluded": [],
                "diseases": [disease],
                "genes": [name],
                "variants": [_variant(rng, gene, frameshift=name == "GENEC" or k % 3 == 0)],
            }
            lines.append(json.dumps(case, sort_keys=True))
    (OUT / "cases.jsonl").write_text("\n".join(lines) + "\n")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    rng = random.Random(20250601)
    write_background(rng)
    write_cases(rng)


if __name__ == "__main__":
    main()
