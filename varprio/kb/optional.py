"""Sources users bring in their own copies (gnomAD, population VCFs, ClinVar, constraint,
per-variant scores, a reference FASTA): each built straight into a knowledge-base directory
being assembled.

Each source is one manifest entry (``gnomad``, a population VCF's ``name``, ``clinvar``,
``constraint``, a score tool's name) with the sha256 of its input files and its tables:

=================  ==============================================  =================
source             tables                                          module
=================  ==============================================  =================
gnomad             frequencies/gnomad_exomes, gnomad_genomes       sources/gnomad
<name>             frequencies/<name>                              sources/popvcf
clinvar            clinvar/variants                                sources/clinvar
constraint         constraint/genes                                sources/constraint
revel, cadd, ...   scores/<tool>                                   sources/scores
=================  ==============================================  =================
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from varprio.errors import UsageError
from varprio.kb.fetch import sha256sum
from varprio.kb.manifest import SourceEntry, TableEntry
from varprio.kb.sources import clinvar, constraint, fasta, gnomad, popvcf, scores

log = logging.getLogger(__name__)

#: Names of the sources built by this module (population VCFs add their own names).
FIXED_NAMES = ("gnomad", "clinvar", "constraint", "reference", *scores.TOOLS)


@dataclass
class OptionalInputs:
    """The user's files, as given on the command line."""

    gnomad: tuple[str, ...] = ()  # FILE or exomes=FILE / genomes=FILE
    popvcf: tuple[Path, ...] = ()  # JSON field maps
    clinvar: Path | None = None
    constraint: tuple[Path, ...] = ()
    scores: tuple[str, ...] = ()  # NAME=FILE
    fasta: Path | None = None  # GRCh38 reference: CDS sequences of the gene models

    def __bool__(self) -> bool:
        return bool(
            self.gnomad or self.popvcf or self.clinvar or self.constraint or self.scores
        ) or (self.fasta is not None)


@dataclass
class BuiltSource:
    """One source written into the knowledge-base directory."""

    entry: SourceEntry
    tables: dict[str, TableEntry] = field(default_factory=dict)


def _files(*paths: Path) -> dict[str, str]:
    return {p.name: sha256sum(p) for p in paths}


def table_entry(root: Path, key: str) -> TableEntry:
    """The manifest entry of ``root/key.parquet``, already written."""
    path = root / f"{key}.parquet"
    rows = pq.ParquetFile(path).metadata.num_rows
    return TableEntry(f"{key}.parquet", sha256sum(path), path.stat().st_size, rows)


def _target(root: Path, key: str) -> Path:
    path = root / f"{key}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _gnomad(specs: tuple[str, ...], root: Path) -> BuiltSource:
    files = [gnomad.parse_spec(s) for s in specs]
    versions = sorted({f"{f.dataset} {gnomad.version_of(f.path)}" for f in files})
    entry = SourceEntry(
        "gnomad",
        f"gnomAD {', '.join(versions)}",
        "; ".join(str(f.path) for f in files),
        "gnomAD: CC0 1.0 (see gnomad.broadinstitute.org/terms)",
        _files(*(f.path for f in files)),
    )
    built = BuiltSource(entry)
    for dataset in gnomad.DATASETS:
        mine = [f for f in files if f.dataset == dataset]
        if mine:
            key = f"frequencies/{gnomad.prefix(dataset)}"
            gnomad.build_gnomad_table(mine, dataset, _target(root, key))
            built.tables[key] = table_entry(root, key)
    return built


def _popvcf(config: Path, root: Path) -> BuiltSource:
    cfg = popvcf.read_config(config)
    key = f"frequencies/{cfg.name}"
    popvcf.build_popvcf_table(cfg, _target(root, key))
    origin = f"{', '.join(str(p) for p in cfg.paths)} (field map {config})"
    entry = SourceEntry(cfg.name, cfg.version, origin, cfg.licence, _files(config, *cfg.paths))
    return BuiltSource(entry, {key: table_entry(root, key)})


def _clinvar(path: Path, root: Path) -> BuiltSource:
    key = clinvar.TABLE
    _, date = clinvar.build_clinvar_table(path, _target(root, key))
    entry = SourceEntry(
        "clinvar", f"ClinVar {date}", str(path), "ClinVar: public domain (NCBI)", _files(path)
    )
    return BuiltSource(entry, {key: table_entry(root, key)})


def _constraint(paths: tuple[Path, ...], root: Path, hgnc: pa.Table) -> BuiltSource:
    table, formats = constraint.build_constraint_table(list(paths), hgnc)
    key = constraint.TABLE
    pq.write_table(table, _target(root, key), compression="zstd", write_statistics=True)
    entry = SourceEntry(
        "constraint",
        " + ".join(formats),
        "; ".join(str(p) for p in paths),
        "gnomAD: CC0 1.0; ExAC pLI via Ensembl VEP_plugins: Apache-2.0",
        _files(*paths),
    )
    return BuiltSource(entry, {key: table_entry(root, key)})


def _scores(spec: str, root: Path) -> BuiltSource:
    name, path = scores.parse_spec(spec)
    tool = scores.TOOLS[name]
    key = f"scores/{name}"
    scores.build_scores_table(name, path, _target(root, key))
    entry = SourceEntry(name, f"{tool.title}: {path.name}", str(path), tool.licence, _files(path))
    return BuiltSource(entry, {key: table_entry(root, key)})


def _reference(
    path: Path, root: Path, gene_models: Callable[[], tuple[pa.Table, pa.Table]]
) -> BuiltSource:
    key = fasta.TABLE
    table = fasta.build_cds_table(path, *gene_models())
    pq.write_table(table, _target(root, key), compression="zstd", write_statistics=True)
    entry = SourceEntry(
        "reference", f"FASTA {path.name}", str(path), "see the file's origin", _files(path)
    )
    return BuiltSource(entry, {key: table_entry(root, key)})


def build_optional(
    inputs: OptionalInputs,
    root: Path,
    hgnc: Callable[[], pa.Table],
    gene_models: Callable[[], tuple[pa.Table, pa.Table]] | None = None,
) -> list[BuiltSource]:
    """Build every given source into ``root``; ``hgnc`` gives the HGNC table and
    ``gene_models`` the (transcripts, exons) tables when needed."""
    names = [*(["gnomad"] if inputs.gnomad else []), *(["clinvar"] if inputs.clinvar else [])]
    names += [popvcf.read_config(c).name for c in inputs.popvcf]
    names += [scores.parse_spec(s)[0] for s in inputs.scores]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise UsageError(f"source(s) given twice: {', '.join(repeated)}")
    out = []
    if inputs.gnomad:
        log.info("building source gnomad")
        out.append(_gnomad(inputs.gnomad, root))
    for config in inputs.popvcf:
        log.info("building population VCF source from %s", config)
        out.append(_popvcf(config, root))
    if inputs.clinvar is not None:
        log.info("building source clinvar")
        out.append(_clinvar(inputs.clinvar, root))
    if inputs.constraint:
        log.info("building source constraint")
        out.append(_constraint(inputs.constraint, root, hgnc()))
    for spec in inputs.scores:
        log.info("building scores %s", spec)
        out.append(_scores(spec, root))
    if inputs.fasta is not None:
        if gene_models is None:
            raise UsageError("--fasta needs the knowledge base's gene models")
        log.info("building source reference (CDS sequences) from %s", inputs.fasta)
        out.append(_reference(inputs.fasta, root, gene_models))
    for built in out:
        built.entry.tables = sorted(built.tables)
    return out
