"""The transparent first ranker: phenotype match x variant evidence, every factor visible.

The learned LightGBM ranker replaces it later behind the same interface; this one exists so
that every score can be read off its factors (consequence, frequency, genotype fit, phenotype).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from varprio.inheritance import assess
from varprio.io.ped import Family

NAME = "transparent"
VERSION = "1"

#: Prior probability-like weight of a consequence being damaging (no reference FASTA yet, so
#: missense and synonymous are both ``coding_sequence_variant``).
CONSEQUENCE_PRIOR: dict[str, float] = {
    "transcript_ablation": 1.0,
    "frameshift_variant": 1.0,
    "stop_gained": 1.0,
    "splice_acceptor_variant": 0.95,
    "splice_donor_variant": 0.95,
    "start_lost": 0.9,
    "stop_lost": 0.8,
    "inframe_deletion": 0.7,
    "inframe_insertion": 0.7,
    "missense_variant": 0.7,
    "protein_altering_variant": 0.7,
    "coding_sequence_variant": 0.6,
    "splice_region_variant": 0.35,
    "synonymous_variant": 0.1,
    "stop_retained_variant": 0.1,  # exact terms (reference FASTA): as synonymous
    "5_prime_UTR_variant": 0.1,
    "3_prime_UTR_variant": 0.08,
    "non_coding_transcript_exon_variant": 0.1,
    "intron_variant": 0.03,
    "upstream_gene_variant": 0.02,
    "downstream_gene_variant": 0.02,
    "intergenic_variant": 0.0,
}
#: A variant counts towards a possible compound heterozygote when its prior is at least this.
QUALIFYING_PRIOR = 0.3
#: Below RARE_AF a variant is rare enough for any mode; at COMMON_AF or above it scores 0.
RARE_AF, COMMON_AF = 1e-4, 0.02
#: ClinVar rule: a variant ClinVar classifies (likely) pathogenic with at least
#: CLINVAR_MIN_STARS review stars has a damage prior of at least its class's value here,
#: whatever its consequence; frequency and genotype fit still apply.
CLINVAR_PRIOR = {"pathogenic": 1.0, "pathogenic/likely_pathogenic": 1.0, "likely_pathogenic": 0.9}
CLINVAR_MIN_STARS = 1


def frequency_factor(max_af: np.ndarray) -> np.ndarray:
    """1 for absent/rare variants, falling log-linearly to 0 at COMMON_AF in any population."""
    af = np.nan_to_num(max_af, nan=0.0)
    lo, hi = np.log10(RARE_AF), np.log10(COMMON_AF)
    x = (hi - np.log10(np.clip(af, RARE_AF, None))) / (hi - lo)
    return np.clip(x, 0.0, 1.0)


#: The phenotype weight halves from the best-matching gene to the PHENO_HALF + 1'th.
PHENO_HALF = 3.0
#: Weight of a gene with no known disease (it can still rank on strong variant evidence).
NO_PHENOTYPE_WEIGHT = 0.01


def phenotype_weight(rank: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Weight of a gene from its rank among all genes by phenotype match (1 = best)."""
    r = pc.fill_null(pc.cast(rank, pa.float64()), np.inf).to_numpy()
    return np.maximum(1.0 / (1.0 + (r - 1.0) / PHENO_HALF), NO_PHENOTYPE_WEIGHT)


def consequence_prior(consequence: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Damage prior per variant from its consequence term (unknown terms: 0)."""
    keys = pa.array(list(CONSEQUENCE_PRIOR), pa.string())
    values = np.array(list(CONSEQUENCE_PRIOR.values()) + [0.0])
    idx = pc.fill_null(pc.index_in(consequence, value_set=keys), len(keys)).to_numpy()
    return values[idx]


def clinvar_prior(candidates: pa.Table) -> np.ndarray:
    """:data:`CLINVAR_PRIOR` of each row's ClinVar class when reviewed enough, else 0."""
    if "clinvar_significance" not in candidates.column_names:
        return np.zeros(candidates.num_rows)
    keys = pa.array(list(CLINVAR_PRIOR), pa.string())
    values = np.array([*CLINVAR_PRIOR.values(), 0.0])
    idx = pc.fill_null(pc.index_in(candidates["clinvar_significance"], value_set=keys), len(keys))
    stars = pc.fill_null(pc.cast(candidates["clinvar_stars"], pa.int32()), -1).to_numpy()
    return np.where(stars >= CLINVAR_MIN_STARS, values[idx.to_numpy()], 0.0)


def score_variants(candidates: pa.Table, sex: str | None, family: Family | None = None) -> pa.Table:
    """Add ``variant_score``, the inheritance columns and ``score`` (higher is better).

    Needs columns: consequence, alt_count, chrom, gene, max_pop_af (else kgp_af_grpmax),
    gene_modes, phenotype_rank; uses clinvar_significance and clinvar_stars when present,
    and the relatives' ``rel_*`` genotype columns with ``family``.  Inheritance columns:
    ``genotype_fit`` (label), ``inheritance`` (words), ``partner`` (compound-het partner
    variant) and ``de_novo`` (confidence).
    """
    csq_prior, clinvar = consequence_prior(candidates["consequence"]), clinvar_prior(candidates)
    prior = np.maximum(csq_prior, clinvar)
    af = "max_pop_af" if "max_pop_af" in candidates.column_names else "kgp_af_grpmax"
    freq = frequency_factor(pc.fill_null(pc.cast(candidates[af], pa.float64()), np.nan).to_numpy())
    qualifying = (prior >= QUALIFYING_PRIOR) & (freq > 0.5)
    fit = assess(candidates, qualifying, prior * freq, sex, family)
    variant_score = prior * freq * fit.factor
    pheno = phenotype_weight(candidates["phenotype_rank"])
    score = variant_score * pheno
    return (
        candidates.append_column("consequence_prior", pa.array(csq_prior))
        .append_column("clinvar_prior", pa.array(clinvar))
        .append_column("frequency_factor", pa.array(freq))
        .append_column("genotype_fit", pa.array(fit.label, pa.string()))
        .append_column("inheritance", pa.array(fit.words, pa.string()))
        .append_column("partner", pa.array(fit.partner, pa.string()))
        .append_column("de_novo", pa.array(fit.de_novo, pa.string()))
        .append_column("variant_score", pa.array(variant_score))
        .append_column("score", pa.array(score))
    )
