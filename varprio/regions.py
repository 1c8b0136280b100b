"""Regions of interest: where a variant can matter (exons of the gene models plus a margin).

A record is kept when its POS lies in a region; every input (file or stdin, indexed or not)
is scanned and filtered per chunk with a vectorised lookup, so all reading paths give the same
output (docs/performance.md has why the tabix index is not used).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from varprio.contigs import chrom_rank

#: Margin around every exon: covers splice regions (8 bp) and most deletions reaching an exon.
PAD = 50


@dataclass(frozen=True)
class Regions:
    """Disjoint, sorted 1-based inclusive intervals per contig (``chr``-harmonised names)."""

    starts: dict[str, np.ndarray]
    ends: dict[str, np.ndarray]

    @classmethod
    def from_exons(cls, exons: pa.Table, pad: int = PAD) -> Regions:
        """Merge every exon of ``exons`` (chrom, start, end) widened by ``pad`` on each side."""
        chrom = pc.dictionary_encode(exons["chrom"]).combine_chunks()
        codes = chrom.indices.to_numpy()
        start = np.maximum(exons["start"].to_numpy().astype(np.int64) - pad, 1)
        end = exons["end"].to_numpy().astype(np.int64) + pad
        starts, ends = {}, {}
        for i, name in enumerate(chrom.dictionary.to_pylist()):
            sel = codes == i
            starts[name], ends[name] = _merge(start[sel], end[sel])
        return cls(starts, ends)

    @classmethod
    def from_table(cls, table: pa.Table) -> Regions:
        """Load from :meth:`to_table`'s layout (sorted by contig, then start)."""
        chrom = pc.dictionary_encode(table["chrom"]).combine_chunks()
        codes = chrom.indices.to_numpy()
        names = chrom.dictionary.to_pylist()
        start = table["start"].to_numpy().astype(np.int64)
        end = table["end"].to_numpy().astype(np.int64)
        bounds = np.concatenate([[0], np.flatnonzero(np.diff(codes)) + 1, [len(codes)]])
        starts, ends = {}, {}
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            name = names[codes[a]]
            starts[name], ends[name] = start[a:b], end[a:b]
        return cls(starts, ends)

    def to_table(self) -> pa.Table:
        """One row per region: chrom, start, end (the knowledge base's ``regions`` table)."""
        rows = list(self)
        return pa.table(
            {
                "chrom": pa.array([r[0] for r in rows], pa.string()),
                "start": pa.array([r[1] for r in rows], pa.int32()),
                "end": pa.array([r[2] for r in rows], pa.int32()),
            }
        )

    def mask(self, chrom: pa.Array, pos: np.ndarray) -> np.ndarray:
        """Whether each (chrom, pos) lies in a region."""
        enc = pc.dictionary_encode(chrom)
        codes = enc.indices.to_numpy(zero_copy_only=False)
        keep = np.zeros(len(pos), dtype=bool)
        for i, name in enumerate(enc.dictionary.to_pylist()):
            if name not in self.starts:
                continue
            sel = np.flatnonzero(codes == i)
            j = np.searchsorted(self.starts[name], pos[sel], side="right") - 1
            ok = j >= 0
            keep[sel[ok]] = pos[sel[ok]] <= self.ends[name][j[ok]]
        return keep

    def __iter__(self) -> Iterator[tuple[str, int, int]]:
        """(chrom, start, end) in contig order, then position."""
        for name in sorted(self.starts, key=lambda c: (chrom_rank(c), c)):
            yield from zip([name] * len(self.starts[name]), self.starts[name].tolist(),
                           self.ends[name].tolist(), strict=True)  # fmt: skip

    @property
    def size(self) -> int:
        """Total bases covered."""
        return int(sum((self.ends[c] - self.starts[c] + 1).sum() for c in self.starts))


def _merge(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(start, kind="stable")
    start, end = start[order], end[order]
    reach = np.maximum.accumulate(end)
    new = np.ones(len(start), dtype=bool)
    new[1:] = start[1:] > reach[:-1] + 1
    idx = np.flatnonzero(new)
    merged_end = np.maximum.reduceat(end, idx) if len(idx) else end
    return start[idx], merged_end
