"""What every report format shows beside the ranked tables: labels, per-gene phenotype evidence.

:func:`case_report` gathers, once per case, everything the writers need from the knowledge
base (HPO labels, each top gene's best disease scored term by term with
:func:`varprio.phenotype.similarity.explain_disease`, its phenotype rank), so that the format
modules take a :class:`CaseReport` and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from varprio import model
from varprio.inheritance import FIT_FACTOR
from varprio.phenotype.similarity import KINDS, MATCHED_KINDS, explain_disease, gene_table
from varprio.pipeline import CaseResult, Resources
from varprio.provenance import Provenance
from varprio.rank import tie_min_rank

#: Genes (from the top of the ranking) that get a per-term phenotype breakdown.
EXPLAIN_TOP = 100
_MATCHED = {KINDS[k] for k in MATCHED_KINDS}


@dataclass(frozen=True)
class TermEvidence:
    """One patient term against a gene's best disease."""

    term: str
    label: str
    status: str  # "observed" or "excluded"
    kind: str  # similarity.KINDS for observed terms; "present"/"absent" for excluded ones
    lr_log10: float
    frequency: float | None  # of the term in the disease, when annotated
    disease_term: str | None  # the disease feature that matched best
    disease_term_label: str | None

    @property
    def matched(self) -> bool:
        """An observed term the disease has (exactly, more specifically or more broadly)."""
        return self.status == "observed" and self.kind in _MATCHED

    @property
    def conflicting(self) -> bool:
        """An excluded term that is a feature of the disease."""
        return self.status == "excluded" and self.kind == "present"


@dataclass(frozen=True)
class GeneEvidence:
    """Why a gene's phenotype weight is what it is."""

    gene: str
    disease_id: str
    disease_name: str
    phenotype_rank: int  # among all genes with a disease (1 = best match)
    phenotype_weight: float
    terms: tuple[TermEvidence, ...]


@dataclass
class CaseReport:
    """One case's results with everything the report formats need."""

    result: CaseResult
    provenance: Provenance
    labels: dict[str, str]  # HPO ID -> label, for every term shown
    evidence: dict[str, GeneEvidence]  # by gene symbol, for the EXPLAIN_TOP genes
    n_phenotype_genes: int  # genes with a disease in the knowledge base
    case_id: str | None = None
    genes: pa.Table = field(init=False)  # result.genes with matched_terms, excluded_terms

    def __post_init__(self) -> None:
        self.genes = _with_term_columns(self.result.genes, self.evidence, self.labels)

    def label(self, term: str) -> str:
        """The HPO label of ``term`` ('' when unknown)."""
        return self.labels.get(term, "")


def _phenotype_ranks(res: Resources, result: CaseResult) -> tuple[dict[str, int], int]:
    """Rank of every gene by phenotype match, keyed by HGNC ID and by symbol (as the pipeline)."""
    table = gene_table(res.diseases, result.phenotype)
    ranks = tie_min_rank(table["phenotype_score"].to_numpy()).tolist()
    ncbi = [str(i) for i in table["ncbi_gene_id"].to_pylist()]
    out: dict[str, int] = {}
    for symbol, entrez, rank in zip(table["gene"].to_pylist(), ncbi, ranks, strict=True):
        out.setdefault(symbol, rank)
        hgnc = res.hgnc_by_entrez.get(entrez)
        if hgnc:
            out.setdefault(hgnc, rank)
    return out, table.num_rows


def _gene_evidence(
    res: Resources, result: CaseResult, row: dict[str, Any], rank: int
) -> GeneEvidence:  # fmt: skip
    disease = row["best_disease"]
    matches = explain_disease(res.ontology, res.diseases, result.phenotype, disease)
    lab = res.ontology.label
    terms = tuple(
        TermEvidence(
            term=m.patient_term, label=lab(m.patient_term), status=m.status, kind=m.kind,
            lr_log10=m.lr_log10, frequency=m.frequency, disease_term=m.disease_term,
            disease_term_label=lab(m.disease_term) if m.disease_term else None,
        )
        for m in matches
    )  # fmt: skip
    weight = float(model.phenotype_weight(pa.array([rank]))[0])
    return GeneEvidence(row["gene"], disease, row["best_disease_name"] or "", rank, weight, terms)


def case_report(
    result: CaseResult, res: Resources, provenance: Provenance, case_id: str | None = None,
    top: int = EXPLAIN_TOP,
) -> CaseReport:  # fmt: skip
    """Explain the ``top`` best genes of ``result`` and collect the labels to show."""
    ranks, n_genes = _phenotype_ranks(res, result)
    evidence: dict[str, GeneEvidence] = {}
    cols = ["gene", "hgnc_id", "best_disease", "best_disease_name"]
    for row in result.genes.slice(0, top).select(cols).to_pylist():
        rank = ranks.get(row["hgnc_id"] or "") or ranks.get(row["gene"])
        if row["best_disease"] in res.diseases.disease_index and rank is not None:
            evidence[row["gene"]] = _gene_evidence(res, result, row, rank)
    patient = result.patient
    shown = [*patient.observed, *patient.excluded]
    shown += [t.disease_term for ev in evidence.values() for t in ev.terms if t.disease_term]
    labels = {t: res.ontology.label(t) for t in sorted(set(shown)) if t in res.ontology}
    return CaseReport(result, provenance, labels, evidence, n_genes, case_id)


def _terms_column(
    genes: pa.Table, evidence: dict[str, GeneEvidence], labels: dict[str, str], matched: bool
) -> pa.Array:
    values: list[list[str] | None] = []
    for gene in genes["gene"].to_pylist():
        ev = evidence.get(gene)
        if ev is None:
            values.append(None)
            continue
        keep = [t for t in ev.terms if (t.matched if matched else t.conflicting)]
        values.append([f"{t.term} {labels.get(t.term, '')}".rstrip() for t in keep])
    return pa.array(values, pa.list_(pa.string()))


def _with_term_columns(
    genes: pa.Table, evidence: dict[str, GeneEvidence], labels: dict[str, str]
) -> pa.Table:
    """Add ``matched_terms`` / ``excluded_terms`` ("HP:0001166 Arachnodactyly" items)."""
    return genes.append_column(
        "matched_terms", _terms_column(genes, evidence, labels, True)
    ).append_column("excluded_terms", _terms_column(genes, evidence, labels, False))


def fit_factor(label: str | None) -> float:
    """The score factor of an inheritance-fit label (1.0 when unknown)."""
    return FIT_FACTOR.get(label or "", 1.0)


def round6(value: float | None) -> float | None:
    """``value`` to 6 significant digits (as in the TSV); None for missing or NaN."""
    if value is None or np.isnan(value):
        return None
    return float(f"{value:.6g}")
