"""Every output format of ``prioritize`` and ``batch`` on the tiny knowledge base: round trips,
determinism, atomicity, escaping and the reusable annotated-VCF writer."""

from __future__ import annotations

import dataclasses
import gzip
import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import jsonschema
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pysam
import pytest
from click.testing import CliRunner
from conftest import ROOT, TEST_DATA

from varprio import pipeline
from varprio.cli import main
from varprio.errors import OutputError
from varprio.report.explain import case_report
from varprio.report.html import render_html
from varprio.report.vcf import percent_encode, write_annotated_vcf
from varprio.report.writers import provenance

CASE = TEST_DATA / "kb" / "case.vcf"
REPORT = TEST_DATA / "report"
HPO = "HP:0002123,HP:0001256"
ALL = "tsv,json,parquet,vcf,html"
SCHEMA = json.loads((ROOT / "docs" / "output.schema.json").read_text())
XSS = "<script>alert(1)</script>"


def run(kb: Path, *args: str, input: bytes | None = None):  # noqa: A002
    return CliRunner().invoke(main, [*args, "--kb", str(kb)], input=input)


def prioritize(kb: Path, vcf: Path | str, prefix: Path, formats: str = ALL, *extra: str):
    r = run(kb, "prioritize", str(vcf), "--hpo", HPO, "--exclude", "HP:0000505",
            "--format", formats, "--out-prefix", str(prefix), *extra)  # fmt: skip
    assert r.exit_code == 0, r.output
    return r


def read_tsv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", comment=None, skiprows=4, na_values=["."],
                       keep_default_na=False)  # fmt: skip


def validate(doc: dict) -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)


@pytest.fixture(scope="module")
def outputs(tiny_kb: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    prefix = tmp_path_factory.mktemp("report") / "case"
    prioritize(tiny_kb, CASE, prefix)
    return prefix


def test_every_format_is_written(outputs: Path) -> None:
    names = sorted(p.name for p in outputs.parent.iterdir())
    assert names == sorted(
        f"case.{s}" for s in ("variants.tsv", "genes.tsv", "json", "variants.parquet",
                              "genes.parquet", "vcf.gz", "vcf.gz.tbi", "html")
    )  # fmt: skip


def test_tsv_gene_explanations(outputs: Path) -> None:
    genes = read_tsv(Path(f"{outputs}.genes.tsv"))
    assert list(genes.columns[-2:]) == ["matched_terms", "excluded_terms"]
    top = genes.iloc[0]
    assert top["gene"] == "GENEC"
    assert top["matched_terms"] == (
        "HP:0002123 Generalized myoclonic seizure;HP:0001256 Intellectual disability, mild"
    )
    assert pd.isna(top["excluded_terms"])  # Visual impairment is not a feature of disease C


def test_json_matches_schema_and_tables(outputs: Path) -> None:
    text = Path(f"{outputs}.json").read_text()
    doc = json.loads(text)
    validate(doc)
    assert list(doc) == ["schema_version", "status", "provenance", "case", "genes", "variants"]
    assert doc["provenance"]["kb"]["name"] == "varprio-default"
    assert doc["provenance"]["command"].startswith("varprio prioritize")
    case = doc["case"]
    assert case["sample"] == "TINY1" and case["id"] is None
    assert case["observed"][0] == {"id": "HP:0002123", "label": "Generalized myoclonic seizure"}
    assert case["excluded"] == [{"id": "HP:0000505", "label": "Visual impairment"}]
    variants = read_tsv(Path(f"{outputs}.variants.tsv"))
    assert [v["gene"] for v in doc["variants"]] == variants["gene"].tolist()
    assert [v["pos"] for v in doc["variants"]] == variants["pos"].tolist()
    assert [v["score"] for v in doc["variants"]] == pytest.approx(variants["score"].tolist())
    genes = doc["genes"]
    assert genes[0]["gene"] == "GENEC" and genes[0]["top_variant"] == "chr3-1100-AG-A"
    ev = genes[0]["evidence"]
    assert ev["disease"] == {"id": "OMIM:100003", "name": "Myoclonic disorder C"}
    assert ev["phenotype_rank"] == 1 and ev["phenotype_weight"] == 1.0
    kinds = {t["term"]: (t["status"], t["kind"]) for t in ev["terms"]}
    assert kinds["HP:0002123"] == ("observed", "exact")
    assert kinds["HP:0000505"] == ("excluded", "absent")


def test_parquet_round_trip_with_provenance(outputs: Path) -> None:
    variants = pq.read_table(f"{outputs}.variants.parquet")
    tsv = read_tsv(Path(f"{outputs}.variants.tsv"))
    assert variants.column_names == tsv.columns.tolist()
    assert variants["gene"].to_pylist() == tsv["gene"].tolist()
    assert variants["pos"].to_pylist() == tsv["pos"].tolist()
    meta = variants.schema.metadata
    assert meta[b"varprio_command"].startswith(b"varprio prioritize")
    assert meta[b"kb"].startswith(b"name=varprio-default") and b"model" in meta
    genes = pq.read_table(f"{outputs}.genes.parquet")
    assert genes.schema.field("matched_terms").type == pa.list_(pa.string())
    assert genes["matched_terms"][0].as_py()[0] == "HP:0002123 Generalized myoclonic seizure"


def test_vcf_keeps_every_record_and_reads_back(outputs: Path) -> None:
    path = f"{outputs}.vcf.gz"
    with pysam.VariantFile(path) as vf:
        header = str(vf.header)
        records = list(vf.fetch("chr3"))  # through the .tbi index
        everything = list(vf.fetch())
    assert len(everything) == 5  # every input record, candidates or not
    assert "##varprio_command=varprio prioritize" in header
    assert "##INFO=<ID=VARPRIO_RANK,Number=A,Type=Integer" in header
    assert "##contig=<ID=chr1>" in header  # the input declares none
    rec = records[0]
    assert rec.info["VARPRIO_RANK"] == (1,) and rec.info["VARPRIO_GENE"] == ("GENEC",)
    assert rec.info["VARPRIO_CSQ"] == ("frameshift_variant",)
    assert unquote(rec.info["VARPRIO_DISEASE_NAME"][0]) == "Myoclonic disorder C"
    intergenic = [r for r in everything if r.contig == "chr5"][0]
    assert "VARPRIO_RANK" not in intergenic.info


@pytest.mark.skipif(shutil.which("bcftools") is None, reason="bcftools not installed")
def test_vcf_passes_bcftools(outputs: Path, tmp_path: Path) -> None:
    for args in (["view"], ["view", "-Ob", "-o", str(tmp_path / "x.bcf")]):
        r = subprocess.run(["bcftools", *args, f"{outputs}.vcf.gz"], capture_output=True,
                           text=True, check=False)  # fmt: skip
        assert r.returncode == 0, r.stderr
        assert "Contig" not in r.stderr  # every contig declared
    query = ["bcftools", "query", "-i", "VARPRIO_GENE_RANK<=1", "-f", "%POS\n"]
    q = subprocess.run([*query, f"{outputs}.vcf.gz"], capture_output=True, text=True, check=True)
    assert q.stdout == "1100\n"


def test_html_is_self_contained(outputs: Path) -> None:
    page = Path(f"{outputs}.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "GENEC" in page
    assert "http" not in page and "<script src" not in page and "<link" not in page
    assert "Myoclonic disorder C" in page and "OMIM:100003" in page
    assert "Generalized myoclonic seizure" in page and "@page { size: A4" in page


def test_same_input_same_bytes(tiny_kb: Path, outputs: Path, tmp_path: Path) -> None:
    # the same command (same prefix) again: every file identical, byte for byte
    before = {p.name: p.read_bytes() for p in outputs.parent.iterdir()}
    prioritize(tiny_kb, CASE, outputs)
    after = {p.name: p.read_bytes() for p in outputs.parent.iterdir()}
    assert after == before


def test_one_failing_format_leaves_no_new_file(
    tiny_kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise OutputError("html: disk full")

    monkeypatch.setattr("varprio.report.writers.write_html", broken)
    r = run(tiny_kb, "prioritize", str(CASE), "--hpo", HPO, "--format", ALL,
            "--out-prefix", str(tmp_path / "out" / "case"))  # fmt: skip
    assert r.exit_code == 4 and "disk full" in r.stderr
    assert list((tmp_path / "out").iterdir()) == []  # no output, no temporary file


def test_sample_name_is_escaped_in_html_and_kept_elsewhere(tiny_kb: Path, tmp_path: Path) -> None:
    prefix = tmp_path / "xss"
    prioritize(tiny_kb, REPORT / "xss_sample.vcf", prefix)
    page = Path(f"{prefix}.html").read_text()
    assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<script>") == 1  # ours, at the end
    assert json.loads(Path(f"{prefix}.json").read_text())["case"]["sample"] == XSS
    with pysam.VariantFile(f"{prefix}.vcf.gz") as vf:
        assert list(vf.header.samples) == [XSS]


def test_vcf_multiallelic_bare_contigs(tiny_kb: Path, tmp_path: Path) -> None:
    prefix = tmp_path / "multi"
    prioritize(tiny_kb, REPORT / "multiallelic_nochr.vcf", prefix, "vcf")
    with pysam.VariantFile(f"{prefix}.vcf.gz") as vf:
        rec = next(iter(vf.fetch("3")))
        assert list(vf.header.contigs) == ["1", "2", "3", "5"]
    assert rec.alts == ("A", "AGG") and rec.info["DP"] == 31
    assert rec.info["VARPRIO_RANK"] == (1, None)  # only the carried ALT is ranked
    assert rec.info["VARPRIO_GENE"][0] == "GENEC"


def test_unsorted_input_is_refused(tiny_kb: Path, tmp_path: Path) -> None:
    prefix = tmp_path / "unsorted"
    r = run(tiny_kb, "prioritize", str(REPORT / "unsorted.vcf"), "--hpo", HPO, "--format", "vcf",
            "--out-prefix", str(prefix))  # fmt: skip
    assert r.exit_code == 2 and "sorted by" in r.stderr
    assert not list(tmp_path.iterdir())


def test_stdin_is_spooled_for_vcf_output(tiny_kb: Path, tmp_path: Path) -> None:
    prefix = tmp_path / "stdin"
    r = run(tiny_kb, "prioritize", "-", "--hpo", HPO, "--format", "vcf,tsv",
            "--out-prefix", str(prefix), input=CASE.read_bytes())  # fmt: skip
    assert r.exit_code == 0, r.output
    with pysam.VariantFile(f"{prefix}.vcf.gz") as vf:
        assert len(list(vf)) == 5
        assert "##varprio_command=varprio prioritize -" in str(vf.header)


def test_stdout_formats(tiny_kb: Path, tmp_path: Path) -> None:
    r = run(tiny_kb, "prioritize", str(CASE), "--hpo", HPO, "--format", "json")
    assert r.exit_code == 0, r.output
    validate(json.loads(r.stdout))
    bad = run(tiny_kb, "prioritize", str(CASE), "--hpo", HPO, "--format", "html")
    assert bad.exit_code == 2 and "--out-prefix" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_batch_json_lines(tiny_kb: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.tsv"
    manifest.write_text(
        "id\tvcf\thpo\n"
        f"b\t{CASE}\t{HPO}\n"
        f"bad\t{CASE}\tHP:9999999\n"
        f"a\t{REPORT / 'xss_sample.vcf'}\t{HPO}\n"
    )
    out = tmp_path / "results"
    r = run(tiny_kb, "batch", str(manifest), "--out-dir", str(out), "-j", "2",
            "--format", "json,vcf,html")  # fmt: skip
    assert r.exit_code == 1
    lines = (out / "results.jsonl").read_text().splitlines()
    docs = [json.loads(line) for line in lines]
    for doc in docs:
        validate(doc)
    assert [(d["case"]["id"], d["status"]) for d in docs] == [
        ("b", "ok"), ("bad", "failed"), ("a", "ok")
    ]  # fmt: skip
    assert "HP:9999999" in docs[1]["error"]
    assert docs[0] == json.loads((out / "b.json").read_text())
    assert (out / "a.vcf.gz.tbi").exists() and (out / "a.html").exists()
    leftovers = [p for p in out.iterdir() if p.name.startswith(".") and p.suffix != ".done"]
    assert not leftovers  # no temporary parts left (only --resume's completion markers)


# ----- the reusable writer -------------------------------------------------------------------


def test_percent_encode() -> None:
    assert percent_encode("a b;c=d,e%f\tg") == "a%20b%3Bc%3Dd%2Ce%25f%09g"
    assert percent_encode("OMIM:100003") == "OMIM:100003"


def _info(values: list[str | None]) -> pa.Table:
    number_one = pa.field("ONE", pa.int32(), metadata={"vcf_number": "1"})
    return pa.table(
        {
            "chrom": ["chr1", "chr1", "chr1", "chr1"],
            "pos": [100, 100, 200, 200],
            "ref": ["A", "A", "G", "G"],
            "alt": ["T", "T", "C", "A"],
            "TXT": pa.array(values, pa.string()),
            "NUM": pa.array([0.5, 9.0, None, 1 / 3], pa.float64()),
            "ONE": pa.array([7, 8, 9, 10], pa.int32()),
            "FLAG": pa.array([True, True, False, False]),
        },
        schema=pa.schema([("chrom", pa.string()), ("pos", pa.int64()), ("ref", pa.string()),
                          ("alt", pa.string()), ("TXT", pa.string()), ("NUM", pa.float64()),
                          number_one, ("FLAG", pa.bool_())]),
    )  # fmt: skip


@pytest.mark.parametrize("src", ["multiallelic.vcf", "multiallelic.bcf", "multiallelic.vcf.gz"])
def test_write_annotated_vcf(tmp_path: Path, src: str) -> None:
    dest = tmp_path / "out.vcf.gz"
    text = "a b;c=d,e%"
    write_annotated_vcf(str(TEST_DATA / "vcf" / src), dest, _info([text, "x", None, "z"]),
                        {"TXT": 'free "text"'}, ["##varprio_command=varprio x"])  # fmt: skip
    with pysam.VariantFile(str(dest)) as vf:
        recs = {r.pos: r for r in vf.fetch()}
        header = str(vf.header)
    assert len(recs) == 5
    assert 'Description="free \\"text\\""' in header and "##varprio_command=varprio x" in header
    assert "Number=1,Type=Integer" in header and "ID=FLAG,Number=0,Type=Flag" in header
    first = recs[100]  # ALT C,T: only T in the table (its first row wins)
    assert first.info["TXT"] == (".", percent_encode(text))
    assert unquote(first.info["TXT"][1]) == text
    assert first.info["NUM"] == (None, 0.5) and first.info["ONE"] == 7 and first.info["FLAG"]
    second = recs[200]  # ALT A,C,T: A and C in the table
    assert second.info["NUM"][0] == pytest.approx(1 / 3, rel=1e-5)
    assert second.info["NUM"][1:] == (None, None) and second.info["TXT"] == ("z", ".", ".")
    assert "FLAG" not in second.info and "TXT" not in recs[300].info


def test_reannotating_replaces_old_fields(tmp_path: Path) -> None:
    first, second = tmp_path / "1.vcf.gz", tmp_path / "2.vcf.gz"
    src = str(TEST_DATA / "vcf" / "multiallelic.vcf")
    write_annotated_vcf(src, first, _info(["old", "old", "old", "old"]), {}, ["##varprio_x=1"])
    write_annotated_vcf(str(first), second, _info(["new", "new", None, None]), {},
                        ["##varprio_x=2"])  # fmt: skip
    with gzip.open(second, "rt") as fh:
        text = fh.read()
    assert "old" not in text and text.count("##INFO=<ID=TXT,") == 1
    assert "##varprio_x=2" in text and "##varprio_x=1" not in text
    assert "TXT=.,new" in text and "NUM=.,0.5" in text


def test_write_annotated_vcf_rejects_bad_columns(tmp_path: Path) -> None:
    bad = _info(["a"] * 4).append_column("not-an-id", pa.array([1] * 4))
    with pytest.raises(ValueError, match="not-an-id"):
        write_annotated_vcf(str(CASE), tmp_path / "x.vcf.gz", bad, {}, [])
    assert list(tmp_path.iterdir()) == []


def test_html_gene_whose_variants_were_cut_off(tiny_kb: Path) -> None:
    # --top slices variants and genes separately: a kept gene may have no kept variant row
    res = pipeline.load_resources(tiny_kb, "pytest")
    req = pipeline.CaseRequest(vcf=str(CASE), hpo=HPO.split(","), hpo_file=None, exclude=[],
                               phenopacket=None, sample=None, sex=None, top=None)  # fmt: skip
    result = pipeline.run_case(res, req)
    cut = result.variants.filter(pc.not_equal(result.variants["gene"], "GENEB"))
    result = dataclasses.replace(result, variants=cut)
    page = render_html(case_report(result, res, provenance(res)))
    assert "chr2:6,020 T&gt;C" in page and "below the <code>--top</code> cut-off" in page
