"""``varprio batch`` at scale: resume after a hard kill, phenopacket directories, summaries,
cohort-local frequencies (on the tiny knowledge base)."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pytest
from click.testing import CliRunner
from conftest import TEST_DATA

from varprio.batch import _top_hit, phenopacket_vcf, read_manifest
from varprio.cli import main
from varprio.errors import InputError
from varprio.pipeline import CaseResult

CASE = TEST_DATA / "kb" / "case.vcf"
TERMS = ["HP:0002123", "HP:0001256", "HP:0001631", "HP:0001250", "HP:0001629", "HP:0000505"]


def variant_vcfs(tmp: Path, n: int, seed: int = 7) -> list[Path]:
    """``n`` variations of the tiny case: each drops one or two of its five records."""
    lines = CASE.read_text().splitlines(keepends=True)
    header = [ln for ln in lines if ln.startswith("#")]
    records = [ln for ln in lines if not ln.startswith("#")]
    rng = random.Random(seed)
    paths = []
    for i in range(n):
        dropped = set(rng.sample(range(len(records)), 1 + i % 2))
        path = tmp / f"v{i}.vcf"
        path.write_text("".join(header + [r for j, r in enumerate(records) if j not in dropped]))
        paths.append(path)
    return paths


def manifest(tmp: Path, n: int) -> Path:
    """A manifest of ``n`` cases: VCF variations, two or three HPO terms each."""
    rng = random.Random(11)
    rows = ["id\tvcf\thpo"]
    for i, vcf in enumerate(variant_vcfs(tmp, n)):
        rows.append(f"case{i:02d}\t{vcf}\t{','.join(rng.sample(TERMS, 2 + i % 2))}")
    path = tmp / "manifest.tsv"
    path.write_text("\n".join(rows) + "\n")
    return path


def batch_cmd(kb: Path, man: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "varprio", "-v", "batch", str(man), "--out-dir", str(out),
            "--kb", str(kb), "--format", "tsv,json", "-j", "2", *extra]  # fmt: skip


def normalised(path: Path) -> bytes:
    """File bytes without the command that made them (the resumed run's differs)."""
    text = path.read_bytes()
    if path.name == "summary.tsv":  # seconds differ from run to run: blank that column
        lines = text.decode().splitlines()
        cols = next(ln.split("\t") for ln in lines if not ln.startswith("##"))
        at = cols.index("seconds")
        out = []
        for ln in lines:
            if not ln.startswith("##"):
                fields = ln.split("\t")
                fields[at] = ""
                ln = "\t".join(fields)
            out.append(ln)
        text = "\n".join(out).encode()
    text = re.sub(rb"##varprio_command=[^\n]*\n", b"", text)
    return re.sub(rb'"command": ?"(?:[^"\\]|\\.)*"', b'"command":""', text)


def visible(out: Path) -> dict[str, bytes]:
    return {p.name: normalised(p) for p in sorted(out.iterdir()) if not p.name.startswith(".")}


def test_resume_after_sigkill_matches_an_uninterrupted_run(tiny_kb: Path, tmp_path: Path) -> None:
    n = 14
    man = manifest(tmp_path, n)
    full, cut = tmp_path / "full", tmp_path / "cut"
    assert subprocess.run(batch_cmd(tiny_kb, man, full), capture_output=True).returncode == 0
    rng = random.Random(20240611)
    kill_after, extra_delay = rng.randint(2, n - 4), rng.uniform(0, 0.05)
    proc = subprocess.Popen(
        batch_cmd(tiny_kb, man, cut), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        while proc.poll() is None and len(list(cut.glob(".*.done"))) < kill_after:
            time.sleep(0.005)
        time.sleep(extra_delay)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    done_before = len(list(cut.glob(".*.done")))
    assert done_before < n, "the batch finished before it could be killed"
    r = subprocess.run(batch_cmd(tiny_kb, man, cut, "--resume"), capture_output=True)
    assert r.returncode == 0, r.stderr
    assert f"resume: {done_before} of {n} rows already done" in r.stderr.decode()
    assert visible(cut) == visible(full)
    assert not [p for p in cut.iterdir() if p.name.endswith((".tmp", ".part"))]


def test_resume_removes_temporaries_of_a_killed_run(tiny_kb: Path, tmp_path: Path) -> None:
    """What a SIGKILL leaves half-written (an output's or a done marker's temporary) goes."""
    man, out = manifest(tmp_path, 2), tmp_path / "out"
    out.mkdir()
    stale = [out / ".case00.variants.tsv.x1.tmp", out / "..case01.done.x2.tmp"]
    for path in stale:
        path.write_text("half")
    r = subprocess.run(batch_cmd(tiny_kb, man, out, "--resume"), capture_output=True)
    assert r.returncode == 0, r.stderr
    assert not [p for p in stale if p.exists()]


def run(kb: Path, *args: str):
    return CliRunner().invoke(main, [*args, "--kb", str(kb)])


def summary_rows(out: Path) -> list[dict[str, str]]:
    lines = [ln for ln in (out / "summary.tsv").read_text().splitlines() if not ln.startswith("##")]
    cols = lines[0].split("\t")
    return [dict(zip(cols, ln.split("\t"), strict=True)) for ln in lines[1:]]


def test_resume_skips_done_rows_and_reruns_changed_settings(tiny_kb: Path, tmp_path: Path) -> None:
    man, out = manifest(tmp_path, 3), tmp_path / "out"
    assert run(tiny_kb, "batch", str(man), "--out-dir", str(out)).exit_code == 0
    genes = out / "case01.genes.tsv"
    stamp = genes.stat().st_mtime_ns
    (out / "case02.variants.tsv").unlink()  # an incomplete row is redone
    r = run(tiny_kb, "-v", "batch", str(man), "--out-dir", str(out), "--resume")
    assert r.exit_code == 0 and "resume: 2 of 3 rows already done" in r.stderr
    assert genes.stat().st_mtime_ns == stamp and (out / "case02.variants.tsv").exists()
    r = run(tiny_kb, "-v", "batch", str(man), "--out-dir", str(out), "--resume", "--top", "2")
    assert "resume: 0 of 3 rows already done" in r.stderr


def test_summary_columns_and_probability(tiny_kb: Path, tmp_path: Path) -> None:
    man = manifest(tmp_path, 2)
    r = run(tiny_kb, "batch", str(man), "--out-dir", str(tmp_path / "a"))
    assert r.exit_code == 0
    rows = summary_rows(tmp_path / "a")
    assert list(rows[0]) == ["id", "status", "top_gene", "top_variant", "score", "probability",
                             "seconds", "error"]  # fmt: skip
    assert all(r["status"] == "ok" and r["top_gene"].startswith("GENE") for r in rows)
    r = run(tiny_kb, "batch", str(man), "--out-dir", str(tmp_path / "t"), "--model", "transparent")
    assert r.exit_code == 0
    assert {row["probability"] for row in summary_rows(tmp_path / "t")} == {"."}
    genes = pa.table({"gene": ["G1", "G2"], "top_variant": ["chr1-5-A-T", "chr2-9-C-G"],
                      "score": [0.9, 0.1], "probability": [0.4213, 0.01]})  # fmt: skip
    result = CaseResult(genes.slice(0, 0), genes, None, None)  # type: ignore[arg-type]
    assert _top_hit(result) == {"top_gene": "G1", "top_variant": "chr1-5-A-T", "score": "0.9",
                                "probability": "0.4213"}  # fmt: skip


def phenopacket(path: Path, vcf_uri: str | None, fmt: str = "VCF") -> Path:
    doc = {
        "id": path.stem,
        "subject": {"id": "TINY1", "sex": "FEMALE"},
        "phenotypicFeatures": [{"type": {"id": "HP:0002123"}}, {"type": {"id": "HP:0001256"}}],
        "files": (
            [] if vcf_uri is None
            else [{"uri": vcf_uri,
                   "fileAttributes": {"fileFormat": fmt, "genomeAssembly": "GRCh38"}}]
        ),
    }  # fmt: skip
    path.write_text(json.dumps(doc))
    return path


def test_phenopacket_directory_as_manifest(tiny_kb: Path, tmp_path: Path) -> None:
    pp = tmp_path / "phenopackets"
    pp.mkdir()
    phenopacket(pp / "p1.json", CASE.as_uri())
    phenopacket(pp / "p2.json", f"/elsewhere/{CASE.name}", fmt="vcf")
    phenopacket(pp / "p3.json", None)
    (pp / "notes.txt").write_text("not a phenopacket\n")
    out = tmp_path / "out"
    r = run(tiny_kb, "batch", str(pp), "--out-dir", str(out), "--vcf-dir", str(CASE.parent))
    assert r.exit_code == 1
    status = {row["id"]: (row["status"], row["error"]) for row in summary_rows(out)}
    assert status["p1"] == status["p2"] == ("ok", ".")
    assert status["p3"][0] == "failed"
    assert "p3.json: files: no entry with fileAttributes.fileFormat VCF" in status["p3"][1]
    top = summary_rows(out)[0]["top_gene"]
    assert top == "GENEC"


def test_phenopacket_vcf_resolution(tmp_path: Path) -> None:
    p = phenopacket(tmp_path / "a.json", "vcf/a.vcf.gz")
    assert phenopacket_vcf(p) == str(tmp_path / "vcf" / "a.vcf.gz")
    assert phenopacket_vcf(p, Path("/data/v")) == "/data/v/a.vcf.gz"
    bad = tmp_path / "b.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="b.json: cannot read the phenopacket"):
        phenopacket_vcf(bad)
    rows = read_manifest(tmp_path)
    assert [(r.id, r.request is not None) for r in rows] == [("a", True), ("b", False)]


def test_cohort_frequency_columns(tiny_kb: Path, tmp_path: Path) -> None:
    vcfs = variant_vcfs(tmp_path, 3)
    man = tmp_path / "m.tsv"
    rows = [f"s{i}\t{v}\tHP:0002123,HP:0001256" for i, v in enumerate([CASE, *vcfs])]
    man.write_text("id\tvcf\thpo\n" + "\n".join(rows) + "\n")
    out = tmp_path / "out"
    r = run(tiny_kb, "batch", str(man), "--out-dir", str(out), "--cohort-frequency", "-j", "2")
    assert r.exit_code == 0, r.output
    expected: dict[str, tuple[int, int]] = {}
    for vcf in [CASE, *vcfs]:
        for ln in vcf.read_text().splitlines():
            if not ln.startswith("#"):
                f = ln.split("\t")
                ac, hom = expected.get(f"{f[0]}:{f[1]}:{f[3]}:{f[4]}", (0, 0))
                hom += f[9].startswith("1/1")
                expected[f"{f[0]}:{f[1]}:{f[3]}:{f[4]}"] = (ac + 1, hom)
    lines = [ln.split("\t") for ln in (out / "s0.variants.tsv").read_text().splitlines()
             if not ln.startswith("##")]  # fmt: skip
    cols = lines[0]
    assert cols[-2:] == ["cohort_ac", "cohort_hom"]
    seen = {}
    for row in lines[1:]:
        rec = dict(zip(cols, row, strict=True))
        key = f"{rec['chrom']}:{rec['pos']}:{rec['ref']}:{rec['alt']}"
        seen[key] = (int(rec["cohort_ac"]), int(rec["cohort_hom"]))
    assert seen and seen == {k: expected[k] for k in seen}
    plain = tmp_path / "plain"
    assert run(tiny_kb, "batch", str(man), "--out-dir", str(plain)).exit_code == 0
    assert "cohort_ac" not in (plain / "s0.variants.tsv").read_text()
