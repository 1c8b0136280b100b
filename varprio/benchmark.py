"""``varprio benchmark``: spike published cases into a background exome, rank, and measure.

Ranks are pessimistic: a causal gene or variant tied with others on score is placed after all
of them, as PhEval does.
"""

from __future__ import annotations

import json
import logging
import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from varprio import pipeline
from varprio.contigs import harmonise
from varprio.errors import InputError
from varprio.spike import Background

log = logging.getLogger(__name__)
TOP_K = (1, 3, 5, 10)


@dataclass
class CaseRanks:
    """Where one case's causal gene and variant ended up."""

    id: str
    gene: str
    gene_rank: int | None  # None: not ranked at all
    variant_rank: int | None
    n_genes: int
    seconds: float


def read_cases(path: Path, n: int | None, per_gene: int | None, seed: int) -> list[dict]:
    """Cases from a JSON-lines file; optionally at most ``per_gene`` per gene, then ``n``."""
    try:
        cases = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read cases as JSON lines ({exc})") from exc
    rng = random.Random(seed)
    rng.shuffle(cases)
    if per_gene:
        seen: dict[str, int] = {}
        kept = []
        for c in cases:
            g = c["genes"][0]
            if seen.get(g, 0) < per_gene:
                kept.append(c)
                seen[g] = seen.get(g, 0) + 1
        cases = kept
    return cases[:n] if n else cases


def _pessimistic_rank(scores: np.ndarray, hit: np.ndarray) -> int | None:
    if not hit.any():
        return None
    best = scores[hit].max()
    return int((scores >= best).sum())


def case_ranks(result: pipeline.CaseResult, case: dict) -> tuple[int | None, int | None]:
    """Pessimistic ranks of the case's causal gene and best causal variant."""
    genes = set(case["genes"])
    g_scores = result.genes["score"].to_numpy()
    g_hit = np.isin(result.genes["gene"].to_numpy(zero_copy_only=False), list(genes))
    v = result.variants
    keys = pc.binary_join_element_wise(
        v["chrom"], pc.cast(v["pos"], pa.string()), v["ref"], v["alt"], ":"
    ).to_numpy(zero_copy_only=False)
    causal = {
        f"{harmonise(str(x['chrom']))}:{x['pos']}:{x['ref']}:{x['alt']}" for x in case["variants"]
    }
    uniq, inverse = np.unique(keys, return_inverse=True)
    best = np.full(len(uniq), -np.inf)
    np.maximum.at(best, inverse, v["score"].to_numpy())
    return (
        _pessimistic_rank(g_scores, g_hit),
        _pessimistic_rank(best, np.isin(uniq, list(causal))),
    )


def run_one(
    res: pipeline.Resources, bg: Background, case: dict, rng: random.Random, workdir: Path
) -> CaseRanks:
    """Spike one case, prioritise it, and find its causal gene and variant."""
    start = time.perf_counter()
    vcf = workdir / "case.vcf"
    vcf.write_text(bg.spiked(case["variants"], rng))
    observed = res.ontology.normalise(case["observed"], f"case {case['id']}", drop_unknown=True)
    excluded = res.ontology.normalise(
        case.get("excluded", []), f"case {case['id']}", drop_unknown=True
    )
    request = pipeline.CaseRequest(
        vcf=str(vcf),
        hpo=observed,
        hpo_file=None,
        exclude=excluded,
        phenopacket=None,
        sample=None,
        sex=case.get("sex"),
        top=None,
    )
    result = pipeline.run_case(res, request)
    g, v = case_ranks(result, case)
    return CaseRanks(
        case["id"], case["genes"][0], g, v, result.genes.num_rows, time.perf_counter() - start
    )


def summarise(ranks: list[CaseRanks]) -> dict[str, float]:
    """Top-k fractions and mean reciprocal rank, for genes and variants."""
    out: dict[str, float] = {"n_cases": len(ranks)}
    for level in ("gene", "variant"):
        r = np.array([getattr(x, f"{level}_rank") or 10**9 for x in ranks], dtype=np.float64)
        for k in TOP_K:
            out[f"{level}_top{k}"] = float((r <= k).mean()) if len(r) else 0.0
        out[f"{level}_mrr"] = float((1.0 / r).mean()) if len(r) else 0.0
    return out


def run_benchmark(
    res: pipeline.Resources, cases: list[dict], background: Path, seed: int
) -> tuple[list[CaseRanks], dict[str, float]]:
    """Spike and rank every case; return per-case ranks and the summary."""
    bg = Background.read(background)
    rng = random.Random(seed)
    ranks = []
    with tempfile.TemporaryDirectory(prefix="varprio-bench-") as tmp:
        for i, case in enumerate(cases, 1):
            ranks.append(run_one(res, bg, case, rng, Path(tmp)))
            log.info(
                "%d/%d %s: gene rank %s, variant rank %s",
                i,
                len(cases),
                case["id"],
                ranks[-1].gene_rank,
                ranks[-1].variant_rank,
            )
    return ranks, summarise(ranks)
