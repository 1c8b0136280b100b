"""Read a VCF or BCF (path or ``-`` for stdin) into ``VARIANT_BATCH`` record batches.

Input: VCF 4.x, plain, gzip or bgzip compressed, or BCF (compressed or not); the format is
sniffed from the first bytes (``BCF\\2``, gzip magic ``1f 8b``, ``##fileformat=VCF``).
Header lines start with ``##``; the ``#CHROM`` line names the samples, e.g.::

    ##fileformat=VCFv4.2
    ##contig=<ID=1,length=248956422>
    #CHROM  POS  ID  REF  ALT  QUAL  FILTER  INFO  FORMAT  NA12878
    1  12345  .  A  G,<NON_REF>  50  PASS  DP=9  GT:AD:DP:GQ  0/1:4,5,0:9:50

Text is decompressed and parsed in large chunks by ``varprio.io.vcf_text`` (no Python loop
per record).  BCF is converted record by record to text with pysam (slower, see README).
"""

from __future__ import annotations

import io
import logging
import re
import sys
import tempfile
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from varprio.errors import InputError
from varprio.io import bgzf, info_annotations, vcf_text
from varprio.io.info_annotations import find_format
from varprio.io.ped import Family
from varprio.io.vcf_checks import OrderCheck, check_assembly
from varprio.regions import Regions
from varprio.schemas import VARIANT_BATCH

if TYPE_CHECKING:
    import pysam

log = logging.getLogger(__name__)

GZIP_MAGIC = b"\x1f\x8b"
BCF_MAGIC = b"BCF\x02"
VCF_MAGIC = b"##fileformat=VCF"
CHUNK_BYTES = 8 << 20  # decompressed text parsed at once (bounds memory; no faster when larger)
# The first chunk and batch are small, and each next one twice as large up to the maximum,
# so that annotation starts early and overlaps the reading (an exome's first rows were
# otherwise ready only after its whole text had been parsed).
FIRST_CHUNK_BYTES = 512 << 10
FIRST_BATCH_ROWS = 4096
SNIFF_BYTES = 1 << 16  # one BGZF block
BCF_CHUNK_RECORDS = 50_000
_CONTIG = re.compile(r"^##contig=<(.*)>\s*$")


class _Prefixed(io.RawIOBase):
    """A binary stream that yields ``prefix`` and then the rest of ``raw``."""

    def __init__(self, prefix: bytes, raw: BinaryIO, close_raw: bool) -> None:
        super().__init__()
        self._prefix, self._raw, self._close_raw = prefix, raw, close_raw

    def close(self) -> None:
        if self._close_raw and not self.closed:
            self._raw.close()
        super().close()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n], self._prefix = self._prefix[:n], self._prefix[n:]
            return n
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


T = TypeVar("T")


def prefetch(chunks: Iterator[T]) -> Iterator[T]:
    """Produce the next item (read, decompress, parse) in a thread while the caller uses this
    one (Arrow's readers and kernels release the GIL)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(next, chunks, None)
        while (chunk := future.result()) is not None:
            future = pool.submit(next, chunks, None)
            yield chunk


def _read_exact(stream: BinaryIO | pa.NativeFile, n: int) -> bytes:
    """Read up to ``n`` bytes, fewer only at end of stream."""
    parts, got = [], 0
    while got < n:
        data = stream.read(n - got)
        if not data:
            break
        parts.append(bytes(data))
        got += len(data)
    return b"".join(parts)


def _kind(head: bytes, compressed: bool, name: str) -> str:
    """Name the format from the first (decompressed) bytes, or raise InputError."""
    if head.startswith(BCF_MAGIC):
        return "bcf"
    if head.startswith(VCF_MAGIC) or head.startswith(b"#CHROM"):
        return "vcf.gz" if compressed else "vcf"
    raise InputError(
        f"{name} is not a VCF or BCF: it starts with {head[:16]!r}, expected '##fileformat=VCF'"
    )


def _sniff(head: bytes, name: str) -> str:
    """Name the format ('vcf', 'vcf.gz', 'bcf') from the first raw bytes of a file."""
    if not head.startswith(GZIP_MAGIC):
        return _kind(head, False, name)
    try:
        text = zlib.decompressobj(31).decompress(head, len(VCF_MAGIC))
    except zlib.error as e:
        raise InputError(
            f"{name}: corrupt gzip data ({e}); expected a gzip/bgzip VCF or a BCF"
        ) from e
    return _kind(text, True, name)


def detect_format(path: str) -> str:
    """Return 'vcf', 'vcf.gz' or 'bcf' from the first bytes of ``path``.

    Raises
    ------
    InputError
        When the file cannot be read or is neither VCF nor BCF.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(SNIFF_BYTES)
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}") from e
    return _sniff(head, path)


class VcfReader:
    """Open a VCF/BCF (path or '-' for stdin) for one sample.

    Parameters
    ----------
    path
        File name, or '-' for standard input (VCF, gzipped VCF or BCF).
    sample
        Sample to read; may be omitted when the file has exactly one sample.
    batch_size
        Rows (one per ALT allele) per record batch; the last batch may be shorter.
    regions
        Keep only records whose POS lies in these regions: each chunk is filtered with a
        vectorised lookup before its FORMAT fields are parsed. (Reading through a tabix index
        region by region was measured slower: see docs/performance.md.)
    sorted_only
        Refuse records out of order (POS decreasing within a contig, or a contig coming back
        after another) with InputError; False for varprio's own scratch VCFs (training).
    family
        With a PED file: picks the proband's family from the VCF's sample names; the proband
        is then the sample read, and the relatives' genotypes are added to every batch as
        the fixed-size list columns of ``varprio.io.vcf_text.RELATIVE_FIELDS``.
    annotations
        When the header declares VEP ``CSQ`` or SnpEff ``ANN``, append the parsed annotations
        to every batch (``varprio.io.info_annotations.COLUMNS``); INFO is not read otherwise.

    Attributes
    ----------
    samples, sample, contigs, header
        Sample names, the chosen sample, ``##contig`` lengths (``chr``-harmonised names,
        None when no length is given) and the header text.
    info_format, schema
        The CSQ/ANN declaration read (None: none, or ``annotations`` off) and the batches'
        schema (``VARIANT_BATCH``, then the annotation columns when read).
    n_records, n_skipped
        After iteration: records read, and skipped ALT alleles by kind
        (symbolic, star, breakend, no_alt).
    """

    def __init__(
        self,
        path: str,
        sample: str | None = None,
        batch_size: int = 65536,
        regions: Regions | None = None,
        sorted_only: bool = True,
        family: Callable[[list[str]], Family] | None = None,
        annotations: bool = False,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self.path, self.batch_size, self.regions = path, batch_size, regions
        self.name = "<stdin>" if path == "-" else path
        self.n_records = 0
        self.n_skipped = dict.fromkeys(vcf_text.SKIP_KINDS, 0)
        self._contig_names: dict[str, str] = {}
        self._tmp: tempfile._TemporaryFileWrapper[bytes] | None = None
        self._bcf: pysam.VariantFile | None = None
        self._text: BinaryIO | pa.NativeFile | None = None
        self._stream: BinaryIO | None = None
        self._pending = b""
        self.format = self._open()
        self.samples = self._header_samples()
        self.family = family(self.samples) if family else None
        self.sample = self.family.proband if self.family else self._choose(sample)
        self.relatives = self.family.samples if self.family else []
        self.contigs = self._parse_contigs()
        check_assembly(self.contigs, self.name)
        self._order = OrderCheck() if sorted_only else None
        self.info_format = find_format(self.header, self.name) if annotations else None
        self.schema = VARIANT_BATCH
        if self.info_format is not None:
            self.schema = pa.schema([*VARIANT_BATCH, *info_annotations.COLUMNS])

    # ----- opening and header -----
    def _open(self) -> str:
        """Open the input, sniff its format and read the header."""
        raw: BinaryIO | pa.NativeFile
        if self.path == "-":
            head = _read_exact(sys.stdin.buffer, SNIFF_BYTES)
            kind = _sniff(head, self.name)
            stream: BinaryIO = _Prefixed(head, sys.stdin.buffer, False)  # type: ignore[assignment]
        else:
            kind = detect_format(self.path)
            with open(self.path, "rb") as fh:
                head = fh.read(bgzf.HEADER_SIZE)
            stream = open(self.path, "rb")  # noqa: SIM115  (closed in close())
        if kind == "vcf.gz" and bgzf.is_bgzf(head):
            self._text = bgzf.BgzfReader(stream)  # type: ignore[assignment]
            self._stream = stream
        else:
            raw = pa.PythonFile(stream, mode="r")
            if kind == "bcf":
                self._open_bcf(raw)
                return kind
            self._text = pa.CompressedInputStream(raw, "gzip") if kind == "vcf.gz" else raw
        self.header = self._read_text_header()
        return kind

    def _open_bcf(self, raw: pa.NativeFile) -> None:
        """Open BCF with pysam (stdin is first copied to a temporary file)."""
        path = self.path
        if path == "-":
            self._tmp = tempfile.NamedTemporaryFile(suffix=".bcf")  # noqa: SIM115
            while data := raw.read(1 << 20):
                self._tmp.write(data)
            self._tmp.flush()
            path = self._tmp.name
        raw.close()
        import pysam  # (only for BCF: 10 ms of start-up)

        verbosity = pysam.set_verbosity(0)  # silence htslib's "no index file" message
        try:
            self._bcf = pysam.VariantFile(path, "r")
        except (OSError, ValueError, NotImplementedError) as e:
            raise InputError(
                f"{self.name}: cannot read BCF ({e}); expected a BGZF or plain BCF"
            ) from e
        finally:
            pysam.set_verbosity(verbosity)
        self.header = str(self._bcf.header).rstrip("\n")

    def _read_text_header(self) -> str:
        """Read up to and including the #CHROM line; keep the rest as pending body text."""
        buf = self._pending
        while True:
            at = 0 if buf.startswith(b"#CHROM") else buf.find(b"\n#CHROM")
            end = buf.find(b"\n", at + 1) if at >= 0 else -1
            if end >= 0:
                break
            more = self._read(FIRST_CHUNK_BYTES)
            if not more:
                if at >= 0:
                    buf, end = buf + b"\n", len(buf)
                    break
                raise InputError(f"{self.name} is not a VCF: no '#CHROM' header line")
            buf += more
        self._pending = buf[end + 1 :]
        text = buf[: end + 1].decode("utf-8", errors="replace")
        return "\n".join(line.rstrip("\r") for line in text.splitlines())

    def _header_samples(self) -> list[str]:
        chrom_line = self.header.rsplit("\n", 1)[-1]
        if not chrom_line.startswith("#CHROM"):
            raise InputError(f"{self.name} is not a VCF: no '#CHROM' header line")
        samples = chrom_line.split("\t")[vcf_text.FIRST_SAMPLE :]
        if len(set(samples)) < len(samples):
            dup = next(s for i, s in enumerate(samples) if s in samples[:i])
            raise InputError(
                f"{self.name}: #CHROM line: sample {dup} appears twice; expected unique names"
            )
        return samples

    def _choose(self, sample: str | None) -> str:
        if sample is not None:
            if sample not in self.samples:
                names = ", ".join(self.samples) or "(none)"
                raise InputError(f"sample {sample} not found in {self.name}; samples are: {names}")
            return sample
        if not self.samples:
            raise InputError(f"{self.name} has no sample columns")
        if len(self.samples) > 1:
            raise InputError(
                f"{self.name} has {len(self.samples)} samples; choose one with --sample"
            )
        return self.samples[0]

    def _parse_contigs(self) -> dict[str, int | None]:
        contigs: dict[str, int | None] = {}
        for line in self.header.split("\n"):
            m = _CONTIG.match(line)
            if not m:
                continue
            fields = dict(kv.split("=", 1) for kv in m.group(1).split(",") if "=" in kv)
            if "ID" in fields:
                length = fields.get("length", "")
                name = vcf_text.harmonise_contig(fields["ID"])
                contigs[name] = int(length) if length.isdigit() else None
        return contigs

    # ----- reading -----
    def _guard(self, read):  # type: ignore[no-untyped-def]
        """Run a read, turning decompression failures into InputError."""
        try:
            return read()
        except (OSError, EOFError, zlib.error) as e:
            raise InputError(
                f"{self.name}: truncated or corrupt compressed data ({e}); "
                "expected a complete gzip/bgzip file"
            ) from e

    def _read(self, n: int) -> bytes:
        assert self._text is not None
        return self._guard(lambda: _read_exact(self._text, n))

    def _text_chunks(self) -> Iterator[bytes]:
        """Decompressed data lines in chunks that end at a line boundary."""
        buf = self._pending
        self._pending = b""
        want = FIRST_CHUNK_BYTES
        while True:
            more = self._read(max(want - len(buf), 1))
            want = min(2 * want, CHUNK_BYTES)
            if not more:
                if buf.strip():
                    yield buf if buf.endswith(b"\n") else buf + b"\n"
                return
            buf += more
            cut = buf.rfind(b"\n") + 1
            if cut:
                yield buf[:cut]
                buf = buf[cut:]

    def _bcf_chunks(self) -> Iterator[bytes]:
        """BCF records converted to VCF text by htslib, in chunks, for the chosen sample."""
        assert self._bcf is not None
        records = iter(self._bcf)
        while True:
            try:
                text = "".join(str(rec) for rec in islice(records, BCF_CHUNK_RECORDS))
            except (OSError, ValueError) as e:
                raise InputError(
                    f"{self.name}: corrupt or truncated BCF after record {self.n_records} ({e})"
                ) from e
            if not text:
                return
            yield text.encode()

    def _tables(self) -> Iterator[pa.Table]:
        wanted = [self.sample, *self.relatives]
        if self._bcf is not None:  # htslib writes only the wanted columns, in header order
            self._bcf.subset_samples(wanted)
            kept = [s for s in self.samples if s in wanted]
            chunks, n_columns = self._bcf_chunks(), vcf_text.FIRST_SAMPLE + len(kept)
        else:
            kept, chunks = self.samples, self._text_chunks()
            n_columns = vcf_text.FIRST_SAMPLE + len(self.samples)
        sample_col, *relative_cols = (vcf_text.FIRST_SAMPLE + kept.index(s) for s in wanted)
        header_lines = self.header.count("\n") + 1
        for body in prefetch(chunks):
            rows = None
            try:
                cols = vcf_text.read_columns(body, n_columns, sample_col, tuple(relative_cols),
                                             info=self.info_format is not None)  # fmt: skip
                scanned = cols.num_rows
                chrom, pos = self._keys(cols)
                if self._order is not None:
                    self._order.check(chrom, pos)
                if self.regions is not None:
                    cols, rows = self._in_regions(cols, chrom, pos)
                table, skipped = vcf_text.parse_records(
                    cols, self.n_records + 1, self._contig_names, self.info_format
                )
            except vcf_text.FieldError as e:
                row = e.row if rows is None else int(rows[e.row])
                record = self.n_records + row + 1
                where = "" if self._bcf is not None else f" (line {header_lines + record})"
                raise InputError(
                    f"{self.name}: record {record}{where}, field {e.field}: "
                    f"expected {e.expected}, got {e.got!r}"
                ) from None
            self.n_records += scanned
            for kind, n in skipped.items():
                self.n_skipped[kind] += n
            yield table

    def _keys(self, cols: pa.Table) -> tuple[pa.Array, np.ndarray]:
        """Harmonised CHROM and integer POS of every record of a chunk."""
        chrom = pc.dictionary_encode(vcf_text.column(cols, "chrom"))
        names = [self._contig_names.setdefault(c, vcf_text.harmonise_contig(c))
                 for c in chrom.dictionary.to_pylist()]  # fmt: skip
        harmonised = pa.DictionaryArray.from_arrays(chrom.indices, pa.array(names, pa.string()))
        pos = vcf_text.to_ints(vcf_text.column(cols, "pos"), np.arange(cols.num_rows), "POS",
                                expected="an integer")  # fmt: skip
        if pos.null_count:
            row = int(np.flatnonzero(pc.is_null(pos).to_numpy(zero_copy_only=False))[0])
            raise vcf_text.FieldError(row, "POS", "an integer", ".")
        return harmonised, pos.to_numpy(zero_copy_only=False)

    def _in_regions(
        self, cols: pa.Table, chrom: pa.DictionaryArray, pos: np.ndarray
    ) -> tuple[pa.Table, np.ndarray]:
        """The records of a chunk whose POS lies in the regions, and their row numbers."""
        assert self.regions is not None
        harmonised = chrom.dictionary.take(chrom.indices)
        rows = np.flatnonzero(self.regions.mask(harmonised, pos))
        return cols.take(pa.array(rows)), rows

    def batches(self) -> Iterator[pa.RecordBatch]:
        """Yield ``VARIANT_BATCH`` batches of up to ``batch_size`` rows: the first ones are
        smaller (from :data:`FIRST_BATCH_ROWS`, doubling), the last may be shorter."""
        pending: list[pa.Table] = []
        size, target = 0, min(FIRST_BATCH_ROWS, self.batch_size)
        for table in self._tables():
            pending.append(table)
            size += table.num_rows
            while size >= target:
                merged = pa.concat_tables(pending).combine_chunks()
                yield from merged.slice(0, target).to_batches(max_chunksize=target)
                pending, size = [merged.slice(target)], size - target
                target = min(2 * target, self.batch_size)
        if size:
            yield from (
                pa.concat_tables(pending).combine_chunks().to_batches(max_chunksize=self.batch_size)
            )
        log.debug("%s: %d records", self.name, self.n_records)
        if any(self.n_skipped.values()):
            counts = ", ".join(f"{n} {kind}" for kind, n in self.n_skipped.items() if n)
            log.warning("%s: skipped ALT alleles that cannot be ranked: %s", self.name, counts)

    def read_all(self) -> pa.Table:
        """Read every batch into one ``VARIANT_BATCH`` table (empty for a header-only file)."""
        batches = list(self.batches())
        return pa.Table.from_batches(batches) if batches else self.schema.empty_table()

    # ----- resources -----
    def close(self) -> None:
        """Close the input (stdin itself is left open)."""
        if self._text is not None:
            self._text.close()
        if self._stream is not None and self._stream is not sys.stdin.buffer:
            self._stream.close()
        if self._bcf is not None:
            self._bcf.close()
        if self._tmp is not None:
            self._tmp.close()

    def __enter__(self) -> VcfReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
