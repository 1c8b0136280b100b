"""Training: gene-grouped folds, determinism, one feature code path, spikes that cannot be told
from the background, and the train/benchmark commands."""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from click.testing import CliRunner, Result
from conftest import TEST_DATA, shared_path

from varprio import pipeline
from varprio.benchmark import donor_classifier, read_cases
from varprio.cli import main
from varprio.features import FEATURE_COLUMNS, featurize
from varprio.io.ped import Family
from varprio.ranker import CALIBRATION_FILE, CARD_FILE, MODEL_FILE, TransparentRanker
from varprio.spike import Classifier
from varprio.train import gene_folds
from varprio.trainset import TrainingBackground, build_case, read_candidate_rows, workdir

TRAIN = TEST_DATA / "train"
CASES_DEV = "benchmark/cases_dev.jsonl"
EXOME = "benchmark/background/pfeiffer_exome.GRCh38.vcf.gz"
QUALITY = ("qual", "dp", "gq", "allele_balance", "filter_pass")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, ["-q", *args])


def tiny_train(kb: Path, out: Path, *extra: str) -> Result:
    return invoke("train", "--kb", str(kb), "--cases", str(TRAIN / "cases.jsonl"),
                  "--background", str(TRAIN / "background.vcf"), "--out", str(out),
                  "--folds", "2", "--rounds", "15", "--seed", "3",
                  "--kgp-dir", str(TEST_DATA / "kb" / "peddy"), *extra)  # fmt: skip


def test_gene_folds_never_share_a_gene() -> None:
    genes = [f"G{i % 23}" for i in range(400)] + ["BIG"] * 60
    folds = gene_folds(genes, 5, seed=1)
    for g in set(genes):
        assert len({int(f) for f, x in zip(folds, genes, strict=True) if x == g}) == 1
    sizes = np.bincount(folds)
    assert sizes.max() - sizes.min() <= 60
    assert gene_folds(genes, 5, seed=1).tolist() == folds.tolist()


def test_training_is_deterministic(tiny_kb: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        r = tiny_train(tiny_kb, out)
        assert r.exit_code == 0, r.output
    assert (a / MODEL_FILE).read_bytes() == (b / MODEL_FILE).read_bytes()
    assert (a / CALIBRATION_FILE).read_bytes() == (b / CALIBRATION_FILE).read_bytes()
    assert (a / "cv_cases.tsv").read_bytes() == (b / "cv_cases.tsv").read_bytes()
    card = json.loads((a / CARD_FILE).read_text())
    assert card["features"] == list(FEATURE_COLUMNS)
    assert card["cv"]["grouped_by"] == "gene" and len(card["cv"]["per_fold"]) == 2
    for fold in card["cv"]["per_fold"]:
        assert {"model_gene", "model_variant", "transparent_gene", "phenotype_gene"} <= set(
            fold["metrics"]
        )
    assert card["training_data"]["cases"]["sha256"] and card["params"]["deterministic"]


def test_trained_model_prioritizes_and_benchmarks(tiny_kb: Path, tmp_path: Path) -> None:
    model = tmp_path / "model"
    assert tiny_train(tiny_kb, model).exit_code == 0
    case = TEST_DATA / "kb" / "case.vcf"
    r = invoke("prioritize", str(case), "--hpo", "HP:0002123", "--kb", str(tiny_kb),
               "--model", str(model))  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "##model=name=varprio-custom;version=1;sha256=" in r.stdout
    out = tmp_path / "bench"
    r = invoke("benchmark", "--kb", str(tiny_kb), "--cases", str(TRAIN / "cases.jsonl"),
               "--background", str(TRAIN / "background.vcf"), "--out", str(out),
               "--model", str(model), "--n", "6")  # fmt: skip
    assert r.exit_code == 0, r.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["summary"]["n_cases"] == 6
    assert summary["meta"]["cases_with_gene_in_model_training"] == 6  # trained on all of them
    cases = (out / "cases.tsv").read_text().splitlines()
    assert cases[0].startswith("id\tgene\tgene_rank\tvariant_rank") and len(cases) == 7
    first = cases[1].split("\t")[0]
    gene_file = out / "pheval_gene_results" / f"{first}-pheval_gene_result.tsv"
    assert gene_file.read_text().splitlines()[0] == "rank\tscore\tgene_symbol\tgene_identifier"
    variant_file = out / "pheval_variant_results" / f"{first}-pheval_variant_result.tsv"
    head, row = variant_file.read_text().splitlines()[:2]
    assert head == "rank\tscore\tchromosome\tstart\tend\tref\talt"
    assert not row.split("\t")[2].startswith("chr")
    assert "| transparent ranker | gene |" in (out / "summary.md").read_text()


def test_benchmark_transparent_on_tiny_kb(tiny_kb: Path, tmp_path: Path) -> None:
    out = tmp_path / "bench"
    r = invoke("benchmark", "--kb", str(tiny_kb), "--cases", str(TRAIN / "cases.jsonl"),
               "--background", str(TRAIN / "background.vcf"), "--out", str(out),
               "--model", "transparent", "--per-gene", "1")  # fmt: skip
    assert r.exit_code == 0, r.output
    summary = json.loads((out / "summary.json").read_text())["summary"]
    assert summary["n_cases"] == 4
    assert summary["gene_top1"] == summary["transparent_gene_top1"]


def test_train_refuses_too_few_genes_for_the_folds(tiny_kb: Path, tmp_path: Path) -> None:
    r = tiny_train(tiny_kb, tmp_path / "m", "--folds", "9")
    assert r.exit_code == 2 and "fewer causal genes" in r.stderr


class _Recording(TransparentRanker):
    """The transparent ranker, keeping the feature matrix of what prioritize scored."""

    def score_variants(
        self, candidates: pa.Table, sex: str | None, family: Family | None = None
    ) -> pa.Table:
        self.table, self.matrix = featurize(candidates, sex, family)
        return super().score_variants(candidates, sex, family)


def _keys(table: pa.Table) -> list[str]:
    cols = table.select(["chrom", "pos", "ref", "alt", "gene"]).to_pylist()
    return [":".join(str(v) for v in row.values()) for row in cols]


def _equivalent(res: pipeline.Resources, bg: Path, case: dict, tmp: Path) -> None:
    with workdir() as scratch:
        background = TrainingBackground.load(res, bg, Path(scratch), None, seed=5)
        trained = build_case(res, background, case, 5, Path(scratch), augment=False)
    vcf = tmp / f"{case['id']}.vcf"
    vcf.write_text(background.spike.spiked(case["variants"], random.Random(f"5:{case['id']}")))
    from varprio.benchmark import case_request

    recorder = _Recording()
    res.ranker = recorder
    pipeline.run_case(res, case_request(res, case, vcf))
    run = dict(zip(_keys(recorder.table), recorder.matrix, strict=True))
    train = dict(zip(_keys(trained.table), trained.matrix, strict=True))
    assert set(run) == set(train), "prioritize and training see different candidate rows"
    for key, values in train.items():
        np.testing.assert_array_equal(values, run[key], err_msg=key)
    assert trained.labels.sum() >= 1


def test_training_features_equal_prioritize_features_tiny(tiny_kb: Path, tmp_path: Path) -> None:
    res = pipeline.load_resources(tiny_kb, "pytest", "transparent")
    cases = read_cases(TRAIN / "cases.jsonl", None, None, seed=1)
    for case in cases[:4]:
        _equivalent(res, TRAIN / "background.vcf", case, tmp_path)


@pytest.mark.shared
def test_training_features_equal_prioritize_features(default_kb: Path, tmp_path: Path) -> None:
    """A real case spiked into the real exome: the training path and prioritize agree."""
    res = pipeline.load_resources(default_kb, "pytest", "transparent")
    cases = read_cases(shared_path(CASES_DEV), 2, 1, seed=4)
    logging.disable(logging.WARNING)
    try:
        for case in cases:
            _equivalent(res, shared_path(EXOME), case, tmp_path)
    finally:
        logging.disable(logging.NOTSET)


def _ks(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic."""
    grid = np.sort(np.concatenate([a, b]))
    fa = np.searchsorted(np.sort(a), grid, side="right") / len(a)
    fb = np.searchsorted(np.sort(b), grid, side="right") / len(b)
    return float(np.abs(fa - fb).max())


def _calls(rows: pa.Table, classify: Classifier) -> dict[str, np.ndarray]:
    """Call-quality values of candidate rows (one per record), their genotype and class."""
    _, first = np.unique(rows["record"].to_numpy(), return_index=True)
    rows = rows.take(pa.array(first))
    out = {}
    for name in ("qual", "dp", "gq", "ad_ref", "ad_alt"):
        out[name] = pc.fill_null(pc.cast(rows[name], pa.float64()), np.nan).to_numpy()
    depth = out.pop("ad_ref") + out["ad_alt"]
    out["allele_balance"] = np.where(depth > 0, out.pop("ad_alt") / np.maximum(depth, 1), np.nan)
    out["filter_pass"] = pc.equal(rows["filter"], "PASS").to_numpy(zero_copy_only=False)
    hom = rows["alt_count"].to_numpy() == 2
    sites = rows.select(["chrom", "pos", "ref", "alt"]).to_pylist()
    kinds = [classify(r["chrom"], r["pos"], r["ref"], r["alt"]) for r in sites]
    out["stratum"] = np.array(
        [f"{'hom' if h else 'het'} {k}" for h, k in zip(hom, kinds, strict=True)]
    )
    return out


def spike_quality_gaps(res: pipeline.Resources, bg: TrainingBackground, cases: list[dict],
                       tmp: Path) -> dict[str, tuple[float, float]]:  # fmt: skip
    """KS statistic and its 0.1 % critical value, spiked vs background calls, per genotype,
    donor class (SNV/indel, exon/flank) and field; strata with >= 50 spikes."""
    rng = random.Random(3)
    records = [r for c in cases for r in bg.spike.spike_records(c["variants"], rng).values()]
    path = tmp / "spikes.vcf"
    path.write_text("\n".join([*bg.spike.header, *("\t".join(r) for r in records)]) + "\n")
    classify = donor_classifier(res)
    spiked = _calls(read_candidate_rows(res, path), classify)
    background = _calls(bg.rows, classify)
    gaps = {}
    for stratum in np.unique(spiked["stratum"]):
        s_sel, b_sel = spiked["stratum"] == stratum, background["stratum"] == stratum
        if s_sel.sum() < 50 or b_sel.sum() < 50:
            continue
        for name in QUALITY:
            s, b = spiked[name][s_sel], background[name][b_sel]
            s, b = s[~np.isnan(s)], b[~np.isnan(b)]
            crit = 1.95 * np.sqrt((len(s) + len(b)) / (len(s) * len(b)))
            gaps[f"{stratum} {name}"] = (_ks(s, b), float(crit))
    return gaps


@pytest.mark.shared
def test_spiked_records_cannot_be_told_from_background(default_kb: Path, tmp_path: Path) -> None:
    """QUAL, DP, GQ, allele balance and FILTER of spiked calls follow those of the background's
    candidate calls of the same genotype (two-sample KS test at 0.1 %, thousands of spikes);
    ID and INFO are gone from every record."""
    res = pipeline.load_resources(default_kb, "pytest", "transparent")
    cases = read_cases(shared_path(CASES_DEV), None, None, seed=8)
    bg = TrainingBackground.load(res, shared_path(EXOME), tmp_path, None, seed=2)
    text = bg.spike.spiked(cases[0]["variants"], random.Random(1))
    body = [ln.split("\t") for ln in text.splitlines() if not ln.startswith("#")]
    assert {r[2] for r in body} == {"."} and {r[7] for r in body} == {"."}
    gaps = spike_quality_gaps(res, bg, cases, tmp_path)
    bad = {k: v for k, v in gaps.items() if v[0] > v[1]}
    assert not bad, f"spiked calls differ from background calls (KS, critical): {bad}"


@pytest.mark.shared
def test_train_and_benchmark_commands_on_real_cases(default_kb: Path, tmp_path: Path) -> None:
    """A few developer cases through ``varprio train`` and ``varprio benchmark``."""
    cases, exome = str(shared_path(CASES_DEV)), str(shared_path(EXOME))
    model = tmp_path / "model"
    r = invoke("train", "--cases", cases, "--background", exome, "--out", str(model),
               "--n", "16", "--per-gene", "1", "--folds", "2", "--rounds", "5",
               "--eval-per-gene", "1", "--kb", str(default_kb))  # fmt: skip
    assert r.exit_code == 0, r.output
    card = json.loads((model / CARD_FILE).read_text())
    assert card["training_data"]["n_cases"] + card["training_data"]["dropped_cases"] == 16
    out = tmp_path / "bench"
    r = invoke("benchmark", "--cases", cases, "--background", exome, "--out", str(out),
               "--n", "3", "--split", "holdout", "--kb", str(default_kb))  # fmt: skip
    assert r.exit_code == 0, r.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["summary"]["n_cases"] == 3
    assert summary["meta"]["cases_with_gene_in_model_training"] == 0  # held-out genes
    assert len(list((out / "pheval_gene_results").iterdir())) == 3


@pytest.mark.parametrize("command", ["train", "benchmark"])
def test_help_has_examples(command: str) -> None:
    r = CliRunner().invoke(main, [command, "--help"])
    assert r.exit_code == 0 and "Example" in r.output
