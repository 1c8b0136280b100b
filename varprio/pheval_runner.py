"""Run varprio under PhEval (monarch-initiative/pheval) and convert its results.

PhEval lays a corpus out as ``<testdata>/phenopackets/*.json`` and ``<testdata>/vcf/*.vcf.gz``
(each phenopacket's ``files[]`` VCF entry names its file); a runner's ``run`` writes the tool's
raw output to ``<output>/raw_results/`` and ``post_process`` turns it into PhEval's
standardised results (``pheval.post_processing.validate_result_format.ResultSchema``):

- genes: ``gene_symbol`` (string), ``gene_identifier`` (string, HGNC ID), ``score`` (float64)
- variants: ``chrom`` (string, no ``chr``), ``start``, ``end`` (int64, ``end = start +
  len(ref) - 1``), ``ref``, ``alt`` (string), ``score`` (float64)

which PhEval ranks (descending score), classifies against the phenopackets' diagnoses and
writes as ``pheval_{gene,variant}_results/<phenopacket stem>-{gene,variant}_result.parquet``.

PhEval is not a dependency of varprio (it pins an older pyarrow): :class:`VarprioPhEvalRunner`
is usable where pheval is installed (``pip install pheval``, registered as the ``varprio``
plugin through the ``pheval.plugins`` entry point); :func:`run_corpus` and the converters work
without it and write the standardised tables as TSV when PhEval's writers are absent.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from varprio import batch, pipeline
from varprio.errors import InputError
from varprio.report.atomic import atomic_text

log = logging.getLogger(__name__)

GENE_RESULT_SCHEMA = pa.schema(
    [("gene_symbol", pa.string()), ("gene_identifier", pa.string()), ("score", pa.float64())]
)
VARIANT_RESULT_SCHEMA = pa.schema(
    [("chrom", pa.string()), ("start", pa.int64()), ("end", pa.int64()), ("ref", pa.string()),
     ("alt", pa.string()), ("score", pa.float64())]
)  # fmt: skip


def read_varprio_tsv(path: Path) -> pa.Table:
    """A varprio ``.variants.tsv`` or ``.genes.tsv`` (provenance lines skipped, ``.`` null)."""
    try:
        with open(path, encoding="utf-8") as fh:
            skip = 0
            for line in fh:
                if not line.startswith("##"):
                    break
                skip += 1
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(skip_rows=skip),
            parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False),
            convert_options=pacsv.ConvertOptions(
                null_values=["."], strings_can_be_null=True,
                column_types={"chrom": pa.string(), "ref": pa.string(), "alt": pa.string(),
                              "gene": pa.string(), "hgnc_id": pa.string()},
            ),
        )  # fmt: skip
    except (OSError, pa.ArrowInvalid) as exc:
        raise InputError(f"{path}: cannot read as a varprio table ({exc})") from exc


def gene_results(genes: pa.Table) -> pa.Table:
    """PhEval's standardised gene results from varprio's gene table (rows without a gene out)."""
    genes = genes.filter(pc.is_valid(genes["gene"]))
    return pa.table(
        [genes["gene"], pc.coalesce(genes["hgnc_id"], genes["gene"]),
         pc.fill_null(pc.cast(genes["score"], pa.float64()), 0.0)],
        schema=GENE_RESULT_SCHEMA,
    )  # fmt: skip


def variant_results(variants: pa.Table) -> pa.Table:
    """PhEval's standardised variant results: one row per allele (its best-scored gene row)."""
    chrom = pc.replace_substring_regex(variants["chrom"], "^chr", "")
    start = pc.cast(variants["pos"], pa.int64())
    end = pc.add(start, pc.subtract(pc.cast(pc.utf8_length(variants["ref"]), pa.int64()), 1))
    score = pc.fill_null(pc.cast(variants["score"], pa.float64()), 0.0)
    table = pa.table([chrom, start, end, variants["ref"], variants["alt"], score],
                     schema=VARIANT_RESULT_SCHEMA)  # fmt: skip
    key = pc.binary_join_element_wise(chrom, pc.cast(start, pa.string()), table["ref"],
                                      table["alt"], "-")  # fmt: skip
    # rows come ranked best first: keep each allele's first row
    first = pc.is_in(pa.array(range(table.num_rows)), value_set=_first_rows(key))
    return table.filter(first)


def _first_rows(key: pa.ChunkedArray) -> pa.Array:
    seen: dict[str, int] = {}
    for i, k in enumerate(key.to_pylist()):
        seen.setdefault(k, i)
    return pa.array(sorted(seen.values()), pa.int64())


def run_corpus(
    testdata_dir: Path,
    raw_dir: Path,
    resources: pipeline.Resources,
    jobs: int = 1,
    resume: bool = True,
) -> int:
    """``varprio batch`` over a PhEval corpus; returns the number of failed cases.

    HPO IDs unknown to the knowledge base (corpora are often annotated with a newer HPO
    release) are dropped with a warning rather than failing the case.
    """
    phenopackets, vcf_dir = testdata_dir / "phenopackets", testdata_dir / "vcf"
    if not phenopackets.is_dir():
        raise InputError(f"{testdata_dir}: no phenopackets/ directory (a PhEval corpus)")
    return batch.run_batch(
        phenopackets, raw_dir, resources, jobs, ["tsv"], None, resume=resume,
        vcf_dir=vcf_dir if vcf_dir.is_dir() else None, drop_unknown_terms=True,
    )  # fmt: skip


def standardised_results(raw_dir: Path) -> dict[str, tuple[pa.Table, pa.Table]]:
    """Each case's (gene, variant) standardised results, by id (the phenopacket's stem)."""
    out = {}
    for genes_path in sorted(raw_dir.glob("*.genes.tsv")):
        case_id = genes_path.name[: -len(".genes.tsv")]
        variants = read_varprio_tsv(raw_dir / f"{case_id}.variants.tsv")
        out[case_id] = (gene_results(read_varprio_tsv(genes_path)), variant_results(variants))
    return out


def write_standardised(raw_dir: Path, output_dir: Path, phenopacket_dir: Path) -> None:
    """PhEval's result files through PhEval's own writers, or TSVs of the standardised tables."""
    results = standardised_results(raw_dir)
    try:
        import polars as pl
        from pheval.post_processing.post_processing import (
            SortOrder,
            generate_gene_result,
            generate_variant_result,
        )
    except ImportError:
        log.warning("pheval not installed: writing the standardised tables as TSV only")
        for name, index in (("gene", 0), ("variant", 1)):
            folder = output_dir / f"pheval_{name}_results"
            folder.mkdir(parents=True, exist_ok=True)
            for case_id, tables in results.items():
                _write_plain_tsv(tables[index], folder / f"{case_id}-{name}_result.tsv")
        return
    for case_id, (genes, variants) in results.items():
        for table, write in ((genes, generate_gene_result), (variants, generate_variant_result)):
            write(pl.from_arrow(table), SortOrder.DESCENDING, output_dir, Path(f"{case_id}.tsv"),
                  phenopacket_dir)  # fmt: skip


def _write_plain_tsv(table: pa.Table, path: Path) -> None:
    with atomic_text(path) as fh:
        fh.write("\t".join(table.column_names) + "\n")
        for row in table.to_pylist():
            fh.write("\t".join("." if v is None else str(v) for v in row.values()) + "\n")


try:  # PhEval is optional
    from pheval.runners.runner import PhEvalRunner as _Base
except ImportError:  # pragma: no cover - exercised where pheval is absent
    _Base = object  # type: ignore[misc,assignment]


class VarprioPhEvalRunner(_Base):  # type: ignore[misc,valid-type]
    """PhEval runner: ``input_dir`` is a varprio knowledge base (``varprio kb build``)."""

    input_dir: Path
    testdata_dir: Path
    output_dir: Path
    raw_results_dir: Path

    def prepare(self) -> None:
        """Nothing to prepare: varprio reads phenopackets and VCFs as they are."""

    def run(self) -> None:
        """Rank every case of the corpus into ``raw_results/``."""
        res = pipeline.load_resources(Path(self.input_dir), "varprio pheval-run")
        run_corpus(Path(self.testdata_dir), Path(self.raw_results_dir), res, jobs=_jobs(self))

    def post_process(self) -> None:
        """Write PhEval's standardised gene and variant results."""
        write_standardised(
            Path(self.raw_results_dir), Path(self.output_dir),
            Path(self.testdata_dir) / "phenopackets",
        )  # fmt: skip


def _jobs(runner: Any) -> int:
    config = getattr(runner, "input_dir_config", None)
    tool_config = getattr(config, "tool_specific_configuration_options", None) or {}
    return int(tool_config.get("jobs", 1)) if isinstance(tool_config, dict) else 1
