"""Annotation joins per record batch: gene overlap and consequence, then population frequencies."""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from varprio import consequence
from varprio.consequence import (
    RANK,
    SEVERITY,
    GeneModel,
    gene_model_arrays,
    gene_model_from_arrays,
)
from varprio.consequence import annotate as consequence_annotate
from varprio.kb.arrays import read_arrays, write_arrays
from varprio.kb.load import KnowledgeBase, cache_dir
from varprio.kb.sources.kgp import PREFIX as KGP

if TYPE_CHECKING:
    from varprio.kb.lookup import KbLookups

log = logging.getLogger(__name__)

#: Frequency columns carried from the knowledge base into the variant table.
FREQUENCY_COLUMNS = (f"{KGP}_af", f"{KGP}_af_grpmax", f"{KGP}_grpmax", f"{KGP}_nhomalt")
#: Columns of the optional sources (gnomAD, ClinVar, scores, constraint) carried into every
#: candidate row; null when the knowledge base lacks the source.  Names are stable: the
#: learned ranker reads them as features.
KB_COLUMNS: dict[str, pa.DataType] = {
    "gnomad_af": pa.float32(), "gnomad_grpmax_af": pa.float32(), "gnomad_grpmax": pa.string(),
    "gnomad_faf95_max": pa.float32(), "gnomad_nhomalt": pa.int32(), "gnomad_nhemi": pa.int32(),
    "gnomad_filter": pa.string(), "clinvar_significance": pa.string(),
    "clinvar_stars": pa.int8(), "clinvar_variation_id": pa.string(),
    "revel_score": pa.float32(), "alphamissense_score": pa.float32(),
    "cadd_phred": pa.float32(), "spliceai_max_ds": pa.float32(),
    "constraint_loeuf": pa.float32(), "constraint_pli": pa.float32(),
    "constraint_mis_z": pa.float32(),
}  # fmt: skip
#: Terms the gene models give where the reference sequence would tell more (see
#: ``varprio.consequence``): the input VCF's own annotation replaces them.
COARSE_TERMS = ("coding_sequence_variant", "stop_lost", "start_lost", "protein_altering_variant",
                "sequence_variant")  # fmt: skip
#: ``consequence_source`` of the gene models' terms (the column's default; a FASTA-exact
#: consequence step sets its own value before :func:`with_input_annotations` runs).
GENE_MODELS = "gene_models"
#: Population AF columns whose highest value is ``max_pop_af`` (the frequency model's input).
POP_AF_COLUMNS = ("gnomad_grpmax_af", "gnomad_faf95_max", f"{KGP}_af_grpmax")


def max_pop_af(rows: pa.Table) -> pa.Array:
    """Highest of gnomAD grpmax AF, gnomAD group faf95 and 1000 Genomes grpmax AF (null: none)."""
    cols = [c for c in POP_AF_COLUMNS if c in rows.column_names]
    if not cols:
        return pa.nulls(rows.num_rows, pa.float32())
    values = np.vstack(
        [pc.fill_null(pc.cast(rows[c], pa.float64()), np.nan).to_numpy() for c in cols]
    )
    missing = np.isnan(values).all(axis=0)
    best = np.nanmax(np.where(np.isnan(values), -1.0, values), axis=0)
    return pa.array(best.astype(np.float32), mask=missing)


def variant_keys(chrom: pa.Array, pos: pa.Array, ref: pa.Array, alt: pa.Array) -> pa.Array:
    """``chrom:pos:ref:alt`` after trimming alleles to their minimal representation."""
    pos_n, ref_n, alt_n = trim_alleles(pos, ref, alt)
    return pc.binary_join_element_wise(chrom, pc.cast(pos_n, pa.string()), ref_n, alt_n, ":")


def trim_alleles(
    pos: pa.Array, ref: pa.Array, alt: pa.Array
) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Trim shared suffix, then shared prefix (keeping one base), as split multi-allelics need."""
    long = pc.and_(pc.greater(pc.utf8_length(ref), 1), pc.greater(pc.utf8_length(alt), 1))
    idx = np.flatnonzero(long.to_numpy(zero_copy_only=False))
    if idx.size == 0:
        return pos, ref, alt
    p = pos.to_numpy(zero_copy_only=False).copy()
    r, a = ref.to_pylist(), alt.to_pylist()
    for i in idx:  # only records with multi-base REF and ALT: rare
        ri, ai, pi = r[i], a[i], int(p[i])
        while len(ri) > 1 and len(ai) > 1 and ri[-1] == ai[-1]:
            ri, ai = ri[:-1], ai[:-1]
        while len(ri) > 1 and len(ai) > 1 and ri[0] == ai[0]:
            ri, ai, pi = ri[1:], ai[1:], pi + 1
        r[i], a[i], p[i] = ri, ai, pi
    return pa.array(p, pa.int32()), pa.array(r, pa.string()), pa.array(a, pa.string())


def hgnc_ids(
    genes: pa.Array | pa.ChunkedArray, hgnc_by_symbol: dict[str, str]
) -> pa.Array | pa.ChunkedArray:
    """HGNC ID of each gene symbol (null when unknown), looked up once per distinct symbol."""
    uniq = pc.unique(genes).to_pylist()
    lookup = pa.array([hgnc_by_symbol.get(g) if g else None for g in uniq], pa.string())
    return lookup.take(pc.index_in(genes, value_set=pa.array(uniq, pa.string())))


def load_gene_model(kb: KnowledgeBase) -> GeneModel:
    """The knowledge base's gene models, with CDS sequences when it was built with a FASTA.

    Without sequences the built arrays are kept in the user's cache directory (keyed by the
    tables' checksums and the code that builds them) and read from there next time.
    """
    seqs = "gene_models/cds_sequences"
    if kb.has(seqs):
        return GeneModel.from_tables(
            kb.table("gene_models/transcripts"), kb.table("gene_models/exons"), kb.table(seqs)
        )
    path = _gene_model_cache(kb)
    try:
        return gene_model_from_arrays(read_arrays(path))
    except (OSError, ValueError, KeyError, TypeError):
        pass  # absent or unreadable: build it
    transcripts, exons = kb.table("gene_models/transcripts"), kb.table("gene_models/exons")
    model = GeneModel.from_tables(transcripts, exons)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            write_arrays(fh, gene_model_arrays(model))
        os.replace(tmp, path)
        for old in path.parent.glob("*.npz"):  # earlier versions' format, never read again
            old.unlink(missing_ok=True)
    except OSError as exc:  # e.g. a read-only home: build it every time
        tmp.unlink(missing_ok=True)
        log.debug("gene model cache %s not written: %s", path, exc)
    return model


def _gene_model_cache(kb: KnowledgeBase) -> Path:
    tables = kb.manifest.tables
    key = hashlib.sha256()
    for name in ("gene_models/transcripts", "gene_models/exons"):
        key.update(tables[name].sha256.encode())
    key.update(Path(consequence.__file__).read_bytes())  # a changed builder invalidates it
    return cache_dir() / "gene_models" / f"{key.hexdigest()[:32]}.arrays"


@dataclass
class Annotator:
    """Everything a batch is joined against, loaded once per knowledge base."""

    genes: GeneModel
    freq_keys: pa.Array
    freq: pa.Table
    hgnc_by_symbol: dict[str, str]
    lookups: KbLookups | None = None

    @classmethod
    def from_kb(cls, kb: KnowledgeBase, hgnc_by_symbol: dict[str, str]) -> Annotator:
        """Load gene models and frequency tables from ``kb``."""
        genes = load_gene_model(kb)
        freq = kb.table("frequencies/kgp")
        keys = variant_keys(freq["chrom"], freq["pos"], freq["ref"], freq["alt"])
        from varprio.kb.lookup import KbLookups  # (imports this module)

        lookups = KbLookups.open(kb, skip=("frequencies/kgp",))
        return cls(genes, keys, freq.select(list(FREQUENCY_COLUMNS)), hgnc_by_symbol, lookups)

    def annotate(self, batch: pa.RecordBatch | pa.Table) -> pa.Table:
        """One row per (variant, overlapping gene) with consequence, HGNC ID and frequencies."""
        table = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
        csq = consequence_annotate(
            self.genes, table["chrom"], table["pos"], table["ref"], table["alt"]
        )
        rows = table.take(csq["variant_index"])
        for name in ("gene", "gene_id", "transcript_id", "consequence", "impact", "exon",
                     "hgvs_c", "hgvs_p", "consequence_source"):  # fmt: skip
            rows = rows.append_column(name, csq[name])
        rows = rows.append_column("hgnc_id", hgnc_ids(rows["gene"], self.hgnc_by_symbol))
        keys = variant_keys(rows["chrom"], rows["pos"], rows["ref"], rows["alt"])
        hit = pc.index_in(keys, value_set=self.freq_keys)
        for name in FREQUENCY_COLUMNS:
            rows = rows.append_column(name, self.freq[name].take(hit))
        rows = self._kb_columns(table, csq["variant_index"], rows)
        return with_input_annotations(rows)

    def _kb_columns(self, table: pa.Table, index: pa.ChunkedArray, rows: pa.Table) -> pa.Table:
        """Append :data:`KB_COLUMNS` (variant-level, then gene-level) and ``max_pop_af``."""
        n = rows.num_rows
        found = pa.table({})
        if self.lookups is not None:
            args = (table[c].combine_chunks() for c in ("chrom", "pos", "ref", "alt"))
            sites = self.lookups.variant_table(*args).take(index)
            genes = self.lookups.gene_columns(rows["hgnc_id"])
            found = pa.Table.from_arrays(
                [*sites.columns, *genes.columns], [*sites.column_names, *genes.column_names]
            )
        for name, typ in KB_COLUMNS.items():
            col = found[name] if name in found.column_names else pa.nulls(n, typ)
            rows = rows.append_column(pa.field(name, typ), pc.cast(col, typ))
        return rows.append_column("max_pop_af", max_pop_af(rows))


def with_input_annotations(rows: pa.Table) -> pa.Table:
    """Use the input VCF's VEP/SnpEff annotations (``vcf_*`` columns) beside the KB's.

    Adds ``consequence_source`` (``gene_models`` unless already set, ``vep`` or ``snpeff``
    where the input's term replaced a coarse one), ``hgvs_c``/``hgvs_p`` when absent, and
    ``frequency_source`` (``vep`` where ``gnomad_af`` or ``max_pop_af`` came from the VCF,
    ``kb`` where the knowledge base had a frequency, else null); drops the ``vcf_*`` columns.
    """
    if "consequence_source" not in rows.column_names:
        rows = rows.append_column("consequence_source", _constant(GENE_MODELS, rows.num_rows))
    for name in ("hgvs_c", "hgvs_p"):
        if name not in rows.column_names:
            rows = rows.append_column(name, pa.nulls(rows.num_rows, pa.string()))
    filled = np.zeros(rows.num_rows, bool)
    if "vcf_annotations" in rows.column_names:
        rows = _refine_consequences(rows)
        rows, filled = _fill_frequencies(rows)
    known = [rows[c].is_valid() for c in ("gnomad_af", "max_pop_af", f"{KGP}_af")]
    from_kb = np.logical_or.reduce([k.to_numpy(zero_copy_only=False) for k in known])
    kb = pc.if_else(pa.array(from_kb), "kb", pa.scalar(None, pa.string()))
    rows = rows.append_column("frequency_source", pc.if_else(pa.array(filled), "vep", kb))
    return rows.drop_columns([c for c in rows.column_names if c.startswith("vcf_")])


def _constant(value: str, n: int) -> pa.Array:
    return pa.array(np.full(n, value, object), pa.string())


def _unversioned(ids: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Ensembl IDs without their ``.version`` suffix."""
    return pc.replace_substring_regex(ids, r"\.[0-9]+$", "")


def _matching_entries(rows: pa.Table) -> pa.StructArray:
    """Per row, the input's entry for the row's gene (by Ensembl gene ID, else symbol)."""
    lists = rows["vcf_annotations"].combine_chunks()
    flat = pc.list_flatten(lists)
    owner = pc.cast(pc.list_parent_indices(lists), pa.string())
    ids = pc.cast(pa.array(np.arange(rows.num_rows)), pa.string())
    hit = None
    for ours, theirs in (("gene_id", "gene_id"), ("gene", "gene")):
        keys = pc.binary_join_element_wise(owner, _unversioned(flat.field(theirs)), ":")
        wanted = pc.binary_join_element_wise(ids, _unversioned(rows[ours].combine_chunks()), ":")
        found = pc.index_in(wanted, value_set=keys)
        hit = found if hit is None else pc.coalesce(hit, found)
    return flat.take(hit)


def _refine_consequences(rows: pa.Table) -> pa.Table:
    """Take the input's consequence, impact, transcript and exon where ours is coarse; fill
    null HGVS from the input's entry on the same transcript."""
    entry = _matching_entries(rows)
    term = entry.field("consequence")
    rank = pc.index_in(term, value_set=pa.array(SEVERITY[: RANK["coding_sequence_variant"] + 1]))
    wins = pc.and_(
        pc.and_(pc.is_in(rows["consequence"], value_set=pa.array(COARSE_TERMS)), rank.is_valid()),
        pc.and_(pc.not_equal(term, rows["consequence"]),
                pc.equal(rows["consequence_source"], GENE_MODELS)),
    )  # fmt: skip
    wins = pc.fill_null(wins, False)
    moved = pc.and_(wins, pc.not_equal(entry.field("transcript_id"), rows["transcript_id"]))
    new = {
        "consequence": pc.if_else(wins, term, rows["consequence"]),
        "impact": pc.if_else(wins, entry.field("impact"), rows["impact"]),
        "transcript_id": pc.if_else(wins, entry.field("transcript_id"), rows["transcript_id"]),
        "exon": pc.if_else(pc.fill_null(moved, False), entry.field("exon"), rows["exon"]),
        "consequence_source": pc.if_else(wins, rows["vcf_source"], rows["consequence_source"]),
    }
    for name, values in new.items():
        rows = rows.set_column(rows.schema.get_field_index(name), name, values)
    same = pc.equal(_unversioned(entry.field("transcript_id")), _unversioned(rows["transcript_id"]))
    for name in ("hgvs_c", "hgvs_p"):
        theirs = pc.if_else(pc.fill_null(same, False), entry.field(name), None)
        rows = rows.set_column(
            rows.schema.get_field_index(name), name, pc.coalesce(rows[name], theirs)
        )
    return rows


def _fill_frequencies(rows: pa.Table) -> tuple[pa.Table, np.ndarray]:
    """Fill null ``gnomad_af`` and ``max_pop_af`` from VEP's gnomAD AF and MAX_AF; return the
    table and which rows were filled."""
    filled = np.zeros(rows.num_rows, bool)
    for ours, theirs in (("gnomad_af", "vcf_gnomad_af"), ("max_pop_af", "vcf_max_af")):
        add = pc.and_(rows[ours].is_null(), rows[theirs].is_valid())
        filled |= add.to_numpy(zero_copy_only=False)
        values = pc.cast(pc.coalesce(rows[ours], rows[theirs]), pa.float32())
        rows = rows.set_column(rows.schema.get_field_index(ours), ours, values)
    return rows, filled
