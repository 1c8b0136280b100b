"""``varprio phenotype``: rank diseases and genes by phenotype alone (no VCF)."""

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
    split_csv,
)


@main.command()
@PHENOTYPE_OPTIONS
@KB_OPTION
@click.option(
    "--out-prefix",
    help="Write PREFIX.diseases.tsv and PREFIX.genes.tsv [default: the gene table on stdout].",
)
@click.option("--top", type=click.IntRange(min=1), help="Keep only the N best diseases and genes.")
@DROP_UNKNOWN_OPTION
@errors_to_exit
def phenotype(
    hpo: tuple[str, ...],
    hpo_file: str | None,
    exclude: tuple[str, ...],
    phenopacket: str | None,
    kb_path: Path | None,
    out_prefix: str | None,
    top: int | None,
    drop_unknown_terms: bool,
) -> None:
    """Rank every disease and gene by how well it explains the phenotype (no VCF needed).

    \b
    Examples:
      varprio phenotype --hpo HP:0001166,HP:0001083,HP:0002616 --top 20
      varprio phenotype --phenopacket case.json --out-prefix out/case
    """
    from varprio import pipeline
    from varprio.phenotype_only import rank_phenotype
    from varprio.report.tsv import write_tsv
    from varprio.report.writers import provenance

    request = pipeline.CaseRequest(
        vcf="", hpo=split_csv(hpo), hpo_file=hpo_file, exclude=split_csv(exclude),
        phenopacket=phenopacket, sample=None, sex=None, top=top,
        drop_unknown_terms=drop_unknown_terms,
    )  # fmt: skip
    resources = pipeline.load_resources(kb_path, command())
    result = rank_phenotype(resources, request)
    prov = provenance(resources)
    if out_prefix is None:
        write_tsv(result.genes, "-", prov)
        return
    write_tsv(result.diseases, Path(f"{out_prefix}.diseases.tsv"), prov)
    write_tsv(result.genes, Path(f"{out_prefix}.genes.tsv"), prov)
