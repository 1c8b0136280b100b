"""The HPO as an object loaded from the knowledge-base tables: IDs, labels, ancestors, IC.

Built by :func:`varprio.kb.sources.hpo.build_hpo_tables`; loading parses nothing and is a
few array conversions and one ID -> index dict.  Pass the :class:`Ontology` explicitly to
whoever needs it; there is no module-level instance.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping

import numpy as np
import pyarrow as pa

from varprio.errors import KnowledgeBaseError, UnknownTermError

log = logging.getLogger(__name__)

HPO_ID_RE = re.compile(r"^HP:\d{7}$")
PHENOTYPE_ROOT_ID = "HP:0000118"
_MAX_REPLACEMENTS = 5

#: Tables (and their columns) the ontology reads.
REQUIRED_TABLES = {
    "hpo_terms": ["id", "name", "is_obsolete", "replaced_by", "consider", "is_phenotype", "ic"],
    "hpo_alt_ids": ["alt_id", "primary_id"],
    "hpo_ancestors": ["ancestors"],
}


def _check_tables(tables: Mapping[str, pa.Table]) -> None:
    """Raise KnowledgeBaseError when a table or column the ontology needs is missing."""
    for name, columns in REQUIRED_TABLES.items():
        if name not in tables:
            raise KnowledgeBaseError(f"knowledge base: table {name} missing: rebuild it")
        missing = [c for c in columns if c not in tables[name].column_names]
        if missing:
            raise KnowledgeBaseError(f"knowledge base: {name}: columns {missing} missing")


class Ontology:
    """The HPO: term IDs and labels, alt/obsolete mapping, ancestor closure and IC.

    Terms are addressed by their row index in ``hpo_terms``; ``ancestors_of(i)`` includes
    ``i`` itself.
    """

    def __init__(self, tables: Mapping[str, pa.Table]) -> None:
        _check_tables(tables)
        terms = tables["hpo_terms"]
        self.ids: list[str] = terms["id"].to_pylist()
        self.index: dict[str, int] = dict(zip(self.ids, range(len(self.ids)), strict=True))
        self._names = terms["name"].combine_chunks()
        self._replaced_by = terms["replaced_by"].combine_chunks()
        self._consider = terms["consider"].combine_chunks()
        self.is_obsolete: np.ndarray = terms["is_obsolete"].to_numpy()
        self.is_phenotype: np.ndarray = terms["is_phenotype"].to_numpy()
        self.ic: np.ndarray = terms["ic"].to_numpy().astype(np.float64)
        alts = tables["hpo_alt_ids"]
        self.alt_ids: dict[str, str] = dict(
            zip(alts["alt_id"].to_pylist(), alts["primary_id"].to_pylist(), strict=True)
        )
        anc = tables["hpo_ancestors"]["ancestors"].combine_chunks()
        self.anc_offsets: np.ndarray = anc.offsets.to_numpy().astype(np.int64)
        self.anc_indices: np.ndarray = anc.values.to_numpy()
        if len(self.anc_offsets) != len(self.ids) + 1:
            raise KnowledgeBaseError("knowledge base: hpo_ancestors: one row per term expected")

    @classmethod
    def from_tables(cls, tables: Mapping[str, pa.Table]) -> Ontology:
        """Load the ontology from the ``hpo_*`` knowledge-base tables."""
        return cls(tables)

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, term_id: object) -> bool:
        return term_id in self.index

    def label(self, term_id: str) -> str:
        """Label of a term (alt IDs accepted); '' when unknown."""
        i = self.index.get(self.alt_ids.get(term_id, term_id))
        return "" if i is None else str(self._names[i].as_py())

    def labels(self, term_ids: Iterable[str]) -> list[str]:
        """Labels of several terms."""
        return [self.label(t) for t in term_ids]

    def ancestors_of(self, i: int) -> np.ndarray:
        """Indices of the ancestors of term index ``i``, itself included."""
        return self.anc_indices[self.anc_offsets[i] : self.anc_offsets[i + 1]]

    def ancestors(self, term_id: str, include_self: bool = True) -> list[str]:
        """IDs of the ancestors of a (current) term, sorted by index."""
        i = self.index[term_id]
        return [self.ids[j] for j in self.ancestors_of(i) if include_self or j != i]

    def is_ancestor(self, ancestor_id: str, term_id: str) -> bool:
        """True when ``ancestor_id`` is ``term_id`` or one of its ancestors."""
        return bool(np.isin(self.index[ancestor_id], self.ancestors_of(self.index[term_id])))

    def information_content(self, term_id: str) -> float:
        """IC of a term: -ln(fraction of diseases annotated with it or a descendant)."""
        return float(self.ic[self.index[term_id]])

    def _resolve(self, term_id: str, source: str) -> str:
        """Current ID of one term, following alt_id and replaced_by; raises when impossible."""
        if not HPO_ID_RE.match(term_id):
            raise UnknownTermError(
                f"{source}: {term_id!r} is not an HPO term ID: expected HP:nnnnnnn"
            )
        current = term_id
        for _ in range(_MAX_REPLACEMENTS):
            if current in self.alt_ids:
                current = self.alt_ids[current]
            i = self.index.get(current)
            if i is None:
                raise UnknownTermError(f"{source}: {term_id}: unknown HPO term")
            if not self.is_obsolete[i]:
                return current
            replacement = self._replaced_by[i].as_py()
            if not replacement:
                raise UnknownTermError(self._obsolete_message(term_id, i, source))
            current = replacement
        raise UnknownTermError(f"{source}: {term_id}: replaced_by chain too long")

    def _obsolete_message(self, term_id: str, i: int, source: str) -> str:
        """One-line message for an obsolete term without replacement."""
        consider = [t for t in self._consider[i].as_py() if t in self.index]
        hint = ""
        if consider:
            hint = "; consider " + ", ".join(f"{t} ({self.label(t)})" for t in consider)
        return f"{source}: {term_id} is an obsolete HPO term without replacement{hint}"

    def normalise(self, ids: Iterable[str], source: str, drop_unknown: bool = False) -> list[str]:
        """Map term IDs to current IDs: alt IDs and obsolete IDs with ``replaced_by``.

        Mappings are counted in a warning and listed at debug level (``-vv``); duplicates are
        dropped, order kept.

        Parameters
        ----------
        ids
            HPO term IDs as given (surrounding whitespace is stripped).
        source
            Where they came from, for messages: ``--hpo``, ``file.txt:3``...
        drop_unknown
            Drop unknown/obsolete-without-replacement IDs with a warning instead of raising.

        Raises
        ------
        UnknownTermError
            An ID not of the form HP:nnnnnnn, unknown, or obsolete without replacement.
        """
        out: list[str] = []
        replaced = dropped = 0
        for raw in ids:
            term_id = raw.strip()
            try:
                current = self._resolve(term_id, source)
            except UnknownTermError as err:
                if not drop_unknown:
                    raise
                log.debug("%s (dropped)", err)
                dropped += 1
                continue
            if current != term_id:
                log.debug(
                    "%s: %s replaced by %s (%s)", source, term_id, current, self.label(current)
                )
                replaced += 1
            if current not in out:
                out.append(current)
        # counts only: a patient's terms reach the log with -vv alone (privacy)
        if replaced:
            log.warning("%s: %d alt, obsolete or newer ID(s) replaced by current IDs "
                        "(-vv lists them)", source, replaced)  # fmt: skip
        if dropped:
            log.warning("%s: %d ID(s) unknown to this HPO release dropped (-vv lists them)",
                        source, dropped)  # fmt: skip
        return out

    def indices(self, ids: Iterable[str]) -> np.ndarray:
        """Row indices (int64) of current term IDs."""
        return np.asarray([self.index[t] for t in ids], dtype=np.int64)

    def descendants_of(self, i: int) -> np.ndarray:
        """Indices of the descendants of term index ``i``, itself included (sorted)."""
        pos = np.flatnonzero(self.anc_indices == i)
        return np.searchsorted(self.anc_offsets, pos, side="right") - 1

    def redundant_ancestors(self, ids: Iterable[str]) -> list[str]:
        """The IDs among ``ids`` that are a proper ancestor of another of them, in input order.

        Such a term adds no information to the more specific one (a patient with
        "Generalized myoclonic seizure" has "Seizure"): scoring drops it.
        """
        ids = list(dict.fromkeys(ids))
        implied: set[int] = set()
        for t in ids:
            i = self.index[t]
            implied.update(int(a) for a in self.ancestors_of(i) if a != i)
        return [t for t in ids if self.index[t] in implied]
