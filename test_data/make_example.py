"""Write the shipped example case: ``test_data/example/case.vcf.gz`` (+ .tbi) and its HPO terms.

Run after ``make install`` (it reads the default knowledge base):
    python test_data/make_example.py

The case is a made-up patient with Marfan syndrome (OMIM:154700): a heterozygous 1-bp
deletion in the coding sequence of FBN1 (a frameshift), among
- the real genotypes of one 1000 Genomes person (the first person of the genotype matrix in the
  peddy package, from which the knowledge base's 1000 Genomes table is built) at its 23,770
  common exonic sites, and
- 80 rare synthetic variants placed (seeded) in the exons, introns and UTRs of random genes.
REF bases of synthetic variants are drawn at random: no reference FASTA is available here, and
varprio does not read one by default.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pysam

from varprio.contigs import GRCH38_LENGTHS, chrom_rank
from varprio.kb.fetch import fetch, source_by_name
from varprio.kb.load import KnowledgeBase, default_kb_path
from varprio.kb.sources.kgp import read_genotypes

OUT = Path(__file__).parent / "example"
SEED = 20250116
SAMPLE = "PATIENT1"
HPO = {
    "HP:0001166": "Arachnodactyly",
    "HP:0001083": "Ectopia lentis",
    "HP:0002616": "Aortic root aneurysm",
    "HP:0000098": "Tall stature",
    "HP:0000767": "Pectus excavatum",
}
CAUSAL_GENE = "FBN1"


def _fmt(rng: random.Random, alt_count: int) -> str:
    dp = rng.randint(18, 60)
    alt = dp if alt_count == 2 else rng.randint(int(dp * 0.35), int(dp * 0.65))
    gt = "1/1" if alt_count == 2 else "0/1"
    return f"{gt}:{dp - alt},{alt}:{dp}:{rng.randint(60, 99)}"


def background(rng: random.Random) -> list[tuple[str, int, str, str, str]]:
    """Real genotypes of one 1000 Genomes person at the knowledge base's common sites."""
    cache = Path.home() / ".cache" / "varprio"
    sites, geno, _ = read_genotypes(fetch(source_by_name("kgp"), cache) / "peddy")
    person = geno[:, 0]
    records = []
    for site, count in zip(sites, person, strict=False):
        if count:
            c, p, r, a = site.split(":")
            records.append((f"chr{c}", int(p), r, a, _fmt(rng, int(count))))
    return records


def synthetic(kb: KnowledgeBase, rng: random.Random) -> list[tuple[str, int, str, str, str]]:
    """Rare variants in random MANE transcripts, plus the causal FBN1 frameshift."""
    tx = kb.table("gene_models/transcripts").to_pandas()
    ex = kb.table("gene_models/exons").to_pandas()
    mane = tx[tx["is_mane_select"] & tx["chrom"].isin(list(GRCH38_LENGTHS)[:23])]
    records = []
    for _, t in mane.sample(80, random_state=SEED).iterrows():
        exons = ex[ex["transcript_id"] == t["transcript_id"]]
        e = exons.iloc[rng.randrange(len(exons))]
        where = rng.random()
        pos = rng.randint(int(e["start"]), int(e["end"])) if where < 0.6 else int(e["end"]) + 40
        ref = rng.choice("ACGT")
        alt = rng.choice([b for b in "ACGT" if b != ref])
        records.append((t["chrom"], pos, ref, alt, _fmt(rng, 2 if rng.random() < 0.1 else 1)))
    fbn1 = mane[mane["gene"] == CAUSAL_GENE].iloc[0]
    coding = ex[
        (ex["transcript_id"] == fbn1["transcript_id"])
        & (ex["end"] >= fbn1["cds_start"])
        & (ex["start"] <= fbn1["cds_end"])
    ]
    e = coding.iloc[len(coding) // 2]
    pos = (int(e["start"]) + int(e["end"])) // 2
    ref = "".join(rng.choice("ACGT") for _ in range(2))
    records.append((fbn1["chrom"], pos, ref, ref[0], _fmt(rng, 1)))
    return records


def header() -> str:
    lines = [
        "##fileformat=VCFv4.2",
        "##source=varprio test_data/make_example.py",
        '##FILTER=<ID=PASS,Description="All filters passed">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">',
        '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">',
    ]
    lines += [f"##contig=<ID={c},length={n},assembly=GRCh38>" for c, n in GRCH38_LENGTHS.items()]
    lines.append(
        "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", SAMPLE])
    )
    return "\n".join(lines) + "\n"


def main() -> None:
    rng = random.Random(SEED)
    np.random.seed(SEED)
    kb = KnowledgeBase(default_kb_path())
    records = {(r[0], r[1], r[2], r[3]): r for r in background(rng) + synthetic(kb, rng)}
    ordered = sorted(records.values(), key=lambda r: (chrom_rank(r[0]), r[1], r[2], r[3]))
    OUT.mkdir(exist_ok=True)
    plain = OUT / "case.vcf"
    with open(plain, "w") as fh:
        fh.write(header())
        for c, p, r, a, sample in ordered:
            qual = 50 + (p % 500)
            fh.write(f"{c}\t{p}\t.\t{r}\t{a}\t{qual}\tPASS\t.\tGT:AD:DP:GQ\t{sample}\n")
    pysam.tabix_index(str(plain), preset="vcf", force=True)  # bgzips to case.vcf.gz + .tbi
    (OUT / "case.hpo.txt").write_text(
        "# Example patient: Marfan syndrome features\n"
        + "".join(f"{k}\t{v}\n" for k, v in HPO.items())
    )


if __name__ == "__main__":
    main()
