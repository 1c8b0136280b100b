"""Optional knowledge-base sources: each built from a tiny file in its real format, then read
back through annotation (echtvar's check.py spirit), plus layout, refusal and update tests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import TEST_DATA, shared_path, sources_inputs

from varprio.annotate_records import RecordAnnotator
from varprio.cli import main
from varprio.errors import InputError, UsageError
from varprio.io.vcf import VcfReader
from varprio.kb.build import build_kb
from varprio.kb.load import KnowledgeBase
from varprio.kb.lookup import SiteLookup, site_keys
from varprio.kb.manifest import Manifest
from varprio.kb.optional import OptionalInputs
from varprio.kb.sources import clinvar, constraint, gnomad, popvcf, scores, site_table
from varprio.kb.sources.site_table import SiteTableWriter, site_schema
from varprio.kb.sources.vcf_sites import Field, SitesReader
from varprio.kb.update import add_sources

SRC = TEST_DATA / "sources"


@pytest.fixture(scope="module")
def rows(sources_kb: Path) -> dict[str, dict[str, Any]]:
    """test_data/sources/query.vcf annotated, by ``chrom:pos:ref:alt``."""
    annotator = RecordAnnotator.from_kb(KnowledgeBase(sources_kb))
    with VcfReader(str(SRC / "query.vcf")) as reader:
        table = annotator.annotate(reader.read_all().select(["chrom", "pos", "ref", "alt"]))
    return {f"{r['chrom']}:{r['pos']}:{r['ref']}:{r['alt']}": r for r in table.to_pylist()}


def _close(value: Any, expected: float) -> bool:
    return value is not None and abs(value - expected) < 1e-6 * max(1.0, abs(expected))


# ----- round trips, one per source -----
def test_gnomad_v4_exomes(rows: dict[str, dict[str, Any]]) -> None:
    r = rows["chr1:2050:C:T"]
    assert (r["gnomad_exomes_ac"], r["gnomad_exomes_an"], r["gnomad_exomes_nhomalt"]) == (
        10,
        1000,
        1,
    )
    assert r["gnomad_exomes_grpmax"] == "nfe" and _close(r["gnomad_exomes_grpmax_af"], 0.02)
    assert _close(r["gnomad_exomes_faf95_max"], 0.012) and _close(r["gnomad_exomes_faf95"], 0.006)
    assert (r["gnomad_exomes_ac_xy"], r["gnomad_exomes_nhemi"], r["gnomad_exomes_filter"]) == (
        4, 0, "PASS",
    )  # fmt: skip
    x = rows["chrX:3000000:T:C"]  # flagged non_par: the XY carriers are hemizygous
    assert x["gnomad_exomes_nhemi"] == 3 and x["gnomad_exomes_faf95_max"] is None
    indel = rows["chr3:1100:AG:A"]  # written CAG>CA at 1099 in gnomAD: matched after trimming
    assert (indel["gnomad_exomes_ac"], indel["gnomad_exomes_filter"]) == (0, "AC0")
    absent = rows["chr1:2500:A:G"]
    assert all(absent[k] is None for k in absent if k.startswith("gnomad_"))


def test_gnomad_v3_genomes_popmax_names(rows: dict[str, dict[str, Any]]) -> None:
    r = rows["chr1:2050:C:T"]
    assert r["gnomad_genomes_grpmax"] == "afr" and _close(r["gnomad_genomes_grpmax_af"], 0.05)
    assert _close(r["gnomad_genomes_faf95_max"], 0.03) and r["gnomad_genomes_filter"] == "AS_VQSR"
    assert rows["chr2:6050:G:A"]["gnomad_genomes_nhomalt"] == 3
    assert rows["chr2:6050:G:T"]["gnomad_genomes_ac"] is None


def test_gnomad_datasets_combined(rows: dict[str, dict[str, Any]]) -> None:
    r = rows["chr1:2050:C:T"]
    assert (r["gnomad_ac"], r["gnomad_an"], r["gnomad_nhomalt"]) == (12, 1500, 1)
    assert _close(r["gnomad_af"], 12 / 1500) and _close(r["gnomad_grpmax_af"], 0.05)
    assert r["gnomad_grpmax"] == "afr" and _close(r["gnomad_faf95_max"], 0.03)
    assert r["gnomad_filter"] == "PASS"  # passes in the exomes
    assert _close(r["max_pop_af"], 0.75)  # 1000 Genomes EAS is higher still
    assert _close(rows["chrX:3000000:T:C"]["max_pop_af"], 0.004)
    assert rows["chr1:2500:A:G"]["max_pop_af"] is None


def test_popvcf_field_map(rows: dict[str, dict[str, Any]]) -> None:
    a, t = rows["chr2:6050:G:A"], rows["chr2:6050:G:T"]  # one multi-allelic record, split
    assert _close(a["cohort_af"], 0.2) and _close(t["cohort_af"], 0.05)
    assert (a["cohort_nhomalt"], t["cohort_nhomalt"]) == (2, 0)  # '.' -> the "missing" value
    assert (a["cohort_ad_alt"], t["cohort_ad_alt"]) == (30, 8)  # Number=R: ALT's own value
    assert a["cohort_filter"] == "LowQual"
    assert rows["chr1:2500:A:G"]["cohort_nhomalt"] is None  # absent site: null, not "missing"


def test_clinvar_fields_stars_and_classes(rows: dict[str, dict[str, Any]]) -> None:
    p = rows["chr1:2050:C:T"]
    assert (p["clinvar_significance"], p["clinvar_stars"]) == ("pathogenic", 2)
    assert p["clinvar_clndn"] == "Tiny_syndrome_1|not_provided"
    assert p["clinvar_clndisdb"] == "MONDO:MONDO:0000001,MedGen:C0000001|MedGen:CN517202"
    assert (p["clinvar_variation_id"], p["clinvar_alleleid"]) == ("900001", 910001)
    assert (p["clinvar_mc"], p["clinvar_geneinfo"]) == ("SO:0001583|missense_variant", "GENEA:1001")
    c = rows["chr1:2600:G:A"]  # lower case in the query VCF
    assert c["clinvar_clnsig"] == "Conflicting_classifications_of_pathogenicity"
    assert (c["clinvar_significance"], c["clinvar_stars"]) == ("conflicting", 1)
    lp = rows["chr1:2700:T:C"]
    assert (lp["clinvar_significance"], lp["clinvar_stars"]) == ("likely_pathogenic", 0)
    assert lp["clinvar_clndisdb"] is None  # '.' in the file
    ind = rows["chr3:1100:AG:A"]
    assert (ind["clinvar_significance"], ind["clinvar_stars"]) == (
        "pathogenic/likely_pathogenic", 3,
    )  # fmt: skip
    assert rows["chr1:2500:A:G"]["clinvar_clnsig"] is None


def test_clinvar_stars_and_significance_tables() -> None:
    revstat = [
        "practice_guideline",
        "reviewed_by_expert_panel",
        "criteria_provided,_multiple_submitters,_no_conflicts",
        "criteria_provided,_conflicting_interpretations",
        "criteria_provided,_single_submitter",
        "no_assertion_provided",
        "weird",
        None,
    ]
    assert clinvar.stars(pa.array(revstat)).to_pylist() == [4, 3, 2, 1, 1, 0, None, None]
    sig = ["Pathogenic", "Likely_pathogenic,_low_penetrance",
           "Pathogenic/Likely_pathogenic/Pathogenic,_low_penetrance", "Pathogenic|risk_factor",
           "Conflicting_interpretations_of_pathogenicity", "Benign/Likely_benign",
           "Uncertain_significance", "drug_response", None]  # fmt: skip
    assert clinvar.significance(pa.array(sig)).to_pylist() == [
        "pathogenic", "likely_pathogenic", "pathogenic/likely_pathogenic", "pathogenic",
        "conflicting", "benign/likely_benign", "uncertain", "other", None,
    ]  # fmt: skip


def test_constraint_by_hgnc(rows: dict[str, dict[str, Any]], sources_kb: Path) -> None:
    a = rows["chr1:2050:C:T"]  # Ensembl MANE row, not the RefSeq or non-canonical ones
    assert _close(a["constraint_loeuf"], 0.21) and _close(a["constraint_pli"], 0.9999)
    assert _close(a["constraint_mis_z"], 3.5) and a["constraint_exac_pli"] is None
    b = rows["chr2:6050:G:A"]  # RefSeq-only row matched by symbol; ExAC by alias
    assert _close(b["constraint_loeuf"], 1.2) and b["constraint_mis_z"] is None
    assert _close(b["constraint_exac_pli"], 0.75)
    genes = KnowledgeBase(sources_kb).table(constraint.TABLE)
    assert genes["hgnc_id"].to_pylist() == ["HGNC:90001", "HGNC:90002", "HGNC:90003", "HGNC:90004"]


def test_scores(rows: dict[str, dict[str, Any]]) -> None:
    r = rows["chr1:2050:C:T"]
    assert _close(r["revel_score"], 0.91)  # the highest of its transcripts' rows
    assert _close(r["spliceai_max_ds"], 0.62) and r["spliceai_gene"] == "GENEA"  # T, not G
    c = rows["chr1:2600:G:A"]
    assert _close(c["alphamissense_score"], 0.8812)
    assert c["alphamissense_class"] == "likely_pathogenic"
    assert _close(c["cadd_phred"], 25.3) and _close(c["cadd_raw"], 3.141)
    assert rows["chr1:2500:A:G"]["revel_score"] is None


def test_revel_rows_without_grch38_position_skipped(sources_kb: Path) -> None:
    revel = KnowledgeBase(sources_kb).table("scores/revel")
    assert revel["pos"].to_pylist() == [2040, 2050]  # sorted; hg19-only row gone


def test_spliceai_max_delta_scores() -> None:
    alt = pa.array(["T", "A", "G"])
    raw = pa.array(["T|G1|0.01|0.62|.|0.10|1|1|1|1,T|G2|0.7|0|0|0|1|1|1|1", "C|G1|0.9|0|0|0", None])
    ds, gene = scores.max_delta_scores(alt, raw)
    assert [round(v, 4) if v is not None else None for v in ds.to_pylist()] == [0.7, None, None]
    assert gene.to_pylist() == ["G2", None, None]


# ----- layout and the manifest -----
def test_manifest_lists_sources_with_checksums(sources_kb: Path) -> None:
    m = Manifest.read(sources_kb)
    names = [s.name for s in m.sources]
    assert names == ["hpo", "gene_models", "hgnc", "kgp", "gnomad", "cohort", "clinvar",
                     "constraint", "revel", "alphamissense", "cadd", "spliceai"]  # fmt: skip
    by = {s.name: s for s in m.sources}
    assert by["gnomad"].tables == ["frequencies/gnomad_exomes", "frequencies/gnomad_genomes"]
    assert by["gnomad"].version == "gnomAD exomes v4.1, genomes v3.1.2"
    assert by["clinvar"].version == "ClinVar 2025-01-05"
    assert set(by["cohort"].files) == {"cohort.json", "cohort.tiny.vcf.gz"}
    assert m.tables["clinvar/variants"].rows == 5  # the record without an ALT is skipped
    assert KnowledgeBase(sources_kb).verify() == []


def test_build_with_sources_is_deterministic(sources_kb: Path, tmp_path: Path) -> None:
    build_kb(tmp_path / "again", sources_inputs(tmp_path / "cache"), "pytest sources_kb")
    assert Manifest.read(tmp_path / "again").checksum == Manifest.read(sources_kb).checksum


def test_site_tables_sorted_with_contig_row_groups(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(site_table, "ROW_GROUP", 2)
    schema = site_schema([pa.field("x_v", pa.int32())])
    out = tmp_path / "t.parquet"
    writer = SiteTableWriter(out, schema)
    chunks = [  # chr2 before chr1, out of order within chr1, a duplicate key
        (["2", "chr1", "chr1"], [50, 30, 10], ["A", "C", "G"], ["T", "T", "T"], [1, 2, 3]),
        (["chr1", "1", "chrX"], [20, 10, 5], ["A", "G", "C"], ["C", "T", "A"], [4, 5, 6]),
    ]
    for c, p, r, a, v in chunks:
        writer.write(pa.table([c, pa.array(p, pa.int32()), r, a, pa.array(v, pa.int32())],
                              schema=schema), None)  # fmt: skip
    assert writer.close() == 5 and writer.duplicates == 1
    table = pq.read_table(out)
    assert list(zip(table["chrom"].to_pylist(), table["pos"].to_pylist(), strict=True)) == [
        ("chr1", 10), ("chr1", 20), ("chr1", 30), ("chr2", 50), ("chrX", 5),
    ]  # fmt: skip
    assert table["x_v"].to_pylist()[0] == 3  # first of the repeated chr1:10:G:T
    meta = pq.ParquetFile(out).metadata
    stats = [meta.row_group(i).column(0).statistics for i in range(meta.num_row_groups)]
    spans = [(s.min, s.max) for s in stats]
    assert all(lo == hi for lo, hi in spans) and len(spans) == 4
    lookup = SiteLookup("t", out)
    chrom, pos = pa.array(["chr2"]), pa.array([50], pa.int32())
    assert [g for g, _ in lookup._wanted(chrom, pos.to_numpy())] == [2]  # chr2's group only
    keys = site_keys(chrom, pos, pa.array(["A"]), pa.array(["T"]))
    assert lookup.join(chrom, pos.to_numpy(), keys)["x_v"].to_pylist() == [1]


def test_trimmed_indels_stay_sorted_across_chunks(tmp_path: Path) -> None:
    vcf = tmp_path / "sites.vcf"
    lines = ["##fileformat=VCFv4.2", '##INFO=<ID=AF,Number=A,Type=Float,Description="AF">',
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]  # fmt: skip
    for p in range(100, 400, 3):  # a CAG>CA written at p moves to p+1 after trimming
        lines.append(f"chr1\t{p}\t.\tCAG\tCA,C\t.\tPASS\tAF=0.1,0.2")
        lines.append(f"chr1\t{p + 1}\t.\tA\tT\t.\tPASS\tAF=0.3")
    vcf.write_text("\n".join(lines) + "\n")
    out = tmp_path / "t.parquet"
    schema = site_schema([pa.field("t_af", pa.float32())])
    writer = SiteTableWriter(out, schema)
    with SitesReader(str(vcf), chunk_bytes=200) as reader:  # many small chunks
        for chunk, last in reader.chunks([Field("AF", "t_af")]):
            writer.write(chunk, last)
    writer.write(schema.empty_table(), None)
    assert writer.close() == 300
    pos = pq.read_table(out)["pos"].to_numpy()
    assert (pos[1:] >= pos[:-1]).all() and pos[0] == 100


def test_grch37_clinvar_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"clinvar_grch37\.vcf\.gz: ##reference=GRCh37"):
        clinvar.build_clinvar_table(SRC / "clinvar_grch37.vcf.gz", tmp_path / "c.parquet")
    with pytest.raises(InputError, match=r"nohints\.vcf\.gz: record 1: 21:47000000 lies beyond"):
        clinvar.build_clinvar_table(SRC / "clinvar_grch37_nohints.vcf.gz", tmp_path / "c.parquet")
    assert list(tmp_path.iterdir()) == []  # no temporary parts left


def test_grch37_contig_lengths_refused(tmp_path: Path) -> None:
    vcf = tmp_path / "b37.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n##contig=<ID=1,length=249250621>\n"
                   "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")  # fmt: skip
    with pytest.raises(InputError, match="contig chr1 has length 249250621, GRCh38's is"):
        gnomad.build_gnomad_table([gnomad.GnomadFile(vcf, "exomes")], "exomes", tmp_path / "g")


def test_cli_build_refuses_grch37_and_keeps_old_kb(sources_kb: Path, tmp_path: Path) -> None:
    out = tmp_path / "kb"
    shutil.copytree(sources_kb, out)
    before = (out / "manifest.json").read_text()
    result = CliRunner().invoke(
        main, ["kb", "add", "--kb", str(out), "--clinvar", str(SRC / "clinvar_grch37.vcf.gz")]
    )
    assert result.exit_code == 2
    assert "clinvar_grch37.vcf.gz: ##reference=GRCh37 is GRCh37" in result.output
    assert (out / "manifest.json").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kb"]


def test_kb_add_replaces_one_source(sources_kb: Path, tmp_path: Path) -> None:
    out = tmp_path / "kb"
    shutil.copytree(sources_kb, out)
    old = Manifest.read(out)
    revel = tmp_path / "revel.tsv"
    revel.write_text("chr,hg19_pos,grch38_pos,ref,alt,aaref,aaalt,REVEL,Ensembl_transcriptid\n"
                     "1,1,2060,A,G,K,E,0.5,ENST1\n")  # fmt: skip
    manifest, names = add_sources(out, OptionalInputs(scores=(f"revel={revel}",)), "pytest add")
    assert names == ["revel"]
    assert [s.name for s in manifest.sources] == [s.name for s in old.sources]
    assert manifest.tables["scores/revel"].rows == 1
    unchanged = {k: v for k, v in old.tables.items() if k != "scores/revel"}
    assert {k: manifest.tables[k] for k in unchanged} == unchanged
    assert manifest.build_command.endswith("&& pytest add")
    assert KnowledgeBase(out).verify() == []


def test_kb_add_new_source_to_plain_kb(tiny_kb: Path, tmp_path: Path) -> None:
    out = tmp_path / "kb"
    shutil.copytree(tiny_kb, out)
    result = CliRunner().invoke(
        main,
        ["kb", "add", "--kb", str(out), "--clinvar", str(SRC / "clinvar_20250105.tiny.vcf.gz")],
    )
    assert result.exit_code == 0, result.output
    assert [s.name for s in Manifest.read(out).sources][-1] == "clinvar"
    verify = CliRunner().invoke(main, ["kb", "verify", "--kb", str(out)])
    assert verify.exit_code == 0, verify.output


def test_popvcf_config_errors(tmp_path: Path) -> None:
    def config(doc: dict[str, Any]) -> Path:
        path = tmp_path / "c.json"
        path.write_text(json.dumps(doc))
        return path

    good = {"name": "c", "path": "x.vcf.gz", "fields": [{"field": "AF", "alias": "af"}]}
    assert popvcf.read_config(config(good)).fields[0].column == "c_af"
    with pytest.raises(InputError, match="name 'gnomad' must"):
        popvcf.read_config(config({**good, "name": "gnomad"}))
    with pytest.raises(InputError, match=r"fields\[0\]: unknown key\(s\) multiplier"):
        popvcf.read_config(config({**good, "fields": [{"field": "AF", "multiplier": 2}]}))
    with pytest.raises(InputError, match="type 'double'"):
        popvcf.read_config(config({**good, "fields": [{"field": "AF", "type": "double"}]}))


def test_scores_spec_errors() -> None:
    with pytest.raises(UsageError, match="unknown tool polyphen"):
        scores.parse_spec("polyphen=x.tsv")
    with pytest.raises(UsageError, match="expected NAME=FILE"):
        scores.parse_spec("revel.tsv")


def test_missing_columns_named(tmp_path: Path) -> None:
    bad = tmp_path / "cadd.tsv"
    bad.write_text("#Chrom\tPos\tRef\tAlt\tRawScore\n1\t5\tA\tG\t0.1\n")
    with pytest.raises(InputError, match="cadd file lacks column.s. phred"):
        scores.build_scores_table("cadd", bad, tmp_path / "c.parquet")


# ----- the real format samples in ../shared -----
@pytest.mark.shared
def test_real_samples_build_and_annotate(tmp_path: Path) -> None:
    data = shared_path("data")
    exome = shared_path("benchmark/background/pfeiffer_exome.GRCh38.vcf.gz")
    freq, cons = data / "frequencies", data / "constraint"
    optional = OptionalInputs(
        gnomad=tuple(str(p) for p in sorted(freq.glob("*gnomad*.vcf.bgz"))),
        constraint=(cons / "gnomad.v4.1.constraint_metrics_reduced_scout.tsv.gz",
                    cons / "exac_pLI_values_VEP_plugins.txt"),
        scores=tuple(f"spliceai={p}" for p in sorted((data / "scores").glob("*.vcf.gz"))[:1]),
    )  # fmt: skip
    inputs = sources_inputs(tmp_path / "cache")
    inputs.optional, inputs.hgnc = optional, data / "ids" / "hgnc_complete_set.txt.gz"
    build_kb(tmp_path / "kb", inputs, "pytest shared")
    m = Manifest.read(tmp_path / "kb")
    assert m.tables["frequencies/gnomad_exomes"].rows == 992  # 101 chr1 + 891 chrX records
    assert m.tables["frequencies/gnomad_genomes"].rows == 28
    assert m.tables["constraint/genes"].rows > 18000
    kb = KnowledgeBase(tmp_path / "kb")
    exomes = kb.table("frequencies/gnomad_exomes").to_pylist()
    first = next(r for r in exomes if r["pos"] == 55039894 and r["alt"] == "C")
    assert first["gnomad_exomes_ac"] == 6 and first["gnomad_exomes_an"] == 1413132
    assert _close(first["gnomad_exomes_faf95_max"], 5.98e-05)
    v3 = next(r for r in kb.table("frequencies/gnomad_genomes").to_pylist() if r["pos"] == 15971)
    assert v3["gnomad_genomes_grpmax"] == "amr" and v3["gnomad_genomes_filter"] == "AS_VQSR"
    result = CliRunner().invoke(
        main, ["annotate", str(exome), "--kb", str(tmp_path / "kb"), "--format", "parquet",
               "-o", str(tmp_path / "a.parquet")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pq.read_table(tmp_path / "a.parquet")
    assert table.num_rows >= 36849 and "gnomad_exomes_af" in table.column_names


@pytest.mark.shared
def test_real_grch37_clinvar_refused(tmp_path: Path) -> None:
    path = shared_path("data/clinvar/exomiser_clinvar-test_GRCh37_2023-07.vcf.gz")
    with pytest.raises(InputError, match="exomiser_clinvar-test_GRCh37_2023-07.vcf.gz: .*GRCh37"):
        clinvar.build_clinvar_table(path, tmp_path / "c.parquet")


@pytest.mark.shared
def test_real_constraint_prefers_ensembl_mane() -> None:
    from varprio.kb.sources.hgnc import build_hgnc_table

    hgnc = build_hgnc_table(shared_path("data/ids/hgnc_complete_set.txt.gz"))
    path = shared_path("data/constraint/gnomad.v4.1.constraint_metrics_reduced_scout.tsv.gz")
    fmt, df = constraint.read_constraint(path, hgnc)
    assert fmt == "gnomad_v4"
    row = df.set_index("constraint_gene").loc["AAGAB"]
    assert abs(row["constraint_pli"] - 1.5706e-08) < 1e-12 and row["hgnc_id"] == "HGNC:25662"
