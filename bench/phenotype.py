"""Phenotype-only benchmark (issue 5): rank of the causal gene and of the diagnosed disease.

For each developer case (observed/excluded HPO terms, diagnosed disease, causal gene) the
patient is scored against every disease of the knowledge base; ranks are pessimistic (an item
tied with the causal one ranks ahead of it), a gene or disease absent from the knowledge base is
a miss.  Scores compared: ``resnik_bma``, ``resnik_sym``, ``lr_log10`` with and without the
excluded terms, ``legacy`` (the previous ``phenotype_score``: resnik_bma + 0.001 x observed
log10 LR, a gene taking its best disease), ``combined`` (the shipped score: conditional logit,
genes pooling their diseases by log-sum-exp) and ``combined+excluded`` (combined minus 1 per
excluded term contradicting a very frequent feature).  Genes take their best disease's value
except for ``combined``.

Cases are split by gene (sha256 of seed and symbol): half 0 tunes (``--fit`` refits
:data:`varprio.phenotype.matching.COMBINED_WEIGHTS` on it), half 1 is held out.  Also timed:
loading the phenotype part of the knowledge base and scoring one patient against all diseases.

Run: ``python bench/phenotype.py [--cases FILE] [--n N] [--seed S] [--fit]`` (``make bench``
runs it with ``--shared``); writes ``bench/results-phenotype.{md,json}``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from varprio.kb.load import KnowledgeBase, default_kb_path
from varprio.kb.sources.hpo import TABLE_NAMES, build_hpo_tables
from varprio.phenotype.matching import COMBINED_WEIGHTS, contradictions
from varprio.phenotype.ontology import Ontology
from varprio.phenotype.similarity import (
    DiseaseModels,
    PatientScores,
    disease_table,
    gene_logits,
    gene_table,
    score_patient,
)

HERE = Path(__file__).resolve().parent
SCORES = (
    "resnik_bma", "resnik_sym", "lr_log10", "lr_log10 (no excluded)", "legacy", "combined",
    "combined+excluded",
)  # fmt: skip
SPLITS = ("tuning", "held-out")
TOP = (1, 3, 10)
CALIBRATION_BINS = (0.0, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0)
FIT_CANDIDATES = 300  # diseases per case kept for fitting: the best by each of three scores
L2 = 1e-4


def load_kb(kb: Path | None, hpo_dir: Path | None) -> tuple[Ontology, DiseaseModels, float]:
    """Ontology and disease models, and the seconds taken (tables read + indexes built)."""
    start = time.perf_counter()
    if hpo_dir is not None:
        tables = build_hpo_tables(hpo_dir)[0]
        start = time.perf_counter()  # time the load, not the build
    else:
        base = KnowledgeBase(kb or default_kb_path())
        tables = {n: base.table(f"hpo/{n}") for n in TABLE_NAMES}
    ontology = Ontology.from_tables(tables)
    models = DiseaseModels.from_tables(tables, ontology)
    return ontology, models, time.perf_counter() - start


def gene_half(gene: str, seed: int) -> int:
    """0 (tuning) or 1 (held out), fixed by the gene symbol and the seed."""
    return hashlib.sha256(f"{seed}:{gene}".encode()).digest()[0] % 2


def load_cases(path: Path, n: int | None, seed: int) -> list[dict]:
    """Cases with a ``split`` field; up to ``n`` per split, drawn with ``seed``."""
    with open(path, encoding="utf-8") as fh:
        cases = [json.loads(line) for line in fh]
    rng = np.random.default_rng(seed)
    chosen = []
    for half, split in enumerate(SPLITS):
        pool = [c for c in cases if gene_half(c["genes"][0], seed) == half]
        if n is not None and n < len(pool):
            pool = [pool[i] for i in sorted(rng.choice(len(pool), n, replace=False))]
        chosen += [{**c, "split": split} for c in pool]
    return chosen


def _rank(values: np.ndarray, targets: np.ndarray) -> int:
    """Pessimistic rank of the best target (0: no target)."""
    if not len(targets):
        return 0
    return int((values >= values[targets].max()).sum())


def _gene_max(models: DiseaseModels, per_disease: np.ndarray) -> np.ndarray:
    out = np.full(len(models.genes), -np.inf)
    np.maximum.at(out, models.link_gene, per_disease[models.link_dis])
    return out


def disease_scores(
    ontology: Ontology, models: DiseaseModels, s: PatientScores, excluded: list[str]
) -> dict[str, np.ndarray]:
    """Every benchmarked score per disease."""
    observed_lr = s.obs_lr.sum(axis=0)
    return {
        "resnik_bma": s.resnik_bma,
        "resnik_sym": s.resnik_sym,
        "lr_log10": s.lr_log10,
        "lr_log10 (no excluded)": observed_lr,
        "legacy": s.resnik_bma + 0.001 * observed_lr,
        "combined": s.combined,
        "combined+excluded": s.combined - contradictions(ontology, models, excluded),
    }


def case_ranks(
    ontology: Ontology, models: DiseaseModels, case: dict, observed: list[str], excluded: list[str]
) -> tuple[dict[str, tuple[int, int]], float, PatientScores]:
    """(gene rank, disease rank) per score, the scoring time, and the scores."""
    start = time.perf_counter()
    s = score_patient(ontology, models, observed, excluded)
    gene_table(models, s)
    disease_table(models, s)
    seconds = time.perf_counter() - start
    genes = np.flatnonzero(np.isin(models.genes, case["genes"]))
    dis = np.asarray(
        [models.disease_index[d] for d in case["diseases"] if d in models.disease_index]
    )
    out = {}
    for name, values in disease_scores(ontology, models, s, excluded).items():
        per_gene = gene_logits(models, s) if name == "combined" else _gene_max(models, values)
        out[name] = (_rank(per_gene, genes), _rank(values, dis.astype(np.int64)))
    return out, seconds, s


def summarise(ranks: list[int]) -> dict[str, float]:
    """top-k fractions and mean reciprocal rank (misses count 0)."""
    r = np.asarray(ranks)
    found = r >= 1
    out = {f"top{k}": float((found & (r <= k)).mean()) for k in TOP}
    out["mrr"] = float(np.where(found, 1.0 / np.maximum(r, 1), 0.0).mean())
    return out


def _candidates(s: PatientScores, target: int) -> np.ndarray:
    keys = (s.combined, s.resnik_bma, s.obs_lr.sum(axis=0))
    top = [np.argsort(-k, kind="stable")[:FIT_CANDIDATES] for k in keys]
    return np.unique(np.concatenate([*top, [target]]))


def fit_example(s: PatientScores, case: dict, models: DiseaseModels) -> tuple | None:
    """(feature matrix over candidate diseases, row of the diagnosed disease) or None."""
    d = next((models.disease_index[x] for x in case["diseases"] if x in models.disease_index), None)
    if d is None or not s.observed:
        return None
    cand = _candidates(s, d)
    feats = s.features()
    x = np.stack(
        [np.broadcast_to(feats[k], (models.n_diseases,))[cand] for k in COMBINED_WEIGHTS], 1
    )
    return x, int(np.searchsorted(cand, d))


def _objective(examples: list[tuple], w: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Penalised conditional log-likelihood, its gradient and Hessian."""
    k = len(w)
    ll, grad, hess = 0.0, np.zeros(k), np.zeros((k, k))
    for x, y in examples:
        z = x @ w
        z -= z.max()
        p = np.exp(z)
        total = p.sum()
        p /= total
        ll += z[y] - np.log(total)
        mu = p @ x
        grad += x[y] - mu
        hess -= (x * p[:, None]).T @ x - np.outer(mu, mu)
    n = len(examples)
    return ll - 0.5 * L2 * n * (w @ w), grad - L2 * n * w, hess - L2 * n * np.eye(k)


def fit_weights(examples: list[tuple]) -> dict[str, float]:
    """Conditional-logit weights by damped Newton steps from zero."""
    w = np.zeros(len(COMBINED_WEIGHTS))
    obj, grad, hess = _objective(examples, w)
    for _ in range(100):
        step = -np.linalg.solve(hess, grad)
        t = 1.0
        while t > 1e-4 and _objective(examples, w + t * step)[0] < obj:
            t /= 2
        w = w + t * step
        obj, grad, hess = _objective(examples, w)
        if np.abs(t * step).max() < 1e-7:
            break
    return {k: round(float(v), 3) for k, v in zip(COMBINED_WEIGHTS, w, strict=True)}


def run(
    ontology: Ontology, models: DiseaseModels, cases: list[dict], fit: bool = False,
    progress: Callable[[int], None] | None = None,
) -> dict:  # fmt: skip
    """Ranks of every case, summaries per split/level/score, timings and fitted weights."""
    ranks: dict[tuple[str, str, str], list[int]] = {}
    top_p: dict[tuple[str, str], list[tuple[float, bool]]] = {}
    seconds, examples = [], []
    for i, case in enumerate(cases):
        observed = ontology.normalise(case["observed"], case["id"], drop_unknown=True)
        excluded = ontology.normalise(case["excluded"], case["id"], drop_unknown=True)
        out, sec, s = case_ranks(ontology, models, case, observed, excluded)
        seconds.append(sec)
        for name, (g, d) in out.items():
            for split in (case["split"], "all"):
                ranks.setdefault((split, "gene", name), []).append(g)
                ranks.setdefault((split, "disease", name), []).append(d)
        for level, p in (("gene", gene_logits(models, s).max()), ("disease", s.combined.max())):
            correct = out["combined"][0 if level == "gene" else 1] == 1
            top_p.setdefault((case["split"], level), []).append(
                (float(np.exp(p - s.log_normaliser)), correct)
            )
        if fit and case["split"] == SPLITS[0] and (ex := fit_example(s, case, models)):
            examples.append(ex)
        if progress:
            progress(i)
    result: dict = {
        "n_cases": {sp: sum(c["split"] == sp for c in cases) for sp in SPLITS},
        "timing": {"scoring_ms": _quantiles(np.asarray(seconds) * 1000)},
        "metrics": {" / ".join(k): summarise(v) for k, v in sorted(ranks.items())},
        "ceiling": _ceiling(models, cases),
        "calibration": {" / ".join(k): _calibration(v) for k, v in sorted(top_p.items())},
    }
    if fit:
        result["fitted_weights"] = fit_weights(examples)
        result["n_fit_cases"] = len(examples)
    return result


def _calibration(pairs: list[tuple[float, bool]]) -> list[dict[str, float]]:
    """Posterior of the top-ranked item against how often it is the right one, in bins."""
    p = np.asarray([x for x, _ in pairs])
    ok = np.asarray([y for _, y in pairs], dtype=float)
    which = np.clip(
        np.searchsorted(CALIBRATION_BINS, p, side="right") - 1, 0, len(CALIBRATION_BINS) - 2
    )
    out = []
    for b in range(len(CALIBRATION_BINS) - 1):
        sel = which == b
        if sel.any():
            out.append(
                {"bin": f"{CALIBRATION_BINS[b]:.1f}-{CALIBRATION_BINS[b + 1]:.1f}",
                 "n": int(sel.sum()), "mean_posterior": round(float(p[sel].mean()), 3),
                 "top1_rate": round(float(ok[sel].mean()), 3)}
            )  # fmt: skip
    return out


def _quantiles(ms: np.ndarray) -> dict[str, float]:
    return {q: round(float(np.percentile(ms, p)), 1) for q, p in (("median", 50), ("p95", 95))} | {
        "max": round(float(ms.max(initial=0)), 1)
    }


def _ceiling(models: DiseaseModels, cases: list[dict]) -> dict[str, dict[str, float]]:
    """Fraction of cases whose causal gene / diagnosed disease is in the knowledge base."""
    genes = set(models.genes.tolist())
    out = {}
    for split in SPLITS:
        sel = [c for c in cases if c["split"] == split]
        n = max(len(sel), 1)
        out[split] = {
            "gene": sum(any(g in genes for g in c["genes"]) for c in sel) / n,
            "disease": sum(any(d in models.disease_index for d in c["diseases"]) for c in sel) / n,
        }
    return out


def markdown(result: dict) -> str:
    """The results as markdown tables (percentages)."""
    lines = [
        f"cases: {result['n_cases']}; causal gene / diagnosed disease in the KB: "
        + "; ".join(
            f"{sp} {v['gene']:.1%} / {v['disease']:.1%}" for sp, v in result["ceiling"].items()
        ),
        "",
    ]
    for level in ("gene", "disease"):
        lines += [
            f"| {level} rank: score | "
            + " | ".join(f"{sp} top-1/3/10, MRR" for sp in SPLITS)
            + " |",
            "|---|" + "---|" * len(SPLITS),
        ]
        for name in SCORES:
            cells = []
            for sp in SPLITS:
                m = result["metrics"][f"{sp} / {level} / {name}"]
                cells.append(
                    " / ".join(f"{100 * m[f'top{k}']:.1f}" for k in TOP) + f", {m['mrr']:.3f}"
                )
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
    t = result["timing"]
    load = ""
    if "kb_load_s" in t:
        load = (
            f"KB load (phenotype tables): {t['kb_load_s']:.2f} s first in the process, "
            f"{t['kb_load_warm_s']:.2f} s again; "
        )
    ms = t["scoring_ms"]
    lines.append(
        f"{load}scoring one patient against all diseases and genes (both tables): "
        f"median {ms['median']} ms, p95 {ms['p95']} ms, max {ms['max']} ms"
    )
    lines += [
        "",
        "| held-out: top posterior | genes: n, mean posterior, top-1 rate | diseases: same |",
    ]
    lines.append("|---|---|---|")
    cal = {
        lv: {c["bin"]: c for c in result["calibration"][f"{SPLITS[1]} / {lv}"]}
        for lv in ("gene", "disease")
    }
    for b in sorted(set(cal["gene"]) | set(cal["disease"])):
        cells = [
            f"{c['n']}, {c['mean_posterior']:.2f}, {c['top1_rate']:.2f}"
            if (c := cal[lv].get(b))
            else "-"
            for lv in ("gene", "disease")
        ]
        lines.append(f"| {b} | " + " | ".join(cells) + " |")
    if "fitted_weights" in result:
        lines.append(
            f"\nweights fitted on {result['n_fit_cases']} tuning cases: {result['fitted_weights']}"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=HERE.parent.parent / "shared")
    ap.add_argument("--cases", type=Path, help="[default: SHARED/benchmark/cases_dev.jsonl]")
    ap.add_argument("--n", type=int, default=500, help="cases per split (0: all) [500]")
    ap.add_argument("--seed", type=int, default=0, help="gene split and sampling seed [0]")
    ap.add_argument("--kb", type=Path, help="knowledge base [the default one]")
    ap.add_argument("--hpo-dir", type=Path, help="build the HPO tables from this release instead")
    ap.add_argument("--fit", action="store_true", help="refit the combined weights (tuning half)")
    ap.add_argument("--out", type=Path, default=HERE / "results-phenotype", help="output prefix")
    args = ap.parse_args()
    logging.disable(logging.WARNING)  # case terms newer than the HPO release are dropped
    ontology, models, load_s = load_kb(args.kb, args.hpo_dir)
    cases = load_cases(
        args.cases or args.shared / "benchmark" / "cases_dev.jsonl", args.n or None, args.seed
    )

    def progress(i: int) -> None:
        if (i + 1) % 200 == 0:
            print(f"{i + 1}/{len(cases)} cases", file=sys.stderr)

    result = run(ontology, models, cases, args.fit, progress)
    warm = [load_kb(args.kb, args.hpo_dir)[2] for _ in range(3)]
    result["timing"]["kb_load_s"] = round(load_s, 3)
    result["timing"]["kb_load_warm_s"] = round(float(np.median(warm)), 3)
    result["settings"] = {"n_per_split": args.n, "seed": args.seed, "weights": COMBINED_WEIGHTS}
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    text = markdown(result)
    args.out.with_suffix(".md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
