"""1000 Genomes phase 3 allele frequencies at common exonic sites, from peddy's genotype matrix.

Files (peddy 0.4.8 sdist):
- ``GRCH38.sites``: one site per line, ``CHROM:POS:REF:ALT`` (e.g. ``1:69761:A:T``).
- ``GRCH38.sites.bin.gz``: gzipped uint8 alt-allele counts (0, 1, 2), sites x people (2,504),
  row-major, as read by ``peddy/pca.py``.
- ``pca.py``: its ``_str`` holds the people's superpopulation codes, ``|``-separated, indexing
  ``AFR AMR EAS EUR SAS``.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import numpy as np
import pyarrow as pa

from varprio.contigs import chrom_ranks
from varprio.errors import InputError

SUPERPOPS = ("AFR", "AMR", "EAS", "EUR", "SAS")
PREFIX = "kgp"


def read_genotypes(peddy_dir: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Sites, the sites x people alt-count matrix, and each person's superpopulation index."""
    match = re.search(r'^_str = "([0-9|]+)"', (peddy_dir / "pca.py").read_text(), re.M)
    if match is None:
        raise InputError(f"{peddy_dir}/pca.py: no _str line with the superpopulation codes")
    pops = np.array(match.group(1).split("|"), dtype=np.int8)
    sites = (peddy_dir / "GRCH38.sites").read_text().split()
    with gzip.open(peddy_dir / "GRCH38.sites.bin.gz", "rb") as fh:
        raw = np.frombuffer(fh.read(), dtype=np.uint8)
    if raw.size != len(sites) * pops.size:
        raise InputError(
            f"{peddy_dir}/GRCH38.sites.bin.gz: expected {len(sites)} sites x {pops.size} people "
            f"= {len(sites) * pops.size} genotypes, found {raw.size}"
        )
    return sites, raw.reshape(len(sites), pops.size), pops


def build_kgp_table(peddy_dir: Path) -> pa.Table:
    """Per-site 1000 Genomes AF overall and per superpopulation, grpmax AF, homozygote count."""
    sites, geno, pops = read_genotypes(peddy_dir)
    parts = [s.split(":") for s in sites]
    chrom = ["chr" + p[0] for p in parts]
    cols: dict[str, pa.Array] = {
        "chrom": pa.array(chrom, pa.string()),
        "pos": pa.array([int(p[1]) for p in parts], pa.int32()),
        "ref": pa.array([p[2] for p in parts], pa.string()),
        "alt": pa.array([p[3] for p in parts], pa.string()),
        f"{PREFIX}_af": pa.array(geno.mean(axis=1, dtype=np.float64) / 2, pa.float32()),
    }
    per_pop = []
    for i, name in enumerate(SUPERPOPS):
        af = geno[:, pops == i].mean(axis=1, dtype=np.float64) / 2
        per_pop.append(af)
        cols[f"{PREFIX}_af_{name.lower()}"] = pa.array(af, pa.float32())
    stacked = np.vstack(per_pop)
    cols[f"{PREFIX}_af_grpmax"] = pa.array(stacked.max(axis=0), pa.float32())
    cols[f"{PREFIX}_grpmax"] = pa.array(np.array(SUPERPOPS)[stacked.argmax(axis=0)], pa.string())
    cols[f"{PREFIX}_nhomalt"] = pa.array((geno == 2).sum(axis=1), pa.int32())
    table = pa.table(cols)
    order = np.lexsort((table["pos"].to_numpy(), chrom_ranks(chrom)))
    return table.take(pa.array(order))
