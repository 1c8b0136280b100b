"""HPO release (hp.obo, phenotype.hpoa, genes_to_phenotype.txt) -> knowledge-base tables.

The OBO file is parsed here, at build time only; the tables are laid out so that
:class:`varprio.phenotype.ontology.Ontology` and
:class:`varprio.phenotype.similarity.DiseaseModels` load them without parsing (integer term
and disease indices, CSR-style list columns, precomputed closure, IC and background).

Tables (term and disease columns are row indices into ``hpo_terms`` / ``hpo_diseases``):

``hpo_terms``            index, id, name, is_obsolete, replaced_by, consider (list), synonyms
                         (list), is_phenotype (in the HP:0000118 subtree), n_diseases, ic,
                         background (mean frequency of the term over diseases, 0 if unannotated)
``hpo_alt_ids``          alt_id, primary_id
``hpo_is_a``             child, parent
``hpo_ancestors``        term, ancestors (list of indices, the term itself included)
``hpo_diseases``         index, disease_id, name, inheritance (list of HPO IDs),
                         inheritance_modes (';'-joined abbreviations, e.g. "AD;AR"), onset (list)
``hpo_annotations``      disease, term, frequency, frequency_given, onset  (sorted by term, disease)
``hpo_not_annotations``  disease, term
``hpo_disease_closure``  term, disease, frequency: every phenotype term implied by a disease's
                         annotations (true-path rule) with the max frequency of the annotations
                         at or below it (sorted by term, disease)
``hpo_disease_genes``    disease, disease_id, gene_symbol, ncbi_gene_id

Frequencies: HPO frequency terms map to Obligate 1.0, Very frequent 0.9, Frequent 0.55,
Occasional 0.17, Very rare 0.025 (midpoints of their ranges), Excluded 0 (kept as a
NOT-annotation); ``n/m`` and ``NN%`` are taken literally; a missing frequency is 1.0 (as in
phenol/LIRICAL) with ``frequency_given = False``.  IC = -ln(n_diseases / N) over the N diseases
with at least one phenotype annotation; an unannotated term gets the IC of one disease, ln N.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from varprio.errors import InputError
from varprio.kb.sources.hpo_binary import HpoBinary
from varprio.kb.sources.hpo_update import BaseTerms, newer_additions

if TYPE_CHECKING:  # pandas is imported by the builders only: prioritize starts faster
    import pandas as pd

log = logging.getLogger(__name__)

OBO_FILE = "hp.obo"
HPOA_FILE = "phenotype.hpoa"
GENES_FILE = "genes_to_phenotype.txt"

ROOT_ID = "HP:0000001"
PHENOTYPE_ROOT_ID = "HP:0000118"
INHERITANCE_ROOT_ID = "HP:0000005"
HPO_ID_RE = re.compile(r"^HP:\d{7}$")

# phenotype.hpoa: '#' header lines, then a column header row, then e.g.
# OMIM:619340<TAB>Developmental and epileptic encephalopathy 96<TAB><TAB>HP:0011097<TAB>
#   PMID:31675180<TAB>PCS<TAB><TAB>1/2<TAB><TAB><TAB>P<TAB>HPO:probinson[2021-06-21]
HPOA_COLUMNS = [
    "database_id", "disease_name", "qualifier", "hpo_id", "reference", "evidence",
    "onset", "frequency", "sex", "modifier", "aspect", "biocuration",
]  # fmt: skip
HPOA_DISEASE_ID = 0
HPOA_DISEASE_NAME = 1
HPOA_QUALIFIER = 2
HPOA_HPO_ID = 3
HPOA_ONSET = 6
HPOA_FREQUENCY = 7
HPOA_ASPECT = 10

# genes_to_phenotype.txt: a column header row, then e.g.
# 16<TAB>AARS1<TAB>HP:0002460<TAB>Distal muscle weakness<TAB>15/15<TAB>OMIM:613287
GENES_COLUMNS = ["ncbi_gene_id", "gene_symbol", "hpo_id", "hpo_name", "frequency", "disease_id"]
GENES_NCBI_ID = 0
GENES_SYMBOL = 1
GENES_DISEASE_ID = 5

#: HPO frequency terms (HP:0040279 subtree) -> frequency used for scoring.
FREQUENCY_TERMS = {
    "HP:0040280": 1.0,  # Obligate (100 %)
    "HP:0040281": 0.9,  # Very frequent (80-99 %)
    "HP:0040282": 0.55,  # Frequent (30-79 %)
    "HP:0040283": 0.17,  # Occasional (5-29 %)
    "HP:0040284": 0.025,  # Very rare (1-4 %)
    "HP:0040285": 0.0,  # Excluded (0 %)
}
DEFAULT_FREQUENCY = 1.0

#: Names of the tables :func:`build_hpo_tables` returns.
TABLE_NAMES = (
    "hpo_terms", "hpo_alt_ids", "hpo_is_a", "hpo_ancestors", "hpo_diseases",
    "hpo_annotations", "hpo_not_annotations", "hpo_disease_closure", "hpo_disease_genes",
)  # fmt: skip

#: Mode-of-inheritance terms -> abbreviation; a disease term maps to its most specific one.
INHERITANCE_MODES = {
    "HP:0000006": "AD",
    "HP:0000007": "AR",
    "HP:0001417": "XL",
    "HP:0001419": "XLR",
    "HP:0001423": "XLD",
    "HP:0001427": "MT",
    "HP:0001450": "YL",
    "HP:0032113": "SD",  # semidominant
    "HP:0001426": "NM",  # non-Mendelian
    "HP:0010984": "DG",  # digenic
    "HP:0010982": "PG",  # polygenic
    "HP:0003745": "SP",  # sporadic
}

_FRACTION_RE = re.compile(r"^(\d+)/(\d+)$")
_PERCENT_RE = re.compile(r"^(\d+(?:\.\d+)?)%$")
_SYNONYM_RE = re.compile(r'^"((?:[^"\\]|\\.)*)"')


def read_obo(path: Path) -> tuple[str, list[dict[str, list[str]]]]:
    """Read the ``[Term]`` stanzas of an OBO file.

    Returns
    -------
    (data-version, stanzas) where each stanza maps a tag to its values in file order
    (``is_a`` values without the ``! comment``, ``synonym`` values without type/xrefs).
    """
    version = ""
    stanzas: list[dict[str, list[str]]] = []
    current: dict[str, list[str]] | None = None
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if line.startswith("["):
                current = {} if line == "[Term]" else None
                if current is not None:
                    stanzas.append(current)
                continue
            if not line or line.startswith("!") or ":" not in line:
                continue
            tag, _, value = line.partition(":")
            value = value.strip()
            if current is None:
                if tag == "data-version" and not stanzas:
                    version = value.rsplit("/", 1)[-1]
                continue
            if tag in ("is_a", "replaced_by", "consider", "alt_id"):
                value = value.split("!", 1)[0].strip()
            elif tag == "synonym":
                m = _SYNONYM_RE.match(value)
                if m is None:
                    raise InputError(f"{path}:{lineno}: synonym: expected a quoted label")
                value = m.group(1)
            current.setdefault(tag, []).append(value)
    if not stanzas:
        raise InputError(f"{path}: no [Term] stanza: expected an OBO ontology")
    return version, stanzas


def ancestor_closure(n: int, child: np.ndarray, parent: np.ndarray) -> list[list[int]]:
    """Ancestors (the term itself included, sorted) of each of ``n`` terms from is_a edges."""
    parents: list[list[int]] = [[] for _ in range(n)]
    for c, p in zip(child.tolist(), parent.tolist(), strict=True):
        parents[c].append(p)
    memo: list[frozenset[int] | None] = [None] * n

    def visit(start: int) -> None:
        stack = [start]
        while stack:
            t = stack[-1]
            pending = [p for p in parents[t] if memo[p] is None]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            if memo[t] is None:
                memo[t] = frozenset([t]).union(*(memo[p] or () for p in parents[t]))

    for t in range(n):
        if memo[t] is None:
            visit(t)
    return [sorted(s) for s in memo]  # type: ignore[arg-type]


def _term_tables(stanzas: list[dict[str, list[str]]]) -> dict[str, pa.Table]:
    """Terms, alt IDs, is_a edges and ancestor closure from OBO stanzas."""
    ids = [s["id"][0] for s in stanzas]
    index = {t: i for i, t in enumerate(ids)}
    child, parent, alt, primary = [], [], [], []
    for i, s in enumerate(stanzas):
        for p in s.get("is_a", []):
            if p in index:
                child.append(i)
                parent.append(index[p])
        for a in s.get("alt_id", []):
            alt.append(a)
            primary.append(ids[i])
    child_a = np.asarray(child, dtype=np.int32)
    parent_a = np.asarray(parent, dtype=np.int32)
    anc = ancestor_closure(len(ids), child_a, parent_a)
    pheno = index.get(PHENOTYPE_ROOT_ID, -1)
    terms = pa.table(
        {
            "index": pa.array(np.arange(len(ids), dtype=np.int32)),
            "id": ids,
            "name": [s.get("name", [""])[0] for s in stanzas],
            "is_obsolete": [s.get("is_obsolete", ["false"])[0] == "true" for s in stanzas],
            "replaced_by": [s.get("replaced_by", [None])[0] for s in stanzas],
            "consider": pa.array([s.get("consider", []) for s in stanzas], pa.list_(pa.string())),
            "synonyms": pa.array([s.get("synonym", []) for s in stanzas], pa.list_(pa.string())),
            "is_phenotype": [pheno in a for a in anc],
        }
    )
    return {
        "hpo_terms": terms,
        "hpo_alt_ids": pa.table({"alt_id": alt, "primary_id": primary}, schema=_ALT_SCHEMA),
        "hpo_is_a": pa.table({"child": child_a, "parent": parent_a}),
        "hpo_ancestors": pa.table(
            {
                "term": pa.array(np.arange(len(ids), dtype=np.int32)),
                "ancestors": pa.array(anc, pa.list_(pa.int32())),
            }
        ),
    }


_ALT_SCHEMA = pa.schema([("alt_id", pa.string()), ("primary_id", pa.string())])


def parse_frequency(text: str, where: str) -> float:
    """Frequency in [0, 1] of an HPO frequency term, ``n/m`` or ``NN%``; '' -> default."""
    if not text:
        return DEFAULT_FREQUENCY
    if text in FREQUENCY_TERMS:
        return FREQUENCY_TERMS[text]
    m = _FRACTION_RE.match(text)
    if m and int(m.group(2)) > 0 and int(m.group(1)) <= int(m.group(2)):
        return int(m.group(1)) / int(m.group(2))
    m = _PERCENT_RE.match(text)
    if m and float(m.group(1)) <= 100:
        return float(m.group(1)) / 100
    raise InputError(f"{where}: frequency {text!r}: expected an HPO frequency term, n/m or NN%")


def _read_tsv(path: Path, columns: list[str]) -> pd.DataFrame:
    """Read a tab-separated file whose first non-'#' line is the expected column header."""
    import pandas as pd

    if not path.is_file():
        raise InputError(f"{path}: file not found: expected it in the HPO directory")
    line = ""
    with open(path, encoding="utf-8") as fh:
        n_comments = 0
        for line in fh:
            if not line.startswith("#"):
                break
            n_comments += 1
    header = line.rstrip("\n").split("\t")
    if header != columns:
        raise InputError(
            f"{path}:{n_comments + 1}: column header {header[:6]}...: expected {columns}"
        )
    return pd.read_csv(
        path, sep="\t", skiprows=n_comments, dtype=str, keep_default_na=False, quoting=3
    )


def _primary_ids(ids: pd.Series, terms: pa.Table, alts: pa.Table) -> pd.Series:
    """Map term IDs (alt IDs included) to primary term indices; unknown IDs -> -1."""
    lookup = dict(zip(terms["id"].to_pylist(), range(terms.num_rows), strict=True))
    for a, p in zip(alts["alt_id"].to_pylist(), alts["primary_id"].to_pylist(), strict=True):
        lookup.setdefault(a, lookup[p])
    return ids.map(lookup).fillna(-1).astype(np.int64)


def _closure_pairs(
    disease: np.ndarray, term: np.ndarray, freq: np.ndarray, off: np.ndarray, anc: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expand (disease, term, frequency) to all ancestors; max frequency per (term, disease)."""
    lengths = off[term + 1] - off[term]
    starts = np.repeat(off[term], lengths)
    within = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    a = anc[starts + within].astype(np.int64)
    d = np.repeat(disease, lengths).astype(np.int64)
    f = np.repeat(freq, lengths)
    key = a * (int(disease.max(initial=0)) + 1) + d
    order = np.lexsort((-f, key))
    key, a, d, f = key[order], a[order], d[order], f[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    return a[first].astype(np.int32), d[first].astype(np.int32), f[first].astype(np.float32)


def _inheritance_modes(ids: list[str], anc_of: dict[str, set[str]]) -> str:
    """';'-joined sorted abbreviations of the most specific mode of each inheritance term."""
    modes = set()
    for t in ids:
        known = [m for m in anc_of.get(t, set()) if m in INHERITANCE_MODES]
        if known:
            best = max(known, key=lambda m: len(anc_of[m]))
            modes.add(INHERITANCE_MODES[best])
    return ";".join(sorted(modes))


def _annotation_tables(pheno: pd.DataFrame, tables: dict[str, pa.Table]) -> pd.DataFrame:
    """Add hpo_annotations (max frequency per disease-term) and hpo_not_annotations.

    Returns the positive annotations (columns disease, term, freq).
    """
    negated = (pheno["qualifier"] == "NOT") | (pheno["freq"] == 0)
    pos = pheno[~negated].sort_values("freq", ascending=False)
    pos = pos.drop_duplicates(["disease", "term"]).sort_values(["term", "disease"])
    neg = pheno[negated].drop_duplicates(["disease", "term"]).sort_values(["term", "disease"])
    tables["hpo_annotations"] = pa.table(
        {
            "disease": pa.array(pos["disease"].to_numpy(np.int32)),
            "term": pa.array(pos["term"].to_numpy(np.int32)),
            "frequency": pa.array(pos["freq"].to_numpy(np.float32)),
            "frequency_given": pa.array((pos["frequency"] != "").to_numpy()),
            "onset": pa.array(pos["onset"].replace("", None), pa.string()),
        }
    )
    tables["hpo_not_annotations"] = pa.table(
        {
            "disease": pa.array(neg["disease"].to_numpy(np.int32)),
            "term": pa.array(neg["term"].to_numpy(np.int32)),
        }
    )
    return pos


def _disease_tables(hpoa: pd.DataFrame, tables: dict[str, pa.Table], path: Path) -> None:
    """Add hpo_diseases, hpo_annotations, hpo_not_annotations and hpo_disease_closure."""
    terms, ancestors = tables["hpo_terms"], tables["hpo_ancestors"]
    tidx = _primary_ids(hpoa["hpo_id"], terms, tables["hpo_alt_ids"])
    unknown = int((tidx < 0).sum())
    if unknown:
        log.warning("%s: %d annotations of unknown HPO terms skipped", path, unknown)
    hpoa = hpoa.assign(term=tidx)[tidx >= 0]
    diseases = hpoa.drop_duplicates("database_id")[["database_id", "disease_name"]]
    didx = dict(zip(diseases["database_id"], range(len(diseases)), strict=True))
    hpoa = hpoa.assign(disease=hpoa["database_id"].map(didx))
    freq = [
        parse_frequency(f, f"{path}: {d} {t}")
        for f, d, t in zip(hpoa["frequency"], hpoa["database_id"], hpoa["hpo_id"], strict=True)
    ]
    hpoa = hpoa.assign(freq=np.asarray(freq, dtype=np.float32))
    is_pheno = terms["is_phenotype"].to_numpy(zero_copy_only=False)
    pos = _annotation_tables(
        hpoa[(hpoa["aspect"] == "P") & is_pheno[hpoa["term"].to_numpy()]], tables
    )
    col = ancestors["ancestors"].combine_chunks()
    off = col.offsets.to_numpy().astype(np.int64)
    anc = col.values.to_numpy()
    a, d, f = _closure_pairs(
        pos["disease"].to_numpy(np.int64), pos["term"].to_numpy(np.int64),
        pos["freq"].to_numpy(np.float32), off, anc,
    )  # fmt: skip
    keep = is_pheno[a]
    a, d, f = a[keep], d[keep], f[keep]
    tables["hpo_disease_closure"] = pa.table({"term": a, "disease": d, "frequency": f})
    _add_information_content(tables, a, f, n_diseases=len(np.unique(d)))
    ids = terms["id"].to_pylist()
    anc_of = {ids[i]: {ids[j] for j in anc[off[i] : off[i + 1]]} for i in range(len(ids))}
    tables["hpo_diseases"] = _disease_table(hpoa, diseases, anc_of)


def _disease_table(
    hpoa: pd.DataFrame, diseases: pd.DataFrame, anc_of: dict[str, set[str]]
) -> pa.Table:
    """One row per disease: ID, name, inheritance IDs and abbreviations, onset IDs."""
    inh = hpoa[hpoa["aspect"] == "I"].groupby("database_id")["hpo_id"].agg(lambda s: sorted(set(s)))
    ons = hpoa[hpoa["aspect"] == "C"].groupby("database_id")["hpo_id"].agg(lambda s: sorted(set(s)))
    inheritance = [inh.get(d, []) for d in diseases["database_id"]]
    return pa.table(
        {
            "index": pa.array(np.arange(len(diseases), dtype=np.int32)),
            "disease_id": diseases["database_id"].tolist(),
            "name": diseases["disease_name"].tolist(),
            "inheritance": pa.array(inheritance, pa.list_(pa.string())),
            "inheritance_modes": [_inheritance_modes(i, anc_of) for i in inheritance],
            "onset": pa.array(
                [ons.get(d, []) for d in diseases["database_id"]], pa.list_(pa.string())
            ),
        }
    )


def _add_information_content(
    tables: dict[str, pa.Table], term: np.ndarray, freq: np.ndarray, n_diseases: int
) -> None:
    """Add n_diseases, ic and background columns to hpo_terms from the disease closure."""
    terms = tables["hpo_terms"]
    n = terms.num_rows
    count = np.bincount(term, minlength=n)
    total = max(n_diseases, 1)
    ic = -np.log(np.maximum(count, 1) / total) + 0.0  # + 0.0: no -0.0
    background = np.bincount(term, weights=freq, minlength=n) / total
    terms = terms.append_column("n_diseases", pa.array(count.astype(np.int32)))
    terms = terms.append_column("ic", pa.array(ic.astype(np.float32)))
    tables["hpo_terms"] = terms.append_column("background", pa.array(background.astype(np.float32)))


def _gene_table(genes: pd.DataFrame, path: Path, diseases: pa.Table) -> pa.Table:
    """Distinct disease-gene links of genes_to_phenotype.txt for diseases in the hpoa."""
    links = genes[["disease_id", "gene_symbol", "ncbi_gene_id"]].drop_duplicates()
    didx = dict(zip(diseases["disease_id"].to_pylist(), range(diseases.num_rows), strict=True))
    d = links["disease_id"].map(didx)
    missing = int(d.isna().sum())
    if missing:
        log.warning("%s: %d disease-gene links of diseases not in %s", path, missing, HPOA_FILE)
    links = links.assign(disease=d)[d.notna()].sort_values(["disease", "gene_symbol"])
    bad = ~links["ncbi_gene_id"].str.fullmatch(r"\d+")
    if bad.any():
        raise InputError(
            f"{path}: ncbi_gene_id {links['ncbi_gene_id'][bad].iloc[0]!r}: expected an integer"
        )
    return pa.table(
        {
            "disease": pa.array(links["disease"].to_numpy(np.int32)),
            "disease_id": links["disease_id"].tolist(),
            "gene_symbol": links["gene_symbol"].tolist(),
            "ncbi_gene_id": pa.array(links["ncbi_gene_id"].astype(np.int64).to_numpy()),
        }
    )


def _base_terms(tables: dict[str, pa.Table]) -> BaseTerms:
    """The ontology's term IDs (primary and alternative) -> primary ID, each primary term's
    number of ancestors, and its phenotype.hpoa aspect (P under HP:0000118, I under
    HP:0000005, else C)."""
    ids = tables["hpo_terms"]["id"].to_pylist()
    ancestors = tables["hpo_ancestors"]["ancestors"].to_pylist()
    pheno, inheritance = ids.index(PHENOTYPE_ROOT_ID), ids.index(INHERITANCE_ROOT_ID)
    alt = tables["hpo_alt_ids"]
    primary = dict(zip(ids, ids, strict=True))
    primary.update(zip(alt["alt_id"].to_pylist(), alt["primary_id"].to_pylist(), strict=True))
    return BaseTerms(
        primary,
        {t: len(a) for t, a in zip(ids, ancestors, strict=True)},
        {t: "P" if pheno in a else "I" if inheritance in a else "C"
         for t, a in zip(ids, ancestors, strict=True)},
    )  # fmt: skip


def build_hpo_tables(
    hpo_dir: Path, newer: HpoBinary | None = None
) -> tuple[dict[str, pa.Table], dict]:
    """Build the HPO tables of the knowledge base from an HPO release directory.

    Parameters
    ----------
    hpo_dir
        Directory holding ``hp.obo``, ``phenotype.hpoa`` and ``genes_to_phenotype.txt``.
    newer
        A newer binary release whose diseases and gene annotations the release lacks are added
        (:mod:`varprio.kb.sources.hpo_update`).

    Returns
    -------
    (tables by name, source metadata such as ``{"version": "2025-01-16", ...}``)

    Raises
    ------
    InputError
        A missing file, or a file not in the expected format.
    """
    hpo_dir = Path(hpo_dir)
    obo = hpo_dir / OBO_FILE
    if not obo.is_file():
        raise InputError(f"{obo}: file not found: expected it in the HPO directory")
    version, stanzas = read_obo(obo)
    tables = _term_tables(stanzas)
    for root in (ROOT_ID, PHENOTYPE_ROOT_ID, INHERITANCE_ROOT_ID):
        if root not in set(tables["hpo_terms"]["id"].to_pylist()):
            raise InputError(f"{obo}: term {root} missing: expected an HPO release")
    hpoa = _read_tsv(hpo_dir / HPOA_FILE, HPOA_COLUMNS)
    genes = _read_tsv(hpo_dir / GENES_FILE, GENES_COLUMNS)
    added: dict[str, int | str] = {}
    if newer is not None:
        import pandas as pd

        more = newer_additions(newer, hpoa, genes, _base_terms(tables))
        added = more.counts
        hpoa = pd.concat([hpoa, more.hpoa], ignore_index=True)
        genes = pd.concat([genes, more.links], ignore_index=True)
        alt = tables["hpo_alt_ids"]  # a newer term resolves like an alternative ID
        newer_ids = {"alt_id": [a for a, _ in more.alt_ids],
                     "primary_id": [p for _, p in more.alt_ids]}  # fmt: skip
        tables["hpo_alt_ids"] = pa.concat_tables([alt, pa.table(newer_ids, schema=alt.schema)])
    _disease_tables(hpoa, tables, hpo_dir / HPOA_FILE)
    tables["hpo_disease_genes"] = _gene_table(genes, hpo_dir / GENES_FILE, tables["hpo_diseases"])
    meta = {
        "version": version,
        **({"added_from": added} if added else {}),
        "files": [OBO_FILE, HPOA_FILE, GENES_FILE],
        "n_terms": tables["hpo_terms"].num_rows,
        "n_diseases": tables["hpo_diseases"].num_rows,
        "n_annotations": tables["hpo_annotations"].num_rows,
        "n_genes": len(set(tables["hpo_disease_genes"]["gene_symbol"].to_pylist())),
    }
    return tables, meta
