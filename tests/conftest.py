"""Shared test fixtures: paths, the tiny knowledge base, the default one and ../shared."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from varprio.kb.build import BuildInputs, build_kb
from varprio.kb.fetch import source_by_name
from varprio.kb.load import default_kb_path

ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = ROOT / "test_data"
SHARED = ROOT.parent / "shared"
#: Where ``make install`` (``varprio kb build``) keeps the registry packages it fetched.
REGISTRY_CACHE = Path.home() / ".cache" / "varprio"


def shared_path(relative: str) -> Path:
    """A file under ../shared, or skip the test saying it is absent."""
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"{path} absent: this test needs ../shared beside the checkout")
    return path


def registry_dir(name: str) -> Path:
    """The extracted registry package of source ``name``, or skip (run ``make install``)."""
    s = source_by_name(name)
    path = REGISTRY_CACHE / f"{s.package}-{s.version}"
    if not all((path / m).exists() for m in s.members):
        pytest.skip(f"{s.package}=={s.version} not in {REGISTRY_CACHE}: run 'make install' first")
    return path


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Derived indexes (varprio.kb.load.cache_dir) go to a temporary directory, not ~/.cache."""
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if old is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = old


@pytest.fixture(autouse=True)
def _reset_varprio_logger() -> Iterator[None]:
    """The CLI configures the ``varprio`` logger for a process; undo it so caplog sees logs."""
    yield
    logger = logging.getLogger("varprio")
    logger.handlers.clear()
    logger.propagate = True
    logger.setLevel(logging.NOTSET)


@pytest.fixture(scope="session")
def tiny_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A whole knowledge base built offline from the fixtures in test_data/ (see README)."""
    out = tmp_path_factory.mktemp("kb") / "tiny"
    inputs = BuildInputs(
        cache=out.parent / "cache",
        hpo_dir=TEST_DATA / "hpo",
        gtf=TEST_DATA / "kb" / "genes.gtf",
        hgnc=TEST_DATA / "kb" / "hgnc.txt",
        kgp_dir=TEST_DATA / "kb" / "peddy",
    )
    build_kb(out, inputs, "pytest tiny_kb")
    return out


def sources_inputs(cache: Path) -> BuildInputs:
    """``tiny_kb``'s inputs plus every optional source of test_data/sources/ (see README)."""
    from varprio.kb.optional import OptionalInputs

    src = TEST_DATA / "sources"
    optional = OptionalInputs(
        gnomad=(str(src / "gnomad.exomes.v4.1.sites.tiny.vcf.bgz"),
                str(src / "gnomad.genomes.v3.1.2.sites.tiny.vcf.bgz")),
        popvcf=(src / "cohort.json",),
        clinvar=src / "clinvar_20250105.tiny.vcf.gz",
        constraint=(src / "gnomad.v4.1.constraint_metrics.tiny.tsv.gz", src / "exac_pLI.tiny.txt"),
        scores=(f"revel={src / 'revel_grch38.tiny.tsv.gz'}",
                f"alphamissense={src / 'AlphaMissense_hg38.tiny.tsv.gz'}",
                f"cadd={src / 'whole_genome_SNVs.tiny.tsv.gz'}",
                f"spliceai={src / 'spliceai_scores.masked.snv.hg38.tiny.vcf.gz'}"),
    )  # fmt: skip
    kb = TEST_DATA / "kb"
    return BuildInputs(
        cache, TEST_DATA / "hpo", kb / "genes.gtf", kb / "hgnc.txt", kb / "peddy", optional
    )


@pytest.fixture(scope="session")
def sources_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny knowledge base with gnomAD, a cohort VCF, ClinVar, constraint and scores."""
    out = tmp_path_factory.mktemp("kb") / "sources"
    build_kb(out, sources_inputs(out.parent / "cache"), "pytest sources_kb")
    return out


@pytest.fixture(scope="session")
def default_kb() -> Path:
    """The installed default knowledge base, or skip (run ``make install``)."""
    path = default_kb_path()
    if not (path / "manifest.json").exists():
        pytest.skip(f"no default knowledge base in {path}: run 'make install' first")
    return path
