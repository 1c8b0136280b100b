"""``varprio train``: fit the LightGBM ranker on spiked cases, with gene-grouped validation.

1. Every case is spiked into a background and featurised (:mod:`varprio.trainset`); a
   subsample of its rows is kept (one query group per case).
2. Genes are split into ``folds`` groups (no gene in both training and validation); a model
   per fold is fit on the other folds and every validation case is rebuilt in full and ranked
   by it, next to the transparent ranker and phenotype alone, with pessimistic ties.
3. The out-of-fold scores fit the calibration (isotonic: raw score -> probability causal).
4. The final model is fit on every case and written with its card and calibration.

Deterministic: fixed seeds, ``deterministic=True``, a fixed thread count, column-wise
histograms; the same input gives a byte-identical ``model.txt``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from varprio import __version__, pipeline
from varprio.benchmark import RANKINGS, read_cases, table_ranks, topk_metrics
from varprio.calibration import fit_isotonic
from varprio.errors import InputError, UsageError
from varprio.features import FEATURE_COLUMNS, FEATURE_INDEX, FEATURES
from varprio.kb.fetch import sha256sum
from varprio.ranker import CALIBRATION_FILE, CARD_FILE, MODEL_FILE, learned_scores
from varprio.report.atomic import atomic_text
from varprio.schemas import SCHEMA_VERSION
from varprio.trainset import (
    HARD_NEGATIVES,
    KEEP_MIN,
    RANDOM_NEGATIVES,
    TRIO_FRACTION,
    CaseRows,
    TrainingBackground,
    build_case,
    subsample,
    workdir,
)

log = logging.getLogger(__name__)

#: LightGBM parameters (``seed`` and ``num_threads`` are set from the options).
PARAMS: dict[str, Any] = {
    "objective": "rank_xendcg",
    "learning_rate": 0.1,
    "num_leaves": 7,
    "min_data_in_leaf": 100,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "max_bin": 63,
    "deterministic": True,
    "force_col_wise": True,
    "verbosity": -1,
}
NUM_ROUNDS = 100
#: Rows per validation case kept for calibration: the best CAL_TOP by raw score, and CAL_RANDOM
#: drawn from the rest, weighted by (rest / CAL_RANDOM).
CAL_TOP, CAL_RANDOM = 50, 100


@dataclass
class TrainOptions:
    """What ``varprio train`` was asked to do."""

    cases: Path
    backgrounds: list[Path]
    out: Path
    n: int | None = None
    per_gene: int | None = None
    folds: int = 5
    seed: int = 1
    split: str = "all"
    kgp_dir: Path | None = None  # peddy directory: augment backgrounds with 1000G genotypes
    rounds: int = NUM_ROUNDS
    threads: int = 2  # LightGBM training threads
    jobs: int = 1  # processes featurising and evaluating cases
    eval_per_gene: int = 3  # validation cases evaluated per gene
    name: str = "varprio-custom"
    version: str = "1"


@dataclass
class TrainingSet:
    """Subsampled rows of every usable case, grouped by case."""

    cases: list[dict] = field(default_factory=list)
    matrices: list[np.ndarray] = field(default_factory=list)
    labels: list[np.ndarray] = field(default_factory=list)
    #: False: the causal gene has no disease in the knowledge base (evaluated, not trained on)
    trainable: list[bool] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # causal variant not among candidates

    def trainable_among(self, which: np.ndarray) -> np.ndarray:
        """The indices of ``which`` that are trained on."""
        return np.array([i for i in which if self.trainable[i]], dtype=np.int64)

    def stack(self, which: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """Rows, labels and group sizes of the cases ``which`` (indices)."""
        mats = [self.matrices[i] for i in which]
        ys = [self.labels[i] for i in which]
        return np.concatenate(mats), np.concatenate(ys), [len(y) for y in ys]


def _background_of(case: dict, bgs: list[TrainingBackground]) -> TrainingBackground:
    """The background a case is spiked into (fixed by its ID)."""
    digest = hashlib.sha256(case["id"].encode()).digest()
    return bgs[int.from_bytes(digest[:4], "big") % len(bgs)]


#: Per-process worker state (resources, backgrounds, fold models), set by _init_worker.
_WORKER: dict[str, Any] = {}


def _init_worker(kb_path: Path, opts: TrainOptions, tmp: Path, models: list[str]) -> None:
    """Load the knowledge base, backgrounds and fold models in this process."""
    import lightgbm

    logging.getLogger("varprio").setLevel(logging.ERROR)  # terms newer than the KB's HPO
    res = pipeline.load_resources(kb_path, "varprio train", "transparent")
    own = tmp / f"worker-{os.getpid()}"
    own.mkdir(exist_ok=True)
    bgs = [TrainingBackground.load(res, p, own, opts.kgp_dir, opts.seed) for p in opts.backgrounds]
    boosters = [lightgbm.Booster(model_str=m) for m in models]
    _WORKER.update(res=res, bgs=bgs, tmp=own, opts=opts, boosters=boosters)


def _case_rows(case: dict) -> CaseRows:
    w = _WORKER
    bg = _background_of(case, w["bgs"])
    return build_case(w["res"], bg, case, w["opts"].seed, w["tmp"], augment=True)


def _featurise(case: dict) -> tuple[np.ndarray, np.ndarray] | None:
    """Subsampled (rows, labels) of one case; None when its causal variant is no candidate."""
    rows = _case_rows(case)
    if not rows.labels.any():
        return None
    keep = subsample(rows, _WORKER["opts"].seed, case["id"])
    return rows.matrix[keep], rows.labels[keep]


def _evaluate(task: tuple[dict, int]) -> tuple[dict, tuple]:
    """Ranks of one validation case under its fold's model and the baselines; calibration rows."""
    case, fold = task
    rows = _case_rows(case)
    raw = np.asarray(_WORKER["boosters"][fold].predict(rows.matrix, num_threads=1), np.float64)
    table = rows.table.append_column("transparent_score", rows.table["score"])
    score = pa.array(learned_scores(table, raw), pa.float64())
    table = table.drop_columns(["score"]).append_column("score", score)
    rng = random.Random(f"{_WORKER['opts'].seed}:{case['id']}:calibration")
    return table_ranks(table, case), _calibration_rows(raw, rows.labels, rng)


def _map(func: Callable, tasks: list, init: tuple, jobs: int) -> list:
    """``func`` over ``tasks`` in order, in ``jobs`` fresh processes (or this one)."""
    if jobs <= 1:
        _init_worker(*init)
        out = [func(t) for t in tasks]
        _WORKER.clear()
        return out
    with multiprocessing.get_context("spawn").Pool(jobs, _init_worker, init) as pool:
        return pool.map(func, tasks, chunksize=8)


def build_training_set(
    kb_path: Path, cases: list[dict], opts: TrainOptions, tmp: Path
) -> TrainingSet:
    """Featurise every case (augmented backgrounds) and keep the subsampled rows."""
    start = time.perf_counter()
    results = _map(_featurise, cases, (kb_path, opts, tmp, []), opts.jobs)
    data = TrainingSet()
    for case, result in zip(cases, results, strict=True):
        if result is None:
            data.dropped.append(case["id"])
        else:
            data.cases.append(case)
            data.matrices.append(result[0])
            data.labels.append(result[1])
            causal = result[0][result[1] == 1, FEATURE_INDEX["phenotype_score"]]
            data.trainable.append(bool(np.isfinite(causal).any()))
    log.info(
        "featurised %d cases in %.0f s; %d dropped (causal variant not a candidate), %d only "
        "evaluated (causal gene without a known disease)",
        len(cases), time.perf_counter() - start, len(data.dropped), data.trainable.count(False),
    )  # fmt: skip
    return data


def gene_folds(genes: list[str], k: int, seed: int) -> np.ndarray:
    """Fold of each case: genes (by case count, then hashed order) go to the smallest fold."""
    counts: dict[str, int] = {}
    for g in genes:
        counts[g] = counts.get(g, 0) + 1

    def key(g: str) -> tuple[int, str]:
        return (-counts[g], hashlib.sha256(f"{seed}:{g}".encode()).hexdigest())

    sizes = [0] * k
    fold_of: dict[str, int] = {}
    for g in sorted(counts, key=key):
        f = min(range(k), key=lambda j: (sizes[j], j))
        fold_of[g] = f
        sizes[f] += counts[g]
    return np.array([fold_of[g] for g in genes], dtype=np.int64)


def fit(x: np.ndarray, y: np.ndarray, groups: list[int], opts: TrainOptions) -> Any:
    """One LightGBM ranking model (deterministic)."""
    import lightgbm

    params = {**PARAMS, "seed": opts.seed, "num_threads": opts.threads}
    dataset = lightgbm.Dataset(
        x, label=y, group=groups, feature_name=list(FEATURE_COLUMNS), params=params,
        free_raw_data=False,
    )  # fmt: skip
    return lightgbm.train(params, dataset, num_boost_round=opts.rounds)


def _calibration_rows(raw: np.ndarray, y: np.ndarray, rng: random.Random) -> tuple:
    order = np.argsort(-raw, kind="stable")
    top, rest = order[:CAL_TOP], order[CAL_TOP:]
    gen = np.random.default_rng(rng.randrange(2**32))
    pick = gen.choice(rest, size=min(CAL_RANDOM, len(rest)), replace=False)
    weight = np.concatenate([np.ones(len(top)), np.full(len(pick), len(rest) / max(len(pick), 1))])
    idx = np.concatenate([top, pick])
    return raw[idx], y[idx].astype(np.float64), weight


def cross_validate(
    kb_path: Path, data: TrainingSet, opts: TrainOptions, tmp: Path
) -> tuple[list[dict], tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per-fold metrics of the model and the baselines, and out-of-fold calibration rows.

    Validation cases are rebuilt in full (every candidate row); at most ``eval_per_gene``
    cases per gene are evaluated.
    """
    genes = [c["genes"][0] for c in data.cases]
    folds = gene_folds(genes, opts.folds, opts.seed)
    models = []
    for k in range(opts.folds):
        train = data.trainable_among(np.flatnonzero(folds != k))
        models.append(fit(*data.stack(train), opts).model_to_string())
        log.info("fold %d: model fit", k)
    seen: dict[str, int] = {}
    tasks, task_fold = [], []
    for i, case in enumerate(data.cases):
        if seen.get(genes[i], 0) < opts.eval_per_gene:
            seen[genes[i]] = seen.get(genes[i], 0) + 1
            tasks.append((case, int(folds[i])))
            task_fold.append(int(folds[i]))
    results = _map(_evaluate, tasks, (kb_path, opts, tmp, models), opts.jobs)
    reports = []
    for k in range(opts.folds):
        mine = [j for j, f in enumerate(task_fold) if f == k]
        ranks = [results[j][0] for j in mine]
        for j, r in zip(mine, ranks, strict=True):
            r.update(id=tasks[j][0]["id"], gene=tasks[j][0]["genes"][0], fold=k)
        reports.append(_fold_report(k, [tasks[j][0]["genes"][0] for j in mine], ranks))
        log.info("fold %d: %s", k, _brief(reports[-1]["metrics"]))
    cal = [r[1] for r in results]
    x, y, w = (np.concatenate([c[j] for c in cal]) for j in range(3))
    return reports, (x, y, w)


def metrics_of(ranks: list[dict]) -> dict[str, dict[str, float]]:
    """Top-k and MRR per ranking and level."""
    out = {}
    for name in RANKINGS:
        prefix = "" if name == "model" else f"{name}_"
        for level in ("gene", "variant"):
            out[f"{name}_{level}"] = topk_metrics([r[f"{prefix}{level}_rank"] for r in ranks])
    return out


def _fold_report(k: int, genes: list[str], ranks: list[dict]) -> dict[str, Any]:
    return {"fold": k, "n_cases": len(ranks), "n_genes": len(set(genes)),
            "metrics": metrics_of(ranks), "ranks": ranks}  # fmt: skip


def _brief(m: dict[str, dict[str, float]]) -> str:
    return ", ".join(f"{k} top1 {v['top1']:.3f}" for k, v in m.items() if "top1" in v)


def _checksums(opts: TrainOptions) -> dict[str, Any]:
    return {
        "cases": {"path": str(opts.cases), "sha256": sha256sum(opts.cases)},
        "backgrounds": [{"path": str(p), "sha256": sha256sum(p)} for p in opts.backgrounds],
    }


def model_card(
    res: pipeline.Resources, opts: TrainOptions, data: TrainingSet, reports: list[dict],
    model_text: str, command: str,
) -> dict[str, Any]:  # fmt: skip
    """Everything needed to identify, reproduce and judge the model."""
    all_ranks = [r for rep in reports for r in rep.pop("ranks")]
    return {
        "name": opts.name,
        "version": opts.version,
        "varprio_version": __version__,
        "kb_schema_version": SCHEMA_VERSION,
        "kb": res.kb.label,
        "command": command,
        "features": list(FEATURE_COLUMNS),
        "feature_sources": {f.name: f.source for f in FEATURES},
        "params": {**PARAMS, "seed": opts.seed, "num_threads": opts.threads},
        "num_boost_round": opts.rounds,
        "training_data": {
            **_checksums(opts),
            "n": opts.n,
            "per_gene": opts.per_gene,
            "split": opts.split,
            "seed": opts.seed,
            "n_cases": len(data.cases),
            "dropped_cases": len(data.dropped),
            "evaluated_only_cases": data.trainable.count(False),
            "evaluated_only": "causal gene without a disease in the knowledge base: in the CV "
            "metrics, not trained on (they teach the model to promote calls in genes that the "
            "phenotype cannot point at)",
            "n_rows": int(sum(len(y) for y in data.labels)),
            "negatives": f"per case: causal rows, the {HARD_NEGATIVES} best by transparent "
            f"score, the {HARD_NEGATIVES} best by variant_score, {RANDOM_NEGATIVES} random",
            "augmentation": (
                f"{TRIO_FRACTION:.0%} of cases as trios with synthetic unaffected parents"
                if opts.kgp_dir is None
                else f"records kept with p ~ U({KEEP_MIN}, 1); 1000 Genomes sites: a random "
                f"person; {TRIO_FRACTION:.0%} of cases as trios with synthetic unaffected parents"
            ),
        },  # fmt: skip
        "training_genes": sorted(
            {c["genes"][0] for c, t in zip(data.cases, data.trainable, strict=True) if t}
        ),
        "cv": {
            "folds": opts.folds,
            "grouped_by": "gene",
            "per_fold": reports,
            "pooled": metrics_of(all_ranks),
        },  # fmt: skip
        "model_sha256": hashlib.sha256(model_text.encode()).hexdigest(),
    }


#: Per validation case: its out-of-fold ranks (``cv_cases.tsv`` beside the model).
CV_COLUMNS = (
    "id", "gene", "fold", "gene_rank", "variant_rank", "transparent_gene_rank",
    "transparent_variant_rank", "phenotype_gene_rank", "phenotype_variant_rank",
)  # fmt: skip
CV_FILE = "cv_cases.tsv"


def _write_cv_cases(out: Path, ranks: list[dict]) -> None:
    with atomic_text(out / CV_FILE) as fh:
        fh.write("\t".join(CV_COLUMNS) + "\n")
        for r in sorted(ranks, key=lambda r: (r["fold"], r["id"])):
            fh.write("\t".join("." if r[c] is None else str(r[c]) for c in CV_COLUMNS) + "\n")


def _write_model(out: Path, model_text: str, card: dict[str, Any], calibration: str) -> None:
    with atomic_text(out / MODEL_FILE) as fh:
        fh.write(model_text)
    with atomic_text(out / CALIBRATION_FILE) as fh:
        fh.write(calibration)
    with atomic_text(out / CARD_FILE) as fh:  # last: the card's checksum names model.txt
        fh.write(json.dumps(card, indent=1, sort_keys=True) + "\n")


def train_model(res: pipeline.Resources, opts: TrainOptions, command: str) -> dict[str, Any]:
    """Build the training set, cross-validate, fit and write the model; return its card."""
    if opts.folds < 2:
        raise UsageError("--folds: need at least 2 for gene-grouped validation")
    cases = read_cases(opts.cases, opts.n, opts.per_gene, opts.seed, opts.split)
    with workdir() as tmp_name:
        tmp = Path(tmp_name)
        data = build_training_set(res.kb.path, cases, opts, tmp)
        if len({c["genes"][0] for c in data.cases}) < opts.folds:
            raise InputError(f"{opts.cases}: fewer causal genes than --folds {opts.folds}")
        reports, (x, y, w) = cross_validate(res.kb.path, data, opts, tmp)
    _write_cv_cases(opts.out, [r for rep in reports for r in rep["ranks"]])
    booster = fit(*data.stack(data.trainable_among(np.arange(len(data.cases)))), opts)
    model_text = booster.model_to_string()
    card = model_card(res, opts, data, reports, model_text, command)
    _write_model(opts.out, model_text, card, fit_isotonic(x, y, w).to_json())
    return card
