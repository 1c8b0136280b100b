"""``varprio kb add``: add or replace optional sources in an existing knowledge base, atomically.

The new knowledge base is assembled beside the old one: the tables of sources that stay are
hard-linked (copied across file systems), the given sources are built, the manifest keeps a
replaced source in its place and lists new ones last, and the directory is swapped in
one rename.  A failure leaves the old knowledge base as it was.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from varprio.errors import KnowledgeBaseError
from varprio.kb.build import replace_dir
from varprio.kb.manifest import MANIFEST, Manifest
from varprio.kb.optional import OptionalInputs, build_optional

log = logging.getLogger(__name__)

#: Sources that ``kb add`` cannot replace (rebuild the knowledge base for those).
CORE = ("hpo", "gene_models", "hgnc", "kgp")


def _link(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _gene_models(kb_dir: Path, manifest: Manifest) -> tuple[pa.Table, pa.Table]:
    """The knowledge base's (transcripts, exons) gene-model tables."""
    keys = ("gene_models/transcripts", "gene_models/exons")
    missing = [k for k in keys if k not in manifest.tables]
    if missing:
        raise KnowledgeBaseError(f"{kb_dir}: the knowledge base has no {missing[0]} table")
    t, e = (pq.read_table(kb_dir / manifest.tables[k].path) for k in keys)
    return t, e


def add_sources(kb_dir: Path, inputs: OptionalInputs, command: str) -> tuple[Manifest, list[str]]:
    """Build ``inputs`` into the knowledge base at ``kb_dir``; return the manifest and the
    names of the sources added or replaced."""
    if not inputs:
        raise KnowledgeBaseError(
            f"{kb_dir}: nothing to add: give --gnomad, --clinvar, --fasta, ..."
        )
    kb_dir = kb_dir.resolve()
    old = Manifest.read(kb_dir)
    tmp = Path(tempfile.mkdtemp(prefix=f".{kb_dir.name}.", dir=kb_dir.parent))
    try:
        hgnc_entry = old.tables.get("hgnc/genes")
        if hgnc_entry is None:
            raise KnowledgeBaseError(f"{kb_dir}: the knowledge base has no hgnc/genes table")
        built = build_optional(
            inputs,
            tmp,
            lambda: pq.read_table(kb_dir / hgnc_entry.path),
            lambda: _gene_models(kb_dir, old),
        )
        new = {b.entry.name: b for b in built}
        manifest = Manifest(old.name, old.version, old.varprio_version,
                            f"{old.build_command} && {command}")  # fmt: skip
        for s in old.sources:  # a replaced source keeps its place; new ones go last
            if s.name in new:
                continue
            for t in s.tables:
                manifest.tables[t] = old.tables[t]
                _link(kb_dir / old.tables[t].path, tmp / old.tables[t].path)
        for b in built:
            clash = set(b.tables) & set(manifest.tables)
            if clash:
                raise KnowledgeBaseError(f"{kb_dir}: table(s) {', '.join(clash)} already exist")
            manifest.tables.update(b.tables)
        kept = [new.pop(s.name).entry if s.name in new else s for s in old.sources]
        manifest.sources = kept + [b.entry for b in new.values()]
        (tmp / MANIFEST).write_text(manifest.to_json())
        replace_dir(tmp, kb_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest, sorted(b.entry.name for b in built)
