"""One case end to end: phenotype -> VCF batches -> annotation -> scores -> ranks -> outputs."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from varprio.annotate import Annotator
from varprio.cohort import COHORT_COLUMNS, add_cohort_columns
from varprio.inheritance import XCalls
from varprio.io.ped import STATUS, Family, family_of, read_ped
from varprio.io.phenotypes import read_patient_phenotype
from varprio.io.vcf import VcfReader, prefetch
from varprio.kb.load import KnowledgeBase, open_kb
from varprio.kb.sources.hgnc import symbol_lookup
from varprio.kb.sources.hpo import TABLE_NAMES
from varprio.parallel import THREADS, ordered_map
from varprio.phenotype.ontology import Ontology
from varprio.phenotype.similarity import DiseaseModels, PatientScores, gene_table, score_patient
from varprio.rank import rank_genes, rank_variants, tie_min_rank
from varprio.ranker import Ranker, TransparentRanker, load_ranker
from varprio.regions import Regions
from varprio.schemas import VARIANT_BATCH

log = logging.getLogger(__name__)

#: Records per batch joined at a time: two threads share an exome's batches more evenly than
#: with the reader's default (exome: 0.31-0.34 s to annotate instead of 0.36-0.45 s).
BATCH_ROWS = 32_768

VARIANT_COLUMNS = (
    "rank", "chrom", "pos", "ref", "alt", "gene", "hgnc_id", "transcript_id", "consequence",
    "impact", "exon", "hgvs_c", "hgvs_p",
    "consequence_source", "frequency_source",
    "genotype", "zygosity", "score", "probability", "reasons",
    "transparent_score", "phenotype_score", "variant_score", "consequence_prior",
    "clinvar_prior", "frequency_factor", "max_pop_af", "kgp_af", "kgp_af_grpmax", "kgp_grpmax",
    "kgp_nhomalt", "gnomad_af", "gnomad_grpmax_af", "gnomad_grpmax", "gnomad_faf95_max",
    "gnomad_nhomalt", "gnomad_nhemi", "gnomad_filter", "clinvar_significance", "clinvar_stars",
    "clinvar_variation_id", "revel_score", "alphamissense_score", "cadd_phred",
    "spliceai_max_ds", "constraint_loeuf", "constraint_pli", "constraint_mis_z", "inheritance",
    "genotype_fit", "partner", "de_novo", "gene_modes", "best_disease", "best_disease_name",
    "filter", "qual", "dp", "gq", "ad_ref",
    "ad_alt",
)  # fmt: skip
GENE_COLUMNS = (
    "rank", "gene", "hgnc_id", "score", "probability", "reasons", "phenotype_score",
    "variant_score", "top_variant", "top_consequence", "top_genotype", "n_variants",
    "gene_modes", "inheritance", "genotype_fit", "diseases", "best_disease", "best_disease_name",
)  # fmt: skip


@dataclass
class CaseRequest:
    """What to run for one case (raw values from the command line or a manifest row)."""

    vcf: str
    hpo: list[str]
    hpo_file: str | None
    exclude: list[str]
    phenopacket: str | None
    sample: str | None
    sex: str | None
    top: int | None
    all_records: bool = False  # also rank records outside the regions of interest
    ped: str | None = None  # PED file: the proband's relatives in the VCF join the analysis
    drop_unknown_terms: bool = False  # drop HPO IDs unknown to the ontology (warning)
    vcf_annotations: bool = True  # use the VCF's own VEP CSQ / SnpEff ANN annotations


@dataclass
class Resources:
    """The knowledge base and everything derived from it, loaded once per process."""

    kb: KnowledgeBase
    ontology: Ontology
    diseases: DiseaseModels
    annotator: Annotator
    hgnc_by_entrez: dict[str, str]
    regions: Regions
    command: str
    ranker: Ranker = field(default_factory=TransparentRanker)

    @property
    def model_label(self) -> str:
        """``name=...;version=...[;sha256=...]`` of the ranker, for provenance lines."""
        return self.ranker.label


@dataclass
class Patient:
    """Who was analysed: the sample and the normalised phenotype."""

    sample: str
    sex: str | None
    observed: list[str]
    excluded: list[str]
    family: Family | None = None


@dataclass
class CaseResult:
    """Ranked variant and gene tables of one case, and what explains them."""

    variants: pa.Table
    genes: pa.Table
    patient: Patient
    phenotype: PatientScores  # per-term scores against every disease, for explanations

    @property
    def sample(self) -> str:
        """The analysed sample's ID."""
        return self.patient.sample


def load_resources(
    kb: KnowledgeBase | Path | None, command: str, model_spec: str | Path | None = None
) -> Resources:
    """Build the in-memory indexes of the knowledge base (an open one, or opened from its
    directory, None for the default) and load the ranker.

    ``model_spec``: a model directory, ``"transparent"``, or None for the shipped model.
    """
    start = time.perf_counter()
    if not isinstance(kb, KnowledgeBase):
        kb = open_kb(kb)
    hpo_tables = {n: kb.table(f"hpo/{n}") for n in TABLE_NAMES}
    ontology = Ontology.from_tables(hpo_tables)
    diseases = DiseaseModels.from_tables(hpo_tables, ontology)
    hgnc = kb.table("hgnc/genes")
    entrez = dict(zip(hgnc["entrez_id"].to_pylist(), hgnc["hgnc_id"].to_pylist(), strict=False))
    annotator = Annotator.from_kb(kb, symbol_lookup(hgnc))
    log.info("loaded knowledge base %s in %.2f s", kb.path, time.perf_counter() - start)
    regions = Regions.from_table(kb.table("gene_models/regions"))
    ranker = load_ranker(model_spec)
    return Resources(kb, ontology, diseases, annotator, entrez, regions, command, ranker=ranker)


@dataclass
class CasePhenotype:
    """A patient's normalised terms, scores against every disease, and the gene table."""

    genes: pa.Table
    scores: PatientScores
    observed: list[str]
    excluded: list[str]
    sex: str | None


def case_phenotype(res: Resources, req: CaseRequest) -> CasePhenotype:
    """Score the request's phenotype against every disease; genes ranked by phenotype."""
    patient = read_patient_phenotype(req.hpo, req.hpo_file, req.exclude, req.phenopacket)
    drop = req.drop_unknown_terms
    observed = res.ontology.normalise(patient.observed, "observed terms", drop_unknown=drop)
    excluded = res.ontology.normalise(patient.excluded, "excluded terms", drop_unknown=drop)
    scores = score_patient(res.ontology, res.diseases, observed, excluded)
    genes = gene_table(res.diseases, scores)
    ids = pc.cast(genes["ncbi_gene_id"], pa.string()).to_pylist()
    hgnc = pa.array([res.hgnc_by_entrez.get(i) for i in ids], pa.string())
    genes = genes.append_column("hgnc_id", hgnc).append_column(
        "phenotype_rank", pa.array(tie_min_rank(genes["phenotype_score"].to_numpy()))
    )
    sex = (req.sex or patient.sex or "").upper()
    known = sex if sex in ("MALE", "FEMALE") else None
    return CasePhenotype(genes, scores, observed, excluded, known)


def annotated_candidates(
    res: Resources, reader: VcfReader, x_calls: XCalls | None = None
) -> pa.Table:
    """Genic variants the proband carries, annotated (bounded by the number of genic calls).

    ``x_calls`` counts the proband's chrX genotypes on the way (for the sex check).
    """

    def genic(batch: pa.RecordBatch) -> pa.Table | None:
        carried = batch.filter(pc.greater(batch["alt_count"], 0))
        if not carried.num_rows:
            return None
        rows = res.annotator.annotate(carried)
        return rows.filter(pc.is_valid(rows["gene"]))

    def counted() -> Iterator[pa.RecordBatch]:
        for batch in prefetch(reader.batches()):  # the next batch is read meanwhile
            if x_calls is not None:
                x_calls.add(batch)
            yield batch

    # Batches are joined on several threads (the joins are mostly Arrow and NumPy kernels,
    # which release the GIL), in order.
    tables = [t for t in ordered_map(genic, counted(), ahead=THREADS + 1) if t is not None]
    if not tables:
        return res.annotator.annotate(VARIANT_BATCH.empty_table())
    return pa.concat_tables(tables)


def _join_phenotype(cands: pa.Table, genes: pa.Table) -> pa.Table:
    """Bring each candidate's gene-level phenotype evidence in, by HGNC ID then symbol."""
    key = pc.coalesce(cands["hgnc_id"], cands["gene"])
    gkey = pc.coalesce(genes["hgnc_id"], genes["gene"])
    idx = pc.index_in(key, value_set=gkey)
    take = {
        "phenotype_score": "phenotype_score",
        "phenotype_rank": "phenotype_rank",
        "gene_modes": "inheritance_modes",
        "best_disease": "best_disease",
        "best_disease_name": "best_disease_name",
        "diseases": "diseases",
        "resnik_bma": "resnik_bma",
        "resnik_sym": "resnik_sym",
        "lr_log10": "lr_log10",
        "n_matched": "n_matched",
    }
    for out, col in take.items():
        cands = cands.append_column(out, genes[col].take(idx))
    return cands


def _genotype_columns(cands: pa.Table) -> pa.Table:
    zyg = pc.if_else(
        pc.equal(cands["alt_count"], 2),
        "homozygous",
        pc.if_else(pc.equal(cands["ploidy"], 1), "hemizygous", "heterozygous"),
    )
    return cands.append_column("genotype", cands["gt"]).append_column("zygosity", zyg)


def case_table(cands: pa.Table, pheno: CasePhenotype) -> pa.Table:
    """Annotated candidates joined to their gene's phenotype evidence: the ranker's input.

    Also adds the case-level ``n_terms`` (observed phenotypic terms) and ``n_phenotype_genes``
    (genes with a disease, the denominator of ``phenotype_rank``).
    """
    table = _genotype_columns(_join_phenotype(cands, pheno.genes))
    n = table.num_rows
    n_terms = np.full(n, len(pheno.scores.observed), np.int32)
    n_genes = np.full(n, pheno.genes.num_rows, np.int32)
    return table.append_column("n_terms", pa.array(n_terms)).append_column(
        "n_phenotype_genes", pa.array(n_genes)
    )


def family_picker(req: CaseRequest) -> Callable[[list[str]], Family] | None:
    """With a PED file: the function that finds the proband's family among the VCF samples."""
    if not req.ped:
        return None
    ped, people = req.ped, read_ped(req.ped)
    return lambda samples: family_of(people, samples, ped, req.sample)


def _proband_sex(req: CaseRequest, phenotype_sex: str | None, family: Family | None) -> str | None:
    """--sex, else the PED's sex, else the phenopacket's; a warning when PED and phenopacket
    disagree."""
    explicit = (req.sex or "").upper()
    if explicit in ("MALE", "FEMALE"):
        return explicit
    if family is not None and family.sex is not None:
        if phenotype_sex is not None and phenotype_sex != family.sex:
            log.warning("%s: PED says %s, the phenopacket %s; using the PED", family.proband,
                        family.sex.lower(), phenotype_sex.lower())  # fmt: skip
        return family.sex
    return phenotype_sex


def run_case(res: Resources, req: CaseRequest, cohort: pa.Table | None = None) -> CaseResult:
    """Rank one case's variants and genes.

    ``cohort``: carrier counts of a batch (:func:`varprio.cohort.count_carriers`), added to
    the variant table as ``cohort_ac`` and ``cohort_hom``.
    """
    start = time.perf_counter()
    pheno = case_phenotype(res, req)
    regions = None if req.all_records else res.regions
    pick = family_picker(req)
    x_calls = XCalls()
    with VcfReader(req.vcf, req.sample, regions=regions, family=pick, batch_size=BATCH_ROWS,
                   annotations=req.vcf_annotations) as reader:  # fmt: skip
        family = reader.family
        sex = _proband_sex(req, pheno.sex, family)
        cands = annotated_candidates(res, reader, x_calls)
        sample = reader.sample
        log.info(
            "%s: %d records, %d genic candidate rows", sample, reader.n_records, cands.num_rows
        )
    if family is not None:
        log.info("%s: family %s, relatives %s", sample, family.id, ", ".join(
            f"{r.id} ({r.role}, {STATUS[r.affected]})" for r in family.relatives
        ) or "none genotyped")  # fmt: skip
    if (warning := x_calls.disagreement(sex)) is not None:
        log.warning("%s: sex given as %s, but %s", sample, sex.lower() if sex else sex, warning)
    if cohort is not None:
        cands = add_cohort_columns(cands, cohort)
    scored = res.ranker.score_variants(case_table(cands, pheno), sex, family)
    del cands  # the ranked copy below needs only the output columns: bound the peak memory
    keep = {*VARIANT_COLUMNS, *GENE_COLUMNS, *COHORT_COLUMNS}
    variants = rank_variants(scored.select([c for c in scored.column_names if c in keep]))
    gene_rows = rank_genes(variants)
    gene_rows = gene_rows.drop_columns(["rank"]).append_column(
        "rank", pa.array(range(1, gene_rows.num_rows + 1), pa.int32())
    )
    gene_rows = gene_rows.append_column("top_consequence", gene_rows["consequence"]).append_column(
        "top_genotype", gene_rows["genotype"]
    )
    if req.top:
        variants, gene_rows = variants.slice(0, req.top), gene_rows.slice(0, req.top)
    log.info("%s: ranked in %.2f s", sample, time.perf_counter() - start)
    patient = Patient(sample, sex, pheno.observed, pheno.excluded, family)
    extra = list(COHORT_COLUMNS) if cohort is not None else []
    return CaseResult(
        variants.select([*VARIANT_COLUMNS, *extra]),
        gene_rows.select(list(GENE_COLUMNS)),
        patient,
        pheno.scores,
    )
