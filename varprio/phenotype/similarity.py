"""Phenotype similarity: a patient's HPO terms against every disease and gene, and why.

The scores are computed in :mod:`varprio.phenotype.matching` (Resnik both directions,
LIRICAL-style likelihood ratios, and the combined score fitted on the developer cases); this
module turns them into ranked tables and per-term explanations, and re-exports the scoring API
(:func:`score_patient`, :class:`PatientScores`, :class:`DiseaseModels`, :data:`KINDS`...).

A gene's score pools its diseases: ``phenotype_logit`` = log-sum-exp of their combined scores
(the log of the summed posteriors, up to the normaliser), which ranks causal genes better on the
developer cases than the best disease alone.  ``phenotype_score`` is a percentile rank (1.0 =
best) among diseases in :func:`disease_table` and among genes in :func:`gene_table`, so that it
is comparable across patients; ``posterior`` sums the gene's disease posteriors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from varprio.phenotype.diseases import DiseaseModels
from varprio.phenotype.matching import (
    COMBINED_WEIGHTS,
    KINDS,
    MATCHED_KINDS,
    PatientScores,
    gather_rows,
    percentile_rank,
    phenotype_ancestors,
    score_patient,
)
from varprio.phenotype.ontology import Ontology

__all__ = [
    "COMBINED_WEIGHTS", "KINDS", "MATCHED_KINDS", "DiseaseModels", "PatientScores", "TermMatch",
    "best_disease_per_gene", "disease_table", "explain_disease", "explain_gene", "gene_logits",
    "gene_table", "percentile_rank", "score_diseases", "score_genes", "score_patient",
]  # fmt: skip


def _matched_terms(scores: PatientScores, columns: np.ndarray) -> pa.Array:
    """List column: the patient terms matched (exact/implied/ancestor) for each column."""
    m = scores.matched[:, columns].T  # (n_rows, n_obs)
    rows, terms = np.nonzero(m)
    offsets = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=len(columns)))])
    values = pa.array(scores.observed, pa.string()).take(pa.array(terms, pa.int64()))
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), values)


def _score_columns(scores: PatientScores, columns: np.ndarray) -> dict[str, pa.Array]:
    return {
        "resnik_bma": pa.array(scores.resnik_bma[columns].astype(np.float32)),
        "resnik_sym": pa.array(scores.resnik_sym[columns].astype(np.float32)),
        "lr_log10": pa.array(scores.lr_log10[columns].astype(np.float32)),
        "n_matched": pa.array(scores.matched[:, columns].sum(axis=0).astype(np.int32)),
        "matched_terms": _matched_terms(scores, columns),
    }


def _names(models: DiseaseModels, dis: np.ndarray) -> dict[str, pa.Array]:
    take = pa.array(dis, pa.int64())
    return {"id": models.id_array.take(take), "name": models.name_array.take(take)}


def disease_table(models: DiseaseModels, scores: PatientScores) -> pa.Table:
    """One row per disease, best ``phenotype_score`` first (ties: disease_id).

    Columns: disease_id, disease_name, resnik_bma, resnik_sym, lr_log10, n_matched,
    matched_terms, phenotype_score, phenotype_logit (combined score), posterior.
    """
    order = np.lexsort((models.id_rank, -scores.combined))
    names = _names(models, order)
    return pa.table(
        {
            "disease_id": names["id"],
            "disease_name": names["name"],
            **_score_columns(scores, order),
            "phenotype_score": pa.array(scores.phenotype_score[order].astype(np.float32)),
            "phenotype_logit": pa.array(scores.combined[order].astype(np.float32)),
            "posterior": pa.array(scores.posterior[order].astype(np.float32)),
        }
    )


def best_disease_per_gene(models: DiseaseModels, scores: PatientScores) -> np.ndarray:
    """Index of each gene's disease with the best combined score (ties: lr_log10, index)."""
    s = scores.combined[models.link_dis]
    lr = scores.lr_log10[models.link_dis]
    order = np.lexsort((models.link_dis, -lr, -s, models.link_gene))
    first = np.ones(len(order), dtype=bool)
    first[1:] = models.link_gene[order][1:] != models.link_gene[order][:-1]
    best = np.full(len(models.genes), -1, dtype=np.int64)
    best[models.link_gene[order][first]] = models.link_dis[order][first]
    return best


def gene_logits(models: DiseaseModels, scores: PatientScores) -> np.ndarray:
    """Each gene's pooled score: log-sum-exp of its diseases' combined scores."""
    s = scores.combined[models.link_dis]
    top = np.full(len(models.genes), -np.inf)
    np.maximum.at(top, models.link_gene, s)
    total = np.bincount(models.link_gene, weights=np.exp(s - top[models.link_gene]))
    return top + np.log(total)


def gene_table(models: DiseaseModels, scores: PatientScores) -> pa.Table:
    """One row per gene with a disease, best ``phenotype_score`` first (ties: gene).

    The per-term columns (resnik_bma ... matched_terms, best_disease) describe the gene's best
    disease; phenotype_score, phenotype_logit and posterior pool all of its diseases.
    """
    logit = gene_logits(models, scores)
    order = np.lexsort((np.arange(len(logit)), -logit))
    dis = best_disease_per_gene(models, scores)[order]
    names = _names(models, dis)
    posterior = np.exp(logit[order] - scores.log_normaliser)
    take = pa.array(order, pa.int64())
    return pa.table(
        {
            "gene": models.gene_array.take(take),
            "ncbi_gene_id": pa.array(models.gene_ncbi[order]),
            "best_disease": names["id"],
            "best_disease_name": names["name"],
            **_score_columns(scores, dis),
            "phenotype_score": pa.array(percentile_rank(logit)[order].astype(np.float32)),
            "inheritance_modes": models.gene_modes_array.take(take),
            "diseases": models.gene_diseases_array.take(take),
            "phenotype_logit": pa.array(logit[order].astype(np.float32)),
            "posterior": pa.array(np.minimum(posterior, 1.0).astype(np.float32)),
        }
    )


def score_diseases(
    ontology: Ontology, models: DiseaseModels, observed: list[str], excluded: list[str]
) -> pa.Table:
    """Score a patient against every disease: see :func:`disease_table` for the columns."""
    return disease_table(models, score_patient(ontology, models, observed, excluded))


def score_genes(
    ontology: Ontology, models: DiseaseModels, observed: list[str], excluded: list[str]
) -> pa.Table:
    """Score a patient against every gene that has a disease: see :func:`gene_table`."""
    return gene_table(models, score_patient(ontology, models, observed, excluded))


@dataclass(frozen=True)
class TermMatch:
    """How one patient term scored against one disease (for explanations)."""

    patient_term: str
    status: str  # "observed" or "excluded"
    kind: str  # one of KINDS for observed terms; "present"/"absent" in the disease if excluded
    disease_term: str | None  # the disease's annotation that gave the best Resnik match
    mica: str | None  # most informative common ancestor of the two
    mica_ic: float
    frequency: float | None  # frequency in the disease of patient_term (closure), if any
    lr_log10: float


def _best_disease_term(
    ontology: Ontology, models: DiseaseModels, q: int, d: int
) -> tuple[int | None, int | None]:
    """(disease annotation, MICA) with the most informative common ancestor of q and d; ties
    go to the first annotation, then to the lowest term index."""
    terms = models.disease_annotations(d)
    off = ontology.anc_offsets
    idx, _ = gather_rows(off, terms)
    annotation = np.repeat(np.arange(len(terms)), off[terms + 1] - off[terms])
    ancestors = ontology.anc_indices[idx]
    of_q = np.zeros(len(ontology.ic), bool)
    of_q[phenotype_ancestors(ontology, q)] = True
    common = of_q[ancestors]
    if not common.any():
        return None, None
    ancestors, annotation = ancestors[common], annotation[common]
    ic = ontology.ic[ancestors]
    best = ic == ic.max()
    first = annotation[best].min()
    return int(terms[first]), int(ancestors[best & (annotation == first)].min())


def explain_disease(
    ontology: Ontology, models: DiseaseModels, scores: PatientScores, disease_id: str
) -> list[TermMatch]:
    """Per-term breakdown of a patient's scores against one disease."""
    d = models.disease_index[disease_id]
    out = []
    for status, terms in (("observed", scores.observed), ("excluded", scores.excluded)):
        for i, term_id in enumerate(terms):
            q = ontology.index[term_id]
            t, a = _best_disease_term(ontology, models, q, d)
            out.append(_term_match(ontology, models, q, d, status, t, a, scores, i))
    return out


def _term_match(
    ontology: Ontology, models: DiseaseModels, q: int, d: int, status: str,
    t: int | None, a: int | None, scores: PatientScores, i: int,
) -> TermMatch:  # fmt: skip
    rows, f = models.closure_row(q)
    hit = np.flatnonzero(rows == d)
    freq = float(f[hit[0]]) if len(hit) else None
    if status == "observed":
        kind, lr = KINDS[scores.obs_kind[i, d]], float(scores.obs_lr[i, d])
    else:
        kind, lr = ("present" if len(hit) else "absent"), float(scores.exc_lr[i, d])
    return TermMatch(
        patient_term=ontology.ids[q],
        status=status,
        kind=kind,
        disease_term=None if t is None else ontology.ids[t],
        mica=None if a is None else ontology.ids[a],
        mica_ic=0.0 if a is None else float(ontology.ic[a]),
        frequency=freq,
        lr_log10=lr,
    )


def explain_gene(
    ontology: Ontology, models: DiseaseModels, scores: PatientScores, gene: str
) -> tuple[str, list[TermMatch]]:
    """The best disease of a gene and its per-term breakdown.

    Raises
    ------
    KeyError
        A gene without a disease in the knowledge base.
    """
    g = int(np.searchsorted(models.genes, gene))
    if g >= len(models.genes) or models.genes[g] != gene:
        raise KeyError(gene)
    d = int(best_disease_per_gene(models, scores)[g])
    disease_id = models.disease_ids[d]
    return disease_id, explain_disease(ontology, models, scores, disease_id)
