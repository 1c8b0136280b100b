"""The click group, logging set-up, error mapping and options shared by every command."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import sys
import traceback
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from varprio import __version__
from varprio.errors import INTERNAL_ERROR_EXIT, INTERRUPTED_EXIT, VarprioError
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


def errors_to_exit(func: F) -> F:
    """Map failures to exit codes (see docs/errors.md).

    A VarprioError is one line on stderr and its code; Ctrl-C exits 130; any other exception
    is a bug: its traceback, one line asking for a report, and exit 70.  Click's own
    exceptions (usage errors, ``--help``) pass through to click.
    """

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
        except KeyboardInterrupt:
            click.echo("varprio: interrupted", err=True)
            sys.exit(INTERRUPTED_EXIT)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception:
            traceback.print_exc(file=sys.stderr)
            click.echo("varprio: internal error: please report it with the command line", err=True)
            sys.exit(INTERNAL_ERROR_EXIT)

    return wrapper  # type: ignore[return-value]


def split_csv(values: tuple[str, ...]) -> list[str]:
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


def command() -> str:
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
    _use_jemalloc()
    _fewer_gc_passes()


def _fewer_gc_passes() -> None:
    """A genome's per-row string arrays (IDs, words) create millions of Python objects, none in
    reference cycles: with the default threshold (700) the collector runs thousands of times
    for nothing (genome 5.6-6.3 s -> 5.1-5.4 s with 100,000; docs/performance.md)."""
    gc.set_threshold(100_000, 50, 100)


class _NoPandas:
    """A meta-path finder that makes ``import pandas`` fail (see :func:`skip_pandas_probe`)."""

    @staticmethod
    def find_spec(name: str, path: object = None, target: object = None) -> None:
        if name == "pandas":
            raise ModuleNotFoundError("pandas import skipped", name="pandas")


def skip_pandas_probe() -> None:
    """pyarrow imports pandas on its first conversion of a NumPy array or Python list, only to
    check whether the input is a pandas object: 0.25-0.45 s, an eighth of an exome's run.  Make
    those first conversions with the import failing, so they settle for "no pandas objects".

    For commands that never hand pandas objects to pyarrow (``prioritize``, ``batch``):
    ``import pandas``, ``to_pandas()`` and ``Table.from_pandas()`` still work afterwards, but
    ``pa.array(series)`` no longer reads NaN as missing.
    """
    import numpy as np
    import pyarrow as pa

    if "pandas" in sys.modules:  # already imported: nothing to save
        return
    sys.meta_path.insert(0, _NoPandas)  # type: ignore[arg-type]
    try:
        pa.array(np.zeros(1))
        pa.array([0, None])
    finally:
        sys.meta_path.remove(_NoPandas)  # type: ignore[arg-type]


def _use_jemalloc() -> None:
    """Arrow's jemalloc pool returns freed memory sooner than its default mimalloc here:
    a genome's peak RSS measured 0.93 GB instead of 1.11 GB (docs/performance.md)."""
    import pyarrow as pa

    if "ARROW_DEFAULT_MEMORY_POOL" in os.environ:  # the user's choice wins
        return
    with contextlib.suppress(NotImplementedError):  # a pyarrow built without jemalloc
        pa.set_memory_pool(pa.jemalloc_memory_pool())


KB_OPTION = click.option(
    "--kb",
    "kb_path",
    type=click.Path(path_type=Path),
    envvar="VARPRIO_KB",
    help="Knowledge-base directory [default: the installed default one; env VARPRIO_KB].",
)


DROP_UNKNOWN_OPTION = click.option(
    "--drop-unknown-terms",
    is_flag=True,
    help="Drop HPO IDs the knowledge base's ontology does not know (e.g. from a newer HPO "
    "release) with a warning, instead of stopping with an error.",
)


def PHENOTYPE_OPTIONS(func: F) -> F:  # noqa: N802  (used as a decorator, like KB_OPTION)
    """The patient's phenotype: --hpo, --hpo-file, --exclude, --phenopacket."""
    options = [
        click.option("--hpo", multiple=True,
                     help="Observed HPO term IDs, comma-separated; repeatable."),
        click.option("--hpo-file", type=click.Path(dir_okay=False),
                     help="File of HPO IDs, one per line ('#' comments)."),
        click.option("--exclude", multiple=True,
                     help="Excluded (absent) HPO term IDs, comma-separated."),
        click.option("--phenopacket", type=click.Path(dir_okay=False),
                     help="GA4GH Phenopacket v2 (JSON or YAML): observed and excluded terms, sex."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func
