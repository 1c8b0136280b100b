"""Variant consequences (Sequence Ontology terms, VEP impacts) from gene models, without a FASTA.

A :class:`GeneModel` holds, for every transcript, sorted interval arrays ("families") of its
exon parts (UTR/CDS/non-coding), introns, splice sites, splice regions, start/stop codons and
5 kb flanks.  Coordinates are doubled (base ``p`` -> ``2p``) so that an insertion between bases
``p`` and ``p+1`` is the odd point ``2p+1``: it lies in a feature only when both flanking bases
do.  Interval keys are ``index * 2**31 + doubled position``, so one ``np.searchsorted`` finds
the candidates of every (variant, transcript) pair at once.

Choices made without a reference sequence:

* a SNV/MNV in the CDS is ``coding_sequence_variant`` (missense vs synonymous needs the FASTA);
* any variant overlapping the stop codon is ``stop_lost`` (most such SNVs are; a FASTA would
  tell ``stop_retained_variant`` apart), and one overlapping the start codon ``start_lost``;
* an indel's CDS effect uses the allele length difference after trimming the common prefix;
* an insertion between the last 5' UTR base and the first CDS base is ``5_prime_UTR_variant``
  (the start codon is intact); one at an exon/intron junction is ``splice_region_variant``;
* symbolic alleles (``<DEL>``, ``*``) cover their REF span and count as ``coding_sequence_variant``
  in the CDS.

With CDS sequences (``gene_models/cds_sequences``, built from a reference FASTA),
:mod:`varprio.coding` gives exact terms (missense, stop_gained, ...) that replace the coarse
CDS, start and stop codon ones before the most severe term is chosen, and ``hgvs_c``/``hgvs_p``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:  # varprio.coding (and pandas) load only with a FASTA-built KB
    from varprio.coding import CodingModel

#: Sequence Ontology consequence terms, most to least severe (Ensembl VEP order).
# fmt: off
SEVERITY: list[str] = [
    "transcript_ablation", "splice_acceptor_variant", "splice_donor_variant", "stop_gained",
    "frameshift_variant", "stop_lost", "start_lost", "transcript_amplification",
    "feature_elongation", "feature_truncation", "inframe_insertion", "inframe_deletion",
    "missense_variant", "protein_altering_variant", "splice_donor_5th_base_variant",
    "splice_region_variant", "splice_donor_region_variant", "splice_polypyrimidine_tract_variant",
    "incomplete_terminal_codon_variant", "start_retained_variant", "stop_retained_variant",
    "synonymous_variant", "coding_sequence_variant", "mature_miRNA_variant",
    "5_prime_UTR_variant", "3_prime_UTR_variant", "non_coding_transcript_exon_variant",
    "intron_variant", "NMD_transcript_variant", "non_coding_transcript_variant",
    "coding_transcript_variant", "upstream_gene_variant", "downstream_gene_variant",
    "TFBS_ablation", "TFBS_amplification", "TF_binding_site_variant",
    "regulatory_region_ablation", "regulatory_region_amplification",
    "regulatory_region_variant", "intergenic_variant", "sequence_variant",
]
# fmt: on
_HIGH = SEVERITY[: SEVERITY.index("inframe_insertion")]
_MODERATE = SEVERITY[
    SEVERITY.index("inframe_insertion") : SEVERITY.index("splice_donor_5th_base_variant")
]
_LOW = SEVERITY[
    SEVERITY.index("splice_donor_5th_base_variant") : SEVERITY.index("coding_sequence_variant")
]
#: VEP impact class of each consequence term.
IMPACT: dict[str, str] = {
    term: "HIGH"
    if term in _HIGH
    else "MODERATE"
    if term in _MODERATE
    else "LOW"
    if term in _LOW
    else "MODIFIER"
    for term in SEVERITY
}
RANK = {term: i for i, term in enumerate(SEVERITY)}
#: Code of a CDS part: replaced per variant by frameshift/inframe/coding_sequence ranks.
_CDS = len(SEVERITY)
_NONE = _CDS + 1
FLANK = 5000
_SHIFT = np.int64(2**31)

OUTPUT = pa.schema(
    [
        ("variant_index", pa.int32()),
        ("gene", pa.string()),
        ("gene_id", pa.string()),
        ("transcript_id", pa.string()),
        ("consequence", pa.string()),
        ("impact", pa.string()),
        ("exon", pa.string()),
        ("hgvs_c", pa.string()),  # null without CDS sequences
        ("hgvs_p", pa.string()),
        ("consequence_source", pa.string()),  # SOURCES: exact (FASTA) or gene models only
    ]
)
#: ``consequence_source`` values: the gene models alone, or exact with the CDS sequences.
GENE_MODELS, FASTA = "gene_models", "fasta"
#: SEVERITY as an Arrow array: a term's index in it is its rank.
TERMS = pa.array(SEVERITY, pa.string())
_IMPACTS = pa.array([IMPACT[t] for t in SEVERITY], pa.string())
#: Codes replaced by an exact coding term when one is known.
_CODING = (_CDS, RANK["start_lost"], RANK["stop_lost"])
#: Pairs given exact terms and HGVS: coarse term at least as severe as a 3' UTR variant.
_EXACT_MAX = RANK["3_prime_UTR_variant"]


@dataclass(frozen=True)
class _Family:
    """Intervals keyed by ``transcript * 2**31 + doubled position``, sorted by start key."""

    start: np.ndarray
    end: np.ndarray
    reach: np.ndarray  # running maximum of ``end``
    code: np.ndarray  # rank in SEVERITY, or _CDS
    exon: np.ndarray  # exon number (0 when not exonic)

    @classmethod
    def build(
        cls,
        t: np.ndarray,
        d0: np.ndarray,
        d1: np.ndarray,
        code: np.ndarray | np.integer,
        exon: np.ndarray | None = None,
        valid: np.ndarray | None = None,
    ) -> _Family:
        keep = np.ones(len(t), bool) if valid is None else valid
        start = t[keep] * _SHIFT + d0[keep]
        end = t[keep] * _SHIFT + d1[keep]
        exon_arr = np.zeros(len(start), np.int32) if exon is None else exon[keep].astype(np.int32)
        codes = np.broadcast_to(code, len(t))[keep].astype(np.int16)
        if np.any(np.diff(start) < 0):
            order = np.argsort(start, kind="stable")
            start, end, codes, exon_arr = start[order], end[order], codes[order], exon_arr[order]
        reach = np.maximum.accumulate(end) if len(end) else end
        return cls(start, end, reach, codes, exon_arr)


def _overlaps(
    starts: np.ndarray, reach: np.ndarray, ends: np.ndarray, qa: np.ndarray, qb: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """All (query, interval) index pairs whose keyed intervals overlap ``[qa, qb]``."""
    lo = np.searchsorted(reach, qa, "left")
    hi = np.searchsorted(starts, qb, "right")
    counts = np.maximum(hi - lo, 0)
    q = np.repeat(np.arange(len(qa)), counts)
    offsets = np.cumsum(counts) - counts
    i = np.arange(len(q)) - np.repeat(offsets, counts) + np.repeat(lo, counts)
    keep = ends[i] >= qa[q]
    return q[keep], i[keep]


def _code(name: str) -> np.int16:
    return np.int16(RANK[name])


@dataclass(frozen=True)
class GeneModel:
    """Transcripts with their feature interval families, ready for :func:`annotate`."""

    chroms: pa.Array  # contig names; a transcript's contig code is its index here
    tx_start: np.ndarray  # keyed by chromosome: chrom * 2**31 + doubled flank start
    tx_end: np.ndarray
    tx_reach: np.ndarray
    gene: pa.Array
    gene_id: pa.Array
    transcript_id: pa.Array
    gene_code: np.ndarray
    mane: np.ndarray
    n_exons: np.ndarray
    families: tuple[_Family, ...]
    coding: CodingModel | None = None

    @classmethod
    def from_tables(
        cls, transcripts: pa.Table, exons: pa.Table, sequences: pa.Table | None = None
    ) -> GeneModel:
        """Build from TRANSCRIPTS and EXONS tables (see ``varprio.schemas``) and optionally
        ``gene_models/cds_sequences`` (see ``varprio.kb.sources.fasta``)."""
        chrom = pc.cast(transcripts.column("chrom"), pa.string()).combine_chunks()
        chroms = pc.unique(chrom).sort()
        code = pc.index_in(chrom, value_set=chroms).to_numpy().astype(np.int64)
        start = transcripts.column("start").to_numpy().astype(np.int64)
        end = transcripts.column("end").to_numpy().astype(np.int64)
        order = np.lexsort((start, code))
        tx = transcripts.take(pa.array(order)).combine_chunks()
        code, start, end = code[order], start[order], end[order]
        plus = (pc.equal(tx.column("strand"), "+")).to_numpy(zero_copy_only=False)
        cds0, cds1 = (pc.fill_null(tx.column(c), -1).to_numpy().astype(np.int64)
                      for c in ("cds_start", "cds_end"))  # fmt: skip
        ids = tx.column("transcript_id").combine_chunks()
        ex = _sorted_exons(exons, ids)
        n_exons = np.bincount(ex["t"], minlength=len(start))
        t_all = np.arange(len(start), dtype=np.int64)
        families = (
            _exon_parts(ex, plus, cds0, cds1),
            *_intron_families(ex, plus),
            *_codons(t_all, plus, cds0, cds1),
            _flanks(t_all, plus, start, end),
        )
        gene = tx.column("gene").combine_chunks()
        fstart = code * _SHIFT + 2 * np.maximum(start - FLANK, 1)
        fend = code * _SHIFT + 2 * (end + FLANK)
        coding = None
        if sequences is not None:
            from varprio.coding import CodingModel

            names = (ids.to_numpy(zero_copy_only=False), chroms.take(pa.array(code)).to_numpy(
                zero_copy_only=False))  # fmt: skip
            coding = CodingModel.build(ex, plus, (cds0, cds1), names, sequences)
        return cls(
            chroms,
            fstart,
            fend,
            np.maximum.accumulate(fend) if len(fend) else fend,
            gene,
            tx.column("gene_id").combine_chunks(),
            ids,
            _gene_codes(gene, tx.column("gene_id").combine_chunks(), ids),
            pc.fill_null(tx.column("is_mane_select"), False).to_numpy(zero_copy_only=False),
            n_exons,
            families,
            coding,
        )


def _gene_codes(gene: pa.Array, gene_id: pa.Array, transcript_id: pa.Array) -> np.ndarray:
    """A code per transcript, equal within a gene, ordered by (symbol, gene ID)."""
    key = pc.binary_join_element_wise(
        pc.fill_null(gene, ""), pc.coalesce(gene_id, gene, transcript_id), "\t"
    )
    enc = pc.dictionary_encode(key)
    rank = np.empty(len(enc.dictionary), np.int64)
    rank[pc.sort_indices(enc.dictionary).to_numpy()] = np.arange(len(enc.dictionary))
    return rank[enc.indices.to_numpy()]


def _sorted_exons(exons: pa.Table, tx_ids: pa.Array) -> dict[str, np.ndarray]:
    """Exon arrays with their transcript index ``t``, sorted by (t, start)."""
    found = pc.index_in(exons.column("transcript_id"), value_set=tx_ids)
    t = found.fill_null(-1).to_numpy()
    s = exons.column("start").to_numpy().astype(np.int64)
    e = exons.column("end").to_numpy().astype(np.int64)
    num = exons.column("exon_number").to_numpy().astype(np.int32)
    keep = t >= 0
    order = np.lexsort((s[keep], t[keep]))
    return {
        "t": t[keep][order].astype(np.int64),
        "s": s[keep][order],
        "e": e[keep][order],
        "num": num[keep][order],
    }


def _exon_parts(
    ex: dict[str, np.ndarray], plus: np.ndarray, cds0: np.ndarray, cds1: np.ndarray
) -> _Family:
    """Each exon split into left UTR, CDS and right UTR parts (one non-coding part if no CDS)."""
    t, s, e = ex["t"], ex["s"], ex["e"]
    cs, ce, fwd = cds0[t], cds1[t], plus[t]
    coding = cs > 0
    left_ok = coding & (s < cs)
    mid_ok = ~coding | ((s <= ce) & (e >= cs))
    right_ok = coding & (e > ce)
    # the insertion point at a UTR/CDS junction goes to the UTR
    left = (2 * s, 2 * np.minimum(e, cs - 1) + (e >= cs))
    mid = (
        np.where(coding, 2 * np.maximum(s, cs), 2 * s),
        np.where(coding, 2 * np.minimum(e, ce), 2 * e),
    )
    right = (2 * np.maximum(s, ce + 1) - (s <= ce), 2 * e)
    utr5, utr3 = _code("5_prime_UTR_variant"), _code("3_prime_UTR_variant")
    left_code = np.where(fwd, utr5, utr3)
    right_code = np.where(fwd, utr3, utr5)
    mid_code = np.where(coding, _CDS, _code("non_coding_transcript_exon_variant"))
    stack = lambda *a: np.stack(a, axis=1).ravel()  # noqa: E731  (left, mid, right per exon)
    return _Family.build(
        np.repeat(t, 3),
        stack(left[0], mid[0], right[0]),
        stack(left[1], mid[1], right[1]),
        stack(left_code, mid_code, right_code),
        np.repeat(ex["num"], 3),
        stack(left_ok, mid_ok, right_ok),
    )


def _intron_families(ex: dict[str, np.ndarray], plus: np.ndarray) -> tuple[_Family, ...]:
    """Introns, donor/acceptor sites (intronic 1-2), splice regions (exonic 1-3, intronic 3-8)."""
    t, s, e = ex["t"], ex["s"], ex["e"]
    same = t[:-1] == t[1:]
    ok = same & (s[1:] - 1 >= e[:-1] + 1)
    ti, e0, s1, s0, e1 = t[:-1][ok], e[:-1][ok], s[1:][ok], s[:-1][ok], e[1:][ok]
    fwd = plus[ti]
    introns = _Family.build(ti, 2 * (e0 + 1), 2 * (s1 - 1), _code("intron_variant"))
    donor, acceptor = _code("splice_donor_variant"), _code("splice_acceptor_variant")
    stack = lambda a, b: np.stack([a, b], axis=1).ravel()  # noqa: E731
    t2 = np.repeat(ti, 2)
    sites = _Family.build(
        t2,
        stack(2 * (e0 + 1), 2 * np.maximum(s1 - 2, e0 + 1)),
        stack(2 * np.minimum(e0 + 2, s1 - 1), 2 * (s1 - 1)),
        stack(np.where(fwd, donor, acceptor), np.where(fwd, acceptor, donor)),
    )
    regions = _Family.build(
        t2,
        stack(2 * np.maximum(e0 - 2, s0), 2 * np.maximum(s1 - 8, e0 + 1)),
        stack(2 * np.minimum(e0 + 8, s1 - 1), 2 * np.minimum(s1 + 2, e1)),
        _code("splice_region_variant"),
    )
    return introns, sites, regions


def _codons(
    t: np.ndarray, plus: np.ndarray, cds0: np.ndarray, cds1: np.ndarray
) -> tuple[_Family, ...]:
    """Start and stop codons (genomic 3 bp at the CDS ends)."""
    coding = cds0 > 0
    left = np.where(plus, _code("start_lost"), _code("stop_lost"))
    right = np.where(plus, _code("stop_lost"), _code("start_lost"))
    return (
        _Family.build(t, 2 * cds0, 2 * (cds0 + 2), left, valid=coding),
        _Family.build(t, 2 * (cds1 - 2), 2 * cds1, right, valid=coding),
    )


def _flanks(t: np.ndarray, plus: np.ndarray, start: np.ndarray, end: np.ndarray) -> _Family:
    """Upstream and downstream 5 kb (the insertion point next to the transcript end included)."""
    up, down = _code("upstream_gene_variant"), _code("downstream_gene_variant")
    stack = lambda a, b: np.stack([a, b], axis=1).ravel()  # noqa: E731
    return _Family.build(
        np.repeat(t, 2),
        stack(2 * np.maximum(start - FLANK, 1), 2 * end + 1),
        stack(2 * start - 1, 2 * (end + FLANK)),
        stack(np.where(plus, up, down), np.where(plus, down, up)),
    )


def _alleles(pos: np.ndarray, ref: pa.Array, alt: pa.Array) -> tuple[np.ndarray, ...]:
    """Doubled affected interval ``[a, b]`` and CDS consequence rank of each variant."""
    ref = pc.cast(ref, pa.string())
    alt = pc.cast(alt, pa.string())
    r = pc.utf8_length(ref).to_numpy(zero_copy_only=False).astype(np.int64)
    a = pc.utf8_length(alt).to_numpy(zero_copy_only=False).astype(np.int64)
    symbolic = pc.or_(pc.starts_with(alt, "<"), pc.equal(alt, "*")).to_numpy(zero_copy_only=False)
    prefix = np.zeros(len(r), np.int64)
    active = ~symbolic & (np.minimum(r, a) > 0)
    k = 0
    while active.any():  # one pass per shared leading base, not per variant
        same = pc.equal(
            pc.utf8_slice_codeunits(ref, k, k + 1), pc.utf8_slice_codeunits(alt, k, k + 1)
        )
        active &= same.to_numpy(zero_copy_only=False) & (np.minimum(r, a) > k)
        prefix += active
        k += 1
    prefix = np.where(symbolic | (r == a), np.minimum(prefix, np.maximum(r - 1, 0)), prefix)
    start = pos + prefix
    r_left, a_left = r - prefix, np.where(symbolic, r - prefix, a - prefix)
    da = np.where(r_left > 0, 2 * start, 2 * start - 1)
    db = np.where(r_left > 0, 2 * (start + r_left - 1), 2 * start - 1)
    diff = a_left - r_left
    cds = np.select(
        [diff == 0, diff % 3 != 0, diff > 0],
        [RANK["coding_sequence_variant"], RANK["frameshift_variant"], RANK["inframe_insertion"]],
        RANK["inframe_deletion"],
    )
    return da, db, cds.astype(np.int16)


def _best_per_pair(
    model: GeneModel, t: np.ndarray, qa: np.ndarray, qb: np.ndarray, cds: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
    """Most severe rank, the same without CDS/codon parts (only with CDS sequences: None
    otherwise), and exon range (min, max) of every (variant, transcript) pair."""
    best = np.full(len(t), _NONE, np.int16)
    other = best.copy() if model.coding is not None else None
    ex_min = np.full(len(t), np.iinfo(np.int32).max, np.int32)
    ex_max = np.zeros(len(t), np.int32)
    fa, fb = t * _SHIFT + qa, t * _SHIFT + qb
    for fam in model.families:  # a handful of feature families, each fully vectorised
        p, i = _overlaps(fam.start, fam.reach, fam.end, fa, fb)
        code = np.where(fam.code[i] == _CDS, cds[p], fam.code[i])
        np.minimum.at(best, p, code)
        if other is not None:
            keep = ~np.isin(fam.code[i], _CODING)
            np.minimum.at(other, p[keep], code[keep])
        exonic = fam.exon[i] > 0
        np.minimum.at(ex_min, p[exonic], fam.exon[i][exonic])
        np.maximum.at(ex_max, p[exonic], fam.exon[i][exonic])
    return best, other, ex_min, ex_max


def _exact_terms(
    model: GeneModel,
    v: np.ndarray,
    t: np.ndarray,
    best: np.ndarray,
    other: np.ndarray | None,
    variants: tuple[np.ndarray, pa.Array, pa.Array],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Ranks with exact coding terms, ``hgvs_c``, ``hgvs_p`` and whether the term is exact,
    of each pair."""
    hgvs_c, hgvs_p = np.full(len(t), None, object), np.full(len(t), None, object)
    exact_term = np.zeros(len(t), bool)
    if model.coding is None or other is None:
        return best, hgvs_c, hgvs_p, exact_term
    from varprio.coding import exact

    sel = np.flatnonzero((best <= _EXACT_MAX) & (model.coding.c1[t] > 0))
    pos, ref, alt = variants
    vs = v[sel]
    ref_s = ref.take(pa.array(vs)).to_numpy(zero_copy_only=False)
    alt_s = alt.take(pa.array(vs)).to_numpy(zero_copy_only=False)
    term, c, hgvs_p[sel] = exact(model.coding, t[sel], pos[vs], ref_s, alt_s)
    known = term != None  # noqa: E711
    ranks = pc.index_in(pa.array(term[known], pa.string()), value_set=TERMS).to_numpy()
    best = best.copy()
    best[sel[known]] = np.minimum(other[sel[known]], ranks)
    exact_term[sel[known]] = True
    ids = model.transcript_id.take(pa.array(t[sel])).to_numpy(zero_copy_only=False).astype(object)
    hgvs_c[sel] = np.where(c != None, ids + ":c." + c.astype(str), None)  # noqa: E711
    return best, hgvs_c, hgvs_p, exact_term


def _exon_labels(ex_min: np.ndarray, ex_max: np.ndarray, n_exons: np.ndarray) -> pa.Array:
    """``3/10`` or ``3-4/10`` (exons overlapped / of the transcript); null outside exons."""
    lo, hi, of = (pc.cast(pa.array(x), pa.string()) for x in (ex_min, ex_max, n_exons))
    span = pc.if_else(pa.array(ex_min != ex_max), pc.binary_join_element_wise(lo, hi, "-"), lo)
    return pc.if_else(
        pa.array(ex_max > 0),
        pc.binary_join_element_wise(span, of, "/"),
        pa.scalar(None, pa.string()),
    )


def _annotate_chunk(
    model: GeneModel, chrom: pa.Array, pos: np.ndarray, ref: pa.Array, alt: pa.Array
) -> pa.Table:
    da, db, cds = _alleles(pos, ref, alt)
    code = pc.fill_null(pc.index_in(chrom, value_set=model.chroms), -1).to_numpy()
    code = code.astype(np.int64)
    known = code >= 0
    qa = np.where(known, code * _SHIFT + da, -1)
    qb = np.where(known, code * _SHIFT + db, -2)
    v, t = _overlaps(model.tx_start, model.tx_reach, model.tx_end, qa, qb)
    t = t.astype(np.int64)
    best, other, ex_min, ex_max = _best_per_pair(model, t, da[v], db[v], cds[v])
    hit = best < _NONE
    v, t, best, ex_min, ex_max = (x[hit] for x in (v, t, best, ex_min, ex_max))
    other = None if other is None else other[hit]
    best, hgvs_c, hgvs_p, is_exact = _exact_terms(model, v, t, best, other, (pos, ref, alt))
    g = model.gene_code[t]
    order = np.lexsort((t, ~model.mane[t], best, g, v))
    v, t, best, ex_min, ex_max, g, hgvs_c, hgvs_p, is_exact = (
        x[order] for x in (v, t, best, ex_min, ex_max, g, hgvs_c, hgvs_p, is_exact)
    )
    first = np.ones(len(v), bool)
    first[1:] = (v[1:] != v[:-1]) | (g[1:] != g[:-1])
    v, t, best, ex_min, ex_max, hgvs_c, hgvs_p, is_exact = (
        x[first] for x in (v, t, best, ex_min, ex_max, hgvs_c, hgvs_p, is_exact)
    )
    missing = np.setdiff1d(np.arange(len(pos)), v)  # near no gene: one intergenic row each
    n_inter = len(missing)
    order = np.argsort(np.concatenate([v, missing]), kind="stable")
    take = pa.array(np.concatenate([t, np.zeros(n_inter, np.int64)]))
    genic = pa.array(np.concatenate([np.ones(len(t), bool), np.zeros(n_inter, bool)]))
    null = pa.scalar(None, pa.string())
    ranks = pa.array(np.concatenate([best, np.full(n_inter, RANK["intergenic_variant"])]))
    source = np.where(is_exact, FASTA, GENE_MODELS)
    columns = {
        "variant_index": pa.array(np.concatenate([v, missing]), pa.int32()),
        "gene": pc.if_else(genic, model.gene.take(take), null),
        "gene_id": pc.if_else(genic, model.gene_id.take(take), null),
        "transcript_id": pc.if_else(genic, model.transcript_id.take(take), null),
        "consequence": TERMS.take(ranks),
        "impact": _IMPACTS.take(ranks),
        "exon": pa.concat_arrays(
            [_exon_labels(ex_min, ex_max, model.n_exons[t]), pa.nulls(n_inter, pa.string())]
        ),
        "hgvs_c": pa.array(np.concatenate([hgvs_c, np.full(n_inter, None)]), pa.string()),
        "hgvs_p": pa.array(np.concatenate([hgvs_p, np.full(n_inter, None)]), pa.string()),
        "consequence_source": pa.array(
            np.concatenate([source, np.full(n_inter, GENE_MODELS)]), pa.string()
        ),
    }
    return pa.table(columns, schema=OUTPUT).take(pa.array(order))


def annotate(
    model: GeneModel,
    chrom: pa.Array,
    pos: pa.Array | np.ndarray,
    ref: pa.Array,
    alt: pa.Array,
    chunk_size: int = 1_000_000,
) -> pa.Table:
    """Most severe consequence of each variant in each overlapping gene (or intergenic).

    Parameters
    ----------
    model
        Gene models from :meth:`GeneModel.from_tables`.
    chrom, pos, ref, alt
        The variants (``chr``-prefixed contigs, 1-based VCF positions and alleles).

    Returns
    -------
    pa.Table
        :data:`OUTPUT` rows: one per (variant, gene within 5 kb), sorted by ``variant_index``;
        one ``intergenic_variant`` row with null gene for a variant near no gene.
    """
    chrom_s = pc.cast(chrom, pa.string())
    pos_np = np.asarray(
        pos.to_numpy(zero_copy_only=False) if isinstance(pos, pa.Array) else pos, dtype=np.int64
    )
    parts = []
    for lo in range(0, max(len(pos_np), 1), chunk_size):  # bounded memory per chunk
        hi = min(lo + chunk_size, len(pos_np))
        part = _annotate_chunk(model, chrom_s[lo:hi], pos_np[lo:hi], ref[lo:hi], alt[lo:hi])
        index = pc.add(part["variant_index"], pa.scalar(lo, pa.int32()))
        parts.append(part.set_column(0, "variant_index", index))
    return pa.concat_tables(parts)


#: GeneModel fields saved as NumPy arrays, and those that are Arrow string arrays.
_ARRAY_FIELDS = ("tx_start", "tx_end", "tx_reach", "gene_code", "mane", "n_exons")
_STRING_FIELDS = ("chroms", "gene", "gene_id", "transcript_id")
_FAMILY_FIELDS = ("start", "end", "reach", "code", "exon")


def gene_model_arrays(model: GeneModel) -> dict[str, np.ndarray]:
    """``model`` (without its coding part) as named NumPy arrays, for :func:`np.savez`."""
    out = {name: getattr(model, name) for name in _ARRAY_FIELDS}
    for name in _STRING_FIELDS:  # Arrow's own buffers: rebuilt without a copy
        arr = pa.concat_arrays([getattr(model, name)])  # offset 0
        _, offsets, data = arr.buffers()
        out[f"{name}.offsets"] = np.frombuffer(offsets, np.int32)[: len(arr) + 1]
        out[f"{name}.data"] = np.frombuffer(data, np.uint8) if data else np.zeros(0, np.uint8)
        out[f"{name}.valid"] = pc.is_valid(arr).to_numpy(zero_copy_only=False)
    for i, fam in enumerate(model.families):
        out.update({f"family{i}.{f}": getattr(fam, f) for f in _FAMILY_FIELDS})
    return out


def gene_model_from_arrays(arrays: dict[str, np.ndarray]) -> GeneModel:
    """The inverse of :func:`gene_model_arrays`."""
    strings = {}
    for name in _STRING_FIELDS:
        offsets, valid = arrays[f"{name}.offsets"], arrays[f"{name}.valid"]
        strings[name] = pa.StringArray.from_buffers(
            len(offsets) - 1,
            pa.py_buffer(offsets),
            pa.py_buffer(arrays[f"{name}.data"]),
            pa.py_buffer(np.packbits(valid, bitorder="little")),
        )
    n_families = len({k.split(".")[0] for k in arrays if k.startswith("family")})
    families = tuple(
        _Family(*(arrays[f"family{i}.{f}"] for f in _FAMILY_FIELDS)) for i in range(n_families)
    )
    return GeneModel(
        chroms=strings["chroms"],
        tx_start=arrays["tx_start"],
        tx_end=arrays["tx_end"],
        tx_reach=arrays["tx_reach"],
        gene=strings["gene"],
        gene_id=strings["gene_id"],
        transcript_id=strings["transcript_id"],
        gene_code=arrays["gene_code"],
        mane=arrays["mane"],
        n_exons=arrays["n_exons"],
        families=families,
    )
