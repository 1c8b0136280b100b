"""Write the family (PED + multi-sample VCF) fixtures under ``test_data/family/``.

Run ``python test_data/make_family_fixtures.py``.  Each family has ``<name>.vcf``,
``<name>.ped`` and ``<name>.expected.tsv``: per record, the gene, the gene's modes of
inheritance (as ``hpo_diseases.inheritance_modes`` codes) and what
``varprio.inheritance.assess`` must say (label, partner, de novo confidence).  Genes are
fictional; ``tests/test_family.py`` puts the modes on the rows itself, so no knowledge base
is needed.

    trio       kid (male, affected), dad and mum (unaffected): de novo (confident and
               low-depth), inherited from an unaffected parent (AD rejected), AR homozygous
               and a parent that is hom-ref (rejected), compound heterozygotes in trans,
               in cis and with a no-call parent, X-linked recessive in a boy (from his
               mother; rejected when the unaffected father carries it), mitochondrial
    quartet    trio + an affected sister and an unaffected brother: a compound heterozygote
               the unaffected brother also has (rejected), one the affected sister shares,
               a dominant variant the affected sister lacks (rejected)
    affected_parent  Exomiser #368: an affected father who is himself compound
               heterozygous, his affected daughter with one of his variants and one of her
               mother's; must not be rejected.  X in a girl: homozygous X-linked recessive
               (affected father hemizygous, carrier mother), X-linked dominant from her
               affected father, and a heterozygous carrier of an X-linked recessive variant
    phased     a single female sample with phased calls (PS): in trans and in cis pairs,
               and a heterozygous X-linked recessive variant
    tiny_trio  a trio on the tiny knowledge base's genes (test_data/kb) for the CLI:
               the GENEC frameshift de novo, a GENEA variant from the unaffected father
    two_families  tiny_trio's VCF with a second family (kid2 affected): batch, one row each
"""

from __future__ import annotations

from pathlib import Path

OUT = Path(__file__).parent / "family"
HEADER = """##fileformat=VCFv4.2
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">
##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">
##FORMAT=<ID=PS,Number=1,Type=Integer,Description="Phase set">
##contig=<ID=chr1,length=248956422>
##contig=<ID=chr2,length=242193529>
##contig=<ID=chr3,length=198295559>
##contig=<ID=chrX,length=156040895>
##contig=<ID=chrM,length=16569>
"""
REF, ALT = "C", "T"


def call(gt: str, dp: int = 30, gq: int = 60) -> str:
    """A sample field GT:AD:DP:GQ with allele depths that match the genotype."""
    alts = sum(a not in ("0", ".") for a in gt.replace("|", "/").split("/"))
    n = len(gt.replace("|", "/").split("/"))
    if "." in gt:
        return f"{gt}:.:.:."
    ad_alt = dp * alts // n
    return f"{gt}:{dp - ad_alt},{ad_alt}:{dp}:{gq}"


# chrom, pos, gene, modes, expected label, expected partner (pos) or "", de novo, samples...
TRIO = [
    ("chr1", 1000, "DNV", "AD", "de_novo", "", "high", call("0/1"), call("0/0"), call("0/0")),
    ("chr1", 1100, "DNVLOW", "AD", "de_novo", "", "low", call("0/1"), call("0/0", 4),
     call("0/0", 5)),
    ("chr1", 2000, "INHERITED", "AD", "segregation_conflict", "", "", call("0/1"), call("0/1"),
     call("0/0")),
    ("chr1", 3000, "HOM", "AR", "compatible", "", "", call("1/1"), call("0/1"), call("0/1")),
    ("chr1", 4000, "HOMBAD", "AR", "segregation_conflict", "", "", call("1/1"), call("0/0"),
     call("0/1")),
    ("chr1", 5000, "TRANS", "AR", "compound_het", "5100", "", call("0/1"), call("0/1"),
     call("0/0")),
    ("chr1", 5100, "TRANS", "AR", "compound_het", "5000", "", call("0/1"), call("0/0"),
     call("0/1")),
    ("chr1", 6000, "CIS", "AR", "het_in_recessive_gene", "", "", call("0/1"), call("0/1"),
     call("0/0")),
    ("chr1", 6100, "CIS", "AR", "het_in_recessive_gene", "", "", call("0/1"), call("0/1"),
     call("0/0")),
    ("chr1", 7000, "NOCALL", "AR", "possible_compound_het", "7100", "", call("0/1"),
     call("0/1"), call("./.")),
    ("chr1", 7100, "NOCALL", "AR", "possible_compound_het", "7000", "", call("0/1"),
     call("0/0"), call("0/1")),
    ("chr1", 8000, "UNKNOWNDAD", "AD", "compatible", "", "", call("0/1"), call("./."),
     call("0/0")),
    ("chrX", 5_000_000, "XLR", "XLR", "compatible", "", "", call("1"), call("0"), call("0/1")),
    ("chrX", 6_000_000, "XLRBAD", "XLR", "segregation_conflict", "", "", call("1"), call("1"),
     call("0/1")),
    ("chrM", 100, "MITO", "MT", "compatible", "", "", call("1"), call("0"), call("1")),
]  # fmt: skip
TRIO_PED = ["fam1 kid dad mum 1 2", "fam1 dad 0 0 1 1", "fam1 mum 0 0 2 1"]

QUARTET = [
    ("chr2", 1000, "SIBBOTH", "AR", "het_in_recessive_gene", "", "", call("0/1"), call("0/1"),
     call("0/0"), call("0/1"), call("0/1")),
    ("chr2", 1100, "SIBBOTH", "AR", "het_in_recessive_gene", "", "", call("0/1"), call("0/0"),
     call("0/1"), call("0/1"), call("0/1")),
    ("chr2", 2000, "SHARED", "AR", "compound_het", "2100", "", call("0/1"), call("0/1"),
     call("0/0"), call("0/1"), call("0/0")),
    ("chr2", 2100, "SHARED", "AR", "compound_het", "2000", "", call("0/1"), call("0/0"),
     call("0/1"), call("0/1"), call("0/1")),
    ("chr2", 3000, "SISLACKS", "AD", "segregation_conflict", "", "high", call("0/1"), call("0/0"),
     call("0/0"), call("0/0"), call("0/0")),
]  # fmt: skip
QUARTET_PED = TRIO_PED + ["fam1 sis dad mum 2 2", "fam1 bro dad mum 1 1"]

AFFECTED_PARENT = [
    ("chr3", 1000, "EXOMISER368", "AR", "possible_compound_het", "1100", "", call("0/1"),
     call("0/1"), call("0/0")),
    ("chr3", 1100, "EXOMISER368", "AR", "possible_compound_het", "1000", "", call("0/1"),
     call("0/1"), call("0/1")),
    ("chrX", 5_000_000, "XLRGIRL", "XLR", "compatible", "", "", call("1/1"), call("1"),
     call("0/1")),
    ("chrX", 6_000_000, "XLDGIRL", "XLD", "compatible", "", "", call("0/1"), call("1"),
     call("0/0")),
    ("chrX", 7_000_000, "XLRHETGIRL", "XLR", "het_female_x_recessive", "", "", call("0/1"),
     call("0"), call("0/1")),
]  # fmt: skip
AFFECTED_PARENT_PED = ["fam2 girl dad mum 2 2", "fam2 dad 0 0 1 2", "fam2 mum 0 0 2 1"]

PHASED = [
    ("chr1", 1000, "PTRANS", "AR", "compound_het", "1200", "", "0|1:10,10:20:60:900"),
    ("chr1", 1200, "PTRANS", "AR", "compound_het", "1000", "", "1|0:10,10:20:60:900"),
    ("chr1", 2000, "PCIS", "AR", "het_in_recessive_gene", "", "", "0|1:10,10:20:60:1900"),
    ("chr1", 2100, "PCIS", "AR", "het_in_recessive_gene", "", "", "0|1:10,10:20:60:1900"),
    ("chrX", 5_000_000, "XHET", "XLR", "het_female_x_recessive", "", "", "0/1:10,10:20:60:."),
]  # fmt: skip

TINY_TRIO = [  # the tiny knowledge base's genes (test_data/make_kb_fixtures.py)
    ("chr1", 2050, "GENEA", "AD", "", "", "", call("0/1"), call("0/1"), call("0/0")),
    ("chr2", 6020, "GENEB", "AR", "", "", "", call("0/1"), call("0/0"), call("0/1")),
    ("chr3", 1100, "GENEC", "AD;AR", "", "", "", call("0/1"), call("0/0"), call("0/0")),
]  # fmt: skip


def write(name: str, samples: list[str], rows: list[tuple], ped: list[str] | None) -> None:
    """``<name>.vcf`` (AG>A for the tiny trio's GENEC frameshift), ``.ped``, ``.expected.tsv``."""
    fmt = "GT:AD:DP:GQ:PS" if name == "phased" else "GT:AD:DP:GQ"
    lines = [HEADER + "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO",
                                 "FORMAT", *samples])]  # fmt: skip
    expected = ["pos\tgene\tmodes\tlabel\tpartner\tde_novo"]
    for chrom, pos, gene, modes, label, partner, dnv, *fields in rows:
        ref, alt = ("AG", "A") if gene == "GENEC" else (REF, ALT)
        lines.append("\t".join([chrom, str(pos), ".", ref, alt, "50", "PASS", ".", fmt, *fields]))
        expected.append(f"{pos}\t{gene}\t{modes}\t{label}\t{partner}\t{dnv}")
    (OUT / f"{name}.vcf").write_text("\n".join(lines) + "\n")
    (OUT / f"{name}.expected.tsv").write_text("\n".join(expected) + "\n")
    if ped is not None:
        text = "#family\tindividual\tfather\tmother\tsex\tphenotype\n"
        text += "\n".join("\t".join(p.split()) for p in ped) + "\n"
        (OUT / f"{name}.ped").write_text(text)


def main() -> None:
    """Write every fixture."""
    OUT.mkdir(exist_ok=True)
    write("trio", ["kid", "dad", "mum"], TRIO, TRIO_PED)
    write("quartet", ["kid", "dad", "mum", "sis", "bro"], QUARTET, QUARTET_PED)
    write("affected_parent", ["girl", "dad", "mum"], AFFECTED_PARENT, AFFECTED_PARENT_PED)
    write("phased", ["P1"], PHASED, None)
    write("tiny_trio", ["kid", "dad", "mum"], TINY_TRIO, TRIO_PED)
    two = [(*r, call("0/1"), call("0/1")) for r in TINY_TRIO]
    write("two_families", ["kid", "dad", "mum", "kid2", "mum2"], two,
          TRIO_PED + ["fam2 kid2 0 mum2 2 2", "fam2 mum2 0 0 2 1"])  # fmt: skip


if __name__ == "__main__":
    main()
