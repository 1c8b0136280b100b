"""The command-line contract, on the tiny knowledge base: successes and every error path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pysam
import pytest
from click.testing import CliRunner
from conftest import TEST_DATA

from varprio.cli import main

CASE = TEST_DATA / "kb" / "case.vcf"
HPO = "HP:0002123,HP:0001256"


def run(kb: Path, *args: str, input: bytes | None = None):  # noqa: A002
    result = CliRunner().invoke(main, [*args, "--kb", str(kb)], input=input)
    return result


def data_lines(text: str) -> list[list[str]]:
    return [ln.split("\t") for ln in text.splitlines() if not ln.startswith("##")]


def test_prioritize_writes_both_tables(tiny_kb: Path, tmp_path: Path) -> None:
    prefix = tmp_path / "out" / "case"
    r = run(tiny_kb, "prioritize", str(CASE), "--hpo", HPO, "--out-prefix", str(prefix))
    assert r.exit_code == 0, r.output
    variants = Path(f"{prefix}.variants.tsv").read_text()
    genes = Path(f"{prefix}.genes.tsv").read_text()
    head = variants.splitlines()[:4]
    assert head[0] == "##varprio_version=0.1.0"
    assert head[1].startswith("##varprio_command=varprio prioritize")
    assert head[2].startswith("##kb=name=varprio-default;version=") and "sha256=" in head[2]
    assert head[3].startswith("##model=")
    rows = data_lines(variants)
    cols = rows[0]
    for c in (
        "rank",
        "chrom",
        "pos",
        "ref",
        "alt",
        "gene",
        "hgnc_id",
        "consequence",
        "genotype",
        "score",
        "phenotype_score",
        "kgp_af",
        "inheritance",
    ):
        assert c in cols
    top = dict(zip(cols, rows[1], strict=True))
    assert (top["rank"], top["gene"], top["consequence"]) == ("1", "GENEC", "frameshift_variant")
    assert top["hgnc_id"] == "HGNC:90003" and top["genotype"] == "0/1"
    gene_rows = data_lines(genes)
    g = dict(zip(gene_rows[0], gene_rows[1], strict=True))
    for c in ("rank", "gene", "hgnc_id", "score", "top_variant", "n_variants", "diseases"):
        assert c in gene_rows[0]
    assert g["gene"] == "GENEC" and g["top_variant"] == "chr3-1100-AG-A"
    assert "OMIM:100003" in g["diseases"]
    common = [dict(zip(cols, r, strict=True)) for r in rows[1:] if r[cols.index("pos")] == "2050"]
    assert common[0]["kgp_af"] == "0.5" and float(common[0]["score"]) == 0.0


def test_stdout_stdin_and_determinism(tiny_kb: Path) -> None:
    a = run(tiny_kb, "prioritize", str(CASE), "--hpo", HPO)
    b = run(tiny_kb, "prioritize", "-", "--hpo", HPO, input=CASE.read_bytes())
    assert a.exit_code == 0 and b.exit_code == 0, a.output + b.output
    body = [ln for ln in a.stdout.splitlines() if not ln.startswith("##varprio_command")]
    assert body == [ln for ln in b.stdout.splitlines() if not ln.startswith("##varprio_command")]
    assert run(tiny_kb, "prioritize", str(CASE), "--hpo", HPO).stdout == a.stdout


def test_hpo_file_exclude_and_top(tiny_kb: Path) -> None:
    r = run(tiny_kb, "prioritize", str(CASE), "--hpo-file", str(TEST_DATA / "kb" / "case.hpo.txt"),
            "--exclude", "HP:0000505", "--top", "2")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert len(data_lines(r.stdout)) == 3


def test_alt_id_is_mapped_with_a_warning(tiny_kb: Path) -> None:
    r = run(tiny_kb, "prioritize", str(CASE), "--hpo", "HP:0002279")
    assert r.exit_code == 0
    assert "1 alt, obsolete or newer ID(s) replaced" in r.stderr
    assert "HP:" not in r.stderr, "a patient's terms reach the log only with -vv"
    r = CliRunner().invoke(main, ["-vv", "prioritize", str(CASE), "--hpo", "HP:0002279",
                                  "--kb", str(tiny_kb)])  # fmt: skip
    assert "HP:0002279" in r.stderr and "HP:0001250" in r.stderr


def test_unknown_terms_dropped_on_request(tiny_kb: Path) -> None:
    """A term from a newer HPO release stops the run, unless --drop-unknown-terms."""
    assert run(tiny_kb, "prioritize", str(CASE), "--hpo", f"{HPO},HP:9999999").exit_code == 2
    r = run(tiny_kb, "prioritize", str(CASE), "--hpo", f"{HPO},HP:9999999",
            "--drop-unknown-terms")  # fmt: skip
    assert r.exit_code == 0 and "1 ID(s) unknown to this HPO release dropped" in r.stderr
    plain = run(tiny_kb, "prioritize", str(CASE), "--hpo", HPO).stdout
    assert data_lines(r.stdout) == data_lines(plain)  # the command line differs, not the data


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hpo", "HP:9999999"], "HP:9999999"),
        (["--hpo", "not-a-term"], "not-a-term"),
        ([], "no observed HPO term"),
        (["--hpo", HPO, "--sample", "NOBODY"], "NOBODY"),
        (["--hpo", HPO, "--format", "xml"], "xml"),
    ],
)
def test_input_errors_exit_2_with_one_line(tiny_kb: Path, tmp_path: Path, args: list[str],
                                           message: str) -> None:  # fmt: skip
    prefix = tmp_path / "case"
    r = run(tiny_kb, "prioritize", str(CASE), *args, "--out-prefix", str(prefix))
    assert r.exit_code == 2, r.output
    assert r.stderr.startswith("varprio: error: ") and message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "fixture", ["malformed_gt.vcf", "not_a_vcf.txt", "truncated.vcf.gz", "two_samples.vcf"]
)
def test_bad_vcf_exit_2_no_output(tiny_kb: Path, tmp_path: Path, fixture: str) -> None:
    prefix = tmp_path / "case"
    # --all-records: a value is only parsed (and checked) when its record can matter
    r = run(tiny_kb, "prioritize", str(TEST_DATA / "vcf" / fixture), "--hpo", HPO,
            "--out-prefix", str(prefix), "--all-records")  # fmt: skip
    assert r.exit_code == 2, r.output
    assert fixture.split(".")[0] in r.stderr or "sample" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_missing_file_and_missing_kb(tiny_kb: Path, tmp_path: Path) -> None:
    r = run(tiny_kb, "prioritize", str(tmp_path / "nope.vcf"), "--hpo", HPO)
    assert r.exit_code == 2 and "nope.vcf" in r.stderr
    r = CliRunner().invoke(main, ["prioritize", str(CASE), "--hpo", HPO, "--kb", str(tmp_path)])
    assert r.exit_code == 3 and "no knowledge base" in r.stderr


def test_batch_reports_bad_rows_and_goes_on(tiny_kb: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.tsv"
    manifest.write_text(
        "id\tvcf\thpo\texcluded\n"
        f"a\t{CASE}\t{HPO}\t\n"
        f"b\t{CASE}\tHP:9999999\t\n"
        f"c\t{CASE}\tHP:0001631\tHP:0000505\n"
        f"../evil\t{CASE}\t{HPO}\t\n"
    )
    out = tmp_path / "results"
    r = run(tiny_kb, "batch", str(manifest), "--out-dir", str(out), "-j", "2")
    assert r.exit_code == 1
    assert (out / "a.variants.tsv").exists() and (out / "c.genes.tsv").exists()
    assert not (out / "b.variants.tsv").exists()
    summary = data_lines((out / "summary.tsv").read_text())
    status = {row[0]: row[1] for row in summary[1:]}
    assert status == {"a": "ok", "b": "failed", "c": "ok", "../evil": "failed"}
    assert not (tmp_path / "evil.variants.tsv").exists()
    single = run(tiny_kb, "prioritize", str(CASE), "--hpo", HPO, "--out-prefix",
                 str(tmp_path / "single"))  # fmt: skip
    assert single.exit_code == 0

    def body(p: Path) -> list[str]:
        return [ln for ln in p.read_text().splitlines() if not ln.startswith("##")]

    assert body(out / "a.variants.tsv") == body(tmp_path / "single.variants.tsv")


def test_batch_manifest_without_required_columns(tiny_kb: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "m.tsv"
    manifest.write_text("id\tvcf\na\tx.vcf\n")
    r = run(tiny_kb, "batch", str(manifest), "--out-dir", str(tmp_path / "o"))
    assert r.exit_code == 2 and "hpo" in r.stderr


@pytest.mark.parametrize(
    "command", [["prioritize"], ["batch"], ["phenotype"], ["kb", "build"], ["kb", "info"]]
)
def test_help_has_examples(command: list[str]) -> None:
    r = CliRunner().invoke(main, [*command, "--help"])
    assert r.exit_code == 0 and "Example" in r.output


def test_version() -> None:
    r = CliRunner().invoke(main, ["--version"])
    assert r.exit_code == 0 and "0.1.0" in r.output


def test_phenotype_only(tiny_kb: Path, tmp_path: Path) -> None:
    r = run(tiny_kb, "phenotype", "--hpo", HPO, "--out-prefix", str(tmp_path / "p"))
    assert r.exit_code == 0, r.output
    diseases = data_lines((tmp_path / "p.diseases.tsv").read_text())
    assert diseases[0][:6] == ["rank", "disease_id", "disease_name", "score", "genes",
                               "matched_terms"]  # fmt: skip
    assert diseases[1][1] == "OMIM:100003" and diseases[1][4] == "GENEC"
    genes = data_lines((tmp_path / "p.genes.tsv").read_text())
    assert genes[0][:5] == ["rank", "gene", "hgnc_id", "score", "best_disease"]
    assert genes[1][1:3] == ["GENEC", "HGNC:90003"]
    stdout = run(tiny_kb, "phenotype", "--hpo", HPO, "--top", "1")
    assert len(data_lines(stdout.stdout)) == 2
    assert run(tiny_kb, "phenotype", "--hpo", "HP:1234567").exit_code == 2


def test_reading_paths_give_identical_output(tiny_kb: Path, tmp_path: Path) -> None:
    """Indexed region reading, a chunked scan of stdin, and a plain file agree byte for byte."""
    gz = tmp_path / "case.vcf.gz"
    pysam.tabix_compress(str(CASE), str(gz))
    pysam.tabix_index(str(gz), preset="vcf")
    outputs = []
    for path, stdin in ((str(gz), None), ("-", gz.read_bytes()), (str(CASE), None)):
        r = run(tiny_kb, "prioritize", path, "--hpo", HPO, input=stdin)
        assert r.exit_code == 0, r.output
        outputs.append(
            [ln for ln in r.stdout.splitlines() if not ln.startswith("##varprio_command")]
        )
    assert outputs[0] == outputs[1] == outputs[2]
    genes = {row[5] for row in data_lines("\n".join(outputs[0]))[1:]}
    assert "GENEC" in genes and len(data_lines("\n".join(outputs[0]))) == 4  # no intron/intergenic
    every = run(tiny_kb, "prioritize", str(CASE), "--hpo", HPO, "--all-records")
    assert len(data_lines(every.stdout)) == 5  # the GENEA intron variant too


def test_batch_phenotype_only(tiny_kb: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "m.tsv"
    manifest.write_text(f"id\thpo\texcluded\np1\t{HPO}\t\np2\tHP:0001631\tHP:0000505\n")
    out = tmp_path / "o"
    r = run(tiny_kb, "batch", str(manifest), "--out-dir", str(out), "--phenotype-only")
    assert r.exit_code == 0, r.output
    genes = data_lines((out / "p1.genes.tsv").read_text())
    assert genes[1][1] == "GENEC"
    assert data_lines((out / "p2.diseases.tsv").read_text())[1][1] == "OMIM:100002"
    summary = data_lines((out / "summary.tsv").read_text())
    assert [row[:3] for row in summary[1:]] == [["p1", "ok", "GENEC"], ["p2", "ok", "GENEB"]]
    again = run(tiny_kb, "batch", str(manifest), "--out-dir", str(out), "--phenotype-only",
                "--resume")  # fmt: skip
    assert again.exit_code == 0
    bad = run(tiny_kb, "batch", str(manifest), "--out-dir", str(out), "--phenotype-only",
              "--format", "html")  # fmt: skip
    assert bad.exit_code == 2


def test_prioritize_path_does_not_import_pandas() -> None:
    """pandas costs a third of a second at start-up; the prioritize path never needs it, and
    pyarrow's pandas interop still works once something imports it."""
    code = (
        "import sys\n"
        "from varprio.cli.common import skip_pandas_probe\n"
        "skip_pandas_probe()\n"
        "import pyarrow as pa\n"
        "from varprio import pipeline\n"
        "from varprio.report import writers\n"
        "pa.array(['x', None]); pa.table({'a': [1, 2]})\n"
        "assert 'pandas' not in sys.modules, 'pandas imported'\n"
        "import pandas as pd\n"
        "assert pa.table({'a': [1, 2]}).to_pandas().shape == (2, 1)\n"
        "assert pa.Table.from_pandas(pd.DataFrame({'b': [1.5]})).num_rows == 1\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
