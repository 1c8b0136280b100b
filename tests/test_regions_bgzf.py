"""Regions of interest (merge, lookup, table round trip) and parallel BGZF decompression."""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pysam
import pytest

from varprio.io import bgzf
from varprio.io.bgzf import BgzfReader, is_bgzf
from varprio.regions import Regions


def test_regions_merge_pad_and_lookup() -> None:
    exons = pa.table({"chrom": ["chr1", "chr1", "chr1", "chr2"], "start": [100, 180, 1000, 5],
                      "end": [150, 200, 1100, 10]})  # fmt: skip
    r = Regions.from_exons(exons, pad=20)
    assert r.starts["chr1"].tolist() == [80, 980] and r.ends["chr1"].tolist() == [220, 1120]
    assert r.starts["chr2"].tolist() == [1]  # clipped at 1
    chrom = pa.array(["chr1", "chr1", "chr1", "chr2", "chr3", "chr1"])
    pos = np.array([79, 80, 220, 30, 100, 500])
    assert r.mask(chrom, pos).tolist() == [False, True, True, True, False, False]
    again = Regions.from_table(r.to_table())
    assert {c: a.tolist() for c, a in again.starts.items()} == {
        c: a.tolist() for c, a in r.starts.items()
    }
    assert r.size == (220 - 80 + 1) + (1120 - 980 + 1) + 30


@pytest.fixture(params=["default", "zlib"])
def inflater(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both inflaters: ISA-L when installed (varprio[fast]) and zlib, the fallback."""
    if request.param == "zlib":
        monkeypatch.setattr(bgzf, "_raw_inflate", zlib.decompress)
        monkeypatch.setattr(bgzf, "_INFLATE_ERRORS", (zlib.error,))
    return str(request.param)


def test_bgzf_reader_matches_gzip(tmp_path: Path, inflater: str) -> None:
    plain = tmp_path / "x.txt"
    rng = np.random.default_rng(0)
    plain.write_bytes(b"".join(b"line %d %s\n" % (i, rng.bytes(8).hex().encode())
                               for i in range(200_000)))  # fmt: skip
    bgz = tmp_path / "x.txt.gz"
    pysam.tabix_compress(str(plain), str(bgz))
    head = bgz.read_bytes()[:18]
    assert is_bgzf(head) and not is_bgzf(gzip.compress(b"x"))
    with open(bgz, "rb") as fh:
        reader = BgzfReader(fh)
        out = io.BufferedReader(reader).read()
        reader.close()
    assert out == plain.read_bytes() == gzip.decompress(bgz.read_bytes())


def test_bgzf_truncated(tmp_path: Path, inflater: str) -> None:
    plain = tmp_path / "x.txt"
    plain.write_bytes(b"abc\n" * 100_000)
    bgz = tmp_path / "x.txt.gz"
    pysam.tabix_compress(str(plain), str(bgz))
    data = bgz.read_bytes()
    with pytest.raises(EOFError):
        BgzfReader(io.BytesIO(data[: len(data) // 2])).read()
    corrupt = bytearray(data)
    corrupt[18] = 0xFF  # the first deflate block's type: 3, which does not exist
    with pytest.raises(EOFError, match="corrupt BGZF block"):
        BgzfReader(io.BytesIO(bytes(corrupt))).read()
