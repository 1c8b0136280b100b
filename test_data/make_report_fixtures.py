"""Write the report-format fixtures under ``test_data/report/`` from the tiny case.

Run ``python test_data/make_report_fixtures.py`` (after ``make_kb_fixtures.py``)::

    xss_sample.vcf          kb/case.vcf with the sample named <script>alert(1)</script>: every
                            output must escape it (HTML) or carry it verbatim (JSON, VCF)
    multiallelic_nochr.vcf  kb/case.vcf with bare contig names (1, 2, 3, 5) declared in
                            ##contig lines, INFO values, and the GENEC frameshift in a
                            multi-allelic record (ALT A,AGG, GT 0/1: only A is carried)
    unsorted.vcf            kb/case.vcf with its records in reverse order (no tabix index)
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent
CASE = HERE / "kb" / "case.vcf"
OUT = HERE / "report"
XSS = "<script>alert(1)</script>"


def _split(text: str) -> tuple[list[str], list[str]]:
    lines = text.splitlines()
    header = [ln for ln in lines if ln.startswith("#")]
    return header, [ln for ln in lines if ln and not ln.startswith("#")]


def write_xss(header: list[str], body: list[str]) -> None:
    header = header[:-1] + [header[-1].replace("TINY1", XSS)]
    (OUT / "xss_sample.vcf").write_text("\n".join(header + body) + "\n")


def write_multiallelic(header: list[str], body: list[str]) -> None:
    contigs = [
        "##contig=<ID=1,length=248956422>",
        "##contig=<ID=2,length=242193529>",
        "##contig=<ID=3,length=198295559>",
        "##contig=<ID=5,length=181538259>",
        '##INFO=<ID=DP,Number=1,Type=Integer,Description="Total depth">',
    ]
    rows = []
    for line in body:
        cols = line.split("\t")
        cols[0] = cols[0].removeprefix("chr")
        cols[7] = f"DP={cols[9].split(':')[2]}"
        if cols[1] == "1100":
            cols[4] = "A,AGG"
            cols[9] = "0/1:16,15,0:31:90"
        rows.append("\t".join(cols))
    (OUT / "multiallelic_nochr.vcf").write_text(
        "\n".join(header[:1] + contigs + header[1:] + rows) + "\n"
    )


def write_unsorted(header: list[str], body: list[str]) -> None:
    (OUT / "unsorted.vcf").write_text("\n".join(header + body[::-1]) + "\n")


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    head, records = _split(CASE.read_text())
    write_xss(head, records)
    write_multiallelic(head, records)
    write_unsorted(head, records)
