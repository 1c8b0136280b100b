"""Genotypes against modes of inheritance: the proband alone, or the proband's family (PED).

For every candidate row (a variant in a gene) this stage decides which modes of inheritance
the genotypes allow (autosomal dominant, recessive homozygous or compound heterozygous,
X-linked recessive/dominant, mitochondrial, de novo), judges them against the gene's modes
from HPO, and gives a label (a ranker feature and a transparent score factor) and words
(the ``inheritance`` output column: the mode, the partner variant, the de novo flag, or why
the family rejects the variant).

Conventions: relatives' genotypes come as ``rel_*`` columns (:mod:`varprio.io.vcf_text`) with
-1 for a missing value; a no-call, or a call with GQ < :data:`MIN_GQ`, is unknown, never
hom-ref; unknown genotypes never reject a mode.  Penetrance is taken as complete: an
unaffected relative carrying a dominant variant, or homozygous for a recessive one, rejects
that mode.

Compound heterozygotes are found per gene in time linear in the number of qualifying
heterozygous variants: the variants are grouped by a small key (parental origin, phase,
carriage in each other relative), two variants can be in trans only if their keys allow it,
and each variant takes the strongest variant of the best compatible key as its partner
(never n^2 pairs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from varprio.cohort import variant_key
from varprio.io.ped import STATUS, Family

#: Plain words for the mode-of-inheritance codes of ``hpo_diseases.inheritance_modes``.
MODE_NAMES = {
    "AD": "autosomal dominant",
    "AR": "autosomal recessive",
    "XL": "X-linked",
    "XLR": "X-linked recessive",
    "XLD": "X-linked dominant",
    "MT": "mitochondrial",
}

#: Factor applied to a variant's score for each genotype-fit label; 1.0 = fully compatible.
FIT_FACTOR = {
    "compatible": 1.0,
    "unknown_mode": 0.9,
    "possible_compound_het": 0.9,
    "het_in_recessive_gene": 0.35,
    "hom_in_dominant_gene": 0.8,
    "het_female_x_recessive": 0.5,
    "compound_het": 1.0,  # two variants in trans, by phase or by the parents' genotypes
    "de_novo": 1.0,  # absent from both parents, in a gene with a dominant (or unknown) mode
    "segregation_conflict": 0.15,  # the family's genotypes rule out every mode of inheritance
}

LABELS = tuple(FIT_FACTOR)
_CODE = {name: i for i, name in enumerate(LABELS)}
MIN_GQ = 20  # a relative's call below this GQ is unknown
MIN_DE_NOVO_DP = 10  # both parents hom-ref with at least this depth for a confident de novo
DE_NOVO_AB = (0.2, 0.8)  # allele balance of a confident de novo in the proband
#: GRCh38 pseudo-autosomal regions of chrX (inherited like autosomes).
PAR_X = ((10_001, 2_781_479), (155_701_383, 156_030_895))
_PARENTS = ("father", "mother")
_ORIGINS = ("paternal", "maternal", "both parents", "neither parent", "unknown")


@dataclass
class Assessment:
    """Per row: the fit label, its factor, the words, the partner variant and de novo flag."""

    label: np.ndarray
    factor: np.ndarray
    words: np.ndarray  # str
    partner: np.ndarray  # str or None
    de_novo: np.ndarray  # "high" or "low" confidence; None: not de novo (or no parents)


def _has(modes: pa.ChunkedArray | pa.Array, code: str) -> np.ndarray:
    return pc.fill_null(pc.match_substring(modes, code), False).to_numpy(zero_copy_only=False)


def _np(table: pa.Table, name: str, fill: float | int | bool) -> np.ndarray:
    return pc.fill_null(table[name], fill).to_numpy(zero_copy_only=False)


def non_par_x(chrom: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Rows on chrX outside the pseudo-autosomal regions."""
    par = np.zeros(len(pos), bool)
    for lo, hi in PAR_X:
        par |= (pos >= lo) & (pos <= hi)
    return (chrom == "chrX") & ~par


def _variant_ids(table: pa.Table) -> np.ndarray:
    return variant_key(table).to_numpy(zero_copy_only=False)


class _Genotypes:
    """The proband's and relatives' genotypes of a case table, as numpy arrays."""

    def __init__(self, table: pa.Table, sex: str | None, family: Family | None) -> None:
        self.n = table.num_rows
        self.alt = _np(table, "alt_count", -1).astype(np.int16)
        self.ploidy = _np(table, "ploidy", 2)
        chrom = table["chrom"].to_numpy()
        self.on_x = non_par_x(chrom, _np(table, "pos", 0))
        self.on_mt = chrom == "chrM"
        self.male = sex == "MALE"
        self.family = family
        # relatives' genotypes (rows x relatives; -1 unknown), none without the rel_* columns
        with_rel = family is not None and "rel_alt_count" in table.column_names
        self.relatives = family.relatives if family is not None and with_rel else ()
        self.k = len(self.relatives)
        empty = np.full((self.n, 0), -1, np.int32)
        self.rel = self._matrix(table, "rel_alt_count").astype(np.int16) if self.k else empty
        self.rel_dp = self._matrix(table, "rel_dp") if self.k else empty
        self.rel_ad_alt = self._matrix(table, "rel_ad_alt") if self.k else empty
        if self.k:
            low = self._matrix(table, "rel_gq")
            self.rel[(low >= 0) & (low < MIN_GQ)] = -1

    def _matrix(self, table: pa.Table, name: str) -> np.ndarray:
        flat = pc.list_flatten(table[name]).to_numpy(zero_copy_only=False)
        return flat.reshape(self.n, -1)

    @property
    def carried(self) -> np.ndarray:
        """The proband carries the ALT (one copy on a male's X counts: hemizygous)."""
        return self.alt >= 1

    @property
    def het(self) -> np.ndarray:
        """Heterozygous in a diploid call (a male's non-PAR X is hemizygous, not het)."""
        return (self.alt == 1) & (self.ploidy == 2) & ~(self.on_x & self.male)


@dataclass
class _Rule:
    """Rows one mode allows, and for rejected rows which relative rejects it (-1: none)."""

    ok: np.ndarray
    first: np.ndarray  # index into ``reasons``
    reasons: list[str]  # one per relative: "unaffected father dad carries it"


def _family_rules(g: _Genotypes) -> dict[str, _Rule]:
    """Per mode: rows the relatives allow, and the first relative that rejects the others."""
    out: dict[str, _Rule] = {}
    rel = g.rel
    for mode in ("AD", "AR", "XLR", "XLD"):
        ok = np.ones(g.n, bool)
        first = np.full(g.n, -1, np.int16)
        reasons = []
        for j, r in enumerate(g.relatives):
            x = rel[:, j]
            male = r.sex == "MALE"
            carries, hom = x >= 1, x == 2
            if mode in ("AD", "XLD"):
                bad = carries if r.affected is False else (x == 0) & (r.affected is True)
                text = "carries it" if r.affected is False else "does not carry it"
            elif mode == "AR":
                if r.affected is True:
                    bad, text = (x >= 0) & ~hom, "is not homozygous"
                elif r.role in _PARENTS:  # a parent of a homozygous child carries it
                    bad, text = (x == 0) | (hom & (r.affected is False)), "is not a het carrier"
                else:
                    bad, text = hom & (r.affected is False), "is homozygous"
            else:  # XLR: males hemizygous, females homozygous
                need = carries if male else hom
                if r.affected is True:
                    bad = (x >= 0) & ~need
                    text = "does not carry it" if male else "is not homozygous"
                else:
                    bad = need & (r.affected is False)
                    text = "carries it" if male else "is homozygous"
            if mode in ("XLR", "XLD"):
                bad &= g.on_x
            first[bad & ok] = j
            reasons.append(f"{STATUS[r.affected]} {r.role} {r.id} {text}")
            ok &= ~bad
        out[mode] = _Rule(ok, first, reasons)
    return out


def _de_novo(g: _Genotypes, table: pa.Table) -> np.ndarray:
    """'high'/'low' confidence de novo calls (None: not de novo, or parents not genotyped)."""
    fam = g.family
    flags = np.full(g.n, None, dtype=object)
    if fam is None or g.k == 0:
        return flags
    fi, mi = fam.index("father"), fam.index("mother")
    if fi is None or mi is None:
        return flags
    on_x_male = g.on_x & g.male  # a son's X comes from his mother only
    ref = np.ones(g.n, bool)
    deep = np.ones(g.n, bool)
    for p, ignore in ((fi, on_x_male), (mi, np.zeros(g.n, bool))):
        ref &= (g.rel[:, p] == 0) | ignore
        deep &= ((g.rel_dp[:, p] >= MIN_DE_NOVO_DP) & (g.rel_ad_alt[:, p] <= 0)) | ignore
    call = (g.alt == 1) | (on_x_male & (g.alt >= 1))
    ad_ref, ad_alt = _np(table, "ad_ref", -1), _np(table, "ad_alt", -1)
    depth = ad_ref + ad_alt
    with np.errstate(invalid="ignore", divide="ignore"):
        ab = np.where((ad_ref >= 0) & (depth > 0), ad_alt / np.maximum(depth, 1), 0.5)
    balanced = ((ab >= DE_NOVO_AB[0]) & (ab <= DE_NOVO_AB[1])) | (on_x_male & (ab > DE_NOVO_AB[0]))
    gq = _np(table, "gq", -1)
    confident = deep & balanced & (gq >= MIN_GQ)
    flags[call & ref] = np.where(confident, "high", "low")[call & ref]
    return flags


def _origin(g: _Genotypes) -> np.ndarray:
    """Index into :data:`_ORIGINS` of each row's parental origin."""
    out = np.full(g.n, 4, np.int8)
    fam = g.family
    if fam is None or g.k == 0:
        return out
    fi, mi = fam.index("father"), fam.index("mother")
    if fi is None or mi is None:
        return out
    f, m = g.rel[:, fi], g.rel[:, mi]
    known = (f >= 0) & (m >= 0)
    out[known & (f >= 1) & (m == 0)] = 0
    out[known & (f == 0) & (m >= 1)] = 1
    out[known & (f >= 1) & (m >= 1)] = 2
    out[known & (f == 0) & (m == 0)] = 3
    return out


@dataclass(frozen=True)
class _Key:
    origin: int
    phase: tuple[int, int] | None  # (phase set, haplotype of the ALT)
    others: tuple[int, ...]  # carriage in each non-parent relative: 1, 0 or -1 unknown


def _key_codes(g: _Genotypes, table: pa.Table, rows: np.ndarray) -> tuple[np.ndarray, list[_Key]]:
    """Each candidate row's key (code into the list of distinct keys)."""
    origin = _origin(g)[rows]
    gt = pc.fill_null(table["gt"], "").take(pa.array(rows)).combine_chunks()
    phased = _np(table, "phased", False)[rows] & pc.match_substring(gt, "|").to_numpy(
        zero_copy_only=False
    )
    first = pc.utf8_slice_codeunits(gt, 0, 1)
    alt_first = ~pc.is_in(first, value_set=pa.array(["0", "."])).to_numpy(zero_copy_only=False)
    ps = _np(table, "phase_set", 0)[rows]
    others = [j for j, r in enumerate(g.relatives) if r.role not in _PARENTS]
    carried = np.where(g.rel[rows] >= 0, np.minimum(g.rel[rows], 1), -1)[:, others]
    matrix = np.column_stack([
        origin, phased, np.where(phased, ps, 0), np.where(phased & ~alt_first, 1, 0), carried,
    ]).astype(np.int64)  # fmt: skip
    uniq, code = _unique_rows(matrix)
    keys = [
        _Key(int(u[0]), (int(u[2]), int(u[3])) if u[1] else None, tuple(int(x) for x in u[4:]))
        for u in uniq
    ]
    return code.reshape(-1), keys


def _unique_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(matrix, axis=0, return_inverse=True)``, several times faster: the columns'
    value codes combined into one integer per row (lexicographic order kept)."""
    combined = np.zeros(len(matrix), np.int64)
    span = 1
    for j in range(matrix.shape[1]):
        values, inverse = np.unique(matrix[:, j], return_inverse=True)
        span *= max(len(values), 1)
        if span >= 2**62:  # too many combinations for one integer
            uniq, code = np.unique(matrix, axis=0, return_inverse=True)
            return uniq, code.reshape(-1)
        combined = combined * len(values) + inverse.reshape(-1)
    _, first, code = np.unique(combined, return_index=True, return_inverse=True)
    return matrix[first], code.reshape(-1)


def _pair(a: _Key, b: _Key, affected: tuple[bool | None, ...]) -> tuple[bool, bool, str]:
    """(can be in trans, confirmed in trans, why not) of two heterozygous variants."""
    if a.origin == b.origin and a.origin in (0, 1):
        return False, False, f"both {_ORIGINS[a.origin]} (in cis)"
    if a.phase and b.phase and a.phase[0] == b.phase[0] and a.phase[1] == b.phase[1]:
        return False, False, "on the same haplotype (phased, in cis)"
    for ca, cb, aff in zip(a.others, b.others, affected, strict=True):
        if aff is False and ca == 1 and cb == 1:
            return False, False, "an unaffected relative carries both"
        if aff is True and (ca == 0 or cb == 0):
            return False, False, "an affected relative lacks one of them"
    confirmed = {a.origin, b.origin} == {0, 1} or bool(
        a.phase and b.phase and a.phase[0] == b.phase[0] and a.phase[1] != b.phase[1]
    )
    return True, confirmed, ""


def _partners(
    g: _Genotypes, table: pa.Table, candidate: np.ndarray, strength: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: best compound-het partner (variant ID or None), whether it is confirmed in
    trans, and why no partner is possible (other candidates in the gene, all excluded).

    Vectorised over rows: for each distinct key, the two strongest rows of every
    (gene, key) group are all a partner search needs.
    """
    partner = np.full(g.n, None, dtype=object)
    confirmed = np.zeros(g.n, bool)
    why = np.full(g.n, None, dtype=object)
    rows = np.flatnonzero(candidate)
    m = rows.size
    if m < 2:
        return partner, confirmed, why
    genes = pc.fill_null(table["gene"], "").take(pa.array(rows)).combine_chunks()
    gcode = pc.dictionary_encode(genes).indices.to_numpy(zero_copy_only=False).astype(np.int64)
    kcode, keys = _key_codes(g, table, rows)
    n_keys = len(keys)
    affected = tuple(r.affected for r in g.relatives if r.role not in _PARENTS)
    pairs = [[_pair(a, b, affected) for b in keys] for a in keys]
    ok = np.array([[p[0] for p in row] for row in pairs], bool)
    sure = np.array([[p[1] for p in row] for row in pairs], bool)
    s = strength[rows]
    local = np.arange(m)
    order = np.lexsort((local, -s, kcode, gcode))
    group = (gcode * n_keys + kcode)[order]
    first = np.r_[True, group[1:] != group[:-1]]
    second = np.r_[False, first[:-1]] & ~first
    size = (int(gcode.max()) + 1) * n_keys
    top1, top2 = np.full(size, -1), np.full(size, -1)
    top1[group[first]], top2[group[second]] = order[first], order[second]
    best, best_s, best_sure = np.full(m, -1), np.full(m, -np.inf), np.zeros(m, bool)
    for k in range(n_keys):
        at = gcode * n_keys + k
        j = np.where(top1[at] == local, top2[at], top1[at])
        valid = ok[kcode, k] & (j >= 0)
        cs = np.where(valid, s[np.maximum(j, 0)], -np.inf)
        ks = sure[kcode, k]
        tie = cs == best_s
        better = valid & (
            (cs > best_s) | (tie & ks & ~best_sure) | (tie & (ks == best_sure) & (j < best))
        )
        best = np.where(better, j, best)
        best_s = np.where(better, cs, best_s)
        best_sure = np.where(better, ks, best_sure)
    found = best >= 0
    if found.any():
        partner[rows[found]] = _variant_ids(table.take(pa.array(rows[best[found]])))
        confirmed[rows[found]] = best_sure[found]
    others_in_gene = np.bincount(gcode, minlength=1)[gcode] > 1
    for i in np.flatnonzero(~found & others_in_gene):  # rare: explain why no partner
        present = [k for k in range(n_keys) if top1[gcode[i] * n_keys + k] not in (-1, i)
                   or top2[gcode[i] * n_keys + k] >= 0]  # fmt: skip
        why[rows[i]] = next((pairs[kcode[i]][k][2] for k in present if not ok[kcode[i], k]), None)
    return partner, confirmed, why


def _fitting(fits: dict[str, np.ndarray], allowed: dict[str, np.ndarray]) -> np.ndarray:
    """Rows where some mode both fits the genotypes and is one of the gene's."""
    return np.logical_or.reduce([fit & allowed[mode] for mode, fit in fits.items()])


def assess(
    table: pa.Table,
    qualifying: np.ndarray,
    strength: np.ndarray,
    sex: str | None,
    family: Family | None = None,
) -> Assessment:
    """Judge every row's genotypes against the gene's modes (``gene_modes``, ``;``-joined
    codes) and, with a family, against the relatives' genotypes.

    ``qualifying`` rows (plausible consequence and frequency) can be compound-het partners;
    ``strength`` orders partners (the transparent variant evidence).
    """
    g = _Genotypes(table, sex, family)
    modes = table["gene_modes"]
    ad, ar, xl = _has(modes, "AD"), _has(modes, "AR"), _has(modes, "XL")
    xld = _has(modes, "XLD") | (xl & ~_has(modes, "XLR"))
    xlr = xl & ~_has(modes, "XLD") | _has(modes, "XLR")
    mt = _has(modes, "MT")
    known = ad | ar | xl | mt
    hom = g.alt >= 2
    female = sex == "FEMALE"

    rules = _family_rules(g)
    de_novo = _de_novo(g, table)
    is_dn = de_novo != None  # noqa: E711  (object array: elementwise)
    cand = qualifying & g.het
    partner, confirmed, cis_why = _partners(g, table, cand, strength)
    has_partner = partner != None  # noqa: E711  (object array: elementwise)

    # proband genotype x family, per mode (a de novo variant passes the parents' checks of
    # the dominant modes by itself: unaffected parents without it)
    fits = {
        "AD": g.carried & ~g.on_mt & rules["AD"].ok,
        "AR": hom & ~g.on_x & rules["AR"].ok,
        "ARch": g.het & has_partner & ~g.on_x,
        "XLR": g.on_x & (g.carried if g.male else hom) & rules["XLR"].ok,
        "XLD": g.on_x & g.carried & rules["XLD"].ok,
        "MT": g.on_mt & g.carried,
    }
    if female:
        fits["ARch"] = fits["ARch"] | (g.het & has_partner & g.on_x)
    allowed = {
        "AD": ad | ~known,
        "AR": ar | ~known,
        "ARch": ar | (xlr & female) | ~known,
        "XLR": xlr | ~known,
        "XLD": xld | ~known,
        "MT": mt | ~known,
    }
    fits_gene = _fitting(fits, allowed)
    alone = {  # the proband's genotype alone, as a singleton would be judged
        "AD": g.carried & ~g.on_mt,
        "AR": hom & ~g.on_x,
        "XLR": g.on_x & (g.carried if g.male else hom),
        "XLD": g.on_x & g.carried,
    }
    fits_alone = _fitting(alone, allowed)

    label = np.full(g.n, _CODE["compatible"], dtype=np.int8)
    het_rec = ~hom & ar & ~ad & ~(xl & g.on_x)
    label[~known] = _CODE["unknown_mode"]
    label[het_rec & has_partner] = _CODE["possible_compound_het"]
    label[het_rec & ~has_partner] = _CODE["het_in_recessive_gene"]
    label[hom & ad & ~ar & ~xl] = _CODE["hom_in_dominant_gene"]
    if female:
        carrier = g.on_x & ~hom & xlr & ~xld & ~ad & ~ar & ~has_partner
        label[carrier] = _CODE["het_female_x_recessive"]
    label[(het_rec | (female & g.on_x & xlr)) & has_partner & confirmed] = _CODE["compound_het"]
    if family is not None and g.k:
        label[is_dn & (ad | xld | ~known) & fits_gene] = _CODE["de_novo"]
        # a conflict only when no Mendelian mode at all fits (HPO's modes are incomplete: a
        # homozygote of carrier parents in a gene known only as dominant keeps its label)
        fits_any = np.logical_or.reduce(list(fits.values()))
        label[fits_alone & ~fits_any] = _CODE["segregation_conflict"]
    factor = np.array(list(FIT_FACTOR.values()), np.float64)[label]

    words = _words(g, label, fits, allowed, rules, de_novo, partner, confirmed, cis_why)
    return Assessment(np.array(LABELS, dtype=object)[label], factor, words, partner, de_novo)


_MODE_WORDS = {
    "AD": "autosomal dominant",
    "AR": "autosomal recessive (homozygous)",
    "ARch": "autosomal recessive (compound heterozygous)",
    "XLR": "X-linked recessive",
    "XLD": "X-linked dominant",
    "MT": "mitochondrial",
}


def _words(
    g: _Genotypes,
    label: np.ndarray,
    fits: dict[str, np.ndarray],
    allowed: dict[str, np.ndarray],
    rules: dict[str, _Rule],
    de_novo: np.ndarray,
    partner: np.ndarray,
    confirmed: np.ndarray,
    cis_why: np.ndarray,
) -> np.ndarray:
    """The ``inheritance`` column: fitting modes, partner, de novo flag, or rejections.

    Most rows only say which modes fit (or their label): those words are built once per
    distinct combination; rows with a partner, a de novo call or a conflict are spelt out.
    """
    modes = list(fits)
    mask = np.zeros(g.n, np.int64)
    for bit, m in enumerate(modes):
        mask |= (fits[m] & allowed[m]).astype(np.int64) << bit
    n_labels = len(LABELS)
    combo = mask * n_labels + label
    table = np.full((1 << len(modes)) * n_labels, None, dtype=object)
    for c in np.flatnonzero(np.bincount(combo, minlength=len(table))):
        fit = [_MODE_WORDS[m] for bit, m in enumerate(modes) if (c // n_labels) >> bit & 1]
        table[c] = "fits " + ", ".join(fit) if fit else LABELS[c % n_labels].replace("_", " ")
    out = table[combo]
    special = (
        (de_novo != None)  # noqa: E711  (object arrays: elementwise)
        | (partner != None)  # noqa: E711
        | (cis_why != None)  # noqa: E711
    )
    conflict = label == _CODE["segregation_conflict"]
    rows = np.flatnonzero(special | conflict)
    if rows.size:
        fit_words = np.array([None] + [
            "fits " + ", ".join(_MODE_WORDS[m] for bit, m in enumerate(modes) if c >> bit & 1)
            for c in range(1, 1 << len(modes))
        ], dtype=object)  # fmt: skip
        out[rows] = _spelt_out(
            rows, fit_words[mask[rows]], label, de_novo, partner, confirmed, cis_why,
            _rejections(rows, conflict, rules, allowed),
        )  # fmt: skip
    return out


def _rejections(
    rows: np.ndarray, conflict: np.ndarray, rules: dict[str, _Rule], allowed: dict[str, np.ndarray]
) -> pa.Array:
    """Per row of ``rows``: "segregation conflict (AD rejected: <relative>; ...)" for the
    conflicts (each of the gene's modes with the relative that rejects it), else null."""
    null = pa.scalar(None, pa.string())
    if not conflict[rows].any():
        return pa.nulls(len(rows), pa.string())
    # a first part that is never null: pyarrow 26 drops the rows whose parts are all null
    # from binary_join_element_wise(..., null_handling="skip")
    rejected = [pa.array(np.full(len(rows), "segregation conflict", object), pa.string())]
    for mode, rule in rules.items():
        first = rule.first[rows]
        says = (first >= 0) & allowed[mode][rows]
        reasons = pa.array([f"{mode} rejected: {r}" for r in rule.reasons] + [""], pa.string())
        pick = np.where(says, first, len(rule.reasons))  # the "" entry where nobody rejects
        rejected.append(pc.if_else(pa.array(says), reasons.take(pa.array(pick)), null))
    joined = pc.binary_join_element_wise(*rejected, "; ", null_handling="skip")
    text = pc.replace_substring_regex(
        joined, r"^segregation conflict; (.*)$", r"segregation conflict (\1)"
    )
    return pc.if_else(pa.array(conflict[rows]), text, null)


_LABEL_WORDS = np.array([label.replace("_", " ") for label in LABELS], dtype=object)


def _spelt_out(
    rows: np.ndarray,
    fit_words: np.ndarray,
    label: np.ndarray,
    de_novo: np.ndarray,
    partner: np.ndarray,
    confirmed: np.ndarray,
    cis_why: np.ndarray,
    rejections: pa.Array,
) -> np.ndarray:
    """Words of rows with a de novo call, a partner, a reason for none or a segregation
    conflict: de novo; fitting modes; partner (or why none); then the conflict and its
    rejections, or else the label when no mode fits."""

    def text(values: np.ndarray) -> pa.Array:
        arr = pa.array(values, pa.string())
        return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)

    short = pc.replace_substring_regex(
        text(partner[rows]), r"^([^:]*):([^:]*):([^:]*):(.*)$", r"\1:\2 \3>\4"
    )
    how = np.where(confirmed[rows], "in trans", "phase unknown")
    parts = [
        pc.binary_join_element_wise("de novo (", text(de_novo[rows]), " confidence)", ""),
        text(fit_words),
        pc.coalesce(
            pc.binary_join_element_wise("partner ", short, " (", pa.array(how), ")", ""),
            pc.binary_join_element_wise("no partner in trans: ", text(cis_why[rows]), ""),
        ),
        pc.coalesce(
            rejections,
            pc.if_else(
                pa.array(fit_words == None),  # noqa: E711
                pa.array(_LABEL_WORDS[label[rows]], pa.string()),
                pa.scalar(None, pa.string()),
            ),
        ),
    ]
    # every row has a fits or a label part, so no row's parts are all null (pyarrow 26 drops
    # such rows from a skip-nulls join)
    joined = pc.binary_join_element_wise(*parts, "; ", null_handling="skip")
    return np.array(joined.to_pylist(), dtype=object)


# ----- proband sex against the X chromosome -----


@dataclass
class XCalls:
    """Counts of the proband's heterozygous and homozygous-ALT calls on non-PAR chrX."""

    het: int = 0
    hom: int = 0

    def add(self, batch: pa.RecordBatch | pa.Table) -> None:
        """Count one batch of reader rows."""
        chrom = batch["chrom"].to_numpy(zero_copy_only=False)
        x = non_par_x(chrom, pc.fill_null(batch["pos"], 0).to_numpy(zero_copy_only=False))
        if not x.any():
            return
        alt = pc.fill_null(batch["alt_count"], -1).to_numpy(zero_copy_only=False)[x]
        ploidy = pc.fill_null(batch["ploidy"], 2).to_numpy(zero_copy_only=False)[x]
        self.het += int(((alt == 1) & (ploidy == 2)).sum())
        self.hom += int(((alt == 2) | ((alt == 1) & (ploidy == 1))).sum())

    def disagreement(self, sex: str | None, min_calls: int = 20) -> str | None:
        """A warning when the X calls contradict the given sex (None when they agree)."""
        n = self.het + self.hom
        if sex is None or n < min_calls:
            return None
        frac = self.het / n
        if sex == "MALE" and frac > 0.3:
            return f"{frac:.0%} of {n} non-PAR chrX calls are heterozygous: looks female"
        if sex == "FEMALE" and frac < 0.05:
            return f"{frac:.0%} of {n} non-PAR chrX calls are heterozygous: looks male"
        return None
