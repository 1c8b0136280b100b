"""Newer HPO annotations (a binary release, :mod:`varprio.kb.sources.hpo_binary`) added to a
base HPO release (hp.obo, phenotype.hpoa, genes_to_phenotype.txt).

The base release brings what the binary lacks: frequencies, onsets, NOT-annotations and the
links between diseases and genes.  The binary (hpo3 1.5.1: HPO 2025-11-24, ten months newer than
the base) brings diseases and gene annotations the base does not know yet.  Only what the base
lacks is added; nothing of the base changes:

* an OMIM disease absent from the base is added when exactly one gene's annotations in the
  binary contain every one of the disease's terms (that gene is its gene).  Checked on the base:
  for the 5,459 base OMIM diseases this rule links to a single gene, it names the base's gene
  every time; the other 1,010 match several genes (or none) and would be left out.
* a gene with annotations in the binary but no disease in the base, and no disease linked
  above, gets a gene-level entry ``NCBIGene:<id>`` whose terms are the gene's annotations (its
  diseases are named in the newer release's OMIM entries, not linked to it there).

Terms unknown to the base ontology are replaced by their obsolete term's replacement, or by
their nearest ancestors the base knows, and each newer term resolves to the most specific such
ancestor, so that a patient described with the newer release's terms is understood.  Added
annotations have no frequency (1.0, not given), as the binary carries none; inheritance terms
become inheritance annotations.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from varprio.kb.sources.hpo_binary import HpoBinary

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class BaseTerms:
    """The base ontology as the merge needs it."""

    primary: dict[str, str]  # every term ID the base knows (primary or alternative) -> primary
    depth: dict[str, int]  # primary ID -> its number of ancestors, itself included
    aspect: dict[str, str]  # primary ID -> phenotype.hpoa aspect: P, I (inheritance) or C


@dataclass(frozen=True)
class Additions:
    """What a newer release adds to the base: rows for phenotype.hpoa and genes_to_phenotype.txt,
    (newer term, base term) pairs that resolve like alternative IDs, and counts."""

    hpoa: pd.DataFrame
    links: pd.DataFrame
    alt_ids: list[tuple[str, str]]
    counts: dict[str, int | str]


def _term_sets(table: pa.Table, key: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for k, t in zip(table[key].to_pylist(), table["term_id"].to_pylist(), strict=True):
        out[str(k)].add(t)
    return out


def _to_base(newer: HpoBinary, base: BaseTerms) -> Callable[[str], list[str]]:
    """Map a term of the binary to primary base terms: itself, its replacement, or its nearest
    ancestors the base knows."""
    parents: dict[str, list[str]] = defaultdict(list)
    for child, parent in zip(newer.parents["term_id"].to_pylist(),
                             newer.parents["parent_id"].to_pylist(), strict=True):  # fmt: skip
        parents[child].append(parent)
    replaced = dict(zip(newer.terms["term_id"].to_pylist(),
                        newer.terms["replaced_by"].to_pylist(), strict=True))  # fmt: skip
    known = base.primary
    cache: dict[str, list[str]] = {}

    def mapped(term: str) -> list[str]:
        if term in known:
            return [known[term]]
        if term not in cache:
            out: set[str] = set()
            seen, frontier = {term}, [term]
            if replaced.get(term) in known:
                out.add(known[str(replaced[term])])
                frontier = []
            while frontier:
                nxt = []
                for t in frontier:
                    for p in parents.get(t, ()):
                        if p in known:
                            out.add(known[p])
                        elif p not in seen:
                            seen.add(p)
                            nxt.append(p)
                frontier = nxt
            cache[term] = sorted(out)
        return cache[term]

    return mapped


def _sole_gene(terms: set[str], genes_of_term: dict[str, set[str]]) -> str | None:
    """The only gene whose annotations contain every term in ``terms`` (None: none or several)."""
    found: set[str] | None = None
    for t in sorted(terms, key=lambda t: len(genes_of_term.get(t, ()))):  # rarest first
        found = (
            set(genes_of_term.get(t, ())) if found is None else found & genes_of_term.get(t, set())
        )
        if not found:
            return None
    return next(iter(found)) if found is not None and len(found) == 1 else None


def _linked_diseases(
    newer: HpoBinary, gene_terms: dict[str, set[str]], base_diseases: set[str]
) -> list[tuple[str, str, set[str], str]]:
    """(disease, name, terms, gene) of the binary's OMIM diseases the base lacks that one gene's
    annotations alone contain."""
    genes_of_term: dict[str, set[str]] = defaultdict(set)
    for gene, terms in gene_terms.items():
        for t in terms:
            genes_of_term[t].add(gene)
    disease_terms = _term_sets(newer.omim_terms, "disease_id")
    names = dict(zip(newer.omim["disease_id"].to_pylist(), newer.omim["name"].to_pylist(),
                     strict=True))  # fmt: skip
    out = []
    for disease in sorted(disease_terms.keys() - base_diseases):
        sole = _sole_gene(disease_terms[disease], genes_of_term)
        if sole is not None:
            out.append((disease, names[disease], disease_terms[disease], sole))
    return out


def newer_additions(
    newer: HpoBinary, hpoa: pd.DataFrame, links: pd.DataFrame, base: BaseTerms
) -> Additions:
    """What ``newer`` adds to a base release read as the ``hpoa`` (phenotype.hpoa) and
    ``links`` (genes_to_phenotype.txt) frames."""
    import pandas as pd

    gene_terms = _term_sets(newer.gene_terms, "ncbi_gene_id")
    symbol = dict(zip(map(str, newer.genes["ncbi_gene_id"].to_pylist()),
                      newer.genes["symbol"].to_pylist(), strict=True))  # fmt: skip
    base_genes = set(links["ncbi_gene_id"].astype(str))
    added = _linked_diseases(newer, gene_terms, set(hpoa["database_id"]))
    n_diseases = len(added)
    for gene in sorted(set(gene_terms) - base_genes - {g for *_, g in added}, key=int):
        name = f"{symbol[gene]}-related phenotypes (HPO {newer.version} gene annotations)"
        added.append((f"NCBIGene:{gene}", name, gene_terms[gene], gene))
    to_base = _to_base(newer, base)
    rows = [
        (disease, name, term, base.aspect[term])
        for disease, name, terms, _ in added
        for term in sorted({b for t in terms for b in to_base(t)})
    ]
    frame = pd.DataFrame(rows, columns=["database_id", "disease_name", "hpo_id", "aspect"])
    for col in hpoa.columns:
        if col not in frame:
            frame[col] = ""
    frame["biocuration"] = f"HPO {newer.version} (binary release)"
    gene_rows = pd.DataFrame(
        [(gene, symbol[gene], "", "", "", disease) for disease, _, _, gene in added],
        columns=list(links.columns),
    )
    # a newer term resolves to its most specific nearest ancestor the base knows
    current = newer.terms.filter(pc.invert(newer.terms["obsolete"]))["term_id"].to_pylist()
    alt_ids = [
        (term, max(found, key=lambda t: (base.depth[t], t)))
        for term in sorted(current)
        if term not in base.primary and (found := to_base(term))
    ]
    counts: dict[str, int | str] = {
        "version": newer.version,
        "diseases_added": n_diseases,
        "diseases_added_new_genes": sum(1 for *_, g in added[:n_diseases] if g not in base_genes),
        "gene_level_entries": len(added) - n_diseases,
        "annotations_added": len(frame),
        "newer_terms": len(alt_ids),
    }
    return Additions(frame[list(hpoa.columns)], gene_rows, alt_ids, counts)
