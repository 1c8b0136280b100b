"""Write one case's results in every requested format, all outputs atomic together.

``--format`` is a comma list of :data:`varprio.report.formats.FORMATS`; with
``--out-prefix PREFIX``:

- ``tsv``: ``PREFIX.variants.tsv``, ``PREFIX.genes.tsv`` (genes with ``matched_terms`` and
  ``excluded_terms`` for the top genes)
- ``json``: ``PREFIX.json`` (:mod:`varprio.report.json`)
- ``parquet``: ``PREFIX.variants.parquet``, ``PREFIX.genes.parquet``
- ``vcf``: ``PREFIX.vcf.gz`` and ``PREFIX.vcf.gz.tbi``, the input VCF annotated
- ``html``: ``PREFIX.html``, a self-contained page for a genetic counsellor

Every file of a case is written to a temporary name and renamed only when all formats
succeeded.  Without a prefix one of the ``STDOUT_FORMATS`` goes to stdout.  ``--format vcf``
reads the input twice: stdin ('-') is first spooled to a temporary file
(:func:`reusable_input`).
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa

from varprio import __version__
from varprio.errors import UsageError
from varprio.pipeline import CaseResult, Resources
from varprio.provenance import Provenance
from varprio.report import json as json_out
from varprio.report.atomic import AtomicFiles, atomic_files
from varprio.report.explain import CaseReport, case_report
from varprio.report.html import write_html
from varprio.report.parquet import write_parquet
from varprio.report.tsv import stream_tsv, write_tsv


@contextlib.contextmanager
def reusable_input(vcf: str, formats: list[str]) -> Iterator[str]:
    """The VCF path to read: stdin is spooled to a temporary file when ``vcf`` output needs
    the records a second time (error messages then name that file)."""
    if vcf != "-" or "vcf" not in formats:
        yield vcf
        return
    with tempfile.NamedTemporaryFile(prefix="varprio-stdin-") as tmp:
        shutil.copyfileobj(sys.stdin.buffer, tmp, 1 << 20)
        tmp.flush()
        yield tmp.name


def provenance(res: Resources) -> Provenance:
    """The provenance of everything written with these resources."""
    return Provenance(res.command, res.kb.label, res.model_label)


def _tsv_file(table: pa.Table, path: Path, prov: Provenance) -> None:
    with open(path, "wb") as fh:
        stream_tsv(table, prov, fh)


def _parquet(report: CaseReport, prefix: str, group: AtomicFiles) -> None:
    write_parquet(
        report.result.variants, group.path(Path(f"{prefix}.variants.parquet")), report.provenance
    )
    write_parquet(report.genes, group.path(Path(f"{prefix}.genes.parquet")), report.provenance)


def vcf_header_lines(report: CaseReport) -> list[str]:
    """``##varprio_*`` header lines of the annotated VCF."""
    prov = report.provenance
    items = [
        ("varprio_version", __version__),
        ("varprio_command", prov.command),
        ("varprio_kb", prov.kb),
        ("varprio_model", prov.model),
        ("varprio_sample", report.result.patient.sample),
    ]
    return [f"##{k}={' '.join(v.split())}" for k, v in items]


def _vcf(report: CaseReport, prefix: str, group: AtomicFiles, source: str | None) -> None:
    if source is None or source == "-":
        raise UsageError("--format vcf: the input VCF must be a file (not stdin) to annotate it")
    from varprio.report.vcf import ranked_info, write_annotated_vcf  # (pysam: 10 ms to import)

    final = Path(f"{prefix}.vcf.gz")
    tmp = group.path(final)
    info, descriptions = ranked_info(report.result.variants, report.result.genes)
    write_annotated_vcf(source, tmp, info, descriptions, vcf_header_lines(report))
    group.sidecar(Path(f"{tmp}.tbi"), Path(f"{final}.tbi"))


def write_case(
    result: CaseResult,
    res: Resources,
    out_prefix: str | None,
    formats: list[str],
    source: str | None = None,
    case_id: str | None = None,
    jsonl: Path | None = None,
) -> None:
    """Write the case's outputs (without a prefix: one table or document on stdout).

    Parameters
    ----------
    source
        The VCF the case was read from (needed by ``vcf``).
    case_id
        The batch manifest's ``id``, recorded in the JSON.
    jsonl
        Also write the JSON document as one line to this file (batch parts).
    """
    prov = provenance(res)
    if out_prefix is None:
        if formats == ["json"]:
            doc = json_out.case_document(case_report(result, res, prov, case_id))
            sys.stdout.write(json_out.dumps(doc))
            sys.stdout.flush()
        else:
            write_tsv(result.variants, "-", prov)
        return
    with atomic_files() as group, ThreadPoolExecutor(1) as pool:
        variants_tsv = None
        if "tsv" in formats:  # the largest file: written while the report is put together
            path = group.path(Path(f"{out_prefix}.variants.tsv"))
            variants_tsv = pool.submit(_tsv_file, result.variants, path, prov)
        report = case_report(result, res, prov, case_id)
        _write_files(report, out_prefix, formats, group, source, jsonl)
        if variants_tsv is not None:
            variants_tsv.result()


def _write_files(
    report: CaseReport, prefix: str, formats: list[str], group: AtomicFiles,
    source: str | None, jsonl: Path | None,
) -> None:  # fmt: skip
    """Every requested file but the variant TSV (:func:`write_case` writes that one)."""
    if "tsv" in formats:
        _tsv_file(report.genes, group.path(Path(f"{prefix}.genes.tsv")), report.provenance)
    if "json" in formats:
        doc = json_out.case_document(report)
        json_out.write_json(json_out.dumps(doc), group.path(Path(f"{prefix}.json")))
        if jsonl is not None:
            json_out.write_json(json_out.dumps_line(doc), group.path(jsonl))
    if "parquet" in formats:
        _parquet(report, prefix, group)
    if "vcf" in formats:
        _vcf(report, prefix, group, source)
    if "html" in formats:
        write_html(report, group.path(Path(f"{prefix}.html")))


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
