"""Cohort-local allele counts: how many samples of a batch carry each variant.

A batch's first pass (``varprio batch --cohort-frequency``) reads every row's VCF over the
regions of interest and counts, per ``chrom:pos:ref:alt``, the samples that carry the allele
(``cohort_ac``; one per sample, whatever the genotype) and those homozygous for it
(``cohort_hom``).  The second pass joins the counts onto each case's candidates
(:func:`add_cohort_columns`).  A variant carried by many unrelated patients with different
diseases is unlikely to cause a rare one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

import pyarrow as pa
import pyarrow.compute as pc

from varprio.io.ped import Family
from varprio.io.vcf import VcfReader
from varprio.regions import Regions

KEYS = ("chrom", "pos", "ref", "alt")
COHORT_COLUMNS = ("cohort_ac", "cohort_hom")
CARRIERS = pa.schema(
    [("chrom", pa.string()), ("pos", pa.int32()), ("ref", pa.string()), ("alt", pa.string()),
     ("hom", pa.int32())]
)  # fmt: skip


def variant_key(table: pa.Table) -> pa.ChunkedArray:
    """``chrom:pos:ref:alt`` of each row."""
    return pc.binary_join_element_wise(
        table["chrom"], pc.cast(table["pos"], pa.string()), table["ref"], table["alt"], ":"
    )


def sample_carriers(
    vcf: str,
    sample: str | None,
    regions: Regions | None,
    family: Callable[[list[str]], Family] | None = None,
) -> pa.Table:
    """Distinct alleles one sample carries: ``chrom, pos, ref, alt, hom`` (hom as 0/1).

    ``family``: the PED picker of the proband (see ``varprio.pipeline.family_picker``).
    """
    parts = []
    with VcfReader(vcf, sample, regions=regions, family=family) as reader:
        for batch in reader.batches():
            carried = batch.filter(pc.greater(batch["alt_count"], 0))
            hom = pc.cast(pc.equal(carried["alt_count"], 2), pa.int32())
            parts.append(pa.table([*(carried[k] for k in KEYS), hom], names=[*KEYS, "hom"]))
    if not parts:
        return CARRIERS.empty_table()
    table = pa.concat_tables(parts)
    grouped = table.group_by(list(KEYS)).aggregate([("hom", "max")])
    return pa.table([*(grouped[k] for k in KEYS), grouped["hom_max"]], schema=CARRIERS)


def count_carriers(samples: Iterable[pa.Table]) -> pa.Table:
    """Sum :func:`sample_carriers` tables: ``chrom, pos, ref, alt, key, cohort_ac, cohort_hom``.

    Sorted by key, so the same cohort always gives the same table (and :func:`digest`).
    """
    table = pa.concat_tables([CARRIERS.empty_table(), *(t.cast(CARRIERS) for t in samples)])
    counts = table.group_by(list(KEYS)).aggregate([("hom", "count"), ("hom", "sum")])
    counts = counts.append_column("key", variant_key(counts))
    counts = counts.take(pc.sort_indices(counts, sort_keys=[("key", "ascending")]))
    return pa.table(
        {
            **{k: counts[k] for k in (*KEYS, "key")},
            "cohort_ac": pc.cast(counts["hom_count"], pa.int32()),
            "cohort_hom": pc.cast(pc.fill_null(counts["hom_sum"], 0), pa.int32()),
        }
    )


def digest(cohort: pa.Table) -> str:
    """sha256 of the counts (a resumed batch must have counted the same cohort)."""
    h = hashlib.sha256()
    for col in ("key", "cohort_ac", "cohort_hom"):
        for chunk in cohort[col].chunks:
            h.update(str(chunk.to_pylist()).encode())
    return h.hexdigest()


def add_cohort_columns(cands: pa.Table, cohort: pa.Table) -> pa.Table:
    """Append ``cohort_ac`` and ``cohort_hom`` to candidate rows (0 for alleles not counted)."""
    idx = pc.index_in(variant_key(cands), value_set=cohort["key"].combine_chunks())
    for col in COHORT_COLUMNS:
        values = pc.fill_null(cohort[col].combine_chunks().take(idx), 0)
        cands = cands.append_column(col, pc.cast(values, pa.int32()))
    return cands
