"""``varprio prioritize`` and ``varprio batch``."""

from __future__ import annotations

from pathlib import Path

import click

from varprio.cli.common import (
    DROP_UNKNOWN_OPTION,
    KB_OPTION,
    PHENOTYPE_OPTIONS,
    command,
    errors_to_exit,
    main,
    skip_pandas_probe,
    split_csv,
)
from varprio.errors import BatchFailure

MODEL_OPTION = click.option(
    "--model",
    "model_spec",
    help="Ranker: a model directory (varprio train), or 'transparent' "
    "[default: the shipped learned model].",
)

VCF_ANNOTATIONS_OPTION = click.option(
    "--vcf-annotations",
    type=click.Choice(["use", "ignore"]),
    default="use",
    show_default=True,
    help="Use the VCF's own VEP CSQ / SnpEff ANN annotations where the gene models' "
    "consequence is coarse, and their gnomAD AF / MAX_AF where the knowledge base has none "
    "(see consequence_source, frequency_source), or ignore them.",
)


@main.command()
@click.argument("vcf")
@PHENOTYPE_OPTIONS
@click.option(
    "--sample",
    help="Proband to analyse (required when the VCF has several samples and no --ped, or "
    "the PED has several affected families).",
)
@click.option(
    "--ped",
    type=click.Path(dir_okay=False),
    help="PED file (6 columns): the proband's genotyped relatives join the inheritance checks "
    "(de novo, compound heterozygotes in trans, segregation); sex and affected status from it.",
)
@click.option(
    "--sex",
    type=click.Choice(["male", "female", "unknown"], case_sensitive=False),
    help="Proband sex (overrides the phenopacket).",
)
@KB_OPTION
@click.option(
    "--out-prefix",
    help="Write PREFIX.variants.tsv, PREFIX.genes.tsv, ... (see --format) "
    "[default: the variant table, or the JSON document, on stdout].",
)
@click.option(
    "--format",
    "formats",
    default="tsv",
    show_default=True,
    help="Comma-separated output formats: tsv, json, parquet, vcf (PREFIX.vcf.gz: the input "
    "with VARPRIO_* INFO fields; stdin is spooled to a temporary file), html.",
)
@click.option("--top", type=click.IntRange(min=1), help="Keep only the N best variants and genes.")
@click.option(
    "--all-records",
    is_flag=True,
    help="Rank every record, not only those in exons (+/-50 bp) of the gene models "
    "(intronic and intergenic variants too; slower on genomes).",
)
@MODEL_OPTION
@DROP_UNKNOWN_OPTION
@VCF_ANNOTATIONS_OPTION
@errors_to_exit
def prioritize(
    vcf: str,
    hpo: tuple[str, ...],
    hpo_file: str | None,
    exclude: tuple[str, ...],
    phenopacket: str | None,
    sample: str | None,
    ped: str | None,
    sex: str | None,
    kb_path: Path | None,
    out_prefix: str | None,
    formats: str,
    top: int | None,
    all_records: bool,
    model_spec: str | None,
    drop_unknown_terms: bool,
    vcf_annotations: str,
) -> None:
    """Rank the variants of VCF ('-' for stdin; VCF or BCF, plain or bgzipped).

    \b
    Examples:
      varprio prioritize case.vcf.gz --hpo HP:0001156,HP:0000244 --out-prefix out/case
      bcftools view -Ou trio.bcf | varprio prioritize - --sample child --hpo-file terms.txt
      varprio prioritize trio.vcf.gz --ped trio.ped --hpo HP:0001250 --format tsv,html \\
        --out-prefix out/trio
      varprio prioritize case.vcf.gz --phenopacket case.json --top 20 > case.variants.tsv
    """
    skip_pandas_probe()
    from varprio.kb.load import open_kb
    from varprio.report.formats import check_formats

    fmts = split_csv((formats,))
    check_formats(fmts, to_stdout=out_prefix is None)
    kb = open_kb(kb_path)  # its tables are read while the rest of varprio is imported
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
        all_records=all_records,
        ped=ped,
        drop_unknown_terms=drop_unknown_terms,
        vcf_annotations=vcf_annotations == "use",
    )
    resources = pipeline.load_resources(kb, command(), model_spec)
    with writers.reusable_input(vcf, fmts) as source:
        request.vcf = source
        result = pipeline.run_case(resources, request)
        writers.write_case(result, resources, out_prefix, fmts, source=source)


@main.command()
@click.argument("manifest", type=click.Path())
@click.option(
    "--out-dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for <id>.variants.tsv, <id>.genes.tsv, ... (see --format), summary.tsv "
    "and, with json, results.jsonl (one line per case).",
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
    help="Comma-separated output formats: tsv, json, parquet, vcf, html.",
)
@click.option("--top", type=click.IntRange(min=1), help="Keep only the N best variants and genes.")
@click.option(
    "--resume",
    is_flag=True,
    help="Skip rows already done by an earlier run with the same settings (all their files "
    "present); rerun the rest.",
)
@click.option(
    "--cohort-frequency",
    is_flag=True,
    help="First count, over every row's VCF, the samples carrying each variant; add them as "
    "cohort_ac and cohort_hom columns.",
)
@click.option(
    "--vcf-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="With a directory of phenopackets: find each VCF by its file name here.",
)
@click.option(
    "--phenotype-only",
    is_flag=True,
    help="No VCFs: rank diseases and genes by phenotype alone (<id>.diseases.tsv, "
    "<id>.genes.tsv); the vcf column may be absent.",
)
@MODEL_OPTION
@DROP_UNKNOWN_OPTION
@VCF_ANNOTATIONS_OPTION
@errors_to_exit
def batch(
    manifest: str,
    out_dir: Path,
    jobs: int,
    kb_path: Path | None,
    formats: str,
    top: int | None,
    resume: bool,
    cohort_frequency: bool,
    vcf_dir: Path | None,
    phenotype_only: bool,
    model_spec: str | None,
    drop_unknown_terms: bool,
    vcf_annotations: str,
) -> None:
    """Prioritise every row of MANIFEST (TSV: id, vcf, hpo[, excluded, sample, sex, phenopacket,
    ped]).

    MANIFEST may also be a directory of phenopackets, one case per file (id: the file name;
    VCF: the files[] entry with fileAttributes.fileFormat VCF). One bad row is reported and
    does not stop the others; the exit code is 1 if any failed.

    \b
    Example manifest (tab-separated):
      id      vcf             hpo                     excluded
      case1   case1.vcf.gz    HP:0001156,HP:0000244   HP:0001249
    \b
    Example:
      varprio batch manifest.tsv --out-dir results -j 2
      varprio batch phenopackets/ --vcf-dir vcf/ --out-dir results --resume
      varprio batch terms.tsv --phenotype-only --out-dir results
    """
    skip_pandas_probe()
    from varprio.kb.load import open_kb
    from varprio.report.formats import check_formats

    check_formats(split_csv((formats,)))
    kb = open_kb(kb_path)  # its tables are read while the rest of varprio is imported
    from varprio import batch as batch_mod
    from varprio import pipeline

    resources = pipeline.load_resources(kb, command(), model_spec)
    failed = batch_mod.run_batch(
        Path(manifest), out_dir, resources, jobs, split_csv((formats,)), top,
        resume=resume, cohort_frequency=cohort_frequency, vcf_dir=vcf_dir,
        phenotype_only=phenotype_only, drop_unknown_terms=drop_unknown_terms,
        vcf_annotations=vcf_annotations == "use",
    )  # fmt: skip
    if failed:
        raise BatchFailure(f"{failed} row(s) failed; see {out_dir}/summary.tsv")
