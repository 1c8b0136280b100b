"""Vectorised parsing of VCF data lines into ``VARIANT_BATCH`` tables.

Input: the data lines of a VCF (everything after the ``#CHROM`` line), tab-separated,
one record per line, ``\\n`` or ``\\r\\n`` line endings.  Columns (0-based)::

    0 CHROM  1 POS  2 ID  3 REF  4 ALT  5 QUAL  6 FILTER  7 INFO  8 FORMAT  9.. samples

Example line (GATK HaplotypeCaller, one multi-allelic record)::

    chr1  12345  .  A  G,T  345.77  PASS  AC=1,1;DP=34  GT:AD:DP:GQ:PL  1/2:1,17,16:34:99:...

No per-record Python loop: the text is parsed by ``pyarrow.csv`` and the columns by
``pyarrow.compute`` and numpy.  FORMAT strings are dictionary-encoded, so the position
of GT/AD/DP/GQ is looked up once per distinct FORMAT and broadcast to its records.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from varprio.contigs import harmonise as harmonise_contig
from varprio.io import info_annotations
from varprio.io.info_annotations import InfoFormat, annotation_columns
from varprio.schemas import VARIANT_BATCH

CHROM, POS, ID, REF, ALT, QUAL, FILTER, INFO, FORMAT = range(9)
FIRST_SAMPLE = 9
#: Categories of ALT alleles that are skipped and counted, in ``VcfReader.n_skipped``.
SKIP_KINDS = ("symbolic", "star", "breakend", "no_alt")
_INT = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(
    r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?:inf|nan)", re.I
)
_NULL_STR = pa.scalar(None, pa.string())


class FieldError(ValueError):
    """A malformed value in record ``row`` (0-based within the parsed chunk)."""

    def __init__(self, row: int, field: str, expected: str, got: str | None) -> None:
        super().__init__(f"row {row}, field {field}: expected {expected}, got {got!r}")
        self.row, self.field, self.expected, self.got = row, field, expected, got


def read_columns(
    body: bytes,
    n_columns: int,
    sample_col: int,
    relative_cols: tuple[int, ...] = (),
    info: bool = False,
) -> pa.Table:
    """Split data lines into string columns CHROM, POS, REF, ALT, QUAL, FILTER, FORMAT, sample
    (and ``rel0``, ``rel1``, ... for the relatives' columns ``relative_cols``; ``info`` for
    INFO when ``info`` is true).

    Raises
    ------
    FieldError
        When a line does not have ``n_columns`` tab-separated columns.
    """
    names = [f"c{i}" for i in range(n_columns)]
    order = (CHROM, POS, REF, ALT, QUAL, FILTER, FORMAT, sample_col, *relative_cols)
    order += (INFO,) if info else ()
    keep = [names[i] for i in order]
    bad: list[bool] = []

    def on_invalid(row: object) -> str:
        bad.append(True)
        return "skip"

    parse = pcsv.ParseOptions(
        delimiter="\t",
        quote_char=False,
        double_quote=False,
        escape_char=False,
        invalid_row_handler=on_invalid,
    )
    convert = pcsv.ConvertOptions(
        include_columns=keep, column_types={n: pa.string() for n in keep}, strings_can_be_null=False
    )
    try:
        table = _read_csv(body, names, 4 << 20, parse, convert)
    except pa.ArrowInvalid as e:  # a line longer than a block (a huge INFO): one block
        if "straddl" not in str(e):
            raise
        bad.clear()
        table = _read_csv(body, names, len(body) + 1, parse, convert)
    if bad:
        _raise_column_count(body, n_columns)
    names_out = ["chrom", "pos", "ref", "alt", "qual", "filter", "format", "sample"]
    names_out += [f"rel{i}" for i in range(len(relative_cols))]
    names_out += ["info"] if info else []
    return table.rename_columns(names_out).combine_chunks()  # include_columns keeps our order


def _read_csv(
    body: bytes,
    names: list[str],
    block_size: int,
    parse: pcsv.ParseOptions,
    convert: pcsv.ConvertOptions,
) -> pa.Table:
    return pcsv.read_csv(
        pa.BufferReader(body),
        read_options=pcsv.ReadOptions(column_names=names, block_size=block_size),
        parse_options=parse,
        convert_options=convert,
    )


def _raise_column_count(body: bytes, n_columns: int) -> None:
    """Find the first line with the wrong number of columns (error path only)."""
    row = 0
    for line in body.split(b"\n"):
        line = line.rstrip(b"\r")
        if not line:
            continue
        got = line.count(b"\t") + 1
        if got != n_columns:
            raise FieldError(row, "columns", f"{n_columns} tab-separated columns", f"{got}")
        row += 1
    raise FieldError(0, "columns", f"{n_columns} tab-separated columns", "?")


def column(table: pa.Table, name: str) -> pa.Array:
    column = table.column(name)
    return column.chunk(0) if column.num_chunks == 1 else pa.concat_arrays(column.chunks)


def _split(
    arr: pa.Array, sep: str, max_splits: int | None = None
) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Split strings on ``sep``: (flat tokens, start offset per row, token count per row)."""
    lists = pc.split_pattern(arr, sep, max_splits=max_splits)
    lengths = pc.list_value_length(lists).fill_null(0).to_numpy().astype(np.int64)
    starts = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    return pc.list_flatten(lists), starts, lengths


def to_ints(
    arr: pa.Array,
    rows: np.ndarray,
    field: str,
    as_float: bool = False,
    expected: str = "an integer or '.'",
) -> pa.Array:
    """Cast strings to int32 ('.' and null -> null); ``rows`` maps each value to its record."""
    arr = pc.if_else(pc.equal(arr, "."), _NULL_STR, arr)
    try:
        if as_float:
            return pc.cast(pc.round(pc.cast(arr, pa.float64())), pa.int32())
        return pc.cast(arr, pa.int32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pattern = _NUMBER if as_float else _INT
        for i, value in enumerate(arr.to_pylist()):
            if value is not None and not (pattern.fullmatch(value) and abs(float(value)) < 2**31):
                raise FieldError(int(rows[i]), field, expected, value) from None
        raise


def _field_values(fmt: pa.Array, sample: pa.Array, keys: tuple[str, ...]) -> list[pa.Array]:
    """Per record, the sample's values of each FORMAT key in ``keys`` (null when absent)."""
    encoded = pc.dictionary_encode(fmt)
    formats = [f.split(":") for f in encoded.dictionary.to_pylist()]
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    table = np.array(
        [[f.index(k) if k in f else -1 for k in keys] for f in formats], dtype=np.int64
    )
    table = table.reshape(len(formats), len(keys))
    last = int(table.max(initial=0))
    # split off only the fields needed (PL and later stay in one unsplit remainder)
    values, starts, lengths = _split(sample, ":", max_splits=last + 1)
    lengths = np.minimum(lengths, last + 1)
    out = []
    for k in range(len(keys)):
        pos = table[codes, k]
        valid = (pos >= 0) & (pos < lengths)
        taken = values.take(pa.array(np.where(valid, starts + pos, 0), mask=~valid))
        out.append(pc.if_else(pc.equal(taken, ""), _NULL_STR, taken))
    return out


def split_alts(alt: pa.Array) -> tuple[np.ndarray, np.ndarray, pa.Array, dict[str, int]]:
    """Split ALT; return (parent record, 1-based ALT index, ALT allele) of kept alleles, skips."""
    flat, starts, lengths = _split(alt, ",")
    parent = np.repeat(np.arange(len(lengths)), lengths)
    index = np.arange(len(flat)) - starts[parent] + 1
    flat = pc.ascii_upper(flat)
    if pc.all(pc.match_substring_regex(flat, r"^[ACGTN]+$")).as_py() is not False:
        return parent, index, flat, dict.fromkeys(SKIP_KINDS, 0)
    kinds = {
        "symbolic": pc.starts_with(flat, "<"),
        "star": pc.equal(flat, "*"),
        "breakend": pc.or_(
            pc.match_substring_regex(flat, r"[\[\]]"),
            pc.match_substring_regex(flat, r"^\..|.\.$"),
        ),
        "no_alt": pc.equal(flat, "."),
    }
    masks = {k: v.to_numpy(zero_copy_only=False) for k, v in kinds.items()}
    skipped = {k: int(m.sum()) for k, m in masks.items()}
    keep = ~np.logical_or.reduce(list(masks.values()))
    return parent[keep], index[keep], flat.filter(pa.array(keep)), skipped


def _parse_gt(gt: pa.Array, n_alt: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse GT strings: (allele matrix, -1 missing / -2 padding; ploidy; phased)."""
    tokens, starts, ploidy = _split(pc.replace_substring(gt, "|", "/"), "/")
    rows = np.repeat(np.arange(len(ploidy)), ploidy)
    minus_one = pa.scalar("-1", pa.string())
    try:
        values = to_ints(pc.if_else(pc.equal(tokens, "."), minus_one, tokens), rows, "GT")
    except FieldError as e:
        raise FieldError(
            e.row, "GT", "allele indices or '.' separated by / or |", gt[e.row].as_py()
        ) from None
    alleles = values.fill_null(-3).to_numpy()
    over = (alleles > n_alt[rows]) | (alleles < -1)
    if over.any():
        row = int(rows[np.argmax(over)])
        raise FieldError(row, "GT", f"allele indices 0..{n_alt[row]} or '.'", gt[row].as_py())
    if len(ploidy) and ploidy.max() > 127:
        raise FieldError(int(np.argmax(ploidy)), "GT", "ploidy <= 127", None)
    matrix = np.full((len(ploidy), max(int(ploidy.max(initial=0)), 1)), -2, dtype=np.int32)
    matrix[rows, np.arange(len(rows)) - starts[rows]] = alleles
    phased = pc.match_substring(gt, "|").fill_null(False).to_numpy(zero_copy_only=False)
    return matrix, ploidy, phased


def _alt_counts(matrix: np.ndarray, ploidy: np.ndarray, parent: np.ndarray, index: np.ndarray):
    """Copies of ALT ``index`` in each parent genotype; -1 when every allele is missing."""
    sub = matrix[parent]
    count = (sub == index[:, None]).sum(axis=1)
    missing = (sub == -1).sum(axis=1)
    all_missing = (missing == ploidy[parent]) | (ploidy[parent] == 0)
    return np.where(all_missing, -1, count).astype(np.int8)


def _parse_ad(ad: pa.Array, parent: np.ndarray, index: np.ndarray) -> tuple[pa.Array, pa.Array]:
    """Split AD per kept allele as (AD[0], AD[index]); null when absent or '.'."""
    tokens, starts, lengths = _split(ad, ",")
    rows = np.repeat(np.arange(len(lengths)), lengths)
    values = to_ints(tokens, rows, "AD")
    out = []
    for i in (np.zeros_like(index), index):
        ok = i < lengths[parent]
        out.append(values.take(pa.array(np.where(ok, starts[parent] + i, 0), mask=~ok)))
    return out[0], out[1]


def parse_records(
    cols: pa.Table,
    first_record: int,
    contigs: dict[str, str],
    info_format: InfoFormat | None = None,
) -> tuple[pa.Table, dict[str, int]]:
    """Turn the columns of ``read_columns`` into a ``VARIANT_BATCH`` table, one row per ALT.

    ``first_record`` is the 1-based number of the chunk's first record; ``contigs`` caches
    harmonised contig names; with ``info_format`` (and an ``info`` column), the CSQ/ANN
    annotations are appended as ``varprio.io.info_annotations.COLUMNS``.  Returns the table
    and counts of skipped alleles by kind.
    """
    n = cols.num_rows
    rows = np.arange(n)
    alt = column(cols, "alt")
    parent, index, alts, skipped = split_alts(alt)
    n_alt = pc.list_value_length(pc.split_pattern(alt, ",")).to_numpy().astype(np.int64)
    fmt, sample = column(cols, "format"), column(cols, "sample")
    gt, ad, dp, gq, ps = _field_values(fmt, sample, ("GT", "AD", "DP", "GQ", "PS"))
    matrix, ploidy, phased = _parse_gt(gt, n_alt)
    ad_ref, ad_alt = _parse_ad(ad, parent, index)
    dp = to_ints(dp, rows, "DP")
    gq = to_ints(gq, rows, "GQ", as_float=True)
    chrom = pc.dictionary_encode(column(cols, "chrom"))
    names = [contigs.setdefault(c, harmonise_contig(c)) for c in chrom.dictionary.to_pylist()]
    take = pa.array(parent)
    arrays = [
        pa.array(names, pa.string()).take(chrom.indices).take(take),
        to_ints(column(cols, "pos"), rows, "POS", expected="an integer").take(take),
        pc.ascii_upper(column(cols, "ref")).take(take),
        alts,
        _to_qual(column(cols, "qual")).take(take),
        column(cols, "filter").take(take),
        gt.take(take),
        pa.array(_alt_counts(matrix, ploidy, parent, index)),
        pa.array(ploidy[parent].astype(np.int8)),
        pa.array(phased[parent]),
        ad_ref,
        ad_alt,
        dp.take(take),
        gq.take(take),
        pa.array(parent + first_record, pa.int64()),
        to_ints(ps, rows, "PS").take(take),
    ]
    table = pa.Table.from_arrays(arrays, schema=VARIANT_BATCH)
    relatives = [c for c in cols.column_names if c.startswith("rel")]
    if relatives:
        for name, values in _relative_columns(cols, relatives, n_alt, parent, index).items():
            table = table.append_column(name, values)
    if info_format is not None:
        found = annotation_columns(
            column(cols, "info"), info_format, column(cols, "ref"), alt, (parent, index, alts)
        )
        for name, values in found.items():
            table = table.append_column(info_annotations.COLUMNS.field(name), values)
    return table, skipped


#: Per-ALT columns of the relatives' genotypes (fixed-size lists, one value per relative, in
#: ``Family.relatives`` order); -1 where a value is missing (no call: alt_count -1).
RELATIVE_FIELDS = ("rel_alt_count", "rel_dp", "rel_gq", "rel_ad_alt")


def _relative_columns(
    cols: pa.Table, relatives: list[str], n_alt: np.ndarray, parent: np.ndarray, index: np.ndarray
) -> dict[str, pa.Array]:
    """The :data:`RELATIVE_FIELDS` of the relatives' sample columns ``rel0``, ``rel1``, ..."""
    fmt, rows, take = column(cols, "format"), np.arange(cols.num_rows), pa.array(parent)
    per: dict[str, list[np.ndarray]] = {name: [] for name in RELATIVE_FIELDS}
    for rel in relatives:
        gt, ad, dp, gq = _field_values(fmt, column(cols, rel), ("GT", "AD", "DP", "GQ"))
        matrix, ploidy, _ = _parse_gt(gt, n_alt)
        per["rel_alt_count"].append(_alt_counts(matrix, ploidy, parent, index))
        per["rel_dp"].append(_filled(to_ints(dp, rows, "DP").take(take)))
        per["rel_gq"].append(_filled(to_ints(gq, rows, "GQ", as_float=True).take(take)))
        per["rel_ad_alt"].append(_filled(_parse_ad(ad, parent, index)[1]))
    k = len(relatives)
    out = {}
    for name, arrays in per.items():
        flat = np.stack(arrays, axis=1).reshape(-1)
        out[name] = pa.FixedSizeListArray.from_arrays(pa.array(flat), k)
    return out


def _filled(values: pa.Array) -> np.ndarray:
    return pc.fill_null(values, -1).to_numpy(zero_copy_only=False).astype(np.int32)


def _to_qual(qual: pa.Array) -> pa.Array:
    """QUAL as float32, '.' -> null."""
    qual = pc.if_else(pc.equal(qual, "."), _NULL_STR, qual)
    try:
        return pc.cast(qual, pa.float32())
    except pa.ArrowInvalid:
        for i, value in enumerate(qual.to_pylist()):
            if value is not None and not _NUMBER.fullmatch(value):
                raise FieldError(i, "QUAL", "a number or '.'", value) from None
        raise
