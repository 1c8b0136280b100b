"""Build a gnomAD-like frequency table and annotate a VCF against it, next to bcftools annotate.

Generates, deterministically (seeded, cached under ``bench/data/``):

- a sites-only gnomAD-like VCF of ``--sites`` records (v4 INFO names: AC, AN, AF, grpmax,
  AF_grpmax, fafmax_faf95_max, faf95, nhomalt, AC_XY, nhomalt_XY and per-group AC/AN/AF/nhomalt
  for six groups, about 500 bytes of INFO per record), bgzipped and tabix-indexed;
- a one-sample query VCF of ``--records`` records, half of them gnomAD sites, bgzipped.

Then times, each with ``/usr/bin/time -v`` for peak RSS:

- ``varprio kb add --gnomad genomes=SITES`` on a copy of the default knowledge base (build);
- ``tabix -p vcf SITES`` (what bcftools needs before it can annotate from a VCF);
- ``varprio annotate QUERY --format parquet`` and ``--format tsv`` (every KB field, plus
  consequences from the gene models);
- ``bcftools annotate -a SITES -c INFO/AC,...`` with the same ten gnomAD fields.

The issue asks for 50 M sites and 5 M records (the defaults); ``--sites 5000000 --records
1000000`` finishes in a few minutes on 2 cores.  Writes ``bench/results-annotate.json`` and
``bench/results-annotate.md`` with the measured numbers and a linear extrapolation to the
defaults.  Run: ``python bench/annotate.py [--sites N --records M]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from timing import timed, varprio_command  # bench/timing.py (scripts run from bench/)

from varprio.contigs import GRCH38_LENGTHS
from varprio.kb.load import default_kb_path

HERE = Path(__file__).resolve().parent
BASES = np.array(list("ACGT"))
GROUPS = ("afr", "amr", "eas", "fin", "nfe", "sas")
FIELDS = ("AC", "AN", "AF", "grpmax", "AF_grpmax", "fafmax_faf95_max", "faf95", "nhomalt",
          "AC_XY", "nhomalt_XY")  # fmt: skip
CHUNK = 500_000


def _info_header() -> list[str]:
    types = {"AN": ("1", "Integer"), "grpmax": ("A", "String")}
    out = []
    for f in FIELDS:
        number, typ = types.get(f, ("A", "Float" if "AF" in f or "faf" in f else "Integer"))
        out.append(f'##INFO=<ID={f},Number={number},Type={typ},Description="{f}">')
    for g in GROUPS:
        for f, typ in (
            ("AC", "Integer"),
            ("AN", "Integer"),
            ("AF", "Float"),
            ("nhomalt", "Integer"),
        ):
            number = "1" if f == "AN" else "A"
            out.append(f'##INFO=<ID={f}_{g},Number={number},Type={typ},Description="{f} {g}">')
    out.append('##INFO=<ID=non_par,Number=0,Type=Flag,Description="outside the PARs">')
    return out


def _positions(rng: np.random.Generator, n: int) -> list[tuple[str, np.ndarray]]:
    """``n`` sorted positions spread over the primary contigs by length."""
    chroms = [c for c in GRCH38_LENGTHS if c not in ("chrY", "chrM")]
    lengths = np.array([GRCH38_LENGTHS[c] for c in chroms], dtype=np.float64)
    counts = rng.multinomial(n, lengths / lengths.sum())
    return [(c, np.sort(rng.integers(10_000, GRCH38_LENGTHS[c] - 10_000, k)))
            for c, k in zip(chroms, counts, strict=True)]  # fmt: skip


def _s(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


def _site_lines(
    rng: np.random.Generator, chrom: str, pos: np.ndarray
) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    n = len(pos)
    ref = BASES[rng.integers(0, 4, n)]
    alt = BASES[(np.searchsorted(BASES, ref) + rng.integers(1, 4, n)) % 4]
    an = rng.integers(100_000, 1_500_000, n)
    ac = np.minimum(rng.geometric(0.3, n), an)
    af = np.round(ac / an, 8)
    parts = {"AC": ac, "AN": an, "AF": af, "AF_grpmax": np.round(af * 3, 8),
             "fafmax_faf95_max": np.round(af * 0.5, 8), "faf95": np.round(af * 0.3, 8),
             "nhomalt": ac // 50, "AC_XY": ac // 2, "nhomalt_XY": ac // 100}  # fmt: skip
    info = [pc.binary_join_element_wise(pa.scalar(f"{k}="), _s(v), "") for k, v in parts.items()]
    info.insert(3, pc.binary_join_element_wise("grpmax=", pa.array(
        np.array(GROUPS)[rng.integers(0, len(GROUPS), n)]), ""))  # fmt: skip
    for g in GROUPS:
        g_an = an // 6
        g_ac = np.minimum(ac, rng.integers(0, 3, n))
        for k, v in (("AC", g_ac), ("AN", g_an), ("AF", np.round(g_ac / g_an, 8)),
                     ("nhomalt", g_ac // 2)):  # fmt: skip
            info.append(pc.binary_join_element_wise(pa.scalar(f"{k}_{g}="), _s(v), ""))
    text = pc.binary_join_element_wise(*info, ";")
    cols = [pa.array([chrom] * n), _s(pos), pa.array(["."] * n), pa.array(ref), pa.array(alt),
            pa.array(["."] * n), pa.array(["PASS"] * n), text]  # fmt: skip
    return pc.binary_join_element_wise(*cols, "\t"), ref, alt


def _as_bytes(lines: pa.Array) -> bytes:
    """The lines, each ending in a newline, as one bytes object (no per-line Python)."""
    text = pc.binary_join_element_wise(lines, pa.scalar(""), pa.scalar("\n"))
    offsets = np.frombuffer(text.buffers()[1], np.int32)[text.offset : text.offset + len(text) + 1]
    return text.buffers()[2].to_pybytes()[offsets[0] : offsets[-1]]


@contextlib.contextmanager
def _bgzip(path: Path) -> Iterator[IO[bytes]]:
    """A binary handle whose bytes are bgzipped into ``path`` (no uncompressed copy on disk)."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as out:
        proc = subprocess.Popen(["bgzip", "-@", "2", "-c"], stdin=subprocess.PIPE, stdout=out)
        assert proc.stdin is not None
        with proc.stdin as fh:
            yield fh
        if proc.wait() != 0:
            raise SystemExit(f"bgzip failed writing {path}")
    tmp.rename(path)


def _header(lines: list[str], columns: str) -> bytes:
    contigs = [f"##contig=<ID={c},length={ln}>" for c, ln in GRCH38_LENGTHS.items()]
    return ("\n".join(["##fileformat=VCFv4.2", *lines, *contigs, columns]) + "\n").encode()


Sites = dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]]


def make_sites(path: Path, n: int, seed: int, keep: float) -> Sites:
    """Write the gnomAD-like sites VCF; return a random ``keep`` fraction of its
    (positions, REF, ALT) per contig, for the query VCF."""
    rng, pick = np.random.default_rng(seed), np.random.default_rng(seed + 2)
    kept: Sites = {}
    with _bgzip(path) as fh:
        fh.write(_header(_info_header(), "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"))
        for chrom, pos in _positions(rng, n):
            for lo in range(0, len(pos), CHUNK):
                lines, ref, alt = _site_lines(rng, chrom, pos[lo : lo + CHUNK])
                fh.write(_as_bytes(lines))
                sel = pick.random(len(ref)) < keep
                kept.setdefault(chrom, []).append((pos[lo : lo + CHUNK][sel], ref[sel], alt[sel]))
    return kept


def make_query(path: Path, n: int, seed: int, sites: Sites) -> None:
    """A one-sample VCF: the kept gnomAD sites (same alleles) and as many random positions."""
    rng = np.random.default_rng(seed + 1)
    n_sites = sum(len(p) for parts in sites.values() for p, _, _ in parts)
    random = dict(_positions(rng, max(n - n_sites, 0)))
    with _bgzip(path) as fh:
        fh.write(_header(['##FORMAT=<ID=GT,Number=1,Type=String,Description="GT">'],
                         "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1"))  # fmt: skip
        for chrom in GRCH38_LENGTHS:
            pos = [p for p, _, _ in sites.get(chrom, [])] + [random.get(chrom, np.zeros(0, int))]
            ref = [r for _, r, _ in sites.get(chrom, [])]
            alt = [a for _, _, a in sites.get(chrom, [])]
            extra = len(pos[-1])
            ref.append(BASES[rng.integers(0, 4, extra)])
            alt.append(BASES[(np.searchsorted(BASES, ref[-1]) + 1) % 4])
            p, r, a = np.concatenate(pos), np.concatenate(ref), np.concatenate(alt)
            if not len(p):
                continue
            order = np.lexsort((a, r, p))
            m = len(p)
            rest = "50\tPASS\t.\tGT\t0/1"
            cols = [pa.array([chrom] * m), _s(p[order]), pa.array(["."] * m),
                    pa.array(r[order]), pa.array(a[order]), pa.array([rest] * m)]  # fmt: skip
            fh.write(_as_bytes(pc.binary_join_element_wise(*cols, "\t")))
    subprocess.run(["tabix", "-f", "-p", "vcf", str(path)], check=True)  # bcftools needs it


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sites", type=int, default=50_000_000)
    ap.add_argument("--records", type=int, default=5_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=HERE)
    ap.add_argument("--generate-only", action="store_true", help="only write the input VCFs")
    args = ap.parse_args()
    data = HERE / "data"
    data.mkdir(exist_ok=True)
    sites = data / f"gnomad_like_{args.sites}_{args.seed}.vcf.bgz"
    query = data / f"query_{args.records}_{args.sites}_{args.seed}.vcf.gz"
    if not sites.exists() or not query.exists():
        print(f"generating {sites} and {query} ...", file=sys.stderr)
        kept = make_sites(sites, args.sites, args.seed, keep=args.records / 2 / args.sites)
        make_query(query, args.records, args.seed, kept)
    if args.generate_only:
        return
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / "varprio-bench-annotate"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(default_kb_path(), tmp / "kb")
    Path(f"{sites}.tbi").unlink(missing_ok=True)
    bcf_fields = ",".join(f"INFO/{f}" for f in FIELDS)
    kb, vp = tmp / "kb", f"{varprio_command()} -q"
    runs = {
        "varprio kb add --gnomad (build)": f"{vp} kb add --kb {kb} --gnomad genomes={sites}",
        "tabix -p vcf (bcftools' build)": f"tabix -p vcf {sites}",
        "varprio annotate --format parquet": f"{vp} annotate {query} --kb {kb} "
        f"--format parquet -o {tmp}/a.parquet",
        "varprio annotate --format tsv": f"{vp} annotate {query} --kb {kb} -o {tmp}/a.tsv",
        "bcftools annotate -a (10 fields)": f"bcftools annotate -a {sites} -c {bcf_fields} "
        f"-Oz -o {tmp}/a.vcf.gz {query}",
    }
    results = {name: timed(cmd) for name, cmd in runs.items()}
    table_bytes = sum(p.stat().st_size for p in (tmp / "kb" / "frequencies").glob("gnomad_*"))
    scale = {"build": args.sites, "tabix": args.sites, "annotate": args.records}
    for name, r in results.items():
        n = scale["annotate" if "annotate" in name else "build"]
        r["per_second"] = int(n / r["seconds"])
        full = 50_000_000 if n == args.sites else 5_000_000
        r["extrapolated_seconds_at_50M_5M"] = round(r["seconds"] * full / n, 1)
    doc = {"cores": os.cpu_count(), "sites": args.sites, "records": args.records,
           "sites_vcf_bytes": sites.stat().st_size, "gnomad_table_bytes": table_bytes,
           "results": results}  # fmt: skip
    shutil.rmtree(tmp, ignore_errors=True)
    (args.out / "results-annotate.json").write_text(json.dumps(doc, indent=2) + "\n")
    lines = ["| run | wall s | peak RSS MB | sites or records /s | s at 50 M / 5 M (linear) |",
             "|---|---|---|---|---|"]  # fmt: skip
    lines += [f"| {k} | {r['seconds']} | {r['peak_rss_mb']} | {r['per_second']:,} | "
              f"{r['extrapolated_seconds_at_50M_5M']} |" for k, r in results.items()]  # fmt: skip
    table = "\n".join(lines) + (
        f"\n\n{os.cpu_count()} cores; {args.sites:,} gnomAD-like sites "
        f"({sites.stat().st_size / 1e6:.0f} MB bgzipped -> {table_bytes / 1e6:.0f} MB Parquet), "
        f"{args.records:,} query records (half of them gnomAD sites).\n"
    )
    (args.out / "results-annotate.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
