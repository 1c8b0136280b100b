"""``varprio kb info``: the manifest, readable or as JSON."""

from __future__ import annotations

import json

from varprio.kb.load import KnowledgeBase


def describe(kb: KnowledgeBase, as_json: bool) -> str:
    """Text (or JSON with the KB's ``path``) describing every source and table."""
    m = kb.manifest
    if as_json:
        doc = json.loads(m.to_json())
        doc["path"] = str(kb.path.resolve())
        return json.dumps(doc, indent=2, sort_keys=True) + "\n"
    lines = [
        f"knowledge base  {m.name} {m.version}",
        f"path            {kb.path.resolve()}",
        f"assembly        {m.assembly}",
        f"schema version  {m.schema_version}",
        f"sha256          {m.checksum}",
        f"built by        varprio {m.varprio_version}: {m.build_command}",
        "",
        "sources:",
    ]
    for s in m.sources:
        lines.append(f"  {s.name:<12} {s.version}")
        lines.append(f"  {'':<12} origin: {s.origin}")
        lines.append(f"  {'':<12} licence: {s.licence}")
        for fname, digest in sorted(s.files.items()):
            lines.append(f"  {'':<12} {fname}  sha256 {digest}")
    lines.append("")
    lines.append("tables:")
    for name, t in sorted(m.tables.items()):
        lines.append(f"  {name:<28} {t.rows:>10} rows  {t.bytes:>10} bytes  sha256 {t.sha256}")
    return "\n".join(lines) + "\n"
