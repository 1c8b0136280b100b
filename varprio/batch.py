"""``varprio batch``: many cases from a manifest, the knowledge base loaded once.

Manifest: tab-separated with a header row; columns ``id``, ``vcf``, ``hpo`` (comma-separated)
and optionally ``excluded``, ``sample``, ``sex``, ``phenopacket``. Relative paths are relative to
the manifest's directory. Example::

    id      vcf             hpo                     excluded
    case1   case1.vcf.gz    HP:0001156,HP:0000244   HP:0001249
"""

from __future__ import annotations

import csv
import logging
import multiprocessing
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from varprio import pipeline
from varprio.errors import InputError, VarprioError
from varprio.report import writers
from varprio.report.tsv import write_tsv

log = logging.getLogger(__name__)

REQUIRED = ("id", "vcf", "hpo")
OPTIONAL = ("excluded", "sample", "sex", "phenopacket", "ped")
SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
SUMMARY_COLUMNS = ("id", "status", "top_gene", "top_variant", "score", "seconds", "error")


@dataclass
class Row:
    """One manifest row, validated."""

    line: int
    id: str
    request: pipeline.CaseRequest | None
    error: str | None = None


def read_manifest(path: Path) -> list[Row]:
    """Parse and validate the manifest; rows with a bad value carry their error."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            lines = [ln for ln in fh if ln.strip() and not ln.startswith("##")]
    except OSError as exc:
        raise InputError(f"{path}: cannot read the manifest ({exc.strerror})") from exc
    reader = csv.DictReader(lines, delimiter="\t")
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError(
            f"{path}: line 1: header lacks column(s) {', '.join(missing)}; "
            f"expected {', '.join(REQUIRED)} and optionally {', '.join(OPTIONAL)}"
        )
    rows: list[Row] = []
    seen: set[str] = set()
    for n, rec in enumerate(reader, start=2):
        rows.append(_row(path, n, {k: (v or "").strip() for k, v in rec.items() if k}, seen))
    return rows


def _row(path: Path, line: int, rec: dict[str, str], seen: set[str]) -> Row:
    case_id = rec["id"]
    where = f"{path}: line {line}"
    if not SAFE_ID.match(case_id):
        return Row(line, case_id, None, f"{where}: id {case_id!r} must be letters, digits, . _ -")
    if case_id in seen:
        return Row(line, case_id, None, f"{where}: duplicate id {case_id}")
    seen.add(case_id)
    if rec.get("ped"):
        return Row(line, case_id, None, f"{where}: ped: PED files are not supported yet")

    def resolve(value: str) -> str | None:
        if not value:
            return None
        return value if value == "-" else str((path.parent / value).resolve())

    request = pipeline.CaseRequest(
        vcf=resolve(rec["vcf"]) or "",
        hpo=_csv(rec["hpo"]),
        hpo_file=None,
        exclude=_csv(rec.get("excluded", "")),
        phenopacket=resolve(rec.get("phenopacket", "")),
        sample=rec.get("sample") or None,
        sex=rec.get("sex") or None,
        top=None,
    )
    if not request.vcf:
        return Row(line, case_id, None, f"{where}: vcf: empty; expected a VCF path")
    return Row(line, case_id, request)


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


_RESOURCES: pipeline.Resources | None = None  # set in the parent before forking workers


def _run_row(args: tuple[Row, Path, list[str], int | None]) -> dict[str, str]:
    row, out_dir, formats, top = args
    start = time.perf_counter()
    summary = dict.fromkeys(SUMMARY_COLUMNS, "")
    summary["id"] = row.id
    try:
        if row.request is None:
            raise InputError(row.error or "invalid row")
        assert _RESOURCES is not None
        row.request.top = top
        result = pipeline.run_case(_RESOURCES, row.request)
        writers.write_case(result, _RESOURCES, str(out_dir / row.id), formats)
        summary.update(status="ok", **writers.top_hit(result))
    except VarprioError as exc:
        log.error("%s: %s", row.id, exc)
        summary.update(status="failed", error=str(exc))
    summary["seconds"] = f"{time.perf_counter() - start:.2f}"
    return summary


def run_batch(
    manifest: Path,
    out_dir: Path,
    resources: pipeline.Resources,
    jobs: int,
    formats: list[str],
    top: int | None,
) -> int:
    """Run every row, write ``summary.tsv``; return the number of failed rows."""
    global _RESOURCES
    rows = read_manifest(manifest)
    out_dir.mkdir(parents=True, exist_ok=True)
    _RESOURCES = resources
    tasks = [(r, out_dir, formats, top) for r in rows]
    if jobs > 1 and len(rows) > 1:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            results = pool.map(_run_row, tasks, chunksize=1)
    else:
        results = [_run_row(t) for t in tasks]
    table = pa.table({c: [r[c] for r in results] for c in SUMMARY_COLUMNS})
    write_tsv(table, out_dir / "summary.tsv", writers.provenance(resources))
    return sum(r["status"] != "ok" for r in results)
