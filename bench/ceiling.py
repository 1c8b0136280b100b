"""What genome-wide population frequencies would be worth: the held-out benchmark with and
without a simulated gnomAD (issue 7).

The default knowledge base has 1000 Genomes frequencies at 23,770 common exonic sites only, so
most of the background exome's variants look as rare as a causal one.  gnomAD is not to be had
here.  This script simulates what it would say about the background: the background's records
that carry a dbSNP ID (94.7 % of them; a variant seen before by the population surveys dbSNP
held) get a gnomAD v4.1-format record with an allele frequency drawn log-uniformly between
``--min-af`` and 0.9 (conservative: a real person's known variants are mostly common, while
here a third stay below 1 %); novel records, and every spiked causal variant, stay absent.

It writes that sites VCF, adds it to a copy of the default knowledge base with
``varprio kb add --gnomad`` (the real code path), runs the same ``varprio benchmark`` on both
knowledge bases, and writes ``bench/results-ceiling.json`` and ``.md``.  Nothing here is
shipped; the simulated file and the copy of the knowledge base stay under ``bench/data/``.

Run: ``python bench/ceiling.py --shared ../shared [--per-gene 10]`` (about 20 minutes).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pysam
from timing import varprio_command  # bench/timing.py (scripts run from bench/)

from varprio.kb.load import default_kb_path

HERE = Path(__file__).resolve().parent
HEADER = """##fileformat=VCFv4.2
##INFO=<ID=AC,Number=A,Type=Integer,Description="Alternate allele count">
##INFO=<ID=AN,Number=1,Type=Integer,Description="Total number of alleles">
##INFO=<ID=AF,Number=A,Type=Float,Description="Alternate allele frequency">
##INFO=<ID=grpmax,Number=A,Type=String,Description="Group with the maximum AF">
##INFO=<ID=AF_grpmax,Number=A,Type=Float,Description="Maximum group AF">
##INFO=<ID=fafmax_faf95_max,Number=A,Type=Float,Description="Maximum group faf95">
##INFO=<ID=nhomalt,Number=A,Type=Integer,Description="Homozygous individuals">
##simulated=varprio bench/ceiling.py: dbSNP-known background records only
"""
AN = 1_600_000
GROUPS = np.array(["afr", "amr", "eas", "nfe", "sas"])


def simulate_gnomad(background: Path, out: Path, min_af: float, seed: int) -> dict[str, int]:
    """Write a bgzipped, indexed gnomAD-like sites VCF for the background's dbSNP records."""
    rng = np.random.default_rng(seed)
    contigs: list[str] = []
    lines: list[str] = []
    known = novel = 0
    with pysam.VariantFile(str(background)) as vcf:
        for rec in vcf:
            if not (rec.id or "").startswith("rs"):
                novel += 1
                continue
            known += 1
            if rec.chrom not in contigs:
                contigs.append(rec.chrom)
            for alt in rec.alts or ():
                if alt.startswith("<") or alt == "*":
                    continue
                af = float(np.exp(rng.uniform(np.log(min_af), np.log(0.9))))
                ac = max(1, round(af * AN))
                grp = min(1.0, af * rng.uniform(1.0, 2.0))
                hom = round(AN / 2 * af * af)
                info = (
                    f"AC={ac};AN={AN};AF={ac / AN:.6g};grpmax={rng.choice(GROUPS)};"
                    f"AF_grpmax={grp:.6g};fafmax_faf95_max={grp * 0.9:.6g};nhomalt={hom}"
                )
                lines.append(f"{rec.chrom}\t{rec.pos}\t.\t{rec.ref}\t{alt}\t.\tPASS\t{info}")
    header = HEADER + "".join(f"##contig=<ID={c}>\n" for c in contigs)
    plain = out.with_suffix("")
    plain.write_text(header + "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                     + "\n".join(lines) + "\n")  # fmt: skip
    subprocess.run(["bgzip", "-f", str(plain)], check=True)
    Path(f"{plain}.gz").rename(out)
    pysam.tabix_index(str(out), preset="vcf", force=True)
    return {"background_records": known + novel, "known": known, "novel": novel}


def run_benchmark(kb: Path, shared: Path, out: Path, per_gene: int) -> dict[str, float]:
    """``varprio benchmark`` on the held-out genes with knowledge base ``kb``; its summary."""
    bench = shared / "benchmark"
    cmd = [*varprio_command().split(), "-q", "benchmark", "--kb", str(kb),
           "--cases", str(bench / "cases_dev.jsonl"),
           "--background", str(bench / "background" / "pfeiffer_exome.GRCh38.vcf.gz"),
           "--split", "holdout", "--per-gene", str(per_gene), "--seed", "1",
           "--out", str(out)]  # fmt: skip
    subprocess.run(cmd, check=True)
    return dict(json.loads((out / "summary.json").read_text())["summary"])


RANKINGS = {
    "": "learned model",
    "transparent_": "transparent ranker",
    "phenotype_": "phenotype only",
}


def _rows(label: str, summary: dict) -> list[str]:
    out = []
    for level in ("gene", "variant"):
        for key, ranking in RANKINGS.items():
            m = {k: summary[f"{key}{level}_{k}"] for k in ("top1", "top3", "top5", "top10", "mrr")}
            tops = " | ".join(f"{100 * m[k]:.1f} %" for k in ("top1", "top3", "top5", "top10"))
            out.append(f"| {label} | {ranking} | {level} | {tops} | {m['mrr']:.3f} |")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=HERE.parent.parent / "shared")
    ap.add_argument("--per-gene", type=int, default=10)
    ap.add_argument("--min-af", type=float, default=0.001)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    data = HERE / "data" / "ceiling"
    data.mkdir(parents=True, exist_ok=True)
    background = args.shared / "benchmark" / "background" / "pfeiffer_exome.GRCh38.vcf.gz"
    sites = data / "gnomad.exomes.v4.1.sites.simulated.vcf.bgz"
    counts = simulate_gnomad(background, sites, args.min_af, args.seed)
    kb = data / "kb"
    shutil.rmtree(kb, ignore_errors=True)
    shutil.copytree(default_kb_path(), kb)
    subprocess.run([*varprio_command().split(), "-q", "kb", "add", "--kb", str(kb),
                    "--gnomad", f"exomes={sites}"], check=True)  # fmt: skip
    results = {
        "default knowledge base": run_benchmark(
            default_kb_path(), args.shared, data / "bench-default", args.per_gene
        ),
        "with simulated gnomAD": run_benchmark(
            kb, args.shared, data / "bench-gnomad", args.per_gene
        ),
    }
    doc = {"simulation": {**counts, "min_af": args.min_af, "seed": args.seed,
                          "per_gene": args.per_gene}, "results": results}  # fmt: skip
    (HERE / "results-ceiling.json").write_text(json.dumps(doc, indent=1) + "\n")
    lines = ["| knowledge base | ranking | level | top-1 | top-3 | top-5 | top-10 | MRR |",
             "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for label, summary in results.items():
        lines += _rows(label, summary)
    (HERE / "results-ceiling.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
