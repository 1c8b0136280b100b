"""Genotype against the modes of inheritance of a gene's diseases (singleton proband).

Families, PED files, de novo calls and phased compound heterozygotes come in a later stage;
this one judges one sample: is the genotype compatible with the gene's known modes?
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Plain words for the mode-of-inheritance codes of ``hpo_diseases.inheritance_modes``.
MODE_NAMES = {
    "AD": "autosomal dominant",
    "AR": "autosomal recessive",
    "XL": "X-linked",
    "XLR": "X-linked recessive",
    "XLD": "X-linked dominant",
    "MT": "mitochondrial",
}

#: Factor applied to a variant's score for each (genotype fit) outcome; 1.0 = fully compatible.
FIT_FACTOR = {
    "compatible": 1.0,
    "unknown_mode": 0.9,
    "possible_compound_het": 0.9,
    "het_in_recessive_gene": 0.35,
    "hom_in_dominant_gene": 0.8,
    "het_female_x_recessive": 0.5,
}


def _has(modes: pa.ChunkedArray | pa.Array, code: str) -> np.ndarray:
    return pc.fill_null(pc.match_substring(modes, code), False).to_numpy(zero_copy_only=False)


def genotype_fit(
    alt_count: np.ndarray,
    chrom: np.ndarray,
    modes: pa.Array | pa.ChunkedArray,
    n_qualifying_in_gene: np.ndarray,
    sex: str | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per variant: the fit label and its score factor.

    ``modes`` holds the gene's modes as ``;``-joined codes (AD, AR, XL, XLR, XLD, MT);
    ``n_qualifying_in_gene`` is how many plausible variants the proband has in the gene (a
    heterozygous variant in a recessive gene is a possible compound heterozygote when > 1).
    """
    ad, ar = _has(modes, "AD"), _has(modes, "AR")
    xl = _has(modes, "XL")
    xlr_only = xl & ~_has(modes, "XLD")
    known = ad | ar | xl | _has(modes, "MT")
    hom = alt_count >= 2
    on_x = chrom == "chrX"
    label = np.full(alt_count.shape, "compatible", dtype=object)
    factor = np.full(alt_count.shape, FIT_FACTOR["compatible"], dtype=np.float64)

    def assign(mask: np.ndarray, name: str) -> None:
        label[mask], factor[mask] = name, FIT_FACTOR[name]

    assign(~known, "unknown_mode")
    het_rec = ~hom & ar & ~ad & ~(xl & on_x)
    assign(het_rec & (n_qualifying_in_gene > 1), "possible_compound_het")
    assign(het_rec & (n_qualifying_in_gene <= 1), "het_in_recessive_gene")
    assign(hom & ad & ~ar & ~xl, "hom_in_dominant_gene")
    if sex == "FEMALE":
        assign(on_x & ~hom & xlr_only & ~ad & ~ar, "het_female_x_recessive")
    return label, factor
