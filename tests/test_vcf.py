"""Tests of varprio.io.vcf: formats, sample choice, genotypes, skipped alleles, errors."""

from __future__ import annotations

import gzip
import io
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from varprio.errors import InputError
from varprio.io import vcf, vcf_text
from varprio.io.vcf import VcfReader, detect_format
from varprio.schemas import VARIANT_BATCH

DATA = Path(__file__).resolve().parent.parent / "test_data" / "vcf"


def read(name: str, **kwargs: object) -> pa.Table:
    with VcfReader(str(DATA / name), **kwargs) as reader:  # type: ignore[arg-type]
        return reader.read_all()


def rows(table: pa.Table, *columns: str) -> list[tuple]:
    return list(zip(*(table.column(c).to_pylist() for c in columns), strict=True))


def with_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


# ----- formats -----
@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("multiallelic.vcf", "vcf"),
        ("multiallelic.vcf.gz", "vcf.gz"),
        ("multiallelic.gzip.vcf.gz", "vcf.gz"),
        ("multiallelic.bcf", "bcf"),
        ("multiallelic.ubcf", "bcf"),
        ("crlf.vcf", "vcf"),
    ],
)
def test_every_format_gives_the_same_table(name: str, kind: str) -> None:
    assert detect_format(str(DATA / name)) == kind
    with VcfReader(str(DATA / name)) as reader:
        table = reader.read_all()
        assert reader.format == kind
    assert table.schema == VARIANT_BATCH
    assert table.equals(read("multiallelic.vcf"))


@pytest.mark.parametrize("name", ["basic", "multiallelic", "missing_gt", "haploid_x"])
def test_bcf_equals_vcf(name: str) -> None:
    assert read(f"{name}.bcf").equals(read(f"{name}.vcf"))


def test_bcf_equals_vcf_for_second_sample() -> None:
    vcf_table = read("two_samples.vcf", sample="proband")
    assert vcf_table.equals(read("two_samples.bcf", sample="proband"))
    assert rows(vcf_table, "gt", "alt_count") == [("1/1", 2)]


@pytest.mark.parametrize("name", ["multiallelic.vcf", "multiallelic.vcf.gz", "multiallelic.bcf"])
def test_stdin(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    with_stdin(monkeypatch, (DATA / name).read_bytes())
    with VcfReader("-") as reader:
        assert reader.read_all().equals(read("multiallelic.vcf"))
        assert reader.name == "<stdin>"


def test_stdin_errors_name_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    with_stdin(monkeypatch, (DATA / "two_samples.vcf").read_bytes())
    with pytest.raises(InputError, match="<stdin> has 2 samples; choose one with --sample"):
        VcfReader("-")


# ----- content -----
def test_basic_columns_contigs_and_header() -> None:
    with VcfReader(str(DATA / "basic.vcf")) as reader:
        table = reader.read_all()
        assert reader.samples == ["S1"] and reader.sample == "S1"
        assert reader.contigs == {
            "chr1": 248956422,
            "chr2": 242193529,
            "chrX": 156040895,
            "chrM": 16569,
            "chr17": None,
        }
        assert reader.header.startswith("##fileformat=VCFv4.2\n")
        assert reader.header.endswith("FORMAT\tS1")
        assert reader.n_records == 5
    assert rows(table, "chrom", "pos", "ref", "alt", "qual", "filter") == [
        ("chr1", 1000, "A", "G", 50.0, "PASS"),
        ("chr1", 2000, "C", "T", None, "."),  # lowercase uppercased, QUAL '.' -> null
        ("chr2", 3000, "ACGT", "A", 12.5, "LowQual;LowDP"),
        ("chrM", 73, "A", "G", 999.0, "PASS"),
        ("chr17", 500, "G", "GA", 40.0, "PASS"),
    ]
    assert rows(table, "gt", "alt_count", "ploidy", "phased") == [
        ("0/1", 1, 2, False),
        ("1|0", 1, 2, True),
        ("1/1", 2, 2, False),
        ("1", 1, 1, False),
        ("0/0", 0, 2, False),
    ]
    assert rows(table, "ad_ref", "ad_alt", "dp", "gq", "record") == [
        (10, 10, 20, 60, 1),
        (3, 4, 7, 30, 2),
        (0, 9, 9, 27, 3),
        (0, 50, 50, 99, 4),
        (12, 0, 12, 36, 5),
    ]


def test_multiallelic_split() -> None:
    with VcfReader(str(DATA / "multiallelic.vcf")) as reader:
        table = reader.read_all()
        assert reader.n_records == 5
        assert reader.n_skipped == {"symbolic": 1, "star": 1, "breakend": 0, "no_alt": 0}
    assert rows(table, "pos", "alt", "gt", "alt_count", "ad_ref", "ad_alt", "record") == [
        (100, "C", "1/2", 1, 1, 6, 1),
        (100, "T", "1/2", 1, 1, 7, 1),
        (200, "A", "0/3", 0, 5, 0, 2),
        (200, "C", "0/3", 0, 5, 1, 2),
        (200, "T", "0/3", 1, 5, 6, 2),
        (300, "TA", "1/1", 2, 0, 11, 3),  # <NON_REF> skipped
        (400, "G", "1/2", 1, 0, 5, 4),  # '*' skipped, G keeps its AD index 2
        (500, "A", "2|2", 0, 1, 1, 5),
        (500, "ATT", "2|2", 2, 1, 8, 5),
    ]


def test_missing_genotypes_and_fields() -> None:
    table = read("missing_gt.vcf")
    assert rows(table, "pos", "alt", "gt", "alt_count", "ploidy", "phased") == [
        (10, "G", "./.", -1, 2, False),
        (20, "G", ".", -1, 1, False),
        (30, "G", "./1", 1, 2, False),
        (40, "G", "0/.", 0, 2, False),
        (50, "G", ".|1", 1, 2, True),
        (60, "G", None, -1, 0, False),  # no GT in FORMAT
        (70, "G", "1/2", 1, 2, False),
        (70, "T", "1/2", 1, 2, False),
    ]
    assert rows(table, "ad_ref", "ad_alt", "dp", "gq") == [
        (None, None, None, None),
        (None, None, None, None),  # trailing fields dropped
        (None, 3, 3, None),
        (4, None, 4, 10),
        (2, 2, None, None),
        (None, None, 15, 20),
        (None, None, None, None),
        (None, None, None, None),
    ]


def test_haploid_x() -> None:
    table = read("haploid_x.vcf")
    assert rows(table, "chrom", "pos", "alt", "alt_count", "ploidy", "ad_alt") == [
        ("chrX", 1000, "G", 1, 1, 8),
        ("chrX", 2000, "T", 0, 1, 0),
        ("chrX", 3000, "A", 0, 1, 1),
        ("chrX", 3000, "C", 1, 1, 7),
        ("chrX", 4000, "C", -1, 1, None),
    ]


def test_symbolic_star_breakend_and_no_alt_are_skipped_and_counted() -> None:
    with VcfReader(str(DATA / "symbolic.vcf")) as reader:
        table = reader.read_all()
        assert reader.n_records == 8
        assert reader.n_skipped == {"symbolic": 3, "star": 1, "breakend": 3, "no_alt": 1}
    assert rows(table, "pos", "alt", "alt_count") == [(800, "G", 1)]


def test_header_only_gives_no_batches() -> None:
    with VcfReader(str(DATA / "header_only.vcf")) as reader:
        assert list(reader.batches()) == []
        assert reader.n_records == 0
        assert reader.read_all().schema == VARIANT_BATCH


@pytest.mark.parametrize("name", ["multiallelic.vcf", "multiallelic.bcf"])
def test_batch_size_does_not_change_the_table(name: str) -> None:
    with VcfReader(str(DATA / name), batch_size=2) as reader:
        batches = list(reader.batches())
    assert [b.num_rows for b in batches] == [2, 2, 2, 2, 1]
    assert all(b.schema == VARIANT_BATCH for b in batches)
    assert pa.Table.from_batches(batches).equals(read("multiallelic.vcf"))


def test_small_text_chunks_keep_records_and_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = {name: read(name) for name in ("multiallelic.vcf.gz", "crlf.vcf", "basic.vcf")}
    monkeypatch.setattr(vcf, "CHUNK_BYTES", 64)  # header and records span many chunks
    for name, table in expected.items():
        assert read(name).equals(table)
    with pytest.raises(InputError, match=r"record 3 \(line 23\), field DP"):
        read("malformed_dp.vcf")


def test_second_sample_chosen_by_name() -> None:
    assert rows(read("two_samples.vcf", sample="mother"), "gt", "ad_alt") == [("0/1", 5)]


# ----- errors -----
@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        ("two_samples.vcf", {}, r"two_samples.vcf has 2 samples; choose one with --sample"),
        (
            "two_samples.vcf",
            {"sample": "dad"},
            r"sample dad not found in .*two_samples.vcf; samples are: mother, proband",
        ),
        ("no_samples.vcf", {}, r"no_samples.vcf has no sample columns"),
        ("not_a_vcf.txt", {}, r"not_a_vcf.txt is not a VCF or BCF"),
        ("missing.vcf", {}, r"cannot read .*missing.vcf"),
    ],
)
def test_open_errors(name: str, kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        VcfReader(str(DATA / name), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "malformed_gt.vcf",
            r"malformed_gt.vcf: record 2 \(line 22\), field GT: expected .*, got '0/x'",
        ),
        (
            "malformed_gt_index.vcf",
            r"record 1 \(line 21\), field GT: expected allele indices 0..1 .*'0/2'",
        ),
        (
            "malformed_ad.vcf",
            r"record 2 \(line 22\), field AD: expected an integer or '.', got 'four'",
        ),
        (
            "malformed_dp.vcf",
            r"record 3 \(line 23\), field DP: expected an integer or '.', got '7.5x'",
        ),
        ("malformed_pos.vcf", r"record 1 \(line 21\), field POS: expected an integer, got '12a'"),
        (
            "malformed_columns.vcf",
            r"record 2 \(line 22\), field columns: expected 10 tab-separated",
        ),
        ("truncated.vcf.gz", r"truncated.vcf.gz: truncated or corrupt compressed data"),
    ],
)
def test_read_errors(name: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        read(name)
    assert info.value.exit_code == 2
    assert "\n" not in str(info.value)


def test_truncated_bcf(tmp_path: Path) -> None:
    data = (DATA / "multiallelic.bcf").read_bytes()
    path = tmp_path / "cut.bcf"
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(InputError, match="cut.bcf: .*BCF"):
        read(str(path))
    path.write_bytes(gzip.compress(gzip.decompress(data)))  # gzip, not BGZF
    with pytest.raises(InputError, match="cut.bcf: cannot read BCF"):
        read(str(path))


def test_plain_gzip_that_is_not_a_vcf(tmp_path: Path) -> None:
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(b"hello\tworld\n"))
    with pytest.raises(InputError, match="x.gz is not a VCF or BCF"):
        VcfReader(str(path))


def test_harmonise_contig() -> None:
    names = ["1", "chr1", "X", "MT", "M", "chrMT", "GL000192.1", "chrUn_KI270302v1"]
    expected = ["chr1", "chr1", "chrX", "chrM", "chrM", "chrM", "GL000192.1", "chrUn_KI270302v1"]
    assert [vcf_text.harmonise_contig(n) for n in names] == expected


# ----- property test on GT strings -----
def reference_alt_count(gt: str, alt: int) -> int:
    alleles = gt.replace("|", "/").split("/")
    if all(a == "." for a in alleles):
        return -1
    return sum(a == str(alt) for a in alleles)


genotype = st.builds(
    lambda alleles, seps: "".join(a + s for a, s in zip(alleles, seps, strict=False)),
    st.lists(st.sampled_from([".", "0", "1", "2", "3"]), min_size=1, max_size=4),
    st.lists(st.sampled_from(["/", "|"]), min_size=3, max_size=3).map(lambda s: [*s, ""]),
).map(lambda g: g.rstrip("/|"))


@settings(max_examples=60, deadline=None)
@given(st.lists(genotype, min_size=1, max_size=8))
def test_alt_count_matches_reference(gts: list[str]) -> None:
    body = "".join(f"1\t{i + 1}\t.\tA\tC,G,T\t.\t.\t.\tGT\t{gt}\n" for i, gt in enumerate(gts))
    cols = vcf_text.read_columns(body.encode(), 10, 9)
    table, _ = vcf_text.parse_records(cols, 1, {})
    expected = [
        (gt, reference_alt_count(gt, alt), gt.count("/") + gt.count("|") + 1, "|" in gt)
        for gt in gts
        for alt in (1, 2, 3)
    ]
    assert rows(table, "gt", "alt_count", "ploidy", "phased") == expected


def test_vcf_without_chrom_line(tmp_path: Path) -> None:
    path = tmp_path / "nochrom.vcf"
    path.write_text("##fileformat=VCFv4.2\n##contig=<ID=1>\n")
    with pytest.raises(InputError, match="nochrom.vcf is not a VCF: no '#CHROM' header line"):
        VcfReader(str(path))


def test_detect_format_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not_a_vcf.txt is not a VCF or BCF"):
        detect_format(str(DATA / "not_a_vcf.txt"))
    with pytest.raises(InputError, match="cannot read"):
        detect_format(str(tmp_path / "absent.vcf"))
