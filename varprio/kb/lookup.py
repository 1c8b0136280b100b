"""Join record batches to the knowledge base's per-variant and per-gene tables.

Per-variant tables (``frequencies/*``, ``clinvar/*``, ``scores/*``: key columns ``chrom, pos,
ref, alt`` then prefixed values, sorted by contig and position, see
:mod:`varprio.kb.sources.site_table`) are read lazily: for a batch, only the row groups whose
``chrom``/``pos`` statistics overlap the batch's sites are read (and kept while the next batch
needs them, so a position-sorted VCF reads each row group once).  Keys are matched after
trimming alleles to their minimal representation on both sides.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from varprio.annotate import trim_alleles
from varprio.kb.load import KnowledgeBase
from varprio.kb.sources import gnomad
from varprio.kb.sources.constraint import TABLE as CONSTRAINT

log = logging.getLogger(__name__)

#: Table directories holding per-variant tables.
SITE_DIRS = ("frequencies", "clinvar", "scores")
KEYS = ("chrom", "pos", "ref", "alt")


def site_keys(
    chrom: pa.Array | pa.ChunkedArray,
    pos: pa.Array | pa.ChunkedArray,
    ref: pa.Array | pa.ChunkedArray,
    alt: pa.Array | pa.ChunkedArray,
    trim: bool = True,
) -> pa.Array:
    """``chrom:pos:REF:ALT`` keys (alleles trimmed unless ``trim`` is False)."""
    arrays = [a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a for a in (pos, ref, alt)]
    p, r, a = trim_alleles(*arrays) if trim else arrays
    c = chrom.combine_chunks() if isinstance(chrom, pa.ChunkedArray) else chrom
    return pc.binary_join_element_wise(c, pc.cast(p, pa.string()), r, a, ":")


@dataclass
class _Group:
    chrom_min: str
    chrom_max: str
    pos_min: int
    pos_max: int


#: Row groups kept in memory between batches (a position-sorted VCF needs one or two again).
CACHE_GROUPS = 8


@dataclass
class SiteLookup:
    """One per-variant table, opened for batch lookups."""

    name: str
    path: Path
    file: pq.ParquetFile = field(init=False)
    groups: list[_Group] = field(init=False)
    columns: list[str] = field(init=False)
    _cache: OrderedDict[int, tuple[pa.Array, pa.Table]] = field(
        init=False, default_factory=OrderedDict
    )
    # batches are joined on several threads: one reads the file and updates the cache at a time
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        # not memory-mapped: the pages of a 1 GB gnomAD table would count as resident memory
        # (annotate, 50 M sites: peak RSS 1,494 MB mapped, 724 MB read; bench/annotate.py)
        self.file = pq.ParquetFile(self.path, memory_map=False)
        self.columns = [n for n in self.file.schema_arrow.names if n not in KEYS]
        meta, names = self.file.metadata, self.file.schema_arrow.names
        ci, pi = names.index("chrom"), names.index("pos")
        self.groups = []
        for i in range(meta.num_row_groups):
            group = meta.row_group(i)
            cs, ps = group.column(ci).statistics, group.column(pi).statistics
            if cs is None or ps is None or not cs.has_min_max or not ps.has_min_max:
                self.groups.append(_Group("", "\U0010ffff", 0, 2**31))  # no stats: always read
            else:
                self.groups.append(_Group(cs.min, cs.max, ps.min, ps.max))

    @property
    def schema(self) -> pa.Schema:
        """The value columns' fields (with their description metadata)."""
        return pa.schema([self.file.schema_arrow.field(c) for c in self.columns])

    def join(self, chrom: pa.Array, pos: np.ndarray, keys: pa.Array) -> pa.Table:
        """Value columns for each query row (null where the table has no such variant).

        ``chrom``/``pos`` are the trimmed query sites, ``keys`` their :func:`site_keys`.  Row
        groups are read one at a time, each joined with the query rows inside its range.
        """
        take = np.full(len(keys), -1, dtype=np.int64)
        parts: list[pa.Table] = []
        offset = 0
        for group, rows in self._wanted(chrom, pos):
            site_keys_, values = self._read(group)
            hit = pc.index_in(keys.take(pa.array(rows)), value_set=site_keys_)
            found = hit.is_valid().to_numpy(zero_copy_only=False)
            if found.any():
                idx = hit.filter(pa.array(found)).to_numpy()
                parts.append(values.take(pa.array(idx)))
                take[rows[found]] = offset + np.arange(len(idx))
                offset += len(idx)
        values = pa.concat_tables(parts) if parts else self.schema.empty_table()
        return values.take(pa.array(take, mask=take < 0))

    def _read(self, group: int) -> tuple[pa.Array, pa.Table]:
        """A row group's keys and values, through a small LRU cache."""
        with self._lock:
            if group in self._cache:
                self._cache.move_to_end(group)
                return self._cache[group]
            rows = self.file.read_row_group(group)
            keys = site_keys(rows["chrom"], rows["pos"], rows["ref"], rows["alt"], trim=False)
            found = self._cache[group] = (keys, rows.select(self.columns))
            while len(self._cache) > CACHE_GROUPS:
                self._cache.popitem(last=False)
            return found

    def _wanted(self, chrom: pa.Array, pos: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """Row groups that may hold query rows, each with those rows' indices."""
        codes = pc.dictionary_encode(chrom)
        names = codes.dictionary.to_pylist()
        code = codes.indices.to_numpy(zero_copy_only=False)
        order = np.lexsort((pos, code))
        code_s, pos_s = code[order], pos[order]
        out = []
        for i, g in enumerate(self.groups):
            if g.chrom_min != g.chrom_max:  # a group spanning contigs: test every query row
                inside = [k for k, n in enumerate(names) if g.chrom_min <= n <= g.chrom_max]
                rows = np.flatnonzero(np.isin(code, inside))
            elif g.chrom_min in names:
                k = names.index(g.chrom_min)
                lo, hi = np.searchsorted(code_s, k, "left"), np.searchsorted(code_s, k, "right")
                start = lo + np.searchsorted(pos_s[lo:hi], g.pos_min, "left")
                end = lo + np.searchsorted(pos_s[lo:hi], g.pos_max, "right")
                rows = order[start:end]
            else:
                continue
            if len(rows):
                out.append((i, rows))
        return out


@dataclass
class KbLookups:
    """Every per-variant table of a knowledge base (except ``skip``), and the gene tables."""

    sites: list[SiteLookup]
    constraint: pa.Table | None

    @classmethod
    def open(cls, kb: KnowledgeBase, skip: tuple[str, ...] = ()) -> KbLookups:
        """Find the knowledge base's per-variant and gene tables."""
        names = [n for n in kb.manifest.tables if n.split("/")[0] in SITE_DIRS and n not in skip]
        sites = [
            SiteLookup(n, kb.path / kb.manifest.tables[n].path) for n in sorted(names, key=_order)
        ]
        constraint = kb.table(CONSTRAINT) if kb.has(CONSTRAINT) else None
        return cls(sites, constraint)

    def variant_columns(
        self, chrom: pa.Array, pos: pa.Array, ref: pa.Array, alt: pa.Array
    ) -> pa.Table:
        """Every per-variant table's value columns for each row (harmonised contigs)."""
        p, r, a = trim_alleles(pos, ref, alt)
        keys = site_keys(chrom, p, r, a, trim=False)
        p_np = p.to_numpy(zero_copy_only=False)
        out = pa.table({"_": pa.nulls(len(keys), pa.int8())})
        for site in self.sites:
            joined = site.join(chrom, p_np, keys)
            for name in joined.column_names:
                out = out.append_column(joined.schema.field(name), joined[name])
        return out.drop_columns(["_"])

    def variant_table(
        self, chrom: pa.Array, pos: pa.Array, ref: pa.Array, alt: pa.Array
    ) -> pa.Table:
        """:meth:`variant_columns` plus gnomAD's datasets combined (``gnomad_af``, ...)."""
        table = self.variant_columns(chrom, pos, ref, alt)
        for name, values in gnomad.combine(table).items():
            table = table.append_column(name, values)
        return table

    def gene_columns(self, hgnc_id: pa.Array | pa.ChunkedArray) -> pa.Table:
        """Constraint columns for each row's HGNC ID (empty table without constraint)."""
        if self.constraint is None:
            return pa.table({"_": pa.nulls(len(hgnc_id), pa.int8())}).drop_columns(["_"])
        idx = pc.index_in(hgnc_id, value_set=self.constraint["hgnc_id"].combine_chunks())
        values = self.constraint.drop_columns(["hgnc_id", "constraint_gene"])
        return values.take(idx)

    def descriptions(self) -> dict[str, str]:
        """Column -> description (from the tables' field metadata)."""
        out = {}
        fields = [f for s in self.sites for f in s.schema]
        if self.constraint is not None:
            fields += list(self.constraint.schema)
        for f in fields:
            meta = f.metadata or {}
            out[f.name] = meta.get(b"description", f.name.encode()).decode()
        out.update({name: text for name, (_, text) in gnomad.COMBINED.items()})
        return out


#: Tables that come first within their directory (the rest by name).
FIRST = ("frequencies/kgp", "frequencies/gnomad_exomes", "frequencies/gnomad_genomes")


def _order(name: str) -> tuple[int, int, str]:
    """Tables in a stable order: frequencies (1000 Genomes, gnomAD, the rest), ClinVar, scores."""
    first = FIRST.index(name) if name in FIRST else len(FIRST)
    return (SITE_DIRS.index(name.split("/")[0]), first, name)
