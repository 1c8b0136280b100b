"""Speed and memory of ``varprio prioritize`` on a synthetic genome and exome (issue 4).

Generates, deterministically (seeded), a GRCh38 genome VCF of ``--genome-records`` records and
an exome VCF of ``--exome-records`` records (bgzipped and indexed, cached under
``bench/data/``), then times in the same run:

- ``bcftools view -Ou`` of the genome (the floor),
- ``varprio prioritize`` on the indexed genome, on the same genome from stdin, and on the exome,
- ``bcftools view -Ou`` and ``varprio prioritize --ped`` on the genome as the child of a trio
  (two parent columns added; ratios of trio runs are to the trio floor),

each with ``/usr/bin/time -v`` for peak RSS, in ``--repeat`` interleaved rounds (medians, and
ratios to the floor of the same round, since this kind of shared machine drifts), after one
untimed run that leaves Python's bytecode and varprio's gene-model caches as any first run
does. Writes ``bench/results-speed.json`` and a markdown table. Run: ``python bench/speed.py``
(``make bench`` runs it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pysam
from timing import timed, varprio_command  # bench/timing.py (scripts run from bench/)

from varprio.contigs import GRCH38_LENGTHS
from varprio.kb.load import KnowledgeBase, default_kb_path

HERE = Path(__file__).resolve().parent
HPO = "HP:0001166,HP:0001083,HP:0002616,HP:0000098,HP:0000767"
BASES = np.array(list("ACGT"))
FORMAT = "GT:AD:DP:GQ:PL"
HEADER = """##fileformat=VCFv4.2
##FILTER=<ID=PASS,Description="All filters passed">
##INFO=<ID=AC,Number=A,Type=Integer,Description="Allele count">
##INFO=<ID=AN,Number=1,Type=Integer,Description="Allele number">
##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">
##INFO=<ID=MQ,Number=1,Type=Float,Description="Mapping quality">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">
##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">
##FORMAT=<ID=PL,Number=G,Type=Integer,Description="Phred-scaled likelihoods">
"""


def _records(rng: np.random.Generator, chrom: str, pos: np.ndarray) -> list[str]:
    """VCF lines at sorted positions: SNVs, ~8 % indels, GATK-like INFO and FORMAT."""
    n = len(pos)
    ref = BASES[rng.integers(0, 4, n)]
    alt = BASES[(rng.integers(1, 4, n) + rng.integers(0, 4, n)) % 4]
    alt = np.where(alt == ref, BASES[(np.searchsorted(BASES, ref) + 1) % 4], alt)
    indel = rng.random(n) < 0.08
    ins = np.char.add(ref, BASES[rng.integers(0, 4, n)])
    ref = np.where(indel & (rng.random(n) < 0.5), np.char.add(ref, alt), ref)
    alt = np.where(indel & (np.char.str_len(ref) == 1), ins, alt)
    alt = np.where(np.char.str_len(ref) == 2, ref.astype("<U2").astype("<U1"), alt)
    hom = rng.random(n) < 0.4
    dp = rng.integers(8, 80, n)
    alt_depth = np.where(hom, dp, (dp * rng.uniform(0.3, 0.7, n)).astype(int))
    qual = np.round(rng.uniform(30, 3000, n), 2)
    lines = []
    for i in range(n):  # generation only: the benchmark times varprio, not this
        gt = "1/1" if hom[i] else "0/1"
        pl = "900,60,0" if hom[i] else "300,0,400"
        lines.append(
            f"{chrom}\t{pos[i]}\t.\t{ref[i]}\t{alt[i]}\t{qual[i]}\tPASS\t"
            f"AC={2 if hom[i] else 1};AN=2;DP={dp[i]};MQ=60\t{FORMAT}\t"
            f"{gt}:{dp[i] - alt_depth[i]},{alt_depth[i]}:{dp[i]}:{int(min(99, qual[i]))}:{pl}"
        )
    return lines


def _write(path: Path, chunks: list[tuple[str, np.ndarray]], rng: np.random.Generator) -> None:
    plain = path.with_suffix("")
    with open(plain, "w") as fh:
        fh.write(HEADER)
        for c, n in GRCH38_LENGTHS.items():
            fh.write(f"##contig=<ID={c},length={n}>\n")
        fh.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tSAMPLE1\n")
        for chrom, pos in chunks:
            fh.write("\n".join(_records(rng, chrom, pos)) + "\n")
    _bgzip_and_index(plain, path)


def _bgzip_and_index(plain: Path, path: Path) -> None:
    """Compress ``plain`` to ``path`` (BGZF, removing ``plain``) and tabix-index it."""
    if shutil.which("bgzip"):
        subprocess.run(["bgzip", "-f", "-@", "2", str(plain)], check=True)
    else:
        pysam.tabix_compress(str(plain), str(path), force=True)
        plain.unlink()
    pysam.tabix_index(str(path), preset="vcf", force=True)


def make_genome(path: Path, n: int, seed: int) -> None:
    """``n`` records spread over the primary contigs in proportion to their length."""
    rng = np.random.default_rng(seed)
    chroms = [c for c in GRCH38_LENGTHS if c not in ("chrY", "chrM")]
    lengths = np.array([GRCH38_LENGTHS[c] for c in chroms], dtype=np.float64)
    counts = rng.multinomial(n, lengths / lengths.sum())
    chunks = []
    for chrom, k in zip(chroms, counts, strict=True):
        pos = np.unique(rng.integers(10_000, GRCH38_LENGTHS[chrom] - 10_000, k))
        chunks.append((chrom, pos))
    _write(path, chunks, rng)


def make_exome(path: Path, n: int, seed: int, kb: KnowledgeBase) -> None:
    """``n`` records inside the knowledge base's exons (+/- 20 bp), as an exome caller sees."""
    rng = np.random.default_rng(seed + 1)
    ex = kb.table("gene_models/exons").to_pandas()
    ex = ex[ex["chrom"].isin([c for c in GRCH38_LENGTHS if c != "chrM"])]
    pick = ex.iloc[rng.integers(0, len(ex), n)]
    pos = (pick["start"].to_numpy() - 20 + (rng.random(n) * (
        pick["end"].to_numpy() - pick["start"].to_numpy() + 40)).astype(int))  # fmt: skip
    chunks = []
    for chrom in GRCH38_LENGTHS:
        sel = pick["chrom"].to_numpy() == chrom
        if sel.any():
            chunks.append((chrom, np.unique(pos[sel])))
    _write(path, chunks, rng)


def make_trio(genome: Path, path: Path, seed: int) -> None:
    """The genome as the child of a trio: two parents from whom every allele is inherited
    (het: one parent het, the other hom-ref; hom: both het), and its PED beside it."""
    rng = np.random.default_rng(seed + 2)
    plain = path.with_suffix("")
    het_field = {"0/1": "0/1:{d},{d}:{dp}:{gq}:300,0,400", "0/0": "0/0:{dp},0:{dp}:{gq}:0,60,900"}
    with pysam.BGZFile(str(genome), "rb") as src, open(plain, "w") as out:
        for raw in src:
            line = raw.decode().rstrip("\n")
            if line.startswith("##"):
                out.write(line + "\n")
                continue
            if line.startswith("#CHROM"):
                out.write(line.replace("SAMPLE1", "CHILD") + "\tFATHER\tMOTHER\n")
                continue
            fields = line.split("\t")
            gt, _, dp, gq, _ = fields[9].split(":")
            parents = ("0/1", "0/1") if gt == "1/1" else (
                ("0/1", "0/0") if rng.random() < 0.5 else ("0/0", "0/1"))  # fmt: skip
            sample = [het_field[p].format(d=int(dp) // 2, dp=dp, gq=gq) for p in parents]
            out.write(line + "\t" + "\t".join(sample) + "\n")
    _bgzip_and_index(plain, path)
    ped = "fam CHILD FATHER MOTHER 1 2\nfam FATHER 0 0 1 1\nfam MOTHER 0 0 2 1\n"
    path.with_name(path.name.replace(".vcf.gz", ".ped")).write_text(ped)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--genome-records", type=int, default=5_000_000)
    ap.add_argument("--exome-records", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=HERE)
    ap.add_argument("--repeat", type=int, default=3,
                    help="rounds of every run, interleaved; medians are reported")  # fmt: skip
    args = ap.parse_args()
    data = HERE / "data"
    data.mkdir(exist_ok=True)
    kb = KnowledgeBase(default_kb_path())
    genome = data / f"genome_{args.genome_records}_{args.seed}.vcf.gz"
    exome = data / f"exome_{args.exome_records}_{args.seed}.vcf.gz"
    if not genome.exists():
        print(f"generating {genome} ...", file=sys.stderr)
        make_genome(genome, args.genome_records, args.seed)
    if not exome.exists():
        print(f"generating {exome} ...", file=sys.stderr)
        make_exome(exome, args.exome_records, args.seed, kb)
    trio = data / f"trio_{args.genome_records}_{args.seed}.vcf.gz"
    ped = data / f"trio_{args.genome_records}_{args.seed}.ped"
    if not trio.exists():
        print(f"generating {trio} ...", file=sys.stderr)
        make_trio(genome, trio, args.seed)
    out = f"{os.environ.get('TMPDIR', '/tmp')}/varprio-bench"
    prio = f"{varprio_command()} -q prioritize --hpo {HPO} --out-prefix {out}"
    runs = {
        "bcftools view -Ou (floor)": f"bcftools view -Ou {genome} > /dev/null",
        "varprio genome, indexed": f"{prio} {genome}",
        "varprio genome, stdin": f"cat {genome} | {prio} -",
        "varprio exome (100k), indexed": f"{prio} {exome}",
        "varprio exome (100k), stdin": f"cat {exome} | {prio} -",
        "bcftools view -Ou trio genome (trio floor)": f"bcftools view -Ou {trio} > /dev/null",
        "varprio trio genome --ped, indexed": f"{prio} {trio} --ped {ped}",
    }
    # One untimed run first, as on any machine after installing: Python writes its bytecode
    # cache (unless PYTHONDONTWRITEBYTECODE is set) and varprio its gene-model cache.
    warm_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(["bash", "-c", runs["varprio exome (100k), indexed"]], env=warm_env,
                   check=True)  # fmt: skip
    rounds = [{name: timed(cmd) for name, cmd in runs.items()} for _ in range(args.repeat)]
    results = {}
    for name in runs:
        walls = sorted(r[name]["seconds"] for r in rounds)
        results[name] = {"seconds": float(np.median(walls)), "min_seconds": walls[0],
                         "max_seconds": walls[-1], "all_seconds": walls,
                         "peak_rss_mb": max(r[name]["peak_rss_mb"] for r in rounds)}  # fmt: skip
    n = {"genome": args.genome_records, "exome": args.exome_records}
    for name, r in results.items():
        base = "bcftools view -Ou trio genome (trio floor)" if "trio" in name else (
            "bcftools view -Ou (floor)")  # fmt: skip
        # the same round's floor: the machine's speed drifts between rounds
        ratios = sorted(x[name]["seconds"] / x[base]["seconds"] for x in rounds)
        r["ratio_to_floor"] = round(float(np.median(ratios)), 2)
        r["ratio_range"] = [round(ratios[0], 2), round(ratios[-1], 2)]
        records = n["exome"] if "exome" in name else n["genome"]
        r["records_per_second"] = int(records / r["seconds"])
    doc = {"cores": os.cpu_count(), "genome_records": n["genome"], "exome_records": n["exome"],
           "repeat": args.repeat, "results": results}  # fmt: skip
    (args.out / "results-speed.json").write_text(json.dumps(doc, indent=2) + "\n")
    head = "| run | wall s (median) | min-max | x floor (median) | min-max | peak RSS MB | rec/s |"
    lines = [head, "|---|---|---|---|---|---|---|"]
    lines += [f"| {k} | {r['seconds']:.2f} | {r['min_seconds']:.2f}-{r['max_seconds']:.2f} | "
              f"{r['ratio_to_floor']} | {r['ratio_range'][0]}-{r['ratio_range'][1]} | "
              f"{r['peak_rss_mb']} | {r['records_per_second']:,} |"
              for k, r in results.items()]  # fmt: skip
    table = "\n".join(lines) + (
        f"\n\n{os.cpu_count()} cores; genome {n['genome']:,} records; {args.repeat} interleaved "
        "rounds, ratios taken within a round.\n")  # fmt: skip
    (args.out / "results-speed.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
