"""Write one case's results in every requested format, each output atomic."""

from __future__ import annotations

from pathlib import Path

from varprio.errors import UsageError
from varprio.pipeline import CaseResult, Resources
from varprio.provenance import Provenance
from varprio.report.tsv import write_tsv

FORMATS = ("tsv",)


def check_formats(formats: list[str]) -> None:
    """Refuse unknown output formats before any work is done."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise UsageError(
            f"--format: unknown format(s) {', '.join(unknown) or '(none)'}; "
            f"expected a comma list of {', '.join(FORMATS)}"
        )


def provenance(res: Resources) -> Provenance:
    """The provenance of everything written with these resources."""
    return Provenance(res.command, res.kb.label, res.model_label)


def write_case(
    result: CaseResult, res: Resources, out_prefix: str | None, formats: list[str]
) -> None:
    """Write the case's outputs (the variant table to stdout when there is no prefix)."""
    prov = provenance(res)
    if out_prefix is None:
        write_tsv(result.variants, "-", prov)
        return
    if "tsv" in formats:
        write_tsv(result.variants, Path(f"{out_prefix}.variants.tsv"), prov)
        write_tsv(result.genes, Path(f"{out_prefix}.genes.tsv"), prov)


def top_hit(result: CaseResult) -> dict[str, str]:
    """The best gene and variant, for batch summaries."""
    if result.genes.num_rows == 0:
        return {"top_gene": "", "top_variant": "", "score": ""}
    row = result.genes.slice(0, 1).to_pylist()[0]
    return {
        "top_gene": row["gene"],
        "top_variant": row["top_variant"],
        "score": f"{row['score']:.6g}",
    }
