"""Families: PED parsing, multi-sample reading, every mode of inheritance, compound
heterozygotes (linear), de novo calls, the sex check, and prioritize/batch with --ped."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from varprio.errors import InputError, UsageError
from varprio.inheritance import XCalls, assess
from varprio.io.ped import family_of, read_ped
from varprio.io.vcf import VcfReader

FAMILY = Path(__file__).resolve().parent.parent / "test_data" / "family"
SEX = {"trio": "MALE", "quartet": "MALE", "affected_parent": "FEMALE", "phased": "FEMALE"}


def _expected(name: str) -> list[dict[str, str]]:
    with open(FAMILY / f"{name}.expected.tsv", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _assessed(name: str) -> tuple[pa.Table, list[dict[str, str]], object]:
    """The fixture read as prioritize reads it, with the expected genes and modes put on."""
    ped = FAMILY / f"{name}.ped"
    pick = None
    if ped.exists():
        people = read_ped(ped)
        pick = lambda samples: family_of(people, samples, str(ped))  # noqa: E731
    with VcfReader(str(FAMILY / f"{name}.vcf"), family=pick) as reader:
        table = reader.read_all() if pick is None else pa.Table.from_batches(reader.batches())
        family = reader.family
    rows = _expected(name)
    table = table.append_column("gene", pa.array([r["gene"] for r in rows]))
    table = table.append_column("gene_modes", pa.array([r["modes"] for r in rows]))
    sex = family.sex if family else SEX[name]
    n = table.num_rows
    return table, rows, assess(table, np.ones(n, bool), np.ones(n), sex, family)


@pytest.mark.parametrize("name", ["trio", "quartet", "affected_parent", "phased"])
def test_every_mode_in_the_family_fixtures(name: str) -> None:
    table, rows, fit = _assessed(name)
    for i, row in enumerate(rows):
        where = f"{name} {row['gene']} {row['pos']}: {fit.words[i]}"
        assert fit.label[i] == row["label"], where
        partner = fit.partner[i].split(":")[1] if fit.partner[i] else ""
        assert partner == row["partner"], where
        assert (fit.de_novo[i] or "") == row["de_novo"], where


def test_words_say_why_a_mode_is_rejected() -> None:
    _, rows, fit = _assessed("trio")
    words: dict[str, str] = {}
    for row, text in zip(rows, fit.words, strict=True):
        words.setdefault(row["gene"], text)
    assert "AD rejected: unaffected father dad carries it" in words["INHERITED"]
    assert "AR rejected: unaffected father dad is not a het carrier" in words["HOMBAD"]
    assert "no partner in trans: both paternal (in cis)" in words["CIS"]
    assert "partner chr1:5100 C>T (in trans)" in words["TRANS"]
    assert words["DNV"].startswith("de novo (high confidence)")
    assert "AR" not in words["INHERITED"], "only the gene's own modes are listed"


def test_compound_het_search_is_linear_in_variants() -> None:
    """20,000 heterozygous variants in one recessive gene: the pair search stays linear (no
    n^2 pairs); every variant still gets the strongest partner in trans."""
    n = 20_000
    fam = family_of(read_ped(FAMILY / "trio.ped"), ["kid", "dad", "mum"], "trio.ped")
    father = np.where(np.arange(n) % 2 == 0, 1, 0).astype(np.int8)
    counts = np.stack([father, 1 - father], axis=1).ravel()
    table = pa.table({
        "chrom": ["chr1"] * n, "pos": pa.array(np.arange(n) + 1000, pa.int32()),
        "ref": ["C"] * n, "alt": ["T"] * n, "alt_count": pa.array(np.ones(n, np.int8)),
        "ploidy": pa.array(np.full(n, 2, np.int8)), "phased": [False] * n, "gt": ["0/1"] * n,
        "phase_set": pa.nulls(n, pa.int32()), "ad_ref": [10] * n, "ad_alt": [10] * n,
        "gq": [60] * n, "gene": ["BIG"] * n, "gene_modes": ["AR"] * n,
        "rel_alt_count": pa.FixedSizeListArray.from_arrays(pa.array(counts), 2),
        **{c: pa.FixedSizeListArray.from_arrays(pa.array(np.full(2 * n, 30, np.int32)), 2)
           for c in ("rel_dp", "rel_gq", "rel_ad_alt")},
    })  # fmt: skip
    strength = np.linspace(0.1, 1.0, n)
    fit = assess(table, np.ones(n, bool), strength, "MALE", fam)
    assert set(fit.label.tolist()) == {"compound_het"}
    # the strongest maternal variant is the last odd one; the strongest paternal the last even
    assert fit.partner[0] == f"chr1:{1000 + n - 1}:C:T"
    assert fit.partner[1] == f"chr1:{1000 + n - 2}:C:T"


def test_ped_errors_are_one_line_with_the_line_number(tmp_path: Path) -> None:
    cases = {
        "fam kid dad mum 1": "line 1: 5 columns; expected 6",
        "fam kid dad mum 1 2\nfam kid 0 0 1 1": "line 2: individual kid appears twice",
        "fam kid kid mum 1 2": "line 1: individual kid is their own parent",
        "# nothing": "no individuals",
        "fam kid dad mum 1 2\nfam dad 0 0 2 1": "dad is kid's father but has sex female",
    }
    for text, message in cases.items():
        ped = tmp_path / "bad.ped"
        ped.write_text(text + "\n")
        with pytest.raises(InputError, match=message):
            read_ped(ped)


def test_proband_choice() -> None:
    people = read_ped(FAMILY / "two_families.ped")
    samples = ["kid", "dad", "mum", "kid2", "mum2"]
    with pytest.raises(UsageError, match="2 families"):
        family_of(people, samples, "two_families.ped")
    fam = family_of(people, samples, "two_families.ped", "kid2")
    assert (fam.proband, fam.sex, [(r.id, r.role) for r in fam.relatives]) == (
        "kid2", "FEMALE", [("mum2", "mother")]
    )  # fmt: skip
    trio = family_of(read_ped(FAMILY / "trio.ped"), ["dad", "kid", "mum"], "trio.ped")
    assert trio.proband == "kid" and trio.samples == ["dad", "mum"]


def test_bcf_and_vcf_read_the_same_family(tmp_path: Path) -> None:
    pysam = pytest.importorskip("pysam")
    bcf = tmp_path / "quartet.bcf"
    with pysam.VariantFile(str(FAMILY / "quartet.vcf")) as src:
        dst = pysam.VariantFile(str(bcf), "wb", header=src.header)
        for rec in src:
            dst.write(rec)
        dst.close()
    people = read_ped(FAMILY / "quartet.ped")
    tables = []
    for path in (FAMILY / "quartet.vcf", bcf):
        with VcfReader(str(path), family=lambda s: family_of(people, s, "q.ped")) as reader:
            tables.append(pa.Table.from_batches(reader.batches()))
    assert tables[0].equals(tables[1])
    assert tables[0]["rel_alt_count"][0].as_py() == [1, 0, 1, 1]  # dad, mum, sis, bro


def test_sex_check_warns_on_disagreement() -> None:
    calls = XCalls()
    het = pa.table({"chrom": ["chrX"] * 30, "pos": pa.array(np.arange(30) + 5_000_000),
                    "alt_count": [1] * 30, "ploidy": [2] * 30})  # fmt: skip
    calls.add(het)
    assert "looks female" in (calls.disagreement("MALE") or "")
    assert calls.disagreement("FEMALE") is None
    assert XCalls(het=0, hom=25).disagreement("FEMALE") is not None


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "varprio", *args], capture_output=True,
                          text=True, check=False)  # fmt: skip


def _variants(stdout: str) -> list[dict[str, str]]:
    lines = [ln for ln in stdout.splitlines() if not ln.startswith("##")]
    return list(csv.DictReader(lines, delimiter="\t"))


def test_prioritize_with_ped_ranks_the_de_novo_first(tiny_kb: Path) -> None:
    hpo = str(FAMILY.parent / "kb" / "case.hpo.txt")
    common = ["--hpo-file", hpo, "--kb", str(tiny_kb), "--model", "transparent"]
    r = _run("prioritize", str(FAMILY / "tiny_trio.vcf"), "--ped", str(FAMILY / "tiny_trio.ped"),
             *common)  # fmt: skip
    assert r.returncode == 0, r.stderr
    rows = _variants(r.stdout)
    assert rows[0]["gene"] == "GENEC" and rows[0]["genotype_fit"] == "de_novo"
    assert rows[0]["de_novo"] == "high"
    genea = next(x for x in rows if x["gene"] == "GENEA")
    assert genea["genotype_fit"] == "segregation_conflict"
    # without the PED the multi-sample VCF needs --sample; with it, the inheritance is plainer
    r = _run("prioritize", str(FAMILY / "tiny_trio.vcf"), *common)
    assert r.returncode == 2 and "--sample" in r.stderr


def test_batch_runs_each_family_of_one_vcf(tiny_kb: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "families.tsv"
    vcf, ped = FAMILY / "two_families.vcf", FAMILY / "two_families.ped"
    manifest.write_text(
        "id\tvcf\thpo\tped\tsample\n"
        f"fam1\t{vcf}\tHP:0002123\t{ped}\tkid\n"
        f"fam2\t{vcf}\tHP:0002123\t{ped}\tkid2\n"
    )
    out = tmp_path / "out"
    r = _run("batch", str(manifest), "--out-dir", str(out), "--kb", str(tiny_kb),
             "--model", "transparent")  # fmt: skip
    assert r.returncode == 0, r.stderr
    fam2 = _variants((out / "fam2.variants.tsv").read_text())
    genec = next(x for x in fam2 if x["gene"] == "GENEC")
    # kid2's mother carries the GENEC frameshift: not de novo; she is unaffected: conflict
    assert genec["genotype_fit"] == "segregation_conflict", genec["inheritance"]


def test_bad_ped_is_a_one_line_input_error(tiny_kb: Path, tmp_path: Path) -> None:
    ped = tmp_path / "bad.ped"
    ped.write_text("fam kid dad mum 1\n")
    r = _run("prioritize", str(FAMILY / "tiny_trio.vcf"), "--ped", str(ped), "--hpo",
             "HP:0002123", "--kb", str(tiny_kb), "--model", "transparent")  # fmt: skip
    assert r.returncode == 2
    assert r.stderr.strip().splitlines()[-1] == (
        f"varprio: error: {ped}: line 1: 5 columns; expected 6 (family, individual, father, "
        "mother, sex, phenotype)"
    )


def test_trio_benchmark_on_tiny_kb(tiny_kb: Path, tmp_path: Path) -> None:
    """``benchmark --trio``: each case alone and with synthetic parents that follow its mode."""
    train = FAMILY.parent / "train"
    out = tmp_path / "trio"
    r = _run("-q", "benchmark", "--kb", str(tiny_kb), "--cases", str(train / "cases.jsonl"),
             "--background", str(train / "background.vcf"), "--out", str(out),
             "--model", "transparent", "--per-gene", "1", "--trio")  # fmt: skip
    assert r.returncode == 0, r.stderr
    summary = json.loads((out / "trio_summary.json").read_text())["summary"]
    assert summary["n_cases"] == 4 and set(summary) >= {"gene_alone", "gene_trio", "gene_worse"}
    rows = list(csv.DictReader((out / "trio_cases.tsv").read_text().splitlines(), delimiter="\t"))
    fits = {f for row in rows for f in row["causal_fit_trio"].split(",")}
    assert "segregation_conflict" not in fits, "the parents follow the case's mode"
    assert (out / "trio_summary.md").read_text().startswith("# varprio trio benchmark")
    r = _run("benchmark", "--kb", str(tiny_kb), "--cases", str(train / "cases.jsonl"),
             "--background", str(train / "background.vcf"), "--out", str(tmp_path / "x"),
             "--trio", "--phenotype-noise", "0.3")  # fmt: skip
    assert r.returncode == 2 and "--trio cannot be combined" in r.stderr
    assert not (tmp_path / "x").exists()


def test_synthetic_parents_follow_the_mode() -> None:
    """One heterozygous causal variant is de novo; background alleles come from one parent."""
    from varprio.family_benchmark import trio_text

    head = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tproband\n"
    recs = [f"chr1\t{p}\t.\tC\tT\t50\tPASS\t.\tGT:AD:DP:GQ\t0/1:10,10:20:60" for p in range(1, 301)]
    case = {"variants": [{"chrom": "chr1", "pos": 7, "ref": "C", "alt": "T",
                          "zygosity": "heterozygous"}]}  # fmt: skip
    lines = trio_text(head + "\n".join(recs) + "\n", case, "FEMALE", 5).splitlines()
    assert lines[1].endswith("proband\tfather\tmother")
    parents = {int(f[1]): (f[10][:3], f[11][:3]) for f in (ln.split("\t") for ln in lines[2:])}
    assert parents[7] == ("0/0", "0/0")
    carriers = [sum(g != "0/0" for g in gts) for pos, gts in parents.items() if pos != 7]
    assert carriers.count(0) <= 3 and carriers.count(1) >= 250  # noise ~0.2 %, 8 % both


def test_unique_rows_matches_numpy() -> None:
    """The combined-code row grouping gives np.unique(axis=0)'s rows, order and codes."""
    from varprio.inheritance import _unique_rows

    rng = np.random.default_rng(3)
    for _ in range(30):
        n, k = int(rng.integers(1, 500)), int(rng.integers(1, 7))
        matrix = rng.integers(-1, int(rng.integers(1, 40)), size=(n, k)).astype(np.int64)
        uniq, code = np.unique(matrix, axis=0, return_inverse=True)
        got_uniq, got_code = _unique_rows(matrix)
        assert np.array_equal(uniq, got_uniq) and np.array_equal(code.reshape(-1), got_code)
    wide = rng.integers(0, 8, size=(200, 22)).astype(np.int64)  # 8**22 codes: np.unique's way
    uniq, code = np.unique(wide, axis=0, return_inverse=True)
    got_uniq, got_code = _unique_rows(wide)
    assert np.array_equal(uniq, got_uniq) and np.array_equal(code.reshape(-1), got_code)
