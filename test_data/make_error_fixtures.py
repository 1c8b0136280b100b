"""Write test_data/errors/: bad and odd inputs for tests/test_errors.py (docs/errors.md).

Every VCF is built from the tiny patient ``kb/case.vcf`` (five records on chr1, chr2, chr3,
chr5 whose GENEC frameshift ranks first on the ``tiny_kb`` knowledge base), changed in one way:

    grch37.vcf            ##contig lines with GRCh37 lengths (chr1 249250621, ...): refused
    grch38.vcf            ##contig lines with GRCh38 lengths: accepted
    unsorted_pos.vcf      chr1 2500 before chr1 2050: refused, names record 2
    contig_back.vcf       chr1, chr2, chr1 again: refused, names record 3
    duplicate_samples.vcf two sample columns both named TINY1
    nochr.vcf             bare contig names (1, 2, 3, 5): same ranking as chr-prefixed
    alleles.vcf           lowercase REF/ALT, and extra ALTs '*', '<DEL>', '<NON_REF>', a
                          breakend: same ranking, the odd alleles skipped and counted
    crlf.vcf              CRLF line endings
    header_only.vcf       no records: succeeds with empty tables
    sites_only.vcf        8 columns, no FORMAT or sample
    bad_gt_in_gene.vcf    GT '0/x' on the GENEC frameshift (in a region of interest)
    bad_ad_in_gene.vcf    AD '16,x' on the GENEC frameshift
    bad_dp_in_gene.vcf    DP '3l' on the GENEC frameshift
    bad_gt_intergenic.vcf GT '0/x' at chr5:100 (outside every region: only --all-records)
    case.bcf              grch38.vcf as BCF (pysam)

Phenotype inputs:

    obsolete_alt.hpo.txt  an alt ID (HP:0002279 -> HP:0001250) and an obsolete ID with
                          replaced_by (HP:0000057 -> HP:0001631)
    obsolete_noreplace.hpo.txt  HP:0000003, obsolete with only 'consider': refused
    empty.hpo.txt         comments only: no observed term
    malformed.json        not JSON
    wrong_schema.json     phenotypicFeatures is an object, not a list
    wrong_schema.yaml     a feature's type.id is a number

Run from the repository root: ``python test_data/make_error_fixtures.py``.
"""

from __future__ import annotations

from pathlib import Path

import pysam

from varprio.contigs import GRCH37_LENGTHS, GRCH38_LENGTHS

HERE = Path(__file__).resolve().parent
OUT = HERE / "errors"
CASE = HERE / "kb" / "case.vcf"
FRAMESHIFT = "chr3\t1100\t"  # the record that ranks first


def _case() -> tuple[list[str], list[list[str]]]:
    lines = CASE.read_text().splitlines()
    header = [ln for ln in lines if ln.startswith("#")]
    records = [ln.split("\t") for ln in lines if not ln.startswith("#")]
    return header, records


def _write(name: str, header: list[str], records: list[list[str]], eol: str = "\n") -> None:
    text = eol.join([*header, *("\t".join(r) for r in records)]) + eol
    (OUT / name).write_bytes(text.encode())


def _with_contigs(header: list[str], lengths: dict[str, int]) -> list[str]:
    contigs = [f"##contig=<ID={c},length={lengths[c]}>" for c in ("chr1", "chr2", "chr3", "chr5")]
    return [header[0], *contigs, *header[1:]]


def _set_format(records: list[list[str]], key: str, value: str) -> list[list[str]]:
    out = [list(r) for r in records]
    for r in out:
        if r[0] == "chr3" and r[1] == "1100":
            fields = r[9].split(":")
            fields[r[8].split(":").index(key)] = value
            r[9] = ":".join(fields)
    return out


def write_vcfs() -> None:
    header, records = _case()
    _write("grch37.vcf", _with_contigs(header, GRCH37_LENGTHS), records)
    _write("grch38.vcf", _with_contigs(header, GRCH38_LENGTHS), records)
    _write("unsorted_pos.vcf", header, [records[1], records[0], *records[2:]])
    _write("contig_back.vcf", header, [records[0], records[2], records[1], *records[3:]])
    _write("duplicate_samples.vcf", [*header[:-1], header[-1] + "\tTINY1"],
           [[*r, r[9]] for r in records])  # fmt: skip
    _write("nochr.vcf", header, [[r[0].removeprefix("chr"), *r[1:]] for r in records])
    odd = [list(r) for r in records]
    odd[0][3:5] = ["c", "t,*"]
    odd[2][3:5] = ["t", "c,<DEL>,<NON_REF>"]
    odd[3][3:5] = ["ag", "a,A[chr7:5000["]
    _write("alleles.vcf", header, odd)
    _write("crlf.vcf", header, records, eol="\r\n")
    _write("header_only.vcf", header, [])
    _write("sites_only.vcf", [*header[:-1], "\t".join(header[-1].split("\t")[:8])],
           [r[:8] for r in records])  # fmt: skip
    _write("bad_gt_in_gene.vcf", header, _set_format(records, "GT", "0/x"))
    _write("bad_ad_in_gene.vcf", header, _set_format(records, "AD", "16,x"))
    _write("bad_dp_in_gene.vcf", header, _set_format(records, "DP", "3l"))
    intergenic = [list(r) for r in records]
    intergenic[4][9] = "0/x" + intergenic[4][9][3:]
    _write("bad_gt_intergenic.vcf", header, intergenic)
    src = pysam.VariantFile(str(OUT / "grch38.vcf"))  # pysam needs ##contig lines
    with src, pysam.VariantFile(str(OUT / "case.bcf"), "wb", header=src.header) as dst:
        for rec in src:
            dst.write(rec)


def write_phenotypes() -> None:
    (OUT / "obsolete_alt.hpo.txt").write_text(
        "# an alt ID and an obsolete ID with replaced_by\nHP:0002279\nHP:0000057\nHP:0001256\n"
    )
    (OUT / "obsolete_noreplace.hpo.txt").write_text("HP:0002123\nHP:0000003\n")
    (OUT / "empty.hpo.txt").write_text("# no terms\n\n")
    (OUT / "malformed.json").write_text('{"id": "P1", "phenotypicFeatures": [\n')
    (OUT / "wrong_schema.json").write_text(
        '{"id": "P1", "phenotypicFeatures": {"type": {"id": "HP:0002123"}}}\n'
    )
    (OUT / "wrong_schema.yaml").write_text(
        "id: P1\nphenotypicFeatures:\n  - type:\n      id: 2123\n"
    )


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    write_vcfs()
    write_phenotypes()
