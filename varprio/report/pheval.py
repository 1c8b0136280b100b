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


def _fmt(values: np.ndarray) -> pa.Array:
    """Scores as text with 6 significant digits."""
    return pa.array([f"{v:.6g}" for v in values.tolist()], pa.string())


def _write(path: Path, header: tuple[str, ...], columns: list[pa.Array]) -> None:
    lines = pc.binary_join_element_wise(*[pc.cast(c, pa.string()) for c in columns], "\t")
    with atomic_text(path) as fh:
        fh.write("\t".join(header) + "\n")
        if len(lines):
            fh.write("\n".join(lines.to_pylist()) + "\n")


def gene_columns(genes: pa.Table) -> list[pa.Array]:
    """rank, score, gene_symbol, gene_identifier: one row per gene, best first."""
    score = pc.fill_null(pc.cast(genes["score"], pa.float64()), 0.0).to_numpy()
    order = pa.array(np.argsort(-score, kind="stable"))
    ident = pc.coalesce(genes["hgnc_id"], genes["gene"])
    return [pa.array(max_ranks(score)).take(order), _fmt(score).take(order),
            genes["gene"].take(order), ident.take(order)]  # fmt: skip


def variant_columns(variants: pa.Table) -> list[pa.Array]:
    """rank, score, chromosome, start, end, ref, alt: one row per variant (its best score)."""
    keys = pc.binary_join_element_wise(
        variants["chrom"], pc.cast(variants["pos"], pa.string()), variants["ref"],
        variants["alt"], ":",
    ).to_numpy(zero_copy_only=False)  # fmt: skip
    uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    score = np.full(len(uniq), -np.inf)
    np.maximum.at(score, inverse, pc.fill_null(variants["score"], 0.0).to_numpy())
    order = np.argsort(-score, kind="stable")
    rows = variants.take(pa.array(first[order]))
    start = pc.cast(rows["pos"], pa.int64())
    end = pc.subtract(pc.add(start, pc.utf8_length(rows["ref"])), 1)
    chrom = pc.replace_substring_regex(rows["chrom"], "^chr", "")
    return [pa.array(max_ranks(score)[order]), _fmt(score[order]), chrom, start, end,
            rows["ref"], rows["alt"]]  # fmt: skip


def write_pheval(result: CaseResult, case_id: str, out_dir: Path) -> None:
    """Write the case's gene and variant results under ``out_dir``."""
    _write(out_dir / GENE_DIR / f"{case_id}-pheval_gene_result.tsv", GENE_HEADER,
           gene_columns(result.genes))  # fmt: skip
    _write(out_dir / VARIANT_DIR / f"{case_id}-pheval_variant_result.tsv", VARIANT_HEADER,
           variant_columns(result.variants))  # fmt: skip
