"""Per-variant score files (REVEL, AlphaMissense, CADD TSVs; SpliceAI VCF) -> ``scores/<name>``.

``--scores NAME=FILE``, one per tool; plain, gzip or bgzip; streamed in chunks.  Header rows
(the last ``#`` line before the data, or the first line) name the columns; ``##`` comment lines
before it are skipped.  Column mapping per tool (:data:`TOOLS`):

- ``revel``: REVEL v1.3 (``revel_with_transcript_ids`` CSV or the VEP plugin's tab-separated
  copy): ``chr,hg19_pos,grch38_pos,ref,alt,aaref,aaalt,REVEL,Ensembl_transcriptid`` ->
  ``revel_score``; rows without a GRCh38 position (``.``) skipped.
- ``alphamissense``: ``AlphaMissense_hg38.tsv.gz``: ``#CHROM POS REF ALT genome uniprot_id
  transcript_id protein_variant am_pathogenicity am_class`` -> ``alphamissense_score``,
  ``alphamissense_class``.
- ``cadd``: ``whole_genome_SNVs.tsv.gz`` / ``gnomad.genomes.r4.0.indel.tsv.gz``:
  ``## CADD GRCh38-v1.7 ...`` then ``#Chrom Pos Ref Alt RawScore PHRED`` -> ``cadd_raw``,
  ``cadd_phred``.
- ``spliceai``: SpliceAI precomputed VCF, ``SpliceAI=ALLELE|SYMBOL|DS_AG|DS_AL|DS_DG|DS_DL|...``
  -> ``spliceai_max_ds`` (largest delta score of the allele over its genes), ``spliceai_gene``.

Several rows for one variant (one per transcript) keep the highest score.  A file that says
GRCh37/hg19 (a ``genome`` column, a CADD comment, no ``grch38_pos``) is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from varprio.errors import InputError, UsageError
from varprio.kb.sources.site_table import SiteTableWriter, site_schema
from varprio.kb.sources.vcf_sites import Field, SitesReader, check_grch38

_NULL = pa.scalar(None, pa.string())
_GRCH37 = re.compile(r"GRCh37|hg19", re.I)


@dataclass(frozen=True)
class Tool:
    """How one tool's file maps to the table: key columns, value columns, licence."""

    keys: tuple[str, str, str, str]  # file columns for chrom, pos, ref, alt (lower case)
    values: dict[str, tuple[str, pa.DataType]]  # table column -> (file column, type)
    prefer: str  # the score whose highest value wins among rows of one variant
    title: str
    licence: str


TOOLS: dict[str, Tool] = {
    "revel": Tool(
        ("chr", "grch38_pos", "ref", "alt"),
        {"revel_score": ("revel", pa.float32())},
        "revel_score",
        "REVEL (Ioannidis et al. 2016)",
        "REVEL terms: free for non-commercial use",
    ),
    "alphamissense": Tool(
        ("chrom", "pos", "ref", "alt"),
        {
            "alphamissense_score": ("am_pathogenicity", pa.float32()),
            "alphamissense_class": ("am_class", pa.string()),
        },
        "alphamissense_score",
        "AlphaMissense (Cheng et al. 2023)",
        "AlphaMissense terms (see the release; CC BY-NC-SA 4.0 at publication)",
    ),
    "cadd": Tool(
        ("chrom", "pos", "ref", "alt"),
        {"cadd_raw": ("rawscore", pa.float32()), "cadd_phred": ("phred", pa.float32())},
        "cadd_phred",
        "CADD (Kircher et al. 2014; Rentzsch et al. 2019)",
        "CADD terms: free for non-commercial use",
    ),
    "spliceai": Tool(
        ("chrom", "pos", "ref", "alt"),
        {"spliceai_max_ds": ("", pa.float32()), "spliceai_gene": ("", pa.string())},
        "spliceai_max_ds",
        "SpliceAI precomputed scores (Jaganathan et al. 2019)",
        "Illumina SpliceAI precomputed-score terms (non-commercial use)",
    ),
}
DESCRIPTIONS = {
    "revel_score": "REVEL missense score (0-1)",
    "alphamissense_score": "AlphaMissense pathogenicity (0-1)",
    "alphamissense_class": "AlphaMissense class (likely_benign, ambiguous, likely_pathogenic)",
    "cadd_raw": "CADD raw score",
    "cadd_phred": "CADD PHRED-scaled score",
    "spliceai_max_ds": "SpliceAI largest delta score of the allele (0-1)",
    "spliceai_gene": "gene of the largest SpliceAI delta score",
}


def parse_spec(spec: str) -> tuple[str, Path]:
    """``NAME=FILE`` with a known tool name."""
    name, sep, path = spec.partition("=")
    name = name.strip().lower()
    if not sep or not path:
        raise UsageError(f"--scores {spec}: expected NAME=FILE, e.g. revel=revel_grch38.tsv.gz")
    if name not in TOOLS:
        raise UsageError(f"--scores {spec}: unknown tool {name}; known: {', '.join(TOOLS)}")
    return name, Path(path)


def schema(name: str) -> pa.Schema:
    """The table schema of tool ``name``."""
    fields = [pa.field(col, t) for col, (_, t) in TOOLS[name].values.items()]
    return site_schema(fields, DESCRIPTIONS)


def build_scores_table(name: str, path: Path, out: Path) -> int:
    """Stream one tool's file into ``out``; return its rows."""
    tool = TOOLS[name]
    writer = SiteTableWriter(out, schema(name), prefer=[(tool.prefer, "descending")])
    try:
        chunks = _spliceai_chunks(path) if name == "spliceai" else _tsv_chunks(name, path)
        for chunk, last in chunks:
            writer.write(chunk, last)
        writer.write(schema(name).empty_table(), None)
        return writer.close()
    except BaseException:
        writer.abort()
        raise


def _header(path: Path) -> tuple[list[str], int, str]:
    """Column names (lower case, no ``#``), lines before the data, delimiter."""
    comments: list[str] = []
    with pa.input_stream(str(path), compression="detect") as fh:
        lines = iter(fh.read(1 << 20).decode("utf-8", errors="replace").splitlines())
        for n, line in enumerate(lines):
            comment = line.startswith("##") or line.rstrip() == "#" or line.startswith("# ")
            if comment and "\t" not in line:
                comments.append(line)
                continue
            delim = "\t" if "\t" in line else ","
            cols = [c.strip().lstrip("#").lower() for c in line.split(delim)]
            if any(_GRCH37.search(c) for c in comments):
                raise InputError(f"{path}: its header says GRCh37/hg19; the KB is GRCh38")
            return cols, n + 1, delim
    raise InputError(f"{path}: no header row")


def _tsv_chunks(name: str, path: Path) -> Iterator[tuple[pa.Table, tuple[str, int] | None]]:
    tool = TOOLS[name]
    cols, skip, delim = _header(path)
    wanted = [*tool.keys, *(src for src, _ in tool.values.values())]
    missing = [c for c in wanted if c not in cols]
    if missing:
        raise InputError(
            f"{path}: {name} file lacks column(s) {', '.join(missing)} (has {', '.join(cols)})"
        )
    extra = ["genome"] if "genome" in cols else []
    try:
        reader = pcsv.open_csv(
            pa.input_stream(str(path), compression="detect"),
            read_options=pcsv.ReadOptions(skip_rows=skip, column_names=cols, block_size=16 << 20),
            parse_options=pcsv.ParseOptions(delimiter=delim, quote_char=False),
            convert_options=pcsv.ConvertOptions(
                include_columns=wanted + extra,
                column_types={c: pa.string() for c in wanted + extra},
                strings_can_be_null=False,
            ),
        )
        row = skip
        for batch in reader:
            if batch.num_rows:
                yield _tsv_table(name, path, pa.Table.from_batches([batch]), row), None
            row += batch.num_rows
    except pa.ArrowInvalid as exc:
        raise InputError(f"{path}: unreadable {name} table ({str(exc).splitlines()[0]})") from exc


def _tsv_table(name: str, path: Path, batch: pa.Table, first_line: int) -> pa.Table:
    tool = TOOLS[name]
    if "genome" in batch.column_names:
        genome = pc.unique(batch["genome"]).to_pylist()
        if any(_GRCH37.search(g) for g in genome):
            raise InputError(f"{path}: genome column says {genome}; the KB is GRCh38")
    chrom, pos, ref, alt = (batch[c].combine_chunks() for c in tool.keys)
    keep = pc.and_(pc.not_equal(pos, "."), pc.not_equal(pos, ""))
    out = {"chrom": chrom, "pos": _cast(pos, pa.int32(), path, tool.keys[1], first_line)}
    out.update({"ref": ref, "alt": alt})
    for col, (src, typ) in tool.values.items():
        out[col] = _cast(batch[src].combine_chunks(), typ, path, src, first_line)
    return pa.table(out).filter(keep)


def _cast(values: pa.Array, typ: pa.DataType, path: Path, col: str, first: int) -> pa.Array:
    """Cast text to ``typ``; ``.``, ``NA`` and empty are null."""
    values = pc.if_else(pc.is_in(values, pa.array([".", "", "NA"])), _NULL, values)
    try:
        return pc.cast(values, typ)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        for i, v in enumerate(values.to_pylist()):
            try:
                pc.cast(pa.array([v], pa.string()), typ)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise InputError(
                    f"{path}: line {first + i + 1}: {col} {v!r} is not of type {typ}"
                ) from None
        raise


def _spliceai_chunks(path: Path) -> Iterator[tuple[pa.Table, tuple[str, int] | None]]:
    with SitesReader(str(path)) as reader:
        check_grch38(reader.header)
        for chunk, last in reader.chunks([Field("SpliceAI", "_raw", pa.string())]):
            ds, gene = max_delta_scores(chunk["alt"], chunk["_raw"])
            yield (
                chunk.drop_columns(["_raw"])
                .append_column("spliceai_max_ds", ds)
                .append_column("spliceai_gene", gene),
                last,
            )


def max_delta_scores(
    alt: pa.Array | pa.ChunkedArray, raw: pa.Array | pa.ChunkedArray
) -> tuple[pa.Array, pa.Array]:
    """Largest of DS_AG/DS_AL/DS_DG/DS_DL over the annotations of each row's ALT, and its gene.

    ``raw`` is the SpliceAI INFO value: ``ALLELE|SYMBOL|DS_AG|DS_AL|DS_DG|DS_DL|DP_AG|...``,
    comma-separated when several genes or alleles are scored.
    """
    if isinstance(alt, pa.ChunkedArray):
        alt = alt.combine_chunks()
    if isinstance(raw, pa.ChunkedArray):
        raw = raw.combine_chunks()
    lists = pc.split_pattern(raw, ",")
    parent = pc.list_parent_indices(lists).to_numpy()
    parts = pc.split_pattern(pc.list_flatten(lists), "|")
    n = len(parent)
    fields = [pc.list_element(parts, i) if n else pa.nulls(0, pa.string()) for i in range(6)]
    scores = np.full(n, -1.0)
    for i in range(2, 6):
        vals = pc.cast(pc.if_else(pc.equal(fields[i], "."), _NULL, fields[i]), pa.float64())
        scores = np.fmax(scores, pc.fill_null(vals, -1.0).to_numpy())
    mine = pc.equal(pc.ascii_upper(fields[0]), alt.take(pa.array(parent))).to_numpy(
        zero_copy_only=False
    )
    scores = np.where(mine, scores, -1.0)
    order = np.lexsort((-scores, parent))
    first = np.unique(parent[order], return_index=True)
    rows, idx = first[0], order[first[1]]
    best = np.full(len(raw), -1.0)
    best[rows] = scores[idx]
    gene = np.full(len(raw), None, dtype=object)
    gene[rows] = np.asarray(fields[1].to_pylist(), dtype=object)[idx]
    valid = best >= 0
    gene[~valid] = None
    return pa.array(best.astype(np.float32), mask=~valid), pa.array(gene.tolist(), pa.string())
