"""Annotation joins per record batch: gene overlap and consequence, then population frequencies."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from varprio.consequence import GeneModel
from varprio.consequence import annotate as consequence_annotate
from varprio.kb.load import KnowledgeBase
from varprio.kb.sources.kgp import PREFIX as KGP

#: Frequency columns carried from the knowledge base into the variant table.
FREQUENCY_COLUMNS = (f"{KGP}_af", f"{KGP}_af_grpmax", f"{KGP}_grpmax", f"{KGP}_nhomalt")


def variant_keys(chrom: pa.Array, pos: pa.Array, ref: pa.Array, alt: pa.Array) -> pa.Array:
    """``chrom:pos:ref:alt`` after trimming alleles to their minimal representation."""
    pos_n, ref_n, alt_n = trim_alleles(pos, ref, alt)
    return pc.binary_join_element_wise(chrom, pc.cast(pos_n, pa.string()), ref_n, alt_n, ":")


def trim_alleles(
    pos: pa.Array, ref: pa.Array, alt: pa.Array
) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Trim shared suffix, then shared prefix (keeping one base), as split multi-allelics need."""
    long = pc.and_(pc.greater(pc.utf8_length(ref), 1), pc.greater(pc.utf8_length(alt), 1))
    idx = np.flatnonzero(long.to_numpy(zero_copy_only=False))
    if idx.size == 0:
        return pos, ref, alt
    p = pos.to_numpy(zero_copy_only=False).copy()
    r, a = ref.to_pylist(), alt.to_pylist()
    for i in idx:  # only records with multi-base REF and ALT: rare
        ri, ai, pi = r[i], a[i], int(p[i])
        while len(ri) > 1 and len(ai) > 1 and ri[-1] == ai[-1]:
            ri, ai = ri[:-1], ai[:-1]
        while len(ri) > 1 and len(ai) > 1 and ri[0] == ai[0]:
            ri, ai, pi = ri[1:], ai[1:], pi + 1
        r[i], a[i], p[i] = ri, ai, pi
    return pa.array(p, pa.int32()), pa.array(r, pa.string()), pa.array(a, pa.string())


@dataclass
class Annotator:
    """Everything a batch is joined against, loaded once per knowledge base."""

    genes: GeneModel
    freq_keys: pa.Array
    freq: pa.Table
    hgnc_by_symbol: dict[str, str]

    @classmethod
    def from_kb(cls, kb: KnowledgeBase, hgnc_by_symbol: dict[str, str]) -> Annotator:
        """Load gene models and frequency tables from ``kb``."""
        genes = GeneModel.from_tables(
            kb.table("gene_models/transcripts"), kb.table("gene_models/exons")
        )
        freq = kb.table("frequencies/kgp")
        keys = variant_keys(freq["chrom"], freq["pos"], freq["ref"], freq["alt"])
        return cls(genes, keys, freq.select(list(FREQUENCY_COLUMNS)), hgnc_by_symbol)

    def annotate(self, batch: pa.RecordBatch | pa.Table) -> pa.Table:
        """One row per (variant, overlapping gene) with consequence, HGNC ID and frequencies."""
        table = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
        csq = consequence_annotate(
            self.genes, table["chrom"], table["pos"], table["ref"], table["alt"]
        )
        rows = table.take(csq["variant_index"])
        for name in ("gene", "gene_id", "transcript_id", "consequence", "impact", "exon"):
            rows = rows.append_column(name, csq[name])
        rows = rows.append_column("hgnc_id", self._hgnc_ids(rows["gene"]))
        keys = variant_keys(rows["chrom"], rows["pos"], rows["ref"], rows["alt"])
        hit = pc.index_in(keys, value_set=self.freq_keys)
        for name in FREQUENCY_COLUMNS:
            rows = rows.append_column(name, self.freq[name].take(hit))
        return rows

    def _hgnc_ids(self, genes: pa.ChunkedArray) -> pa.Array:
        uniq = pc.unique(genes).to_pylist()
        lookup = pa.array([self.hgnc_by_symbol.get(g) if g else None for g in uniq], pa.string())
        return lookup.take(pc.index_in(genes, value_set=pa.array(uniq, pa.string())))
