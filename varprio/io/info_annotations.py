"""Annotations already in the input VCF: Ensembl VEP ``CSQ`` and SnpEff ``ANN`` INFO fields.

The header names the ``|``-separated fields of each annotation entry, e.g.::

    ##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP.
        Format: Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|EXON|...">
    ##INFO=<ID=ANN,Number=.,Type=String,Description="Functional annotations: 'Allele |
        Annotation | Annotation_Impact | Gene_Name | Gene_ID | Feature_Type | Feature_ID | ...'">

A record carries ``,``-separated entries, one per (allele, feature)::

    CSQ=T|missense_variant|MODERATE|GENEA|ENSG01|Transcript|ENST01|protein_coding|2/3|...

VEP writes the allele trimmed (``-`` for a deletion, the ALT minus the base shared with REF
for indels) unless ``ALLELE_NUM`` (1-based ALT index) is given; SnpEff writes the ALT as is.
Every entry is matched to its ALT row, and per (ALT, gene) the most severe one is kept
(:data:`ENTRY`), vectorised with pyarrow compute (Python runs once per distinct term string).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from varprio.consequence import IMPACT, RANK
from varprio.errors import InputError

#: INFO key -> the tool that writes it (``vcf_source``); CSQ is used when both are present.
SOURCES = {"CSQ": "vep", "ANN": "snpeff"}
#: Canonical field name -> its names in VEP and SnpEff headers, in order of preference.
FIELDS: dict[str, tuple[str, ...]] = {
    "allele": ("Allele",),
    "allele_num": ("ALLELE_NUM",),
    "consequence": ("Consequence", "Annotation"),
    "impact": ("IMPACT", "Annotation_Impact"),
    "gene": ("SYMBOL", "Gene_Name"),
    "gene_id": ("Gene", "Gene_ID"),
    "transcript_id": ("Feature", "Feature_ID"),
    "hgvs_c": ("HGVSc", "HGVS.c"),
    "hgvs_p": ("HGVSp", "HGVS.p"),
    "exon": ("EXON",),
    "canonical": ("CANONICAL",),
    "gnomad_af": ("gnomADe_AF", "gnomAD_AF", "gnomADg_AF"),
    "max_af": ("MAX_AF",),
    "clin_sig": ("CLIN_SIG",),
}
#: One per (ALT, gene): the most severe entry (ties: VEP's CANONICAL, then the first).
ENTRY = pa.struct(
    [(name, pa.string()) for name in
     ("gene", "gene_id", "consequence", "impact", "transcript_id", "exon", "hgvs_c",
      "hgvs_p")]
)  # fmt: skip
#: Columns appended to every ``VARIANT_BATCH`` row when the header declares CSQ or ANN.
COLUMNS = pa.schema(
    [
        ("vcf_annotations", pa.list_(ENTRY)),
        ("vcf_source", pa.string()),  # "vep" or "snpeff"
        ("vcf_gnomad_af", pa.float32()),  # gnomAD exomes AF, else gnomAD, else genomes
        ("vcf_max_af", pa.float32()),  # VEP MAX_AF (highest population AF)
        ("vcf_clin_sig", pa.string()),  # VEP CLIN_SIG as written (e.g. "likely_pathogenic")
    ]
)
#: SnpEff (and old SO) names -> the nearest term of ``consequence.SEVERITY``; other unknown
#: names are kept and rank after every known term.
SYNONYMS = {
    "5_prime_UTR_premature_start_codon_gain_variant": "5_prime_UTR_variant",
    "conservative_inframe_insertion": "inframe_insertion",
    "disruptive_inframe_insertion": "inframe_insertion",
    "conservative_inframe_deletion": "inframe_deletion",
    "disruptive_inframe_deletion": "inframe_deletion",
    "exon_loss_variant": "feature_truncation",
    "duplication": "feature_elongation",
    "initiator_codon_variant": "start_retained_variant",
    "start_retained": "start_retained_variant",
    "non_canonical_start_codon": "start_retained_variant",
    "stop_retained": "stop_retained_variant",
    "conserved_intron_variant": "intron_variant",
    "intergenic_region": "intergenic_variant",
    "conserved_intergenic_variant": "intergenic_variant",
    "miRNA": "mature_miRNA_variant",
    "rare_amino_acid_variant": "missense_variant",
    "5_prime_UTR_truncation": "5_prime_UTR_variant",
    "3_prime_UTR_truncation": "3_prime_UTR_variant",
    "non_coding_exon_variant": "non_coding_transcript_exon_variant",
}
_DECLARATION = re.compile(r'^##INFO=<ID=(CSQ|ANN),.*Description="(.*)"[^"]*>\s*$')
_NUMBER = r"^\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*$"
_NULL = pa.scalar(None, pa.string())


@dataclass(frozen=True)
class InfoFormat:
    """The CSQ or ANN field layout declared by a VCF header."""

    key: str  # "CSQ" or "ANN"
    source: str  # "vep" or "snpeff"
    fields: tuple[str, ...]  # as declared

    def position(self, name: str) -> int | None:
        """0-based position of canonical field ``name`` (see :data:`FIELDS`), or None."""
        return next((self.fields.index(f) for f in FIELDS[name] if f in self.fields), None)


def find_format(header: str, name: str) -> InfoFormat | None:
    """The CSQ (else ANN) declaration of a VCF ``header``; None when it declares neither.

    Raises
    ------
    InputError
        When the declaration's Description does not list the fields with an ``Allele`` and a
        ``Consequence`` (VEP) or ``Annotation`` (SnpEff) field.
    """
    found: dict[str, InfoFormat] = {}
    for number, line in enumerate(header.split("\n"), start=1):
        if line.startswith(("##INFO=<ID=CSQ,", "##INFO=<ID=ANN,")):
            fmt = _parse_declaration(line, number, name)
            found.setdefault(fmt.key, fmt)
    return found.get("CSQ", found.get("ANN"))


def _parse_declaration(line: str, number: int, name: str) -> InfoFormat:
    """The field names of one ``##INFO=<ID=CSQ|ANN,...>`` header line."""
    m = _DECLARATION.match(line)
    listed = ""
    if m and m.group(1) == "CSQ" and "Format:" in m.group(2):
        listed = m.group(2).split("Format:", 1)[1]
    elif m and m.group(1) == "ANN" and m.group(2).count("'") >= 2:
        listed = m.group(2).split("'")[1]
    fields = tuple(f.strip() for f in listed.split("|"))
    key = line[len("##INFO=<ID=") : len("##INFO=<ID=") + 3]
    fmt = InfoFormat(key, SOURCES[key], fields)
    if fmt.position("allele") is None or fmt.position("consequence") is None:
        expected = (
            'Description="... Format: Allele|Consequence|..."'
            if key == "CSQ"
            else "Description=\"Functional annotations: 'Allele | Annotation | ...'\""
        )
        shown = line if len(line) <= 100 else line[:97] + "..."
        raise InputError(f"{name}: header line {number} ({shown}): expected {expected}")
    return fmt


def info_values(info: pa.Array, key: str) -> pa.Array:
    """The value of INFO ``key`` in each record (null when absent)."""
    found = pc.extract_regex(info, rf"(?:^|;){key}=(?P<v>[^;]*)")
    return pc.struct_field(found, "v")


def _fields(entries: pa.Array, fmt: InfoFormat) -> dict[str, pa.Array]:
    """Each canonical field of each entry (null when absent or empty)."""
    wanted = {n: p for n in FIELDS if (p := fmt.position(n)) is not None}
    lists = pc.split_pattern(entries, "|", max_splits=max(wanted.values()) + 1)
    tokens = pc.list_flatten(lists)
    lengths = pc.list_value_length(lists).to_numpy(zero_copy_only=False).astype(np.int64)
    starts = np.cumsum(lengths) - lengths
    out = {}
    for name, p in wanted.items():
        ok = p < lengths
        taken = tokens.take(pa.array(np.where(ok, starts + p, 0), mask=~ok))
        out[name] = pc.if_else(pc.equal(taken, ""), _NULL, taken)
    return out


def vep_alleles(ref: pa.Array, alt: pa.Array, parent: np.ndarray, alts: pa.Array) -> pa.Array:
    """VEP's allele string of each ALT row (``alts``, of record ``parent``).

    ``ref`` and ``alt`` are per record (ALT as written, comma-separated).  As VEP does, the
    first base is dropped (``-`` when nothing is left) when a record has an ALT of another
    length than REF and every allele but ``*`` starts with the same base.
    """
    lists = pc.split_pattern(pc.ascii_upper(alt), ",")
    flat = pc.list_flatten(lists)
    rec = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
    ref_rec = pc.ascii_upper(ref).take(pa.array(rec))
    other_length = pc.not_equal(pc.utf8_length(flat), pc.utf8_length(ref_rec))
    first = pc.utf8_slice_codeunits(flat, 0, 1)
    same = pc.or_(pc.equal(first, pc.utf8_slice_codeunits(ref_rec, 0, 1)),
                  pc.match_substring(flat, "*"))  # fmt: skip
    indel = np.zeros(len(ref), bool)
    differ = np.zeros(len(ref), bool)
    np.logical_or.at(indel, rec, other_length.to_numpy(zero_copy_only=False))
    np.logical_or.at(differ, rec, ~same.to_numpy(zero_copy_only=False))
    trim = pa.array((indel & ~differ)[parent])
    trimmed = pc.utf8_slice_codeunits(alts, 1)
    trimmed = pc.if_else(pc.equal(trimmed, ""), pa.scalar("-"), trimmed)
    return pc.if_else(trim, trimmed, alts)


def _entry_rows(
    fields: dict[str, pa.Array], fmt: InfoFormat, rec: np.ndarray, row_keys: pa.Array
) -> np.ndarray:
    """The ALT row of each entry (-1 when its allele is not one of the rows)."""
    allele = fields["allele_num"] if "allele_num" in fields else pc.ascii_upper(fields["allele"])
    keys = pc.binary_join_element_wise(pc.cast(pa.array(rec), pa.string()), allele, ":")
    return pc.fill_null(pc.index_in(keys, value_set=row_keys), -1).to_numpy().astype(np.int64)


def _row_keys(fmt: InfoFormat, ref: pa.Array, alt: pa.Array, parent: np.ndarray,
              index: np.ndarray, alts: pa.Array) -> pa.Array:  # fmt: skip
    """``record:allele`` of each ALT row, the allele written as ``fmt``'s tool writes it."""
    if fmt.position("allele_num") is not None:
        allele = pc.cast(pa.array(index), pa.string())
    elif fmt.source == "vep":
        allele = vep_alleles(ref, alt, parent, alts)
    else:
        allele = pc.ascii_upper(alts)
    return pc.binary_join_element_wise(pc.cast(pa.array(parent), pa.string()), allele, ":")


def most_severe(terms: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """The most severe SO term of each ``&``-joined string, and its rank in ``SEVERITY``."""
    encoded = pc.dictionary_encode(terms)
    best, ranks = [], []
    for combo in encoded.dictionary.to_pylist():  # once per distinct string
        names = [SYNONYMS.get(t, t) for t in combo.split("&") if t]
        term = min(names, key=lambda t: RANK.get(t, len(RANK)), default=None)
        best.append(term)
        ranks.append(RANK.get(term, len(RANK)) if term else len(RANK) + 1)
    codes = pc.fill_null(encoded.indices, len(best)).to_numpy(zero_copy_only=False)
    rank = np.append(np.array(ranks, np.int64), len(RANK) + 1)[codes]
    return pa.array(best, pa.string()).take(encoded.indices), rank


def _decoded(hgvs: pa.Array) -> pa.Array:
    """VEP's percent-encoded HGVS decoded (``p.Leu12%3D`` -> ``p.Leu12=``)."""
    for code, char in (("%3D", "="), ("%3B", ";"), ("%2C", ",")):
        hgvs = pc.replace_substring(hgvs, code, char)
    return hgvs


def _number(values: pa.Array) -> pa.Array:
    """The first ``&``-separated number of each string as float32 (null when not a number)."""
    first = pc.replace_substring_regex(values, "&.*", "")
    valid = pc.fill_null(pc.match_substring_regex(first, _NUMBER), False)
    return pc.cast(pc.cast(pc.if_else(valid, first, _NULL), pa.float64()), pa.float32())


def annotation_columns(
    info: pa.Array,
    fmt: InfoFormat,
    ref: pa.Array,
    alt: pa.Array,
    rows: tuple[np.ndarray, np.ndarray, pa.Array],
) -> dict[str, pa.Array]:
    """The :data:`COLUMNS` of every ALT row.

    Parameters
    ----------
    info, ref, alt
        INFO, REF and ALT (as written) of each record.
    fmt
        The header's declaration (:func:`find_format`).
    rows
        Per ALT row: its record (0-based), its 1-based ALT index and the upper-case ALT.
    """
    parent, index, alts = rows
    lists = pc.split_pattern(info_values(info, fmt.key), ",")
    rec = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False).astype(np.int64)
    fields = _fields(pc.list_flatten(lists), fmt)
    row = _entry_rows(fields, fmt, rec, _row_keys(fmt, ref, alt, parent, index, alts))
    matched = pa.array(row >= 0)
    fields = {name: values.filter(matched) for name, values in fields.items()}
    row = row[row >= 0]
    out = {
        "vcf_annotations": _gene_entries(fields, row, len(parent)),
        "vcf_source": pa.array(np.full(len(parent), fmt.source, object), pa.string()),
    }
    first = np.full(len(parent), -1, np.int64)
    with_entries, at = np.unique(row, return_index=True)
    first[with_entries] = at  # each row's first entry
    for name in ("gnomad_af", "max_af", "clin_sig"):
        values = _get(fields, name, len(row))
        values = values.take(pa.array(first, mask=first < 0))
        out[f"vcf_{name}"] = values if name == "clin_sig" else _number(values)
    return out


def _gene_entries(fields: dict[str, pa.Array], row: np.ndarray, n_rows: int) -> pa.Array:
    """Per ALT row, the list of its most severe entry per gene (:data:`ENTRY`)."""
    term, rank = most_severe(fields["consequence"])
    gene_key = pc.coalesce(_get(fields, "gene_id", len(row)), _get(fields, "gene", len(row)))
    has_gene = pc.is_valid(gene_key).to_numpy(zero_copy_only=False)
    gene_code = pc.fill_null(pc.dictionary_encode(gene_key).indices, -1).to_numpy()
    canonical = _get(fields, "canonical", len(row))
    not_canonical = ~pc.fill_null(pc.equal(canonical, "YES"), False).to_numpy(zero_copy_only=False)
    order = np.lexsort((np.arange(len(row)), not_canonical, rank, gene_code, row))
    order = order[has_gene[order]]
    first = np.ones(len(order), bool)
    first[1:] = (row[order][1:] != row[order][:-1]) | (
        gene_code[order][1:] != gene_code[order][:-1]
    )
    pick = pa.array(order[first])
    impact = pc.coalesce(_get(fields, "impact", len(row)), _impacts(term))
    values = {**fields, "consequence": term, "impact": impact}
    for name in ("hgvs_c", "hgvs_p"):
        values[name] = _decoded(_get(values, name, len(row)))
    arrays = [_get(values, f.name, len(row)).take(pick) for f in ENTRY]
    entries = pa.StructArray.from_arrays(arrays, fields=list(ENTRY))
    counts = np.bincount(row[order[first]], minlength=n_rows)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), entries)


def _get(fields: dict[str, pa.Array], name: str, n: int) -> pa.Array:
    """Field ``name``, or ``n`` nulls when the header does not declare it."""
    return fields[name] if name in fields else pa.nulls(n, pa.string())


def _impacts(terms: pa.Array) -> pa.Array:
    """VEP impact class of each term (null for unknown terms)."""
    known = pa.array(list(IMPACT), pa.string())
    classes = pa.array(list(IMPACT.values()), pa.string())
    return classes.take(pc.index_in(terms, value_set=known))
