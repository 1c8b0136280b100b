"""The output formats of ``prioritize`` and ``batch``, checked before any work (this module
imports nothing heavy, so the check comes before the knowledge base is opened)."""

from __future__ import annotations

from varprio.errors import UsageError

FORMATS = ("tsv", "json", "parquet", "vcf", "html")
STDOUT_FORMATS = ("tsv", "json")


def check_formats(formats: list[str], to_stdout: bool = False) -> None:
    """Refuse unknown output formats (and, for stdout, more than one) before any work."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise UsageError(
            f"--format: unknown format(s) {', '.join(unknown) or '(none)'}; "
            f"expected a comma list of {', '.join(FORMATS)}"
        )
    if to_stdout and (len(set(formats)) > 1 or formats[0] not in STDOUT_FORMATS):
        raise UsageError(
            f"--format {','.join(formats)}: needs --out-prefix; without it one of "
            f"{', '.join(STDOUT_FORMATS)} is written to stdout"
        )
