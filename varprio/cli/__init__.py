"""Command line: parse options, set up logging, call one stage, map errors to exit codes.

Each module registers its commands on :data:`main` when imported.
"""

from varprio.cli import annotate, kb, model, phenotype, prioritize  # noqa: F401  (registers the commands)
from varprio.cli.common import main

__all__ = ["main"]
