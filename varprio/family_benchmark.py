"""``varprio benchmark --trio``: does adding the family (PED) help, or at least not hurt?

Each case is spiked into the background once, as the child.  Two unaffected parents are
synthesised from the child's genotypes (:func:`varprio.spike.synthetic_parents`: every
background allele comes from one parent, 0.2 % are apparent de novo calls, and the causal
variants follow the case's mode: one heterozygous variant de novo, two heterozygous ones
from one parent each, a homozygous one from both, a male's X from his mother).  The same
child is ranked alone and as a trio with its PED; the ranks of the causal gene and variant
are compared case by case.
"""

from __future__ import annotations

import json
import logging
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from varprio import pipeline
from varprio.benchmark import case_request, causal_key, donor_classifier, table_ranks, topk_metrics
from varprio.cohort import variant_key
from varprio.inheritance import non_par_x
from varprio.report.atomic import atomic_text
from varprio.spike import (
    BENCHMARK_DE_NOVO_NOISE,
    Background,
    synthetic_parents,
)

log = logging.getLogger(__name__)
PED = "#family\tindividual\tfather\tmother\tsex\tphenotype\n"
_SEX_CODE = {"MALE": "1", "FEMALE": "2"}


def _parent_field(keys: list[str], child: list[str], alleles: list[str], n_alleles: int) -> str:
    """A parent's sample field in the child's FORMAT: GT, matching AD, the child's DP/GQ."""
    values = dict(zip(keys, child, strict=False))
    dp = int(values["DP"]) if values.get("DP", ".").isdigit() else 30
    out = []
    for key in keys:
        if key == "GT":
            out.append("/".join(alleles))
        elif key == "AD":
            ad = [0] * n_alleles
            for a in alleles:
                ad[int(a)] += dp // len(alleles)
            out.append(",".join(map(str, ad)))
        elif key in ("DP", "GQ"):
            out.append(values.get(key, "."))
        else:
            out.append(".")
    return ":".join(out)


def trio_text(child_vcf: str, case: dict, sex: str | None, seed: int) -> str:
    """The child's single-sample VCF text with father and mother columns added."""
    lines = child_vcf.rstrip("\n").split("\n")
    head = [ln for ln in lines if ln.startswith("#")]
    recs = [ln.split("\t") for ln in lines if not ln.startswith("#")]
    gts = [r[9].split(":", 1)[0].replace("|", "/").split("/") for r in recs]
    carried = [[a for a in gt if a not in ("0", ".")] for gt in gts]
    alt = np.array([len(c) if "." not in gt else -1 for c, gt in zip(carried, gts, strict=True)])
    chrom = np.array([r[0] for r in recs])
    pos = np.array([int(r[1]) for r in recs])
    son_x = non_par_x(chrom, pos) & (sex == "MALE")
    keys = np.array([f"{r[0]}:{r[1]}:{r[3]}:{r[4]}" for r in recs])
    father, mother = synthetic_parents(keys, chrom, pos, alt, case["variants"], sex, seed,
                                       BENCHMARK_DE_NOVO_NOISE)  # fmt: skip
    out = head[:-1] + [head[-1] + "\tfather\tmother"]
    for i, r in enumerate(recs):
        fmt = r[8].split(":")
        child = r[9].split(":")
        n_alleles = len(r[4].split(",")) + 1
        # the father transmits the child's first ALT allele, the mother the last
        pick = carried[i] or ["1"]
        f_alleles = (["0"] * 2 + [pick[0]] * int(father[i]))[-2:]
        m_alleles = (["0"] * 2 + [pick[-1]] * int(mother[i]))[-2:]
        if son_x[i]:
            f_alleles = f_alleles[-1:]  # a man's X: haploid
        fields = [_parent_field(fmt, child, a, n_alleles) for a in (f_alleles, m_alleles)]
        out.append("\t".join([*r, *fields]))
    return "\n".join(out) + "\n"


def ped_text(sex: str | None) -> str:
    """The synthetic trio's PED: an affected proband and two unaffected parents."""
    code = _SEX_CODE.get(sex or "", "0")
    return PED + f"fam\tproband\tfather\tmother\t{code}\t2\nfam\tfather\t0\t0\t1\t1\n" \
        "fam\tmother\t0\t0\t2\t1\n"  # fmt: skip


def _proband_header(text: str) -> str:
    """Rename the single sample column of a spiked VCF to ``proband``."""
    head, _, body = text.partition("\n#CHROM")
    chrom_line, _, rest = body.partition("\n")
    cols = chrom_line.split("\t")
    cols[-1] = "proband"
    return f"{head}\n#CHROM{chr(9).join(cols)}\n{rest}"


def run_trio_benchmark(
    res: pipeline.Resources, cases: list[dict], background: Path, seed: int
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Rank every case alone and as a trio; per-case ranks and the summary."""
    bg = Background.read(background, donor_classifier(res))
    rows = []
    with tempfile.TemporaryDirectory(prefix="varprio-trio-") as tmp:
        work = Path(tmp)
        for n, case in enumerate(cases, 1):
            start = time.perf_counter()
            rng = random.Random(f"{seed}:{case['id']}")
            child = _proband_header(bg.spiked(case["variants"], rng))
            sex = (case.get("sex") or "").upper() or None
            (work / "child.vcf").write_text(child)
            (work / "trio.vcf").write_text(trio_text(child, case, sex, rng.randrange(2**32)))
            (work / "trio.ped").write_text(ped_text(sex))
            alone = pipeline.run_case(res, case_request(res, case, work / "child.vcf"))
            request = case_request(res, case, work / "trio.vcf")
            request.ped = str(work / "trio.ped")
            trio = pipeline.run_case(res, request)
            a, t = table_ranks(alone.variants, case), table_ranks(trio.variants, case)
            causal = pa.array(sorted({causal_key(v) for v in case["variants"]}), pa.string())
            hit = pc.is_in(variant_key(trio.variants), value_set=causal)
            fits = trio.variants["genotype_fit"].filter(hit).to_pylist()
            rows.append({
                "id": case["id"], "gene": case["genes"][0],
                "gene_rank_alone": a["gene_rank"], "gene_rank_trio": t["gene_rank"],
                "variant_rank_alone": a["variant_rank"], "variant_rank_trio": t["variant_rank"],
                "causal_fit_trio": ",".join(sorted({str(f) for f in fits})),
                "seconds": round(time.perf_counter() - start, 2),
            })  # fmt: skip
            log.info("%d/%d %s: gene rank %s alone, %s as a trio", n, len(cases), case["id"],
                     a["gene_rank"], t["gene_rank"])  # fmt: skip
    return rows, summarise_trio(rows)


def summarise_trio(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Top-k alone and as trios, and how many cases got worse or better with the PED."""
    out: dict[str, Any] = {"n_cases": len(rows)}
    for level in ("gene", "variant"):
        for how in ("alone", "trio"):
            out[f"{level}_{how}"] = topk_metrics([r[f"{level}_rank_{how}"] for r in rows])
        big = 10**9
        pairs = [(r[f"{level}_rank_alone"] or big, r[f"{level}_rank_trio"] or big) for r in rows]
        out[f"{level}_worse"] = sum(t > a for a, t in pairs)
        out[f"{level}_better"] = sum(t < a for a, t in pairs)
    return out


def write_trio_benchmark(
    out: Path, rows: list[dict[str, Any]], summary: dict[str, Any], meta: dict[str, Any]
) -> None:
    """``trio_summary.json``, ``trio_summary.md`` and ``trio_cases.tsv`` in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    with atomic_text(out / "trio_summary.json") as fh:
        fh.write(json.dumps({"meta": meta, "summary": summary}, indent=2, sort_keys=True) + "\n")
    lines = [
        f"# varprio trio benchmark ({summary['n_cases']} cases)", "",
        f"`{meta.get('command', '')}`", "",
        "| level | ranked | top-1 | top-3 | top-5 | top-10 | MRR | cases worse | cases better |",
        "|---|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for level in ("gene", "variant"):
        for how in ("alone", "trio"):
            m = summary[f"{level}_{how}"]
            tail = (f"{summary[f'{level}_worse']} | {summary[f'{level}_better']}"
                    if how == "trio" else " | ")  # fmt: skip
            cells = [f"{m[f'top{k}']:.1%}" for k in (1, 3, 5, 10)] + [f"{m['mrr']:.3f}"]
            lines.append(f"| {level} | {how} | {' | '.join(cells)} | {tail} |")
    with atomic_text(out / "trio_summary.md") as fh:
        fh.write("\n".join(lines) + "\n")
    names = list(rows[0]) if rows else ["id"]
    with atomic_text(out / "trio_cases.tsv") as fh:
        fh.write("\t".join(names) + "\n")
        for r in rows:
            fh.write("\t".join("" if r[k] is None else str(r[k]) for k in names) + "\n")
