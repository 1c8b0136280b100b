"""Fairness and robustness benchmarks: ancestry backgrounds and phenotype noise.

Both run every case through :func:`varprio.benchmark.run_one` (the real
:func:`varprio.pipeline.run_case`) several times, once per stratum, with the same spikes: the
case's spike donors are drawn from ``random.Random(f"{seed}:{case_id}")`` in every stratum.

- **Ancestry** (``--ancestry-backgrounds PEDDY_DIR``): for each 1000 Genomes superpopulation
  (AFR, AMR, EAS, EUR, SAS), the background's records at peddy's 23,770 common exonic sites are
  replaced by the non-reference calls of one person of that superpopulation (drawn per case
  from ``f"{seed}:{case_id}:{superpop}"``), written as VCF records whose QUAL/FILTER/FORMAT come
  from background donors of the same genotype, as spikes are.
- **Phenotype noise** (``--phenotype-noise LEVELS``), after PhEval's scrambling: at level
  ``f[:d]``, ``round(f x n)`` of a case's ``n`` observed terms become a random proper ancestor
  strictly below "Phenotypic abnormality" (imprecision), ``round(d x n)`` others are dropped
  (one case term is always kept), and :data:`UNRELATED_TERMS` random phenotypic-abnormality
  terms that are neither ancestors nor descendants of the case's terms are added. The draws
  come from ``f"{seed}:{case_id}:noise"`` whatever the level, so a higher level alters a
  superset of the terms a lower one alters. Level 0 (no noise) is always run: the baseline.
"""

from __future__ import annotations

import json
import logging
import random
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from varprio import pipeline
from varprio.benchmark import TOP_K, CaseRanks, Spiker, donor_classifier, run_one, summarise
from varprio.contigs import chrom_rank, harmonise
from varprio.errors import InputError
from varprio.kb.sources.kgp import SUPERPOPS, read_genotypes
from varprio.phenotype.ontology import PHENOTYPE_ROOT_ID, Ontology
from varprio.report.atomic import atomic_text
from varprio.spike import Background

log = logging.getLogger(__name__)
#: Unrelated random terms added to every case at a noise level above 0.
UNRELATED_TERMS = 2
_CHROM, _POS = 0, 1


def case_rng(seed: int, case: dict) -> random.Random:
    """The spike-donor generator of a case: the same in every stratum."""
    return random.Random(f"{seed}:{case['id']}")


@dataclass
class AncestryPanel:
    """peddy's 1000 Genomes genotypes: sites, sites x people alt counts, superpopulations."""

    sites: list[tuple[str, int, str, str]]  # harmonised chrom, pos, ref, alt
    genotypes: np.ndarray
    pops: np.ndarray  # index into SUPERPOPS per person

    @classmethod
    def read(cls, peddy_dir: Path) -> AncestryPanel:
        """Read ``GRCH38.sites``, ``GRCH38.sites.bin.gz`` and ``pca.py`` of a peddy directory."""
        try:
            names, geno, pops = read_genotypes(peddy_dir)
            sites = [(harmonise(c), int(p), r, a) for c, p, r, a in (s.split(":") for s in names)]
        except (OSError, EOFError, ValueError) as exc:
            raise InputError(
                f"{peddy_dir}: cannot read peddy's 1000 Genomes genotypes ({exc}); expected "
                "GRCH38.sites, GRCH38.sites.bin.gz and pca.py"
            ) from exc
        return cls(sites, geno, pops)

    @property
    def site_positions(self) -> set[tuple[str, int]]:
        """(chrom, pos) of every site: background records there are replaced."""
        return {(c, p) for c, p, _, _ in self.sites}

    def person(self, superpop: str, case_id: str, seed: int) -> int:
        """A person of ``superpop``, drawn deterministically for one case."""
        people = np.flatnonzero(self.pops == SUPERPOPS.index(superpop))
        if not len(people):
            raise InputError(f"peddy genotypes: no person of superpopulation {superpop}")
        return int(people[random.Random(f"{seed}:{case_id}:{superpop}").randrange(len(people))])

    def calls(self, person: int) -> list[dict]:
        """One person's non-reference calls as spike variants (chrom, pos, ref, alt, zygosity)."""
        g = self.genotypes[:, person]
        out = []
        for i in np.flatnonzero(g).tolist():
            chrom, pos, ref, alt = self.sites[i]
            zyg = "heterozygous" if g[i] == 1 else "homozygous"
            out.append({"chrom": chrom, "pos": pos, "ref": ref, "alt": alt, "zygosity": zyg})
        return out


@dataclass
class PersonBackground:
    """A background whose records at the panel sites are one person's calls (a Spiker)."""

    base: Background
    kept: list[list[str]]  # the base records off the panel sites
    calls: list[dict]  # the person's calls, spiked with donors drawn from ``donor_key``
    donor_key: str

    def spiked(self, variants: list[dict], rng: random.Random) -> str:
        """VCF text: kept records, the person's calls and ``variants`` (which win a position)."""
        spikes = self.base.spike_records(variants, rng)  # first: same draws as without a person
        person = self.base.spike_records(self.calls, random.Random(self.donor_key))
        records = {**person, **spikes}
        merged = [r for r in self.kept if (r[_CHROM], int(r[_POS])) not in records]
        merged += records.values()
        merged.sort(key=lambda r: (chrom_rank(r[_CHROM]), r[_CHROM], int(r[_POS])))
        return "\n".join(self.base.header + ["\t".join(r) for r in merged]) + "\n"


def off_panel(bg: Background, panel: AncestryPanel) -> list[list[str]]:
    """The records of ``bg`` that are not at a panel site."""
    sites = panel.site_positions
    return [r for r in bg.records if (r[_CHROM], int(r[_POS])) not in sites]


@dataclass(frozen=True)
class NoiseLevel:
    """Fractions of a case's terms made imprecise and dropped."""

    imprecise: float
    dropped: float = 0.0

    @property
    def label(self) -> str:
        """``0.3``, or ``0.3:0.2`` with dropped terms."""
        return f"{self.imprecise:g}" + (f":{self.dropped:g}" if self.dropped else "")

    @property
    def noisy(self) -> bool:
        """True above level 0 (unrelated terms are added)."""
        return bool(self.imprecise or self.dropped)


def parse_noise_levels(text: str) -> list[NoiseLevel]:
    """Levels ``IMPRECISE[:DROPPED]``, comma-separated, fractions in [0, 1]; level 0 first."""
    levels = [NoiseLevel(0.0)]
    for item in filter(None, (x.strip() for x in text.split(","))):
        try:
            values = [float(x) for x in item.split(":")]
        except ValueError:
            values = []
        if not 1 <= len(values) <= 2 or not all(0 <= v <= 1 for v in values):
            raise InputError(
                f"--phenotype-noise: {item!r}: expected IMPRECISE[:DROPPED] fractions in [0, 1] "
                "(e.g. 0,0.3,0.5,0.3:0.2)"
            )
        level = NoiseLevel(*values)
        if level not in levels:
            levels.append(level)
    return levels


@dataclass
class Scrambled:
    """A case's terms after noise, and what was done to them."""

    terms: list[str]
    n_imprecise: int
    n_dropped: int
    n_unrelated: int


class PhenotypeNoise:
    """Scrambles term lists against an ontology (see the module docstring)."""

    def __init__(self, ontology: Ontology) -> None:
        self.ontology = ontology
        self.root = ontology.index[PHENOTYPE_ROOT_ID]
        below = ontology.descendants_of(self.root)
        self.below = set(below.tolist()) - {self.root}
        self.pool = sorted(j for j in self.below if not ontology.is_obsolete[j])

    def imprecise_choices(self, term: str) -> list[str]:
        """Proper ancestors of ``term`` strictly below "Phenotypic abnormality" (sorted)."""
        i = self.ontology.index[term]
        anc = self.ontology.ancestors_of(i).tolist()
        return sorted(self.ontology.ids[j] for j in anc if j != i and j in self.below)

    def unrelated(self, terms: list[str], k: int, rng: random.Random) -> list[str]:
        """``k`` random phenotypic-abnormality terms unrelated to ``terms``."""
        related: set[int] = set()
        for t in terms:
            i = self.ontology.index[t]
            related.update(self.ontology.ancestors_of(i).tolist())
            related.update(self.ontology.descendants_of(i).tolist())
        pool = [j for j in self.pool if j not in related]
        return [self.ontology.ids[j] for j in rng.sample(pool, min(k, len(pool)))]

    def scramble(
        self, terms: list[str], level: NoiseLevel, key: str, avoid: list[str] | None = None
    ) -> Scrambled:
        """Noisy copy of ``terms`` (current IDs) at ``level``; deterministic given ``key``.

        ``avoid``: more terms (the excluded ones) the unrelated terms must not touch.
        """
        if not level.noisy:
            return Scrambled(list(terms), 0, 0, 0)
        rng = random.Random(key)  # the same draws at every level: levels nest
        order = list(range(len(terms)))
        rng.shuffle(order)
        choices = [self.imprecise_choices(t) for t in terms]
        parent = {i: rng.choice(choices[i]) for i in order if choices[i]}
        extra = self.unrelated([*terms, *(avoid or [])], UNRELATED_TERMS, rng)
        n = len(terms)
        imprecise = [i for i in order if i in parent][: round(level.imprecise * n)]
        rest = [i for i in reversed(order) if i not in imprecise]
        n_drop = min(round(level.dropped * n), len(rest) - (0 if imprecise else 1))
        dropped = set(rest[: max(n_drop, 0)])
        out = [parent[i] if i in imprecise else terms[i] for i in range(n) if i not in dropped]
        out = list(dict.fromkeys([*out, *extra]))
        return Scrambled(out, len(imprecise), len(dropped), len(extra))


@dataclass
class StratumRanks:
    """One case run in one stratum (a superpopulation or a noise level)."""

    benchmark: str  # "ancestry" or "phenotype_noise"
    stratum: str  # superpopulation or level label
    detail: str  # the 1000 Genomes person's index, or the noisy terms
    ranks: CaseRanks
    noise: Scrambled | None = None


@dataclass
class Run:
    """One case in one stratum, ready for :func:`varprio.benchmark.run_one`."""

    benchmark: str
    stratum: str
    detail: str
    spiker: Spiker
    case: dict
    noise: Scrambled | None = None


#: The runs of one case.
Strata = Callable[[dict], list[Run]]


def _run_all(
    res: pipeline.Resources, cases: list[dict], seed: int, strata: Strata
) -> list[StratumRanks]:
    """Run every case in every stratum; the spikes of a case are the same in each."""
    out = []
    with tempfile.TemporaryDirectory(prefix="varprio-robust-") as tmp:
        for n, case in enumerate(cases, 1):
            for run in strata(case):
                r = run_one(res, run.spiker, run.case, case_rng(seed, case), Path(tmp))
                out.append(StratumRanks(run.benchmark, run.stratum, run.detail, r, run.noise))
                log.info("%d/%d %s %s: gene rank %s", n, len(cases), case["id"], run.stratum,
                         r.gene_rank)  # fmt: skip
    return out


def ancestry_strata(bg: Background, panel: AncestryPanel, seed: int) -> Strata:
    """A case against each superpopulation's background."""
    kept = off_panel(bg, panel)

    def strata(case: dict) -> list[Run]:
        out = []
        for pop in SUPERPOPS:
            person = panel.person(pop, case["id"], seed)
            key = f"{seed}:{case['id']}:{pop}:donors"
            spiker = PersonBackground(bg, kept, panel.calls(person), key)
            out.append(Run("ancestry", pop, str(person), spiker, case))
        return out

    return strata


def noise_strata(
    res: pipeline.Resources, bg: Background, levels: list[NoiseLevel], seed: int
) -> Strata:
    """A case's terms at each noise level, spiked into ``bg``."""
    noise = PhenotypeNoise(res.ontology)

    def strata(case: dict) -> list[Run]:
        where = f"case {case['id']}"
        terms = res.ontology.normalise(case["observed"], where, drop_unknown=True)
        excluded = res.ontology.normalise(case.get("excluded", []), where, drop_unknown=True)
        out = []
        for level in levels:
            s = noise.scramble(terms, level, f"{seed}:{case['id']}:noise", avoid=excluded)
            noisy = {**case, "observed": s.terms, "excluded": excluded}
            out.append(Run("phenotype_noise", level.label, ",".join(s.terms), bg, noisy, s))
        return out

    return strata


def run_robustness(
    res: pipeline.Resources,
    cases: list[dict],
    background: Path,
    seed: int,
    peddy_dir: Path | None,
    levels: list[NoiseLevel] | None,
) -> tuple[list[StratumRanks], dict[str, Any]]:
    """Run the ancestry and/or noise benchmarks; per-run ranks and the summary."""
    bg = Background.read(background, donor_classifier(res))
    rows: list[StratumRanks] = []
    summary: dict[str, Any] = {}
    if peddy_dir is not None:
        panel = AncestryPanel.read(peddy_dir)
        runs = _run_all(res, cases, seed, ancestry_strata(bg, panel, seed))
        summary["ancestry"] = ancestry_summary(runs)
        rows += runs
    if levels:
        runs = _run_all(res, cases, seed, noise_strata(res, bg, levels, seed))
        summary["phenotype_noise"] = noise_summary(runs, [lv.label for lv in levels])
        rows += runs
    return rows, summary


def _per_stratum(runs: list[StratumRanks], strata: list[str]) -> dict[str, dict[str, float]]:
    return {s: summarise([r.ranks for r in runs if r.stratum == s]) for s in strata}


def ancestry_summary(runs: list[StratumRanks]) -> dict[str, Any]:
    """Per-superpopulation summaries and the largest gene top-1 gap (points) per ranking."""
    per = _per_stratum(runs, list(SUPERPOPS))
    out: dict[str, Any] = {"strata": per}
    for prefix in ("", "transparent_"):
        key = f"{prefix}gene_top1"
        best = max(SUPERPOPS, key=lambda s: per[s][key])
        worst = min(SUPERPOPS, key=lambda s: per[s][key])
        out[f"{prefix}largest_gene_top1_gap"] = {
            "points": 100 * (per[best][key] - per[worst][key]), "best": best, "worst": worst,
        }  # fmt: skip
    return out


def noise_summary(runs: list[StratumRanks], levels: list[str]) -> dict[str, Any]:
    """Per-level summaries, mean term counts, and the drop (points) from level 0."""
    per = _per_stratum(runs, levels)
    for level in levels:
        noise = [r.noise for r in runs if r.stratum == level and r.noise is not None]
        for name in ("imprecise", "dropped", "unrelated"):
            per[level][f"mean_{name}_terms"] = float(
                np.mean([getattr(x, f"n_{name}") for x in noise])
            )
        per[level]["mean_terms"] = float(np.mean([len(x.terms) for x in noise]))
    base = per[levels[0]]
    metrics = [k for k in base if k.endswith(("_mrr", *(f"_top{k}" for k in TOP_K)))]
    drop = {lv: {k: 100 * (base[k] - per[lv][k]) for k in metrics} for lv in levels}
    return {"strata": per, "drop_from_level0": drop}


def _table(title: str, part: dict[str, Any], column: str) -> list[str]:
    """One Markdown table: a row per stratum, chosen ranker's gene and variant top-k and MRR."""
    head = " | ".join(f"top-{k}" for k in TOP_K)
    noise = "drop_from_level0" in part
    extra = ["transparent gene top-1", *(["gene top-1 drop", "terms"] if noise else [])]
    lines = [f"## {title}", "", f"| {column} | cases | gene {head} | gene MRR | variant {head} "
             f"| variant MRR | {' | '.join(extra)} |",
             "|---" * (4 + 2 * len(TOP_K) + len(extra)) + "|"]  # fmt: skip
    for name, s in part["strata"].items():
        cells = [name, str(int(s["n_cases"]))]
        for level in ("gene", "variant"):
            cells += [f"{100 * s[f'{level}_top{k}']:.1f} %" for k in TOP_K]
            cells.append(f"{s[f'{level}_mrr']:.3f}")
        cells.append(f"{100 * s['transparent_gene_top1']:.1f} %")
        if noise:
            cells.append(f"{part['drop_from_level0'][name]['gene_top1']:.1f} points")
            cells.append(f"{s['mean_terms']:.1f}")
        lines.append("| " + " | ".join(cells) + " |")
    for prefix, label in (("", "chosen ranker"), ("transparent_", "transparent ranker")):
        gap = part.get(f"{prefix}largest_gene_top1_gap")
        if gap:
            pair = f"{gap['best']} vs {gap['worst']}" if gap["points"] else "all equal"
            lines.append(f"\nLargest gap in gene top-1 ({label}): {gap['points']:.1f} points "
                         f"({pair}).")  # fmt: skip
    return [*lines, ""]


def write_robustness(
    out: Path, rows: list[StratumRanks], summary: dict[str, Any], meta: dict[str, Any]
) -> None:
    """Write ``summary.json``, ``summary.md`` and ``cases.tsv`` (one row per run) to ``out``."""
    with atomic_text(out / "summary.json") as fh:
        fh.write(json.dumps({"meta": meta, **summary}, indent=2, sort_keys=True) + "\n")
    lines = ["# varprio robustness benchmark", ""]
    lines += [f"- {k}: {'.' if v is None else v}" for k, v in meta.items()]
    lines.append("")
    if "ancestry" in summary:
        lines += _table("Ancestry backgrounds (1000 Genomes superpopulations)",
                        summary["ancestry"], "superpopulation")  # fmt: skip
    if "phenotype_noise" in summary:
        title = f"Phenotype noise (imprecise[:dropped], +{UNRELATED_TERMS} unrelated terms)"
        lines += _table(title, summary["phenotype_noise"], "level")
    lines.append("Chosen ranker unless said; ranks are pessimistic (ties count against).")
    with atomic_text(out / "summary.md") as fh:
        fh.write("\n".join(lines) + "\n")
    names = [f.name for f in fields(CaseRanks)]
    with atomic_text(out / "cases.tsv") as fh:
        fh.write("\t".join(["benchmark", "stratum", "detail", *names]) + "\n")
        for r in rows:
            values = asdict(r.ranks)
            cells = [r.benchmark, r.stratum, r.detail or "."]
            cells += ["." if values[n] is None else str(values[n]) for n in names]
            fh.write("\t".join(cells) + "\n")
