"""Write tiny files in the real formats of the optional knowledge-base sources, ``sources/``.

Run ``python test_data/make_source_fixtures.py`` (deterministic; bgzip through pysam).  Sites
sit in the genes of the tiny knowledge base (``make_kb_fixtures.py``: GENEA chr1:1001-3100,
GENEB chr2:5001-6100, GENEC chr3:1001-1200, GENED chrX:10001-10300)::

    site              gnomAD exomes v4.1   gnomAD genomes v3.1  ClinVar (stars)
    chr1:2050 C>T     AC 10 AN 1000 PASS   AC 2 AN 500 AS_VQSR  Pathogenic (2)
    chr1:2600 G>A     -                    -                    Conflicting (1)
    chr1:2700 T>C     -                    -                    Likely_pathogenic (0)
    chr2:6050 G>A     -                    AC 50 AN 1000        -
    chr3:1100 AG>A    as 1099 CAG>CA, AC0  -                    P/LP|risk_factor (3)
    chrX:3000000 T>C  non_par, AC_XY 3     -                    -
    chr1:1500 A>G     -                    -                    Benign (4)

Scores: chr1:2050 C>T REVEL 0.91 (rows 0.91 and 0.55; an hg19-only row '.' on GRCh38),
SpliceAI 0.62 (its G allele 0.90); chr1:2600 G>A CADD 25.3, AlphaMissense 0.8812 (and 0.4).
Cohort VCF: chr1:2050 C>T AF 0.01, chr2:6050 G>A,T (multi-allelic) AF 0.2/0.05, Number=R.
Constraint: GENEA Ensembl MANE row (beside RefSeq and non-canonical ones), GENEB RefSeq only
(matched by symbol), GENEC canonical; ExAC pLI by alias (GENEB_ALIAS) and symbol (GENED).

``query.vcf`` asks for present and absent keys (chr1:2500 A>G is in nothing), a lower-case
allele and the multi-allelic chr2:6050 G>A,T.  ``clinvar_grch37.vcf.gz`` says
``##reference=GRCh37`` and must be refused; ``clinvar_grch37_nohints.vcf.gz`` has no header hint
but a position beyond GRCh38 chr21.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pysam

OUT = Path(__file__).parent / "sources"
GRCH38 = {"chr1": 248956422, "chr2": 242193529, "chr3": 198295559, "chrX": 156040895}
GRCH37 = {"1": 249250621, "2": 243199373, "3": 198022430, "X": 155270560}


def _info(id_: str, number: str, type_: str, desc: str) -> str:
    return f'##INFO=<ID={id_},Number={number},Type={type_},Description="{desc}">'


def _bgzip(name: str, lines: list[str]) -> None:
    with pysam.BGZFile(str(OUT / name), "wb") as fh:
        fh.write(("\n".join(lines) + "\n").encode())


def _contigs(lengths: dict[str, int], extra: str = "") -> list[str]:
    return [f"##contig=<ID={c},length={n}{extra}>" for c, n in lengths.items()]


GNOMAD_V4_INFO = [
    ("AC", "A", "Integer", "Alternate allele count"),
    ("AN", "1", "Integer", "Total number of alleles"),
    ("AF", "A", "Float", "Alternate allele frequency"),
    ("grpmax", "A", "String", "Genetic ancestry group with the maximum allele frequency"),
    ("fafmax_faf95_max", "A", "Float", "Maximum filtering allele frequency (using Poisson 95% "
     "CI) across genetic_ancestry groups"),
    ("AC_XY", "A", "Integer", "Alternate allele count for XY samples"),
    ("AN_XY", "1", "Integer", "Total number of alleles in XY samples"),
    ("nhomalt_XY", "A", "Integer", "Count of homozygous individuals in XY samples"),
    ("nhomalt", "A", "Integer", "Count of homozygous individuals"),
    ("AF_afr", "A", "Float", "Alternate allele frequency in samples of African/African-American "
     "ancestry"),
    ("AF_grpmax", "A", "Float", "Maximum allele frequency across genetic ancestry groups"),
    ("AF_grpmax_joint", "A", "Float", "Maximum allele frequency across genetic ancestry groups "
     "in joint subset"),
    ("faf95", "A", "Float", "Filtering allele frequency (using Poisson 95% CI)"),
    ("non_par", "0", "Flag", "Variant (on sex chromosome) falls outside a pseudoautosomal region"),
    ("lcr", "0", "Flag", "Variant falls within a low complexity region"),
    ("vep", ".", "String", "Consequence annotations from Ensembl VEP. Format: Allele|Consequence"),
]  # fmt: skip


def gnomad_v4() -> None:
    head = ["##fileformat=VCFv4.2", "##hailversion=0.2.122-be9d88a80695",
            '##FILTER=<ID=AC0,Description="Allele count is zero after filtering">',
            '##FILTER=<ID=AS_VQSR,Description="Failed VQSR filtering thresholds">',
            '##FILTER=<ID=PASS,Description="Passed all variant filters">',
            *(_info(*i) for i in GNOMAD_V4_INFO),
            *_contigs(GRCH38, ",assembly=gnomAD_GRCh38"),
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]  # fmt: skip
    vep = "vep=T|missense_variant|MODERATE|GENEA|ENSG_GENEA|Transcript"
    body = [
        "chr1\t2050\trs1\tC\tT\t.\tPASS\tAC=10;AN=1000;AF=0.01;grpmax=nfe;fafmax_faf95_max=0.012;"
        "AC_XY=4;AN_XY=480;nhomalt_XY=0;nhomalt=1;AF_afr=0.002;AF_grpmax=0.02;"
        f"AF_grpmax_joint=0.018;faf95=0.006;{vep}",
        "chr3\t1099\t.\tCAG\tCA\t.\tAC0\tAC=0;AN=900;AF=0;AC_XY=0;AN_XY=450;nhomalt_XY=0;"
        "nhomalt=0;faf95=0;lcr",
        "chrX\t3000000\t.\tT\tC\t.\tPASS\tAC=5;AN=1500;AF=0.00333;grpmax=afr;AC_XY=3;AN_XY=500;"
        "nhomalt_XY=3;nhomalt=1;AF_grpmax=0.004;faf95=0.0015;non_par",
    ]
    _bgzip("gnomad.exomes.v4.1.sites.tiny.vcf.bgz", head + body)


def gnomad_v3() -> None:
    info = [
        ("AC", "A", "Integer", "Alternate allele count"),
        ("AN", "1", "Integer", "Total number of alleles"),
        ("AF", "A", "Float", "Alternate allele frequency"),
        ("popmax", "A", "String", "Population with maximum allele frequency"),
        ("faf95_popmax", "A", "Float", "Filtering allele frequency (using Poisson 95% CI) for "
         "the population with the maximum allele frequency"),
        ("AC_XY", "A", "Integer", "Alternate allele count for XY samples"),
        ("nhomalt_XY", "A", "Integer", "Count of homozygous individuals in XY samples"),
        ("nhomalt", "A", "Integer", "Count of homozygous individuals"),
        ("AF_popmax", "A", "Float", "Maximum allele frequency across populations"),
        ("faf95", "A", "Float", "Filtering allele frequency (using Poisson 95% CI)"),
        ("nonpar", "0", "Flag", "Variant (on sex chromosome) falls outside a pseudoautosomal "
         "region"),
    ]  # fmt: skip
    head = ["##fileformat=VCFv4.2", "##hailversion=0.2.77-684f32d73643",
            *(_info(*i) for i in info), *_contigs(GRCH38, ",assembly=gnomAD_GRCh38"),
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]  # fmt: skip
    body = [
        "chr1\t2050\trs1\tC\tT\t.\tAS_VQSR\tAC=2;AN=500;AF=0.004;popmax=afr;faf95_popmax=0.03;"
        "AC_XY=1;nhomalt_XY=0;nhomalt=0;AF_popmax=0.05;faf95=0.001",
        "chr2\t6050\t.\tG\tA\t.\tPASS\tAC=50;AN=1000;AF=0.05;popmax=eas;faf95_popmax=0.07;"
        "AC_XY=20;nhomalt_XY=2;nhomalt=3;AF_popmax=0.09;faf95=0.04",
    ]
    _bgzip("gnomad.genomes.v3.1.2.sites.tiny.vcf.bgz", head + body)


CLINVAR_INFO = [
    ("AF_ESP", "1", "Float", "allele frequencies from GO-ESP"),
    ("ALLELEID", "1", "Integer", "the ClinVar Allele ID"),
    ("CLNDN", ".", "String", "ClinVar's preferred disease name for the concept specified by "
     "disease identifiers in CLNDISDB"),
    ("CLNDISDB", ".", "String", "Tag-value pairs of disease database name and identifier, e.g. "
     "OMIM:NNNNNN"),
    ("CLNREVSTAT", ".", "String", "ClinVar review status of germline classification for the "
     "Variation ID"),
    ("CLNSIG", ".", "String", "Aggregate germline classification for this single variant; "
     "multiple values are separated by a vertical bar"),
    ("CLNVC", "1", "String", "Variant type"),
    ("GENEINFO", "1", "String", "Gene(s) for the variant reported as gene symbol:gene id. The "
     "gene symbol and id are delimited by a colon (:) and each pair is delimited by a vertical "
     "bar (|)"),
    ("MC", ".", "String", "comma separated list of molecular consequence in the form of "
     "Sequence Ontology ID|molecular_consequence"),
    ("ORIGIN", ".", "String", "Allele origin."),
]  # fmt: skip


def _clinvar_head(reference: str, date: str) -> list[str]:
    return ["##fileformat=VCFv4.1", f"##fileDate={date}", "##source=ClinVar",
            f"##reference={reference}", '##ID=<Description="ClinVar Variation ID">',
            *(_info(*i) for i in CLINVAR_INFO),
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]  # fmt: skip


def clinvar() -> None:
    rows = [
        ("1", 1500, "900005", "A", "G", "ALLELEID=910005;CLNDISDB=MedGen:CN169374;"
         "CLNDN=not_specified;CLNREVSTAT=practice_guideline;CLNSIG=Benign;"
         "CLNVC=single_nucleotide_variant;GENEINFO=GENEA:1001;MC=SO:0001627|intron_variant;"
         "ORIGIN=1"),
        ("1", 2050, "900001", "C", "T", "AF_ESP=0.01;ALLELEID=910001;CLNDISDB=MONDO:MONDO:"
         "0000001,MedGen:C0000001|MedGen:CN517202;CLNDN=Tiny_syndrome_1|not_provided;"
         "CLNREVSTAT=criteria_provided,_multiple_submitters,_no_conflicts;CLNSIG=Pathogenic;"
         "CLNVC=single_nucleotide_variant;GENEINFO=GENEA:1001;MC=SO:0001583|missense_variant;"
         "ORIGIN=1"),
        ("1", 2600, "900002", "G", "A", "ALLELEID=910002;CLNDISDB=MedGen:CN169374;"
         "CLNDN=not_specified;CLNREVSTAT=criteria_provided,_conflicting_classifications;"
         "CLNSIG=Conflicting_classifications_of_pathogenicity;CLNVC=single_nucleotide_variant;"
         "GENEINFO=GENEA:1001;MC=SO:0001583|missense_variant;ORIGIN=1"),
        ("1", 2700, "900003", "T", "C", "ALLELEID=910003;CLNDISDB=.;CLNDN=Tiny_syndrome_1;"
         "CLNREVSTAT=no_assertion_criteria_provided;CLNSIG=Likely_pathogenic;"
         "CLNVC=single_nucleotide_variant;GENEINFO=GENEA:1001;ORIGIN=1"),
        ("3", 1099, "900004", "CAG", "CA", "ALLELEID=910004;CLNDISDB=MedGen:C0000003;"
         "CLNDN=Tiny_syndrome_3;CLNREVSTAT=reviewed_by_expert_panel;"
         "CLNSIG=Pathogenic/Likely_pathogenic|risk_factor;CLNVC=Deletion;"
         "GENEINFO=GENEC:1003;MC=SO:0001589|frameshift_variant;ORIGIN=1"),
        ("3", 1150, "900006", "T", ".", "ALLELEID=910006;CLNSIG=not_provided;"
         "CLNREVSTAT=no_classification_provided;ORIGIN=1"),
    ]  # fmt: skip
    body = ["\t".join([c, str(p), i, r, a, ".", ".", info]) for c, p, i, r, a, info in rows]
    _bgzip("clinvar_20250105.tiny.vcf.gz", _clinvar_head("GRCh38", "2025-01-05") + body)
    grch37 = ["1\t69134\t2205837\tA\tG\t.\t.\tALLELEID=2193183;CLNSIG=Likely_benign;"
              "CLNREVSTAT=criteria_provided,_single_submitter"]  # fmt: skip
    _bgzip("clinvar_grch37.vcf.gz", _clinvar_head("GRCh37", "2023-07-10") + grch37)
    head = [x for x in _clinvar_head("GRCh37", "2023-07-10") if not x.startswith("##reference")]
    beyond = ["21\t47000000\t1\tA\tG\t.\t.\tALLELEID=1;CLNSIG=Benign"]  # chr21 is 46.7 Mb
    _bgzip("clinvar_grch37_nohints.vcf.gz", head + beyond)


CONSTRAINT_V41 = (  # noqa: SIM905 (the real header, as one string)
    "gene gene_id transcript canonical mane_select lof_hc_lc.obs lof_hc_lc.exp "
    "lof_hc_lc.possible lof_hc_lc.oe lof_hc_lc.mu lof_hc_lc.pLI lof_hc_lc.pNull lof_hc_lc.pRec "
    "lof.obs lof.exp lof.possible lof.oe lof.mu lof.pLI lof.pNull lof.pRec lof.oe_ci.lower "
    "lof.oe_ci.upper lof.oe_ci.upper_rank lof.oe_ci.upper_bin_decile lof.z_raw lof.z_score "
    "mis.obs mis.exp mis.possible mis.oe mis.mu mis.oe_ci.lower mis.oe_ci.upper mis.z_raw "
    "mis.z_score mis_pphen.obs mis_pphen.exp mis_pphen.possible mis_pphen.oe syn.obs syn.exp "
    "syn.possible syn.oe syn.mu syn.oe_ci.lower syn.oe_ci.upper syn.z_raw syn.z_score "
    "constraint_flags level transcript_type chromosome cds_length num_coding_exons"
).split()


def _constraint_row(gene: str, gid: str, tx: str, canon: str, mane: str, vals: tuple) -> str:
    pli, loeuf, lof_oe, mis_z, syn_z = vals
    row = dict.fromkeys(CONSTRAINT_V41, "NA")
    row.update({"gene": gene, "gene_id": gid, "transcript": tx, "canonical": canon,
                "mane_select": mane, "lof.pLI": pli, "lof.oe_ci.upper": loeuf, "lof.oe": lof_oe,
                "mis.z_score": mis_z, "syn.z_score": syn_z, "constraint_flags": "[]"})  # fmt: skip
    return "\t".join(row[c] for c in CONSTRAINT_V41)


def constraint() -> None:
    rows = [
        ("GENEA", "1001", "NM_000001.1", "true", "true", ("0.5", "0.9", "0.6", "1.0", "0.1")),
        ("GENEA", "ENSG_GENEA", "ENST_GENEA", "true", "true",
         ("9.9990e-01", "2.1000e-01", "1.1000e-01", "3.5000e+00", "-2.0000e-01")),
        ("GENEA", "ENSG_GENEA", "ENST_GENEA_2", "false", "false", ("0", "1", "1", "0", "0")),
        ("GENEB", "1002", "NM_000002.1", "true", "true", ("1.0e-03", "1.2", "0.9", "NA", "0.3")),
        ("GENEC", "ENSG_GENEC", "ENST_GENEC", "true", "false", ("0.2", "0.5", "0.3", "2", "1")),
        ("NOTAGENE", "ENSG_NONE", "ENST_NONE", "true", "true", ("1", "0.1", "0.05", "5", "0")),
    ]  # fmt: skip
    lines = ["\t".join(CONSTRAINT_V41)] + [_constraint_row(*r) for r in rows]
    with gzip.GzipFile(OUT / "gnomad.v4.1.constraint_metrics.tiny.tsv.gz", "wb", mtime=0) as fh:
        fh.write(("\n".join(lines) + "\n").encode())
    exac = ["gene\tpLI", "GENEB_ALIAS\t0.75", "GENED\t1.33038194561114e-19", "ZZZ\t0.5"]
    (OUT / "exac_pLI.tiny.txt").write_text("\n".join(exac) + "\n")


def scores() -> None:
    revel = ["#chr\thg19_pos\tgrch38_pos\tref\talt\taaref\taaalt\tREVEL\tEnsembl_transcriptid",
             "1\t1950\t2050\tC\tT\tR\tW\t0.55\tENST_GENEA_2",
             "1\t1400\t.\tA\tG\tK\tE\t0.12\tENST_GONE",
             "1\t1950\t2050\tC\tT\tR\tW\t0.91\tENST_GENEA",
             "1\t1990\t2040\tA\tC\tK\tT\t0.33\tENST_GENEA"]  # fmt: skip
    _bgzip("revel_grch38.tiny.tsv.gz", revel)
    am = ["# Copyright 2023 DeepMind Technologies Limited",
          "#",
          "# Licensed under CC BY-NC-SA 4.0 license",
          "#CHROM\tPOS\tREF\tALT\tgenome\tuniprot_id\ttranscript_id\tprotein_variant"
          "\tam_pathogenicity\tam_class",
          "chr1\t2600\tG\tA\thg38\tQ00001\tENST_GENEA.1\tG200S\t0.8812\tlikely_pathogenic",
          "chr1\t2600\tG\tA\thg38\tQ00002\tENST_GENEA_2.1\tG120S\t0.4\tambiguous"]  # fmt: skip
    _bgzip("AlphaMissense_hg38.tiny.tsv.gz", am)
    cadd = ["## CADD GRCh38-v1.7 (c) University of Washington, Hudson-Alpha Institute for "
            "Biotechnology and Berlin Institute of Health at Charite - Universitatsmedizin "
            "Berlin 2013-2023. All rights reserved.",
            "#Chrom\tPos\tRef\tAlt\tRawScore\tPHRED",
            "1\t2600\tG\tA\t3.141\t25.3",
            "1\t2600\tG\tC\t0.5\t8.1"]  # fmt: skip
    _bgzip("whole_genome_SNVs.tiny.tsv.gz", cadd)
    head = ["##fileformat=VCFv4.2", "##fileDate=20191004", "##reference=GRCh38/hg38",
            *_contigs({c.removeprefix("chr"): n for c, n in GRCH38.items()}),
            '##INFO=<ID=SpliceAI,Number=.,Type=String,Description="SpliceAIv1.3 variant '
            "annotation. These include delta scores (DS) and delta positions (DP) for acceptor "
            "gain (AG), acceptor loss (AL), donor gain (DG), and donor loss (DL). Format: "
            'ALLELE|SYMBOL|DS_AG|DS_AL|DS_DG|DS_DL|DP_AG|DP_AL|DP_DG|DP_DL">',
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]  # fmt: skip
    body = ["1\t2050\t.\tC\tT\t.\t.\tSpliceAI=T|GENEA|0.01|0.62|0.00|0.10|-3|2|7|1,"
            "T|OTHER|0.00|0.00|0.05|0.00|1|1|1|1",
            "1\t2050\t.\tC\tG\t.\t.\tSpliceAI=G|GENEA|0.90|0.00|0.00|0.00|1|1|1|1"]  # fmt: skip
    _bgzip("spliceai_scores.masked.snv.hg38.tiny.vcf.gz", head + body)


def cohort() -> None:
    head = ["##fileformat=VCFv4.2", *_contigs(GRCH38),
            _info("AF", "A", "Float", "Allele frequency in the cohort"),
            _info("AC_Hom", "A", "Integer", "Homozygous carriers"),
            _info("AD_all", "R", "Integer", "Read depth per allele"),
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]  # fmt: skip
    body = [
        "chr1\t2050\t.\tC\tT\t.\tPASS\tAF=0.01;AC_Hom=0;AD_all=100,5",
        "chr2\t6050\t.\tG\tA,T\t.\tLowQual\tAF=0.2,0.05;AC_Hom=2,.;AD_all=50,30,8",
    ]
    _bgzip("cohort.tiny.vcf.gz", head + body)
    config = {"name": "cohort", "version": "2025-01", "licence": "test data",
              "path": "cohort.tiny.vcf.gz",
              "fields": [{"field": "AF", "alias": "af"},
                         {"field": "AC_Hom", "alias": "nhomalt", "missing": 0},
                         {"field": "AD_all", "alias": "ad_alt"},
                         {"field": "FILTER", "alias": "filter"}]}  # fmt: skip
    (OUT / "cohort.json").write_text(json.dumps(config, indent=2) + "\n")


def query() -> None:
    lines = ["##fileformat=VCFv4.2",
             '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tQ1",
             "chr1\t2050\t.\tC\tT\t50\tPASS\t.\tGT\t0/1",
             "chr1\t2500\t.\tA\tG\t50\tPASS\t.\tGT\t0/1",
             "chr1\t2600\t.\tg\ta\t50\tPASS\t.\tGT\t0/1",
             "chr1\t2700\t.\tT\tC\t50\tPASS\t.\tGT\t0/1",
             "chr2\t6050\t.\tG\tA,T\t50\tPASS\t.\tGT\t1/2",
             "chr3\t1100\t.\tAG\tA\t50\tPASS\t.\tGT\t0/1",
             "chrX\t3000000\t.\tT\tC\t50\tPASS\t.\tGT\t1"]  # fmt: skip
    (OUT / "query.vcf").write_text("\n".join(lines) + "\n")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    gnomad_v4()
    gnomad_v3()
    clinvar()
    constraint()
    scores()
    cohort()
    query()


if __name__ == "__main__":
    main()
