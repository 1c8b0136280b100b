"""Training data, fast: each background annotated once, each case adds only its spiked rows.

Running ``prioritize`` per case costs ~0.5 s, almost all of it reading and annotating the
background.  Here a background is read and annotated once, exactly as ``prioritize`` reads it
(:func:`varprio.pipeline.annotated_candidates` with the knowledge base's regions); per case
the spiked records (QUAL/FILTER/FORMAT from a background record with the same genotype, as
:mod:`varprio.spike` makes them) go through the same reader and annotator, replace any
background record at their position, and the case's phenotype join and features are computed
by the code ``prioritize`` runs (:func:`varprio.pipeline.case_table`,
:func:`varprio.features.featurize`).

Augmentation (training only, so the model does not learn one person's exome): per case,
each background record outside the 1000 Genomes sites is kept with probability
``f ~ U(KEEP_MIN, 1)``, and at the 1000 Genomes sites the background's genotypes are replaced
by those of a random 1000 Genomes person (records copied from a background donor with the
same genotype, like spikes).

Trios: with augmentation, a fraction (:data:`TRIO_FRACTION`) of cases get two synthetic
unaffected parents whose genotypes follow the case's mode (a single heterozygous causal
variant de novo, two inherited one from each parent, ...), so that the family features
(de novo, compound heterozygous in trans, segregation conflicts) are learnt.

Negatives kept per case (memory stays bounded): see :func:`subsample`.
"""

from __future__ import annotations

import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from varprio import pipeline
from varprio.benchmark import case_request, causal_key, donor_classifier
from varprio.cohort import variant_key
from varprio.features import featurize
from varprio.io.vcf import VcfReader
from varprio.kb.sources.kgp import read_genotypes
from varprio.spike import (
    TRAINING_DE_NOVO_NOISE,
    Background,
    synthetic_family,
    synthetic_parents,
)

HARD_NEGATIVES = 150
RANDOM_NEGATIVES = 150
KEEP_MIN = 0.6
TRIO_FRACTION = 0.5  # cases trained as trios with synthetic parents (family features)


def read_candidate_rows(res: pipeline.Resources, path: Path) -> pa.Table:
    """Annotated candidate rows of a VCF, read as ``prioritize`` reads it."""
    with VcfReader(str(path), None, regions=res.regions, sorted_only=False) as reader:
        return pipeline.annotated_candidates(res, reader)


def _site_keys(table: pa.Table) -> pa.ChunkedArray:
    return pc.binary_join_element_wise(table["chrom"], pc.cast(table["pos"], pa.string()), ":")


def _records_text(header: list[str], records: list[list[str]]) -> str:
    return "\n".join([*header, *("\t".join(r) for r in records)]) + "\n"


@dataclass
class KgpPanel:
    """1000 Genomes genotypes at the kgp sites, annotated once as heterozygous and homozygous."""

    genotypes: np.ndarray  # sites x people alt counts
    het_rows: pa.Table  # annotated rows of every site called 0/1 (``record`` = site + 1)
    hom_rows: pa.Table  # ... called 1/1
    site_keys: pa.Array  # "chrom:pos" of every site

    @classmethod
    def load(
        cls, res: pipeline.Resources, peddy_dir: Path, bg: Background, workdir: Path, seed: int
    ) -> KgpPanel:
        """Read peddy's genotype matrix; annotate its sites with donor call values."""
        sites, geno, _ = read_genotypes(peddy_dir)
        rng = random.Random(f"{seed}:kgp")
        parts = [s.split(":") for s in sites]
        rows = {}
        for gt in ("0/1", "1/1"):
            records: list[list[str]] = []
            for chrom, pos, ref, alt in parts:
                variant = {"chrom": chrom, "pos": int(pos), "ref": ref, "alt": alt}
                variant["zygosity"] = "heterozygous" if gt == "0/1" else "homozygous"
                records.extend(bg.spike_records([variant], rng).values())
            path = workdir / f"kgp_{gt[-1]}.vcf"
            path.write_text(_records_text(bg.header, records))
            rows[gt] = read_candidate_rows(res, path)
        keys = pa.array([f"chr{p[0]}:{p[1]}" for p in parts], pa.string())
        return cls(geno, rows["0/1"], rows["1/1"], keys)

    def person_rows(self, person: int) -> pa.Table:
        """Annotated rows of one person's non-reference calls at the sites."""
        g = self.genotypes[:, person]
        het = g[self.het_rows["record"].to_numpy() - 1] == 1
        hom = g[self.hom_rows["record"].to_numpy() - 1] == 2
        return pa.concat_tables([self.het_rows.filter(pa.array(het)),
                                 self.hom_rows.filter(pa.array(hom))])  # fmt: skip


@dataclass
class TrainingBackground:
    """One background exome: its text records (spike donors) and annotated candidate rows."""

    path: Path
    spike: Background
    rows: pa.Table
    kgp: KgpPanel | None = None
    at_kgp: np.ndarray | None = None  # rows at a kgp site (replaced when augmenting)

    @classmethod
    def load(
        cls, res: pipeline.Resources, path: Path, workdir: Path, kgp_dir: Path | None, seed: int
    ) -> TrainingBackground:
        """Read and annotate ``path`` once (and the 1000 Genomes panel when ``kgp_dir``)."""
        spike = Background.read(path, donor_classifier(res))
        plain = workdir / "background.vcf"
        plain.write_text(_records_text(spike.header, spike.records))  # as benchmark writes it
        bg = cls(path, spike, read_candidate_rows(res, plain))
        if kgp_dir is not None:
            bg.kgp = KgpPanel.load(res, kgp_dir, spike, workdir, seed)
            keys = _site_keys(bg.rows)
            bg.at_kgp = pc.is_in(keys, value_set=bg.kgp.site_keys).to_numpy(zero_copy_only=False)
        return bg

    def augmented_rows(self, rng: random.Random) -> pa.Table:
        """Background rows with records subsampled and kgp genotypes swapped (see module doc)."""
        if self.kgp is None or self.at_kgp is None:
            return self.rows
        keep_frac = rng.uniform(KEEP_MIN, 1.0)
        record = self.rows["record"].to_numpy()
        gen = np.random.default_rng(rng.randrange(2**32))
        kept_records = gen.random(int(record.max(initial=0)) + 1) < keep_frac
        keep = kept_records[record] & ~self.at_kgp
        person = rng.randrange(self.kgp.genotypes.shape[1])
        return pa.concat_tables([self.rows.filter(pa.array(keep)), self.kgp.person_rows(person)])


def case_candidates(
    res: pipeline.Resources,
    bg: TrainingBackground,
    case: dict,
    rng: random.Random,
    workdir: Path,
    augment: bool,
) -> pa.Table:
    """Annotated candidate rows of the case's spiked background (spikes drawn from ``rng``)."""
    spikes = bg.spike.spike_records(case["variants"], rng)
    path = workdir / "spikes.vcf"
    path.write_text(_records_text(bg.spike.header, sorted(spikes.values())))
    spiked = read_candidate_rows(res, path)
    rows = bg.augmented_rows(rng) if augment else bg.rows
    for chrom, pos in spikes:
        at = pc.and_(pc.equal(rows["pos"], pos), pc.equal(rows["chrom"], chrom))
        rows = rows.filter(pc.invert(at))
    return pa.concat_tables([rows, spiked])


def with_synthetic_parents(table: pa.Table, case: dict, sex: str | None, seed: int) -> pa.Table:
    """Candidate rows with the ``rel_*`` columns of two synthetic unaffected parents whose
    genotypes follow the case's mode (:func:`varprio.spike.synthetic_parents`); their depth
    and GQ are the proband's."""
    father, mother = synthetic_parents(
        variant_key(table).to_numpy(zero_copy_only=False),
        table["chrom"].to_numpy(),
        table["pos"].to_numpy(),
        pc.fill_null(table["alt_count"], -1).to_numpy().astype(np.int16),
        case["variants"], sex, seed, TRAINING_DE_NOVO_NOISE,
    )  # fmt: skip
    dp = pc.fill_null(table["dp"], 30).to_numpy().astype(np.int32)
    gq = pc.fill_null(table["gq"], 50).to_numpy().astype(np.int32)
    counts = np.stack([father, mother], axis=1)
    columns = {
        "rel_alt_count": counts,
        "rel_dp": np.stack([dp, dp], axis=1),
        "rel_gq": np.stack([gq, gq], axis=1),
        "rel_ad_alt": np.where(counts == 0, 0, dp[:, None] // np.where(counts == 2, 1, 2)),
    }
    for name, values in columns.items():
        flat = pa.array(values.astype(np.int8 if name == "rel_alt_count" else np.int32).ravel())
        table = table.append_column(name, pa.FixedSizeListArray.from_arrays(flat, 2))
    return table


def causal_labels(table: pa.Table, case: dict) -> np.ndarray:
    """1 for rows of a causal variant in its causal gene (HGNC ID or symbol), else 0."""
    positions = pa.array([int(v["pos"]) for v in case["variants"]], pa.int32())
    near = np.flatnonzero(pc.is_in(table["pos"], value_set=positions).to_numpy())
    rows = table.take(pa.array(near, pa.int64())).select(["chrom", "pos", "ref", "alt", "gene",
                                                          "hgnc_id"]).to_pylist()  # fmt: skip
    causal = {causal_key(v) for v in case["variants"]}
    genes = {*case["genes"], *(v.get("gene") for v in case["variants"])}
    hgnc = {v.get("hgnc") for v in case["variants"]} - {None}
    y = np.zeros(table.num_rows, dtype=np.int8)
    for i, r in zip(near.tolist(), rows, strict=True):
        key = f"{r['chrom']}:{r['pos']}:{r['ref']}:{r['alt']}"
        y[i] = key in causal and (r["gene"] in genes or r["hgnc_id"] in hgnc)
    return y


@dataclass
class CaseRows:
    """One case's featurised rows: the scored table, the feature matrix and the labels."""

    table: pa.Table
    matrix: np.ndarray
    labels: np.ndarray
    sex: str | None


def build_case(
    res: pipeline.Resources,
    bg: TrainingBackground,
    case: dict,
    seed: int,
    workdir: Path,
    augment: bool,
) -> CaseRows:
    """Every candidate row of one spiked case, featurised as ``prioritize`` does it.

    Deterministic: the spike donors and augmentation are drawn from ``seed`` and the case ID.
    """
    rng = random.Random(f"{seed}:{case['id']}")
    pheno = pipeline.case_phenotype(res, case_request(res, case, Path("")))
    cands = case_candidates(res, bg, case, rng, workdir, augment)
    family = None
    if augment and rng.random() < TRIO_FRACTION:
        family = synthetic_family(pheno.sex)
        cands = with_synthetic_parents(cands, case, pheno.sex, rng.randrange(2**32))
    scored, matrix = featurize(pipeline.case_table(cands, pheno), pheno.sex, family)
    return CaseRows(scored, matrix, causal_labels(scored, case), pheno.sex)


def _top(values: np.ndarray, among: np.ndarray, k: int, gen: np.random.Generator) -> np.ndarray:
    """The ``k`` rows of ``among`` with the highest ``values`` (ties in random order)."""
    order = np.lexsort((gen.random(len(among)), -values[among]))
    return among[order[:k]]


def subsample(rows: CaseRows, seed: int, case_id: str) -> np.ndarray:
    """Indices kept for training (sorted): every causal row, and three kinds of negatives:

    the HARD_NEGATIVES best by transparent score (phenotype-led), the HARD_NEGATIVES best by
    variant evidence alone (``variant_score``: consequence x frequency x genotype fit, so that
    genes without a known disease are represented), and RANDOM_NEGATIVES others at random.
    """
    y = rows.labels
    gen = np.random.default_rng(random.Random(f"{seed}:{case_id}:neg").randrange(2**32))
    neg = np.flatnonzero(y == 0)
    by_score = _top(rows.table["score"].to_numpy(), neg, HARD_NEGATIVES, gen)
    left = np.setdiff1d(neg, by_score)
    by_variant = _top(rows.table["variant_score"].to_numpy(), left, HARD_NEGATIVES, gen)
    rest = np.setdiff1d(left, by_variant)
    rand = gen.choice(rest, size=min(RANDOM_NEGATIVES, len(rest)), replace=False)
    return np.sort(np.concatenate([np.flatnonzero(y == 1), by_score, by_variant, rand]))


def workdir() -> tempfile.TemporaryDirectory[str]:
    """A scratch directory for the small VCFs of spiked records."""
    return tempfile.TemporaryDirectory(prefix="varprio-train-")
