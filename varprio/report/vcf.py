"""Annotated VCF: the input VCF, every record kept, with INFO fields added where alleles match.

:func:`write_annotated_vcf` is the reusable core (``varprio prioritize --format vcf`` and
``varprio annotate``): it streams the input (VCF, gzipped VCF or BCF) as text, adds one
``##INFO`` line per field plus the caller's extra header lines, appends ``FIELD=v1,v2`` to the
INFO column of each record whose ALT alleles appear in the ``info`` table (``Number=A``: one
value per ALT, ``.`` for the ALTs without one), bgzips the result and indexes it with tabix.
A record keeps its text otherwise; e.g. with ALT ``C,T`` and only ``T`` ranked::

    1  100  .  A  C,T  80  PASS  DP=9;VARPRIO_RANK=.,3;VARPRIO_GENE=.,GENEC  GT  1/2

String values are percent-encoded as in VCF 4.3 (``%`` ``;`` ``=`` ``,`` space, tab, CR, LF;
``:`` is kept: it only delimits FORMAT values).  Fields of the same ID from an earlier run are
replaced.  The records must be position-sorted for the ``.tbi`` index; otherwise the VCF is
written without one and a warning is logged.
"""

from __future__ import annotations

import gzip
import logging
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pysam

from varprio.contigs import harmonise
from varprio.errors import InputError
from varprio.io.vcf import detect_format
from varprio.report.atomic import atomic_files

log = logging.getLogger(__name__)

KEY_COLUMNS = ("chrom", "pos", "ref", "alt")
_ESCAPES = {ord(c): f"%{ord(c):02X}" for c in "%;=, \t\r\n"}
_INFO_ID = re.compile(r"^[A-Za-z_][0-9A-Za-z_.]*$")
_CONTIG_ID = re.compile(r"^##contig=<ID=([^,>]+)")
_WRITE_CHUNK = 1 << 20


def percent_encode(text: str) -> str:
    """Escape the characters a VCF INFO value cannot hold (``A B;C`` -> ``A%20B%3BC``)."""
    return text.translate(_ESCAPES)


@dataclass(frozen=True)
class InfoField:
    """One INFO field: its ID, VCF Number and Type, and description."""

    id: str
    number: str
    type: str
    description: str

    def header_line(self) -> str:
        """The ``##INFO=<...>`` header line."""
        desc = self.description.replace("\\", "\\\\").replace('"', '\\"')
        return f'##INFO=<ID={self.id},Number={self.number},Type={self.type},Description="{desc}">'


def _vcf_type(field: pa.Field) -> str:
    t = field.type
    if pa.types.is_boolean(t):
        return "Flag"
    if pa.types.is_integer(t):
        return "Integer"
    if pa.types.is_floating(t):
        return "Float"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "String"
    raise ValueError(f"INFO column {field.name}: type {t} has no VCF INFO type")


def info_fields(schema: pa.Schema, descriptions: dict[str, str]) -> list[InfoField]:
    """One :class:`InfoField` per non-key column (Number from field metadata ``vcf_number``,
    else ``A``; ``0`` for booleans)."""
    out = []
    for field in schema:
        if field.name in KEY_COLUMNS:
            continue
        if not _INFO_ID.match(field.name):
            raise ValueError(f"INFO column {field.name}: not a valid VCF INFO ID")
        vtype = _vcf_type(field)
        number = (field.metadata or {}).get(b"vcf_number", b"A").decode()
        desc = descriptions.get(field.name, field.name)
        out.append(InfoField(field.name, "0" if vtype == "Flag" else number, vtype, desc))
    return out


def _encode(col: pa.ChunkedArray, vtype: str) -> list[str | None]:
    """Text of each value of one column (None: missing)."""
    values = col.to_pylist()
    if vtype == "Float":
        return [None if v is None or np.isnan(v) else f"{v:.6g}" for v in values]
    if vtype == "Flag":
        return ["" if v else None for v in values]
    if vtype == "String":
        return [percent_encode(v) if v else None for v in values]
    return [None if v is None else str(v) for v in values]


Lookup = dict[tuple[str, int], dict[tuple[str, str], list[str | None]]]


def _lookup(info: pa.Table, fields: list[InfoField]) -> Lookup:
    """(chrom, pos) -> (REF, ALT) -> encoded values; the first row of a key wins."""
    missing = [c for c in KEY_COLUMNS if c not in info.column_names]
    if missing:
        raise ValueError(f"info table lacks key column(s) {', '.join(missing)}")
    columns = [_encode(info[f.id], f.type) for f in fields]
    keys = zip(*(info[c].to_pylist() for c in KEY_COLUMNS), strict=True)
    out: Lookup = {}
    for i, (chrom, pos, ref, alt) in enumerate(keys):
        alleles = out.setdefault((harmonise(chrom), int(pos)), {})
        alleles.setdefault((ref.upper(), alt.upper()), [c[i] for c in columns])
    return out


def _info_text(fields: list[InfoField], per_alt: list[list[str | None] | None]) -> str:
    """``ID=v1,v2;FLAG`` for the fields with a value at any ALT."""
    parts = []
    for j, f in enumerate(fields):
        values = [None if row is None else row[j] for row in per_alt]
        present = [v for v in values if v is not None]
        if not present:
            continue
        if f.type == "Flag":
            parts.append(f.id)
        elif f.number == "A":
            parts.append(f"{f.id}={','.join('.' if v is None else v for v in values)}")
        else:
            parts.append(f"{f.id}={present[0]}")
    return ";".join(parts)


def _strip_info(info: str, ids: frozenset[str]) -> str:
    kept = [kv for kv in info.split(";") if kv.split("=", 1)[0] not in ids and kv != "."]
    return ";".join(kept) or "."


class _Annotator:
    """Rewrites data lines; remembers contigs the header does not declare."""

    def __init__(self, fields: list[InfoField], lookup: Lookup, strip: frozenset[str]) -> None:
        self.fields, self.lookup, self.strip = fields, lookup, strip
        self.declared: set[str] = set()
        self.undeclared: dict[str, None] = {}  # insertion-ordered set
        self._chrom: dict[str, str] = {}

    def line(self, line: str, number: int, src: str) -> str:
        head = line.split("\t", 2)
        if len(head) < 3:
            raise InputError(f"{src}: line {number}: not a tab-separated VCF record")
        chrom, pos = head[0], head[1]
        harmonised = self._chrom.get(chrom)
        if harmonised is None:
            harmonised = self._chrom[chrom] = harmonise(chrom)
            if chrom not in self.declared:
                self.undeclared[chrom] = None
        alleles = self.lookup.get((harmonised, int(pos))) if pos.isdigit() else None
        if not alleles and not self.strip:
            return line
        cols = line.split("\t", 8)
        if len(cols) < 8:
            raise InputError(f"{src}: line {number}: {len(cols)} columns; expected at least 8")
        if self.strip:
            cols[7] = _strip_info(cols[7], self.strip)
        if alleles:
            ref = cols[3].upper()
            per_alt = [alleles.get((ref, alt)) for alt in cols[4].upper().split(",")]
            added = _info_text(self.fields, per_alt)
            if added:
                cols[7] = added if cols[7] == "." else f"{cols[7]};{added}"
        return "\t".join(cols)


def _lines(src: str) -> Iterator[str]:
    """Every line of a VCF/BCF as text without its line ending."""
    kind = detect_format(src)
    if kind == "bcf":
        verbosity = pysam.set_verbosity(0)
        try:
            with pysam.VariantFile(src) as vf:
                yield from str(vf.header).rstrip("\n").split("\n")
                for rec in vf:
                    yield str(rec).rstrip("\n")
        finally:
            pysam.set_verbosity(verbosity)
        return
    opener = gzip.open if kind == "vcf.gz" else open
    with opener(src, "rt", encoding="utf-8", newline="") as fh:  # type: ignore[operator]
        for line in fh:
            yield line.rstrip("\r\n")


def _header(
    lines: Iterator[str], src: str, fields: list[InfoField], header_extra: list[str]
) -> tuple[list[str], int, set[str], frozenset[str]]:
    """Header lines with ours added, where the input's ``##`` lines end, the declared contigs
    and our IDs found in the input header."""
    ids = {f.id for f in fields}
    extra_keys = {x.split("=", 1)[0] for x in header_extra}
    out: list[str] = []
    contigs: set[str] = set()
    seen: set[str] = set()
    for line in lines:
        if line.startswith("#CHROM"):
            end = len(out)
            out += [f.header_line() for f in fields] + header_extra + [line]
            return out, end, contigs, frozenset(seen)
        m = re.match(r"^##INFO=<ID=([^,>]+)", line)
        if m and m.group(1) in ids:
            seen.add(m.group(1))
            continue
        if line.split("=", 1)[0] in extra_keys:
            continue
        if c := _CONTIG_ID.match(line):
            contigs.add(c.group(1))
        out.append(line)
    raise InputError(f"{src}: no '#CHROM' header line")


class _Writable(Protocol):
    def write(self, data: bytes) -> int: ...


def _write_text(fh: _Writable, lines: Iterator[str]) -> None:
    buf: list[str] = []
    size = 0
    for line in lines:
        buf.append(line)
        size += len(line) + 1
        if size >= _WRITE_CHUNK:
            fh.write(("\n".join(buf) + "\n").encode())
            buf, size = [], 0
    if buf:
        fh.write(("\n".join(buf) + "\n").encode())


def _body(lines: Iterator[str], ann: _Annotator, src: str, first: int) -> Iterator[str]:
    for n, line in enumerate(lines, start=first):
        if line:
            yield ann.line(line, n, src)


def write_annotated_vcf(
    src: str, dest: Path, info: pa.Table, descriptions: dict[str, str], header_extra: list[str]
) -> None:
    """Write ``src`` with INFO fields from ``info`` to bgzipped ``dest`` (+ ``dest.tbi``).

    Parameters
    ----------
    src
        Input VCF/BCF path (not '-': the caller spools stdin to a file first).
    dest
        Output ``.vcf.gz``; written atomically with its index.
    info
        Key columns chrom (``chr``-harmonised), pos, ref, alt, then one column per INFO field;
        the Arrow type gives the VCF Type (bool: Flag), Number is ``A`` unless the field's
        metadata has ``vcf_number``.  The first row of a repeated key wins.
    descriptions
        INFO ID -> Description text.
    header_extra
        Whole ``##key=value`` lines added after the INFO lines (lines of the same key in the
        input are replaced).
    """
    fields = info_fields(info.schema, descriptions)
    lookup = _lookup(info, fields)
    lines = _lines(src)
    header, end, contigs, stale = _header(lines, src, fields, header_extra)
    ann = _Annotator(fields, lookup, stale)
    ann.declared = contigs
    with atomic_files() as group:
        tmp = group.path(dest)
        body = group.path(dest.with_name(f"{dest.name}.body"))
        with pysam.BGZFile(str(body), "wb", None) as fh:
            _write_text(fh, _body(lines, ann, src, len(header) + 1))
        header[end:end] = [f"##contig=<ID={c}>" for c in ann.undeclared]
        with pysam.BGZFile(str(tmp), "wb", None) as fh:
            _write_text(fh, iter(header))
        with open(tmp, "ab") as out, open(body, "rb") as part:
            shutil.copyfileobj(part, out, 1 << 20)
        group.drop(body)
        group.sidecar(_index(tmp, src), Path(f"{dest}.tbi"))


def _index(path: Path, src: str) -> Path:
    """Build ``path.tbi``; on unsorted input log a warning and leave none."""
    index = Path(f"{path}.tbi")
    verbosity = pysam.set_verbosity(0)
    try:
        pysam.tabix_index(str(path), preset="vcf", index=str(index), force=True)
    except OSError as exc:
        index.unlink(missing_ok=True)
        log.warning("%s: records not sorted by position: VCF output not indexed (%s)", src, exc)
    finally:
        pysam.set_verbosity(verbosity)
    return index


def dedupe_first(table: pa.Table) -> pa.Table:
    """Keep the first row of every (chrom, pos, ref, alt) key, in the original order."""
    key = pc.binary_join_element_wise(
        table["chrom"], pc.cast(table["pos"], pa.string()), table["ref"], table["alt"], "\t"
    )
    _, first = np.unique(key.to_numpy(zero_copy_only=False), return_index=True)
    return table.take(pa.array(np.sort(first)))


#: INFO fields of ``--format vcf``: ID -> (column of the ranked variant table, description).
RANKED_FIELDS: dict[str, tuple[str, str]] = {
    "VARPRIO_RANK": ("rank", "varprio rank of the allele's best (variant, gene) row (1 = best)"),
    "VARPRIO_SCORE": ("score", "varprio score: variant_score x phenotype weight (higher: better)"),
    "VARPRIO_GENE": ("gene", "Gene (HGNC symbol) of the allele's best-ranked row"),
    "VARPRIO_GENE_RANK": ("gene_rank", "varprio rank of that gene (1 = best)"),
    "VARPRIO_HGNC": ("hgnc_id", "HGNC ID of the gene"),
    "VARPRIO_TRANSCRIPT": ("transcript_id", "Transcript the consequence is predicted on"),
    "VARPRIO_CSQ": ("consequence", "Consequence (Sequence Ontology term) on the transcript"),
    "VARPRIO_IMPACT": ("impact", "Impact class of the consequence (HIGH, MODERATE, LOW, MODIFIER)"),
    "VARPRIO_HGVSC": ("hgvs_c", "HGVS c. of the consequence (with a reference FASTA in the "
                      "knowledge base, or from the VCF's VEP/SnpEff annotation)"),
    "VARPRIO_HGVSP": ("hgvs_p", "HGVS p. (predicted) of the consequence"),
    "VARPRIO_CSQ_SOURCE": ("consequence_source", "Source of the consequence: gene_models, "
                           "fasta, vep or snpeff"),
    "VARPRIO_VARIANT_SCORE": (
        "variant_score", "consequence prior x frequency factor x inheritance fit"),
    "VARPRIO_PHENO": ("phenotype_score", "Phenotype match of the gene's best disease (0-1)"),
    "VARPRIO_INHERITANCE": ("inheritance", "Genotypes (and family) against the gene's modes of "
                            "inheritance: fitting modes, partner, de novo, rejections"),
    "VARPRIO_FIT": ("genotype_fit", "Inheritance label (compatible, de_novo, compound_het, "
                    "segregation_conflict, ...)"),
    "VARPRIO_DE_NOVO": ("de_novo", "De novo call confidence (high, low) with a PED"),
    "VARPRIO_MAX_AF": ("max_pop_af", "Highest population allele frequency in the knowledge base"),
    "VARPRIO_KGP_AF": ("kgp_af_grpmax", "Highest 1000 Genomes superpopulation allele frequency"),
    "VARPRIO_CLINVAR": ("clinvar_significance", "ClinVar classification (normalised)"),
    "VARPRIO_DISEASE": ("best_disease", "Best-matching disease of the gene (OMIM/ORPHA ID)"),
    "VARPRIO_DISEASE_NAME": ("best_disease_name", "Name of that disease (percent-encoded)"),
}  # fmt: skip


def ranked_info(variants: pa.Table, genes: pa.Table) -> tuple[pa.Table, dict[str, str]]:
    """The ``info`` table and descriptions of :func:`write_annotated_vcf` for ranked variants
    (fields whose column the table lacks are left out)."""
    best = dedupe_first(variants)
    gene_rank = genes["rank"].take(pc.index_in(best["gene"], value_set=genes["gene"]))
    best = best.append_column("gene_rank", gene_rank)
    columns = {c: best[c] for c in KEY_COLUMNS}
    fields = {vid: f for vid, f in RANKED_FIELDS.items() if f[0] in best.column_names}
    columns.update({vid: best[col] for vid, (col, _) in fields.items()})
    return pa.table(columns), {vid: desc for vid, (_, desc) in fields.items()}
