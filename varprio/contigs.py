"""Contig names: one naming (``chr``-prefixed, ``chrM``) and one sort order everywhere."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

PRIMARY = tuple(f"chr{c}" for c in [*range(1, 23), "X", "Y", "M"])
_RANK = {c: i for i, c in enumerate(PRIMARY)}

#: GRCh38 primary contig lengths, to tell GRCh38 from GRCh37 by ``##contig`` headers.
GRCH38_LENGTHS = {
    "chr1": 248956422,
    "chr2": 242193529,
    "chr3": 198295559,
    "chr4": 190214555,
    "chr5": 181538259,
    "chr6": 170805979,
    "chr7": 159345973,
    "chr8": 145138636,
    "chr9": 138394717,
    "chr10": 133797422,
    "chr11": 135086622,
    "chr12": 133275309,
    "chr13": 114364328,
    "chr14": 107043718,
    "chr15": 101991189,
    "chr16": 90338345,
    "chr17": 83257441,
    "chr18": 80373285,
    "chr19": 58617616,
    "chr20": 64444167,
    "chr21": 46709983,
    "chr22": 50818468,
    "chrX": 156040895,
    "chrY": 57227415,
    "chrM": 16569,
}

#: GRCh37 primary contig lengths (chrM: the rCRS, as GRCh38's), to refuse GRCh37 input.
GRCH37_LENGTHS = {
    "chr1": 249250621,
    "chr2": 243199373,
    "chr3": 198022430,
    "chr4": 191154276,
    "chr5": 180915260,
    "chr6": 171115067,
    "chr7": 159138663,
    "chr8": 146364022,
    "chr9": 141213431,
    "chr10": 135534747,
    "chr11": 135006516,
    "chr12": 133851895,
    "chr13": 115169878,
    "chr14": 107349540,
    "chr15": 102531392,
    "chr16": 90354753,
    "chr17": 81195210,
    "chr18": 78077248,
    "chr19": 59128983,
    "chr20": 63025520,
    "chr21": 48129895,
    "chr22": 51304566,
    "chrX": 155270560,
    "chrY": 59373566,
    "chrM": 16569,
}


_BARE_PRIMARY = re.compile(r"(?:[1-9]|1[0-9]|2[0-2]|X|Y)")


def harmonise(name: str) -> str:
    """``1`` -> ``chr1``, ``MT``/``M``/``chrMT`` -> ``chrM``; other names (``GL000192.1``) kept."""
    if name in ("M", "MT", "chrMT"):
        return "chrM"
    if _BARE_PRIMARY.fullmatch(name):
        return "chr" + name
    return name


def chrom_rank(name: str) -> int:
    """Sort key of a harmonised contig: chr1..chr22, chrX, chrY, chrM, then the rest."""
    return _RANK.get(name, len(PRIMARY))


def chrom_ranks(names: list[str] | pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Vectorised :func:`chrom_rank` (each distinct name is ranked once)."""
    arr = names if isinstance(names, (pa.Array, pa.ChunkedArray)) else pa.array(names, pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    enc = pc.dictionary_encode(arr)
    ranks = np.array([chrom_rank(n) for n in enc.dictionary.to_pylist()], dtype=np.int32)
    return ranks[enc.indices.to_numpy(zero_copy_only=False)] if len(ranks) else ranks
