"""Write the tiny VCF/BCF fixtures of ``tests/test_vcf.py`` into ``test_data/vcf/``.

Run from anywhere: ``python test_data/make_vcf_fixtures.py``.  Each fixture is named for
what it reproduces; ``test_data/README.md`` lists them.  Output is deterministic.
"""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pysam

OUT = Path(__file__).resolve().parent / "vcf"

HEADER = """##fileformat=VCFv4.2
##FILTER=<ID=PASS,Description="All filters passed">
##FILTER=<ID=LowQual,Description="Low quality">
##FILTER=<ID=LowDP,Description="Low depth">
##INFO=<ID=END,Number=1,Type=Integer,Description="End (declared: pysam writes bad BCF without it)">
##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">
##INFO=<ID=SVTYPE,Number=1,Type=String,Description="SV type">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">
##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">
##FORMAT=<ID=PL,Number=G,Type=Integer,Description="Phred likelihoods">
##ALT=<ID=NON_REF,Description="Any other allele">
##ALT=<ID=DEL,Description="Deletion">
##contig=<ID=1,length=248956422>
##contig=<ID=2,length=242193529>
##contig=<ID=X,length=156040895>
##contig=<ID=MT,length=16569>
##contig=<ID=chr17>
"""
COLUMNS = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT"


def vcf(samples: list[str], rows: list[str]) -> str:
    """A VCF text with the common header; ``rows`` use spaces or tabs between columns."""
    head = HEADER + "\t".join([COLUMNS, *samples]) + "\n"
    return head + "".join("\t".join(r.split()) + "\n" for r in rows)


BASIC = [
    "1 1000 rs1 A G 50 PASS DP=20 GT:AD:DP:GQ:PL 0/1:10,10:20:60:60,0,60",
    "1 2000 . c t . . . GT:AD:DP:GQ 1|0:3,4:7:30",
    "2 3000 . ACGT A 12.5 LowQual;LowDP . GT:AD:DP:GQ 1/1:0,9:9:27",
    "MT 73 . A G 999 PASS . GT:AD:DP:GQ 1:0,50:50:99",
    "chr17 500 . G GA 40 PASS . GT:AD:DP:GQ 0/0:12,0:12:36",
]
MULTIALLELIC = [
    "1 100 . A C,T 80 PASS . GT:AD:DP:GQ:PL 1/2:1,6,7:14:80:500,200,180,190,0,170",
    "1 200 . G A,C,T 70 PASS . GT:AD:DP:GQ 0/3:5,0,1,6:12:55",
    "1 300 . T TA,<NON_REF> 60 PASS . GT:AD:DP:GQ 1/1:0,11,0:11:33",
    "1 400 . C *,G 50 PASS . GT:AD:DP:GQ 1/2:0,4,5:9:40",
    "1 500 . AT A,ATT 30 PASS . GT:AD:DP:GQ 2|2:1,1,8:10:20",
]
MISSING_GT = [
    "1 10 . A G . . . GT:AD:DP:GQ ./.:.:.:.",
    "1 20 . A G . . . GT:AD:DP:GQ .",
    "1 30 . A G . . . GT:AD:DP:GQ ./1:.,3:3:.",
    "1 40 . A G . . . GT:AD:DP:GQ 0/.:4,.:4:10",
    "1 50 . A G . . . GT:AD .|1:2,2",
    "1 60 . A G . . . DP:GQ 15:20",
    "1 70 . A G,T . . . GT:AD:DP:GQ 1/2:.:.:.",
]
HAPLOID_X = [
    "X 1000 . A G 50 PASS . GT:AD:DP:GQ 1:0,8:8:40",
    "X 2000 . C T 50 PASS . GT:AD:DP:GQ 0:9,0:9:40",
    "X 3000 . G A,C 50 PASS . GT:AD:DP:GQ 2:0,1,7:8:40",
    "X 4000 . T C 50 PASS . GT:AD:DP:GQ .:.:.:.",
]
SYMBOLIC = [
    "1 100 . A <DEL> 50 PASS SVTYPE=DEL GT 0/1",
    "1 200 . A <*> 50 PASS . GT 0/0",
    "1 300 . A A[2:5000[ 50 PASS . GT 0/1",
    "1 400 . A ]2:6000]A 50 PASS . GT 0/1",
    "1 500 . A .A 50 PASS . GT 0/1",
    "1 600 . A * 50 PASS . GT 0/1",
    "1 700 . A . 50 PASS . GT 0/0",
    "1 800 . A G,<NON_REF> 50 PASS . GT 0/1",
]
TWO = ["1 1000 . A G 50 PASS . GT:AD:DP:GQ 0/1:5,5:10:50 1/1:0,10:10:30"]
MALFORMED = {
    "malformed_gt.vcf": ["1 1 . A G 5 PASS . GT 0/1", "1 2 . A G 5 PASS . GT 0/x"],
    "malformed_gt_index.vcf": ["1 1 . A G 5 PASS . GT 0/2"],
    "malformed_ad.vcf": ["1 1 . A G 5 PASS . GT:AD 0/1:3,4", "1 2 . A G 5 PASS . GT:AD 0/1:3,four"],
    "malformed_dp.vcf": [
        "1 1 . A G 5 PASS . GT:DP 0/1:7",
        "1 2 . A G 5 PASS . GT:DP 0/1:7",
        "1 3 . A G 5 PASS . GT:DP 0/1:7.5x",
    ],
    "malformed_pos.vcf": ["1 12a . A G 5 PASS . GT 0/1"],
    "malformed_columns.vcf": ["1 1 . A G 5 PASS . GT 0/1", "1 2 . A G 5 PASS . GT"],
}


def write_bcf(src: Path, dst: Path) -> None:
    """Convert ``src`` to (BGZF-compressed) BCF with pysam."""
    with (
        pysam.VariantFile(str(src)) as vin,
        pysam.VariantFile(str(dst), "wb", header=vin.header) as vout,
    ):
        for rec in vin:
            vout.write(rec)


def truncated_bgzip(path: Path) -> None:
    """A bgzipped VCF whose compressed bytes stop half-way through the data."""
    rnd = random.Random(7)
    rows = [
        f"1 {i * 10 + 1} . A G {rnd.randint(1, 999)} PASS . GT:AD:DP:GQ 0/1:{rnd.randint(0, 99)},"
        f"{rnd.randint(0, 99)}:{rnd.randint(0, 99)}:{rnd.randint(0, 99)}"
        for i in range(4000)
    ]
    full = OUT / "truncated_full.vcf"
    full.write_text(vcf(["S1"], rows))
    pysam.tabix_compress(str(full), str(path), force=True)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    full.unlink()


def main() -> None:
    """Write every fixture."""
    OUT.mkdir(exist_ok=True)
    texts = {
        "basic.vcf": vcf(["S1"], BASIC),
        "multiallelic.vcf": vcf(["S1"], MULTIALLELIC),
        "missing_gt.vcf": vcf(["S1"], MISSING_GT),
        "haploid_x.vcf": vcf(["S1"], HAPLOID_X),
        "symbolic.vcf": vcf(["S1"], SYMBOLIC),
        "two_samples.vcf": vcf(["mother", "proband"], TWO),
        "header_only.vcf": vcf(["S1"], []),
        "no_samples.vcf": HEADER + COLUMNS.rsplit("\t", 1)[0] + "\n1\t1\t.\tA\tG\t5\tPASS\t.\n",
        "not_a_vcf.txt": "gene\tscore\nBRCA1\t0.9\n",
        **{name: vcf(["S1"], rows) for name, rows in MALFORMED.items()},
    }
    for name, text in texts.items():
        (OUT / name).write_text(text)
    (OUT / "crlf.vcf").write_bytes(texts["multiallelic.vcf"].replace("\n", "\r\n").encode())
    (OUT / "multiallelic.gzip.vcf.gz").write_bytes(
        gzip.compress(texts["multiallelic.vcf"].encode(), mtime=0)
    )
    pysam.tabix_compress(
        str(OUT / "multiallelic.vcf"), str(OUT / "multiallelic.vcf.gz"), force=True
    )
    for name in ("basic", "multiallelic", "missing_gt", "haploid_x", "two_samples"):
        write_bcf(OUT / f"{name}.vcf", OUT / f"{name}.bcf")
    # uncompressed BCF ("bcftools view -Ou") is the BGZF-decompressed stream of a BCF
    ubcf = gzip.decompress((OUT / "multiallelic.bcf").read_bytes())
    (OUT / "multiallelic.ubcf").write_bytes(ubcf)
    truncated_bgzip(OUT / "truncated.vcf.gz")


if __name__ == "__main__":
    main()
