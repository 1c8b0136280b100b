"""``varprio prioritize`` and ``varprio batch``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from varprio.cli.common import KB_OPTION, command, errors_to_exit, main, split_csv


@main.command()
@click.argument("vcf")
@click.option("--hpo", multiple=True, help="Observed HPO term IDs, comma-separated; repeatable.")
@click.option("--hpo-file", type=click.Path(dir_okay=False), help="File of HPO IDs, one per line.")
@click.option("--exclude", multiple=True, help="Excluded (absent) HPO term IDs, comma-separated.")
@click.option(
    "--phenopacket",
    type=click.Path(dir_okay=False),
    help="GA4GH Phenopacket v2 (JSON or YAML): observed and excluded terms, sex.",
)
@click.option("--sample", help="Sample to analyse (required when the VCF has several).")
@click.option(
    "--sex",
    type=click.Choice(["male", "female", "unknown"], case_sensitive=False),
    help="Proband sex (overrides the phenopacket).",
)
@KB_OPTION
@click.option(
    "--out-prefix",
    help="Write PREFIX.variants.tsv and PREFIX.genes.tsv [default: the variant table on stdout].",
)
@click.option(
    "--format",
    "formats",
    default="tsv",
    show_default=True,
    help="Comma-separated output formats (tsv).",
)
@click.option("--top", type=click.IntRange(min=1), help="Keep only the N best variants and genes.")
@errors_to_exit
def prioritize(
    vcf: str,
    hpo: tuple[str, ...],
    hpo_file: str | None,
    exclude: tuple[str, ...],
    phenopacket: str | None,
    sample: str | None,
    sex: str | None,
    kb_path: Path | None,
    out_prefix: str | None,
    formats: str,
    top: int | None,
) -> None:
    """Rank the variants of VCF ('-' for stdin; VCF or BCF, plain or bgzipped).

    \b
    Examples:
      varprio prioritize case.vcf.gz --hpo HP:0001156,HP:0000244 --out-prefix out/case
      bcftools view -Ou trio.bcf | varprio prioritize - --sample child --hpo-file terms.txt
      varprio prioritize case.vcf.gz --phenopacket case.json --top 20 > case.variants.tsv
    """
    from varprio import pipeline
    from varprio.report import writers

    request = pipeline.CaseRequest(
        vcf=vcf,
        hpo=split_csv(hpo),
        hpo_file=hpo_file,
        exclude=split_csv(exclude),
        phenopacket=phenopacket,
        sample=sample,
        sex=sex,
        top=top,
    )
    writers.check_formats(split_csv((formats,)))
    resources = pipeline.load_resources(kb_path, command())
    result = pipeline.run_case(resources, request)
    writers.write_case(result, resources, out_prefix, split_csv((formats,)))


@main.command()
@click.argument("manifest", type=click.Path(dir_okay=False))
@click.option(
    "--out-dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for <id>.variants.tsv, <id>.genes.tsv and summary.tsv.",
)
@click.option(
    "-j",
    "--jobs",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Worker processes.",
)
@KB_OPTION
@click.option(
    "--format",
    "formats",
    default="tsv",
    show_default=True,
    help="Comma-separated output formats (tsv).",
)
@click.option("--top", type=click.IntRange(min=1), help="Keep only the N best variants and genes.")
@errors_to_exit
def batch(
    manifest: str, out_dir: Path, jobs: int, kb_path: Path | None, formats: str, top: int | None
) -> None:
    """Prioritise every row of MANIFEST (TSV: id, vcf, hpo[, excluded, sample, sex, phenopacket]).

    One bad row is reported and does not stop the others; the exit code is 1 if any failed.

    \b
    Example manifest (tab-separated):
      id      vcf             hpo                     excluded
      case1   case1.vcf.gz    HP:0001156,HP:0000244   HP:0001249
    \b
    Example:
      varprio batch manifest.tsv --out-dir results -j 2
    """
    from varprio import batch as batch_mod
    from varprio import pipeline
    from varprio.report import writers

    writers.check_formats(split_csv((formats,)))
    resources = pipeline.load_resources(kb_path, command())
    failed = batch_mod.run_batch(
        Path(manifest), out_dir, resources, jobs, split_csv((formats,)), top
    )
    if failed:
        click.echo(f"varprio: error: {failed} row(s) failed; see {out_dir}/summary.tsv", err=True)
        sys.exit(1)
