"""Property-based tests of the input parsers and two pure functions (hypothesis, derandomised).

Each property runs a fixed number of examples from a fixed seed (``derandomize=True``), so CI
is deterministic; a failure prints the smallest example found.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from varprio import pipeline
from varprio.annotate import trim_alleles
from varprio.contigs import harmonise
from varprio.errors import InputError, UnknownTermError
from varprio.inheritance import FIT_FACTOR, assess
from varprio.io.ped import Family, Relative
from varprio.io.phenotypes import PatientPhenotype, read_hpo_file, read_phenopacket
from varprio.io.vcf import VcfReader
from varprio.phenotype.ontology import Ontology
from varprio.schemas import VARIANT_BATCH

FUZZ = settings(
    max_examples=200,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
HEADER = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
BASES = st.text("ACGTacgt", min_size=1, max_size=4)


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    """A directory for the files each example writes (hypothesis rejects tmp_path)."""
    with tempfile.TemporaryDirectory() as d:
        yield Path(d)


@pytest.fixture(scope="module")
def ontology(tiny_kb: Path) -> Ontology:
    return pipeline.load_resources(tiny_kb, "pytest", "transparent").ontology


# ----- VCF records -----
@st.composite
def record(draw: st.DrawFn) -> dict[str, Any]:
    """One well-formed record and the rows the reader must return for it."""
    ref = draw(BASES)
    alts = draw(st.lists(BASES.filter(lambda a: a.upper() != ref.upper()), min_size=1,
                         max_size=3, unique_by=str.upper))  # fmt: skip
    ploidy = draw(st.integers(1, 3))
    alleles = draw(st.lists(st.integers(-1, len(alts)), min_size=ploidy, max_size=ploidy))
    gt = draw(st.sampled_from("/|")).join("." if a < 0 else str(a) for a in alleles)
    ad = draw(st.none() | st.lists(st.integers(0, 999), min_size=len(alts) + 1,
                                   max_size=len(alts) + 1))  # fmt: skip
    dp = draw(st.none() | st.integers(0, 99999))
    gq = draw(st.none() | st.integers(0, 99))
    fmt, values = ["GT"], [gt]
    for key, value in (("AD", ad), ("DP", dp), ("GQ", gq)):
        if value is not None or draw(st.booleans()):
            fmt.append(key)
            text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
            values.append("." if value is None else text)
    rows = []
    for i, alt in enumerate(alts, 1):
        missing = all(a < 0 for a in alleles)
        rows.append({
            "ref": ref.upper(), "alt": alt.upper(), "gt": gt,
            "alt_count": -1 if missing else sum(a == i for a in alleles),
            "ploidy": ploidy, "phased": "|" in gt,
            "ad_ref": None if ad is None else ad[0], "ad_alt": None if ad is None else ad[i],
            "dp": dp, "gq": gq,
        })  # fmt: skip
    return {"ref": ref, "alt": ",".join(alts), "format": ":".join(fmt),
            "sample": ":".join(values), "rows": rows}  # fmt: skip


@st.composite
def vcf_text(draw: st.DrawFn) -> tuple[str, list[dict[str, Any]]]:
    """A sorted VCF of random records and its expected rows."""
    recs = draw(st.lists(record(), min_size=1, max_size=12))
    contigs = draw(st.lists(st.sampled_from(["1", "chr2", "X", "MT", "GL000192.1"]),
                            min_size=1, max_size=3, unique=True))  # fmt: skip
    chroms = sorted(draw(st.lists(st.integers(0, len(contigs) - 1), min_size=len(recs),
                                  max_size=len(recs))))  # fmt: skip
    positions = draw(st.lists(st.integers(1, 10**8), min_size=len(recs), max_size=len(recs)))
    lines, expected = [], []
    for n, (rec, c) in enumerate(zip(recs, chroms, strict=True)):
        pos = sorted(p for p, cc in zip(positions, chroms, strict=True) if cc == c)
        p = pos[sum(1 for cc in chroms[:n] if cc == c)]
        lines.append("\t".join([contigs[c], str(p), ".", rec["ref"], rec["alt"], "50", "PASS",
                                ".", rec["format"], rec["sample"]]))  # fmt: skip
        for row in rec["rows"]:
            expected.append({"chrom": harmonise(contigs[c]), "pos": p, "record": n + 1, **row})
    return HEADER + "\n".join(lines) + "\n", expected


def read_vcf(scratch: Path, text: str) -> pa.Table:
    path = scratch / "fuzz.vcf"
    path.write_text(text)
    with VcfReader(str(path)) as reader:
        return reader.read_all()


@FUZZ
@given(case=vcf_text())
def test_well_formed_records_parse_exactly(scratch: Path, case: tuple[str, list]) -> None:
    text, expected = case
    table = read_vcf(scratch, text)
    got = table.select([c for c in expected[0]]).to_pylist()
    assert got == expected


@FUZZ
@given(case=vcf_text(), data=st.data())
def test_one_corrupt_field_is_a_clean_error_or_a_parse(scratch: Path, case: tuple[str, list],
                                                       data: st.DataObject) -> None:  # fmt: skip
    text, _ = case
    lines = text.split("\n")
    i = data.draw(st.integers(2, len(lines) - 2))
    fields = lines[i].split("\t")
    j = data.draw(st.integers(0, len(fields) - 1))
    fields[j] = data.draw(st.text(st.sampled_from("0123456789.,:/|-+eE<>*[]ACGTN \t;=x\r"),
                                  max_size=8))  # fmt: skip
    lines[i] = "\t".join(fields)
    try:
        table = read_vcf(scratch, "\n".join(lines))
    except InputError as e:
        assert "\n" not in str(e) and "fuzz.vcf" in str(e)
    else:
        assert table.schema.equals(VARIANT_BATCH)


# ----- phenotypes -----
HPO_LIKE = st.one_of(
    st.text(max_size=12),
    st.from_regex(r"HP:[0-9]{7}", fullmatch=True),
    st.sampled_from(["HP:0002279", "HP:0000057", "HP:0000003", "HP:0001250", " HP:0001250 "]),
    st.builds(lambda s: "HP:" + s, st.text(max_size=9)),
)


@FUZZ
@given(ids=st.lists(HPO_LIKE, max_size=4))
def test_normalise_gives_known_ids_or_unknown_term_error(ontology: Ontology, ids: list) -> None:
    try:
        out = ontology.normalise(ids, "--hpo")
    except UnknownTermError as e:
        assert "\n" not in str(e)
    else:
        assert all(t in ontology.index for t in out) and len(set(out)) == len(out)


@FUZZ
@given(text=st.text(max_size=80) | st.lists(HPO_LIKE).map("\n".join))
def test_hpo_file_gives_ids_or_input_error(scratch: Path, text: str) -> None:
    path = scratch / "terms.txt"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        ids = read_hpo_file(path)
    except InputError as e:
        assert str(path) in str(e)
    else:
        assert all(t.startswith("HP:") for t in ids)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=10,
)  # fmt: skip
FEATURE = st.fixed_dictionaries(
    {"type": JSON | st.fixed_dictionaries({"id": HPO_LIKE | JSON})},
    optional={"excluded": JSON | st.booleans()},
)
SUBJECT = st.fixed_dictionaries(
    {}, optional={"sex": st.sampled_from(["MALE", "FEMALE", "x"]) | JSON, "id": JSON}
)
PACKET = JSON | st.fixed_dictionaries(
    {},
    optional={
        "id": JSON,
        "phenotypicFeatures": JSON | st.lists(FEATURE | JSON, max_size=3),
        "subject": JSON | SUBJECT,
    },
)  # fmt: skip


@FUZZ
@given(doc=PACKET, suffix=st.sampled_from([".json", ".yaml"]))
def test_phenopacket_gives_patient_or_input_error(scratch: Path, doc: Any, suffix: str) -> None:
    path = scratch / f"packet{suffix}"
    path.write_text(json.dumps(doc))
    try:
        patient = read_phenopacket(path)
    except InputError as e:
        assert str(path) in str(e) and "\n" not in str(e)
    else:
        assert isinstance(patient, PatientPhenotype)
        assert all(isinstance(t, str) and t.startswith("HP:") for t in patient.observed)
        assert patient.sex in (None, "MALE", "FEMALE")


# ----- allele trimming -----
ALLELE = st.text("ACGT", min_size=1, max_size=8)


@FUZZ
@given(variants=st.lists(st.tuples(st.integers(1, 10**8), ALLELE, ALLELE).filter(
    lambda v: v[1] != v[2]), min_size=1, max_size=20))  # fmt: skip
def test_trim_alleles_invariants(variants: list[tuple[int, str, str]]) -> None:
    pos, ref, alt = (pa.array(c, t) for c, t in zip(zip(*variants, strict=True),
                                                     (pa.int32(), pa.string(), pa.string()),
                                                     strict=True))  # fmt: skip
    tp, tr, ta = trim_alleles(pos, ref, alt)
    again = trim_alleles(tp, tr, ta)
    assert [a.to_pylist() for a in again] == [a.to_pylist() for a in (tp, tr, ta)]  # idempotent
    for (p0, r0, a0), p, r, a in zip(variants, tp.to_pylist(), tr.to_pylist(), ta.to_pylist(),
                                     strict=True):  # fmt: skip
        d = p - p0
        assert r and a and r != a and d >= 0
        assert len(r0) - len(a0) == len(r) - len(a)  # the length change is kept
        assert r0[:d] == a0[:d] and r0[d : d + len(r)] == r and a0[d : d + len(a)] == a
        assert r0[d + len(r) :] == a0[d + len(a) :]  # only a shared suffix was dropped
        if len(r) > 1 and len(a) > 1:  # minimal: nothing shared left at either end
            assert r[0] != a[0] and r[-1] != a[-1]


# ----- genotype fit -----
MODES = st.lists(st.sampled_from(["AD", "AR", "XL", "XLR", "XLD", "MT", "??"]), max_size=3)
GENOTYPE = st.integers(-1, 2)


@FUZZ
@given(
    rows=st.lists(st.tuples(GENOTYPE, st.sampled_from(["chr1", "chrX", "chrM"]),
                            st.none() | MODES.map(";".join), st.booleans(),
                            st.sampled_from(["G1", "G2"]), GENOTYPE, GENOTYPE, GENOTYPE),
                  min_size=1, max_size=20),
    sex=st.sampled_from([None, "MALE", "FEMALE"]),
    with_family=st.booleans(),
)  # fmt: skip
def test_inheritance_labels(rows: list[tuple], sex: str | None, with_family: bool) -> None:
    """Any genotypes of a proband and a father, mother and unaffected sibling: valid labels,
    factors and words, and partners only among qualifying heterozygous rows of the gene."""
    n = len(rows)
    rel = np.array([r[5:] for r in rows], np.int8).ravel()
    table = pa.table({
        "chrom": [r[1] for r in rows], "pos": pa.array(range(1000, 1000 + n), pa.int32()),
        "ref": ["C"] * n, "alt": ["T"] * n, "alt_count": pa.array([r[0] for r in rows], pa.int8()),
        "ploidy": pa.array([2] * n, pa.int8()), "phased": [False] * n,
        "gt": ["0/1"] * n, "phase_set": pa.nulls(n, pa.int32()), "ad_ref": [10] * n,
        "ad_alt": [10] * n, "gq": [50] * n, "gene": [r[4] for r in rows],
        "gene_modes": pa.array([r[2] for r in rows], pa.string()),
        "rel_alt_count": pa.FixedSizeListArray.from_arrays(pa.array(rel), 3),
        **{c: pa.FixedSizeListArray.from_arrays(pa.array(np.full(3 * n, 20, np.int32)), 3)
           for c in ("rel_dp", "rel_gq", "rel_ad_alt")},
    })  # fmt: skip
    family = None
    if with_family:
        relatives = (Relative("dad", "father", "MALE", False),
                     Relative("mum", "mother", "FEMALE", False),
                     Relative("sib", "sibling", None, False))  # fmt: skip
        family = Family("f", "kid", sex, relatives)
    qualifying = np.array([r[3] for r in rows])
    fit = assess(table, qualifying, np.ones(n), sex, family)
    assert len(fit.label) == n and set(fit.label) <= set(FIT_FACTOR)
    assert fit.factor.tolist() == [FIT_FACTOR[x] for x in fit.label]
    assert all(isinstance(w, str) and w for w in fit.words)
    for i, (count, chrom, mode, qual, gene, *_) in enumerate(rows):
        if fit.partner[i] is not None:
            j = int(fit.partner[i].split(":")[1]) - 1000
            assert j != i and rows[j][4] == gene and rows[j][3] and rows[j][0] == 1
            assert qual and count == 1
        if count == 1 and mode == "AR" and chrom == "chr1" and not with_family:
            want = {"possible_compound_het", "compound_het"} if fit.partner[i] else {
                "het_in_recessive_gene"}  # fmt: skip
            assert fit.label[i] in want
