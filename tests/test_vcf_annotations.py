"""The input VCF's own VEP CSQ / SnpEff ANN annotations (test_data/vcf_annotations/)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from click.testing import CliRunner
from conftest import TEST_DATA

from varprio import pipeline
from varprio.cli import main
from varprio.errors import InputError
from varprio.io.info_annotations import find_format, most_severe, vep_alleles
from varprio.io.vcf import VcfReader
from varprio.schemas import VARIANT_BATCH

DATA = TEST_DATA / "vcf_annotations"
HPO = "HP:0002123,HP:0001256"
MISSENSE = {
    "gene": "GENEA", "gene_id": "ENSG_GENEA", "consequence": "missense_variant",
    "impact": "MODERATE", "transcript_id": "ENST_GENEA", "exon": "2/3",
    "hgvs_c": "ENST_GENEA.1:c.100C>T", "hgvs_p": "ENSP_GENEA.1:p.Arg34Cys",
}  # fmt: skip


def read(name: str, annotations: bool = True) -> pa.Table:
    with VcfReader(str(DATA / name), annotations=annotations) as reader:
        return reader.read_all()


def by_allele(table: pa.Table) -> dict[tuple[int, str], dict]:
    return {(r["pos"], r["alt"]): r for r in table.to_pylist()}


def test_header_fields_and_malformed_declaration() -> None:
    header = (DATA / "vep.vcf").read_text().split("#CHROM")[0]
    fmt = find_format(header, "x.vcf")
    assert fmt is not None and (fmt.key, fmt.source) == ("CSQ", "vep")
    assert fmt.fields[:4] == ("Allele", "Consequence", "IMPACT", "SYMBOL") and len(fmt.fields) == 28
    ann = find_format((DATA / "snpeff.vcf").read_text().split("#CHROM")[0], "x.vcf")
    assert ann is not None and ann.source == "snpeff"
    assert ann.fields[:3] == ("Allele", "Annotation", "Annotation_Impact")
    assert ann.fields[-1] == "ERRORS / WARNINGS / INFO"
    assert find_format("##fileformat=VCFv4.2", "x.vcf") is None
    with pytest.raises(InputError, match=r"^x\.vcf: header line 12 \(##INFO=<ID=CSQ,"):
        find_format((DATA / "vep_malformed_header.vcf").read_text(), "x.vcf")


@pytest.mark.parametrize("name", ["vep.vcf", "vep.bcf", "vep_allele_num.vcf"])
def test_vep_entries_per_alt_and_gene(name: str) -> None:
    rows = by_allele(read(name))
    assert len(rows) == 10
    first = rows[(2050, "T")]
    assert first["vcf_annotations"] == [  # two genes; the regulatory feature has none
        MISSENSE,
        {"gene": "GENEA-AS1", "gene_id": "ENSG_GENEAAS1",
         "consequence": "non_coding_transcript_exon_variant", "impact": "MODIFIER",
         "transcript_id": "ENST_GENEAAS1", "exon": "1/1",
         "hgvs_c": "ENST_GENEAAS1.1:n.5G>A", "hgvs_p": None},
    ]  # fmt: skip
    assert first["vcf_source"] == "vep" and first["vcf_clin_sig"] == "likely_pathogenic"
    assert first["vcf_gnomad_af"] == pytest.approx(1.2e-5)
    assert first["vcf_max_af"] == pytest.approx(1e-4)
    splice = rows[(2060, "A")]["vcf_annotations"][0]
    assert splice["consequence"] == "splice_region_variant"
    assert splice["hgvs_p"] == "ENSP_GENEA.1:p.Leu37="
    assert rows[(2060, "A")]["vcf_gnomad_af"] == pytest.approx(0.002)  # first of '&'-joined
    terms = {k: [e["consequence"] for e in r["vcf_annotations"]] for k, r in rows.items()}
    assert terms == {
        (2050, "T"): ["missense_variant", "non_coding_transcript_exon_variant"],
        (2060, "A"): ["splice_region_variant"],
        (6020, "C"): ["stop_gained"], (6020, "G"): ["synonymous_variant"],
        (1100, "A"): ["frameshift_variant"],
        (1120, "C"): ["inframe_deletion"], (1120, "CT"): ["frameshift_variant"],
        (1130, "CA"): ["frameshift_variant"], (1130, "T"): ["missense_variant"],
        (1140, "T"): [],
    }  # fmt: skip
    assert rows[(6020, "G")]["vcf_annotations"][0]["hgvs_p"] == "ENSP_GENEB.1:p.Lys51="
    assert rows[(6020, "G")]["vcf_max_af"] == pytest.approx(0.2)
    assert rows[(6020, "C")]["vcf_max_af"] is None


def test_snpeff_entries_use_the_alt_as_written() -> None:
    rows = by_allele(read("snpeff.vcf"))
    assert rows[(2050, "T")]["vcf_source"] == "snpeff"
    entry = rows[(2050, "T")]["vcf_annotations"][0]
    assert (entry["consequence"], entry["hgvs_c"], entry["hgvs_p"], entry["exon"]) == (
        "missense_variant", "c.100C>T", "p.Arg34Cys", None)  # fmt: skip
    terms = {k: [e["consequence"] for e in r["vcf_annotations"]] for k, r in rows.items()}
    assert terms[(1120, "C")] == ["inframe_deletion"]
    assert terms[(1120, "CT")] == terms[(1130, "CA")] == ["frameshift_variant"]
    assert terms[(1130, "T")] == ["missense_variant"]
    assert rows[(1140, "T")]["vcf_annotations"] == []
    assert rows[(2050, "T")]["vcf_gnomad_af"] is None


def test_vep_allele_convention() -> None:
    ref = pa.array(["AG", "CTT", "C", "C", "A", "G"])
    alt = pa.array(["A", "C,CT", "CA,T", "T", "AT,<NON_REF>", "GA,*"])
    parent = [0, 1, 1, 2, 2, 3, 4, 5]
    alts = pa.array(["A", "C", "CT", "CA", "T", "T", "AT", "GA"])
    got = vep_alleles(ref, alt, pa.array(parent).to_numpy(), alts).to_pylist()
    assert got == ["-", "-", "T", "CA", "T", "T", "AT", "A"]


def test_most_severe_of_joined_and_snpeff_terms() -> None:
    terms = pa.array([
        "splice_region_variant&intron_variant", "intron_variant&stop_gained",
        "5_prime_UTR_premature_start_codon_gain_variant", "disruptive_inframe_deletion",
        "sequence_feature", "sequence_feature&missense_variant", None,
    ])  # fmt: skip
    best, rank = most_severe(terms)
    assert best.to_pylist() == [
        "splice_region_variant", "stop_gained", "5_prime_UTR_variant", "inframe_deletion",
        "sequence_feature", "missense_variant", None,
    ]  # fmt: skip
    assert rank[4] > rank[2] and rank[4] < rank[6]  # unknown terms rank after known ones


def test_plain_vcfs_read_as_before() -> None:
    plain = read("stripped.vcf")
    assert plain.schema == VARIANT_BATCH
    assert read("vep.vcf", annotations=False).equals(plain)
    annotated = read("vep.vcf")
    assert annotated.select(VARIANT_BATCH.names).equals(plain)
    with VcfReader(str(DATA / "stripped.vcf"), annotations=True) as reader:
        assert reader.info_format is None and reader.schema == VARIANT_BATCH


def test_annotator_prefers_specific_input_terms(tiny_kb: Path) -> None:
    res = pipeline.load_resources(tiny_kb, "pytest")
    rows = res.annotator.annotate(read("vep.vcf"))
    assert not [c for c in rows.column_names if c.startswith("vcf_")]
    got = {(r["pos"], r["alt"], r["gene"]): r for r in rows.to_pylist()}
    missense = got[(2050, "T", "GENEA")]
    assert (missense["consequence"], missense["impact"], missense["consequence_source"]) == (
        "missense_variant", "MODERATE", "vep")  # fmt: skip
    assert (missense["hgvs_c"], missense["hgvs_p"]) == (MISSENSE["hgvs_c"], MISSENSE["hgvs_p"])
    assert (missense["gnomad_af"], missense["frequency_source"]) == (
        pytest.approx(1.2e-5), "vep")  # fmt: skip
    assert missense["max_pop_af"] == pytest.approx(0.75)  # the KB's (1000 Genomes) is kept
    assert got[(2060, "A", "GENEA")]["max_pop_af"] == pytest.approx(0.01)  # VEP's MAX_AF
    frameshift = got[(1100, "A", "GENEC")]  # the gene models' term is exact: kept, HGVS filled
    assert (frameshift["consequence"], frameshift["consequence_source"]) == (
        "frameshift_variant", "gene_models")  # fmt: skip
    assert frameshift["hgvs_p"] == "ENSP_GENEC.1:p.Ala18ProfsTer5"
    assert frameshift["frequency_source"] is None
    stop = got[(6020, "C", "GENEB")]
    assert (stop["consequence"], stop["impact"], stop["consequence_source"]) == (
        "stop_gained", "HIGH", "vep")  # fmt: skip
    empty = got[(1140, "T", "GENEC")]
    assert (empty["consequence"], empty["consequence_source"]) == (
        "coding_sequence_variant", "gene_models")  # fmt: skip
    assert empty["hgvs_c"] is None


def run(kb: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, [*args, "--kb", str(kb)], catch_exceptions=False)


def variant_rows(text: str) -> list[dict[str, str]]:
    lines = [ln.split("\t") for ln in text.splitlines() if not ln.startswith("##")]
    return [dict(zip(lines[0], ln, strict=True)) for ln in lines[1:]]


def test_prioritize_reports_the_source(tiny_kb: Path) -> None:
    r = run(tiny_kb, "prioritize", str(DATA / "vep.vcf"), "--hpo", HPO, "--all-records")
    assert r.exit_code == 0, r.output
    rows = {(v["pos"], v["alt"], v["gene"]): v for v in variant_rows(r.stdout)}
    missense = rows[("2050", "T", "GENEA")]
    assert (missense["consequence"], missense["consequence_source"]) == ("missense_variant", "vep")
    assert (missense["frequency_source"], missense["gnomad_af"]) == ("vep", "0.000012")
    if "hgvs_p" in missense:  # the hgvs columns are in the output table
        assert missense["hgvs_p"] == "ENSP_GENEA.1:p.Arg34Cys"
    assert rows[("1100", "A", "GENEC")]["consequence_source"] == "gene_models"
    snpeff = run(tiny_kb, "prioritize", str(DATA / "snpeff.vcf"), "--hpo", HPO, "--all-records")
    rows = {(v["pos"], v["alt"], v["gene"]): v for v in variant_rows(snpeff.stdout)}
    assert rows[("6020", "C", "GENEB")]["consequence"] == "stop_gained"
    assert rows[("6020", "C", "GENEB")]["consequence_source"] == "snpeff"


def test_ignore_equals_the_stripped_vcf(tiny_kb: Path) -> None:
    def body(text: str) -> list[str]:
        return [ln for ln in text.splitlines() if not ln.startswith("##varprio_command")]

    ignored = run(tiny_kb, "prioritize", str(DATA / "vep.vcf"), "--hpo", HPO,
                  "--vcf-annotations", "ignore")  # fmt: skip
    stripped = run(tiny_kb, "prioritize", str(DATA / "stripped.vcf"), "--hpo", HPO)
    assert ignored.exit_code == 0 and stripped.exit_code == 0
    assert body(ignored.stdout) == body(stripped.stdout)
    assert "\tvep\t" not in ignored.stdout


def test_malformed_header_is_exit_2(tiny_kb: Path) -> None:
    r = CliRunner().invoke(main, ["prioritize", str(DATA / "vep_malformed_header.vcf"), "--hpo",
                                  HPO, "--kb", str(tiny_kb)])  # fmt: skip
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "header line 12" in lines[0] and "Format: Allele|" in lines[0]
    ignored = run(tiny_kb, "prioritize", str(DATA / "vep_malformed_header.vcf"), "--hpo", HPO,
                  "--vcf-annotations", "ignore")  # fmt: skip
    assert ignored.exit_code == 0
