"""Score one patient's HPO terms against every disease and gene, vectorised.

Two scores per disease, computed from the knowledge-base tables loaded into
:class:`DiseaseModels` (CSR arrays by term of the disease annotations and of their
true-path closure, with frequencies):

* Resnik best-match average.  For a patient term q and a disease d, the IC of the most
  informative common ancestor of q and any of d's terms is the max IC over
  ``ancestors(q) ∩ closure(d)``; ``resnik_bma`` averages it over the patient terms and
  ``resnik_sym`` averages that with the disease->patient direction (each disease term's best
  match among the patient's terms, averaged over the disease's terms).
* LIRICAL-style likelihood ratio, ``lr_log10`` = sum of log10 LR over the patient's terms:

  - observed q in closure(d) (annotated, or implied by a more specific annotation):
    LR = f / background(q), ``exact`` or ``implied``;
  - d annotated with a proper ancestor t of q: LR = f(t) / background(t) (``ancestor``);
  - only a common ancestor a: LR = FALSE_POSITIVE * f(a) / background(a) (``partial``),
    never below FALSE_POSITIVE (``none``);
  - d has a NOT-annotation at q or an ancestor of q: LR = NOT_ANNOTATED_LR (``not``);
  - excluded e with d having e (or a descendant) at frequency f:
    LR = max(1 - f, MIN_ABSENT) / (1 - background(e)), else 1 / (1 - background(e)).

  ``background(t)`` is the frequency of t averaged over all diseases (build time).

``phenotype_score`` (in [0, 1]) is the percentile rank over all diseases of
``resnik_bma + LR_TIE_WEIGHT * (observed-term log10 LR)``: Resnik BMA ranks causal genes best
on the dev benchmark, and every mix with more weight on the LR (or with the excluded-term
LRs, which hit the causal disease: curators record the absent features *of that disease*)
ranked worse, so the LR only breaks near-ties.  A gene takes its disease with the best
``phenotype_score``; the score is a rank so that it is comparable across patients.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from varprio.errors import KnowledgeBaseError
from varprio.phenotype.ontology import Ontology

FALSE_POSITIVE = 0.01
NOT_ANNOTATED_LR = 0.001
MIN_ABSENT = 0.05
#: Weight of the observed-term log10 LR added to resnik_bma before rank-normalising.
LR_TIE_WEIGHT = 0.001
MAX_BACKGROUND = 0.99

#: Match kinds of an observed term, from worst to best (codes in the per-term matrices).
KINDS = ("none", "partial", "ancestor", "implied", "exact", "not")
NONE, PARTIAL, ANCESTOR, IMPLIED, EXACT, NOT = range(6)
MATCHED_KINDS = (ANCESTOR, IMPLIED, EXACT)


def _csr(keys: np.ndarray, n: int) -> np.ndarray:
    """Offsets of rows 0..n-1 in an array sorted by ``keys``."""
    return np.searchsorted(keys, np.arange(n + 1)).astype(np.int64)


class DiseaseModels:
    """Disease annotations, their closure, NOT-annotations and gene links as CSR arrays."""

    def __init__(self, tables: Mapping[str, pa.Table], ontology: Ontology) -> None:
        for name in ("hpo_diseases", "hpo_annotations", "hpo_disease_closure", "hpo_disease_genes"):
            if name not in tables:
                raise KnowledgeBaseError(f"knowledge base: table {name} missing: rebuild it")
        n_terms = len(ontology)
        dis = tables["hpo_diseases"]
        self.disease_ids: list[str] = dis["disease_id"].to_pylist()
        self.disease_names: list[str] = dis["name"].to_pylist()
        self.disease_index = dict(zip(self.disease_ids, range(len(self.disease_ids)), strict=True))
        self.modes: list[str] = dis["inheritance_modes"].to_pylist()
        self.n_diseases = len(self.disease_ids)
        ann, clo = tables["hpo_annotations"], tables["hpo_disease_closure"]
        self.an_term = ann["term"].to_numpy()
        self.an_dis = ann["disease"].to_numpy()
        self.an_freq = ann["frequency"].to_numpy().astype(np.float64)
        self.an_off = _csr(self.an_term, n_terms)
        self.n_annot = np.bincount(self.an_dis, minlength=self.n_diseases)
        self.cl_dis = clo["disease"].to_numpy()
        self.cl_freq = clo["frequency"].to_numpy().astype(np.float64)
        self.cl_off = _csr(clo["term"].to_numpy(), n_terms)
        nots = tables["hpo_not_annotations"]
        self.not_dis = nots["disease"].to_numpy()
        self.not_off = _csr(nots["term"].to_numpy(), n_terms)
        bg = tables["hpo_terms"]["background"].to_numpy().astype(np.float64)
        self.background = np.clip(bg, 1.0 / (2 * max(self.n_diseases, 1)), None)
        self._load_genes(tables["hpo_disease_genes"])

    def _load_genes(self, links: pa.Table) -> None:
        symbols = links["gene_symbol"].to_numpy(zero_copy_only=False).astype(str)
        self.genes, self.link_gene = np.unique(symbols, return_inverse=True)
        self.link_dis = links["disease"].to_numpy()
        ncbi = links["ncbi_gene_id"].to_numpy()
        self.gene_ncbi = np.zeros(len(self.genes), dtype=np.int64)
        self.gene_ncbi[self.link_gene] = ncbi
        modes: list[set[str]] = [set() for _ in self.genes]
        diseases: list[set[str]] = [set() for _ in self.genes]
        for g, d in zip(self.link_gene.tolist(), self.link_dis.tolist(), strict=True):
            modes[g].update(m for m in self.modes[d].split(";") if m)
            diseases[g].add(self.disease_ids[d])
        self.gene_modes = [";".join(sorted(m)) for m in modes]
        self.gene_diseases = [";".join(sorted(d)) for d in diseases]

    @classmethod
    def from_tables(cls, tables: Mapping[str, pa.Table], ontology: Ontology) -> DiseaseModels:
        """Load the disease models from the ``hpo_*`` knowledge-base tables."""
        return cls(tables, ontology)

    def closure_row(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Diseases having term index t or a descendant, and the max such frequency."""
        s = slice(self.cl_off[t], self.cl_off[t + 1])
        return self.cl_dis[s], self.cl_freq[s]

    def annotation_row(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Diseases annotated with term index t, and the frequency."""
        s = slice(self.an_off[t], self.an_off[t + 1])
        return self.an_dis[s], self.an_freq[s]


@dataclass
class PatientScores:
    """Per-disease scores and per-term matrices (rows: patient terms, columns: diseases)."""

    observed: list[str]
    excluded: list[str]
    resnik_pd: np.ndarray  # (n_obs, n_diseases) IC of the MICA
    resnik_dp: np.ndarray  # (n_diseases,) disease->patient average
    obs_lr: np.ndarray  # (n_obs, n_diseases) log10 LR
    obs_kind: np.ndarray  # (n_obs, n_diseases) int8 codes of KINDS
    exc_lr: np.ndarray  # (n_exc, n_diseases) log10 LR

    @property
    def resnik_bma(self) -> np.ndarray:
        return self.resnik_pd.mean(axis=0)

    @property
    def resnik_sym(self) -> np.ndarray:
        return (self.resnik_bma + self.resnik_dp) / 2

    @property
    def lr_log10(self) -> np.ndarray:
        return self.obs_lr.sum(axis=0) + self.exc_lr.sum(axis=0)

    @property
    def matched(self) -> np.ndarray:
        return np.isin(self.obs_kind, MATCHED_KINDS)

    @property
    def phenotype_score(self) -> np.ndarray:
        observed_lr = self.obs_lr.sum(axis=0)
        return percentile_rank(self.resnik_bma + LR_TIE_WEIGHT * observed_lr)


def percentile_rank(x: np.ndarray) -> np.ndarray:
    """Fraction of values <= each value (ties share the highest rank): 1.0 for the best."""
    s = np.sort(x)
    return np.searchsorted(s, x, side="right") / max(len(x), 1)


def _phenotype_ancestors(ontology: Ontology, q: int) -> np.ndarray:
    anc = ontology.ancestors_of(q)
    return anc[ontology.is_phenotype[anc]]


def _resnik_row(ontology: Ontology, models: DiseaseModels, q: int) -> np.ndarray:
    """IC of the most informative common ancestor of term q and each disease."""
    out = np.zeros(models.n_diseases)
    anc = _phenotype_ancestors(ontology, q)
    for a in anc[np.argsort(ontology.ic[anc], kind="stable")]:  # ascending: last write is max
        out[models.closure_row(a)[0]] = ontology.ic[a]
    return out


def _update(lr: np.ndarray, kind: np.ndarray, rows: np.ndarray, cand: np.ndarray, k: int) -> None:
    better = cand > lr[rows]
    lr[rows[better]] = cand[better]
    kind[rows[better]] = k


def _observed_lr(
    ontology: Ontology, models: DiseaseModels, q: int
) -> tuple[np.ndarray, np.ndarray]:
    """LR (not log) and match kind of observed term q against each disease."""
    lr = np.full(models.n_diseases, FALSE_POSITIVE)
    kind = np.zeros(models.n_diseases, dtype=np.int8)
    bg = models.background
    anc = _phenotype_ancestors(ontology, q)
    for a in anc:
        rows, f = models.closure_row(a)
        _update(lr, kind, rows, FALSE_POSITIVE * f / bg[a], PARTIAL)
    for t in anc[anc != q]:
        rows, f = models.annotation_row(t)
        _update(lr, kind, rows, f / bg[t], ANCESTOR)
    rows, f = models.closure_row(q)
    lr[rows] = f / bg[q]
    kind[rows] = IMPLIED
    kind[models.annotation_row(q)[0]] = EXACT
    for a in anc:
        rows = models.not_dis[models.not_off[a] : models.not_off[a + 1]]
        lr[rows] = NOT_ANNOTATED_LR
        kind[rows] = NOT
    return lr, kind


def _excluded_lr(models: DiseaseModels, e: int) -> np.ndarray:
    """LR (not log) of excluded term e against each disease."""
    absent = 1.0 - min(models.background[e], MAX_BACKGROUND)
    lr = np.full(models.n_diseases, 1.0 / absent)
    rows, f = models.closure_row(e)
    lr[rows] = np.maximum(1.0 - f, MIN_ABSENT) / absent
    return lr


def _disease_to_patient(ontology: Ontology, models: DiseaseModels, obs: np.ndarray) -> np.ndarray:
    """Average over each disease's terms of the best MICA IC with any patient term."""
    in_patient = np.zeros(len(ontology), dtype=bool)
    for q in obs:
        in_patient[_phenotype_ancestors(ontology, q)] = True
    vals = np.where(in_patient[ontology.anc_indices], ontology.ic[ontology.anc_indices], 0.0)
    best = np.maximum.reduceat(vals, ontology.anc_offsets[:-1])
    total = np.bincount(models.an_dis, weights=best[models.an_term], minlength=models.n_diseases)
    return total / np.maximum(models.n_annot, 1)


def score_patient(
    ontology: Ontology, models: DiseaseModels, observed: list[str], excluded: list[str]
) -> PatientScores:
    """All per-disease scores of a patient; terms outside HP:0000118 are ignored.

    Parameters
    ----------
    observed, excluded
        Current HPO IDs (see :meth:`Ontology.normalise`).
    """
    obs_ids = [t for t in observed if ontology.is_phenotype[ontology.index[t]]]
    exc_ids = [t for t in excluded if ontology.is_phenotype[ontology.index[t]]]
    obs, exc = ontology.indices(obs_ids), ontology.indices(exc_ids)
    n = models.n_diseases
    lrs = [_observed_lr(ontology, models, q) for q in obs]
    return PatientScores(
        observed=obs_ids,
        excluded=exc_ids,
        resnik_pd=np.array([_resnik_row(ontology, models, q) for q in obs]).reshape(-1, n),
        resnik_dp=_disease_to_patient(ontology, models, obs),
        obs_lr=np.log10(np.array([lr for lr, _ in lrs]).reshape(-1, n)),
        obs_kind=np.array([k for _, k in lrs], dtype=np.int8).reshape(-1, n),
        exc_lr=np.log10(np.array([_excluded_lr(models, e) for e in exc]).reshape(-1, n)),
    )


def _matched_terms(scores: PatientScores, columns: np.ndarray) -> pa.Array:
    """List column: the patient terms matched (exact/implied/ancestor) for each column."""
    m = scores.matched[:, columns].T  # (n_rows, n_obs)
    rows, terms = np.nonzero(m)
    offsets = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=len(columns)))])
    values = pa.array(np.asarray(scores.observed, dtype=object)[terms], pa.string())
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), values)


def _score_columns(scores: PatientScores, columns: np.ndarray) -> dict[str, pa.Array]:
    return {
        "resnik_bma": pa.array(scores.resnik_bma[columns].astype(np.float32)),
        "resnik_sym": pa.array(scores.resnik_sym[columns].astype(np.float32)),
        "lr_log10": pa.array(scores.lr_log10[columns].astype(np.float32)),
        "n_matched": pa.array(scores.matched[:, columns].sum(axis=0).astype(np.int32)),
        "matched_terms": _matched_terms(scores, columns),
        "phenotype_score": pa.array(scores.phenotype_score[columns].astype(np.float32)),
    }


def disease_table(models: DiseaseModels, scores: PatientScores) -> pa.Table:
    """One row per disease, best ``phenotype_score`` first (ties: disease_id)."""
    order = np.lexsort((np.asarray(models.disease_ids), -scores.phenotype_score))
    cols = {
        "disease_id": pa.array(np.asarray(models.disease_ids, dtype=object)[order], pa.string()),
        "disease_name": pa.array(
            np.asarray(models.disease_names, dtype=object)[order], pa.string()
        ),
    }
    return pa.table({**cols, **_score_columns(scores, order)})


def best_disease_per_gene(models: DiseaseModels, scores: PatientScores) -> np.ndarray:
    """Index of each gene's disease with the best phenotype_score (ties: lr_log10)."""
    s = scores.phenotype_score[models.link_dis]
    lr = scores.lr_log10[models.link_dis]
    order = np.lexsort((-lr, -s, models.link_gene))
    first = np.ones(len(order), dtype=bool)
    first[1:] = models.link_gene[order][1:] != models.link_gene[order][:-1]
    best = np.full(len(models.genes), -1, dtype=np.int64)
    best[models.link_gene[order][first]] = models.link_dis[order][first]
    return best


def gene_table(models: DiseaseModels, scores: PatientScores) -> pa.Table:
    """One row per gene with a disease, best ``phenotype_score`` first (ties: gene)."""
    best = best_disease_per_gene(models, scores)
    order = np.lexsort((models.genes, -scores.phenotype_score[best]))
    dis = best[order]
    cols = {
        "gene": pa.array(models.genes[order], pa.string()),
        "ncbi_gene_id": pa.array(models.gene_ncbi[order]),
        "best_disease": pa.array(np.asarray(models.disease_ids, dtype=object)[dis], pa.string()),
        "best_disease_name": pa.array(
            np.asarray(models.disease_names, dtype=object)[dis], pa.string()
        ),
    }
    modes = pa.array(np.asarray(models.gene_modes, dtype=object)[order], pa.string())
    diseases = pa.array(np.asarray(models.gene_diseases, dtype=object)[order], pa.string())
    return pa.table(
        {**cols, **_score_columns(scores, dis), "inheritance_modes": modes, "diseases": diseases}
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
    """(disease annotation, MICA) with the most informative common ancestor of q and d."""
    terms = models.an_term[models.an_dis == d]
    q_anc = _phenotype_ancestors(ontology, q)
    best: tuple[float, int | None, int | None] = (-1.0, None, None)
    for t in terms:
        common = np.intersect1d(q_anc, ontology.ancestors_of(t))
        if len(common):
            a = common[np.argmax(ontology.ic[common])]
            if ontology.ic[a] > best[0]:
                best = (float(ontology.ic[a]), int(t), int(a))
    return best[1], best[2]


def explain_disease(
    ontology: Ontology, models: DiseaseModels, scores: PatientScores, disease_id: str
) -> list[TermMatch]:
    """Per-term breakdown of a patient's scores against one disease."""
    d = models.disease_index[disease_id]
    out = []
    for i, q_id in enumerate(scores.observed):
        q = ontology.index[q_id]
        t, a = _best_disease_term(ontology, models, q, d)
        out.append(_term_match(ontology, models, q, d, "observed", t, a, scores, i))
    for i, e_id in enumerate(scores.excluded):
        e = ontology.index[e_id]
        t, a = _best_disease_term(ontology, models, e, d)
        out.append(_term_match(ontology, models, e, d, "excluded", t, a, scores, i))
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
