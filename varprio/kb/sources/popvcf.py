"""Any population VCF with AF-like INFO fields, described by a small JSON field map.

Config (``--popvcf cohort.json``; ``path`` relative to the config's directory, one file or a
list; ``type`` overrides the header's Type: integer, float, string, flag; ``missing`` is the
value of records without the field, null by default; ``ID``/``FILTER``/``QUAL`` read those
columns)::

    {"name": "cohort", "version": "2024-05", "licence": "internal use",
     "path": ["cohort.chr1.vcf.gz", "cohort.chr2.vcf.gz"],
     "fields": [{"field": "AF", "alias": "af", "missing": null},
                {"field": "AC_Hom", "alias": "nhomalt", "type": "integer", "missing": 0},
                {"field": "FILTER", "alias": "filter"}]}

Table ``frequencies/<name>``, columns ``<name>_<alias>`` (here ``cohort_af``,
``cohort_nhomalt``, ``cohort_filter``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from varprio.errors import InputError
from varprio.kb.sources.site_table import SiteTableWriter, site_schema
from varprio.kb.sources.vcf_sites import Field, SitesReader, check_grch38

TYPES = {"integer": pa.int32(), "float": pa.float32(), "string": pa.string(), "flag": pa.bool_()}
#: Names already used by other sources (a population VCF may not take them).
RESERVED = frozenset(
    {"kgp", "gnomad", "clinvar", "constraint", "hpo", "hgnc", "gene_models", "max_pop"}
)
_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")


@dataclass(frozen=True)
class PopConfig:
    """A parsed field map."""

    name: str
    paths: list[Path]
    fields: list[Field]
    version: str
    licence: str
    config: Path


def _field(doc: Any, config: Path, name: str, i: int) -> Field:
    where = f"{config}: fields[{i}]"
    if not isinstance(doc, dict) or not isinstance(doc.get("field"), str):
        raise InputError(f'{where}: expected an object with "field" and "alias"')
    alias = doc.get("alias", doc["field"].lower())
    if not isinstance(alias, str) or not _NAME.fullmatch(alias):
        raise InputError(f"{where}: alias {alias!r} must match [a-z][a-z0-9_]*")
    typ = doc.get("type")
    if typ is not None and typ not in TYPES:
        raise InputError(f"{where}: type {typ!r}, expected one of {', '.join(TYPES)}")
    unknown = set(doc) - {"field", "alias", "type", "missing", "description"}
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    return Field(doc["field"], f"{name}_{alias}", TYPES[typ] if typ else None, doc.get("missing"))


def read_config(config: Path) -> PopConfig:
    """Parse and check a field-map JSON file."""
    try:
        doc = json.loads(config.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"{config}: unreadable population VCF config ({exc})") from exc
    if not isinstance(doc, dict):
        raise InputError(f"{config}: expected a JSON object with name, path and fields")
    name = doc.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name) or name in RESERVED:
        raise InputError(
            f"{config}: name {name!r} must match [a-z][a-z0-9_]* and not be one of "
            f"{', '.join(sorted(RESERVED))}"
        )
    raw = doc.get("path")
    paths = [raw] if isinstance(raw, str) else raw
    if not paths or not all(isinstance(p, str) for p in paths):
        raise InputError(f'{config}: "path" must be a file name or a list of them')
    fields = doc.get("fields")
    if not isinstance(fields, list) or not fields:
        raise InputError(f'{config}: "fields" must be a non-empty list')
    parsed = [_field(f, config, name, i) for i, f in enumerate(fields)]
    columns = [f.column for f in parsed]
    if len(set(columns)) != len(columns):
        raise InputError(f"{config}: two fields share an alias")
    return PopConfig(
        name,
        [(config.parent / p) for p in paths],
        parsed,
        str(doc.get("version", "unknown")),
        str(doc.get("licence", "see origin")),
        config,
    )


def build_popvcf_table(cfg: PopConfig, out: Path) -> int:
    """Stream the config's VCFs into ``out``; return its rows."""
    writer: SiteTableWriter | None = None
    try:
        for path in cfg.paths:
            with SitesReader(str(path)) as reader:
                check_grch38(reader.header)
                fields = reader.resolve(cfg.fields)
                info = reader.header.info
                descriptions = {
                    f.column: f"{cfg.name}: {info[f.key].description if f.key in info else f.key}"
                    for f in fields
                }
                schema = site_schema([pa.field(f.column, f.type) for f in fields], descriptions)
                if writer is None:
                    writer = SiteTableWriter(out, schema)
                elif writer.schema != schema:
                    raise InputError(f"{path}: field types differ from {cfg.paths[0]}")
                for chunk, last in reader.chunks(fields):
                    writer.write(chunk, last)
                writer.write(schema.empty_table(), None)
        assert writer is not None
        return writer.close()
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
