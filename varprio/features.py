"""The learned ranker's features: FEATURE_COLUMNS in a fixed order -> float32 matrix.

Input is one case's candidate table as :func:`varprio.pipeline.case_table` builds it (every
(variant, gene) row the proband carries, joined to the gene's phenotype evidence) after the
transparent ranker's :func:`varprio.model.score_variants` (which adds ``consequence_prior``,
``frequency_factor`` and ``inheritance``).  Training and ``prioritize`` both go through
:func:`featurize`, so the model sees at run time exactly what it was trained on.

Missing values stay NaN (LightGBM learns where they go).  Nothing here encodes a variant's
position or its gene's identity: the model must generalise to genes it never saw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from varprio import model as transparent
from varprio.consequence import RANK as SEVERITY_RANK
from varprio.inheritance import FIT_FACTOR
from varprio.io.ped import Family
from varprio.model import QUALIFYING_PRIOR


@dataclass(frozen=True)
class Feature:
    """One model input: its column name, where its value comes from, and its reason group."""

    name: str
    source: str
    group: str  # phenotype, gene, consequence, frequency, genotype, quality, context, transparent


def _f(name: str, group: str, source: str) -> Feature:
    return Feature(name, source, group)


_PHENO = "varprio.phenotype.similarity.gene_table (the gene's best disease)"
#: Every feature, in the model's column order.  Changing this list makes every model trained
#: before refuse to load (see :mod:`varprio.ranker`).
FEATURES: tuple[Feature, ...] = (
    _f("phenotype_score", "phenotype", f"{_PHENO}: percentile among all diseases"),
    _f("phenotype_rank", "phenotype", "pipeline: gene's rank among all genes by phenotype"),
    _f("resnik_bma", "phenotype", f"{_PHENO}: Resnik best-match average"),
    _f("resnik_sym", "phenotype", f"{_PHENO}: symmetric Resnik"),
    _f("lr_log10", "phenotype", f"{_PHENO}: LIRICAL-style log10 likelihood ratio"),
    _f("n_matched", "phenotype", f"{_PHENO}: patient terms matched by the disease"),
    _f("frac_matched", "phenotype", "n_matched / number of patient terms"),
    _f("n_terms", "phenotype", "number of the patient's observed phenotypic terms"),
    _f("candidate_phenotype_rank", "phenotype",
       "within case: gene's phenotype rank among genes with a qualifying variant"),
    _f("resnik_gap", "phenotype",
       "within case: best resnik_bma among genes with a qualifying variant minus this gene's"),
    _f("n_diseases", "gene", "hpo disease-gene links: number of the gene's diseases"),
    _f("mode_ad", "gene", "hpo phenotype.hpoa: a disease of the gene is autosomal dominant"),
    _f("mode_ar", "gene", "hpo phenotype.hpoa: a disease of the gene is autosomal recessive"),
    _f("mode_xl", "gene", "hpo phenotype.hpoa: a disease of the gene is X-linked"),
    _f("mode_mt", "gene", "hpo phenotype.hpoa: a disease of the gene is mitochondrial"),
    _f("consequence_severity", "consequence",
       "varprio.consequence: rank of the SO term, most severe first (VEP order)"),
    _f("consequence_prior", "consequence", "varprio.model.CONSEQUENCE_PRIOR"),
    _f("impact", "consequence", "varprio.consequence.IMPACT: MODIFIER 0 .. HIGH 3"),
    _f("kgp_af", "frequency", "kb frequencies/kgp: 1000 Genomes AF (NaN: not a kgp site)"),
    _f("kgp_af_grpmax", "frequency", "kb frequencies/kgp: highest superpopulation AF"),
    _f("kgp_nhomalt", "frequency", "kb frequencies/kgp: 1000 Genomes homozygotes"),
    _f("frequency_factor", "frequency", "varprio.model.frequency_factor of kgp_af_grpmax"),
    _f("alt_count", "genotype", "VCF GT: copies of the ALT allele"),
    _f("hemizygous", "genotype", "VCF GT haploid, or a male's chrX/chrY call"),
    _f("sex_male", "genotype", "patient sex (phenopacket or --sex) is male"),
    _f("sex_female", "genotype", "patient sex is female"),
    *(
        _f(f"fit_{label}", "genotype", f"varprio.inheritance.assess label == {label}")
        for label in FIT_FACTOR
    ),
    _f("n_relatives", "genotype", "PED: genotyped relatives of the proband (0: singleton)"),
    _f("allele_balance", "quality", "VCF AD: alt / (ref + alt)"),
    _f("dp", "quality", "VCF FORMAT DP"),
    _f("gq", "quality", "VCF FORMAT GQ"),
    _f("qual", "quality", "VCF QUAL"),
    _f("filter_pass", "quality", "VCF FILTER is PASS (or '.')"),
    _f("n_candidates_in_gene", "context", "within case: the proband's variants in the gene"),
    _f("n_qualifying_in_gene", "context",
       "within case: variants in the gene with consequence_prior >= 0.3 and "
       "frequency_factor > 0.5"),
    _f("variant_score", "transparent",
       "varprio.model.score_variants: consequence_prior x frequency_factor x genotype fit"),
    _f("transparent_score", "transparent",
       "varprio.model.score_variants: variant_score x phenotype weight of the gene's rank"),
)  # fmt: skip
FEATURE_COLUMNS: tuple[str, ...] = tuple(f.name for f in FEATURES)
FEATURE_INDEX = {name: i for i, name in enumerate(FEATURE_COLUMNS)}
_IMPACT = {"MODIFIER": 0.0, "LOW": 1.0, "MODERATE": 2.0, "HIGH": 3.0}


def _num(table: pa.Table, name: str) -> np.ndarray:
    """A numeric column as float64 with nulls as NaN."""
    col = pc.cast(table[name], pa.float64())
    return pc.fill_null(col, np.nan).to_numpy()


def _has(modes: pa.ChunkedArray, code: str) -> np.ndarray:
    return pc.fill_null(pc.match_substring(modes, code), False).to_numpy(zero_copy_only=False)


def _gene_codes(table: pa.Table) -> np.ndarray:
    genes = pc.fill_null(table["gene"], "")
    return pc.dictionary_encode(genes).combine_chunks().indices.to_numpy(zero_copy_only=False)


def qualifying(table: pa.Table) -> np.ndarray:
    """Rows the transparent ranker counts as plausible (consequence and frequency)."""
    prior = table["consequence_prior"].to_numpy()
    if "clinvar_prior" in table.column_names:  # as varprio.model counts them
        prior = np.maximum(prior, table["clinvar_prior"].to_numpy())
    freq = table["frequency_factor"].to_numpy()
    return (prior >= QUALIFYING_PRIOR) & (freq > 0.5)


def _phenotype_context(score: np.ndarray, bma: np.ndarray, qual: np.ndarray) -> tuple:
    """Rank of each row's phenotype score among genes with a qualifying row, and the gap."""
    known = qual & ~np.isnan(score)
    ref = np.sort(np.unique(score[known]))[::-1]  # one value per distinct score (ties share)
    greater = np.searchsorted(-ref, -score, side="left")
    rank = np.where(np.isnan(score), np.nan, greater + 1.0)
    best = np.nanmax(bma[known]) if known.any() else np.nan
    return rank, best - bma


def _context(table: pa.Table) -> dict[str, np.ndarray]:
    codes = _gene_codes(table)
    qual = qualifying(table)
    n_cand = np.bincount(codes)[codes] if len(codes) else np.zeros(0)
    n_qual = np.bincount(codes, weights=qual.astype(np.float64))[codes] if len(codes) else n_cand
    rank, gap = _phenotype_context(_num(table, "phenotype_score"), _num(table, "resnik_bma"), qual)
    return {
        "candidate_phenotype_rank": rank,
        "resnik_gap": gap,
        "n_candidates_in_gene": n_cand.astype(np.float64),
        "n_qualifying_in_gene": n_qual.astype(np.float64),
    }


def _gene(table: pa.Table) -> dict[str, np.ndarray]:
    modes = table["gene_modes"]
    diseases = pc.fill_null(table["diseases"], "")
    n_dis = pc.list_value_length(pc.split_pattern(diseases, ";")).to_numpy(zero_copy_only=False)
    n_dis = np.where(pc.equal(diseases, "").to_numpy(zero_copy_only=False), 0, n_dis)
    return {
        "n_diseases": n_dis.astype(np.float64),
        "mode_ad": _has(modes, "AD"),
        "mode_ar": _has(modes, "AR"),
        "mode_xl": _has(modes, "XL"),
        "mode_mt": _has(modes, "MT"),
    }


def _lookup(values: pa.ChunkedArray, table: dict[str, float]) -> np.ndarray:
    """Map strings through ``table`` (absent or null: NaN), vectorised."""
    keys = pa.array(list(table), pa.string())
    mapped = np.append(np.fromiter(table.values(), float, len(table)), np.nan)
    idx = pc.fill_null(pc.index_in(values, value_set=keys), len(table)).to_numpy()
    return mapped[idx]


def _variant(table: pa.Table) -> dict[str, np.ndarray]:
    severity = {k: float(v) for k, v in SEVERITY_RANK.items()}
    return {
        "consequence_severity": _lookup(table["consequence"], severity),
        "impact": _lookup(table["impact"], _IMPACT),
    }


def _genotype(table: pa.Table, sex: str | None) -> dict[str, np.ndarray]:
    chrom = table["chrom"]
    sex_chrom = pc.is_in(chrom, value_set=pa.array(["chrX", "chrY"])).to_numpy(zero_copy_only=False)
    haploid = _num(table, "ploidy") == 1
    labels = table["genotype_fit"]
    out = {
        "hemizygous": haploid | (sex_chrom & (sex == "MALE")),
        "sex_male": np.full(table.num_rows, sex == "MALE"),
        "sex_female": np.full(table.num_rows, sex == "FEMALE"),
    }
    for label in FIT_FACTOR:
        out[f"fit_{label}"] = pc.fill_null(pc.equal(labels, label), False).to_numpy(
            zero_copy_only=False
        )
    return out


def _quality(table: pa.Table) -> dict[str, np.ndarray]:
    ad_ref, ad_alt = _num(table, "ad_ref"), _num(table, "ad_alt")
    depth = ad_ref + ad_alt
    with np.errstate(invalid="ignore", divide="ignore"):
        balance = np.where(depth > 0, ad_alt / depth, np.nan)
    filt = pc.fill_null(pc.is_in(table["filter"], value_set=pa.array(["PASS", "."])), False)
    return {"allele_balance": balance, "filter_pass": filt.to_numpy(zero_copy_only=False)}


def feature_matrix(table: pa.Table, sex: str | None, family: Family | None = None) -> np.ndarray:
    """The (rows x FEATURE_COLUMNS) float32 matrix of one case's scored candidate table."""
    n_terms = _num(table, "n_terms")
    cols: dict[str, np.ndarray] = {
        "frac_matched": _num(table, "n_matched") / np.maximum(n_terms, 1.0),
        **_context(table),
        **_gene(table),
        **_variant(table),
        **_genotype(table, sex),
        **_quality(table),
    }
    cols["transparent_score"] = _num(table, "score")  # the transparent ranker's score
    cols["n_relatives"] = np.full(table.num_rows, len(family.relatives) if family else 0.0)
    # column-major: each feature is one contiguous write (the model reads either layout)
    out = np.empty((table.num_rows, len(FEATURE_COLUMNS)), dtype=np.float32, order="F")
    for i, name in enumerate(FEATURE_COLUMNS):
        out[:, i] = cols[name] if name in cols else _num(table, name)
    return out


def featurize(
    candidates: pa.Table, sex: str | None, family: Family | None = None
) -> tuple[pa.Table, np.ndarray]:
    """The transparent ranker's columns added to a case table, and the feature matrix.

    The one code path from a case table to model input, shared by ``prioritize`` (through
    :mod:`varprio.ranker`) and ``varprio train``.
    """
    scored = transparent.score_variants(candidates, sex, family)
    return scored, feature_matrix(scored, sex, family)
