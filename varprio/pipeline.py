"""One case end to end: phenotype -> VCF batches -> annotation -> scores -> ranks -> outputs."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from varprio import model
from varprio.annotate import Annotator
from varprio.io.phenotypes import read_patient_phenotype
from varprio.io.vcf import VcfReader
from varprio.kb.load import KnowledgeBase, default_kb_path
from varprio.kb.sources.hgnc import symbol_lookup
from varprio.kb.sources.hpo import TABLE_NAMES
from varprio.phenotype.ontology import Ontology
from varprio.phenotype.similarity import DiseaseModels, PatientScores, gene_table, score_patient
from varprio.rank import rank_genes, rank_variants, tie_min_rank
from varprio.schemas import VARIANT_BATCH

log = logging.getLogger(__name__)

VARIANT_COLUMNS = (
    "rank", "chrom", "pos", "ref", "alt", "gene", "hgnc_id", "transcript_id", "consequence",
    "impact", "exon", "genotype", "zygosity", "score", "phenotype_score", "variant_score",
    "consequence_prior", "frequency_factor", "kgp_af", "kgp_af_grpmax", "kgp_grpmax",
    "kgp_nhomalt", "inheritance", "gene_modes", "best_disease", "best_disease_name",
    "filter", "qual", "dp", "gq", "ad_ref", "ad_alt",
)  # fmt: skip
GENE_COLUMNS = (
    "rank", "gene", "hgnc_id", "score", "phenotype_score", "variant_score", "top_variant",
    "top_consequence", "top_genotype", "n_variants", "gene_modes", "inheritance", "diseases",
    "best_disease", "best_disease_name",
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


@dataclass
class Resources:
    """The knowledge base and everything derived from it, loaded once per process."""

    kb: KnowledgeBase
    ontology: Ontology
    diseases: DiseaseModels
    annotator: Annotator
    hgnc_by_entrez: dict[str, str]
    command: str
    model_label: str = f"name={model.NAME};version={model.VERSION}"


@dataclass
class Patient:
    """Who was analysed: the sample and the normalised phenotype."""

    sample: str
    sex: str | None
    observed: list[str]
    excluded: list[str]


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


def load_resources(kb_path: Path | None, command: str) -> Resources:
    """Open the knowledge base and build the in-memory indexes."""
    start = time.perf_counter()
    kb = KnowledgeBase(kb_path or default_kb_path())
    hpo_tables = {n: kb.table(f"hpo/{n}") for n in TABLE_NAMES}
    ontology = Ontology.from_tables(hpo_tables)
    diseases = DiseaseModels.from_tables(hpo_tables, ontology)
    hgnc = kb.table("hgnc/genes")
    entrez = dict(zip(hgnc["entrez_id"].to_pylist(), hgnc["hgnc_id"].to_pylist(), strict=False))
    annotator = Annotator.from_kb(kb, symbol_lookup(hgnc))
    log.info("loaded knowledge base %s in %.2f s", kb.path, time.perf_counter() - start)
    return Resources(kb, ontology, diseases, annotator, entrez, command)


@dataclass
class _Phenotype:
    genes: pa.Table
    scores: PatientScores
    observed: list[str]
    excluded: list[str]
    sex: str | None


def _phenotype(res: Resources, req: CaseRequest) -> _Phenotype:
    patient = read_patient_phenotype(req.hpo, req.hpo_file, req.exclude, req.phenopacket)
    observed = res.ontology.normalise(patient.observed, "observed terms")
    excluded = res.ontology.normalise(patient.excluded, "excluded terms")
    scores = score_patient(res.ontology, res.diseases, observed, excluded)
    genes = gene_table(res.diseases, scores)
    ids = pc.cast(genes["ncbi_gene_id"], pa.string()).to_pylist()
    hgnc = pa.array([res.hgnc_by_entrez.get(i) for i in ids], pa.string())
    genes = genes.append_column("hgnc_id", hgnc).append_column(
        "phenotype_rank", pa.array(tie_min_rank(genes["phenotype_score"].to_numpy()))
    )
    sex = (req.sex or patient.sex or "").upper()
    return _Phenotype(genes, scores, observed, excluded, sex if sex in ("MALE", "FEMALE") else None)


def _candidates(res: Resources, reader: VcfReader) -> pa.Table:
    """Genic variants the proband carries, annotated (bounded by the number of genic calls)."""
    parts = []
    for batch in reader.batches():
        carried = batch.filter(pc.greater(batch["alt_count"], 0))
        if carried.num_rows:
            rows = res.annotator.annotate(carried)
            parts.append(rows.filter(pc.is_valid(rows["gene"])))
    if not parts:
        return res.annotator.annotate(VARIANT_BATCH.empty_table())
    return pa.concat_tables(parts)


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


def run_case(res: Resources, req: CaseRequest) -> CaseResult:
    """Rank one case's variants and genes."""
    start = time.perf_counter()
    pheno = _phenotype(res, req)
    with VcfReader(req.vcf, req.sample) as reader:
        cands = _candidates(res, reader)
        sample = reader.sample
        log.info(
            "%s: %d records, %d genic candidate rows", sample, reader.n_records, cands.num_rows
        )
    cands = _genotype_columns(_join_phenotype(cands, pheno.genes))
    variants = rank_variants(model.score_variants(cands, pheno.sex))
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
    patient = Patient(sample, pheno.sex, pheno.observed, pheno.excluded)
    return CaseResult(
        variants.select(list(VARIANT_COLUMNS)),
        gene_rows.select(list(GENE_COLUMNS)),
        patient,
        pheno.scores,
    )
