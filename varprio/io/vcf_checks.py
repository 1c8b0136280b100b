"""Whole-file checks of a VCF being read: its assembly, and the order of its records.

``check_assembly`` looks at the ``##contig`` lengths of the header, e.g.::

    ##contig=<ID=1,length=249250621>     GRCh37's chr1: refused (the knowledge base is GRCh38)
    ##contig=<ID=chr1,length=248956422>  GRCh38's: accepted

``OrderCheck`` sees the CHROM and POS of each chunk of records in turn (numpy per chunk, the
last contig and POS carried to the next chunk).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from varprio.contigs import GRCH37_LENGTHS, GRCH38_LENGTHS
from varprio.errors import InputError
from varprio.io.vcf_text import FieldError


def check_assembly(contigs: dict[str, int | None], name: str) -> None:
    """Refuse a VCF whose ``##contig`` lengths are GRCh37's (the knowledge base is GRCh38).

    A VCF without ``##contig`` lines, or without lengths, is accepted.
    """
    for contig, length in contigs.items():
        if contig == "chrM" or length is None:
            continue
        if length == GRCH37_LENGTHS.get(contig) and length != GRCH38_LENGTHS.get(contig):
            raise InputError(
                f"{name}: ##contig {contig} has length {length}, GRCh37's; expected GRCh38 "
                f"({GRCH38_LENGTHS[contig]}): lift the VCF over or call it on GRCh38"
            )


class OrderCheck:
    """Records must be sorted: POS never decreases within a contig, and a contig, once left,
    does not come back.  Checked per chunk with numpy; the last contig and POS carry over."""

    def __init__(self) -> None:
        self.done: set[str] = set()
        self.contig: str | None = None
        self.pos = 0

    def check(self, chrom: pa.DictionaryArray, pos: np.ndarray) -> None:
        """Raise FieldError (row within the chunk) at the first record out of order."""
        if len(pos) == 0:
            return
        names = chrom.dictionary.to_pylist()
        key = {n: i for i, n in enumerate(dict.fromkeys(names))}
        codes = np.array([key[n] for n in names], dtype=np.int64)[
            chrom.indices.to_numpy(zero_copy_only=False)
        ]
        same = codes[1:] == codes[:-1]
        down = np.flatnonzero(same & (pos[1:] < pos[:-1]))
        starts = np.concatenate([[0], np.flatnonzero(~same) + 1])
        first_bad = int(down[0]) + 1 if down.size else len(pos)
        for start in starts.tolist():
            if start > first_bad:
                break
            name = names[chrom.indices[start].as_py()]
            if name == self.contig:
                if pos[start] < self.pos:
                    self._raise_pos(start, name, self.pos, int(pos[start]))
                continue
            if name in self.done:
                raise FieldError(
                    start, "CHROM", f"records sorted by contig ({name} came before "
                    f"{self.contig})", name)  # fmt: skip
            if self.contig is not None:
                self.done.add(self.contig)
            self.contig, self.pos = name, 0
        if down.size:
            row = int(down[0]) + 1
            self._raise_pos(row, self.contig or "", int(pos[row - 1]), int(pos[row]))
        self.pos = int(pos[-1])

    @staticmethod
    def _raise_pos(row: int, contig: str, previous: int, got: int) -> None:
        raise FieldError(
            row, "POS", f"records sorted by position (>= {previous}, the previous on {contig})",
            str(got))  # fmt: skip
