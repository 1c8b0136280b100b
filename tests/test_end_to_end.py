"""End to end on the real default knowledge base: the README's example, and spiked real cases."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, shared_path

from varprio import pipeline
from varprio.benchmark import read_cases, run_benchmark
from varprio.cli import main

EXAMPLE = ROOT / "test_data" / "example"
EXAMPLE_HPO = "HP:0001166,HP:0001083,HP:0002616,HP:0000098,HP:0000767"


def test_example_case_ranks_causal_variant_first(default_kb: Path, tmp_path: Path) -> None:
    prefix = tmp_path / "case"
    r = CliRunner().invoke(
        main,
        ["prioritize", str(EXAMPLE / "case.vcf.gz"), "--hpo", EXAMPLE_HPO,
         "--out-prefix", str(prefix), "--kb", str(default_kb)],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    rows = [ln.split("\t") for ln in Path(f"{prefix}.variants.tsv").read_text().splitlines()
            if not ln.startswith("##")]  # fmt: skip
    top = dict(zip(rows[0], rows[1], strict=True))
    assert (top["rank"], top["gene"], top["consequence"]) == ("1", "FBN1", "frameshift_variant")
    genes = Path(f"{prefix}.genes.tsv").read_text().splitlines()
    assert genes[5].split("\t")[1] == "FBN1"


def test_readme_starts_with_the_example_command() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "varprio prioritize test_data/example/case.vcf.gz" in readme
    assert "make test" in readme


@pytest.mark.shared
def test_spiked_developer_cases(default_kb: Path, tmp_path: Path) -> None:
    """20 developer cases spiked into the background exome; their ranks are recorded."""
    cases = read_cases(shared_path("benchmark/cases_dev.jsonl"), 20, 1, seed=2)
    background = shared_path("benchmark/background/pfeiffer_exome.GRCh38.vcf.gz")
    res = pipeline.load_resources(default_kb, "pytest")
    logging.disable(logging.WARNING)  # case terms newer than the HPO release are dropped
    try:
        ranks, summary = run_benchmark(res, cases, background, seed=2)
    finally:
        logging.disable(logging.NOTSET)
    record = tmp_path / "spiked_ranks.json"
    record.write_text(json.dumps({"summary": summary, "cases": [r.__dict__ for r in ranks]}))
    print(json.dumps(summary, indent=1))
    assert len(ranks) == 20
    assert all(r.variant_rank is not None for r in ranks), "a causal variant was not ranked"
    assert summary["gene_top10"] >= 0.4
