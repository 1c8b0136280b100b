"""Open a built knowledge base: check its manifest, then read tables lazily (memory-mapped)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cached_property
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from varprio.errors import KnowledgeBaseError
from varprio.kb.manifest import Manifest, sha256sum
from varprio.parallel import THREADS


def default_kb_path() -> Path:
    """Where ``make install`` builds the default knowledge base (XDG data directory)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "varprio" / "kb"


def cache_dir() -> Path:
    """varprio's cache directory (indexes derived from a knowledge base, rebuilt when absent)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "varprio"


#: Tables every ranking run reads whole (the per-variant ones are looked up by row group).
RESIDENT_TABLES = ("hgnc/genes", "frequencies/kgp", "gene_models/regions", "constraint/genes")


def open_kb(path: Path | None) -> KnowledgeBase:
    """The knowledge base at ``path`` (None: the default one), its resident tables (HPO,
    :data:`RESIDENT_TABLES`) already being read on background threads."""
    kb = KnowledgeBase(path or default_kb_path())
    kb.preload([n for n in kb.manifest.tables if n.startswith("hpo/")] + list(RESIDENT_TABLES))
    return kb


class KnowledgeBase:
    """A knowledge base directory; tables are read on first use and cached."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.manifest = Manifest.read(self.path)
        self._tables: dict[str, pa.Table | Future[pa.Table]] = {}
        for name, entry in self.manifest.tables.items():
            file = self.path / entry.path
            size = file.stat().st_size if file.exists() else -1
            if size != entry.bytes:
                raise KnowledgeBaseError(
                    f"{file}: {'missing' if size < 0 else f'{size} bytes'}, the manifest says "
                    f"{entry.bytes} bytes for table {name}; the knowledge base is damaged, "
                    "rebuild it (varprio kb build)"
                )

    def table(self, name: str) -> pa.Table:
        """The table called ``name`` (e.g. ``gene_models/transcripts``)."""
        found = self._tables.get(name)
        if found is None:
            found = self._tables[name] = self._read(name)
        elif isinstance(found, Future):
            found = self._tables[name] = found.result()
        return found

    def preload(self, names: Iterable[str]) -> None:
        """Start reading those of ``names`` the knowledge base has on background threads
        (Parquet decoding releases the GIL: start-up goes on meanwhile); :meth:`table`
        waits for them."""
        wanted = [n for n in names if n in self.manifest.tables and n not in self._tables]
        if not wanted:
            return
        pool = ThreadPoolExecutor(THREADS)
        for name in wanted:
            self._tables[name] = pool.submit(self._read, name, False)
        pool.shutdown(wait=False)

    def _read(self, name: str, use_threads: bool = True) -> pa.Table:
        entry = self.manifest.tables.get(name)
        if entry is None:
            raise KnowledgeBaseError(f"{self.path}: the knowledge base has no table {name}")
        # (ParquetFile: read_table would import pyarrow.dataset, 6 ms of every start-up)
        return pq.ParquetFile(self.path / entry.path, memory_map=True).read(use_threads=use_threads)

    def has(self, name: str) -> bool:
        """Whether the knowledge base has a table called ``name``."""
        return name in self.manifest.tables

    @cached_property
    def label(self) -> str:
        """``name=...;version=...;sha256=...`` for provenance lines."""
        m = self.manifest
        return f"name={m.name};version={m.version};sha256={m.checksum}"

    def verify(self) -> list[str]:
        """Recompute every table's sha256; return the names of tables that differ."""
        return [
            name
            for name, entry in sorted(self.manifest.tables.items())
            if sha256sum(self.path / entry.path) != entry.sha256
        ]
