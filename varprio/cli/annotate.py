"""``varprio annotate``: every record of a VCF with every knowledge-base field."""

from __future__ import annotations

from pathlib import Path

import click

from varprio.cli.common import KB_OPTION, command, errors_to_exit, main


@main.command()
@click.argument("vcf")
@KB_OPTION
@click.option(
    "-o", "--output", "output", help="Output file [default: TSV on stdout]; '-' for stdout."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["tsv", "parquet", "vcf"]),
    default="tsv",
    show_default=True,
    help="tsv, parquet, or vcf (bgzipped, tabix-indexed; the fields as INFO).",
)
@click.option("--sample", help="Sample whose records to read [default: the first].")
@errors_to_exit
def annotate(
    vcf: str, kb_path: Path | None, output: str | None, fmt: str, sample: str | None
) -> None:
    """Add every knowledge-base field to every record of VCF ('-' for stdin; VCF or BCF).

    One row per record and ALT allele: chrom, pos, ref, alt, the most severe consequence
    (gene, hgnc_id, consequence, impact), then each source's prefixed fields (kgp_*,
    gnomad_*, clinvar_*, revel_score, constraint_*, ...) and max_pop_af; '.' when missing.

    \b
    Examples:
      varprio annotate case.vcf.gz > case.annotated.tsv
      varprio annotate case.vcf.gz --kb kb/ --format parquet -o case.annotated.parquet
      bcftools view -Ou cohort.bcf -s child | varprio annotate - --format vcf -o child.vcf.gz
    """
    from varprio.annotate_records import annotate_vcf
    from varprio.kb.load import KnowledgeBase, default_kb_path
    from varprio.provenance import Provenance

    kb = KnowledgeBase(kb_path or default_kb_path())
    prov = Provenance(command(), kb.label, "none")
    annotate_vcf(vcf, output, fmt, kb, prov, sample)
