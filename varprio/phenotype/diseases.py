"""Disease annotations, their true-path closure and gene links, loaded as CSR arrays.

Built from the ``hpo_*`` knowledge-base tables (see :mod:`varprio.kb.sources.hpo`); loading
is a few column conversions, no parsing.  Rows of every array are addressed by term index
(``hpo_terms`` row) or disease index (``hpo_diseases`` row).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

import numpy as np
import pyarrow as pa

from varprio.errors import KnowledgeBaseError
from varprio.phenotype.ontology import Ontology

#: Tables the disease models read.
REQUIRED_TABLES = (
    "hpo_terms", "hpo_diseases", "hpo_annotations", "hpo_not_annotations",
    "hpo_disease_closure", "hpo_disease_genes",
)  # fmt: skip


def _csr(keys: np.ndarray, n: int) -> np.ndarray:
    """Offsets of rows 0..n-1 in an array sorted by ``keys``."""
    counts = np.bincount(keys, minlength=n)[:n]
    return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)


class DiseaseModels:
    """Disease annotations, their closure, NOT-annotations and gene links as CSR arrays."""

    def __init__(self, tables: Mapping[str, pa.Table], ontology: Ontology) -> None:
        for name in REQUIRED_TABLES:
            if name not in tables:
                raise KnowledgeBaseError(f"knowledge base: table {name} missing: rebuild it")
        n_terms = len(ontology)
        dis = tables["hpo_diseases"]
        self.disease_ids: list[str] = dis["disease_id"].to_pylist()
        self.disease_names: list[str] = dis["name"].to_pylist()
        self.disease_index = dict(zip(self.disease_ids, range(len(self.disease_ids)), strict=True))
        self.id_array: pa.Array = pa.array(self.disease_ids, pa.string())
        self.name_array: pa.Array = pa.array(self.disease_names, pa.string())
        self.modes: list[str] = dis["inheritance_modes"].to_pylist()
        self.n_diseases = len(self.disease_ids)
        self._load_annotations(tables["hpo_annotations"], n_terms)
        self._load_annotated_ancestors(ontology)
        clo = tables["hpo_disease_closure"]
        self.cl_dis = clo["disease"].to_numpy()
        self.cl_freq = clo["frequency"].to_numpy()
        self.cl_off = _csr(clo["term"].to_numpy(), n_terms)
        nots = tables["hpo_not_annotations"]
        self.not_dis = nots["disease"].to_numpy()
        self.not_off = _csr(nots["term"].to_numpy(), n_terms)
        bg = tables["hpo_terms"]["background"].to_numpy().astype(np.float64)
        self.background = np.clip(bg, 1.0 / (2 * max(self.n_diseases, 1)), None)
        self._load_genes(tables["hpo_disease_genes"])

    def _load_annotations(self, ann: pa.Table, n_terms: int) -> None:
        self.an_term = ann["term"].to_numpy()
        self.an_dis = ann["disease"].to_numpy()
        self.an_freq = ann["frequency"].to_numpy().astype(np.float64)
        self.an_given = ann["frequency_given"].to_numpy(zero_copy_only=False).astype(bool)
        self.an_off = _csr(self.an_term, n_terms)
        n = self.n_diseases
        # ancestors of each distinct annotated term, for the disease->patient direction
        self.ann_terms, self.an_slot = np.unique(self.an_term, return_inverse=True)
        self.n_annot = np.bincount(self.an_dis, minlength=n)
        #: sum of annotation frequencies per disease (weights of the disease->patient average)
        self.freq_total = np.bincount(self.an_dis, weights=self.an_freq, minlength=n)
        self.log_n_annot = np.log(np.maximum(self.n_annot, 1))

    def _load_annotated_ancestors(self, ontology: Ontology) -> None:
        """Ancestors (and their IC) of each distinct annotated term, CSR by ``ann_terms``."""
        off = ontology.anc_offsets
        starts = off[self.ann_terms]
        lengths = off[self.ann_terms + 1] - starts
        before = np.cumsum(lengths) - lengths
        idx = np.repeat(starts - before, lengths) + np.arange(lengths.sum())
        self.ann_anc = ontology.anc_indices[idx]
        self.ann_anc_ic = ontology.ic[self.ann_anc]
        self.ann_anc_start = before

    def _load_genes(self, links: pa.Table) -> None:
        enc = links["gene_symbol"].combine_chunks().dictionary_encode()
        symbols = enc.dictionary.to_pylist()
        order = sorted(range(len(symbols)), key=symbols.__getitem__)
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        self.genes = np.asarray([symbols[i] for i in order], dtype=str)
        self.link_gene = rank[enc.indices.to_numpy()]
        self.link_dis = links["disease"].to_numpy()
        self.gene_ncbi = np.zeros(len(self.genes), dtype=np.int64)
        self.gene_ncbi[self.link_gene] = links["ncbi_gene_id"].to_numpy()
        by_gene = np.argsort(self.link_gene, kind="stable")
        starts = _csr(self.link_gene[by_gene], len(self.genes))
        dis = self.link_dis[by_gene].tolist()
        self.gene_modes, self.gene_diseases = [], []
        for g in range(len(self.genes)):
            ds = dis[starts[g] : starts[g + 1]]
            modes = {m for d in ds for m in self.modes[d].split(";") if m}
            self.gene_modes.append(";".join(sorted(modes)))
            self.gene_diseases.append(";".join(sorted({self.disease_ids[d] for d in ds})))
        self.gene_array: pa.Array = pa.array(self.genes.tolist(), pa.string())
        self.gene_modes_array: pa.Array = pa.array(self.gene_modes, pa.string())
        self.gene_diseases_array: pa.Array = pa.array(self.gene_diseases, pa.string())
        #: rank of each disease ID in sorted order (a deterministic tie-breaker)
        self.id_rank = np.argsort(np.argsort(np.asarray(self.disease_ids), kind="stable"))

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

    def not_row(self, t: int) -> np.ndarray:
        """Diseases with a NOT-annotation at term index t."""
        return self.not_dis[self.not_off[t] : self.not_off[t + 1]]

    def disease_annotations(self, d: int) -> np.ndarray:
        """Term indices of the annotations of disease index d (in annotation order)."""
        order, offsets = self._by_disease
        return self.an_term[order[offsets[d] : offsets[d + 1]]]

    @cached_property
    def _by_disease(self) -> tuple[np.ndarray, np.ndarray]:
        """Annotation rows grouped by disease (CSR), built on first use: explaining the top
        genes looks up hundreds of diseases, each a scan of every annotation otherwise."""
        order = np.argsort(self.an_dis, kind="stable")
        return order, _csr(self.an_dis[order], self.n_diseases)
