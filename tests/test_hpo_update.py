"""A newer binary HPO release merged into a base release (hpo_update.py): what is added, how
diseases are linked to genes, how unknown terms are mapped, and that the base is untouched."""

from __future__ import annotations

import pyarrow as pa
import pytest
from conftest import TEST_DATA

from varprio.kb.sources.hpo import build_hpo_tables
from varprio.kb.sources.hpo_binary import HpoBinary
from varprio.phenotype.ontology import Ontology

HPO_DIR = TEST_DATA / "hpo"


def _links(key: str, pairs: list[tuple[str | int, str]]) -> pa.Table:
    return pa.table({key: [k for k, _ in pairs], "term_id": [t for _, t in pairs]})


def _newer() -> HpoBinary:
    """Base genes GENEA (1001); new genes NEWG1 (2001), NEWG2 (2002); a new term HP:0009001
    (child of Seizure); diseases: one of the base, two linkable, one matching two genes."""
    gene_terms = [
        (1001, "HP:0001250"), (1001, "HP:0001249"), (1001, "HP:0000006"), (1001, "HP:0009001"),
        (2001, "HP:0001629"), (2001, "HP:0000007"), (2001, "HP:0002123"), (2001, "HP:0001250"),
        (2002, "HP:0000505"),
    ]  # fmt: skip
    omim_terms = [
        ("OMIM:100001", "HP:0001250"),  # in the base: left alone
        ("OMIM:200001", "HP:0009001"), ("OMIM:200001", "HP:0001249"),  # GENEA only
        ("OMIM:200002", "HP:0001629"), ("OMIM:200002", "HP:0000007"),  # NEWG1 only
        ("OMIM:200003", "HP:0001250"),  # GENEA and NEWG1: not linked
    ]  # fmt: skip
    omim = ["OMIM:100001", "OMIM:200001", "OMIM:200002", "OMIM:200003"]
    names = ["Epilepsy syndrome A", "New epilepsy", "New heart syndrome", "Ambiguous"]
    return HpoBinary(
        version="2025-11-24",
        end=0,
        terms=pa.table({"term_id": ["HP:0009001", "HP:0002279"],  # the second: a base alt ID
                        "name": ["New seizure term", "Old name"], "obsolete": [False, False],
                        "replaced_by": pa.nulls(2, pa.string())}),
        parents=pa.table({"term_id": ["HP:0009001"], "parent_id": ["HP:0001250"]}),
        genes=pa.table({"ncbi_gene_id": [1001, 2001, 2002], "symbol": ["GENEA", "NEWG1", "NEWG2"]}),
        gene_terms=_links("ncbi_gene_id", gene_terms),  # type: ignore[arg-type]
        omim=pa.table({"disease_id": omim, "name": names}),
        omim_terms=_links("disease_id", omim_terms),  # type: ignore[arg-type]
        orpha=pa.table({"disease_id": pa.array([], pa.string()),
                        "name": pa.array([], pa.string())}),
        orpha_terms=_links("disease_id", []),
    )  # fmt: skip


@pytest.fixture(scope="module")
def merged() -> tuple[dict[str, pa.Table], dict]:
    return build_hpo_tables(HPO_DIR, _newer())


def _annotated_terms(tables: dict[str, pa.Table], disease_id: str) -> set[str]:
    index = tables["hpo_diseases"]["disease_id"].to_pylist().index(disease_id)
    ids = tables["hpo_terms"]["id"].to_pylist()
    ann = tables["hpo_annotations"].to_pylist()
    return {ids[r["term"]] for r in ann if r["disease"] == index}


def test_counts_and_links(merged: tuple[dict[str, pa.Table], dict]) -> None:
    tables, meta = merged
    assert meta["added_from"] == {
        "version": "2025-11-24", "diseases_added": 2, "diseases_added_new_genes": 1,
        "gene_level_entries": 1, "annotations_added": 5, "newer_terms": 1,
    }  # fmt: skip
    links = {
        (r["disease_id"], r["gene_symbol"], r["ncbi_gene_id"])
        for r in tables["hpo_disease_genes"].to_pylist()
    }
    assert {("OMIM:200001", "GENEA", 1001), ("OMIM:200002", "NEWG1", 2001),
            ("NCBIGene:2002", "NEWG2", 2002)} <= links  # fmt: skip
    assert not any(d == "OMIM:200003" for d, _, _ in links)  # two genes contain its terms
    diseases = {r["disease_id"]: r for r in tables["hpo_diseases"].to_pylist()}
    assert "OMIM:200003" not in diseases
    assert diseases["OMIM:200002"]["inheritance_modes"] == "AR"
    assert diseases["NCBIGene:2002"]["name"] == (
        "NEWG2-related phenotypes (HPO 2025-11-24 gene annotations)"
    )


def test_unknown_terms_map_to_known_ancestors(merged: tuple[dict[str, pa.Table], dict]) -> None:
    tables, _ = merged
    assert _annotated_terms(tables, "OMIM:200001") == {"HP:0001250", "HP:0001249"}
    assert _annotated_terms(tables, "OMIM:200002") == {"HP:0001629"}  # inheritance apart
    assert _annotated_terms(tables, "NCBIGene:2002") == {"HP:0000505"}


def test_newer_terms_resolve_to_their_nearest_known_ancestor(
    merged: tuple[dict[str, pa.Table], dict],
) -> None:
    tables, _ = merged
    alt = dict(zip(tables["hpo_alt_ids"]["alt_id"].to_pylist(),
                   tables["hpo_alt_ids"]["primary_id"].to_pylist(), strict=True))  # fmt: skip
    assert alt["HP:0009001"] == "HP:0001250"
    ids = tables["hpo_alt_ids"]["alt_id"].to_pylist()
    assert len(ids) == len(set(ids))  # a base alt ID is not added again
    ontology = Ontology.from_tables(tables)
    assert ontology.normalise(["HP:0009001", "HP:0001249"], "--hpo") == ["HP:0001250", "HP:0001249"]


def test_base_release_is_untouched(merged: tuple[dict[str, pa.Table], dict]) -> None:
    base, _ = build_hpo_tables(HPO_DIR)
    tables, _ = merged
    n_alt = base["hpo_alt_ids"].num_rows
    assert tables["hpo_alt_ids"].slice(0, n_alt).equals(base["hpo_alt_ids"])
    for disease in base["hpo_diseases"]["disease_id"].to_pylist():
        assert _annotated_terms(tables, disease) == _annotated_terms(base, disease)
    n = base["hpo_diseases"].num_rows
    assert tables["hpo_diseases"].slice(0, n).equals(base["hpo_diseases"])
    assert tables["hpo_terms"]["id"].equals(base["hpo_terms"]["id"])
