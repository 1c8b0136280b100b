"""ClinVar VCF (GRCh38 release, ``clinvar_YYYYMMDD.vcf.gz``) -> the ``clinvar/variants`` table.

File: NCBI's ``vcf_GRCh38/clinvar.vcf.gz``; ID is the VariationID; INFO values use ``_`` for
spaces, ``|`` between conditions and ``,`` inside review statuses, e.g.::

    ##fileDate=2023-07-10
    ##reference=GRCh38
    1  69134  2205837  A  G  .  .  ALLELEID=2193183;CLNDISDB=MeSH:D030342,MedGen:C0950123;
       CLNDN=Inborn_genetic_diseases;CLNREVSTAT=criteria_provided,_single_submitter;
       CLNSIG=Likely_benign;GENEINFO=OR4F5:79501;MC=SO:0001583|missense_variant;ORIGIN=1

Columns: the raw fields (``clinvar_clnsig`` ... ``clinvar_alleleid``, ``clinvar_variation_id``)
plus ``clinvar_stars`` (review status as ClinVar's 0-4 gold stars) and
``clinvar_significance`` (one normalised class, see :func:`significance`).  A GRCh37 file is
refused (``##reference``, ``##contig`` lengths, or positions beyond GRCh38 contigs).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from varprio.kb.sources.site_table import SiteTableWriter, site_schema
from varprio.kb.sources.vcf_sites import Field, SitesReader, check_grch38

log = logging.getLogger(__name__)

PREFIX = "clinvar"
TABLE = "clinvar/variants"
#: INFO key (or ID) -> column suffix.
RAW = {
    "ID": "variation_id",
    "ALLELEID": "alleleid",
    "CLNSIG": "clnsig",
    "CLNREVSTAT": "clnrevstat",
    "CLNDN": "clndn",
    "CLNDISDB": "clndisdb",
    "MC": "mc",
    "GENEINFO": "geneinfo",
}
#: ClinVar review status -> gold stars (https://www.ncbi.nlm.nih.gov/clinvar/docs/review_status/).
STARS = {
    "practice_guideline": 4,
    "reviewed_by_expert_panel": 3,
    "criteria_provided,_multiple_submitters,_no_conflicts": 2,
    "criteria_provided,_conflicting_interpretations": 1,
    "criteria_provided,_conflicting_classifications": 1,
    "criteria_provided,_single_submitter": 1,
    "no_assertion_criteria_provided": 0,
    "no_assertion_provided": 0,
    "no_classification_provided": 0,
    "no_interpretation_for_the_single_variant": 0,
    "no_classification_for_the_single_variant": 0,
    "no_classifications_from_unflagged_records": 0,
}
#: Normalised significance classes: regexes tested in order on CLNSIG's first term (cut at
#: ``|`` or ``,``), e.g. ``Pathogenic/Likely_pathogenic/Pathogenic,_low_penetrance|risk_factor``.
SIGNIFICANCE = (
    ("^Pathogenic/Likely_pathogenic", "pathogenic/likely_pathogenic"),
    ("^Pathogenic$", "pathogenic"),
    ("^Likely_pathogenic$", "likely_pathogenic"),
    ("^Conflicting", "conflicting"),
    ("^Uncertain_significance$", "uncertain"),
    ("^Benign/Likely_benign$", "benign/likely_benign"),
    ("^Likely_benign$", "likely_benign"),
    ("^Benign$", "benign"),
)
DESCRIPTIONS = {
    "clinvar_variation_id": "ClinVar VariationID",
    "clinvar_alleleid": "ClinVar AlleleID",
    "clinvar_clnsig": "ClinVar clinical significance (CLNSIG)",
    "clinvar_clnrevstat": "ClinVar review status (CLNREVSTAT)",
    "clinvar_clndn": "ClinVar condition names (CLNDN)",
    "clinvar_clndisdb": "ClinVar condition identifiers (CLNDISDB)",
    "clinvar_mc": "ClinVar molecular consequences (MC)",
    "clinvar_geneinfo": "ClinVar genes, SYMBOL:GeneID|... (GENEINFO)",
    "clinvar_significance": "normalised ClinVar class (pathogenic, likely_pathogenic, "
    "pathogenic/likely_pathogenic, conflicting, uncertain, likely_benign, benign, "
    "benign/likely_benign, other)",
    "clinvar_stars": "ClinVar review stars 0-4",
}
SCHEMA = site_schema(
    [
        pa.field("clinvar_variation_id", pa.string()),
        pa.field("clinvar_alleleid", pa.int32()),
        pa.field("clinvar_clnsig", pa.string()),
        pa.field("clinvar_clnrevstat", pa.string()),
        pa.field("clinvar_clndn", pa.string()),
        pa.field("clinvar_clndisdb", pa.string()),
        pa.field("clinvar_mc", pa.string()),
        pa.field("clinvar_geneinfo", pa.string()),
        pa.field("clinvar_significance", pa.string()),
        pa.field("clinvar_stars", pa.int8()),
    ],
    DESCRIPTIONS,
)


def stars(revstat: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Gold stars of each CLNREVSTAT (null when absent or unknown)."""
    keys = pa.array(list(STARS), pa.string())
    values = pa.array(list(STARS.values()), pa.int8())
    return values.take(pc.index_in(revstat, value_set=keys))


def significance(clnsig: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One class per CLNSIG: its first term (``Pathogenic|risk_factor`` -> pathogenic), else other.

    ``Conflicting_interpretations_of_pathogenicity`` and (2024 on)
    ``Conflicting_classifications_of_pathogenicity`` are both ``conflicting``; a
    ``,_low_penetrance`` qualifier keeps its class.
    """
    first = pc.replace_substring_regex(clnsig, r"[|,].*$", "")
    out = pa.nulls(len(first), pa.string())
    for pattern, norm in reversed(SIGNIFICANCE):  # earlier patterns win
        out = pc.if_else(pc.match_substring_regex(first, pattern), norm, out)
    return pc.if_else(pc.and_(pc.is_valid(first), pc.is_null(out)), "other", out)


def _finish(table: pa.Table) -> pa.Table:
    table = table.append_column(
        "clinvar_significance", significance(table["clinvar_clnsig"])
    ).append_column("clinvar_stars", stars(table["clinvar_clnrevstat"]))
    return table.select(SCHEMA.names).cast(SCHEMA)


def build_clinvar_table(path: Path, out: Path) -> tuple[int, str]:
    """Stream a GRCh38 ClinVar VCF into ``out``; return (rows, release date)."""
    writer = SiteTableWriter(out, SCHEMA)
    try:
        with SitesReader(str(path)) as reader:
            check_grch38(reader.header)
            fields = [
                Field(key, f"{PREFIX}_{col}", pa.int32() if key == "ALLELEID" else pa.string())
                for key, col in RAW.items()
                if key == "ID" or key in reader.header.info
            ]
            for chunk, last in reader.chunks(fields):
                writer.write(_finish(_complete(chunk)), last)
            date = reader.header.meta.get("fileDate", "unknown")
        return writer.close(), date
    except BaseException:
        writer.abort()
        raise


def _complete(table: pa.Table) -> pa.Table:
    """Add absent raw columns as nulls (older ClinVar releases lack some fields)."""
    for key, col in RAW.items():
        name = f"{PREFIX}_{col}"
        if name not in table.column_names:
            typ = pa.int32() if key == "ALLELEID" else pa.string()
            table = table.append_column(name, pa.nulls(table.num_rows, typ))
    return table
