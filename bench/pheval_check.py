"""varprio under the real PhEval (issue 9): ``pheval run -r varpriophevalrunner``, developer cases.

PhEval pins pyarrow<20, so it lives in its own environment::

    python -m venv /tmp/phevalenv && /tmp/phevalenv/bin/pip install -e '.[pheval]'
    /tmp/phevalenv/bin/python bench/pheval_check.py --shared ../shared --n 5

Spikes ``--n`` developer cases (seeded) into the background exome, writes a PhEval corpus in a
temporary directory (GA4GH phenopackets v2 with the diagnosis as a genomic interpretation,
``vcf/`` beside them), an input directory (the default knowledge base's files linked, plus
PhEval's ``config.yaml``), runs ``pheval run``, and reads PhEval's own classified results
(``pheval_{gene,variant}_results/*.parquet``: rank and ``true_positive`` per row). Writes
``bench/results-pheval.json`` and ``.md``: the rank PhEval gives each case's causal gene and
variant.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow.parquet as pq

from varprio.benchmark import read_cases
from varprio.kb.load import default_kb_path
from varprio.spike import Background

HERE = Path(__file__).resolve().parent
CONFIG = """tool: varprio
tool_version: {version}
variant_analysis: true
gene_analysis: true
disease_analysis: false
tool_specific_configuration_options:
  jobs: 1
"""
GENO = {"heterozygous": ("GENO:0000135", "heterozygous"),
        "homozygous": ("GENO:0000136", "homozygous"),
        "hemizygous": ("GENO:0000134", "hemizygous")}  # fmt: skip


def phenopacket(case: dict, vcf_name: str) -> dict:
    """A phenopacket v2 of a developer case, its causal variants as the diagnosis."""
    pid = case["id"]
    features = [{"type": {"id": t}} for t in case["observed"]]
    features += [{"type": {"id": t}, "excluded": True} for t in case.get("excluded", [])]
    interpretations = []
    for i, v in enumerate(case["variants"]):
        geno, label = GENO.get(v.get("zygosity", ""), GENO["heterozygous"])
        interpretations.append({
            "subjectOrBiosampleId": pid, "interpretationStatus": "CAUSATIVE",
            "variantInterpretation": {"variationDescriptor": {
                "id": f"v{i}", "geneContext": {"valueId": v.get("hgnc", ""), "symbol": v["gene"]},
                "vcfRecord": {"genomeAssembly": "GRCh38", "chrom": str(v["chrom"]),
                              "pos": str(v["pos"]), "ref": v["ref"], "alt": v["alt"]},
                "allelicState": {"id": geno, "label": label},
            }},
        })  # fmt: skip
    return {
        "id": pid,
        "subject": {"id": pid, "sex": case.get("sex") or "UNKNOWN_SEX"},
        "phenotypicFeatures": features,
        "interpretations": [{
            "id": f"{pid}-i", "progressStatus": "SOLVED",
            "diagnosis": {"disease": {"id": (case.get("diseases") or ["OMIM:000000"])[0]},
                          "genomicInterpretations": interpretations},
        }],
        "files": [{"uri": vcf_name, "fileAttributes": {"fileFormat": "vcf",
                                                      "genomeAssembly": "GRCh38"}}],
        "metaData": {"created": "2026-01-01T00:00:00Z", "createdBy": "varprio bench",
                     "phenopacketSchemaVersion": "2.0", "resources": []},
    }  # fmt: skip


def ranks(folder: Path) -> dict[str, int | None]:
    """Case id -> PhEval's rank of the best true positive in its classified results."""
    out = {}
    for path in sorted(folder.glob("*.parquet")):
        table = pq.read_table(path).to_pylist()
        hits = [r["rank"] for r in table if r.get("true_positive")]
        out[path.name.rsplit("-", 1)[0]] = min(hits) if hits else None
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=HERE.parent.parent / "shared")
    ap.add_argument("--n", type=int, default=5)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--out", type=Path, default=HERE)
    ap.add_argument("--keep", type=Path, help="work here (corpus, PhEval output) and keep it")
    args = ap.parse_args()
    cases = read_cases(args.shared / "benchmark" / "cases_dev.jsonl", args.n, 1, args.seed)
    background = Background.read(
        args.shared / "benchmark" / "background" / "pfeiffer_exome.GRCh38.vcf.gz"
    )
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="varprio-pheval-") as tmp:
        work = args.keep or Path(tmp)
        corpus, inputs, out = work / "corpus", work / "input", work / "out"
        for d in (corpus / "phenopackets", corpus / "vcf", inputs, out):
            d.mkdir(parents=True)
        for case in cases:
            vcf = f"{case['id']}.vcf"
            (corpus / "vcf" / vcf).write_text(background.spiked(case["variants"], rng))
            doc = phenopacket(case, vcf)
            (corpus / "phenopackets" / f"{case['id']}.json").write_text(json.dumps(doc))
        for item in default_kb_path().iterdir():
            (inputs / item.name).symlink_to(item)
        (inputs / "config.yaml").write_text(CONFIG.format(version="1"))
        cmd = ["pheval", "run", "-i", str(inputs), "-t", str(corpus), "-r", "varpriophevalrunner",
               "-o", str(out), "-v", "1"]  # fmt: skip
        run = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if run.returncode != 0:
            sys.exit(f"pheval run failed ({run.returncode}):\n{run.stderr[-3000:]}")
        gene = ranks(out / "pheval_gene_results")
        variant = ranks(out / "pheval_variant_results")
    rows = [{"id": c["id"], "gene": c["genes"][0], "pheval_gene_rank": gene.get(c["id"]),
             "pheval_variant_rank": variant.get(c["id"])} for c in cases]  # fmt: skip
    doc = {"command": " ".join(sys.argv), "n": len(rows), "cases": rows}
    (args.out / "results-pheval.json").write_text(json.dumps(doc, indent=2) + "\n")
    lines = ["| case | gene | PhEval gene rank | PhEval variant rank |", "|---|---|---|---|"]
    lines += [f"| {r['id']} | {r['gene']} | {r['pheval_gene_rank']} | "
              f"{r['pheval_variant_rank']} |" for r in rows]  # fmt: skip
    (args.out / "results-pheval.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
