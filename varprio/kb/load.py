"""Open a built knowledge base: check its manifest, then read tables lazily (memory-mapped)."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from varprio.errors import KnowledgeBaseError
from varprio.kb.fetch import sha256sum
from varprio.kb.manifest import Manifest


def default_kb_path() -> Path:
    """Where ``make install`` builds the default knowledge base (XDG data directory)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "varprio" / "kb"


def cache_dir() -> Path:
    """varprio's cache directory (indexes derived from a knowledge base, rebuilt when absent)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "varprio"


class KnowledgeBase:
    """A knowledge base directory; tables are read on first use and cached."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.manifest = Manifest.read(self.path)
        self._tables: dict[str, pa.Table] = {}
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
        if name not in self._tables:
            entry = self.manifest.tables.get(name)
            if entry is None:
                raise KnowledgeBaseError(f"{self.path}: the knowledge base has no table {name}")
            self._tables[name] = pq.read_table(self.path / entry.path, memory_map=True)
        return self._tables[name]

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
