"""Spike a case's causal variants into a background VCF, indistinguishable but for the variant.

Every record, background and spiked alike, loses its ID and INFO (caller-specific fields a
model could learn to spot); a spiked record takes its QUAL, FILTER and FORMAT values from a
randomly drawn background record with the same genotype.

With a ``classify`` function (see :func:`varprio.trainset.donor_classifier`: SNV or indel, in
an exon or in its flank) donors are drawn only among background records of the spike's own
class: call quality depends on where and what a call is (exonic calls are deeper than
off-target ones, indels have lower allele balance), and donors from the whole file give spikes
a call quality that a model learns to spot.  ``tests/test_train.py`` checks that spikes and
background calls of each class agree.
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from varprio.contigs import chrom_rank, harmonise
from varprio.errors import InputError
from varprio.inheritance import non_par_x
from varprio.io.ped import Family, Relative

GENOTYPE_OF = {"heterozygous": "0/1", "homozygous": "1/1", "hemizygous": "1/1"}
_CHROM, _POS, _ID, _REF, _ALT, _QUAL, _FILTER, _INFO, _FORMAT, _SAMPLE = range(10)
#: Donor class of a variant from (chrom, pos, ref, alt); None: never a donor (e.g. off-target).
Classifier = Callable[[str, int, str, str], "str | None"]


@dataclass
class Background:
    """A single-sample background VCF held as text records, ID and INFO already dropped."""

    header: list[str]
    records: list[list[str]]
    by_genotype: dict[str, list[int]] = field(default_factory=dict)
    classify: Classifier | None = None
    by_class: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path, classify: Classifier | None = None) -> Background:
        """Read a (bgzipped) single-sample VCF; ``classify`` restricts donors to a class."""
        opener = gzip.open if str(path).endswith((".gz", ".bgz")) else open
        header, records = [], []
        try:
            with opener(path, "rt") as fh:
                for n, line in enumerate(fh, start=1):
                    if line.startswith("##"):
                        if not line.startswith("##INFO="):
                            header.append(line.rstrip("\n"))
                    elif line.startswith("#"):
                        header.append(line.rstrip("\n"))
                    else:
                        records.append(_record(path, n, line))
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: cannot read the background VCF ({exc})") from exc
        if not header or not header[-1].startswith("#CHROM") or len(header[-1].split("\t")) != 10:
            raise InputError(f"{path}: expected a VCF with exactly one sample column")
        bg = cls(header, records, classify=classify)
        for i, rec in enumerate(records):
            gt = rec[_SAMPLE].split(":", 1)[0].replace("|", "/")
            bg.by_genotype.setdefault(gt, []).append(i)
            kind = classify(rec[_CHROM], int(rec[_POS]), rec[_REF], rec[_ALT]) if classify else None
            if kind is not None:
                bg.by_class.setdefault((gt, kind), []).append(i)
        return bg

    def donor(self, gt: str, variant: tuple[str, int, str, str], rng: random.Random) -> list[str]:
        """A random background record with genotype ``gt`` (and the variant's class)."""
        kind = self.classify(*variant) if self.classify else None
        pool = self.by_class.get((gt, kind or "")) or self.by_genotype.get(gt) or [0]
        return self.records[rng.choice(pool)]

    def spiked(self, variants: list[dict], rng: random.Random) -> str:
        """VCF text of the background with ``variants`` (chrom, pos, ref, alt, zygosity) in."""
        spikes = self.spike_records(variants, rng)
        kept = [r for r in self.records if (r[_CHROM], int(r[_POS])) not in spikes]
        merged = sorted(
            [*kept, *spikes.values()],
            key=lambda r: (chrom_rank(r[_CHROM]), r[_CHROM], int(r[_POS])),
        )
        lines = self.header + ["\t".join(r) for r in merged]
        return "\n".join(lines) + "\n"

    def spike_records(
        self, variants: list[dict], rng: random.Random
    ) -> dict[tuple[str, int], list[str]]:
        """The spiked records by (chrom, pos): a background record there is replaced."""
        spikes = {}
        for v in variants:
            gt = GENOTYPE_OF.get(v.get("zygosity", ""), "0/1")
            chrom = harmonise(str(v["chrom"]))
            donor = self.donor(gt, (chrom, int(v["pos"]), v["ref"], v["alt"]), rng)
            rec = [
                chrom,
                str(v["pos"]),
                ".",
                v["ref"],
                v["alt"],
                donor[_QUAL],
                donor[_FILTER],
                ".",
                donor[_FORMAT],
                gt + donor[_SAMPLE][donor[_SAMPLE].find(":") :],
            ]
            spikes[(chrom, int(v["pos"]))] = rec
        return spikes


def _record(path: Path, line_no: int, line: str) -> list[str]:
    """One data line as its 10 fields, ID and INFO dropped, contig harmonised."""
    rec = line.rstrip("\n").split("\t")
    if len(rec) != 10 or not rec[_POS].isdigit():
        raise InputError(
            f"{path}: line {line_no}: expected 10 tab-separated columns with an integer POS "
            "(a single-sample VCF)"
        )
    rec[_CHROM] = harmonise(rec[_CHROM])
    rec[_ID], rec[_INFO] = ".", "."
    return rec


# ----- synthetic parents (trio benchmark and training) -----

#: How a causal variant reaches the proband in a synthetic trio with unaffected parents.
DE_NOVO, PATERNAL, MATERNAL, BOTH = 1, 2, 3, 4
UNTRANSMITTED_ALT = 0.08  # a parent's other allele is the ALT too (common variants)
#: Share of background calls that look de novo (errors) in training: ~370 per 36,849-record
#: exome, far more than the 1-2 true coding de novo variants of a real trio exome, so that the
#: model does not take de novo as a give-away.
TRAINING_DE_NOVO_NOISE = 0.01
#: The same in the trio benchmark: ~70 per exome, still generous.
BENCHMARK_DE_NOVO_NOISE = 0.002


def causal_origins(variants: list[dict], male: bool) -> dict[str, int]:
    """Origin code of each causal variant (``chrom:pos:REF:ALT``) so that the synthetic,
    unaffected parents follow the case's mode: one heterozygous variant is de novo, two are
    inherited one from each parent (compound heterozygous), a homozygous one from both, a
    boy's variant on X outside the pseudo-autosomal regions from his mother."""
    out = {}
    hets = 0
    for v in variants:
        chrom = harmonise(str(v["chrom"]))
        key = f"{chrom}:{v['pos']}:{str(v['ref']).upper()}:{str(v['alt']).upper()}"
        zyg = v.get("zygosity", "heterozygous")
        on_x = bool(non_par_x(np.array([chrom]), np.array([int(v["pos"])]))[0])
        if male and on_x:
            out[key] = MATERNAL
        elif zyg in ("homozygous", "hemizygous"):  # spiked as 1/1
            out[key] = BOTH
        else:
            out[key] = DE_NOVO if len(variants) == 1 else (PATERNAL if hets % 2 == 0 else MATERNAL)
            hets += 1
    return out


def parent_alt_counts(
    alt: np.ndarray, son_x: np.ndarray, origin: np.ndarray, u: np.ndarray, noise: float
) -> tuple[np.ndarray, np.ndarray]:
    """Father's and mother's ALT copies for a proband's ``alt`` counts.

    ``son_x``: rows on a male proband's non-PAR X (his X is his mother's); ``origin``: 0 for
    background rows, else a causal origin code; ``u``: rows x 3 uniform draws (the same draws
    for the same variant keep its rows consistent); ``noise``: share of background calls made
    to look de novo.
    """
    paternal = np.where(alt >= 2, True, u[:, 0] < 0.5)
    from_father = np.where(son_x, 0, (alt >= 1) & paternal).astype(np.int8)
    from_mother = np.where(son_x, alt >= 1, (alt >= 2) | ((alt == 1) & ~paternal)).astype(np.int8)
    fake = u[:, 2] < noise
    from_father[fake], from_mother[fake] = 0, 0
    for code, f, m in ((DE_NOVO, 0, 0), (PATERNAL, 1, 0), (MATERNAL, 0, 1), (BOTH, 1, 1)):
        at = origin == code
        from_father[at], from_mother[at] = f, m
    other = (u[:, 1] < UNTRANSMITTED_ALT) & (origin == 0)
    father = from_father + (other & (u[:, 0] < 0.5))
    mother = from_mother + (other & (u[:, 0] >= 0.5))
    return father.astype(np.int8), mother.astype(np.int8)


def synthetic_parents(
    keys: np.ndarray,
    chrom: np.ndarray,
    pos: np.ndarray,
    alt: np.ndarray,
    variants: list[dict],
    sex: str | None,
    seed: int,
    noise: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Father's and mother's ALT copies for each row of a proband (``keys``:
    ``chrom:pos:REF:ALT``; ``alt``: the proband's copies, -1 unknown) whose causal
    ``variants`` follow the case's mode; ``noise``: share of background calls made de novo."""
    male = sex == "MALE"
    origins = causal_origins(variants, male)
    origin = np.array([origins.get(k, 0) for k in keys.tolist()], np.int8)
    son_x = non_par_x(chrom, pos) & male
    draws = variant_draws(keys, seed)
    return parent_alt_counts(np.maximum(alt, 0), son_x, origin, draws, noise)


def synthetic_family(sex: str | None) -> Family:
    """The PED family of a synthetic trio: the proband and two unaffected parents."""
    father = Relative("father", "father", "MALE", False)
    mother = Relative("mother", "mother", "FEMALE", False)
    return Family("synthetic", "proband", sex, (father, mother))


def variant_draws(keys: np.ndarray, seed: int) -> np.ndarray:
    """Rows x 3 uniform draws, the same for rows of the same variant key."""
    uniq, inverse = np.unique(keys, return_inverse=True)
    return np.random.default_rng(seed).random((len(uniq), 3))[inverse]
