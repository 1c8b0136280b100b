"""Exact coding consequences and HGVS ``c.``/``p.`` strings from stored CDS sequences.

The sequences come from ``gene_models/cds_sequences`` (``varprio.kb.sources.fasta``): per coding
transcript its spliced CDS (stop codon included) in transcript orientation, with a few spliced
bases of 5' UTR before it and of 3' UTR after it.  SNVs (the bulk) are translated with numpy
codon lookups; indels and MNVs go through a short Python loop.

Conventions (HGVS): positions are in transcript orientation, ``c.-N`` in the 5' UTR, ``c.*N``
in the 3' UTR, ``c.N+k``/``c.N-k`` in introns (nearest exon; the middle base of an odd intron
gets ``+``).  Indels are shifted 3' within the stored spliced sequence (not across its ends or
into introns); an insertion that repeats the bases before it is a ``dup``.  A variant whose REF
disagrees with the stored sequence, or that leaves it, gets no exact term (the coarse one stays).
Mitochondrial transcripts (``chrM``) are translated with the vertebrate mitochondrial code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

#: Codon tables, bases in the order T, C, A, G (index = 16 * b1 + 4 * b2 + b3).
STANDARD = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"
MITO = "FFLLSSSSYY**CCWWLLLLPPPPHHQQRRRRIIMMTTTTNNKKSS**VVVVAAAADDEEGGGG"
THREE = {
    "A": "Ala", "R": "Arg", "N": "Asn", "D": "Asp", "C": "Cys", "Q": "Gln", "E": "Glu",
    "G": "Gly", "H": "His", "I": "Ile", "L": "Leu", "K": "Lys", "M": "Met", "F": "Phe",
    "P": "Pro", "S": "Ser", "T": "Thr", "W": "Trp", "Y": "Tyr", "V": "Val", "*": "Ter",
    "X": "Xaa",
}  # fmt: skip
_CODE = np.full(256, 4, np.int64)
for _i, _b in enumerate("TCAG"):
    _CODE[ord(_b)] = _i
_COMP = str.maketrans("ACGTNacgtn", "TGCANtgcan")
_PAIR = {"A": "T", "C": "G", "G": "C", "T": "A"}
_AA = np.array([*STANDARD, *MITO, "X"], dtype="<U1")
_SHIFT = np.int64(2**31)


def revcomp(seq: str) -> str:
    """Reverse complement of a DNA string."""
    return seq.translate(_COMP)[::-1]


def translate(seq: str, mito: bool = False) -> str:
    """Protein of ``seq`` read from its first base, up to and including the first stop."""
    table = MITO if mito else STANDARD
    out = []
    for i in range(0, len(seq) - 2, 3):
        b = _CODE[np.frombuffer(seq[i : i + 3].encode(), np.uint8)]
        aa = "X" if (b > 3).any() else table[int(16 * b[0] + 4 * b[1] + b[2])]
        out.append(aa)
        if aa == "*":
            break
    return "".join(out)


def _three(protein: str) -> str:
    return "".join(THREE[a] for a in protein)


@dataclass(frozen=True)
class CodingModel:
    """Exon layout (transcript positions) and stored sequences of a gene model's transcripts."""

    plus: np.ndarray  # per transcript
    c1: np.ndarray  # transcript position (1-based) of c.1; 0 without sequence
    cend: np.ndarray  # transcript position of the CDS's last base
    buf: np.ndarray  # all sequences concatenated (uint8)
    seq_start: np.ndarray  # offset of each transcript's c.1 in ``buf``
    seqs: np.ndarray  # object: upstream + CDS + downstream, "" without sequence
    cds_off: np.ndarray  # index of c.1 in ``seqs``
    mito: np.ndarray
    ex_key: np.ndarray  # exons: transcript * 2**31 + start, sorted
    ex_end: np.ndarray
    ex_t: np.ndarray
    ex_tx: np.ndarray  # transcript position of the exon's first base (transcript orientation)

    @classmethod
    def build(
        cls,
        ex: dict[str, np.ndarray],
        plus: np.ndarray,
        cds: tuple[np.ndarray, np.ndarray],
        tx: tuple[np.ndarray, np.ndarray],
        sequences: pa.Table,
    ) -> CodingModel:
        """From sorted exon arrays (``t``, ``s``, ``e``), strands, CDS bounds, (transcript IDs,
        contigs) in gene-model order and a ``cds_sequences`` table."""
        t, s, e = ex["t"], ex["s"], ex["e"]
        length = e - s + 1
        cum = np.cumsum(length) - length
        first = np.r_[True, t[1:] != t[:-1]] if len(t) else np.zeros(0, bool)
        base = np.maximum.accumulate(np.where(first, cum, 0)) if len(t) else cum
        cum_g = cum - base
        total = np.bincount(t, weights=length, minlength=len(plus)).astype(np.int64)
        ex_tx = np.where(plus[t], cum_g + 1, total[t] - cum_g - length + 1)
        key = t * _SHIFT + s
        seq_df = sequences.to_pandas().set_index("transcript_id")
        found = seq_df.reindex(pd.Index(tx[0]))
        up = found["upstream"].fillna("").to_numpy(object)
        seqs = (up + found["sequence"].fillna("") + found["downstream"].fillna("")).to_numpy(object)
        offsets = np.cumsum([0, *(len(x) for x in seqs)])[:-1]
        buf = np.frombuffer("".join(seqs).encode() or b"\0", np.uint8)
        lens = np.array([len(x) for x in found["sequence"].fillna("")], np.int64)
        partial = cls(plus, np.zeros(len(plus), np.int64), np.zeros(len(plus), np.int64),
                      buf, offsets, seqs, np.array([len(x) for x in up], np.int64),
                      tx[1] == "chrM", key, e, t, ex_tx)  # fmt: skip
        c1 = partial.tpos(np.arange(len(plus)), np.where(plus, cds[0], cds[1]))[1]
        c1 = np.where((lens > 0) & (c1 > 0), c1, 0)
        return cls(plus, c1, c1 + lens - 1, buf, offsets + partial.cds_off, seqs,
                   partial.cds_off, partial.mito, key, e, t, ex_tx)  # fmt: skip

    def tpos(self, t: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exon index (genomic order, start <= g) and transcript position (0 outside exons)."""
        i = np.searchsorted(self.ex_key, t * _SHIFT + g, "right") - 1
        ok = (i >= 0) & (self.ex_t[np.maximum(i, 0)] == t)
        i = np.where(ok, i, 0)
        start = self.ex_key[i] - self.ex_t[i] * _SHIFT
        inside = ok & (g <= self.ex_end[i]) & (len(self.ex_key) > 0)
        off = np.where(self.plus[t], g - start, self.ex_end[i] - g)
        return np.where(ok, i, -1), np.where(inside, self.ex_tx[i] + off, 0)

    def labels(self, t: np.ndarray, g: np.ndarray) -> np.ndarray:
        """HGVS ``c.`` position of genomic base ``g`` on transcript ``t`` (None outside)."""
        i, tp = self.tpos(t, g)
        n = len(self.ex_key)
        j = np.minimum(i + 1, max(n - 1, 0))
        intron = (i >= 0) & (tp == 0) & (i + 1 < n) & (self.ex_t[j] == t)
        left_end, right_start = self.ex_end[np.maximum(i, 0)], self.ex_key[j] - t * _SHIFT
        dl, dr = g - left_end, right_start - g
        fwd = self.plus[t]
        left_tp = self.tpos(t, left_end)[1]
        right_tp = self.tpos(t, right_start)[1]
        prev_tp, prev_d = np.where(fwd, left_tp, right_tp), np.where(fwd, dl, dr)
        next_tp, next_d = np.where(fwd, right_tp, left_tp), np.where(fwd, dr, dl)
        use_prev = prev_d <= next_d
        anchor = np.where(tp > 0, tp, np.where(use_prev, prev_tp, next_tp))
        off = np.where(tp > 0, 0, np.where(use_prev, prev_d, -next_d))
        out = pd.Series(self.base_labels(t, anchor), dtype=object)
        sign = np.where(off > 0, "+", "")
        out = out + np.where(off != 0, sign + pd.Series(off).astype(str), "")
        return out.where((tp > 0) | intron, None).to_numpy(object)

    def base_labels(self, t: np.ndarray, tp: np.ndarray) -> np.ndarray:
        """``c.`` number of transcript position ``tp`` (``-N``, ``N``, ``*N``)."""
        c1, cend = self.c1[t], self.cend[t]
        num = np.where(tp < c1, c1 - tp, np.where(tp > cend, tp - cend, tp - c1 + 1))
        pre = np.where(tp < c1, "-", np.where(tp > cend, "*", ""))
        return (pd.Series(pre, dtype=object) + pd.Series(num).astype(str)).to_numpy(object)

    def seq_labels(self, t: int, idx: list[int]) -> list[str]:
        """``c.`` numbers of indices into transcript ``t``'s stored sequence."""
        tp = np.asarray(idx, np.int64) - self.cds_off[t] + self.c1[t]
        return list(self.base_labels(np.full(len(tp), t), tp))

    def seq_index(self, t: int, g: int) -> int:
        """Index of genomic base ``g`` in transcript ``t``'s stored sequence (-1: not stored)."""
        tp = int(self.tpos(np.array([t]), np.array([g]))[1][0])
        i = tp - int(self.c1[t]) + int(self.cds_off[t])
        return i if tp > 0 and 0 <= i < len(self.seqs[t]) else -1


def exact(
    model: CodingModel, t: np.ndarray, pos: np.ndarray, ref: np.ndarray, alt: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact SO term, ``c.`` and ``p.`` description of each (variant, transcript) pair.

    Parameters
    ----------
    model
        Layout and sequences of the transcripts.
    t, pos, ref, alt
        Transcript index, 1-based position and VCF alleles of each pair.

    Returns
    -------
    tuple of np.ndarray
        Object arrays: the term (None: no exact coding term, keep the gene-model one), the
        ``c.`` description (without transcript ID) and the ``p.`` description (None: none).
    """
    n = len(t)
    term, hgvs_c, hgvs_p = (np.full(n, None, object) for _ in range(3))
    ref = np.char.upper(np.asarray(ref, str))
    alt = np.char.upper(np.asarray(alt, str))
    has = model.c1[t] > 0
    snv = has & (np.char.str_len(ref) == 1) & (np.char.str_len(alt) == 1) & (ref != alt)
    snv &= np.isin(ref, list("ACGT")) & np.isin(alt, list("ACGT"))
    idx = np.flatnonzero(snv)
    if len(idx):
        term[idx], hgvs_c[idx], hgvs_p[idx], redo = _snvs(
            model, t[idx], pos[idx], ref[idx], alt[idx]
        )
        has &= ~snv
        has[idx[redo]] = True
    for i in np.flatnonzero(has):  # indels, MNVs and stop-codon SNVs: few
        term[i], hgvs_c[i], hgvs_p[i] = _one(model, int(t[i]), int(pos[i]), ref[i], alt[i])
    return term, hgvs_c, hgvs_p


def _snvs(
    m: CodingModel, t: np.ndarray, g: np.ndarray, ref: np.ndarray, alt: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised :func:`exact` of SNVs; the last array flags those to redo one by one."""
    fwd = m.plus[t]
    r = np.where(fwd, ref, _complement(ref))
    a = np.where(fwd, alt, _complement(alt))
    lab = pd.Series(m.labels(t, g), dtype=object)
    hgvs_c = (lab + r + ">" + a).where(lab.notna(), None).to_numpy(object)
    tp = m.tpos(t, g)[1]
    ci = tp - m.c1[t]
    codon0 = ci - ci % 3
    coding = (tp > 0) & (ci >= 0) & (codon0 + 2 <= m.cend[t] - m.c1[t])
    base = np.where(coding, m.seq_start[t] + codon0, 0)
    codes = _CODE[m.buf[base[:, None] + np.arange(3)]]
    ok = coding & (
        m.buf[np.where(coding, m.seq_start[t] + ci, 0)]
        == r.astype("<U1").view(np.uint32).astype(np.uint8)
    )
    alt_codes = codes.copy()
    alt_codes[np.arange(len(t)), ci % 3] = _CODE[a.astype("<U1").view(np.uint32).astype(np.uint8)]
    ok &= (codes < 4).all(axis=1)
    shift = np.where(m.mito[t], 64, 0)
    aa_ref = _AA[np.where(ok, shift + codes @ [16, 4, 1], 128)]
    aa_alt = _AA[np.where(ok, shift + alt_codes @ [16, 4, 1], 128)]
    num = codon0 // 3 + 1
    first = (num == 1) & (aa_ref == "M")
    conditions = [~ok, first & (aa_alt != "M"), aa_ref == "*", aa_alt == "*", aa_ref == aa_alt]
    terms = ["", "start_lost", "stop_lost", "stop_gained", "synonymous_variant"]
    term = np.select(conditions, terms, "missense_variant").astype(object)
    three = {k: v for k, v in THREE.items()}
    r3 = pd.Series(aa_ref).map(three).fillna("Xaa")
    a3 = pd.Series(aa_alt).map(three).fillna("Xaa")
    num_s = pd.Series(num).astype(str)
    change = np.where(aa_ref == aa_alt, "=", a3)
    hgvs_p = ("p.(" + r3 + num_s + change + ")").to_numpy(object)
    hgvs_p[term == "start_lost"] = "p.(Met1?)"
    redo = ok & (aa_ref == "*") & (aa_alt != "*")
    term[(aa_ref == "*") & (aa_alt == "*") & ok] = "stop_retained_variant"
    term[~ok] = None
    hgvs_p[~ok] = None
    return term, hgvs_c, hgvs_p, redo


def _complement(bases: np.ndarray) -> np.ndarray:
    return pd.Series(bases).map(_PAIR).to_numpy(str)


def _one(m: CodingModel, t: int, pos: int, ref: str, alt: str) -> tuple[str | None, ...]:
    """:func:`exact` of one indel, MNV or stop-codon SNV."""
    while ref and alt and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    k = 0
    while k < min(len(ref), len(alt)) and ref[k] == alt[k]:
        k += 1
    ref, alt, pos = ref[k:], alt[k:], pos + k
    if not (ref or alt) or set(ref + alt) - set("ACGT"):
        return None, None, None
    fwd = bool(m.plus[t])
    rt, at = (ref, alt) if fwd else (revcomp(ref), revcomp(alt))
    # the event's first and last base, or for an insertion the bases flanking it
    first, last = (pos, pos + len(ref) - 1) if ref else (pos - 1, pos)
    g5, g3 = (first, last) if fwd else (last, first)
    i5, i3 = m.seq_index(t, g5), m.seq_index(t, g3)
    s = m.seqs[t]
    span = len(ref) - 1 if ref else 1
    if min(i5, i3) < 0 or i3 - i5 != span:
        return None, _genomic_c(m, t, g5, g3, rt, at), None
    i, j = (i5, i3 + 1) if ref else (i3, i3)
    if s[i:j] != rt:
        return None, None, None
    i, j, at = _shift(s, i, j, at)
    term, hgvs_p = _protein(m, t, s, i, j, at)
    return term, _seq_c(m, t, s, i, j, rt, at), hgvs_p


def _genomic_c(m: CodingModel, t: int, g5: int, g3: int, rt: str, at: str) -> str | None:
    """``c.`` description from exon/intron positions (no sequence: no 3' shift, no dup)."""
    a, b = m.labels(np.array([t, t]), np.array([g5, g3]))
    if a is None or b is None:
        return None
    where = a if (rt and len(rt) == 1) else f"{a}_{b}"
    if not rt:
        return f"{where}ins{at}"
    if len(rt) == 1 and len(at) == 1:
        return f"{a}{rt}>{at}"
    return f"{where}del" if not at else f"{where}delins{at}"


def _shift(s: str, i: int, j: int, at: str) -> tuple[int, int, str]:
    """Shift a pure deletion ``s[i:j]`` or insertion of ``at`` before ``i`` to its 3'-most place."""
    if i < j and not at:
        while j < len(s) and s[i] == s[j]:
            i, j = i + 1, j + 1
    elif i == j and at:
        while i < len(s) and s[i] == at[0]:
            at, i = at[1:] + at[0], i + 1
        j = i
    return i, j, at


def _seq_c(m: CodingModel, t: int, s: str, i: int, j: int, rt: str, at: str) -> str | None:
    """``c.`` description of replacing ``s[i:j]`` by ``at`` (spliced positions)."""
    if i == j:
        n = len(at)
        if i - n >= 0 and s[i - n : i] == at:
            a, b = m.seq_labels(t, [i - n, i - 1])
            return f"{a}dup" if n == 1 else f"{a}_{b}dup"
        if i == 0 or i >= len(s):
            return None
        a, b = m.seq_labels(t, [i - 1, i])
        return f"{a}_{b}ins{at}"
    a, b = m.seq_labels(t, [i, j - 1])
    where = a if j - i == 1 else f"{a}_{b}"
    if j - i == 1 and len(at) == 1:
        return f"{a}{rt}>{at}"
    return f"{where}del" if not at else f"{where}delins{at}"


def _protein(m: CodingModel, t: int, s: str, i: int, j: int, at: str) -> tuple[str | None, ...]:
    """SO term and ``p.`` of replacing ``s[i:j]`` by ``at`` (None, None outside the CDS)."""
    o, n = int(m.cds_off[t]), int(m.cend[t] - m.c1[t] + 1)
    if (i == j and not o < i < o + n) or (i < j and (j <= o or i >= o + n)):
        return None, None
    if i < o:
        return "start_lost", "p.(Met1?)"
    mito = bool(m.mito[t])
    mut = s[:i] + at + s[j:]
    delta = len(at) - (j - i)
    return describe(translate(s[o : o + n], mito), translate(mut[o:], mito), delta, (i - o) // 3)


def describe(ref: str, mut: str, delta: int, codon: int) -> tuple[str, str]:
    """SO term and HGVS ``p.`` of a change of protein ``ref`` into ``mut`` (both translated up
    to their first stop); ``delta``: change in CDS length, ``codon``: first codon touched."""
    if ref[:1] == "M" and mut[:1] != "M":
        return "start_lost", "p.(Met1?)"
    if ref == mut:
        aa = ref[codon] if codon < len(ref) else "X"
        kind = "stop_retained_variant" if aa == "*" else "synonymous_variant"
        return kind, f"p.({THREE[aa]}{codon + 1}=)"
    k = next((x for x, (a, b) in enumerate(zip(ref, mut, strict=False)) if a != b), None)
    fs = delta % 3 != 0
    if k is None:  # one is a prefix of the other: the stored sequence ran out
        return ("frameshift_variant" if fs else "protein_altering_variant"), "p.?"
    ter = str(len(mut) - 1 - k) if mut.endswith("*") else "?"
    if ref[k] == "*":
        return (
            "frameshift_variant" if fs else "stop_lost"
        ), f"p.(Ter{k + 1}{THREE[mut[k]]}extTer{ter})"
    here = f"{THREE[ref[k]]}{k + 1}"
    if mut[k] == "*":
        return "stop_gained", f"p.({here}Ter)"
    if fs:
        ter = str(len(mut) - k) if mut.endswith("*") else "?"
        return "frameshift_variant", f"p.({here}{THREE[mut[k]]}fsTer{ter})"
    return _inframe(ref, mut, k, delta // 3)


def _inframe(ref: str, mut: str, k: int, shift: int) -> tuple[str, str]:
    """SO term and ``p.`` of an in-frame change first altering residue ``k``."""
    qs = mut.find("*")
    if qs < 0 or qs > len(ref) - 1 + shift:
        return "stop_lost", "p.?"
    if qs < len(ref) - 1 + shift:
        dels = ref[k : max(k + 1, qs + 1 - shift)]
        return "stop_gained", f"p.({_range(ref, k, len(dels))}delins{_three(mut[k : qs + 1])})"
    m = 0
    while m < min(len(ref), len(mut)) - k and ref[-1 - m] == mut[-1 - m]:
        m += 1
    dels, ins = ref[k : len(ref) - m], mut[k : len(mut) - m]
    if not ins:
        return "inframe_deletion", f"p.({_range(ref, k, len(dels))}del)"
    if not dels:
        if ref[k - len(ins) : k] == ins:
            return "inframe_insertion", f"p.({_range(ref, k - len(ins), len(ins))}dup)"
        return "inframe_insertion", f"p.({_range(ref, k - 1, 2)}ins{_three(ins)})"
    if len(dels) == len(ins) == 1:
        return "missense_variant", f"p.({THREE[dels]}{k + 1}{THREE[ins]})"
    kind = "inframe_insertion" if len(ins) > len(dels) else "inframe_deletion"
    kind = "missense_variant" if len(ins) == len(dels) else kind
    return kind, f"p.({_range(ref, k, len(dels))}delins{_three(ins)})"


def _range(ref: str, k: int, n: int) -> str:
    """``Xaa5`` or ``Xaa5_Yaa7`` for residues ``k .. k+n-1`` (0-based) of ``ref``."""
    first = f"{THREE[ref[k]]}{k + 1}"
    return first if n <= 1 else f"{first}_{THREE[ref[k + n - 1]]}{k + n}"
