"""The PhEval runner: a PhEval-style corpus through varprio batch, results in PhEval's
standardised columns (pheval itself is not installed here: it pins an older pyarrow)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow as pa
import pytest
from conftest import TEST_DATA, shared_path

from varprio import pipeline
from varprio.pheval_runner import (
    GENE_RESULT_SCHEMA,
    VARIANT_RESULT_SCHEMA,
    run_corpus,
    standardised_results,
    write_standardised,
)
from varprio.spike import Background

CASE = TEST_DATA / "kb" / "case.vcf"


def corpus_phenopacket(path: Path, vcf_name: str, observed: list[str], excluded: list[str],
                       sex: str = "UNKNOWN_SEX") -> None:  # fmt: skip
    features = [{"type": {"id": t}} for t in observed]
    features += [{"type": {"id": t}, "excluded": True} for t in excluded]
    doc = {
        "id": path.stem,
        "subject": {"id": path.stem, "sex": sex},
        "phenotypicFeatures": features,
        "files": [{"uri": f"/corpus/made/elsewhere/{vcf_name}",
                   "fileAttributes": {"fileFormat": "vcf", "genomeAssembly": "GRCh38"}}],
    }  # fmt: skip
    path.write_text(json.dumps(doc))


def check_standardised(results: dict[str, tuple[pa.Table, pa.Table]]) -> None:
    for genes, variants in results.values():
        assert genes.schema == GENE_RESULT_SCHEMA and variants.schema == VARIANT_RESULT_SCHEMA
        assert genes.num_rows and variants.num_rows
        assert not any(c.startswith("chr") for c in variants["chrom"].to_pylist())
        keys = [(r["chrom"], r["start"], r["ref"], r["alt"]) for r in variants.to_pylist()]
        assert len(keys) == len(set(keys))
        for r in variants.to_pylist():
            assert r["end"] == r["start"] + len(r["ref"]) - 1


def test_tiny_corpus_to_standardised_results(tiny_kb: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "phenopackets").mkdir(parents=True)
    (corpus / "vcf").mkdir()
    (corpus / "vcf" / "tiny.vcf").write_text(CASE.read_text())
    corpus_phenopacket(corpus / "phenopackets" / "p1.json", "tiny.vcf", ["HP:0002123"], [])
    corpus_phenopacket(corpus / "phenopackets" / "p2.json", "tiny.vcf", ["HP:0001631"],
                       ["HP:0000505"])  # fmt: skip
    res = pipeline.load_resources(tiny_kb, "pytest pheval")
    raw = tmp_path / "out" / "raw_results"
    assert run_corpus(corpus, raw, res) == 0
    results = standardised_results(raw)
    assert set(results) == {"p1", "p2"}
    check_standardised(results)
    genes, variants = results["p1"]
    assert genes.to_pylist()[0]["gene_symbol"] == "GENEC"
    assert genes.to_pylist()[0]["gene_identifier"] == "HGNC:90003"
    assert {"chrom": "3", "start": 1100, "end": 1101, "ref": "AG", "alt": "A"}.items() <= (
        next(r for r in variants.to_pylist() if r["start"] == 1100).items()
    )
    write_standardised(raw, tmp_path / "out", corpus / "phenopackets")
    written = tmp_path / "out" / "pheval_gene_results" / "p1-gene_result.tsv"
    header = written.read_text().splitlines()[0].split("\t")
    assert header == ["gene_symbol", "gene_identifier", "score"]


@pytest.mark.shared
def test_three_developer_cases_spiked(default_kb: Path, tmp_path: Path) -> None:
    cases_path = shared_path("benchmark/cases_dev.jsonl")
    background = Background.read(shared_path("benchmark/background/pfeiffer_exome.GRCh38.vcf.gz"))
    with open(cases_path) as fh:
        cases = [json.loads(next(fh)) for _ in range(400)]
    rng = random.Random(3)
    picked = rng.sample([c for c in cases if len(c["variants"]) == 1], 3)
    corpus = tmp_path / "corpus"
    (corpus / "phenopackets").mkdir(parents=True)
    (corpus / "vcf").mkdir()
    for case in picked:
        (corpus / "vcf" / f"{case['id']}.vcf").write_text(background.spiked(case["variants"], rng))
        sex = case.get("sex") or "UNKNOWN_SEX"
        corpus_phenopacket(corpus / "phenopackets" / f"{case['id']}.json", f"{case['id']}.vcf",
                           case["observed"], case["excluded"], sex)  # fmt: skip
    res = pipeline.load_resources(default_kb, "pytest pheval")
    raw = tmp_path / "raw_results"
    assert run_corpus(corpus, raw, res, jobs=2) == 0
    results = standardised_results(raw)
    check_standardised(results)
    for case in picked:
        genes, variants = results[case["id"]]
        assert case["genes"][0] in genes["gene_symbol"].to_pylist()
        v = case["variants"][0]
        assert (v["chrom"].removeprefix("chr"), v["pos"]) in {
            (r["chrom"], r["start"]) for r in variants.to_pylist()
        }
