"""Write the tiny gene-model fixtures under ``test_data/gene_models/`` (run from the repo root).

``tiny.gtf``: GENCODE-style GTF; ``tiny_ensembl.gff3.gz``: the same models as Ensembl GFF3
(contigs without ``chr``, CDS including the stop codon, mitochondrial contig ``MT``).
Genes: G1 (chr1 +, two coding transcripts, T1 tagged MANE_Select, T2 with the longer CDS),
G3 (chr2 -, untagged: T3A has the longer CDS), LNC (chrM +, one non-coding transcript).
"""

from __future__ import annotations

import gzip
from pathlib import Path

OUT = Path(__file__).parent / "gene_models"

# transcript: (gene, gene_id, chrom, strand, biotype, tag, exons, CDS without stop, stop codon)
MODELS = {
    "ENST01": (
        "G1",
        "ENSG01",
        "1",
        "+",
        "protein_coding",
        "MANE_Select",
        [(101, 200), (301, 400), (501, 600)],
        [(151, 200), (301, 400), (501, 547)],
        (548, 550),
    ),
    "ENST02": (
        "G1",
        "ENSG01",
        "1",
        "+",
        "protein_coding",
        None,
        [(101, 200), (301, 600)],
        [(120, 200), (301, 580)],
        (581, 583),
    ),
    "ENST3A": (
        "G3",
        "ENSG03",
        "2",
        "-",
        "protein_coding",
        None,
        [(1000, 1100), (1200, 1300)],
        [(1050, 1100), (1200, 1250)],
        (1047, 1049),
    ),
    "ENST3B": (
        "G3",
        "ENSG03",
        "2",
        "-",
        "protein_coding",
        None,
        [(1000, 1300)],
        [(1100, 1150)],
        (1097, 1099),
    ),
    "ENST04": ("LNC", "ENSG04", "MT", "+", "lncRNA", None, [(10, 50), (80, 120)], [], None),
}


def gtf_lines() -> list[str]:
    lines = ["##description: tiny GENCODE-style GTF for varprio tests"]
    for tid, (gene, gid, chrom, strand, biotype, tag, exons, cds, stop) in MODELS.items():
        attrs = (
            f'gene_id "{gid}"; transcript_id "{tid}"; gene_type "{biotype}"; '
            f'gene_name "{gene}"; transcript_type "{biotype}";'
            + (f' tag "basic"; tag "{tag}";' if tag else ' tag "basic";')
        )
        feats = [("exon", s, e) for s, e in exons] + [("CDS", s, e) for s, e in cds]
        feats += [("stop_codon", *stop)] if stop else []
        for kind, s, e in feats:
            lines.append(
                "\t".join(
                    [
                        "chr" + chrom if chrom != "MT" else "chrM",
                        "HAVANA",
                        kind,
                        str(s),
                        str(e),
                        ".",
                        strand,
                        ".",
                        attrs,
                    ]
                )
            )
    return lines


def gff3_lines() -> list[str]:
    lines = ["##gff-version 3"]
    genes: dict[str, list] = {}
    for gene, gid, chrom, strand, biotype, _tag, exons, _cds, _stop in MODELS.values():
        lo, hi = exons[0][0], exons[-1][1]
        g = genes.setdefault(gid, [chrom, lo, hi, strand, gene, biotype])
        g[1], g[2] = min(g[1], lo), max(g[2], hi)
    for gid, (chrom, lo, hi, strand, gene, biotype) in genes.items():
        lines.append(
            f"{chrom}\tensembl\tgene\t{lo}\t{hi}\t.\t{strand}\t.\t"
            f"ID=gene:{gid};Name={gene};biotype={biotype};gene_id={gid}"
        )
    for tid, (_gene, gid, chrom, strand, biotype, tag, exons, cds, stop) in MODELS.items():
        kind = "mRNA" if cds else "lnc_RNA"
        tags = "basic" + (f",{tag}" if tag else "")
        lines.append(
            f"{chrom}\tensembl\t{kind}\t{exons[0][0]}\t{exons[-1][1]}\t.\t{strand}\t.\t"
            f"ID=transcript:{tid};Parent=gene:{gid};biotype={biotype};tag={tags};"
            f"transcript_id={tid}"
        )
        for s, e in exons:
            lines.append(
                f"{chrom}\tensembl\texon\t{s}\t{e}\t.\t{strand}\t.\tParent=transcript:{tid}"
            )
        if cds and stop:  # Ensembl GFF3: the stop codon is part of the CDS
            pieces = [(s, e) for s, e in cds]
            if strand == "+":
                pieces[-1] = (pieces[-1][0], stop[1])
            else:
                pieces[0] = (stop[0], pieces[0][1])
            for s, e in pieces:
                lines.append(
                    f"{chrom}\tensembl\tCDS\t{s}\t{e}\t.\t{strand}\t0\t"
                    f"ID=CDS:P{tid};Parent=transcript:{tid}"
                )
    return lines


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "tiny.gtf").write_text("\n".join(gtf_lines()) + "\n")
    with gzip.open(OUT / "tiny_ensembl.gff3.gz", "wt") as fh:
        fh.write("\n".join(gff3_lines()) + "\n")


if __name__ == "__main__":
    main()
