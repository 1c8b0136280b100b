"""Throughput of ``varprio batch`` on spiked exomes, by worker count (issue 9).

Spikes ``--n`` developer cases (seeded) into the background exome of ../shared, writes them
as gzipped VCFs with a manifest, then runs ``varprio batch -j N`` for each N of ``--jobs`` on
the default knowledge base and reports samples per minute and peak RSS (the largest of the
batch process and its forked workers: pages shared copy-on-write with the parent count in
each). Writes ``bench/results-batch.json`` and ``.md``. Run: ``python bench/batch.py --shared
../shared [--n 200]`` (``make bench`` runs it).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import varprio_command  # bench/timing.py (scripts run from bench/)

from varprio.benchmark import read_cases
from varprio.spike import Background

HERE = Path(__file__).resolve().parent


def make_cohort(shared: Path, n: int, seed: int, work: Path) -> Path:
    """``n`` spiked exomes and their manifest in ``work``."""
    cases = read_cases(shared / "benchmark" / "cases_dev.jsonl", n, 1, seed)
    background = Background.read(
        shared / "benchmark" / "background" / "pfeiffer_exome.GRCh38.vcf.gz"
    )
    rng = random.Random(seed)
    rows = ["id\tvcf\thpo\texcluded"]
    for i, case in enumerate(cases):
        path = work / f"case{i:04d}.vcf.gz"
        with gzip.open(path, "wt", compresslevel=1) as fh:
            fh.write(background.spiked(case["variants"], rng))
        rows.append(
            f"case{i:04d}\t{path}\t{','.join(case['observed'])}\t{','.join(case['excluded'])}"
        )
    manifest = work / "manifest.tsv"
    manifest.write_text("\n".join(rows) + "\n")
    return manifest


def measure(cmd: list[str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS MB of any process of ``cmd`` (run from a fresh child), exit code."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter(); rc = subprocess.run(sys.argv[1:]).returncode\n"
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)"
    )
    out = subprocess.run([sys.executable, "-c", probe, *cmd], capture_output=True, text=True)
    wall, rss_kb, rc = out.stdout.split()
    return float(wall), int(rss_kb) / 1024, int(rc)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=HERE.parent.parent / "shared")
    ap.add_argument("--out", type=Path, default=HERE)
    ap.add_argument("--n", type=int, default=200, help="spiked exomes [200]")
    ap.add_argument("--jobs", default="1,2", help="worker counts to compare [1,2]")
    ap.add_argument("--seed", type=int, default=9)
    args = ap.parse_args()
    runs = []
    with tempfile.TemporaryDirectory(prefix="varprio-bench-batch-") as tmp:
        work = Path(tmp)
        start = time.perf_counter()
        manifest = make_cohort(args.shared, args.n, args.seed, work)
        print(f"spiked {args.n} exomes in {time.perf_counter() - start:.1f} s", file=sys.stderr)
        for jobs in [int(j) for j in args.jobs.split(",")]:
            out = work / f"out{jobs}"
            # developer cases carry HPO IDs newer than the knowledge base's release: drop them
            cmd = [varprio_command(), "-q", "batch", str(manifest), "--out-dir", str(out),
                   "-j", str(jobs), "--drop-unknown-terms"]  # fmt: skip
            wall, rss, rc = measure(cmd)
            summary = (out / "summary.tsv").read_text().splitlines()
            failed = sum("\tfailed\t" in line for line in summary)
            runs.append({"jobs": jobs, "samples": args.n, "failed": failed,
                         "wall_s": round(wall, 2), "samples_per_min": round(args.n / wall * 60, 1),
                         "peak_rss_mb": round(rss, 1), "exit_code": rc})  # fmt: skip
            print(json.dumps(runs[-1]), file=sys.stderr)
    (args.out / "results-batch.json").write_text(json.dumps(runs, indent=1) + "\n")
    lines = ["| workers | samples | wall s | samples/min | peak RSS MB (any process) |",
             "|---|---|---|---|---|"]  # fmt: skip
    for r in runs:
        lines.append(f"| {r['jobs']} | {r['samples']} | {r['wall_s']} | {r['samples_per_min']} "
                     f"| {r['peak_rss_mb']} |")  # fmt: skip
    (args.out / "results-batch.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
