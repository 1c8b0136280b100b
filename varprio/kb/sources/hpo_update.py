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
their nearest ancestors the base knows; :func:`newer_terms` maps each newer term to one such
ancestor, so that a patient described with the newer release's terms is understood.  Added
annotations have no frequency (1.0, not given), as the binary carries none; inheritance terms
become inheritance annotations.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from varprio.kb.sources.hpo_binary import HpoBinary

if TYPE_CHECKING:
    import pandas as pd

#: ``aspect`` column of phenotype.hpoa for a base term ID: P (phenotype), I (inheritance), C
#: (clinical course and modifiers).
AspectOf = Callable[[str], str]


def _term_sets(table: pa.Table, key: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for k, t in zip(table[key].to_pylist(), table["term_id"].to_pylist(), strict=True):
        out[str(k)].add(t)
    return out


def _base_terms(newer: HpoBinary, known: set[str]) -> Callable[[str], list[str]]:
    """Map a term of the binary to base terms: itself, its replacement, or nearest ancestors."""
    parents: dict[str, list[str]] = defaultdict(list)
    for child, parent in zip(newer.parents["term_id"].to_pylist(),
                             newer.parents["parent_id"].to_pylist(), strict=True):  # fmt: skip
        parents[child].append(parent)
    replaced = dict(zip(newer.terms["term_id"].to_pylist(),
                        newer.terms["replaced_by"].to_pylist(), strict=True))  # fmt: skip
    cache: dict[str, list[str]] = {}

    def mapped(term: str) -> list[str]:
        if term in known:
            return [term]
        if term not in cache:
            out: set[str] = set()
            seen, frontier = {term}, [term]
            if replaced.get(term) in known:
                out.add(str(replaced[term]))
                frontier = []
            while frontier:
                nxt = []
                for t in frontier:
                    for p in parents.get(t, ()):
                        if p in known:
                            out.add(p)
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


def newer_terms(newer: HpoBinary, known_terms: dict[str, int]) -> list[tuple[str, str]]:
    """(term, base term) for each current term of the binary the base does not know: its most
    specific nearest ancestor the base knows, so that a patient's newer term is understood.

    ``known_terms``: the base ontology's term IDs with their number of ancestors.
    """
    mapped = _base_terms(newer, set(known_terms))
    out = []
    current = pc.invert(newer.terms["obsolete"])
    for term in sorted(newer.terms.filter(current)["term_id"].to_pylist()):
        if term not in known_terms and (found := mapped(term)):
            out.append((term, max(found, key=lambda t: (known_terms[t], t))))
    return out


def newer_annotations(
    newer: HpoBinary,
    hpoa: pd.DataFrame,
    links: pd.DataFrame,
    known_terms: set[str],
    aspect_of: AspectOf,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int | str]]:
    """Rows to append to the base's phenotype.hpoa (``hpoa``) and genes_to_phenotype.txt
    (``links``) frames, and counts of what was added.

    ``known_terms``: the base ontology's term IDs (primary and alternative).
    """
    import pandas as pd

    gene_terms = _term_sets(newer.gene_terms, "ncbi_gene_id")
    genes_of_term: dict[str, set[str]] = defaultdict(set)
    for gene, terms in gene_terms.items():
        for t in terms:
            genes_of_term[t].add(gene)
    symbol = dict(zip(map(str, newer.genes["ncbi_gene_id"].to_pylist()),
                      newer.genes["symbol"].to_pylist(), strict=True))  # fmt: skip
    base_diseases = set(hpoa["database_id"])
    base_genes = set(links["ncbi_gene_id"].astype(str))
    disease_terms = _term_sets(newer.omim_terms, "disease_id")
    names = dict(zip(newer.omim["disease_id"].to_pylist(), newer.omim["name"].to_pylist(),
                     strict=True))  # fmt: skip
    added: list[tuple[str, str, set[str], str]] = []  # disease, name, terms, gene
    for disease in sorted(disease_terms):
        if disease in base_diseases:
            continue
        sole = _sole_gene(disease_terms[disease], genes_of_term)
        if sole is not None:
            added.append((disease, names[disease], disease_terms[disease], sole))
    linked = {gene for *_, gene in added}
    n_diseases = len(added)
    for gene in sorted(set(gene_terms) - base_genes - linked, key=int):
        name = f"{symbol[gene]}-related phenotypes (HPO {newer.version} gene annotations)"
        added.append((f"NCBIGene:{gene}", name, gene_terms[gene], gene))
    mapped = _base_terms(newer, known_terms)
    rows = [
        (disease, name, term, aspect_of(term))
        for disease, name, terms, _ in added
        for term in sorted({b for t in terms for b in mapped(t)})
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
    counts: dict[str, int | str] = {
        "version": newer.version,
        "diseases_added": n_diseases,
        "diseases_added_new_genes": sum(1 for *_, g in added[:n_diseases] if g not in base_genes),
        "gene_level_entries": len(added) - n_diseases,
        "annotations_added": len(frame),
    }
    return frame[list(hpoa.columns)], gene_rows, counts
