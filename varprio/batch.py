"""``varprio batch``: many cases from a manifest, the knowledge base loaded once.

Manifest: tab-separated with a header row; columns ``id``, ``vcf``, ``hpo`` (comma-separated)
and optionally ``excluded``, ``sample``, ``sex``, ``phenopacket``, ``ped``. Relative paths are
relative to the manifest's directory. Example::

    id      vcf             hpo                     excluded
    case1   case1.vcf.gz    HP:0001156,HP:0000244   HP:0001249

Several families in one multi-sample VCF and PED: one row per family, each naming its
proband in ``sample`` (the relatives come from the PED)::

    id      vcf             hpo          ped          sample
    fam1    cohort.vcf.gz   HP:0001250   cohort.ped   kid1
    fam2    cohort.vcf.gz   HP:0004322   cohort.ped   kid2

The manifest may also be a directory of GA4GH phenopackets (``*.json``, ``*.yaml``), one case
per file: the id is the file name without its extension, the VCF the phenopacket's ``files[]``
entry whose ``fileAttributes.fileFormat`` is VCF (looked up by file name in ``vcf_dir`` when
given, as PhEval lays out its corpora).

Each finished row leaves a hidden marker ``OUT/.<id>.done`` (its summary, the settings it ran
with and its ``results.jsonl`` line), written after its outputs: ``resume`` skips rows whose
marker matches this run's settings and whose every output file exists.
"""

from __future__ import annotations

import csv
import json
import logging
import multiprocessing
import re
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from varprio import cohort as cohort_mod
from varprio import pipeline
from varprio.errors import InputError, OutputError, UsageError, VarprioError
from varprio.phenotype_only import rank_phenotype
from varprio.provenance import Provenance
from varprio.report import json as json_out
from varprio.report import writers
from varprio.report.atomic import atomic_text
from varprio.report.tsv import write_tsv

log = logging.getLogger(__name__)

REQUIRED = ("id", "vcf", "hpo")
OPTIONAL = ("excluded", "sample", "sex", "phenopacket", "ped")
SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
SUMMARY_COLUMNS = (
    "id", "status", "top_gene", "top_variant", "score", "probability", "seconds", "error",
)  # fmt: skip
PHENOPACKET_SUFFIXES = (".json", ".yaml", ".yml")
PHENOTYPE_ONLY = "phenotype"  # the pseudo-format of --phenotype-only
#: Files each output format writes per case (``vcf``'s ``.tbi`` is optional: unsorted input).
FORMAT_FILES = {
    "tsv": (".variants.tsv", ".genes.tsv"),
    "json": (".json",),
    "parquet": (".variants.parquet", ".genes.parquet"),
    "vcf": (".vcf.gz",),
    "html": (".html",),
    PHENOTYPE_ONLY: (".diseases.tsv", ".genes.tsv"),  # --phenotype-only: no VCF needed
}


@dataclass
class Row:
    """One manifest row, validated."""

    line: int
    id: str
    request: pipeline.CaseRequest | None
    error: str | None = None


def read_manifest(
    path: Path, vcf_dir: Path | None = None, phenotype_only: bool = False
) -> list[Row]:
    """Parse and validate the manifest (a TSV or a directory of phenopackets).

    Rows with a bad value carry their error; ``vcf_dir`` only applies to phenopackets; with
    ``phenotype_only`` the ``vcf`` column may be absent or empty.
    """
    if path.is_dir():
        return read_phenopacket_dir(path, vcf_dir)
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            lines = [ln for ln in fh if ln.strip() and not ln.startswith("##")]
    except OSError as exc:
        raise InputError(f"{path}: cannot read the manifest ({exc.strerror})") from exc
    reader = csv.DictReader(lines, delimiter="\t")
    header = reader.fieldnames or []
    required = [c for c in REQUIRED if not (phenotype_only and c == "vcf")]
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(
            f"{path}: line 1: header lacks column(s) {', '.join(missing)}; "
            f"expected {', '.join(REQUIRED)} and optionally {', '.join(OPTIONAL)}"
        )
    rows: list[Row] = []
    seen: set[str] = set()
    for n, rec in enumerate(reader, start=2):
        values = {k: (v or "").strip() for k, v in rec.items() if k}
        rows.append(_row(path, n, values, seen, phenotype_only))
    return rows


def _row(
    path: Path, line: int, rec: dict[str, str], seen: set[str], phenotype_only: bool = False
) -> Row:
    case_id = rec["id"]
    where = f"{path}: line {line}"
    if not SAFE_ID.match(case_id):
        return Row(line, case_id, None, f"{where}: id {case_id!r} must be letters, digits, . _ -")
    if case_id in seen:
        return Row(line, case_id, None, f"{where}: duplicate id {case_id}")
    seen.add(case_id)

    def resolve(value: str) -> str | None:
        if not value:
            return None
        return value if value == "-" else str((path.parent / value).resolve())

    request = pipeline.CaseRequest(
        vcf=resolve(rec.get("vcf", "")) or "",
        hpo=_csv(rec["hpo"]),
        hpo_file=None,
        exclude=_csv(rec.get("excluded", "")),
        phenopacket=resolve(rec.get("phenopacket", "")),
        sample=rec.get("sample") or None,
        sex=rec.get("sex") or None,
        top=None,
        ped=resolve(rec.get("ped", "")),
    )
    if not request.vcf and not phenotype_only:
        return Row(line, case_id, None, f"{where}: vcf: empty; expected a VCF path")
    return Row(line, case_id, request)


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def read_phenopacket_dir(directory: Path, vcf_dir: Path | None = None) -> list[Row]:
    """One row per phenopacket in ``directory`` (sorted by file name)."""
    files = sorted(
        p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in PHENOPACKET_SUFFIXES
    )
    if not files:
        raise InputError(f"{directory}: no phenopackets (*.json, *.yaml) in this directory")
    rows: list[Row] = []
    seen: set[str] = set()
    for n, file in enumerate(files, start=1):
        case_id = file.name[: -len(file.suffix)]
        if not SAFE_ID.match(case_id) or case_id in seen:
            rows.append(Row(n, case_id, None, f"{file}: file name must give a unique safe id"))
            continue
        seen.add(case_id)
        try:
            vcf = phenopacket_vcf(file, vcf_dir)
        except InputError as exc:
            rows.append(Row(n, case_id, None, str(exc)))
            continue
        request = pipeline.CaseRequest(
            vcf=vcf, hpo=[], hpo_file=None, exclude=[], phenopacket=str(file.resolve()),
            sample=None, sex=None, top=None,
        )  # fmt: skip
        rows.append(Row(n, case_id, request))
    return rows


def phenopacket_vcf(path: Path, vcf_dir: Path | None = None) -> str:
    """The VCF of a phenopacket: its ``files[]`` entry with ``fileAttributes.fileFormat`` VCF.

    The URI (``file://`` or a path) is resolved against the phenopacket's directory; with
    ``vcf_dir``, the file of that name in ``vcf_dir`` is used instead.
    """
    try:
        text = path.read_text(encoding="utf-8")
        doc = yaml.safe_load(text) if path.suffix.lower() != ".json" else json.loads(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise InputError(f"{path}: cannot read the phenopacket ({exc})") from exc
    files = doc.get("files") if isinstance(doc, dict) else None
    for i, entry in enumerate(files if isinstance(files, list) else []):
        attrs = entry.get("fileAttributes") if isinstance(entry, dict) else None
        fmt = str((attrs or {}).get("fileFormat", "")).lower()
        if fmt != "vcf":
            continue
        uri = str(entry.get("uri") or "")
        if not uri:
            raise InputError(f"{path}: files[{i}].uri: empty; expected the VCF's path")
        local = Path(urllib.parse.unquote(urllib.parse.urlparse(uri).path))
        if vcf_dir is not None:
            return str((vcf_dir / local.name).resolve())
        return str((path.parent / local).resolve())
    raise InputError(f"{path}: files: no entry with fileAttributes.fileFormat VCF")


_RESOURCES: pipeline.Resources | None = None  # set in the parent before forking workers
_COHORT: pa.Table | None = None  # carrier counts of --cohort-frequency, likewise


@dataclass
class _Task:
    """One row to run, with what its outputs and marker need."""

    row: Row
    out_dir: Path
    formats: list[str]
    settings: dict[str, Any] = field(default_factory=dict)


def _part(out_dir: Path, case_id: str) -> Path:
    """A worker's ``results.jsonl`` line, moved into the row's marker once it is done."""
    return out_dir / f".{case_id}.jsonl.part"


def _marker(out_dir: Path, case_id: str) -> Path:
    """Written last for a row that succeeded: its summary, settings and JSON line."""
    return out_dir / f".{case_id}.done"


def output_files(out_dir: Path, case_id: str, formats: list[str]) -> list[Path]:
    """Every file a row writes for ``formats``."""
    return [out_dir / f"{case_id}{suffix}" for f in formats for suffix in FORMAT_FILES[f]]


def completed(
    out_dir: Path, case_id: str, formats: list[str], settings: dict[str, Any]
) -> dict[str, Any] | None:
    """The marker of a row done with these settings whose outputs all exist, else None."""
    try:
        doc = json.loads(_marker(out_dir, case_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("settings") != settings:
        return None
    if not all(p.exists() for p in output_files(out_dir, case_id, formats)):
        return None
    return doc


def _mark_done(task: _Task, summary: dict[str, str]) -> None:
    part = _part(task.out_dir, task.row.id)
    line = part.read_text(encoding="utf-8") if "json" in task.formats else None
    doc = {"settings": task.settings, "summary": summary, "jsonl": line}
    with atomic_text(_marker(task.out_dir, task.row.id)) as fh:
        fh.write(json.dumps(doc, sort_keys=True) + "\n")
    part.unlink(missing_ok=True)


def _top_hit(result: pipeline.CaseResult) -> dict[str, str]:
    hit = writers.top_hit(result)
    prob = result.genes["probability"][0].as_py() if result.genes.num_rows else None
    hit["probability"] = "" if prob is None else f"{prob:.6g}"
    return hit


def _phenotype_row(res: pipeline.Resources, row: Row, out_dir: Path) -> dict[str, str]:
    """``varprio phenotype`` for one row: ``<id>.diseases.tsv`` and ``<id>.genes.tsv``."""
    assert row.request is not None
    result = rank_phenotype(res, row.request)
    prov = writers.provenance(res)
    write_tsv(result.diseases, out_dir / f"{row.id}.diseases.tsv", prov)
    write_tsv(result.genes, out_dir / f"{row.id}.genes.tsv", prov)
    top = result.genes.slice(0, 1).to_pylist()
    return {"top_gene": top[0]["gene"], "score": f"{top[0]['score']:.6g}"} if top else {}


def _run_row(task: _Task) -> dict[str, str]:
    row, out_dir = task.row, task.out_dir
    start = time.perf_counter()
    summary = dict.fromkeys(SUMMARY_COLUMNS, "")
    summary["id"] = row.id
    try:
        if row.request is None:
            raise InputError(row.error or "invalid row")
        assert _RESOURCES is not None
        _marker(out_dir, row.id).unlink(missing_ok=True)
        if "vcf" in task.formats and row.request.vcf == "-":
            raise UsageError("vcf: '-' (stdin) cannot be annotated by --format vcf in a batch")
        if task.formats == [PHENOTYPE_ONLY]:
            summary.update(status="ok", **_phenotype_row(_RESOURCES, row, out_dir))
            summary["seconds"] = f"{time.perf_counter() - start:.2f}"
            _mark_done(task, summary)
            return summary
        result = pipeline.run_case(_RESOURCES, row.request, _COHORT)
        jsonl = _part(out_dir, row.id) if "json" in task.formats else None
        writers.write_case(
            result, _RESOURCES, str(out_dir / row.id), task.formats,
            source=row.request.vcf, case_id=row.id, jsonl=jsonl,
        )  # fmt: skip
        summary.update(
            status="ok", seconds=f"{time.perf_counter() - start:.2f}", **_top_hit(result)
        )
        _mark_done(task, summary)
    except VarprioError as exc:
        log.error("%s: %s", row.id, exc)
        summary.update(status="failed", error=str(exc))
        summary["seconds"] = f"{time.perf_counter() - start:.2f}"
    return summary


def _map(func: Any, items: list[Any], jobs: int) -> list[Any]:
    """``func`` over ``items`` in order; forked workers share the parent's loaded resources."""
    if jobs > 1 and len(items) > 1:
        with multiprocessing.get_context("fork").Pool(min(jobs, len(items))) as pool:
            return pool.map(func, items, chunksize=1)
    return [func(item) for item in items]


def _carriers(row: Row) -> pa.Table | None:
    assert _RESOURCES is not None and row.request is not None
    try:
        picker = pipeline.family_picker(row.request)
        return cohort_mod.sample_carriers(
            row.request.vcf, row.request.sample, _RESOURCES.regions, picker
        )
    except VarprioError as exc:  # the row fails, with this message, in the second pass
        log.warning("%s: not counted in the cohort: %s", row.id, exc)
        return None


def count_cohort(rows: list[Row], jobs: int) -> pa.Table:
    """First pass of ``--cohort-frequency``: carriers of each allele over every row's VCF."""
    todo = [r for r in rows if r.request is not None and r.request.vcf != "-"]
    start = time.perf_counter()
    tables = [t for t in _map(_carriers, todo, jobs) if t is not None]
    counts = cohort_mod.count_carriers(tables)
    log.info("cohort: %d alleles over %d samples in %.1f s", counts.num_rows, len(tables),
             time.perf_counter() - start)  # fmt: skip
    return counts


def _clean_stale(out_dir: Path, rows: list[Row]) -> None:
    """Remove temporary files and JSON parts an interrupted run left (no worker runs yet)."""
    ids = [r.id for r in rows if SAFE_ID.match(r.id)]
    # outputs' temporaries are ".<id>.<...>.tmp"; the hidden done markers' "..<id>.done.<...>.tmp"
    prefixes = tuple(f".{i}." for i in ids) + tuple(f".{_marker(out_dir, i).name}." for i in ids)
    prefixes += (".summary.tsv.", ".results.jsonl.")
    for path in out_dir.glob(".*"):
        name = path.name
        if name.startswith(prefixes) and name.endswith((".tmp", ".jsonl.part")):
            path.unlink(missing_ok=True)


def _write_jsonl(
    out_dir: Path, rows: list[Row], results: list[dict[str, str]], prov: Provenance
) -> None:
    """``results.jsonl``: each case's JSON document (or its failure) on one line."""
    with atomic_text(out_dir / "results.jsonl") as fh:
        for row, summary in zip(rows, results, strict=True):
            line = None
            if summary["status"] == "ok":
                doc = json.loads(_marker(out_dir, row.id).read_text(encoding="utf-8"))
                line = doc.get("jsonl")
            if not line:
                failed = json_out.failed_document(row.id, prov, summary["error"])
                line = json_out.dumps_line(failed)
            fh.write(line)


def run_batch(
    manifest: Path,
    out_dir: Path,
    resources: pipeline.Resources,
    jobs: int,
    formats: list[str],
    top: int | None,
    *,
    resume: bool = False,
    cohort_frequency: bool = False,
    vcf_dir: Path | None = None,
    phenotype_only: bool = False,
    drop_unknown_terms: bool = False,
    vcf_annotations: bool = True,
) -> int:
    """Run every row, write ``summary.tsv``; return the number of failed rows.

    Parameters
    ----------
    resume
        Skip rows already done with the same settings (see the module docstring).
    cohort_frequency
        Count carriers over every row's VCF first, and add ``cohort_ac``/``cohort_hom``.
    vcf_dir
        Where the VCFs of a phenopacket-directory manifest are, by file name.
    phenotype_only
        Rank diseases and genes by phenotype alone (``varprio phenotype`` per row; no VCF).
    drop_unknown_terms
        Drop HPO IDs the ontology does not know, with a warning, instead of failing the row.
    vcf_annotations
        Use the VCFs' own VEP CSQ / SnpEff ANN annotations (``CaseRequest.vcf_annotations``).
    """
    global _RESOURCES, _COHORT
    if phenotype_only:
        if cohort_frequency or set(formats) != {"tsv"}:
            raise UsageError("--phenotype-only writes TSV only, without --cohort-frequency")
        formats = [PHENOTYPE_ONLY]
    rows = read_manifest(manifest, vcf_dir, phenotype_only)
    for row in rows:
        if row.request is not None:
            row.request.drop_unknown_terms = drop_unknown_terms
            row.request.vcf_annotations = vcf_annotations
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"{out_dir}: cannot create the output directory ({exc.strerror})"
        ) from exc
    _RESOURCES = resources
    _COHORT = count_cohort(rows, jobs) if cohort_frequency else None
    prov = writers.provenance(resources)
    base = {"formats": sorted(set(formats)), "top": top, "kb": prov.kb, "model": prov.model,
            "cohort": cohort_mod.digest(_COHORT) if _COHORT is not None else None}  # fmt: skip
    _clean_stale(out_dir, rows)
    results: dict[int, dict[str, str]] = {}
    tasks: list[tuple[int, _Task]] = []
    for i, row in enumerate(rows):
        if row.request is not None:
            row.request.top = top
        request = dict(vars(row.request)) if row.request is not None else None
        task = _Task(row, out_dir, formats, {**base, "request": request})
        doc = completed(out_dir, row.id, formats, task.settings) if resume and request else None
        if doc is not None:
            results[i] = doc["summary"]
        else:
            tasks.append((i, task))
    if resume:
        log.info("resume: %d of %d rows already done", len(results), len(rows))
    for (i, _), summary in zip(tasks, _map(_run_row, [t for _, t in tasks], jobs), strict=True):
        results[i] = summary
    ordered = [results[i] for i in range(len(rows))]
    table = pa.table({c: [r.get(c, "") for r in ordered] for c in SUMMARY_COLUMNS})
    if "json" in formats:
        _write_jsonl(out_dir, rows, ordered, prov)
    write_tsv(table, out_dir / "summary.tsv", prov)
    return sum(r["status"] != "ok" for r in ordered)
