"""Write the VEP- and SnpEff-annotated VCFs of ``tests/test_vcf_annotations.py``.

Run from anywhere: ``python test_data/make_vcf_annotation_fixtures.py``; output in
``test_data/vcf_annotations/`` (listed in ``test_data/README.md``), deterministic.  The sites
lie in the genes of the tiny knowledge base (``kb/genes.gtf``: GENEA chr1 +, GENEB chr2 -,
GENEC chr3 +); the header lines are those VEP 110 and SnpEff 5.1 write.

Records (sample TINY1, every call carrying its ALT):

* chr1:2050 C>T: GENEA missense on ENST_GENEA (canonical) and synonymous on ENST_GENEA2, an
  antisense gene GENEA-AS1, a regulatory feature without gene; gnomAD AF, MAX_AF, ClinVar.
* chr1:2060 G>A: ``&``-joined terms ``splice_region_variant&synonymous_variant`` with
  ``p.Leu12%3D``; several ``&``-joined frequencies.
* chr2:6020 T>C,G: multi-allelic: C ``stop_gained`` (HIGH), G ``synonymous_variant``.
* chr3:1100 AG>A: a deletion written ``-`` by VEP (frameshift).
* chr3:1120 CTT>C,CT: a multi-allelic deletion: VEP alleles ``-`` and ``T``.
* chr3:1130 C>CA,T: an insertion beside a SNV: VEP keeps ``CA`` and ``T`` (no shared base).
* chr3:1140 G>T: CSQ with empty fields only (``T||||...``).
"""

from __future__ import annotations

from pathlib import Path

import pysam

OUT = Path(__file__).resolve().parent / "vcf_annotations"

VEP_FIELDS = (
    "Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|EXON|INTRON|HGVSc|HGVSp|"
    "cDNA_position|CDS_position|Protein_position|Amino_acids|Codons|Existing_variation|DISTANCE|"
    "STRAND|FLAGS|SYMBOL_SOURCE|HGNC_ID|CANONICAL|MANE_SELECT|gnomADe_AF|MAX_AF|CLIN_SIG"
)
VEP_HEADER = (
    '##VEP="v110" time="2024-01-10 10:00:00" cache="homo_sapiens/110_GRCh38" '
    'ensembl=110.584a8f3 assembly="GRCh38.p14"\n'
    '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl '
    f'VEP. Format: {VEP_FIELDS}">\n'
)
SNPEFF_HEADER = (
    '##SnpEffVersion="5.1d (build 2022-04-19 15:49), by Pablo Cingolani"\n'
    '##SnpEffCmd="SnpEff  GRCh38.105 input.vcf "\n'
    "##INFO=<ID=ANN,Number=.,Type=String,Description=\"Functional annotations: 'Allele | "
    "Annotation | Annotation_Impact | Gene_Name | Gene_ID | Feature_Type | Feature_ID | "
    "Transcript_BioType | Rank | HGVS.c | HGVS.p | cDNA.pos / cDNA.length | CDS.pos / "
    "CDS.length | AA.pos / AA.length | Distance | ERRORS / WARNINGS / INFO' \">\n"
)
BASE_HEADER = """##fileformat=VCFv4.2
##FILTER=<ID=PASS,Description="All filters passed">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">
##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">
##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">
##contig=<ID=chr1,length=248956422>
##contig=<ID=chr2,length=242193529>
##contig=<ID=chr3,length=198295559>
"""
COLUMNS = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tTINY1\n"


def vep(*values: str) -> str:
    """One CSQ entry from ``field=value`` pairs (other fields empty)."""
    names = VEP_FIELDS.split("|")
    given = dict(v.split("=", 1) for v in values)
    return "|".join(given.get(n, "") for n in names)


GENEA = ("SYMBOL=GENEA", "Gene=ENSG_GENEA", "Feature_type=Transcript", "BIOTYPE=protein_coding")
GENEB = ("SYMBOL=GENEB", "Gene=ENSG_GENEB", "Feature_type=Transcript", "Feature=ENST_GENEB",
         "BIOTYPE=protein_coding", "CANONICAL=YES")  # fmt: skip
GENEC = ("SYMBOL=GENEC", "Gene=ENSG_GENEC", "Feature_type=Transcript", "Feature=ENST_GENEC",
         "BIOTYPE=protein_coding", "CANONICAL=YES")  # fmt: skip
#: (chrom, pos, ref, alt, GT:AD:DP:GQ, CSQ entries)
SITES = [
    ("chr1", 2050, "C", "T", "0/1:12,11:23:70", [
        vep("Allele=T", "Consequence=synonymous_variant", "IMPACT=LOW", *GENEA,
            "Feature=ENST_GENEA2", "EXON=2/4", "HGVSc=ENST_GENEA2.1:c.90C>T",
            "HGVSp=ENSP_GENEA2.1:p.Ala30%3D", "gnomADe_AF=1.2e-05", "MAX_AF=0.0001",
            "CLIN_SIG=likely_pathogenic"),
        vep("Allele=T", "Consequence=missense_variant", "IMPACT=MODERATE", *GENEA,
            "Feature=ENST_GENEA", "EXON=2/3", "HGVSc=ENST_GENEA.1:c.100C>T",
            "HGVSp=ENSP_GENEA.1:p.Arg34Cys", "CANONICAL=YES", "MANE_SELECT=NM_000001.1",
            "gnomADe_AF=1.2e-05", "MAX_AF=0.0001", "CLIN_SIG=likely_pathogenic"),
        vep("Allele=T", "Consequence=non_coding_transcript_exon_variant", "IMPACT=MODIFIER",
            "SYMBOL=GENEA-AS1", "Gene=ENSG_GENEAAS1", "Feature_type=Transcript",
            "Feature=ENST_GENEAAS1", "BIOTYPE=lncRNA", "EXON=1/1", "HGVSc=ENST_GENEAAS1.1:n.5G>A"),
        vep("Allele=T", "Consequence=regulatory_region_variant", "IMPACT=MODIFIER",
            "Feature_type=RegulatoryFeature", "Feature=ENSR00000000001"),
    ]),
    ("chr1", 2060, "G", "A", "0/1:10,9:19:60", [
        vep("Allele=A", "Consequence=splice_region_variant&synonymous_variant", "IMPACT=LOW",
            *GENEA, "Feature=ENST_GENEA", "HGVSc=ENST_GENEA.1:c.110G>A",
            "HGVSp=ENSP_GENEA.1:p.Leu37%3D", "CANONICAL=YES", "gnomADe_AF=0.002&0.003",
            "MAX_AF=0.01"),
    ]),
    ("chr2", 6020, "T", "C,G", "1/2:1,14,14:29:80", [
        vep("Allele=C", "Consequence=stop_gained", "IMPACT=HIGH", *GENEB,
            "HGVSc=ENST_GENEB.1:c.151A>G", "HGVSp=ENSP_GENEB.1:p.Lys51Ter"),
        vep("Allele=G", "Consequence=synonymous_variant", "IMPACT=LOW", *GENEB,
            "HGVSc=ENST_GENEB.1:c.151A>C", "HGVSp=ENSP_GENEB.1:p.Lys51%3D", "MAX_AF=0.2"),
    ]),
    ("chr3", 1100, "AG", "A", "0/1:16,15:31:90", [
        vep("Allele=-", "Consequence=frameshift_variant", "IMPACT=HIGH", *GENEC, "EXON=1/1",
            "HGVSc=ENST_GENEC.1:c.52del", "HGVSp=ENSP_GENEC.1:p.Ala18ProfsTer5"),
    ]),
    ("chr3", 1120, "CTT", "C,CT", "1/2:2,10,9:21:60", [
        vep("Allele=-", "Consequence=inframe_deletion", "IMPACT=MODERATE", *GENEC,
            "HGVSc=ENST_GENEC.1:c.72_73del"),
        vep("Allele=T", "Consequence=frameshift_variant", "IMPACT=HIGH", *GENEC,
            "HGVSc=ENST_GENEC.1:c.73del"),
    ]),
    ("chr3", 1130, "C", "CA,T", "1/2:2,10,9:21:60", [
        vep("Allele=CA", "Consequence=frameshift_variant", "IMPACT=HIGH", *GENEC,
            "HGVSc=ENST_GENEC.1:c.81_82insA"),
        vep("Allele=T", "Consequence=missense_variant", "IMPACT=MODERATE", *GENEC,
            "HGVSc=ENST_GENEC.1:c.81C>T", "HGVSp=ENSP_GENEC.1:p.Pro27Leu"),
    ]),
    ("chr3", 1140, "G", "T", "0/1:8,8:16:50", [vep("Allele=T")]),
]  # fmt: skip


def snpeff(entry: str) -> str:
    """The SnpEff ANN entry of a VEP entry (the same facts in SnpEff's layout)."""
    f = dict(zip(VEP_FIELDS.split("|"), entry.split("|"), strict=True))
    hgvs_c = f["HGVSc"].split(":", 1)[-1]
    hgvs_p = f["HGVSp"].split(":", 1)[-1].replace("%3D", "=")
    return "|".join([
        f["Allele"], f["Consequence"], f["IMPACT"], f["SYMBOL"], f["Gene"],
        f["Feature_type"].lower(), f["Feature"], f["BIOTYPE"], f["EXON"], hgvs_c, hgvs_p,
        "", "", "", "", "",
    ])  # fmt: skip


def vep_forms(ref: str, alts: str) -> list[str]:
    """VEP's allele of each ALT: first base dropped when an indel's alleles all share it."""
    alleles = alts.split(",")
    indel = any(len(a) != len(ref) for a in alleles)
    shared = len({a[0] for a in [ref, *alleles] if "*" not in a}) == 1
    return [a[1:] or "-" for a in alleles] if indel and shared else alleles


def entries_for(tool: str, ref: str, alts: str, entries: list[str]) -> list[str]:
    """The entries as ``tool`` writes them: ``vep``, ``vep_num`` (with ALLELE_NUM after
    Allele) or ``snpeff`` (ALT as written, SnpEff's layout)."""
    forms = vep_forms(ref, alts)
    out = []
    for entry in entries:
        allele, rest = entry.split("|", 1)
        num = forms.index(allele) + 1
        if tool == "vep_num":
            out.append(f"{allele}|{num}|{rest}")
        elif tool == "snpeff":
            out.append(snpeff(alts.split(",")[num - 1] + "|" + rest))
        else:
            out.append(entry)
    return out


def records(tool: str) -> str:
    """The data lines, with CSQ (``vep``, ``vep_num``), ANN (``snpeff``) or neither."""
    lines = []
    for chrom, pos, ref, alt, call, entries in SITES:
        info = "DP=30"
        if tool != "none":
            key = "ANN" if tool == "snpeff" else "CSQ"
            info += f";{key}=" + ",".join(entries_for(tool, ref, alt, entries))
        lines.append(f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t50\tPASS\t{info}\tGT:AD:DP:GQ\t{call}\n")
    return "".join(lines)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    files = {
        "vep.vcf": BASE_HEADER + VEP_HEADER + COLUMNS + records("vep"),
        "snpeff.vcf": BASE_HEADER + SNPEFF_HEADER + COLUMNS + records("snpeff"),
        "stripped.vcf": BASE_HEADER + COLUMNS + records("none"),
        "vep_allele_num.vcf": BASE_HEADER
        + VEP_HEADER.replace("Format: Allele|", "Format: Allele|ALLELE_NUM|")
        + COLUMNS
        + records("vep_num"),
        "vep_malformed_header.vcf": BASE_HEADER
        + VEP_HEADER.replace(f"Format: {VEP_FIELDS}", "Consequence, impact and gene")
        + COLUMNS
        + records("vep"),
    }  # fmt: skip
    for name, text in files.items():
        (OUT / name).write_text(text)
    src = pysam.VariantFile(str(OUT / "vep.vcf"))
    with src, pysam.VariantFile(str(OUT / "vep.bcf"), "wb", header=src.header) as dst:
        for rec in src:
            dst.write(rec)


if __name__ == "__main__":
    main()
