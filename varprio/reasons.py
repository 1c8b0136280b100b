"""Plain-word reasons for a learned score: the three feature groups that moved it most.

LightGBM's ``pred_contrib`` gives each feature's additive contribution (SHAP value) to a row's
raw score; contributions are summed per group of :data:`varprio.features.FEATURES` (phenotype,
gene, consequence, frequency, genotype, quality, context, transparent) and the three largest
in absolute value are put in words, e.g. ``phenotype matches Marfan syndrome (gene ranked 1st
of 5,127 by phenotype); frameshift; absent from 1000 Genomes``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

from varprio.features import FEATURE_INDEX, FEATURES
from varprio.inheritance import MODE_NAMES

N_REASONS = 3
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(f.group for f in FEATURES))
_GROUP_OF = np.array([GROUPS.index(f.group) for f in FEATURES])
MODE_WORDS = MODE_NAMES
_COLUMNS = (
    "gene", "best_disease_name", "phenotype_rank", "n_phenotype_genes", "consequence",
    "kgp_af_grpmax", "kgp_grpmax", "kgp_nhomalt", "inheritance", "genotype_fit", "gene_modes",
    "zygosity", "diseases", "dp", "gq", "qual", "filter",
)  # fmt: skip
Row = dict[str, Any]


def ordinal(n: int) -> str:
    """1 -> 1st, 2 -> 2nd, 11 -> 11th, 23 -> 23rd."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix}"


def _modes(row: Row) -> str:
    codes = [m for m in (row["gene_modes"] or "").split(";") if m]
    return ", ".join(MODE_WORDS.get(m, m) for m in codes) or "mode of inheritance unknown"


#: A gene's phenotype "matches" its best disease when ranked this high, else it "fits loosely".
MATCH_RANK = 10


def _phenotype(row: Row, up: bool) -> str:
    if row["phenotype_rank"] is None:
        return f"{row['gene']} has no known disease"
    rank = int(row["phenotype_rank"])
    where = f"gene ranked {ordinal(rank)} of {row['n_phenotype_genes']:,} by phenotype"
    name = row["best_disease_name"]
    if rank <= MATCH_RANK:
        return f"phenotype matches {name} ({where})"
    return f"phenotype fits {name} only loosely ({where})"


def _gene(row: Row, up: bool) -> str:
    n = len([d for d in (row["diseases"] or "").split(";") if d])
    if n == 0:
        return "gene has no known disease"
    return f"gene has {n} known disease{'s' if n > 1 else ''} ({_modes(row)})"


def _consequence(row: Row, up: bool) -> str:
    term = (row["consequence"] or "unknown consequence").replace("_variant", "")
    if term == "coding_sequence":
        return "coding SNV (missense or synonymous)"
    return term.replace("_", " ")


def _frequency(row: Row, up: bool) -> str:
    af = row["kgp_af_grpmax"]
    if af is None:
        return "absent from 1000 Genomes"
    homs = row["kgp_nhomalt"]
    tail = f", {homs:,} homozygotes" if homs else ""
    return f"1000 Genomes AF {af:.2g} in {row['kgp_grpmax']}{tail}"


_FIT_WORDS = {
    "possible_compound_het": "heterozygous with another qualifying variant in the gene "
    "(possible compound heterozygote)",
    "het_in_recessive_gene": "heterozygous, gene is autosomal recessive (no second variant)",
    "hom_in_dominant_gene": "homozygous, gene is autosomal dominant",
    "het_female_x_recessive": "heterozygous female, gene is X-linked recessive",
    "unknown_mode": "mode of inheritance unknown",
}


_FAMILY_LABELS = ("compound_het", "de_novo", "segregation_conflict")


def _genotype(row: Row, up: bool) -> str:
    label = row["genotype_fit"]
    if label in _FIT_WORDS:
        return _FIT_WORDS[label]
    if label in _FAMILY_LABELS:  # the family's evidence: its own words say it best
        return str(row["inheritance"])
    return f"{row['zygosity']}, gene is {_modes(row)}"


def _quality(row: Row, up: bool) -> str:
    parts = [f"{k.upper()} {row[k]:g}" for k in ("dp", "gq", "qual") if row[k] is not None]
    return f"call quality ({', '.join(parts) or 'no values'}, FILTER {row['filter']})"


def _context(row: Row, values: np.ndarray) -> str:
    n = int(values[FEATURE_INDEX["n_candidates_in_gene"]])
    q = int(values[FEATURE_INDEX["n_qualifying_in_gene"]])
    return f"{n} variant{'s' if n != 1 else ''} in the gene, {q} qualifying"


def _transparent(row: Row, values: np.ndarray) -> str:
    ts = float(values[FEATURE_INDEX["transparent_score"]])
    fit = (row["genotype_fit"] or "").replace("_", " ")
    parts = (_consequence(row, True), _frequency(row, True), fit)
    return f"transparent score {ts:.2g} ({', '.join(parts)})"


_FROM_VALUES: dict[str, Callable[[Row, np.ndarray], str]] = {
    "context": _context,
    "transparent": _transparent,
}
_PHRASES: dict[str, Callable[[Row, bool], str]] = {
    "phenotype": _phenotype,
    "gene": _gene,
    "consequence": _consequence,
    "frequency": _frequency,
    "genotype": _genotype,
    "quality": _quality,
}


def group_contributions(contrib: np.ndarray) -> np.ndarray:
    """Sum per-feature contributions (rows x features[+bias]) into rows x GROUPS."""
    out = np.zeros((contrib.shape[0], len(GROUPS)))
    for g in range(len(GROUPS)):
        out[:, g] = contrib[:, : len(FEATURES)][:, g == _GROUP_OF].sum(axis=1)
    return out


def reasons(rows: pa.Table, values: np.ndarray, contrib: np.ndarray) -> list[str]:
    """One ``;``-joined reason string per row, strongest contribution first."""
    grouped = group_contributions(contrib)
    records = rows.select(list(_COLUMNS)).to_pylist()
    out = []
    for i, row in enumerate(records):
        order = np.argsort(-np.abs(grouped[i]), kind="stable")[:N_REASONS]
        words = []
        for g in order:
            name, up = GROUPS[g], bool(grouped[i, g] > 0)
            if name in _FROM_VALUES:
                words.append(_FROM_VALUES[name](row, values[i]))
            else:
                words.append(_PHRASES[name](row, up))
        out.append("; ".join(words))
    return out
