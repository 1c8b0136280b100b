"""Per-case results in PhEval's standardised result format (gene and variant TSVs).

As PhEval's ``post_processing`` wrote them (monarch-initiative/pheval, ``src/pheval/
post_processing/post_processing.py``; newer releases write the same columns to Parquet):

- ``pheval_gene_results/<id>-pheval_gene_result.tsv``: ``rank, score, gene_symbol,
  gene_identifier`` (HGNC ID, else the symbol);
- ``pheval_variant_results/<id>-pheval_variant_result.tsv``: ``rank, score, chromosome, start,
  end, ref, alt`` (chromosome without ``chr``; ``end = start + len(ref) - 1``; a variant in
  several genes takes its best score).

Rows are in descending score; tied scores share the worst rank of their group (PhEval's
current ``rank(method="max")``), so ties are never rewarded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from varprio.pipeline import CaseResult
from varprio.report.atomic import atomic_text

GENE_DIR, VARIANT_DIR = "pheval_gene_results", "pheval_variant_results"
GENE_HEADER = ("rank", "score", "gene_symbol", "gene_identifier")
VARIANT_HEADER = ("rank", "score", "chromosome", "start", "end", "ref", "alt")


def max_ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of each score (higher is better); ties take the worst rank of the tie."""
    order = np.sort(scores)
    return (len(scores) - np.searchsorted(order, scores, side="left")).astype(np.int64)


def _write(path: Path, header: tuple[str, ...], rows: list[tuple]) -> None:
    with atomic_text(path) as fh:
        fh.write("\t".join(header) + "\n")
        for row in rows:
            fh.write("\t".join(f"{x:.6g}" if isinstance(x, float) else str(x) for x in row))
            fh.write("\n")


def gene_rows(genes: pa.Table) -> list[tuple]:
    """(rank, score, symbol, identifier) per gene, best first."""
    score = pc.fill_null(genes["score"], 0.0).to_numpy()
    ident = pc.coalesce(genes["hgnc_id"], genes["gene"]).to_pylist()
    ranks = max_ranks(score)
    order = np.argsort(-score, kind="stable")
    symbols = genes["gene"].to_pylist()
    return [(int(ranks[i]), float(score[i]), symbols[i], ident[i]) for i in order]


def variant_rows(variants: pa.Table) -> list[tuple]:
    """(rank, score, chromosome, start, end, ref, alt) per distinct variant, best first."""
    cols = variants.select(["chrom", "pos", "ref", "alt", "score"]).to_pylist()
    best: dict[tuple, float] = {}
    for r in cols:
        key = (r["chrom"].removeprefix("chr"), r["pos"], r["ref"], r["alt"])
        best[key] = max(best.get(key, -np.inf), r["score"] if r["score"] is not None else 0.0)
    keys = list(best)
    score = np.array([best[k] for k in keys], dtype=np.float64)
    ranks = max_ranks(score)
    order = np.argsort(-score, kind="stable")
    out = []
    for i in order:
        chrom, pos, ref, alt = keys[i]
        out.append((int(ranks[i]), float(score[i]), chrom, pos, pos + len(ref) - 1, ref, alt))
    return out


def write_pheval(result: CaseResult, case_id: str, out_dir: Path) -> None:
    """Write the case's gene and variant results under ``out_dir``."""
    _write(out_dir / GENE_DIR / f"{case_id}-pheval_gene_result.tsv", GENE_HEADER,
           gene_rows(result.genes))  # fmt: skip
    _write(out_dir / VARIANT_DIR / f"{case_id}-pheval_variant_result.tsv", VARIANT_HEADER,
           variant_rows(result.variants))  # fmt: skip
