"""``varprio benchmark``: spike published cases into a background exome, rank, and measure.

Every case runs through the real :func:`varprio.pipeline.run_case`.  Ranks are pessimistic: a
causal gene or variant tied with others on score is placed after all of them, as PhEval does.
Three rankings are measured on the same run: the chosen ranker (``score``), the transparent
ranker (``transparent_score``, kept in every result) and phenotype alone (``phenotype_score``
of the gene; at variant level every variant of a gene ties).
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from varprio import pipeline
from varprio.contigs import harmonise
from varprio.errors import InputError
from varprio.regions import Regions
from varprio.spike import Background, Classifier

log = logging.getLogger(__name__)
TOP_K = (1, 3, 5, 10)
#: Name of each ranking measured, and the result column it ranks by.
RANKINGS = {"model": "score", "transparent": "transparent_score", "phenotype": "phenotype_score"}
#: Percentage of genes (by sha256 of the symbol) in the ``train`` split; the rest: ``holdout``.
TRAIN_PERCENT = 80
SPLITS = ("all", "train", "holdout")


def gene_split(gene: str) -> str:
    """``train`` for a fixed, hashed 80 % of gene symbols, ``holdout`` for the others."""
    bucket = int(hashlib.sha256(gene.encode()).hexdigest(), 16) % 100
    return "train" if bucket < TRAIN_PERCENT else "holdout"


def donor_classifier(res: pipeline.Resources) -> Classifier:
    """Donor class of a call for spiking: SNV or indel, in an exon or its flank (the regions
    of interest); None outside them (calls there never compete with a spiked variant)."""
    exons = Regions.from_exons(res.kb.table("gene_models/exons"), pad=0)

    def inside(regions: Regions, chrom: str, pos: int) -> bool:
        starts = regions.starts.get(chrom)
        if starts is None:
            return False
        j = int(np.searchsorted(starts, pos, side="right")) - 1
        return j >= 0 and pos <= int(regions.ends[chrom][j])

    def classify(chrom: str, pos: int, ref: str, alt: str) -> str | None:
        where = "exon" if inside(exons, chrom, pos) else "flank"
        if where == "flank" and not inside(res.regions, chrom, pos):
            return None
        return f"{'snv' if len(ref) == len(alt) == 1 else 'indel'}:{where}"

    return classify


def read_cases(
    path: Path, n: int | None, per_gene: int | None, seed: int, split: str = "all"
) -> list[dict]:
    """Cases from a JSON-lines file: of ``split``'s genes, at most ``per_gene`` each, then ``n``."""
    try:
        cases = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read cases as JSON lines ({exc})") from exc
    if split != "all":
        cases = [c for c in cases if gene_split(c["genes"][0]) == split]
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


def causal_key(v: dict) -> str:
    """``chrom:pos:REF:ALT`` of a case variant, contig harmonised."""
    ref, alt = str(v["ref"]).upper(), str(v["alt"]).upper()
    return f"{harmonise(str(v['chrom']))}:{v['pos']}:{ref}:{alt}"


class RankIndex:
    """Where a case's causal genes and variants are among a table's rows, for any score."""

    def __init__(self, table: pa.Table, case: dict) -> None:
        genes = pc.fill_null(table["gene"], "").to_numpy(zero_copy_only=False).astype(str)
        hgnc = pc.fill_null(table["hgnc_id"], "").to_numpy(zero_copy_only=False).astype(str)
        ids = {v.get("hgnc") for v in case["variants"]} - {None}
        self.gene_names, self.gene_of = np.unique(genes, return_inverse=True)
        hit = np.isin(genes, list(case["genes"])) | np.isin(hgnc, list(ids))
        self.gene_hit = np.zeros(len(self.gene_names), bool)
        self.gene_hit[self.gene_of[hit]] = True
        keys = pc.binary_join_element_wise(
            table["chrom"], pc.cast(table["pos"], pa.string()), table["ref"], table["alt"], ":"
        ).to_numpy(zero_copy_only=False)
        uniq, self.variant_of = np.unique(keys, return_inverse=True)
        self.variant_hit = np.isin(uniq, [causal_key(v) for v in case["variants"]])

    @staticmethod
    def _pessimistic(best: np.ndarray, hit: np.ndarray) -> int | None:
        if not hit.any():
            return None
        return int((best >= best[hit].max()).sum())

    def ranks(self, score: np.ndarray) -> tuple[int | None, int | None]:
        """Pessimistic (gene, variant) ranks; a gene or variant takes its best row's score."""
        s = np.nan_to_num(np.asarray(score, np.float64), nan=-np.inf)
        g = np.full(len(self.gene_names), -np.inf)
        np.maximum.at(g, self.gene_of, s)
        v = np.full(len(self.variant_hit), -np.inf)
        np.maximum.at(v, self.variant_of, s)
        return self._pessimistic(g, self.gene_hit), self._pessimistic(v, self.variant_hit)


@dataclass
class CaseRanks:
    """Where one case's causal gene and variant ended up under each ranking (None: unranked)."""

    id: str
    gene: str
    gene_rank: int | None
    variant_rank: int | None
    transparent_gene_rank: int | None
    transparent_variant_rank: int | None
    phenotype_gene_rank: int | None
    phenotype_variant_rank: int | None
    n_genes: int
    seconds: float
    gene_in_training: bool | None = None
    top_gene: str | None = None
    top_probability: float | None = None  # calibrated probability of the top-ranked variant


def table_ranks(table: pa.Table, case: dict) -> dict[str, int | None]:
    """Ranks of the causal gene and variant under every ranking of :data:`RANKINGS`."""
    index = RankIndex(table, case)
    out: dict[str, int | None] = {}
    for name, column in RANKINGS.items():
        prefix = "" if name == "model" else f"{name}_"
        score = pc.fill_null(pc.cast(table[column], pa.float64()), np.nan).to_numpy()
        out[f"{prefix}gene_rank"], out[f"{prefix}variant_rank"] = index.ranks(score)
    return out


def case_request(res: pipeline.Resources, case: dict, vcf: Path) -> pipeline.CaseRequest:
    """The prioritize request of a benchmark case (terms unknown to the KB dropped)."""
    where = f"case {case['id']}"
    return pipeline.CaseRequest(
        vcf=str(vcf),
        hpo=res.ontology.normalise(case["observed"], where, drop_unknown=True),
        hpo_file=None,
        exclude=res.ontology.normalise(case.get("excluded", []), where, drop_unknown=True),
        phenopacket=None,
        sample=None,
        sex=case.get("sex"),
        top=None,
    )


class Spiker(Protocol):
    """What :func:`run_one` spikes a case into: a :class:`Background`, or one altered
    (:class:`varprio.robustness.PersonBackground`)."""

    def spiked(self, variants: list[dict], rng: random.Random) -> str:
        """VCF text of the background with ``variants`` spiked in."""
        ...


def run_one(
    res: pipeline.Resources,
    bg: Spiker,
    case: dict,
    rng: random.Random,
    workdir: Path,
    pheval_dir: Path | None = None,
) -> CaseRanks:
    """Spike one case, prioritise it, and find its causal gene and variant."""
    from varprio.report.pheval import write_pheval

    start = time.perf_counter()
    vcf = workdir / "case.vcf"
    vcf.write_text(bg.spiked(case["variants"], rng))
    result = pipeline.run_case(res, case_request(res, case, vcf))
    ranks = table_ranks(result.variants, case)
    if pheval_dir is not None:
        write_pheval(result, case["id"], pheval_dir)
    training = getattr(res.ranker, "card", {}).get("training_genes")
    top = result.variants.slice(0, 1).select(["gene", "probability"]).to_pylist()
    return CaseRanks(
        case["id"],
        case["genes"][0],
        n_genes=result.genes.num_rows,
        seconds=time.perf_counter() - start,
        gene_in_training=None if training is None else case["genes"][0] in set(training),
        top_gene=top[0]["gene"] if top else None,
        top_probability=top[0]["probability"] if top else None,
        **ranks,  # type: ignore[arg-type]
    )


def topk_metrics(ranks: list[int | None]) -> dict[str, float]:
    """Fractions in the top 1/3/5/10 and the mean reciprocal rank (unranked: 0)."""
    r = np.array([x or 10**9 for x in ranks], dtype=np.float64)
    out = {f"top{k}": float((r <= k).mean()) if len(r) else 0.0 for k in TOP_K}
    out["mrr"] = float((1.0 / r).mean()) if len(r) else 0.0
    return out


def summarise(ranks: list[CaseRanks]) -> dict[str, float]:
    """Top-k fractions and MRR for genes and variants, per ranking (model keys unprefixed)."""
    out: dict[str, float] = {"n_cases": len(ranks)}
    probs = [r.top_probability for r in ranks if r.top_probability is not None]
    if probs:  # calibration: compare with variant_top1
        out["mean_top_probability"] = float(np.mean(probs))
    for name in RANKINGS:
        prefix = "" if name == "model" else f"{name}_"
        for level in ("gene", "variant"):
            values = [getattr(x, f"{prefix}{level}_rank") for x in ranks]
            for key, value in topk_metrics(values).items():
                out[f"{prefix}{level}_{key}"] = value
    return out


def run_benchmark(
    res: pipeline.Resources,
    cases: list[dict],
    background: Path,
    seed: int,
    pheval_dir: Path | None = None,
) -> tuple[list[CaseRanks], dict[str, float]]:
    """Spike and rank every case; return per-case ranks and the summary."""
    bg = Background.read(background, donor_classifier(res))
    rng = random.Random(seed)
    ranks = []
    with tempfile.TemporaryDirectory(prefix="varprio-bench-") as tmp:
        for i, case in enumerate(cases, 1):
            ranks.append(run_one(res, bg, case, rng, Path(tmp), pheval_dir))
            log.info("%d/%d %s: gene rank %s, variant rank %s", i, len(cases), case["id"],
                     ranks[-1].gene_rank, ranks[-1].variant_rank)  # fmt: skip
    return ranks, summarise(ranks)
