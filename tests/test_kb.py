"""Knowledge-base build, manifest, load checks, info and verify, on the tiny fixtures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import TEST_DATA

from varprio.cli import main
from varprio.errors import InputError, KnowledgeBaseError
from varprio.kb.build import BuildInputs, build_kb
from varprio.kb.load import KnowledgeBase
from varprio.kb.manifest import Manifest
from varprio.kb.sources.hgnc import build_hgnc_table, symbol_lookup
from varprio.kb.sources.kgp import build_kgp_table


def test_manifest_records_every_source_and_table(tiny_kb: Path) -> None:
    m = Manifest.read(tiny_kb)
    assert m.assembly == "GRCh38"
    assert [s.name for s in m.sources] == ["hpo", "gene_models", "hgnc", "kgp"]
    for s in m.sources:
        assert s.files and all(len(d) == 64 for d in s.files.values())
        assert s.tables
    assert {"hpo/hpo_terms", "gene_models/transcripts", "hgnc/genes", "frequencies/kgp"} <= set(
        m.tables
    )
    assert all(t.rows > 0 for t in m.tables.values())
    assert m.sources[0].version == "HPO 2025-01-16"


def test_build_is_deterministic(tiny_kb: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    inputs = BuildInputs(
        tmp_path / "cache", TEST_DATA / "hpo", TEST_DATA / "kb" / "genes.gtf",
        TEST_DATA / "kb" / "hgnc.txt", TEST_DATA / "kb" / "peddy",
    )  # fmt: skip
    build_kb(again, inputs, "pytest tiny_kb")
    assert Manifest.read(again).checksum == Manifest.read(tiny_kb).checksum


def test_failed_build_leaves_previous_kb(tiny_kb: Path, tmp_path: Path) -> None:
    out = tmp_path / "kb"
    shutil.copytree(tiny_kb, out)
    before = (out / "manifest.json").read_text()
    bad = BuildInputs(tmp_path / "cache", TEST_DATA / "vcf", kgp_dir=TEST_DATA / "kb" / "peddy")
    with pytest.raises(InputError):
        build_kb(out, bad, "bad")
    assert (out / "manifest.json").read_text() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".kb")] == []


def test_load_refuses_other_schema_version(tiny_kb: Path, tmp_path: Path) -> None:
    out = tmp_path / "kb"
    shutil.copytree(tiny_kb, out)
    doc = json.loads((out / "manifest.json").read_text())
    doc["schema_version"] = 999
    (out / "manifest.json").write_text(json.dumps(doc))
    with pytest.raises(KnowledgeBaseError, match="schema version 999"):
        KnowledgeBase(out)


def test_load_detects_damaged_table(tiny_kb: Path, tmp_path: Path) -> None:
    out = tmp_path / "kb"
    shutil.copytree(tiny_kb, out)
    with open(out / "hgnc" / "genes.parquet", "ab") as fh:
        fh.write(b"junk")
    with pytest.raises(KnowledgeBaseError, match="genes.parquet"):
        KnowledgeBase(out)


def test_missing_kb_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="no knowledge base here"):
        KnowledgeBase(tmp_path)


def test_kb_info_and_verify(tiny_kb: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    info = runner.invoke(main, ["kb", "info", "--kb", str(tiny_kb)])
    assert info.exit_code == 0, info.output
    assert "HPO 2025-01-16" in info.output and "sha256" in info.output
    doc = json.loads(runner.invoke(main, ["kb", "info", "--kb", str(tiny_kb), "--json"]).output)
    assert doc["path"] == str(tiny_kb.resolve()) and doc["checksum"]
    assert runner.invoke(main, ["kb", "verify", "--kb", str(tiny_kb)]).exit_code == 0
    out = tmp_path / "kb"
    shutil.copytree(tiny_kb, out)
    path = out / "frequencies" / "kgp.parquet"
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF  # same size, different content: only the full check sees it
    path.write_bytes(bytes(data))
    bad = runner.invoke(main, ["kb", "verify", "--kb", str(out)])
    assert bad.exit_code == 3 and "frequencies/kgp" in bad.output


def test_kgp_frequencies_from_genotypes() -> None:
    table = build_kgp_table(TEST_DATA / "kb" / "peddy").to_pylist()
    assert table[0]["chrom"] == "chr1" and table[0]["pos"] == 2050
    assert table[0]["kgp_af"] == pytest.approx(0.5)
    assert table[0]["kgp_nhomalt"] == 2
    assert table[1]["kgp_af"] == pytest.approx(0.05)
    assert table[1]["kgp_af_sas"] == pytest.approx(0.25)  # one het among two SAS people
    assert table[1]["kgp_grpmax"] == "SAS"


def test_hgnc_symbols_aliases() -> None:
    lookup = symbol_lookup(build_hgnc_table(TEST_DATA / "kb" / "hgnc.txt"))
    assert lookup["GENEA"] == "HGNC:90001"
    assert lookup["GENEA_ALIAS"] == "HGNC:90001"


def test_hgnc_wrong_file(tmp_path: Path) -> None:
    bad = tmp_path / "hgnc.txt"
    bad.write_text("a\tb\n1\t2\n")
    with pytest.raises(InputError, match="header lacks"):
        build_hgnc_table(bad)


def test_array_file_round_trip_and_damage(tmp_path: Path) -> None:
    """Arrays come back equal (dtypes, shapes, empty ones); damaged files raise ValueError."""
    from varprio.kb.arrays import read_arrays, write_arrays

    arrays = {
        "ints": np.arange(1000, dtype=np.int64),
        "grid": np.arange(12, dtype=np.float32).reshape(3, 4),
        "flags": np.array([True, False, True]),
        "empty": np.zeros(0, np.uint8),
        "bytes": np.frombuffer(b"ACGT", np.uint8),
    }
    path = tmp_path / "a.arrays"
    with open(path, "wb") as fh:
        write_arrays(fh, arrays)
    got = read_arrays(path)
    assert list(got) == list(arrays)
    for name, want in arrays.items():
        assert got[name].dtype == want.dtype and np.array_equal(got[name], want), name
    assert not got["ints"].flags.writeable  # a read-only view of the mapped file
    full = path.read_bytes()
    for damaged in (b"", b"not an array file at all", full[: len(full) - 100]):
        path.write_bytes(damaged)
        with pytest.raises(ValueError):
            read_arrays(path)
    with open(tmp_path / "b", "wb") as fh, pytest.raises(ValueError, match="object"):
        write_arrays(fh, {"o": np.array(["x"], dtype=object)})


def test_preloaded_tables_equal_tables_read_on_demand(tiny_kb: Path) -> None:
    """open_kb reads the resident tables in the background; table() gives the same tables."""
    from varprio.kb.load import open_kb

    kb = open_kb(tiny_kb)
    names = sorted(kb.manifest.tables)
    fresh = KnowledgeBase(tiny_kb)
    for name in names:
        assert kb.table(name).equals(fresh.table(name)), name
    kb.preload(["no/such_table", *names])  # unknown and already read names are ignored
    with pytest.raises(KnowledgeBaseError, match="no table"):
        kb.table("no/such_table")
