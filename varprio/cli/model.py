"""``varprio train`` and ``varprio benchmark``: fit the learned ranker, and measure rankers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from varprio.cli.common import KB_OPTION, command, errors_to_exit, main
from varprio.errors import UsageError

if TYPE_CHECKING:
    from varprio.pipeline import Resources

CASES_OPTION = click.option(
    "--cases",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Cases as JSON lines (id, observed, excluded, sex, genes, variants).",
)
N_OPTION = click.option("--n", type=click.IntRange(min=1), help="Use at most N cases.")
PER_GENE_OPTION = click.option(
    "--per-gene", type=click.IntRange(min=1), help="Use at most K cases per causal gene."
)
SEED_OPTION = click.option("--seed", default=1, show_default=True, help="Random seed.")
SPLIT_OPTION = click.option(
    "--split",
    type=click.Choice(["all", "train", "holdout"]),
    default="all",
    show_default=True,
    help="Cases of all genes, or of the fixed hashed 80 %% (train) / 20 %% (holdout) of genes.",
)
_BACKGROUND = click.Path(exists=True, dir_okay=False, path_type=Path)


@main.command()
@CASES_OPTION
@click.option(
    "--background",
    "backgrounds",
    required=True,
    multiple=True,
    type=_BACKGROUND,
    help="Background VCF to spike cases into; repeatable (cases are spread).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Model directory to write (model.txt, model_card.json, calibration.json).",
)
@N_OPTION
@PER_GENE_OPTION
@click.option(
    "--folds",
    default=5,
    show_default=True,
    type=click.IntRange(min=2),
    help="Gene-grouped cross-validation folds.",
)
@SEED_OPTION
@SPLIT_OPTION
@click.option(
    "--kgp-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="peddy 1000 Genomes directory: augment backgrounds with random 1000 Genomes "
    "people's genotypes and record subsampling.",
)
@click.option(
    "--rounds", default=100, show_default=True, type=click.IntRange(min=1), help="Boosting rounds."
)
@click.option(
    "--jobs",
    "-j",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Processes featurising cases.",
)
@click.option(
    "--threads",
    default=2,
    show_default=True,
    type=click.IntRange(min=1),
    help="LightGBM training threads (fixed for reproducibility).",
)
@click.option(
    "--eval-per-gene",
    default=3,
    show_default=True,
    type=click.IntRange(min=1),
    help="Validation cases evaluated per gene in cross-validation.",
)
@click.option("--name", default="varprio-custom", show_default=True, help="Model name.")
@click.option("--model-version", default="1", show_default=True, help="Model version.")
@KB_OPTION
@errors_to_exit
def train(
    cases: Path, backgrounds: tuple[Path, ...], out: Path, n: int | None, per_gene: int | None,
    folds: int, seed: int, split: str, kgp_dir: Path | None, rounds: int, jobs: int,
    threads: int, eval_per_gene: int, name: str, model_version: str, kb_path: Path | None,
) -> None:  # fmt: skip
    """Train the learned ranker on cases spiked into background exomes.

    Cross-validation folds are grouped by gene (no gene in both training and validation);
    the metrics, the feature list and the checksums of everything used go to model_card.json.

    \b
    Example:
      varprio train --cases cases.jsonl --background exome.vcf.gz --out models/mine \\
        --per-gene 10 --split train --kgp-dir ~/.cache/varprio/peddy-0.4.8/peddy -j 2
    """
    from varprio import pipeline
    from varprio.train import TrainOptions, train_model

    res = pipeline.load_resources(kb_path, command(), "transparent")
    opts = TrainOptions(
        cases=cases, backgrounds=list(backgrounds), out=out, n=n, per_gene=per_gene,
        folds=folds, seed=seed, split=split, kgp_dir=kgp_dir, rounds=rounds, threads=threads,
        jobs=jobs, eval_per_gene=eval_per_gene, name=name, version=model_version,
    )  # fmt: skip
    card = train_model(res, opts, command())
    pooled = card["cv"]["pooled"]
    click.echo(
        f"wrote {out}: gene-grouped CV top-1 genes {pooled['model_gene']['top1']:.1%}, "
        f"variants {pooled['model_variant']['top1']:.1%} "
        f"(transparent: {pooled['transparent_gene']['top1']:.1%}, "
        f"{pooled['transparent_variant']['top1']:.1%})",
        err=True,
    )


@main.command()
@CASES_OPTION
@click.option(
    "--background", required=True, type=_BACKGROUND, help="Background VCF to spike every case into."
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for summary.json, summary.md, cases.tsv and PhEval results.",
)
@N_OPTION
@PER_GENE_OPTION
@SEED_OPTION
@SPLIT_OPTION
@click.option(
    "--model", "model_spec", help="Model directory, or 'transparent' [default: the shipped model]."
)
@click.option(
    "--ancestry-backgrounds",
    "peddy_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="peddy 1000 Genomes directory: run each case once per superpopulation, the "
    "background's genotypes at peddy's sites replaced by a person's of that superpopulation.",
)
@click.option(
    "--phenotype-noise",
    "noise_levels",
    metavar="LEVELS",
    help="Comma list of IMPRECISE[:DROPPED] fractions (e.g. 0,0.3,0.5,0.3:0.2): run each "
    "case at each level (terms made an ancestor, dropped, 2 unrelated terms added).",
)
@click.option(
    "--trio",
    is_flag=True,
    help="Rank each case alone and as a trio with synthetic unaffected parents that follow "
    "the case's mode (PED), and compare (trio_summary.md).",
)
@KB_OPTION
@errors_to_exit
def benchmark(
    cases: Path, background: Path, out: Path, n: int | None, per_gene: int | None, seed: int,
    split: str, model_spec: str | None, peddy_dir: Path | None, noise_levels: str | None,
    trio: bool, kb_path: Path | None,
) -> None:  # fmt: skip
    """Spike cases into a background, prioritise each, and measure where the causal gene and
    variant rank (top-1/3/5/10, MRR; pessimistic ties), for the chosen ranker, the
    transparent ranker and phenotype alone.

    With --ancestry-backgrounds and/or --phenotype-noise, each case is run once per
    superpopulation and/or noise level instead (same spikes each time), and top-k is reported
    per stratum with the largest gap between superpopulations and the drop from noise level 0
    (no PhEval results).

    \b
    Examples:
      varprio benchmark --cases cases.jsonl --background exome.vcf.gz --out bench/ \\
        --split holdout --per-gene 5
      varprio benchmark --cases cases.jsonl --background exome.vcf.gz --out robust/ \\
        --split holdout --per-gene 2 --phenotype-noise 0.3,0.5 \\
        --ancestry-backgrounds ~/.cache/varprio/peddy-0.4.8/peddy
    """
    from varprio import pipeline
    from varprio.benchmark import read_cases, run_benchmark
    from varprio.report.bench import write_benchmark

    if trio and (peddy_dir is not None or noise_levels is not None):
        raise UsageError("--trio cannot be combined with --ancestry-backgrounds or "
                         "--phenotype-noise; run them separately")  # fmt: skip
    res = pipeline.load_resources(kb_path, command(), model_spec)
    chosen = read_cases(cases, n, per_gene, seed, split)
    if trio:
        _trio(res, chosen, background, out, seed)
        return
    if peddy_dir is not None or noise_levels is not None:
        meta = {"command": command(), "cases": str(cases), "n": n, "per_gene": per_gene,
                "seed": seed, "split": split, "background": str(background)}  # fmt: skip
        _robustness(res, chosen, background, out, meta, peddy_dir, noise_levels)
        return
    ranks, summary = run_benchmark(res, chosen, background, seed, pheval_dir=out)
    in_training = [r.gene_in_training for r in ranks if r.gene_in_training is not None]
    meta = {
        "command": command(), "cases": str(cases), "n": n, "per_gene": per_gene, "seed": seed,
        "split": split, "background": str(background), "model": res.model_label,
        "kb": res.kb.label,
        "cases_with_gene_in_model_training": sum(in_training) if in_training else None,
    }  # fmt: skip
    write_benchmark(out, ranks, summary, meta)
    click.echo(
        f"{len(ranks)} cases: gene top-1 {summary['gene_top1']:.1%}, variant top-1 "
        f"{summary['variant_top1']:.1%}; see {out}/summary.md",
        err=True,
    )


def _robustness(
    res: Resources, cases: list[dict], background: Path, out: Path, meta: dict[str, Any],
    peddy_dir: Path | None, noise_levels: str | None,
) -> None:  # fmt: skip
    """``benchmark --ancestry-backgrounds/--phenotype-noise``: the robustness benchmarks."""
    from varprio.robustness import parse_noise_levels, run_robustness, write_robustness

    levels = None if noise_levels is None else parse_noise_levels(noise_levels)
    rows, summary = run_robustness(res, cases, background, meta["seed"], peddy_dir, levels)
    meta |= {
        "n_cases": len(cases), "model": res.model_label, "kb": res.kb.label,
        "ancestry_backgrounds": None if peddy_dir is None else str(peddy_dir),
        "phenotype_noise": None if levels is None else [lv.label for lv in levels],
    }  # fmt: skip
    write_robustness(out, rows, summary, meta)
    for name, part in summary.items():
        gene = ", ".join(f"{k} {v['gene_top1']:.1%}" for k, v in part["strata"].items())
        click.echo(f"{name}: gene top-1 {gene}; see {out}/summary.md", err=True)


def _trio(res: Resources, cases: list[dict], background: Path, out: Path, seed: int) -> None:
    """``benchmark --trio``: each case alone and as a synthetic trio."""
    from varprio.family_benchmark import run_trio_benchmark, write_trio_benchmark

    rows, summary = run_trio_benchmark(res, cases, background, seed)
    meta = {
        "command": command(), "n_cases": len(cases), "seed": seed,
        "background": str(background), "model": res.model_label, "kb": res.kb.label,
    }  # fmt: skip
    write_trio_benchmark(out, rows, summary, meta)
    click.echo(
        f"{len(rows)} cases: gene top-1 {summary['gene_alone']['top1']:.1%} alone, "
        f"{summary['gene_trio']['top1']:.1%} as trios; {summary['gene_worse']} worse; "
        f"see {out}/trio_summary.md",
        err=True,
    )
