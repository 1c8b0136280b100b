"""Total, stable orders: variants by score, ties by gene, contig, position and alleles; genes by
their best variant."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from varprio.contigs import chrom_ranks
from varprio.parallel import THREADS

#: Tables shorter than this are reordered on one thread (above it, a column per thread).
MIN_ROWS = 50_000


def take_rows(table: pa.Table, indices: pa.Array) -> pa.Table:
    """``table.take(indices)``, the columns shared out between threads on large tables."""
    if table.num_rows < MIN_ROWS or THREADS == 1:
        return table.take(indices)
    with ThreadPoolExecutor(THREADS) as pool:
        columns = list(pool.map(lambda column: column.take(indices), table.columns))
    return pa.Table.from_arrays(columns, schema=table.schema)


def rank_variants(scored: pa.Table) -> pa.Table:
    """Sort by descending ``score`` with a total tie-break, and add a 1-based ``rank``."""
    if scored.num_rows == 0:
        return scored.append_column("rank", pa.array([], pa.int32()))
    keyed = scored.append_column(
        "_chrom_rank", pa.array(chrom_ranks(scored["chrom"]))
    ).append_column("_neg", pc.negate(pc.round(scored["score"], 12)))
    order = pc.sort_indices(
        keyed,
        sort_keys=[
            ("_neg", "ascending"),
            ("gene", "ascending"),
            ("_chrom_rank", "ascending"),
            ("pos", "ascending"),
            ("ref", "ascending"),
            ("alt", "ascending"),
        ],
    )
    out = take_rows(scored, order)
    return out.append_column("rank", pa.array(np.arange(1, out.num_rows + 1, dtype=np.int32)))


def variant_label(table: pa.Table) -> pa.ChunkedArray:
    """``chrom-pos-ref-alt`` of each row."""
    return pc.binary_join_element_wise(
        table["chrom"], pc.cast(table["pos"], pa.string()), table["ref"], table["alt"], "-"
    )


def rank_genes(ranked_variants: pa.Table) -> pa.Table:
    """One row per gene in the order of its best variant, with its variant count."""
    gene = ranked_variants["gene"]
    rows = np.flatnonzero(pc.is_valid(gene).to_numpy(zero_copy_only=False))
    codes = pc.dictionary_encode(gene.take(pa.array(rows))).combine_chunks().indices.to_numpy()
    _, first, counts = np.unique(codes, return_index=True, return_counts=True)
    order = np.argsort(first, kind="stable")
    best = ranked_variants.take(pa.array(rows[first[order]]))  # not a filtered copy of all rows
    n_variants = counts[order]
    return best.append_column("n_variants", pa.array(n_variants, pa.int32())).append_column(
        "top_variant", variant_label(best)
    )


def tie_min_rank(scores: np.ndarray) -> np.ndarray:
    """1-based rank of each score among all (higher is better); ties share the best rank."""
    order = np.sort(-scores)
    return (np.searchsorted(order, -scores, side="left") + 1).astype(np.int32)
