"""One JSON document per case (``PREFIX.json``), and its one-line form for ``results.jsonl``.

The document (schema: ``docs/output.schema.json``), keys always in this order::

    {"schema_version": "1", "status": "ok",
     "provenance": {"varprio_version", "command", "kb": {name, version, sha256}, "model": {...}},
     "case": {"id", "sample", "sex", "observed": [{"id", "label"}], "excluded": [...]},
     "genes": [{<PREFIX.genes.tsv columns>, "evidence": null | {"disease", "phenotype_rank",
                "phenotype_genes", "phenotype_weight", "terms": [...]}}],
     "variants": [{<PREFIX.variants.tsv columns>}]}

Floats have 6 significant digits (as in the TSVs); missing values are ``null``.  A failed batch
row is ``{"schema_version", "status": "failed", "provenance", "case": {"id"}, "error"}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from varprio import __version__
from varprio.io.ped import Family
from varprio.provenance import Provenance
from varprio.report.explain import CaseReport, GeneEvidence, round6

SCHEMA_VERSION = "1"
#: Gene-table columns shown inside ``evidence`` rather than as flat lists.
_TERM_COLUMNS = ("matched_terms", "excluded_terms")


def _label_dict(label: str) -> dict[str, str]:
    """``name=a;version=b`` -> ``{"name": "a", "version": "b"}``; other text: ``{"label": ...}``."""
    items = [part.split("=", 1) for part in label.split(";") if part]
    if not items or any(len(kv) != 2 for kv in items):
        return {"label": label}
    return {k: v for k, v in items}


def provenance_dict(prov: Provenance) -> dict[str, Any]:
    """The provenance block of every JSON output."""
    return {
        "varprio_version": __version__,
        "command": prov.command,
        "kb": _label_dict(prov.kb),
        "model": _label_dict(prov.model),
    }


def _round_column(col: pa.ChunkedArray) -> pa.Array:
    """Floats to 6 significant digits (as ``f"{v:.6g}"``), vectorised; NaN and inf -> null."""
    x = col.to_numpy(zero_copy_only=False).astype(np.float64)
    y = x.copy()
    ok = np.isfinite(x) & (x != 0)
    with np.errstate(over="ignore", invalid="ignore"):  # subnormals: kept as they are
        scale = 10.0 ** (5 - np.floor(np.log10(np.abs(x[ok]))))
        rounded = np.round(x[ok] * scale) / scale
    y[ok] = np.where(np.isfinite(rounded), rounded, x[ok])
    return pa.array(y, pa.float64(), mask=~np.isfinite(y))


def table_rows(table: pa.Table) -> list[dict[str, Any]]:
    """Rows as dicts in column order; floats rounded to 6 significant digits."""
    for i, field in enumerate(table.schema):
        if pa.types.is_floating(field.type):
            table = table.set_column(i, field.name, _round_column(table.column(i)))
    return table.to_pylist()


def _evidence(ev: GeneEvidence | None, report: CaseReport) -> dict[str, Any] | None:
    if ev is None:
        return None
    terms = [
        {
            "term": t.term,
            "label": t.label,
            "status": t.status,
            "kind": t.kind,
            "lr_log10": round6(t.lr_log10),
            "frequency": round6(t.frequency),
            "disease_term": t.disease_term,
            "disease_term_label": t.disease_term_label,
        }
        for t in ev.terms
    ]
    return {
        "disease": {"id": ev.disease_id, "name": ev.disease_name},
        "phenotype_rank": ev.phenotype_rank,
        "phenotype_genes": report.n_phenotype_genes,
        "phenotype_weight": round6(ev.phenotype_weight),
        "terms": terms,
    }


def case_document(report: CaseReport) -> dict[str, Any]:
    """The whole JSON document of one case."""
    patient = report.result.patient
    genes = table_rows(report.genes.drop_columns(list(_TERM_COLUMNS)))
    for gene in genes:
        gene["evidence"] = _evidence(report.evidence.get(gene["gene"]), report)
    return {
        "schema_version": SCHEMA_VERSION,
        "status": "ok",
        "provenance": provenance_dict(report.provenance),
        "case": {
            "id": report.case_id,
            "sample": patient.sample,
            "sex": patient.sex,
            "observed": [{"id": t, "label": report.label(t)} for t in patient.observed],
            "excluded": [{"id": t, "label": report.label(t)} for t in patient.excluded],
            "family": _family(patient.family),
        },
        "genes": genes,
        "variants": table_rows(report.result.variants),
    }


def _family(family: Family | None) -> dict[str, Any] | None:
    """The PED family analysed with the proband (None without a PED)."""
    if family is None:
        return None
    relatives = [{"id": r.id, "role": r.role, "sex": r.sex, "affected": r.affected}
                 for r in family.relatives]  # fmt: skip
    return {"id": family.id, "relatives": relatives}


def failed_document(case_id: str, prov: Provenance, error: str) -> dict[str, Any]:
    """The ``results.jsonl`` line of a batch row that failed."""
    return {
        "schema_version": SCHEMA_VERSION,
        "status": "failed",
        "provenance": provenance_dict(prov),
        "case": {"id": case_id},
        "error": error,
    }


def dumps(doc: dict[str, Any]) -> str:
    """JSON text with one top-level key, gene or variant per line (valid JSON, grep-friendly)."""
    parts = []
    for key, value in doc.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            rows = ",\n".join(f"  {_compact(v)}" for v in value)
            text = f"[\n{rows}\n ]"
        else:
            text = _compact(value)
        parts.append(f" {_compact(key)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def dumps_line(doc: dict[str, Any]) -> str:
    """Compact one-line JSON for JSON Lines, newline-terminated."""
    return _compact(doc) + "\n"


def write_json(text: str, dest: Path) -> None:
    """Write JSON text to ``dest`` (a temporary path of an atomic group)."""
    with open(dest, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
