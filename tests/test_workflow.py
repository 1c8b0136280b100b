"""The pipeline wrappers: the Snakemake workflow run for real on three tiny cases, and the
Nextflow module checked for structure (Nextflow's launcher downloads its runtime from outside
the package registries, so it cannot run here)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, TEST_DATA

CASE = TEST_DATA / "kb" / "case.vcf"
WORKFLOW = ROOT / "workflow"
NEXTFLOW = WORKFLOW / "nextflow"


def three_cases(tmp: Path) -> Path:
    """A sample sheet of the tiny case and two variations of it (a record dropped, other terms)."""
    lines = CASE.read_text().splitlines(keepends=True)
    header = [ln for ln in lines if ln.startswith("#")]
    records = [ln for ln in lines if not ln.startswith("#")]
    (tmp / "vcf").mkdir()
    (tmp / "vcf" / "a.vcf").write_text("".join(lines))
    (tmp / "vcf" / "b.vcf").write_text("".join(header + records[1:]))
    (tmp / "vcf" / "c.vcf").write_text("".join(header + records[:3]))
    sheet = tmp / "samples.tsv"
    sheet.write_text(
        "id\tvcf\thpo\texcluded\n"
        "a\tvcf/a.vcf\tHP:0002123,HP:0001256\t\n"
        "b\tvcf/b.vcf\tHP:0001631\tHP:0000505\n"
        "c\tvcf/c.vcf\tHP:0001250,HP:0001249\t\n"
    )
    return sheet


def snakemake_cmd(workdir: Path, config: Path, *extra: str) -> list[str]:
    snakefile = str(WORKFLOW / "Snakefile")
    return [sys.executable, "-m", "snakemake", "--snakefile", snakefile, "--directory",
            str(workdir), "--configfile", str(config), "--cores", "2", *extra]  # fmt: skip


def test_snakemake_workflow_runs_three_cases(tiny_kb: Path, tmp_path: Path) -> None:
    pytest.importorskip("snakemake", reason="snakemake not installed (.ci/run installs it)")
    three_cases(tmp_path)
    config = tmp_path / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "samples": "samples.tsv",
                "kb": str(tiny_kb),
                "outdir": "results",
                "varprio": f"{sys.executable} -m varprio",
                "extra_formats": ["json"],
                "top_hits": 2,
            }  # fmt: skip
        )
    )
    r = subprocess.run(snakemake_cmd(tmp_path, config), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    out = tmp_path / "results"
    for s in "abc":
        for suffix in (".variants.tsv", ".genes.tsv", ".json"):
            assert (out / f"{s}{suffix}").exists()
        assert (out / "logs" / f"{s}.log").exists()
    assert "varprio prioritize" in (out / "a.variants.tsv").read_text().splitlines()[1]
    rows = [ln.split("\t") for ln in (out / "top_hits.tsv").read_text().splitlines()]
    assert rows[0][:4] == ["sample", "rank", "gene", "hgnc_id"]
    assert rows[1][:3] == ["a", "1", "GENEC"]
    assert {r[0] for r in rows[1:]} == {"a", "b", "c"}
    again = subprocess.run(snakemake_cmd(tmp_path, config, "-n"), capture_output=True, text=True)
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr


def test_snakemake_config_is_validated(tiny_kb: Path, tmp_path: Path) -> None:
    pytest.importorskip("snakemake", reason="snakemake not installed (.ci/run installs it)")
    three_cases(tmp_path)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"samples": "samples.tsv", "kb": str(tiny_kb), "top": -1}))
    r = subprocess.run(snakemake_cmd(tmp_path, config, "-n"), capture_output=True, text=True)
    assert r.returncode != 0 and "top" in r.stdout + r.stderr


def test_default_config_matches_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    config = yaml.safe_load((WORKFLOW / "config.yaml").read_text())
    schema = yaml.safe_load((WORKFLOW / "schema.yaml").read_text())
    jsonschema.validate(config, schema)
    assert set(config) == set(schema["properties"])
    profile = yaml.safe_load((WORKFLOW / "profiles" / "slurm" / "config.yaml").read_text())
    assert profile["executor"] == "slurm" and "mem_mb" in profile["default-resources"]


def nf_block(text: str, name: str) -> str:
    """The body of a ``name:`` section of a Nextflow process, up to the next section."""
    m = re.search(rf"^\s*{name}:\s*\n(.*?)(?=^\s*(?:input|output|when|script|stub|exec):|\Z)",
                  text, re.S | re.M)  # fmt: skip
    assert m, f"no {name}: section"
    return m.group(1)


def test_nextflow_module_structure() -> None:
    module = NEXTFLOW / "modules" / "varprio" / "prioritize"
    main_nf = (module / "main.nf").read_text()
    meta = yaml.safe_load((module / "meta.yml").read_text())
    assert re.search(r"^process VARPRIO_PRIORITIZE \{", main_nf, re.M)
    assert main_nf.count("{") == main_nf.count("}")
    for section in ("input", "output", "script", "stub"):
        nf_block(main_nf, section)
    assert "tuple val(meta), path(vcf)" in nf_block(main_nf, "input")
    emits = re.findall(r"emit:\s*(\w+)", nf_block(main_nf, "output"))
    assert {"variants", "genes", "versions"} <= set(emits)
    assert "versions.yml" in main_nf and "task.ext.args" in main_nf
    in_names = {next(iter(item)) for group in meta["input"] for item in group}
    declared = re.findall(r"\b(?:path|val)\(?\s*(\w+)", nf_block(main_nf, "input"))
    assert declared and set(declared) == in_names
    assert set(emits) == set(meta["output"])
    for key in ("name", "description", "keywords", "tools", "authors"):
        assert key in meta
    pipeline = (NEXTFLOW / "main.nf").read_text()
    assert "include { VARPRIO_PRIORITIZE }" in pipeline and "workflow {" in pipeline
    assert pipeline.count("{") == pipeline.count("}")
    assert (NEXTFLOW / "nextflow.config").exists()


@pytest.mark.skipif(shutil.which("nextflow") is None, reason="nextflow launcher not installed")
def test_nextflow_stub_run(tiny_kb: Path, tmp_path: Path) -> None:
    sheet = three_cases(tmp_path)
    r = subprocess.run(
        ["nextflow", "run", str(NEXTFLOW / "main.nf"), "-stub-run", "--samples", str(sheet),
         "--kb", str(tiny_kb), "--outdir", str(tmp_path / "nf")],
        cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
