"""Write ``hpo/ontology_v3.hpo``: a tiny ontology in the binary format (version 3) of the Rust
crate ``hpo`` (github.com/anergictcell/hpo), as embedded in the ``hpo3`` wheel.

Run ``python test_data/make_hpo_binary_fixture.py`` (deterministic).  The layout is described in
``varprio/kb/sources/hpo_binary.py``; this script has its own minimal writer so that the reader
is checked against an independent encoding.  Content (release 2025-11-24)::

    HP:0000001 All
      HP:0000005 Mode of inheritance       > HP:0000006 Autosomal dominant inheritance
      HP:0000118 Phenotypic abnormality    > HP:0000707 Abnormality of the nervous system
                                             > HP:0001250 Seizure (also a child of HP:0000118)
    HP:0009999 obsolete Fits (no parents, obsolete, replaced by HP:0001250)
    genes   6323 SCN1A (HP:0001250, HP:0000006), 3785 KCNQ2 (HP:0001250)
    OMIM    607208 Dravet syndrome (HP:0001250, HP:0000006),
            613720 Développemental encephalopathy 7 (no terms; a non-ASCII name)
    ORPHA   33069 Dravet syndrome (HP:0001250)
"""

from __future__ import annotations

import struct
from pathlib import Path

OUT = Path(__file__).parent / "hpo" / "ontology_v3.hpo"

RELEASE = (2025, 11, 24)
# (term, name, obsolete, replacement or 0, parents)
TERMS = [
    (1, "All", False, 0, []),
    (118, "Phenotypic abnormality", False, 0, [1]),
    (5, "Mode of inheritance", False, 0, [1]),
    (6, "Autosomal dominant inheritance", False, 0, [5]),
    (707, "Abnormality of the nervous system", False, 0, [118]),
    (1250, "Seizure", False, 0, [707, 118]),
    (9999, "obsolete Fits", True, 1250, []),
]
GENES = [(6323, "SCN1A", [1250, 6]), (3785, "KCNQ2", [1250])]
OMIM = [(607208, "Dravet syndrome", [1250, 6]), (613720, "Développemental encephalopathy 7", [])]
ORPHA = [(33069, "Dravet syndrome", [1250])]


def u32(n: int) -> bytes:
    return struct.pack(">I", n)


def term_record(term: int, name: str, obsolete: bool, replacement: int) -> bytes:
    raw = name.encode()
    return (
        u32(14 + len(raw))
        + u32(term)
        + bytes([len(raw)])
        + raw
        + bytes([obsolete])
        + u32(replacement)
    )


def parents_record(term: int, parents: list[int]) -> bytes:
    return u32(len(parents)) + u32(term) + b"".join(u32(p) for p in parents)


def annotation_record(number: int, name: str, terms: list[int], name_width: int) -> bytes:
    """A gene (name length as u8, ``name_width`` 1) or disease (u32, 4) record."""
    raw = name.encode()
    body = u32(number) + len(raw).to_bytes(name_width, "big") + raw + u32(len(terms))
    body += b"".join(u32(t) for t in terms)
    return u32(4 + len(body)) + body


def section(records: list[bytes]) -> bytes:
    payload = b"".join(records)
    return u32(len(payload)) + payload


def ontology_bytes() -> bytes:
    """The whole blob."""
    year, month, day = RELEASE
    return b"".join(
        [
            b"HPO\x03" + struct.pack(">HBB", year, month, day),
            section([term_record(t, n, o, r) for t, n, o, r, _ in TERMS]),
            section([parents_record(t, p) for t, _, _, _, p in TERMS]),
            section([annotation_record(g, s, ts, 1) for g, s, ts in GENES]),
            section([annotation_record(d, n, ts, 4) for d, n, ts in OMIM]),
            section([annotation_record(d, n, ts, 4) for d, n, ts in ORPHA]),
        ]
    )


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(ontology_bytes())
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
