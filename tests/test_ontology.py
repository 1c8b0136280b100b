"""Ontology built from the tiny test HPO drawn in ``test_data/make_hpo_fixtures.py``."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import pytest

from varprio.errors import InputError, UnknownTermError
from varprio.kb.sources.hpo import build_hpo_tables, parse_frequency
from varprio.phenotype.ontology import Ontology

HPO_DIR = Path(__file__).resolve().parent.parent / "test_data" / "hpo"


@pytest.fixture(scope="module")
def built():
    return build_hpo_tables(HPO_DIR)


@pytest.fixture(scope="module")
def ontology(built) -> Ontology:
    return Ontology.from_tables(built[0])


def test_metadata_and_tables(built) -> None:
    tables, meta = built
    assert meta["version"] == "2025-01-16"
    assert meta["n_diseases"] == 4
    assert tables["hpo_terms"].num_rows == 19
    diseases = tables["hpo_diseases"].to_pylist()
    modes = {d["disease_id"]: d["inheritance_modes"] for d in diseases}
    assert modes == {
        "OMIM:100001": "AD",
        "OMIM:100002": "AR",
        "OMIM:100003": "AD;AR",
        "ORPHA:100004": "",
    }
    assert diseases[0]["onset"] == ["HP:0003577"]
    genes = tables["hpo_disease_genes"]
    assert "GENEX" not in genes["gene_symbol"].to_pylist()  # disease not in the hpoa


def test_not_annotations_include_excluded_frequency(built, ontology) -> None:
    tables = built[0]
    nots = {
        (d, ontology.ids[t])
        for d, t in zip(
            *(tables["hpo_not_annotations"][c].to_pylist() for c in ("disease", "term")),
            strict=True,
        )
    }
    assert nots == {(0, "HP:0001631"), (2, "HP:0000505")}


def test_annotation_by_alt_id_is_mapped(built, ontology) -> None:
    ann = built[0]["hpo_annotations"].to_pylist()
    seizure = ontology.index["HP:0001250"]
    assert {"disease": 3, "term": seizure} in [
        {"disease": a["disease"], "term": a["term"]} for a in ann
    ]


def test_frequencies() -> None:
    assert parse_frequency("HP:0040281", "x") == 0.9
    assert parse_frequency("1/4", "x") == 0.25
    assert parse_frequency("25%", "x") == 0.25
    assert parse_frequency("", "x") == 1.0
    with pytest.raises(InputError, match="x: frequency '5/4'"):
        parse_frequency("5/4", "x")


def test_information_content_ordering(ontology) -> None:
    ic = ontology.information_content
    assert ic("HP:0000118") == 0.0
    assert ic("HP:0000707") == pytest.approx(math.log(4 / 3))
    assert ic("HP:0001249") == pytest.approx(math.log(2))
    assert ic("HP:0000118") <= ic("HP:0000707") <= ic("HP:0001250") < ic("HP:0002123")


def test_ancestors_and_labels(ontology) -> None:
    assert set(ontology.ancestors("HP:0002123")) == {
        "HP:0002123", "HP:0001250", "HP:0000707", "HP:0000118", "HP:0000001",
    }  # fmt: skip
    assert ontology.is_ancestor("HP:0000707", "HP:0001256")
    assert not ontology.is_ancestor("HP:0001626", "HP:0001256")
    assert ontology.label("HP:0002279") == "Seizure"


def test_normalise_alt_and_obsolete(ontology, caplog) -> None:
    with caplog.at_level(logging.DEBUG):
        out = ontology.normalise(["HP:0002279", " HP:0000057", "HP:0001250"], "--hpo")
    assert out == ["HP:0001250", "HP:0001631"]
    assert "--hpo: HP:0002279 replaced by HP:0001250" in caplog.text
    assert "HP:0000057 replaced by HP:0001631" in caplog.text


@pytest.mark.parametrize(
    ("term", "message"),
    [
        ("HP:9999999", r"^p.txt:3: HP:9999999: unknown HPO term$"),
        ("HP:123", r"'HP:123' is not an HPO term ID: expected HP:nnnnnnn"),
        ("seizure", r"'seizure' is not an HPO term ID"),
        (
            "HP:0000003",
            r"HP:0000003 is an obsolete HPO term without replacement; consider "
            r"HP:0001249 \(Intellectual disability\), HP:0001250 \(Seizure\)",
        ),
    ],
)
def test_normalise_errors(ontology, term: str, message: str) -> None:
    with pytest.raises(UnknownTermError, match=message):
        ontology.normalise([term], "p.txt:3")


def test_normalise_drop_unknown(ontology, caplog) -> None:
    with caplog.at_level(logging.DEBUG):
        assert ontology.normalise(["HP:9999999", "HP:0001250"], "case", drop_unknown=True) == [
            "HP:0001250"
        ]
    assert "HP:9999999" in caplog.text


def test_missing_file_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="hp.obo: file not found"):
        build_hpo_tables(tmp_path)


def test_descendants(ontology) -> None:
    ids = [ontology.ids[i] for i in ontology.descendants_of(ontology.index["HP:0000707"])]
    assert sorted(ids) == ["HP:0000707", "HP:0001249", "HP:0001250", "HP:0001256", "HP:0002123"]
    leaf = ontology.index["HP:0002123"]
    assert ontology.descendants_of(leaf).tolist() == [leaf]


def test_redundant_ancestors(ontology) -> None:
    terms = ["HP:0001250", "HP:0000707", "HP:0002123", "HP:0001256", "HP:0001631", "HP:0001250"]
    # Seizure and the nervous system are implied by the myoclonic seizure (and ID, mild)
    assert ontology.redundant_ancestors(terms) == ["HP:0001250", "HP:0000707"]
    assert ontology.redundant_ancestors(["HP:0001249", "HP:0001250"]) == []
