"""Exact consequences and HGVS from a reference FASTA (fixtures: test_data/fasta/, drawn in
``test_data/make_fasta_fixtures.py``): GENEP on the + strand, GENEM on the - strand of chr21."""

from __future__ import annotations

import csv
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pyarrow as pa
import pysam
import pytest
from click.testing import CliRunner
from conftest import TEST_DATA

from varprio.cli import main
from varprio.consequence import GeneModel, annotate
from varprio.kb.load import KnowledgeBase

FASTA = TEST_DATA / "fasta"
KB_ARGS = ["--hpo-dir", str(TEST_DATA / "hpo"), "--gtf", str(FASTA / "genes.gtf"),
           "--hgnc", str(TEST_DATA / "kb" / "hgnc.txt"),
           "--kgp-dir", str(TEST_DATA / "kb" / "peddy")]  # fmt: skip

#: (pos, ref, alt) -> (gene, consequence, hgvs_c after the transcript ID, hgvs_p); checked by
#: hand against CDS_P / CDS_M of the fixture script.
CASES = {
    (5059, "C", "T"): ("GENEP", "synonymous_variant", "c.9C>T", "p.(Gly3=)"),
    (5061, "G", "A"): ("GENEP", "missense_variant", "c.11G>A", "p.(Arg4His)"),
    (5054, "C", "T"): ("GENEP", "stop_gained", "c.4C>T", "p.(Arg2Ter)"),
    (5428, "T", "C"): ("GENEP", "stop_lost", "c.178T>C", "p.(Ter60GlnextTer2)"),
    (5430, "A", "G"): ("GENEP", "stop_retained_variant", "c.180A>G", "p.(Ter60=)"),
    (5052, "T", "C"): ("GENEP", "start_lost", "c.2T>C", "p.(Met1?)"),
    (5062, "TA", "T"): ("GENEP", "frameshift_variant", "c.17del", "p.(Lys6SerfsTer?)"),
    (5062, "T", "TA"): ("GENEP", "frameshift_variant", "c.17dup", "p.(Phe7ValfsTer?)"),
    (5070, "T", "TG"): ("GENEP", "frameshift_variant", "c.20_21insG", "p.(Phe7LeufsTer?)"),
    (5074, "GGAA", "G"): ("GENEP", "inframe_deletion", "c.28_30del", "p.(Glu10del)"),
    (5101, "G", "A"): ("GENEP", "splice_donor_variant", "c.50+1G>A", None),
    (5199, "A", "G"): ("GENEP", "splice_acceptor_variant", "c.51-2A>G", None),
    (5039, "G", "A"): ("GENEP", "5_prime_UTR_variant", "c.-12G>A", None),
    (5464, "T", "C"): ("GENEP", "3_prime_UTR_variant", "c.*34T>C", None),
    (7461, "G", "C"): ("GENEM", "missense_variant", "c.10C>G", "p.(Gln4Glu)"),
    (7463, "C", "T"): ("GENEM", "stop_gained", "c.8G>A", "p.(Trp3Ter)"),
    (7459, "C", "T"): ("GENEM", "synonymous_variant", "c.12G>A", "p.(Gln4=)"),
    (7470, "T", "C"): ("GENEM", "start_lost", "c.1A>G", "p.(Met1?)"),
    # the T run c.14-17: left-aligned and right-aligned VCF deletions both give c.17del
    (7453, "CA", "C"): ("GENEM", "frameshift_variant", "c.17del", "p.(Leu6TrpfsTer61)"),
    (7456, "AA", "A"): ("GENEM", "frameshift_variant", "c.17del", "p.(Leu6TrpfsTer61)"),
    (7453, "C", "CA"): ("GENEM", "frameshift_variant", "c.17dup", "p.(Leu6PhefsTer70)"),
    (7400, "C", "T"): ("GENEM", "splice_donor_variant", "c.70+1G>A", None),
    (7190, "G", "A"): ("GENEM", "3_prime_UTR_variant", "c.*1C>T", None),
}
TX = {"GENEP": "ENSTP01.1", "GENEM": "ENSTM01.1"}


def _build(out: Path, *extra: str) -> None:
    result = CliRunner().invoke(main, ["kb", "build", "--out", str(out), *KB_ARGS, *extra])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def fasta_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fasta") / "kb"
    _build(out, "--fasta", str(FASTA / "tiny_grch38.fa.gz"))
    return out


def _annotate(kb_dir: Path, sequences: bool = True) -> dict[tuple, dict]:
    kb = KnowledgeBase(kb_dir)
    seqs = kb.table("gene_models/cds_sequences") if sequences else None
    model = GeneModel.from_tables(
        kb.table("gene_models/transcripts"), kb.table("gene_models/exons"), seqs
    )
    keys = list(CASES)
    pos, ref, alt = zip(*keys, strict=True)
    table = annotate(model, pa.array(["chr21"] * len(keys)), np.array(pos), pa.array(ref),
                     pa.array(alt))  # fmt: skip
    return {
        keys[r["variant_index"]]: r
        for r in table.to_pylist()
        if r["gene"] == CASES[keys[r["variant_index"]]][0]
    }


def test_exact_terms_and_hgvs(fasta_kb: Path) -> None:
    rows = _annotate(fasta_kb)
    for key, (gene, term, c, p) in CASES.items():
        row = rows[key]
        got = (row["consequence"], row["hgvs_c"], row["hgvs_p"])
        assert got == (term, f"{TX[gene]}:{c}", p), key
        assert row["consequence_source"] == ("fasta" if p else "gene_models"), key


def test_without_sequences_coarse_terms(fasta_kb: Path) -> None:
    rows = _annotate(fasta_kb, sequences=False)
    assert rows[(5061, "G", "A")]["consequence"] == "coding_sequence_variant"
    assert rows[(5430, "A", "G")]["consequence"] == "stop_lost"
    assert all(r["hgvs_c"] is None and r["hgvs_p"] is None for r in rows.values())
    assert {r["consequence_source"] for r in rows.values()} == {"gene_models"}


def test_manifest_records_reference(fasta_kb: Path) -> None:
    kb = KnowledgeBase(fasta_kb)
    source = next(s for s in kb.manifest.sources if s.name == "reference")
    assert source.tables == ["gene_models/cds_sequences"]
    assert set(source.files) == {"tiny_grch38.fa.gz"}
    assert kb.manifest.tables["gene_models/cds_sequences"].rows == 2
    assert kb.verify() == []


def test_prioritize_round_trip(fasta_kb: Path, tmp_path: Path) -> None:
    prefix = tmp_path / "case"
    args = ["prioritize", str(FASTA / "case.vcf"), "--kb", str(fasta_kb), "--hpo", "HP:0000001",
            "--out-prefix", str(prefix), "--format", "tsv,html"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    lines = [x for x in Path(f"{prefix}.variants.tsv").read_text().splitlines() if x[:2] != "##"]
    rows = {(r["pos"], r["gene"]): r for r in csv.DictReader(lines, delimiter="\t")}
    stop = rows[("5054", "GENEP")]
    assert (stop["consequence"], stop["hgvs_c"], stop["hgvs_p"]) == (
        "stop_gained", "ENSTP01.1:c.4C>T", "p.(Arg2Ter)")  # fmt: skip
    assert stop["consequence_source"] == "fasta"
    assert rows[("5062", "GENEP")]["hgvs_c"] == "ENSTP01.1:c.17del"
    assert rows[("7461", "GENEM")]["hgvs_p"] == "p.(Gln4Glu)"
    assert rows[("7400", "GENEM")]["hgvs_p"] == "."
    assert "ENSTP01.1:c.4C&gt;T p.(Arg2Ter)" in Path(f"{prefix}.html").read_text()
    # the annotated VCF carries the allele's best row: the transparent ranker puts the stop
    # gained in GENEP above the same allele's downstream row in GENEM
    result = CliRunner().invoke(main, [*args[:-1], "vcf", "--model", "transparent"])
    assert result.exit_code == 0, result.output
    with pysam.VariantFile(f"{prefix}.vcf.gz") as vcf:
        info = next(r for r in vcf if r.pos == 5054).info
    hgvs = (unquote(info["VARPRIO_HGVSC"][0]), unquote(info["VARPRIO_HGVSP"][0]))
    assert hgvs == ("ENSTP01.1:c.4C>T", "p.(Arg2Ter)") and info["VARPRIO_CSQ_SOURCE"] == ("fasta",)


def test_annotate_command_gives_exact_terms(fasta_kb: Path, tmp_path: Path) -> None:
    out = tmp_path / "case.tsv"
    args = ["annotate", str(FASTA / "case.vcf"), "--kb", str(fasta_kb), "-o", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    lines = [x for x in out.read_text().splitlines() if x[:2] != "##"]
    rows = {r["pos"]: r for r in csv.DictReader(lines, delimiter="\t")}
    stop = rows["5054"]
    assert (stop["consequence"], stop["hgvs_c"], stop["hgvs_p"], stop["consequence_source"]) == (
        "stop_gained", "ENSTP01.1:c.4C>T", "p.(Arg2Ter)", "fasta")  # fmt: skip


def test_kb_add_fasta(tmp_path: Path) -> None:
    out = tmp_path / "kb"
    _build(out)
    assert not KnowledgeBase(out).has("gene_models/cds_sequences")
    args = ["kb", "add", "--kb", str(out), "--fasta", str(FASTA / "tiny_grch38.fa.gz")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    rows = _annotate(out)
    assert rows[(5054, "C", "T")]["consequence"] == "stop_gained"


def test_other_assembly_refused(tmp_path: Path) -> None:
    args = ["kb", "build", "--out", str(tmp_path / "kb"), *KB_ARGS,
            "--fasta", str(FASTA / "wrong_length.fa")]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "wrong_length.fa: contig chr21 has length 1000, GRCh38's chr21 is 46709983" in (
        result.output
    )
    assert not (tmp_path / "kb").exists()
