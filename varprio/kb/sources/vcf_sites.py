"""Stream a VCF's sites with chosen INFO fields as Arrow tables, vectorised, in bounded memory.

Input: VCF 4.x, plain, gzip or bgzip, sites-only or with samples (ignored).  The header's
``##INFO=<ID=..,Number=..,Type=..>`` lines give each field's type and whether it has one value
per ALT (``Number=A``) or per allele (``Number=R``).  Example (gnomAD v4.1 exomes, INFO cut)::

    ##INFO=<ID=AF,Number=A,Type=Float,Description="Alternate allele frequency">
    #CHROM  POS  ID  REF  ALT  QUAL  FILTER  INFO
    chr1  55039894  rs1271212224  G  C  .  PASS  AC=6;AN=1413132;AF=4.24589e-06;grpmax=afr;...

Text is decompressed and parsed in large chunks (``pyarrow.csv``); each wanted INFO key is
found by one RE2 search over the chunk's INFO column (``;KEY=`` is a literal, so RE2 skips
ahead at memchr speed even through gnomAD's 12 kB INFO strings).  Multi-allelic records are
split per ALT with their Number=A/R values; symbolic, ``*`` and breakend ALTs are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from varprio.contigs import GRCH38_LENGTHS, harmonise
from varprio.errors import InputError
from varprio.io.vcf import prefetch
from varprio.io.vcf_text import split_alts
from varprio.parallel import THREADS

CHUNK_BYTES = 32 << 20
_NULL = pa.scalar(None, pa.string())
_META = re.compile(r"^##([A-Za-z_]+)=(.*)$")
_STRUCT = re.compile(r"^##(INFO|contig)=<(.*)>\s*$")
_ITEM = re.compile(r'([A-Za-z_]+)=("(?:[^"\\]|\\.)*"|[^,]*)')
_GRCH37 = re.compile(r"GRCh37|hg19|\bb37\b|hs37|NCBI37|g1k_v37", re.I)
#: VCF Type -> Arrow type of a column.
TYPES = {
    "Integer": pa.int32(),
    "Float": pa.float32(),
    "String": pa.string(),
    "Character": pa.string(),
    "Flag": pa.bool_(),
}
#: Columns read from the fixed VCF columns instead of INFO.
FIXED = {"ID": 2, "QUAL": 5, "FILTER": 6}


@dataclass(frozen=True)
class InfoDef:
    """One ``##INFO`` header line."""

    id: str
    number: str
    type: str
    description: str


@dataclass(frozen=True)
class Field:
    """An INFO key (or ``ID``, ``QUAL``, ``FILTER``) read into ``column``; None means missing."""

    key: str
    column: str
    type: pa.DataType | None = None  # from the header's Type when None
    missing: Any = None


@dataclass
class VcfHeader:
    """What the header says: INFO definitions, contig lengths, ``##key=value`` metadata."""

    path: str
    info: dict[str, InfoDef]
    contigs: dict[str, int | None]  # harmonised names
    meta: dict[str, str]  # first value of each ##key=value line (fileDate, reference, ...)
    n_columns: int
    n_lines: int
    samples: list[str]


def parse_header(path: str, text: str) -> VcfHeader:
    """Parse header text (up to and including the ``#CHROM`` line)."""
    info: dict[str, InfoDef] = {}
    contigs: dict[str, int | None] = {}
    meta: dict[str, str] = {}
    lines = text.splitlines()
    for line in lines:
        m = _STRUCT.match(line)
        if m:
            items = {k: v.strip('"') for k, v in _ITEM.findall(m.group(2))}
            if m.group(1) == "INFO" and "ID" in items:
                info[items["ID"]] = InfoDef(
                    items["ID"], items.get("Number", "."), items.get("Type", "String"),
                    items.get("Description", ""),
                )  # fmt: skip
            elif m.group(1) == "contig" and "ID" in items:
                length = items.get("length", "")
                contigs[harmonise(items["ID"])] = int(length) if length.isdigit() else None
            continue
        m = _META.match(line)
        if m:
            meta.setdefault(m.group(1), m.group(2))
    n_columns = len(lines[-1].split("\t")) if lines else 0
    if not lines or not lines[-1].startswith("#CHROM") or n_columns < 8:
        raise InputError(f"{path}: not a VCF: no '#CHROM' header line with 8 or more columns")
    samples = lines[-1].split("\t")[9:]
    return VcfHeader(path, info, contigs, meta, n_columns, len(lines), samples)


def check_grch38(header: VcfHeader) -> None:
    """Refuse a VCF whose ``##reference``, ``##assembly`` or contig lengths say GRCh37."""
    for key in ("reference", "assembly"):
        value = header.meta.get(key, "")
        if _GRCH37.search(value) and "38" not in value:
            raise InputError(
                f"{header.path}: ##{key}={value} is GRCh37; the knowledge base is GRCh38: "
                "use the GRCh38 release of this file"
            )
    for name, length in header.contigs.items():
        want = GRCH38_LENGTHS.get(name)
        if want is not None and length is not None and length != want and name != "chrM":
            raise InputError(
                f"{header.path}: ##contig {name} has length {length}, GRCh38's is {want}: "
                "the file is on another assembly (GRCh37?); the knowledge base is GRCh38"
            )


class SitesReader:
    """Open a VCF path; iterate :meth:`chunks` of split, typed sites."""

    def __init__(self, path: str, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.path, self.chunk_bytes = path, chunk_bytes
        try:
            raw = pa.OSFile(path)
            head = raw.read(2)
            raw.seek(0)
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc}") from exc
        self._stream: Any = pa.CompressedInputStream(raw, "gzip") if head == b"\x1f\x8b" else raw
        self._pending = b""
        self.header = parse_header(path, self._read_header())
        self.n_records = 0
        self._pool = ThreadPoolExecutor(max_workers=THREADS)

    def _read(self) -> bytes:
        try:
            return bytes(self._stream.read(self.chunk_bytes))
        except (OSError, EOFError) as exc:
            raise InputError(f"{self.path}: truncated or corrupt compressed data ({exc})") from exc

    def _read_header(self) -> str:
        buf = b""
        while True:
            at = 0 if buf.startswith(b"#CHROM") else buf.find(b"\n#CHROM")
            end = buf.find(b"\n", at + 1) if at >= 0 else -1
            if end >= 0:
                break
            more = self._read()
            if not more:
                if at >= 0:
                    end = len(buf)
                    break
                raise InputError(f"{self.path}: not a VCF: no '#CHROM' header line")
            buf += more
        self._pending = buf[end + 1 :]
        return buf[:end].decode("utf-8", errors="replace").replace("\r", "")

    def _text(self) -> Iterator[bytes]:
        buf, self._pending = self._pending, b""
        while True:
            more = self._read()
            if not more:
                if buf.strip():
                    yield buf if buf.endswith(b"\n") else buf + b"\n"
                return
            buf += more
            cut = buf.rfind(b"\n") + 1
            if cut:
                yield buf[:cut]
                buf = buf[cut:]

    def resolve(self, fields: list[Field]) -> list[Field]:
        """Fill in each field's type from the header; refuse keys the header lacks."""
        out = []
        for f in fields:
            if f.key in FIXED:
                out.append(Field(f.key, f.column, f.type or pa.string(), f.missing))
                continue
            d = self.header.info.get(f.key)
            if d is None:
                raise InputError(f"{self.path}: no ##INFO header line for field {f.key}")
            out.append(Field(f.key, f.column, f.type or TYPES.get(d.type, pa.string()), f.missing))
        return out

    def chunks(self, fields: list[Field]) -> Iterator[tuple[pa.Table, tuple[str, int]]]:
        """Yield (table, last site): ``chrom, pos, ref, alt`` and one column per field.

        ``last`` is the (contig, position) of the chunk's last record as written in the file.
        """
        fields = self.resolve(fields)
        for body in prefetch(self._text()):
            cols = self._columns(body)
            first = self.n_records + 1
            self.n_records += cols.num_rows
            if cols.num_rows == 0:
                continue
            table = self._sites(cols, fields, first)
            last = (cols["c0"][-1].as_py(), int(cols["c1"][-1].as_py()))
            yield table, last

    def _columns(self, body: bytes) -> pa.Table:
        names = [f"c{i}" for i in range(self.header.n_columns)]
        keep = names[:8]
        bad: list[int] = []

        def invalid(row: pcsv.InvalidRow) -> str:
            bad.append(row.number or 0)
            return "skip"

        try:
            table = pcsv.read_csv(
                pa.BufferReader(body),
                read_options=pcsv.ReadOptions(column_names=names, block_size=8 << 20),
                parse_options=pcsv.ParseOptions(
                    delimiter="\t", quote_char=False, escape_char=False, invalid_row_handler=invalid
                ),
                convert_options=pcsv.ConvertOptions(
                    include_columns=keep,
                    column_types={n: pa.string() for n in keep},
                    strings_can_be_null=False,
                ),
            )
        except pa.ArrowInvalid as exc:
            raise InputError(f"{self.path}: unreadable VCF data after record {self.n_records}: "
                             f"{str(exc).splitlines()[0]}") from exc  # fmt: skip
        if bad:
            raise InputError(
                f"{self.path}: a record after record {self.n_records} does not have "
                f"{self.header.n_columns} tab-separated columns"
            )
        return table.combine_chunks()

    def _sites(self, cols: pa.Table, fields: list[Field], first: int) -> pa.Table:
        alt = cols["c4"].chunk(0)
        parent, index, alts, _ = split_alts(alt)
        take = pa.array(parent)
        pos = self._positions(cols["c1"].chunk(0), cols["c0"].chunk(0), first)
        out: dict[str, pa.Array] = {
            "chrom": cols["c0"].chunk(0).take(take),
            "pos": pos.take(take),
            "ref": cols["c3"].chunk(0).take(take),
            "alt": alts,
        }
        info = cols["c7"].chunk(0)

        def one(f: Field) -> pa.Array:
            if f.key not in FIXED:
                return self._info(info, f, parent, index, first)
            raw = cols[f"c{FIXED[f.key]}"].chunk(0).take(take)
            return self._typed(pc.if_else(pc.equal(raw, "."), _NULL, raw), f, parent, first)

        # Arrow kernels release the GIL: the fields' regex scans run in parallel.
        for f, values in zip(fields, self._pool.map(one, fields), strict=True):
            out[f.column] = values
        return pa.table(out)

    def _positions(self, pos: pa.Array, chrom: pa.Array, first: int) -> pa.Array:
        try:
            values = pc.cast(pos, pa.int32())
        except pa.ArrowInvalid:
            bad = next(i for i, v in enumerate(pos.to_pylist()) if not v.isdigit())
            raise InputError(
                f"{self.path}: record {first + bad}: POS {pos[bad].as_py()!r} is not an integer"
            ) from None
        codes = pc.dictionary_encode(chrom)
        limits = np.array(
            [GRCH38_LENGTHS.get(harmonise(c), 2**31 - 1) for c in codes.dictionary.to_pylist()]
        )
        over = values.to_numpy() > limits[codes.indices.to_numpy()]
        if over.any():
            i = int(np.argmax(over))
            raise InputError(
                f"{self.path}: record {first + i}: {chrom[i].as_py()}:{values[i].as_py()} lies "
                "beyond that contig's GRCh38 length: the file is not GRCh38 (GRCh37?)"
            )
        return values

    def _info(
        self, info: pa.Array, f: Field, parent: np.ndarray, index: np.ndarray, first: int
    ) -> pa.Array:
        """One INFO field for every kept allele, typed, with ``f.missing`` for absent values."""
        key = re.escape(f.key)
        if pa.types.is_boolean(f.type):
            hit = pc.or_(
                pc.match_substring_regex(info, f";{key}(?:;|$)"),
                pc.match_substring_regex(info, f"^{key}(?:;|$)"),
            )
            return hit.take(pa.array(parent))
        raw = pc.struct_field(pc.extract_regex(info, f";{key}=(?P<v>[^;]*)"), [0])
        if pc.any(pc.starts_with(info, f"{f.key}=")).as_py():  # the record's first INFO key
            head = pc.struct_field(pc.extract_regex(info, f"^{key}=(?P<v>[^;]*)"), [0])
            raw = pc.coalesce(raw, head)
        raw = raw.take(pa.array(parent))
        number = self.header.info[f.key].number
        if number in ("A", "R"):
            raw = self._per_allele(raw, index if number == "A" else index + 1, f, parent, first)
        raw = pc.if_else(pc.equal(raw, "."), _NULL, raw)
        return self._typed(raw, f, parent, first)

    def _per_allele(
        self, raw: pa.Array, which: np.ndarray, f: Field, parent: np.ndarray, first: int
    ) -> pa.Array:
        """The ``which``-th (1-based) comma-separated value of each row."""
        lists = pc.split_pattern(raw, ",")
        lengths = pc.list_value_length(lists).fill_null(-1).to_numpy()
        short = (lengths >= 0) & (lengths < which)
        if short.any():
            i = int(np.argmax(short))
            raise InputError(
                f"{self.path}: record {first + int(parent[i])}: INFO {f.key} has "
                f"{lengths[i]} value(s), expected one per allele"
            )
        starts = pc.list_value_length(lists).fill_null(0).to_numpy().cumsum()
        offsets = np.concatenate([[0], starts[:-1]]) + which - 1
        present = lengths >= 0
        flat = pc.list_flatten(lists)
        return flat.take(pa.array(np.where(present, offsets, 0), mask=~present))

    def _typed(self, raw: pa.Array, f: Field, parent: np.ndarray, first: int) -> pa.Array:
        assert f.type is not None
        try:
            values = pc.cast(raw, f.type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            for i, v in enumerate(raw.to_pylist()):
                try:
                    pc.cast(pa.array([v], pa.string()), f.type)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    raise InputError(
                        f"{self.path}: record {first + int(parent[i])}: {f.key}={v!r} is not "
                        f"of type {f.type}"
                    ) from None
            raise
        if f.missing is not None:
            values = pc.fill_null(values, pa.scalar(f.missing, f.type))
        return values

    def close(self) -> None:
        """Close the file."""
        self._pool.shutdown()
        self._stream.close()

    def __enter__(self) -> SitesReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
