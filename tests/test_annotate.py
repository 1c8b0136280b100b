"""``varprio annotate`` (TSV, Parquet, VCF; files and stdin) and the knowledge-base columns
that ``prioritize`` carries and scores with."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import TEST_DATA

from varprio import model
from varprio.annotate import KB_COLUMNS, max_pop_af
from varprio.cli import main

QUERY = TEST_DATA / "sources" / "query.vcf"


def _tsv(text: str) -> list[dict[str, str]]:
    lines = [line for line in text.splitlines() if not line.startswith("##")]
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]


def _run(*args: str, stdin: bytes | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.output


def test_tsv_to_stdout(sources_kb: Path) -> None:
    code, out = _run("annotate", str(QUERY), "--kb", str(sources_kb))
    assert code == 0, out
    assert out.startswith("##varprio_version=")
    assert "##varprio_command=varprio annotate" in out
    rows = _tsv(out)
    assert len(rows) == 8  # 7 records, one multi-allelic
    first = rows[0]
    assert list(first)[:8] == ["chrom", "pos", "ref", "alt", "gene", "hgnc_id", "consequence",
                               "impact"]  # fmt: skip
    assert (first["gene"], first["clinvar_significance"], first["revel_score"]) == (
        "GENEA", "pathogenic", "0.91",
    )  # fmt: skip
    assert rows[1]["gnomad_af"] == "." and rows[1]["clinvar_clnsig"] == "."
    assert rows[2]["ref"] == "G"  # lower case in the file, upper case out
    assert list(first)[-1] == "max_pop_af"


def test_parquet_and_stdin(sources_kb: Path, tmp_path: Path) -> None:
    out = tmp_path / "a.parquet"
    code, text = _run("annotate", "-", "--kb", str(sources_kb), "--format", "parquet",
                      "-o", str(out), stdin=QUERY.read_bytes())  # fmt: skip
    assert code == 0, text
    table = pq.read_table(out)
    assert table.num_rows == 8
    assert table.schema.field("clinvar_stars").type == pa.int8()
    assert table.schema.metadata[b"kb"].startswith(b"name=")
    assert table["gnomad_exomes_nhemi"].to_pylist()[-1] == 3


def test_vcf_output(sources_kb: Path, tmp_path: Path) -> None:
    out = tmp_path / "a.vcf.gz"
    code, text = _run("annotate", str(QUERY), "--kb", str(sources_kb), "--format", "vcf",
                      "-o", str(out))  # fmt: skip
    assert code == 0, text
    with gzip.open(out, "rt") as fh:
        lines = fh.read().splitlines()
    assert any(x.startswith("##INFO=<ID=clinvar_stars,Number=A,Type=Integer") for x in lines)
    record = next(x for x in lines if x.startswith("chr1\t2050\t"))
    assert "clinvar_significance=pathogenic" in record and "gnomad_ac=12" in record
    multi = next(x for x in lines if x.startswith("chr2\t6050\t"))
    assert "cohort_af=0.2,0.05" in multi


def test_sites_only_and_multi_sample_inputs(sources_kb: Path, tmp_path: Path) -> None:
    sites = tmp_path / "sites.vcf"
    body = [x for x in QUERY.read_text().splitlines() if not x.startswith("##FORMAT")]
    sites.write_text("\n".join("\t".join(x.split("\t")[:8]) for x in body) + "\n")
    code, out = _run("annotate", str(sites), "--kb", str(sources_kb))
    assert code == 0, out
    assert [r["clinvar_stars"] for r in _tsv(out)][:4] == ["2", ".", "1", "0"]
    two = tmp_path / "two.vcf"
    two.write_text(
        "\n".join(
            x + ("\tQ2" if x.startswith("#CHROM") else "\t0/0") if not x.startswith("##") else x
            for x in QUERY.read_text().splitlines()
        )
    )
    code, out = _run("annotate", str(two), "--kb", str(sources_kb))
    assert code == 0, out
    assert len(_tsv(out)) == 8


def test_kb_without_optional_sources(tiny_kb: Path) -> None:
    code, out = _run("annotate", str(QUERY), "--kb", str(tiny_kb))
    assert code == 0, out
    row = _tsv(out)[0]
    assert (
        row["kgp_af_grpmax"] == "0.75" and row["gnomad_af"] == "." and row["max_pop_af"] == "0.75"
    )
    assert not any(k.startswith("clinvar_") for k in row)


def test_empty_input_writes_header(sources_kb: Path) -> None:
    code, out = _run(
        "annotate", str(TEST_DATA / "vcf" / "header_only.vcf"), "--kb", str(sources_kb)
    )
    assert code == 0, out
    assert _tsv(out) == [] and "\nchrom\tpos\tref\talt\tgene" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "parquet"], "--format parquet needs an output file"),
        (["--format", "json"], "Invalid value for '--format'"),
    ],
)
def test_usage_errors(sources_kb: Path, args: list[str], message: str) -> None:
    code, out = _run("annotate", str(QUERY), "--kb", str(sources_kb), *args)
    assert code == 2 and message in out


def test_bad_input_is_named(sources_kb: Path) -> None:
    bad = TEST_DATA / "vcf" / "not_a_vcf.txt"
    code, out = _run("annotate", str(bad), "--kb", str(sources_kb))
    assert code == 2 and "not_a_vcf.txt" in out


# ----- prioritize with the new columns -----
def test_prioritize_carries_kb_columns(sources_kb: Path) -> None:
    code, out = _run("prioritize", str(QUERY), "--kb", str(sources_kb), "--hpo",
                     "HP:0002123")  # fmt: skip
    assert code == 0, out
    rows = {(r["chrom"], r["pos"], r["alt"]): r for r in _tsv(out)}
    for name in [*KB_COLUMNS, "max_pop_af", "clinvar_prior"]:
        assert name in rows[("chr1", "2050", "T")], name
    common = rows[("chr1", "2050", "T")]  # ClinVar pathogenic, but 75 % in 1000 Genomes EAS
    assert (common["clinvar_prior"], common["max_pop_af"], common["frequency_factor"]) == (
        "1", "0.75", "0",
    )  # fmt: skip
    frameshift = rows[("chr3", "1100", "A")]
    assert frameshift["clinvar_significance"] == "pathogenic/likely_pathogenic"
    assert frameshift["constraint_loeuf"] == "0.5"


def test_max_pop_af_takes_the_highest() -> None:
    rows = pa.table({
        "gnomad_grpmax_af": pa.array([0.01, None, None], pa.float32()),
        "gnomad_faf95_max": pa.array([0.02, 0.001, None], pa.float32()),
        "kgp_af_grpmax": pa.array([0.005, None, None], pa.float32()),
    })  # fmt: skip
    values = max_pop_af(rows).to_pylist()
    assert np.allclose(values[:2], [0.02, 0.001]) and values[2] is None


def test_clinvar_rule_needs_a_star() -> None:
    cands = pa.table({
        "clinvar_significance": ["pathogenic", "likely_pathogenic", "pathogenic", "benign", None],
        "clinvar_stars": pa.array([1, 2, 0, 4, None], pa.int8()),
    })  # fmt: skip
    assert model.clinvar_prior(cands).tolist() == [1.0, 0.9, 0.0, 0.0, 0.0]
    assert model.clinvar_prior(pa.table({"x": [1]})).tolist() == [0.0]
