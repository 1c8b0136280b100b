"""Phenotype-only ranking: the patient's terms against every disease and gene, no VCF."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from varprio.phenotype.similarity import disease_table
from varprio.pipeline import CaseRequest, Resources, case_phenotype

DISEASE_COLUMNS = (
    "rank", "disease_id", "disease_name", "score", "genes", "matched_terms", "n_matched",
    "resnik_bma", "resnik_sym", "lr_log10", "posterior",
)  # fmt: skip
GENE_COLUMNS = (
    "rank", "gene", "hgnc_id", "score", "best_disease", "best_disease_name", "n_matched",
    "resnik_bma", "lr_log10", "inheritance_modes", "posterior",
)  # fmt: skip


@dataclass
class PhenotypeResult:
    """Ranked diseases and genes for one patient."""

    diseases: pa.Table
    genes: pa.Table


def _disease_genes(res: Resources) -> dict[str, str]:
    """``;``-joined gene symbols of each disease."""
    m = res.diseases
    genes: dict[str, list[str]] = {}
    for g, d in zip(m.link_gene.tolist(), m.link_dis.tolist(), strict=True):
        genes.setdefault(m.disease_ids[d], []).append(str(m.genes[g]))
    return {d: ";".join(sorted(set(gs))) for d, gs in genes.items()}


def _ranked(table: pa.Table, columns: tuple[str, ...], top: int | None) -> pa.Table:
    table = table.append_column("score", table["phenotype_score"])
    table = table.append_column("rank", pa.array(np.arange(1, table.num_rows + 1, dtype=np.int32)))
    if top:
        table = table.slice(0, top)
    return table.select(list(columns))


def rank_phenotype(res: Resources, req: CaseRequest) -> PhenotypeResult:
    """Score and rank every disease and gene for the request's phenotype."""
    pheno = case_phenotype(res, req)
    diseases = disease_table(res.diseases, pheno.scores)
    lookup = _disease_genes(res)
    genes_col = pa.array([lookup.get(d) for d in diseases["disease_id"].to_pylist()], pa.string())
    diseases = diseases.append_column("genes", genes_col)
    return PhenotypeResult(
        _ranked(diseases, DISEASE_COLUMNS, req.top), _ranked(pheno.genes, GENE_COLUMNS, req.top)
    )
