"""``varprio annotate``: every record of a VCF with every knowledge-base field, streamed.

One row per (record, ALT allele): ``chrom, pos, ref, alt`` as in the VCF (contig names
harmonised, multi-allelic records split), the most severe consequence over the gene models
(``gene, hgnc_id, consequence, impact``), then each per-variant table's prefixed columns
(``kgp_*``, ``gnomad_exomes_*``, ``gnomad_genomes_*``, a population VCF's ``<name>_*``,
``clinvar_*``, ``revel_score``, ...), gnomAD's datasets combined (``gnomad_af``, ...), the gene's
constraint (``constraint_*``) and ``max_pop_af``.  Missing values are null (``.`` in TSV).

Memory is bounded by one batch for TSV and Parquet; ``vcf`` output keeps the annotation table
(not the genotypes) in memory, as :func:`varprio.report.vcf.write_annotated_vcf` needs it whole.
"""

from __future__ import annotations

import logging
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from varprio.annotate import hgnc_ids, load_gene_model, max_pop_af
from varprio.consequence import TERMS, GeneModel
from varprio.consequence import annotate as consequence_annotate
from varprio.contigs import harmonise
from varprio.errors import UsageError
from varprio.io.vcf import VcfReader, detect_format
from varprio.kb.load import KnowledgeBase
from varprio.kb.lookup import KbLookups
from varprio.kb.sources.hgnc import symbol_lookup
from varprio.kb.sources.vcf_sites import SitesReader
from varprio.provenance import Provenance
from varprio.report.atomic import atomic_files, atomic_text
from varprio.report.parquet import provenance_metadata
from varprio.report.tsv import render

log = logging.getLogger(__name__)

FORMATS = ("tsv", "parquet", "vcf")
KEYS = ("chrom", "pos", "ref", "alt")
CONSEQUENCE_COLUMNS = ("consequence", "impact", "hgvs_c", "hgvs_p", "consequence_source")
GENE_DESCRIPTIONS = {
    "gene": "gene of the most severe consequence (gene models of the knowledge base)",
    "hgnc_id": "HGNC ID of that gene",
    "consequence": "most severe Sequence Ontology consequence",
    "impact": "VEP impact class of the consequence",
    "hgvs_c": "HGVS c. of that consequence (with a reference FASTA in the knowledge base)",
    "hgvs_p": "HGVS p. (predicted) of that consequence",
    "consequence_source": "gene_models, or fasta when exact from the reference sequence",
    "max_pop_af": "highest of gnomad_grpmax_af, gnomad_faf95_max and kgp_af_grpmax",
}


@dataclass
class RecordAnnotator:
    """Gene models and every per-variant and gene table of one knowledge base."""

    genes: GeneModel
    hgnc_by_symbol: dict[str, str]
    lookups: KbLookups

    @classmethod
    def from_kb(cls, kb: KnowledgeBase) -> RecordAnnotator:
        """Load gene models and open the knowledge base's tables."""
        return cls(load_gene_model(kb), symbol_lookup(kb.table("hgnc/genes")), KbLookups.open(kb))

    def descriptions(self) -> dict[str, str]:
        """Column -> description, for VCF INFO header lines."""
        return {**GENE_DESCRIPTIONS, **self.lookups.descriptions()}

    def annotate(self, sites: pa.Table) -> pa.Table:
        """Annotate a table with key columns (harmonised contigs, upper-case alleles)."""
        chrom, pos, ref, alt = (sites[c].combine_chunks() for c in KEYS)
        out = pa.table({"chrom": chrom, "pos": pos, "ref": ref, "alt": alt})
        for name, values in self._consequence(chrom, pos, ref, alt).items():
            out = out.append_column(name, values)
        variant = self.lookups.variant_table(chrom, pos, ref, alt)
        gene = self.lookups.gene_columns(out["hgnc_id"])
        for table in (variant, gene):
            for i in range(table.num_columns):
                out = out.append_column(table.schema.field(i), table.column(i))
        return out.append_column("max_pop_af", max_pop_af(out))

    def _consequence(
        self, chrom: pa.Array, pos: pa.Array, ref: pa.Array, alt: pa.Array
    ) -> dict[str, pa.Array]:
        """Gene, HGNC ID, consequence, impact, HGVS and the consequence's source of each row's
        most severe consequence."""
        csq = consequence_annotate(self.genes, chrom, pos, ref, alt)
        index = csq["variant_index"].to_numpy()
        rank = pc.fill_null(pc.index_in(csq["consequence"], value_set=TERMS), len(TERMS))
        order = np.lexsort((rank.to_numpy(), index))
        _, first = np.unique(index[order], return_index=True)
        best = pa.array(order[first])
        gene = csq["gene"].take(best)
        return {
            "gene": gene,
            "hgnc_id": hgnc_ids(gene, self.hgnc_by_symbol),
            **{name: csq[name].take(best) for name in CONSEQUENCE_COLUMNS},
        }


def _batches(src: str, sample: str | None) -> Iterator[pa.Table]:
    """Key columns of every (record, ALT), from VcfReader; sites-only text VCFs directly."""
    if src != "-" and detect_format(src) != "bcf":
        with SitesReader(src) as sites:
            sites_only = sites.header.n_columns <= 8
            first = sites.header.samples[0] if not sites_only and sample is None else sample
            if sites_only:
                for chunk, _ in sites.chunks([]):
                    yield _harmonised(chunk)
                return
        sample = first
    with VcfReader(src, sample) as reader:
        for batch in reader.batches():
            yield pa.Table.from_batches([batch]).select(list(KEYS))


def _tables(annotator: RecordAnnotator, src: str, sample: str | None) -> Iterator[pa.Table]:
    """Annotated batches; one empty table when the input has no records (for the header)."""
    empty = True
    for batch in _batches(src, sample):
        if batch.num_rows:
            empty = False
            yield annotator.annotate(batch)
    if empty:
        keys = pa.schema([("chrom", pa.string()), ("pos", pa.int32()),
                          ("ref", pa.string()), ("alt", pa.string())])  # fmt: skip
        yield annotator.annotate(keys.empty_table())


def _harmonised(table: pa.Table) -> pa.Table:
    codes = pc.dictionary_encode(table["chrom"]).combine_chunks()
    names = pa.array([harmonise(c) for c in codes.dictionary.to_pylist()], pa.string())
    return (
        table.set_column(0, "chrom", names.take(codes.indices))
        .set_column(3, "alt", pc.ascii_upper(table["alt"]))
        .set_column(2, "ref", pc.ascii_upper(table["ref"]))
    )


def annotate_vcf(
    src: str,
    dest: str | None,
    fmt: str,
    kb: KnowledgeBase,
    prov: Provenance,
    sample: str | None = None,
) -> int:
    """Annotate ``src`` (path or '-') into ``dest`` (None or '-': stdout); return rows written."""
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt}: expected one of {', '.join(FORMATS)}")
    if fmt != "tsv" and dest in (None, "-"):
        raise UsageError(f"--format {fmt} needs an output file (-o OUT)")
    annotator = RecordAnnotator.from_kb(kb)
    if fmt == "vcf":
        assert dest is not None
        return _write_vcf(src, Path(dest), annotator, prov, sample)
    tables = _tables(annotator, src, sample)
    if fmt == "parquet":
        assert dest is not None
        return _write_parquet(tables, Path(dest), prov)
    if dest in (None, "-"):
        return _write_tsv(tables, sys.stdout, prov)
    with atomic_text(Path(dest)) as fh:
        return _write_tsv(tables, fh, prov)


def _write_tsv(tables: Iterator[pa.Table], fh: IO[str], prov: Provenance) -> int:
    skip = len(prov.header_lines()) + 1
    n = 0
    for i, table in enumerate(tables):
        text = render(table, prov)
        fh.write(text if i == 0 else text.split("\n", skip)[-1])
        n += table.num_rows
    fh.flush()
    return n


def _write_parquet(tables: Iterator[pa.Table], dest: Path, prov: Provenance) -> int:
    n = 0
    with atomic_files() as group:
        tmp = group.path(dest)
        writer: pq.ParquetWriter | None = None
        for table in tables:
            if writer is None:
                meta = {**(table.schema.metadata or {}), **provenance_metadata(prov)}
                writer = pq.ParquetWriter(tmp, table.schema.with_metadata(meta), compression="zstd")
            writer.write_table(table)
            n += table.num_rows
        if writer is not None:
            writer.close()
    return n


def _write_vcf(
    src: str, dest: Path, annotator: RecordAnnotator, prov: Provenance, sample: str | None
) -> int:
    from varprio.report.vcf import write_annotated_vcf

    with tempfile.TemporaryDirectory() as tmpdir:
        if src == "-":  # the writer reads the input twice: spool stdin
            spooled = Path(tmpdir) / "stdin"
            with open(spooled, "wb") as fh:
                shutil.copyfileobj(sys.stdin.buffer, fh, 1 << 20)
            src = str(spooled)
        info = pa.concat_tables(list(_tables(annotator, src, sample)))
        write_annotated_vcf(src, dest, info, annotator.descriptions(), prov.header_lines())
        return info.num_rows
