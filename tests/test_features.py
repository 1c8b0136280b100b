"""The learned ranker's features: a fixed, documented list, computed the same way everywhere."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from conftest import ROOT

from varprio.features import FEATURE_COLUMNS, FEATURES, feature_matrix, featurize
from varprio.inheritance import FIT_FACTOR

#: Changing the features makes every trained model refuse to load: update this list, the
#: documentation (docs/benchmark.md) and retrain the shipped model (make model) together.
EXPECTED = (
    "phenotype_score", "phenotype_rank", "resnik_bma", "resnik_sym", "lr_log10", "n_matched",
    "frac_matched", "n_terms", "candidate_phenotype_rank", "resnik_gap", "n_diseases",
    "mode_ad", "mode_ar", "mode_xl", "mode_mt", "consequence_severity", "consequence_prior",
    "impact", "kgp_af", "kgp_af_grpmax", "kgp_nhomalt", "frequency_factor", "alt_count",
    "hemizygous", "sex_male", "sex_female", *(f"fit_{label}" for label in FIT_FACTOR),
    "n_relatives", "allele_balance", "dp", "gq", "qual", "filter_pass", "n_candidates_in_gene",
    "n_qualifying_in_gene", "variant_score", "transparent_score",
)  # fmt: skip
FORBIDDEN = ("pos", "chrom", "gene", "hgnc_id", "gene_id", "transcript_id", "record", "exon")


def test_feature_list_is_fixed_and_every_feature_has_a_source() -> None:
    assert FEATURE_COLUMNS == EXPECTED
    assert len(set(FEATURE_COLUMNS)) == len(FEATURE_COLUMNS)
    for f in FEATURES:
        assert f.source.strip(), f"{f.name} has no source"
        assert f.group in ("phenotype", "gene", "consequence", "frequency", "genotype",
                           "quality", "context", "transparent")  # fmt: skip
    assert not set(FEATURE_COLUMNS) & set(FORBIDDEN), "position or gene identity as a feature"


def test_every_feature_is_documented() -> None:
    doc = (ROOT / "docs" / "benchmark.md").read_text()
    missing = [f for f in FEATURE_COLUMNS if f"`{f}`" not in doc and not f.startswith("fit_")]
    assert not missing, f"docs/benchmark.md does not describe {missing}"


def _case_table(**over: list) -> pa.Table:
    """Three candidate rows as pipeline.case_table makes them (the columns features use)."""
    cols: dict[str, list] = {
        "chrom": ["chr1", "chrX", "chr2"],
        "pos": [100, 200, 300],
        "ref": ["A", "C", "G"],
        "alt": ["AT", "T", "A"],
        "gene": ["G1", "G2", "G1"],
        "hgnc_id": ["HGNC:1", None, "HGNC:1"],
        "consequence": ["frameshift_variant", "coding_sequence_variant", "intron_variant"],
        "impact": ["HIGH", "MODIFIER", "MODIFIER"],
        "kgp_af": [None, 0.2, None],
        "kgp_af_grpmax": [None, 0.3, None],
        "kgp_nhomalt": [None, 40, None],
        "alt_count": [1, 1, 2],
        "ploidy": [2, 2, 2],
        "gt": ["0/1", "0/1", "1/1"],
        "qual": [50.0, None, 80.0],
        "filter": ["PASS", "LowQual", "."],
        "ad_ref": [10, None, 0],
        "ad_alt": [5, None, 20],
        "dp": [15, 30, 20],
        "gq": [99, 50, None],
        "phenotype_score": [0.99, None, 0.99],
        "phenotype_rank": [1, None, 1],
        "resnik_bma": [3.0, None, 3.0],
        "resnik_sym": [2.0, None, 2.0],
        "lr_log10": [1.5, None, 1.5],
        "n_matched": [2, None, 2],
        "gene_modes": ["AD;AR", None, "AD;AR"],
        "diseases": ["OMIM:1;OMIM:2", None, "OMIM:1;OMIM:2"],
        "n_terms": [4, 4, 4],
        "n_phenotype_genes": [10, 10, 10],
    }
    cols.update(over)
    return pa.table(cols)


def test_feature_matrix_values_and_missing_values() -> None:
    scored, m = featurize(_case_table(), "MALE")
    assert m.dtype == np.float32 and m.shape == (3, len(FEATURE_COLUMNS))
    col = {name: m[:, i] for i, name in enumerate(FEATURE_COLUMNS)}
    assert np.isnan(col["kgp_af"][0]) and col["kgp_af"][1] == pytest.approx(0.2)
    assert np.isnan(col["phenotype_score"][1]) and np.isnan(col["candidate_phenotype_rank"][1])
    assert col["frac_matched"][0] == pytest.approx(0.5)
    assert list(col["n_diseases"]) == [2, 0, 2]
    assert list(col["mode_ar"]) == [1, 0, 1] and list(col["mode_xl"]) == [0, 0, 0]
    assert list(col["hemizygous"]) == [0, 1, 0]  # a male's chrX call
    assert list(col["sex_male"]) == [1, 1, 1] and list(col["sex_female"]) == [0, 0, 0]
    assert col["allele_balance"][0] == pytest.approx(5 / 15) and np.isnan(col["allele_balance"][1])
    assert list(col["filter_pass"]) == [1, 0, 1]
    assert np.isnan(col["qual"][1]) and np.isnan(col["gq"][2])
    assert list(col["n_candidates_in_gene"]) == [2, 1, 2]
    assert list(col["n_qualifying_in_gene"]) == [1, 0, 1]  # frameshift yes, intron no
    assert col["consequence_severity"][0] < col["consequence_severity"][1]
    assert list(col["impact"]) == [3, 0, 0]
    assert col["candidate_phenotype_rank"][0] == 1 and col["resnik_gap"][0] == 0
    np.testing.assert_allclose(col["transparent_score"], scored["score"].to_numpy(), rtol=1e-6)
    assert col["transparent_score"][0] > col["transparent_score"][2]
    assert scored.num_rows == 3 and "inheritance" in scored.column_names
    labels = scored["genotype_fit"].to_pylist()
    assert sum(col[f"fit_{label}"][i] for i, label in enumerate(labels)) == 3


def test_feature_matrix_is_row_order_independent() -> None:
    table = _case_table()
    order = pa.array([2, 0, 1])
    _, m = featurize(table, None)
    _, m2 = featurize(table.take(order), None)
    np.testing.assert_array_equal(m[order.to_numpy()], m2)


def test_empty_case_gives_an_empty_matrix() -> None:
    table = _case_table().slice(0, 0)
    _, m = featurize(table, None)
    assert m.shape == (0, len(FEATURE_COLUMNS))
    assert feature_matrix(featurize(table, None)[0], None).shape == m.shape
