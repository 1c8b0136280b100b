"""Arrow schemas of the tables varprio reads and writes, and the knowledge-base schema version."""

from __future__ import annotations

import pyarrow as pa

#: Bumped whenever a knowledge-base table changes shape; a KB of another version is refused.
SCHEMA_VERSION = 2
ASSEMBLY = "GRCh38"

#: One row per (record, ALT allele) of the proband, as produced by ``varprio.io.vcf``.
#: Contigs are harmonised to the ``chr`` prefix; ``pos``/``ref``/``alt`` are as in the VCF
#: after splitting multi-allelic records.  ``alt_count`` is the number of copies of this ALT
#: in the proband's genotype (0, 1, 2; -1 when the call is missing, haploid calls give 0/1).
#: Optional columns may follow: the relatives' genotypes (``vcf_text.RELATIVE_FIELDS``, with a
#: PED) and the input's own VEP/SnpEff annotations (``info_annotations.COLUMNS``, ``vcf_*``).
VARIANT_BATCH = pa.schema(
    [
        ("chrom", pa.string()),
        ("pos", pa.int32()),
        ("ref", pa.string()),
        ("alt", pa.string()),
        ("qual", pa.float32()),
        ("filter", pa.string()),  # "PASS", "." or the ;-joined filters
        ("gt", pa.string()),  # the proband's GT as written, e.g. "0/1", "1|0", "1", "./."
        ("alt_count", pa.int8()),
        ("ploidy", pa.int8()),
        ("phased", pa.bool_()),
        ("ad_ref", pa.int32()),  # null when absent
        ("ad_alt", pa.int32()),
        ("dp", pa.int32()),
        ("gq", pa.int32()),
        ("record", pa.int64()),  # 1-based index of the record in the file (for messages)
        ("phase_set", pa.int32()),  # FORMAT PS of a phased call (null when absent)
    ]
)

#: Gene models: one row per transcript (1-based, inclusive coordinates).
TRANSCRIPTS = pa.schema(
    [
        ("chrom", pa.string()),
        ("start", pa.int32()),
        ("end", pa.int32()),
        ("strand", pa.string()),
        ("gene", pa.string()),
        ("gene_id", pa.string()),
        ("transcript_id", pa.string()),
        ("biotype", pa.string()),
        ("is_mane_select", pa.bool_()),
        ("cds_start", pa.int32()),  # null for non-coding transcripts; includes the stop codon
        ("cds_end", pa.int32()),
    ]
)

#: Gene models: one row per exon (1-based, inclusive), sorted by transcript then exon number.
EXONS = pa.schema(
    [
        ("transcript_id", pa.string()),
        ("chrom", pa.string()),
        ("start", pa.int32()),
        ("end", pa.int32()),
        ("exon_number", pa.int16()),
    ]
)
