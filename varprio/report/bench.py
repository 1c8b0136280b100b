"""Benchmark outputs: ``summary.json``, ``summary.md`` and ``cases.tsv`` (all atomic)."""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from varprio.benchmark import RANKINGS, TOP_K, CaseRanks
from varprio.report.atomic import atomic_text

_LABELS = {
    "model": "chosen ranker (score)",
    "transparent": "transparent ranker",
    "phenotype": "phenotype only (variants of a gene tie)",
}


def _cell(value: Any) -> str:
    if value is None:
        return "."
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def summary_markdown(summary: dict[str, float], meta: dict[str, Any]) -> str:
    """A Markdown table: one row per ranking and level, top-k percentages and MRR."""
    lines = ["# varprio benchmark", ""]
    lines += [f"- {k}: {_cell(v)}" for k, v in meta.items()]
    head = " | ".join(f"top-{k}" for k in TOP_K)
    lines += ["", f"| ranking | level | {head} | MRR |", "|---|---|" + "---|" * (len(TOP_K) + 1)]
    for name in RANKINGS:
        prefix = "" if name == "model" else f"{name}_"
        for level in ("gene", "variant"):
            tops = " | ".join(f"{100 * summary[f'{prefix}{level}_top{k}']:.1f} %" for k in TOP_K)
            mrr = summary[f"{prefix}{level}_mrr"]
            lines.append(f"| {_LABELS[name]} | {level} | {tops} | {mrr:.3f} |")
    lines.append("")
    lines.append(f"{int(summary['n_cases'])} cases; ranks are pessimistic (ties count against).")
    if "mean_top_probability" in summary:
        lines.append(
            f"Mean calibrated probability of the top-ranked variant: "
            f"{summary['mean_top_probability']:.3f} (observed variant top-1: "
            f"{summary['variant_top1']:.3f})."
        )
    return "\n".join(lines) + "\n"


def write_benchmark(
    out: Path, ranks: list[CaseRanks], summary: dict[str, float], meta: dict[str, Any]
) -> None:
    """Write the three summary files into ``out``."""
    with atomic_text(out / "summary.json") as fh:
        fh.write(json.dumps({"meta": meta, "summary": summary}, indent=2, sort_keys=True) + "\n")
    with atomic_text(out / "summary.md") as fh:
        fh.write(summary_markdown(summary, meta))
    names = [f.name for f in fields(CaseRanks)]
    with atomic_text(out / "cases.tsv") as fh:
        fh.write("\t".join(names) + "\n")
        for r in ranks:
            row = asdict(r)
            fh.write("\t".join(_cell(row[n]) for n in names) + "\n")
