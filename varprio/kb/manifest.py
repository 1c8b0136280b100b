"""The knowledge base's ``manifest.json``: schema version, assembly, sources and table checksums."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from varprio.errors import KnowledgeBaseError
from varprio.schemas import ASSEMBLY, SCHEMA_VERSION

MANIFEST = "manifest.json"


def sha256sum(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


@dataclass
class TableEntry:
    """One Parquet table of the knowledge base."""

    path: str  # relative to the knowledge-base directory
    sha256: str
    bytes: int
    rows: int


@dataclass
class SourceEntry:
    """One upstream source and the files it was built from."""

    name: str
    version: str
    origin: str
    licence: str
    files: dict[str, str] = field(default_factory=dict)  # file name -> sha256
    tables: list[str] = field(default_factory=list)


@dataclass
class Manifest:
    """Everything needed to identify, verify and cite a knowledge base."""

    name: str
    version: str
    varprio_version: str
    build_command: str
    schema_version: int = SCHEMA_VERSION
    assembly: str = ASSEMBLY
    sources: list[SourceEntry] = field(default_factory=list)
    tables: dict[str, TableEntry] = field(default_factory=dict)

    @property
    def checksum(self) -> str:
        """sha256 over the tables' checksums, in name order: one ID for the whole KB."""
        h = hashlib.sha256()
        for name in sorted(self.tables):
            h.update(f"{name}\t{self.tables[name].sha256}\n".encode())
        return h.hexdigest()

    def to_json(self) -> str:
        """Stable, sorted JSON text."""
        doc = asdict(self)
        doc["checksum"] = self.checksum
        return json.dumps(doc, indent=2, sort_keys=True) + "\n"

    @classmethod
    def read(cls, kb_dir: Path) -> Manifest:
        """Read and check ``kb_dir/manifest.json``; refuse other schema versions and assemblies."""
        path = kb_dir / MANIFEST
        try:
            doc: dict[str, Any] = json.loads(path.read_text())
        except FileNotFoundError:
            raise KnowledgeBaseError(
                f"{kb_dir}: no knowledge base here ({MANIFEST} missing); build one with "
                "'varprio kb build' or 'make install', or point --kb/VARPRIO_KB at one"
            ) from None
        except (OSError, ValueError) as exc:
            raise KnowledgeBaseError(f"{path}: unreadable manifest ({exc})") from exc
        if doc.get("schema_version") != SCHEMA_VERSION:
            raise KnowledgeBaseError(
                f"{path}: knowledge-base schema version {doc.get('schema_version')}, this varprio "
                f"reads version {SCHEMA_VERSION}; rebuild it with 'varprio kb build'"
            )
        if doc.get("assembly") != ASSEMBLY:
            raise KnowledgeBaseError(
                f"{path}: assembly {doc.get('assembly')}, varprio needs {ASSEMBLY}"
            )
        doc.pop("checksum", None)
        doc["sources"] = [SourceEntry(**s) for s in doc.get("sources", [])]
        doc["tables"] = {k: TableEntry(**v) for k, v in doc.get("tables", {}).items()}
        return cls(**doc)
