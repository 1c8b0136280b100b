"""Parquet tables (``PREFIX.variants.parquet``, ``PREFIX.genes.parquet``) with provenance.

Same columns and types as the ranked Arrow tables (lists stay lists); the provenance is in
the schema metadata under ``varprio_version``, ``varprio_command``, ``kb`` and ``model``::

    pq.read_schema("case.genes.parquet").metadata[b"kb"]
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from varprio import __version__
from varprio.provenance import Provenance

COMPRESSION = "zstd"


def provenance_metadata(prov: Provenance) -> dict[bytes, bytes]:
    """Schema metadata recording what produced a table."""
    items = {
        "varprio_version": __version__,
        "varprio_command": prov.command,
        "kb": prov.kb,
        "model": prov.model,
    }
    return {k.encode(): v.encode() for k, v in items.items()}


def write_parquet(table: pa.Table, dest: Path, prov: Provenance) -> None:
    """Write ``table`` with provenance metadata to ``dest`` (deterministic bytes)."""
    meta = dict(table.schema.metadata or {})
    meta.update(provenance_metadata(prov))
    pq.write_table(
        table.replace_schema_metadata(meta),
        dest,
        compression=COMPRESSION,
        use_dictionary=True,
        write_statistics=True,
    )
