"""Bad input and faults: exit codes, one-line messages, no partial output (docs/errors.md).

Fixtures: test_data/errors/ (``make_error_fixtures.py``), each a one-change copy of the tiny
patient ``kb/case.vcf`` on the ``tiny_kb`` knowledge base.
"""

from __future__ import annotations

import errno
import json
import os
import socket
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import TEST_DATA

from varprio import pipeline
from varprio.cli import main
from varprio.features import FEATURE_COLUMNS
from varprio.ranker import CARD_FILE, MODEL_FILE
from varprio.schemas import SCHEMA_VERSION

ERR = TEST_DATA / "errors"
CASE = TEST_DATA / "kb" / "case.vcf"
HPO = "HP:0002123,HP:0001256"


def run(kb: Path, *args: str, input: bytes | None = None) -> Result:  # noqa: A002
    return CliRunner().invoke(main, [*args, "--kb", str(kb), "--model", "transparent"], input=input)


def prioritize(kb: Path, vcf: Path | str, out: Path | None, *args: str) -> Result:
    prefix = ["--out-prefix", str(out / "case")] if out is not None else []
    return run(kb, "prioritize", str(vcf), "--hpo", HPO, *prefix, *args)


def assert_input_error(r: Result, out: Path, *words: str, code: int = 2) -> None:
    """Exit ``code``, one stderr line naming ``words``, no traceback, nothing written."""
    assert r.exit_code == code, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("varprio: error: "), r.stderr
    for word in words:
        assert word in lines[0], lines[0]
    assert not out.exists() or list(out.iterdir()) == []


def ranking(r: Result) -> list[tuple[str, ...]]:
    """(rank, chrom, pos, ref, alt, gene, score) of each variant row of a TSV on stdout."""
    assert r.exit_code == 0, r.output
    rows = [ln.split("\t") for ln in r.stdout.splitlines() if not ln.startswith("##")]
    cols = rows[0]
    keep = [cols.index(c) for c in ("rank", "chrom", "pos", "ref", "alt", "gene", "score")]
    return [tuple(row[i] for i in keep) for row in rows[1:]]


@pytest.fixture(scope="module")
def expected(tiny_kb: Path) -> list[tuple[str, ...]]:
    """The ranking of the unchanged tiny patient."""
    rows = ranking(prioritize(tiny_kb, CASE, None))
    assert rows[0][5] == "GENEC"
    return rows


# ----- files and formats -----
def test_missing_file(tiny_kb: Path, tmp_path: Path) -> None:
    r = prioritize(tiny_kb, tmp_path / "nope.vcf", tmp_path / "out")
    assert_input_error(r, tmp_path / "out", "nope.vcf", "cannot read")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files without read permission")
def test_unreadable_file(tiny_kb: Path, tmp_path: Path) -> None:
    vcf = tmp_path / "locked.vcf"
    vcf.write_bytes(CASE.read_bytes())
    vcf.chmod(0)
    assert_input_error(prioritize(tiny_kb, vcf, tmp_path / "out"), tmp_path / "out", "locked.vcf")


@pytest.mark.parametrize(
    ("vcf", "words"),
    [
        (TEST_DATA / "vcf" / "not_a_vcf.txt", ("not_a_vcf.txt", "is not a VCF or BCF")),
        (TEST_DATA / "vcf" / "truncated.vcf.gz", ("truncated.vcf.gz", "truncated or corrupt")),
        (ERR / "sites_only.vcf", ("sites_only.vcf", "no sample columns")),
        (ERR / "duplicate_samples.vcf", ("duplicate_samples.vcf", "TINY1 appears twice")),
        (TEST_DATA / "vcf" / "two_samples.vcf", ("two_samples.vcf", "--sample")),
        (ERR / "unsorted_pos.vcf", ("unsorted_pos.vcf", "record 2 (line 8), field POS", "2500")),
        (ERR / "contig_back.vcf", ("contig_back.vcf", "record 3 (line 9), field CHROM", "chr1")),
        (ERR / "grch37.vcf", ("grch37.vcf", "##contig chr1", "GRCh37", "GRCh38")),
        (ERR / "bad_gt_in_gene.vcf", ("bad_gt_in_gene.vcf", "record 4 (line 10), field GT", "0/x")),
        (ERR / "bad_ad_in_gene.vcf", ("record 4 (line 10), field AD", "'x'")),
        (ERR / "bad_dp_in_gene.vcf", ("record 4 (line 10), field DP", "'3l'")),
    ],
    ids=lambda v: v.name if isinstance(v, Path) else "",
)
def test_bad_vcf(tiny_kb: Path, tmp_path: Path, vcf: Path, words: tuple[str, ...]) -> None:
    assert_input_error(prioritize(tiny_kb, vcf, tmp_path / "out"), tmp_path / "out", *words)


def test_sample_not_found(tiny_kb: Path, tmp_path: Path) -> None:
    r = prioritize(tiny_kb, CASE, tmp_path / "out", "--sample", "NOBODY")
    assert_input_error(r, tmp_path / "out", "sample NOBODY not found", "case.vcf", "TINY1")


def test_malformed_gt_outside_regions_only_with_all_records(tiny_kb: Path, tmp_path: Path,
                                                            expected: list) -> None:  # fmt: skip
    vcf = ERR / "bad_gt_intergenic.vcf"
    assert ranking(prioritize(tiny_kb, vcf, None)) == expected
    r = prioritize(tiny_kb, vcf, tmp_path / "out", "--all-records")
    assert_input_error(r, tmp_path / "out", "record 5 (line 11), field GT", "0/x")


@pytest.mark.parametrize(
    "vcf", [ERR / "case.bcf", ERR / "crlf.vcf", ERR / "nochr.vcf", ERR / "grch38.vcf"],
    ids=lambda p: p.name,
)  # fmt: skip
def test_same_ranking(tiny_kb: Path, vcf: Path, expected: list) -> None:
    """BCF, CRLF line endings, bare contig names and GRCh38 ##contig lines change nothing."""
    assert ranking(prioritize(tiny_kb, vcf, None)) == expected


def test_odd_alleles_are_skipped_with_counts(tiny_kb: Path, expected: list) -> None:
    r = prioritize(tiny_kb, ERR / "alleles.vcf", None)
    assert ranking(r) == expected  # lowercase REF/ALT upper-cased
    warning = [ln for ln in r.stderr.splitlines() if "skipped ALT alleles" in ln]
    assert warning == [
        f"varprio: WARNING: {ERR / 'alleles.vcf'}: skipped ALT alleles that cannot be ranked: "
        "2 symbolic, 1 star, 1 breakend"
    ]


def test_huge_info_field(tiny_kb: Path, tmp_path: Path, expected: list) -> None:
    """A 1 MB and a 6 MB INFO value (longer than a CSV block) parse like any other."""
    for size in (1 << 20, 6 << 20):
        lines = CASE.read_text().splitlines()
        out = [ln if ln.startswith("#") else "\t".join(
            [*ln.split("\t")[:7], "BIG=" + "A" * size, *ln.split("\t")[8:]]) for ln in lines
        ]  # fmt: skip
        vcf = tmp_path / f"big{size}.vcf"
        vcf.write_text("\n".join(out) + "\n")
        assert ranking(prioritize(tiny_kb, vcf, None)) == expected


def test_header_only_gives_empty_tables(tiny_kb: Path, tmp_path: Path) -> None:
    r = prioritize(tiny_kb, ERR / "header_only.vcf", tmp_path)
    assert r.exit_code == 0, r.output
    for table in ("variants", "genes"):
        text = (tmp_path / f"case.{table}.tsv").read_text()
        assert [ln for ln in text.splitlines() if not ln.startswith("##")][0].startswith("rank\t")
        assert len([ln for ln in text.splitlines() if not ln.startswith("##")]) == 1


# ----- phenotypes -----
@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--hpo", "HP:9999999"], ("HP:9999999",)),
        (["--hpo", "seizures"], ("seizures",)),
        (["--hpo", ""], ("no observed HPO term",)),
        (["--hpo-file", str(ERR / "empty.hpo.txt")], ("no observed HPO term",)),
        (["--hpo-file", str(ERR / "obsolete_noreplace.hpo.txt")], ("HP:0000003",)),
        (["--phenopacket", str(ERR / "malformed.json")], ("malformed.json:2", "invalid JSON")),
        (["--phenopacket", str(ERR / "wrong_schema.json")], ("wrong_schema.json",
                                                             "phenotypicFeatures")),
        (["--phenopacket", str(ERR / "wrong_schema.yaml")], ("wrong_schema.yaml",
                                                             "phenotypicFeatures[0].type.id")),
    ],
)  # fmt: skip
def test_bad_phenotype(tiny_kb: Path, tmp_path: Path, args: list[str], words: tuple) -> None:
    r = run(tiny_kb, "prioritize", str(CASE), *args, "--out-prefix", str(tmp_path / "o" / "c"))
    assert_input_error(r, tmp_path / "o", *words)


def test_alt_and_obsolete_ids_are_mapped_with_warnings(tiny_kb: Path) -> None:
    r = run(tiny_kb, "prioritize", str(CASE), "--hpo-file", str(ERR / "obsolete_alt.hpo.txt"))
    assert r.exit_code == 0, r.output
    assert "2 alt, obsolete or newer ID(s) replaced by current IDs (-vv lists them)" in r.stderr
    r = run(tiny_kb, "-vv", "prioritize", str(CASE), "--hpo-file",
            str(ERR / "obsolete_alt.hpo.txt"))  # fmt: skip
    assert "HP:0002279 replaced by HP:0001250" in r.stderr
    assert "HP:0000057 replaced by HP:0001631" in r.stderr


# ----- outputs -----
def test_unwritable_output_directory(tiny_kb: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    r = prioritize(tiny_kb, CASE, blocker / "out")
    assert r.exit_code == 4, r.output
    assert r.stderr.strip().splitlines() == [
        f"varprio: error: {blocker / 'out' / 'case.variants.tsv'}: cannot write here "
        "(Not a directory)"
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_read_only_output_directory(tiny_kb: Path, tmp_path: Path) -> None:
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    r = prioritize(tiny_kb, CASE, out)
    assert r.exit_code == 4 and "cannot write here" in r.stderr and list(out.iterdir()) == []


class _FullDisk:
    """A file whose writes fail with ENOSPC after ``room`` bytes, as on a full disk."""

    def __init__(self, fh: Any, room: int = 100) -> None:
        self._fh, self._room = fh, room

    def write(self, data: Any) -> int:
        if len(data) > self._room:
            self._fh.write(data[: self._room])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._room -= len(data)
        return int(self._fh.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()


def test_disk_full_in_a_file_group(tiny_kb: Path, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Writers fill the temporary files of ``AtomicFiles``: a full disk leaves nothing."""
    from varprio.report.atomic import AtomicFiles

    handed: set[str] = set()
    real_path, real_open = AtomicFiles.path, open

    def path(self: AtomicFiles, final: Path) -> Path:
        tmp = real_path(self, final)
        handed.add(str(tmp))
        return tmp

    def full_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        fh = real_open(file, mode, *args, **kwargs)
        return _FullDisk(fh) if str(file) in handed and "w" in mode else fh

    monkeypatch.setattr(AtomicFiles, "path", path)
    monkeypatch.setattr("builtins.open", full_open)
    r = prioritize(tiny_kb, CASE, tmp_path / "out", "--format", "tsv,json")
    assert r.exit_code == 4, r.output
    assert "No space left on device" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert handed and list((tmp_path / "out").iterdir()) == []


def test_disk_full_in_a_single_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``atomic_text`` (summary.tsv, stdout-less tables): ENOSPC -> OutputError, no file."""
    from varprio.errors import OutputError
    from varprio.report import atomic

    real = os.fdopen
    monkeypatch.setattr(atomic.os, "fdopen", lambda *a, **k: _FullDisk(real(*a, **k)))
    with (
        pytest.raises(OutputError, match="t.tsv: writing failed .No space left"),
        atomic.atomic_text(tmp_path / "t.tsv") as fh,
    ):
        fh.write("x" * 1000)
    assert list(tmp_path.iterdir()) == []


# ----- exit codes of faults -----
def test_internal_error_exits_70_with_traceback(tiny_kb: Path, monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:  # fmt: skip
    def broken(*args: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(pipeline, "run_case", broken)
    r = prioritize(tiny_kb, CASE, tmp_path / "out")
    assert r.exit_code == 70
    assert "Traceback" in r.stderr and "ZeroDivisionError: a bug" in r.stderr
    assert r.stderr.strip().splitlines()[-1] == (
        "varprio: internal error: please report it with the command line"
    )
    assert not (tmp_path / "out").exists()


def test_interrupt_exits_130(tiny_kb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "run_case", interrupted)
    r = prioritize(tiny_kb, CASE, None)
    assert r.exit_code == 130 and "Traceback" not in r.stderr


def test_click_usage_errors_stay_click_errors(tiny_kb: Path) -> None:
    r = run(tiny_kb, "prioritize", str(CASE), "--hpo", HPO, "--top", "0")
    assert r.exit_code == 2 and "Traceback" not in r.stderr and "--top" in r.stderr


def test_model_changed_after_its_card_is_refused(tiny_kb: Path, tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / MODEL_FILE).write_text("tree\n")
    card = {"features": list(FEATURE_COLUMNS), "kb_schema_version": SCHEMA_VERSION,
            "model_sha256": "0" * 64, "name": "m", "version": "1"}  # fmt: skip
    (model / CARD_FILE).write_text(json.dumps(card))
    r = CliRunner().invoke(main, ["prioritize", str(CASE), "--hpo", HPO, "--kb", str(tiny_kb),
                                  "--model", str(model)])  # fmt: skip
    assert r.exit_code == 3, r.output
    assert "model.txt: sha256" in r.stderr and "differs from model_card.json" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_kb_with_a_changed_table_is_refused(tiny_kb: Path, tmp_path: Path) -> None:
    import shutil

    kb = tmp_path / "kb"
    shutil.copytree(tiny_kb, kb)
    table = sorted(kb.rglob("*.parquet"))[0]
    with table.open("ab") as fh:
        fh.write(b"x")
    r = CliRunner().invoke(main, ["prioritize", str(CASE), "--hpo", HPO, "--kb", str(kb)])
    assert r.exit_code == 3, r.output
    assert table.name in r.stderr and len(r.stderr.strip().splitlines()) == 1


# ----- security -----
def test_path_like_ids_never_leave_the_output_directory(tiny_kb: Path, tmp_path: Path) -> None:
    evil = tmp_path / "evil.vcf"
    evil.write_text(CASE.read_text().replace("\tTINY1\n", "\t../../x\n"))
    out = tmp_path / "a" / "b" / "results"
    manifest = tmp_path / "manifest.tsv"
    manifest.write_text(
        "id\tvcf\thpo\tsample\n"
        f"../../x\t{CASE}\t{HPO}\t\n"
        f"/tmp/abs\t{CASE}\t{HPO}\t\n"
        f"ok\t{evil}\t{HPO}\t../../x\n"
    )
    before = set(tmp_path.rglob("*"))
    r = run(tiny_kb, "batch", str(manifest), "--out-dir", str(out), "--format", "tsv,json")
    assert r.exit_code == 1
    r2 = prioritize(tiny_kb, evil, out / "single", "--format", "tsv,json,html,vcf")
    assert r2.exit_code == 0, r2.output
    new = set(tmp_path.rglob("*")) - before
    assert new and all(p == out or out in p.parents or p in out.parents for p in new)
    assert not Path("/tmp/abs.variants.tsv").exists()
    assert (out / "ok.variants.tsv").exists()


def test_no_network(tiny_kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    r = prioritize(tiny_kb, CASE, tmp_path, "--format", "tsv,json,html,vcf,parquet")
    assert r.exit_code == 0, r.output
    manifest = tmp_path / "m.tsv"
    manifest.write_text(f"id\tvcf\thpo\na\t{CASE}\t{HPO}\n")
    r = run(tiny_kb, "batch", str(manifest), "--out-dir", str(tmp_path / "b"))
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize(
    ("name", "message"),
    [("unsorted_pos.vcf", r"record 2 \(line 8\), field POS"),
     ("contig_back.vcf", r"record 3 \(line 9\), field CHROM")],
)  # fmt: skip
def test_order_is_checked_across_chunks(monkeypatch: pytest.MonkeyPatch, name: str,
                                        message: str) -> None:  # fmt: skip
    """One record per chunk: the last contig and POS carry over from chunk to chunk."""
    from varprio.errors import InputError
    from varprio.io import vcf

    monkeypatch.setattr(vcf, "CHUNK_BYTES", 16)
    with pytest.raises(InputError, match=message), vcf.VcfReader(str(ERR / name)) as reader:
        reader.read_all()
    with vcf.VcfReader(str(CASE)) as reader:
        assert reader.read_all().num_rows == 5
    with vcf.VcfReader(str(ERR / name), sorted_only=False) as reader:
        assert reader.read_all().num_rows == 5
