"""Per-variant knowledge-base tables: streamed in, written as one Parquet file sorted by site.

Every per-variant source (gnomAD, population VCFs, ClinVar, score tables) yields chunks with the
key columns ``chrom, pos, ref, alt`` (as in its file) plus its prefixed value columns.
:class:`SiteTableWriter` normalises the keys (``chr`` contig names, alleles trimmed to their
minimal representation as :func:`varprio.annotate.trim_alleles` does on the query side),
spreads rows over one temporary part per contig, and finally writes one Parquet file ordered by
contig (chr1..chr22, X, Y, M, then others by name), position, REF and ALT, in row groups that
never span two contigs, so a lookup reads only the row groups whose ``pos`` statistics overlap.

Memory is bounded by one chunk: input sorted by position (as tabix-indexed files are) streams
through; a contig whose rows arrive out of order is sorted in memory when it is finalised.
Several rows with the same key keep the first by ``prefer`` order (e.g. the highest score).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from varprio.annotate import trim_alleles
from varprio.contigs import chrom_rank, harmonise

log = logging.getLogger(__name__)

KEY_COLUMNS = ("chrom", "pos", "ref", "alt")
KEY_FIELDS = [
    pa.field("chrom", pa.string()),
    pa.field("pos", pa.int32()),
    pa.field("ref", pa.string()),
    pa.field("alt", pa.string()),
]
ROW_GROUP = 64 * 1024


def site_schema(values: list[pa.Field], descriptions: dict[str, str] | None = None) -> pa.Schema:
    """Key columns followed by a source's value columns (``description`` field metadata)."""
    return pa.schema([*KEY_FIELDS, *described(values, descriptions or {})])


def described(fields: list[pa.Field], descriptions: dict[str, str]) -> list[pa.Field]:
    """``fields`` with their description (looked up by column name) as field metadata."""
    return [
        f.with_metadata({"description": descriptions[f.name]}) if f.name in descriptions else f
        for f in fields
    ]


def normalise_keys(table: pa.Table) -> pa.Table:
    """Harmonise contig names, upper-case and trim alleles; ``table`` starts with the keys."""
    chrom = pc.dictionary_encode(table["chrom"]).combine_chunks()
    names = pa.array([harmonise(c) for c in chrom.dictionary.to_pylist()], pa.string())
    pos, ref, alt = trim_alleles(
        pc.cast(table["pos"], pa.int32()).combine_chunks(),
        pc.ascii_upper(table["ref"]).combine_chunks(),
        pc.ascii_upper(table["alt"]).combine_chunks(),
    )
    keys = (names.take(chrom.indices), pos, ref, alt)
    for i, (name, arr) in enumerate(zip(KEY_COLUMNS, keys, strict=True)):
        table = table.set_column(i, name, arr)
    return table


@dataclass
class _Part:
    """The rows of one contig so far, in a temporary Parquet file."""

    path: Path
    writer: pq.ParquetWriter
    last_pos: int = -1
    in_order: bool = True
    rows: int = 0


@dataclass
class SiteTableWriter:
    """Collect normalised rows chunk by chunk; :meth:`close` writes the sorted Parquet file.

    Parameters
    ----------
    path
        The final Parquet file.
    schema
        :func:`site_schema` of the source.
    prefer
        Extra sort keys deciding which of several rows with one key is kept (first wins),
        e.g. ``[("revel_score", "descending")]``.
    """

    path: Path
    schema: pa.Schema
    prefer: list[tuple[str, str]] = field(default_factory=list)
    _parts: dict[str, _Part] = field(default_factory=dict)
    _pending: pa.Table | None = None
    duplicates: int = 0

    def __post_init__(self) -> None:
        self._dir = self.path.with_name(f".{self.path.stem}.parts")
        self._dir.mkdir(parents=True, exist_ok=True)

    def write(self, chunk: pa.Table, last: tuple[str, int] | None) -> None:
        """Add rows (keys as in the file); ``last`` is the chunk's last input record's site.

        Rows at or after ``last`` are held back until the next chunk (trimming can move an
        indel's position past later records); pass ``None`` at the end of each input file.
        """
        rows = normalise_keys(chunk.select(self.schema.names)).cast(self.schema)
        if self._pending is not None:
            rows = pa.concat_tables([self._pending, rows])
            self._pending = None
        if last is not None and rows.num_rows:
            held = pc.and_(
                pc.equal(rows["chrom"], harmonise(last[0])),
                pc.greater_equal(rows["pos"], last[1]),
            )
            self._pending = rows.filter(held)
            rows = rows.filter(pc.invert(held))
        for chrom in pc.unique(rows["chrom"]).to_pylist():
            self._append(chrom, rows.filter(pc.equal(rows["chrom"], chrom)))

    def _append(self, chrom: str, rows: pa.Table) -> None:
        part = self._parts.get(chrom)
        if part is None:
            path = self._dir / f"{len(self._parts)}.parquet"
            part = _Part(path, pq.ParquetWriter(path, self.schema, compression="lz4"))
            self._parts[chrom] = part
        rows = rows.sort_by([("pos", "ascending")])
        pos = rows["pos"].to_numpy()
        if pos[0] < part.last_pos:
            part.in_order = False
        part.last_pos = max(part.last_pos, int(pos[-1]))
        part.writer.write_table(rows)
        part.rows += rows.num_rows

    def close(self) -> int:
        """Write the final file (contigs in order, sorted, deduplicated); return its row count."""
        if self._pending is not None and self._pending.num_rows:
            pending, self._pending = self._pending, None
            self.write(pending, None)
        for part in self._parts.values():
            part.writer.close()
        total = 0
        with pq.ParquetWriter(
            self.path, self.schema, compression="zstd", write_statistics=True
        ) as out:
            for chrom in sorted(self._parts, key=lambda c: (chrom_rank(c), c)):
                total += self._finalise(chrom, self._parts[chrom], out)
        shutil.rmtree(self._dir, ignore_errors=True)
        if self.duplicates:
            log.info("%s: %d rows with a repeated site dropped", self.path.name, self.duplicates)
        return total

    def abort(self) -> None:
        """Remove temporary parts after a failure."""
        for part in self._parts.values():
            part.writer.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def _finalise(self, chrom: str, part: _Part, out: pq.ParquetWriter) -> int:
        """Copy one contig into ``out`` in sorted, deduplicated row groups."""
        source = pq.ParquetFile(part.path)
        batches: Iterator[pa.Table]
        if part.in_order:
            batches = (pa.Table.from_batches([b]) for b in source.iter_batches(ROW_GROUP))
        else:
            log.info("%s: %s rows not sorted by position; sorting in memory", self.path, chrom)
            batches = iter([source.read().sort_by([("pos", "ascending")])])
        buffer: list[pa.Table] = []
        carry: pa.Table | None = None
        written = 0
        for batch in batches:
            rows = batch if carry is None else pa.concat_tables([carry, batch])
            cut = _last_site_start(rows)  # rows of the last position may continue
            carry = rows.slice(cut)
            buffer.append(self._dedupe(rows.slice(0, cut)))
            written += _flush(buffer, out, final=False)
        if carry is not None:
            buffer.append(self._dedupe(carry))
        written += _flush(buffer, out, final=True)
        return written

    def _dedupe(self, rows: pa.Table) -> pa.Table:
        if rows.num_rows < 2:
            return rows
        keys = [("pos", "ascending"), ("ref", "ascending"), ("alt", "ascending"), *self.prefer]
        rows = rows.sort_by(keys)
        same = None
        for name in ("pos", "ref", "alt"):
            col = rows[name]
            eq = pc.equal(col.slice(1), col.slice(0, rows.num_rows - 1))
            same = eq if same is None else pc.and_(same, eq)
        dup = np.concatenate([[False], pc.fill_null(same, False).to_numpy(zero_copy_only=False)])
        if dup.any():
            self.duplicates += int(dup.sum())
            rows = rows.filter(pa.array(~dup))
        return rows


def _last_site_start(rows: pa.Table) -> int:
    """Index of the first row at the table's last position (rows sorted by position)."""
    pos = rows["pos"].to_numpy()
    return int(np.searchsorted(pos, pos[-1], side="left")) if len(pos) else 0


def _flush(buffer: list[pa.Table], out: pq.ParquetWriter, final: bool) -> int:
    """Write whole row groups from ``buffer`` (all of it when ``final``); keep the rest."""
    rows = pa.concat_tables(buffer) if buffer else None
    buffer.clear()
    if rows is None or rows.num_rows == 0:
        return 0
    n = rows.num_rows if final else rows.num_rows - rows.num_rows % ROW_GROUP
    if n:
        out.write_table(rows.slice(0, n).combine_chunks(), row_group_size=ROW_GROUP)
    if n < rows.num_rows:
        buffer.append(rows.slice(n))
    return n
