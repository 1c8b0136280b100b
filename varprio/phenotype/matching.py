"""Score one patient's HPO terms against every disease, vectorised (rows: terms, columns: diseases).

Per observed term q and disease d (see :class:`PatientScores`):

* Resnik: IC of the most informative common ancestor (MICA) of q and d's annotations, the max
  IC over ``ancestors(q) ∩ closure(d)``.  ``resnik_bma`` averages it over the patient's terms;
  the disease->patient direction averages, over d's annotations, each one's best MICA with any
  patient term (``resnik_dp``; ``resnik_dpw`` weights the annotations by their frequency).
* LIRICAL-style likelihood ratio (Robinson et al. 2020), log10 LR per term:

  - q in closure(d) (annotated, or implied by a more specific annotation): f / background(q),
    ``exact`` or ``implied``;
  - d annotated with a proper ancestor t of q: f(t) / background(t) (``ancestor``);
  - only a common ancestor a: FALSE_POSITIVE * f(a) / background(a) (``partial``), never
    below FALSE_POSITIVE (``none``);
  - d has a NOT-annotation at q or an ancestor of q: NOT_ANNOTATED_LR (``not``);
  - excluded e, d having e (or a descendant) at frequency f: max(1 - f, MIN_ABSENT) /
    (1 - background(e)), else 1 / (1 - background(e)).

  ``background(t)`` is the frequency of t averaged over all diseases (build time).

The combined score (``combined``, a logit) is a conditional-logit model over diseases with the
features and weights of :data:`COMBINED_WEIGHTS`; ``posterior`` is its softmax over diseases and
``phenotype_score`` its percentile rank.  Excluded terms enter ``lr_log10`` only (see the
weights' notes).  Observed terms that are ancestors of other observed terms are dropped first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from varprio.phenotype.diseases import DiseaseModels
from varprio.phenotype.ontology import Ontology

log = logging.getLogger(__name__)

FALSE_POSITIVE = 0.01
NOT_ANNOTATED_LR = 0.001
MIN_ABSENT = 0.05
MAX_BACKGROUND = 0.99
#: A disease feature the patient's excluded term contradicts: given frequency at least this.
VERY_FREQUENT = 0.8

#: Match kinds of an observed term, from worst to best (codes in the per-term matrices).
KINDS = ("none", "partial", "ancestor", "implied", "exact", "not")
NONE, PARTIAL, ANCESTOR, IMPLIED, EXACT, NOT = range(6)
MATCHED_KINDS = (ANCESTOR, IMPLIED, EXACT)

#: Weights of the combined score (a logit): conditional logit (softmax over diseases, the
#: diagnosed disease as the outcome, L2 1e-4, each case's 300 best diseases by three scores
#: as the alternatives), fitted by ``bench/phenotype.py --n 0 --fit`` on the 2,695 cases of the
#: tuning half (genes hashed to half 0 with seed 0) whose disease is in the HPO 2025-01-16
#: release; reported on the other half (docs/benchmark-phenotype.md).  Features are per
#: disease; ``lr_mean`` and ``frac_exact`` are averages over the patient's terms, so the scale
#: does not grow with the number of terms.  Adding the count of
#: excluded terms that contradict a very frequent feature (given frequency >= 0.8) fits a
#: *positive* weight and any fixed penalty lowers top-1 on both halves (curators list as
#: excluded the disease's own features), so excluded terms are left out of the combined score.
COMBINED_WEIGHTS: dict[str, float] = {
    "lr_mean": 1.524,  # mean log10 LR of the observed terms
    "frac_exact": 5.408,  # fraction of observed terms the disease is annotated with exactly
    "log_n_annotations": -0.488,  # ln(number of the disease's annotations)
    "resnik_dpw": 0.678,  # frequency-weighted disease->patient Resnik average
    "resnik_bma": 0.79,  # patient->disease Resnik best-match average
}


@dataclass
class PatientScores:
    """Per-disease scores and per-term matrices (rows: patient terms, columns: diseases).

    ``observed`` are the terms scored (phenotypic, redundant ancestors dropped: listed in
    ``redundant``); ``excluded`` likewise.
    """

    observed: list[str]
    excluded: list[str]
    resnik_pd: np.ndarray  # (n_obs, n_diseases) IC of the MICA
    resnik_dp: np.ndarray  # (n_diseases,) disease->patient average
    resnik_dpw: np.ndarray  # (n_diseases,) disease->patient average, frequency-weighted
    obs_lr: np.ndarray  # (n_obs, n_diseases) log10 LR
    obs_kind: np.ndarray  # (n_obs, n_diseases) int8 codes of KINDS
    exc_lr: np.ndarray  # (n_exc, n_diseases) log10 LR
    log_n_annotations: np.ndarray  # (n_diseases,) ln(number of annotations)
    redundant: list[str] = field(default_factory=list)

    @cached_property
    def resnik_bma(self) -> np.ndarray:
        return _mean_rows(self.resnik_pd)

    @property
    def resnik_sym(self) -> np.ndarray:
        return (self.resnik_bma + self.resnik_dp) / 2

    @cached_property
    def lr_log10(self) -> np.ndarray:
        return self.obs_lr.sum(axis=0) + self.exc_lr.sum(axis=0)

    @cached_property
    def matched(self) -> np.ndarray:
        return np.isin(self.obs_kind, MATCHED_KINDS)

    def features(self) -> dict[str, np.ndarray]:
        """The combined score's features (keys of :data:`COMBINED_WEIGHTS`), per disease."""
        return {
            "lr_mean": _mean_rows(self.obs_lr),
            "frac_exact": _mean_rows(self.obs_kind == EXACT),
            "log_n_annotations": self.log_n_annotations,
            "resnik_dpw": self.resnik_dpw,
            "resnik_bma": self.resnik_bma,
        }

    @cached_property
    def combined(self) -> np.ndarray:
        """Combined score (a logit) of every disease."""
        feats = self.features()
        return sum(
            (w * feats[k] for k, w in COMBINED_WEIGHTS.items()), np.zeros(len(feats["lr_mean"]))
        )

    @cached_property
    def log_normaliser(self) -> float:
        """log of the sum over diseases of exp(combined): log P(d) = combined - this."""
        c = self.combined
        if not len(c):
            return 0.0
        top = float(c.max())
        return top + float(np.log(np.exp(c - top).sum()))

    @property
    def posterior(self) -> np.ndarray:
        """Softmax of ``combined`` over diseases: P(disease | terms) if it is in the KB."""
        return np.exp(self.combined - self.log_normaliser)

    @cached_property
    def phenotype_score(self) -> np.ndarray:
        """Percentile rank of ``combined`` among all diseases (1.0 = best)."""
        return percentile_rank(self.combined)


def _mean_rows(m: np.ndarray) -> np.ndarray:
    """Column means of a (terms, diseases) matrix; zeros when there is no term."""
    return m.mean(axis=0) if m.shape[0] else np.zeros(m.shape[1])


def percentile_rank(x: np.ndarray) -> np.ndarray:
    """Fraction of values <= each value (ties share the highest rank): 1.0 for the best."""
    s = np.sort(x)
    return np.searchsorted(s, x, side="right") / max(len(x), 1)


def phenotype_ancestors(ontology: Ontology, q: int) -> np.ndarray:
    """Ancestors of term index q (itself included) inside the phenotype subtree."""
    anc = ontology.ancestors_of(q)
    return anc[ontology.is_phenotype[anc]]


def gather_rows(off: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the CSR rows ``keys`` concatenated, and the key of each position."""
    starts = off[keys]
    lengths = off[keys + 1] - starts
    before = np.cumsum(lengths) - lengths
    idx = np.repeat(starts - before, lengths) + np.arange(lengths.sum())
    return idx, np.repeat(keys, lengths)


def _observed(
    ontology: Ontology, models: DiseaseModels, q: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MICA IC, LR (not log) and match kind of observed term q against each disease."""
    n, bg, ic = models.n_diseases, models.background, ontology.ic
    anc = phenotype_ancestors(ontology, q)
    idx, a = gather_rows(models.cl_off, anc[ic[anc] > 0])
    rows = models.cl_dis[idx]
    mica = np.zeros(n)
    np.maximum.at(mica, rows, ic[a])
    ratio = np.zeros(n)  # best f(a) / background(a) over common ancestors a
    np.maximum.at(ratio, rows, models.cl_freq[idx] / bg[a])
    lr = np.maximum(FALSE_POSITIVE * ratio, FALSE_POSITIVE)
    kind = np.where(lr > FALSE_POSITIVE, PARTIAL, NONE).astype(np.int8)
    idx, t = gather_rows(models.an_off, anc[anc != q])
    above = np.zeros(n)  # best f(t) / background(t) over annotated proper ancestors t
    np.maximum.at(above, models.an_dis[idx], models.an_freq[idx] / bg[t])
    better = above > lr
    lr[better] = above[better]
    kind[better] = ANCESTOR
    rows, f = models.closure_row(q)
    lr[rows] = f / bg[q]
    kind[rows] = IMPLIED
    kind[models.annotation_row(q)[0]] = EXACT
    for a_ in anc:
        rows = models.not_row(a_)
        lr[rows] = NOT_ANNOTATED_LR
        kind[rows] = NOT
    return mica, lr, kind


def _excluded_lr(models: DiseaseModels, e: int) -> np.ndarray:
    """LR (not log) of excluded term e against each disease."""
    absent = 1.0 - min(models.background[e], MAX_BACKGROUND)
    lr = np.full(models.n_diseases, 1.0 / absent)
    rows, f = models.closure_row(e)
    lr[rows] = np.maximum(1.0 - f, MIN_ABSENT) / absent
    return lr


def _disease_to_patient(
    ontology: Ontology, models: DiseaseModels, obs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Average over each disease's annotations of the best MICA IC with any patient term.

    Returns the plain average and the frequency-weighted one.
    """
    in_patient = np.zeros(len(ontology), dtype=bool)
    for q in obs:
        in_patient[phenotype_ancestors(ontology, q)] = True
    vals = np.where(in_patient[models.ann_anc], models.ann_anc_ic, 0.0)
    if not len(vals):
        vals = np.zeros(1)
    best = np.maximum.reduceat(vals, models.ann_anc_start)[models.an_slot]
    n = models.n_diseases
    plain = np.bincount(models.an_dis, weights=best, minlength=n)
    weighted = np.bincount(models.an_dis, weights=best * models.an_freq, minlength=n)
    return (
        plain / np.maximum(models.n_annot, 1),
        weighted / np.maximum(models.freq_total, 1e-12),
    )


def _phenotypic(ontology: Ontology, terms: list[str]) -> list[str]:
    return [t for t in terms if ontology.is_phenotype[ontology.index[t]]]


def score_patient(
    ontology: Ontology, models: DiseaseModels, observed: list[str], excluded: list[str]
) -> PatientScores:
    """All per-disease scores of a patient; terms outside HP:0000118 are ignored.

    Observed terms that are ancestors of other observed terms add nothing and are dropped
    (logged); see :meth:`Ontology.redundant_ancestors`.

    Parameters
    ----------
    observed, excluded
        Current HPO IDs (see :meth:`Ontology.normalise`).
    """
    obs_ids = _phenotypic(ontology, observed)
    redundant = ontology.redundant_ancestors(obs_ids)
    if redundant:
        log.warning("%d observed term(s) implied by more specific observed terms, not scored "
                    "(-vv lists them)", len(redundant))  # fmt: skip
        log.debug("not scored: %s", ", ".join(f"{t} ({ontology.label(t)})" for t in redundant))
        obs_ids = [t for t in obs_ids if t not in set(redundant)]
    exc_ids = _phenotypic(ontology, excluded)
    obs, exc = ontology.indices(obs_ids), ontology.indices(exc_ids)
    n = models.n_diseases
    per_term = [_observed(ontology, models, q) for q in obs]
    dp, dpw = _disease_to_patient(ontology, models, obs)
    return PatientScores(
        observed=obs_ids,
        excluded=exc_ids,
        resnik_pd=np.array([m for m, _, _ in per_term]).reshape(-1, n),
        resnik_dp=dp,
        resnik_dpw=dpw,
        obs_lr=np.log10(np.array([lr for _, lr, _ in per_term]).reshape(-1, n)),
        obs_kind=np.array([k for _, _, k in per_term], dtype=np.int8).reshape(-1, n),
        exc_lr=np.log10(np.array([_excluded_lr(models, e) for e in exc]).reshape(-1, n)),
        log_n_annotations=models.log_n_annot,
        redundant=redundant,
    )


def contradictions(ontology: Ontology, models: DiseaseModels, excluded: list[str]) -> np.ndarray:
    """Per disease, how many excluded terms contradict a very frequent feature of it.

    A contradiction: the disease is annotated with the excluded term or a descendant at a
    *given* frequency of at least :data:`VERY_FREQUENT` (unknown frequencies do not count).
    """
    out = np.zeros(models.n_diseases)
    strong = models.an_given & (models.an_freq >= VERY_FREQUENT)
    for e_id in _phenotypic(ontology, excluded):
        hit = np.zeros(models.n_diseases, dtype=bool)
        for t in ontology.descendants_of(ontology.index[e_id]):
            s = slice(models.an_off[t], models.an_off[t + 1])
            hit[models.an_dis[s][strong[s]]] = True
        out += hit
    return out
