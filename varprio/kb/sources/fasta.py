"""Spliced CDS sequences of the gene models from a GRCh38 reference FASTA.

File: a FASTA (plain with ``.fai``, or bgzipped with ``.fai`` and ``.gzi``; missing indexes
are built by pysam when the directory is writable), e.g. GRCh38's ``GCA_000001405.15``
analysis set or Ensembl's ``Homo_sapiens.GRCh38.dna.primary_assembly.fa.gz``::

    >chr21  AC:CM000683.2  gi:568336003  LN:46709983  rl:Chromosome  M5:...  AS:GRCh38
    NNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNN

Contigs are matched by their harmonised names (``21`` = ``chr21``, ``MT`` = ``chrM``); a
primary contig whose length is not GRCh38's is refused.  Table ``gene_models/cds_sequences``:
one row per coding transcript whose contig the FASTA has, in transcript orientation, upper case.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pyarrow as pa
import pysam

from varprio.contigs import GRCH38_LENGTHS, harmonise
from varprio.errors import InputError

log = logging.getLogger(__name__)

TABLE = "gene_models/cds_sequences"
#: Spliced UTR bases kept before c.1 and after the stop codon (new stops, dup/shift context).
UPSTREAM, DOWNSTREAM = 30, 300
SCHEMA = pa.schema(
    [
        ("transcript_id", pa.string()),
        ("upstream", pa.string()),  # up to UPSTREAM spliced 5' UTR bases before c.1
        ("sequence", pa.string()),  # c.1 .. last base of the stop codon (when annotated)
        ("downstream", pa.string()),  # up to DOWNSTREAM spliced 3' UTR bases
    ]
)
_COMP = str.maketrans("ACGTNacgtn", "TGCANtgcan")


def open_fasta(path: Path) -> tuple[pysam.FastaFile, dict[str, str]]:
    """Open ``path``; return it and a map from harmonised contig names to the file's names.

    Raises
    ------
    InputError
        Unreadable or unindexable file, or a primary contig of another length than GRCh38's.
    """
    try:
        fasta = pysam.FastaFile(str(path))
    except (OSError, ValueError) as exc:
        raise InputError(
            f"{path}: cannot open as an indexed FASTA (plain or bgzip, with .fai/.gzi): {exc}"
        ) from exc
    names = {}
    for name, length in zip(fasta.references, fasta.lengths, strict=True):
        chrom = harmonise(name)
        want = GRCH38_LENGTHS.get(chrom)
        if want is not None and length != want:
            fasta.close()
            raise InputError(
                f"{path}: contig {name} has length {length}, GRCh38's {chrom} is {want}: "
                "the FASTA is of another assembly; the knowledge base is GRCh38"
            )
        names[chrom] = name
    return fasta, names


def _pieces(exons: list[tuple[int, int]], lo: int, hi: int) -> list[tuple[int, int]]:
    """Parts of ``exons`` (1-based, inclusive, genomic order) within ``[lo, hi]``."""
    return [(max(s, lo), min(e, hi)) for s, e in exons if e >= lo and s <= hi]


def _fetch(fasta: pysam.FastaFile, contig: str, pieces: list[tuple[int, int]]) -> str:
    return "".join(fasta.fetch(contig, s - 1, e) for s, e in pieces).upper()


def _sequences(
    fasta: pysam.FastaFile, contig: str, plus: bool, exons: list[tuple[int, int]], cds: tuple
) -> tuple[str, str, str]:
    """Upstream, CDS and downstream sequence of one transcript (transcript orientation)."""
    left = _fetch(fasta, contig, _pieces(exons, 0, cds[0] - 1))
    mid = _fetch(fasta, contig, _pieces(exons, cds[0], cds[1]))
    right = _fetch(fasta, contig, _pieces(exons, cds[1] + 1, 2**31))
    if not plus:
        left, mid, right = (x.translate(_COMP)[::-1] for x in (right, mid, left))
    return left[len(left) - UPSTREAM :] if len(left) > UPSTREAM else left, mid, right[:DOWNSTREAM]


def build_cds_table(path: Path, transcripts: pa.Table, exons: pa.Table) -> pa.Table:
    """The :data:`SCHEMA` table of every coding transcript of the gene models in ``path``.

    Raises
    ------
    InputError
        See :func:`open_fasta`; also when the FASTA has none of the gene models' contigs.
    """
    fasta, names = open_fasta(path)
    tx = transcripts.filter(transcripts["cds_start"].is_valid()).to_pylist()
    by_tx: dict[str, list[tuple[int, int]]] = {}
    for row in exons.select(["transcript_id", "start", "end"]).to_pylist():
        by_tx.setdefault(row["transcript_id"], []).append((row["start"], row["end"]))
    rows, missing = [], set()
    with fasta:
        for r in tx:
            contig = names.get(harmonise(r["chrom"]))
            if contig is None:
                missing.add(r["chrom"])
                continue
            parts = sorted(by_tx.get(r["transcript_id"], []))
            cds = (r["cds_start"], r["cds_end"])
            up, seq, down = _sequences(fasta, contig, r["strand"] == "+", parts, cds)
            rows.append((r["transcript_id"], up, seq, down))
    if tx and not rows:
        raise InputError(
            f"{path}: none of the gene models' contigs ({', '.join(sorted(missing)[:5])}, ...) "
            "is in the FASTA"
        )
    if missing:
        log.warning("%s: no sequence for contigs %s", path, ", ".join(sorted(missing)))
    _check_frames(path, rows)
    cols: list[tuple[str, ...]] = list(zip(*rows, strict=True)) if rows else [()] * 4
    return pa.table([pa.array(c, pa.string()) for c in cols], schema=SCHEMA)


def _check_frames(path: Path, rows: list[tuple[str, str, str, str]]) -> None:
    """Log how many CDSs are not a whole number of codons (incomplete models or wrong FASTA)."""
    lengths = np.array([len(r[2]) for r in rows], np.int64)
    bad = int(np.count_nonzero(lengths % 3))
    if bad:
        log.warning("%s: %d of %d CDS sequences are not a multiple of 3", path, bad, len(rows))
