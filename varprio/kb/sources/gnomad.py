"""gnomAD sites VCFs (v4.1/v4.0 exomes and genomes, v3.1 genomes) -> per-dataset frequency tables.

Files: ``gnomad.{exomes,genomes}.v4.1.sites.chr1.vcf.bgz`` ... (one per chromosome, or merged),
``gnomad.genomes.v3.1.2.sites.chr1.vcf.bgz``.  INFO names differ between releases; each column
takes the first of its candidate keys that the header defines (v4 first, then v3)::

    v4: AC=6;AN=1413132;AF=4.24589e-06;grpmax=afr;fafmax_faf95_max=5.98e-05;...;AF_grpmax=...
    v3: AC=2;AN=110404;AF=1.81153e-05;popmax=afr;faf95_popmax=8.94e-06;...;AF_popmax=...

Tables ``frequencies/gnomad_exomes`` and ``frequencies/gnomad_genomes``, columns prefixed
``gnomad_exomes_`` / ``gnomad_genomes_`` (see :data:`COLUMNS`).  ``nhemi`` (hemizygous XY
carriers) is ``AC_XY`` for variants flagged outside the pseudoautosomal regions (``non_par``,
v3 ``nonpar``) and 0 elsewhere.  A dataset is told from the file name (``exomes``/``genomes``)
or given as ``exomes=FILE``; a v4 exomes header (``AC_non_ukb``) also says exomes.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from varprio.errors import InputError
from varprio.kb.sources.site_table import SiteTableWriter, site_schema
from varprio.kb.sources.vcf_sites import Field, SitesReader, check_grch38

log = logging.getLogger(__name__)

DATASETS = ("exomes", "genomes")
#: Column suffix -> (type, candidate INFO keys in order of preference).
COLUMNS: dict[str, tuple[pa.DataType, tuple[str, ...]]] = {
    "ac": (pa.int32(), ("AC",)),
    "an": (pa.int32(), ("AN",)),
    "af": (pa.float32(), ("AF",)),
    "nhomalt": (pa.int32(), ("nhomalt",)),
    "grpmax": (pa.string(), ("grpmax", "popmax")),
    "grpmax_af": (pa.float32(), ("AF_grpmax", "AF_popmax")),
    "faf95": (pa.float32(), ("faf95",)),
    "faf95_max": (pa.float32(), ("fafmax_faf95_max", "faf95_popmax")),
    "ac_xy": (pa.int32(), ("AC_XY", "AC_male")),
    "nhomalt_xy": (pa.int32(), ("nhomalt_XY", "nhomalt_male")),
    "nhemi": (pa.int32(), ()),  # derived: AC_XY outside the PARs
    "filter": (pa.string(), ("FILTER",)),
}
NON_PAR = ("non_par", "nonpar")
DESCRIPTIONS = {
    "ac": "alternate allele count",
    "an": "total number of alleles",
    "af": "alternate allele frequency",
    "nhomalt": "homozygous individuals",
    "grpmax": "genetic ancestry group with the highest AF (v3: popmax)",
    "grpmax_af": "highest AF across genetic ancestry groups (v3: AF_popmax)",
    "faf95": "filtering allele frequency (Poisson 95% CI), all groups",
    "faf95_max": "highest group filtering allele frequency (v3: faf95_popmax)",
    "ac_xy": "alternate allele count in XY individuals",
    "nhomalt_xy": "homozygous XY individuals",
    "nhemi": "hemizygous XY individuals (AC_XY outside the pseudoautosomal regions)",
    "filter": "gnomAD FILTER (PASS or the failed filters)",
}


def prefix(dataset: str) -> str:
    """Column prefix of a dataset, e.g. ``gnomad_exomes``."""
    return f"gnomad_{dataset}"


def schema(dataset: str) -> pa.Schema:
    """The table schema of one dataset."""
    p = prefix(dataset)
    return site_schema(
        [pa.field(f"{p}_{name}", t) for name, (t, _) in COLUMNS.items()],
        {f"{p}_{name}": f"gnomAD {dataset}: {text}" for name, text in DESCRIPTIONS.items()},
    )


@dataclass(frozen=True)
class GnomadFile:
    """One input VCF and its dataset."""

    path: Path
    dataset: str


def parse_spec(spec: str) -> GnomadFile:
    """``FILE`` or ``exomes=FILE``/``genomes=FILE``; dataset from the name or the header."""
    name, sep, rest = spec.partition("=")
    if sep and name in DATASETS:
        return GnomadFile(Path(rest), name)
    path = Path(spec)
    lower = path.name.lower()
    for dataset in DATASETS:
        if dataset[:-1] in lower:  # "exome"/"genome"
            return GnomadFile(path, dataset)
    with SitesReader(str(path)) as reader:
        dataset = "exomes" if "AC_non_ukb" in reader.header.info else "genomes"
    log.info("%s: no dataset in the name; taking %s from its header", path, dataset)
    return GnomadFile(path, dataset)


def version_of(path: Path) -> str:
    """Release from the file name (``gnomad.exomes.v4.1.sites...`` -> ``v4.1``) or 'unknown'."""
    m = re.search(r"v(\d+(?:\.\d+)*)", path.name)
    return f"v{m.group(1).rstrip('.')}" if m else "unknown"


def _fields(reader: SitesReader, dataset: str) -> tuple[list[Field], str | None]:
    """The fields this file defines, and its non-PAR flag key."""
    p, info = prefix(dataset), reader.header.info
    fields = []
    for name, (typ, keys) in COLUMNS.items():
        key = next((k for k in keys if k == "FILTER" or k in info), None)
        if key is not None:
            fields.append(Field(key, f"{p}_{name}", typ))
        elif keys:
            log.warning("%s: no INFO field for %s_%s (tried %s)", reader.path, p, name, keys)
    if not any(f.column.endswith("_af") for f in fields):
        raise InputError(f"{reader.path}: not a gnomAD sites VCF: no ##INFO line for AF")
    flag = next((k for k in NON_PAR if k in info), None)
    if flag is not None:
        fields.append(Field(flag, "_non_par", pa.bool_()))
    return fields, flag


def _finish(table: pa.Table, dataset: str, flag: str | None) -> pa.Table:
    """Add ``nhemi`` and any columns the file lacks (all null)."""
    p = prefix(dataset)
    ac_xy = table.column(f"{p}_ac_xy") if f"{p}_ac_xy" in table.column_names else None
    if flag is not None and ac_xy is not None:
        non_par = table.column("_non_par")
        nhemi = pc.if_else(non_par, ac_xy, pa.scalar(0, pa.int32()))
        table = table.drop_columns(["_non_par"]).append_column(f"{p}_nhemi", nhemi)
    target = schema(dataset)
    cols = [
        table.column(f.name) if f.name in table.column_names else pa.nulls(table.num_rows, f.type)
        for f in target
    ]
    return pa.Table.from_arrays(cols, schema=target)


def build_gnomad_table(files: list[GnomadFile], dataset: str, out: Path) -> int:
    """Stream every file of ``dataset`` into the Parquet table ``out``; return its rows."""
    writer = SiteTableWriter(out, schema(dataset))
    try:
        for f in files:
            with SitesReader(str(f.path)) as reader:
                check_grch38(reader.header)
                fields, flag = _fields(reader, dataset)
                for chunk, last in reader.chunks(fields):
                    writer.write(_finish(chunk, dataset, flag), last)
                writer.write(schema(dataset).empty_table(), None)
                log.info("%s: %d records", f.path, reader.n_records)
        return writer.close()
    except BaseException:
        writer.abort()
        raise


#: Columns combining the datasets present (exomes and/or genomes) for each variant.
COMBINED: dict[str, tuple[pa.DataType, str]] = {
    "gnomad_ac": (pa.int32(), "gnomAD exomes + genomes: alternate allele count"),
    "gnomad_an": (pa.int32(), "gnomAD exomes + genomes: total number of alleles"),
    "gnomad_af": (pa.float32(), "gnomAD exomes + genomes: AC / AN"),
    "gnomad_nhomalt": (pa.int32(), "gnomAD exomes + genomes: homozygous individuals"),
    "gnomad_nhemi": (pa.int32(), "gnomAD exomes + genomes: hemizygous XY individuals"),
    "gnomad_grpmax_af": (pa.float32(), "gnomAD: highest group AF of either dataset"),
    "gnomad_grpmax": (pa.string(), "gnomAD: the group with gnomad_grpmax_af"),
    "gnomad_faf95_max": (pa.float32(), "gnomAD: highest group filtering AF of either dataset"),
    "gnomad_filter": (pa.string(), "gnomAD: PASS if the variant passes in either dataset, "
                      "else the exomes' filters, else the genomes'"),
}  # fmt: skip


def _values(table: pa.Table, name: str, present: list[str]) -> np.ndarray:
    """Datasets x rows float matrix of one column (NaN where missing)."""
    return np.vstack(
        [pc.fill_null(pc.cast(table[f"gnomad_{d}_{name}"], pa.float64()), np.nan).to_numpy()
         for d in present]
    )  # fmt: skip


def combine(table: pa.Table) -> dict[str, pa.Array]:
    """The :data:`COMBINED` columns from whichever ``gnomad_<dataset>_*`` columns ``table`` has."""
    present = [d for d in DATASETS if f"gnomad_{d}_af" in table.column_names]
    n = table.num_rows
    if not present:
        return {c: pa.nulls(n, t) for c, (t, _) in COMBINED.items()}
    out: dict[str, pa.Array] = {}
    for name in ("ac", "an", "nhomalt", "nhemi"):
        v = _values(table, name, present)
        out[f"gnomad_{name}"] = _array(np.nansum(v, axis=0), np.isnan(v).all(axis=0), pa.int32())
    ac, an = out["gnomad_ac"].to_numpy(zero_copy_only=False), out["gnomad_an"]
    an_np = pc.fill_null(an, 0).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        af = np.asarray(ac, dtype=np.float64) / an_np
    out["gnomad_af"] = _array(af, an_np <= 0, pa.float32())
    grp = _values(table, "grpmax_af", present)
    none = np.isnan(grp).all(axis=0)
    best = np.argmax(np.nan_to_num(grp, nan=-1.0), axis=0)
    out["gnomad_grpmax_af"] = _array(np.nanmax(np.where(none, 0, grp), axis=0), none, pa.float32())
    groups = [table[f"gnomad_{d}_grpmax"].to_pylist() for d in present]
    out["gnomad_grpmax"] = pa.array(
        [None if none[i] else groups[best[i]][i] for i in range(n)], pa.string()
    )
    faf = _values(table, "faf95_max", present)
    fnone = np.isnan(faf).all(axis=0)
    out["gnomad_faf95_max"] = _array(
        np.nanmax(np.where(fnone, 0, faf), axis=0), fnone, pa.float32()
    )
    filters = [table[f"gnomad_{d}_filter"] for d in present]
    passes = pc.fill_null(pc.equal(filters[0], "PASS"), False)
    for f in filters[1:]:
        passes = pc.or_(passes, pc.fill_null(pc.equal(f, "PASS"), False))
    out["gnomad_filter"] = pc.if_else(passes, "PASS", pc.coalesce(*filters))
    return {name: out[name] for name in COMBINED}


def _array(values: np.ndarray, missing: np.ndarray, typ: pa.DataType) -> pa.Array:
    return pc.cast(pa.array(np.where(missing, 0, values), mask=missing), typ)
