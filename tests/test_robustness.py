"""Robustness benchmarks: phenotype noise, ancestry backgrounds, ``benchmark`` options."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result
from conftest import TEST_DATA, registry_dir, shared_path

from varprio.cli import main
from varprio.contigs import chrom_rank
from varprio.errors import InputError
from varprio.kb.sources.hpo import build_hpo_tables
from varprio.phenotype.ontology import PHENOTYPE_ROOT_ID, Ontology
from varprio.robustness import (
    UNRELATED_TERMS,
    AncestryPanel,
    NoiseLevel,
    PersonBackground,
    PhenotypeNoise,
    off_panel,
    parse_noise_levels,
)
from varprio.spike import Background

TRAIN = TEST_DATA / "train"
GMS, ID_MILD, SEIZURE, NERVOUS = "HP:0002123", "HP:0001256", "HP:0001250", "HP:0000707"


@pytest.fixture(scope="module")
def noise() -> PhenotypeNoise:
    """The phenotype scrambler on the 19-term test ontology (make_hpo_fixtures.py)."""
    return PhenotypeNoise(Ontology.from_tables(build_hpo_tables(TEST_DATA / "hpo")[0]))


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, ["-q", *args])


def test_parse_noise_levels() -> None:
    levels = parse_noise_levels("0.3, 0.5,0.3:0.2,0.3")
    assert [lv.label for lv in levels] == ["0", "0.3", "0.5", "0.3:0.2"]
    assert levels[3] == NoiseLevel(0.3, 0.2) and not levels[0].noisy and levels[3].noisy
    for bad in ("abc", "1.5", "0.1:0.2:0.3", "-0.1", "0.3:x"):
        with pytest.raises(InputError, match="--phenotype-noise") as err:
            parse_noise_levels(bad)
        assert "\n" not in str(err.value)


def _check(noise: PhenotypeNoise, terms: list[str], out: list[str]) -> None:
    """Every output term is a case term, an allowed ancestor of one, or an unrelated term."""
    onto = noise.ontology
    for t in out:
        assert t not in ("HP:0000001", PHENOTYPE_ROOT_ID)
        if t in terms:
            continue
        if any(t in noise.imprecise_choices(c) for c in terms):
            assert onto.is_ancestor(PHENOTYPE_ROOT_ID, t)
            continue
        assert not any(onto.is_ancestor(t, c) or onto.is_ancestor(c, t) for c in terms), t


def test_noise_level_zero_is_the_case_itself(noise: PhenotypeNoise) -> None:
    s = noise.scramble([GMS, ID_MILD], NoiseLevel(0.0), "k")
    assert s.terms == [GMS, ID_MILD] and (s.n_imprecise, s.n_dropped, s.n_unrelated) == (0, 0, 0)


def test_noise_counts_ancestors_and_unrelated_terms(noise: PhenotypeNoise) -> None:
    terms = [GMS, ID_MILD]
    for k in range(40):
        half = noise.scramble(terms, NoiseLevel(0.5), f"1:case{k}:noise")
        assert half == noise.scramble(terms, NoiseLevel(0.5), f"1:case{k}:noise")  # determinism
        assert (half.n_imprecise, half.n_dropped, half.n_unrelated) == (1, 0, UNRELATED_TERMS)
        kept = [t for t in half.terms if t in terms]
        assert len(kept) == 1
        imprecise = [t for t in half.terms if t not in terms][:1]
        assert imprecise[0] in noise.imprecise_choices(next(t for t in terms if t not in kept))
        assert len(half.terms) == 2 + UNRELATED_TERMS
        _check(noise, terms, half.terms)
        full = noise.scramble(terms, NoiseLevel(1.0), f"1:case{k}:noise")
        assert full.n_imprecise == 2 and not set(full.terms) & set(terms)
        assert imprecise[0] in full.terms  # levels nest: the same ancestor at a higher level
        assert half.terms[-UNRELATED_TERMS:] == full.terms[-UNRELATED_TERMS:]
        _check(noise, terms, full.terms)
    draws = {tuple(noise.scramble(terms, NoiseLevel(0.5), f"s{k}").terms) for k in range(40)}
    assert len(draws) > 3  # the key matters


def test_noise_keeps_terms_without_an_allowed_ancestor(noise: PhenotypeNoise) -> None:
    """A child of "Phenotypic abnormality" has no ancestor to become; it stays precise."""
    assert noise.imprecise_choices(NERVOUS) == []
    assert noise.imprecise_choices(GMS) == [NERVOUS, SEIZURE]
    s = noise.scramble([NERVOUS], NoiseLevel(1.0), "k")
    assert s.n_imprecise == 0 and s.terms[0] == NERVOUS and len(s.terms) == 1 + UNRELATED_TERMS
    _check(noise, [NERVOUS], s.terms)


def test_noise_drops_terms_but_keeps_one(noise: PhenotypeNoise) -> None:
    terms = [GMS, ID_MILD]
    s = noise.scramble(terms, NoiseLevel(0.0, 1.0), "k")
    assert (s.n_imprecise, s.n_dropped) == (0, 1) and len(set(s.terms) & set(terms)) == 1
    s = noise.scramble(terms, NoiseLevel(0.5, 1.0), "k")
    assert (s.n_imprecise, s.n_dropped) == (1, 1) and not set(s.terms) & set(terms)
    excluded = "HP:0001631"  # the unrelated terms avoid the excluded terms too
    for k in range(20):
        s = noise.scramble(terms, NoiseLevel(0.5), f"k{k}", avoid=[excluded])
        assert excluded not in s.terms and "HP:0001626" not in s.terms


def _peddy(tmp: Path, sites: list[str], geno: list[list[int]], pops: str) -> Path:
    """A peddy-like directory: sites, the gzipped uint8 sites x people matrix, pca.py."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "GRCH38.sites").write_text("\n".join(sites) + "\n")
    with gzip.open(tmp / "GRCH38.sites.bin.gz", "wb") as fh:
        fh.write(np.array(geno, dtype=np.uint8).tobytes())
    (tmp / "pca.py").write_text(f'_str = "{pops}"\n')
    return tmp


def _records(text: str) -> list[list[str]]:
    return [line.split("\t") for line in text.splitlines() if not line.startswith("#")]


def test_person_background_replaces_the_panel_sites(tmp_path: Path) -> None:
    # chr1:1020 G>A and chr1:2050 G>T are background records; chr2:5200 is not
    sites = ["1:1020:G:A", "1:2050:C:T", "2:5200:A:G"]
    geno = [[0, 1, 1, 2, 0, 1], [2, 0, 1, 1, 0, 1], [1, 0, 0, 0, 2, 1]]
    panel = AncestryPanel.read(_peddy(tmp_path / "peddy", sites, geno, "0|1|2|3|4|0"))
    assert panel.sites[0] == ("chr1", 1020, "G", "A")
    assert panel.person("EAS", "case1", 1) == 2  # the only EAS person
    afr = {panel.person("AFR", f"case{k}", 1) for k in range(30)}
    assert afr == {0, 5} and panel.person("AFR", "c", 1) == panel.person("AFR", "c", 1)
    bg = Background.read(TRAIN / "background.vcf")
    kept = off_panel(bg, panel)
    assert len(kept) == len(bg.records) - 2
    person = PersonBackground(bg, kept, panel.calls(0), "donors")
    text = person.spiked([], random.Random(3))
    assert text.startswith("\n".join(bg.header) + "\n")
    recs = _records(text)
    at = {(r[0], int(r[1])): r for r in recs}
    assert ("chr1", 1020) not in at  # person 0 is 0/0 there: the background's call is gone
    assert at[("chr1", 2050)][3:5] == ["C", "T"] and at[("chr1", 2050)][9].startswith("1/1:")
    assert at[("chr2", 5200)][3:5] == ["A", "G"] and at[("chr2", 5200)][9].startswith("0/1:")
    others = [r for r in recs if (r[0], int(r[1])) not in {("chr1", 2050), ("chr2", 5200)}]
    assert sorted(others) == sorted(kept)
    order = [(chrom_rank(r[0]), int(r[1])) for r in recs]
    assert order == sorted(order)
    assert person.spiked([], random.Random(9)) == text  # the person's donors do not use rng


def test_case_spikes_are_the_same_and_win_a_panel_site(tmp_path: Path) -> None:
    sites = ["2:5200:A:G"]
    panel = AncestryPanel.read(_peddy(tmp_path / "peddy", sites, [[1, 1, 1, 1, 1]], "0|1|2|3|4"))
    bg = Background.read(TRAIN / "background.vcf")
    person = PersonBackground(bg, off_panel(bg, panel), panel.calls(1), "d")
    case = [{"chrom": "chr2", "pos": 5200, "ref": "A", "alt": "C", "zygosity": "homozygous"},
            {"chrom": "chr1", "pos": 1062, "ref": "C", "alt": "T"}]  # fmt: skip
    recs = _records(person.spiked(case, random.Random(7)))
    plain = _records(bg.spiked(case, random.Random(7)))
    assert [r for r in recs if r[1] == "5200"] == [r for r in plain if r[1] == "5200"]
    assert [r for r in recs if r[1] == "1062"] == [r for r in plain if r[1] == "1062"]
    assert [r[4] for r in recs if r[1] == "5200"] == ["C"]


def test_ancestry_panel_refuses_a_broken_directory(tmp_path: Path) -> None:
    (tmp_path / "pca.py").write_text('_str = "0|1"\n')
    with pytest.raises(InputError, match="cannot read peddy's 1000 Genomes genotypes"):
        AncestryPanel.read(tmp_path)


def test_benchmark_robustness_on_tiny_kb(tiny_kb: Path, tmp_path: Path) -> None:
    def run(out: Path) -> Result:
        return invoke("benchmark", "--kb", str(tiny_kb), "--cases", str(TRAIN / "cases.jsonl"),
                      "--background", str(TRAIN / "background.vcf"), "--out", str(out),
                      "--model", "transparent", "--per-gene", "1", "--phenotype-noise", "0.5",
                      "--ancestry-backgrounds", str(TEST_DATA / "kb" / "peddy"))  # fmt: skip

    r = run(tmp_path / "a")
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "a" / "summary.json").read_text())
    anc, pheno = doc["ancestry"], doc["phenotype_noise"]
    assert list(anc["strata"]) == ["AFR", "AMR", "EAS", "EUR", "SAS"]
    assert all(s["n_cases"] == 4 for s in anc["strata"].values())
    assert anc["largest_gene_top1_gap"]["points"] >= 0
    assert list(pheno["strata"]) == ["0", "0.5"]
    assert pheno["drop_from_level0"]["0"]["gene_top1"] == 0
    assert pheno["strata"]["0.5"]["mean_unrelated_terms"] == UNRELATED_TERMS
    assert doc["meta"]["phenotype_noise"] == ["0", "0.5"]
    rows = (tmp_path / "a" / "cases.tsv").read_text().splitlines()
    assert rows[0].startswith("benchmark\tstratum\tdetail\tid\t") and len(rows) == 1 + 4 * 5 + 4 * 2
    md = (tmp_path / "a" / "summary.md").read_text()
    assert "| superpopulation |" in md and "Largest gap in gene top-1" in md and "| 0.5 |" in md
    assert run(tmp_path / "b").exit_code == 0
    again = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert {k: v for k, v in again.items() if k != "meta"} == {
        k: v for k, v in doc.items() if k != "meta"
    }


def test_benchmark_refuses_bad_noise_levels(tiny_kb: Path, tmp_path: Path) -> None:
    r = invoke("benchmark", "--kb", str(tiny_kb), "--cases", str(TRAIN / "cases.jsonl"),
               "--background", str(TRAIN / "background.vcf"), "--out", str(tmp_path / "o"),
               "--model", "transparent", "--phenotype-noise", "0.3,lots")  # fmt: skip
    assert r.exit_code == 2 and "'lots': expected IMPRECISE[:DROPPED]" in r.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.shared
def test_real_panel_in_the_real_exome() -> None:
    """Each superpopulation's people; a person's calls replace the exome's at peddy's sites."""
    panel = AncestryPanel.read(registry_dir("kgp") / "peddy")
    assert np.bincount(panel.pops).tolist() == [661, 347, 504, 503, 489]
    bg = Background.read(shared_path("benchmark/background/pfeiffer_exome.GRCh38.vcf.gz"))
    kept = off_panel(bg, panel)
    person = panel.person("SAS", "x", 1)
    assert panel.pops[person] == 4
    calls = panel.calls(person)
    recs = _records(PersonBackground(bg, kept, calls, "d").spiked([], random.Random(1)))
    assert len(recs) == len(kept) + len(calls) and 3000 < len(calls) < 8000
