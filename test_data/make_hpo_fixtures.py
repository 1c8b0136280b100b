"""Write the tiny HPO release under ``test_data/hpo/`` used by the phenotype tests.

Run ``python test_data/make_hpo_fixtures.py``; it (re)writes ``hp.obo``, ``phenotype.hpoa``
and ``genes_to_phenotype.txt`` in the real formats.  The test ontology (19 terms)::

    HP:0000001 All
    ├── HP:0000005 Mode of inheritance
    │   ├── HP:0000006 Autosomal dominant inheritance
    │   └── HP:0000007 Autosomal recessive inheritance
    ├── HP:0003674 Onset
    │   └── HP:0003577 Congenital onset
    └── HP:0000118 Phenotypic abnormality
        ├── HP:0000707 Abnormality of the nervous system
        │   ├── HP:0001250 Seizure                      (alt_id HP:0002279)
        │   │   └── HP:0002123 Generalized myoclonic seizure
        │   └── HP:0001249 Intellectual disability
        │       └── HP:0001256 Intellectual disability, mild
        ├── HP:0001626 Abnormality of the cardiovascular system
        │   ├── HP:0001631 Atrial septal defect
        │   └── HP:0001629 Ventricular septal defect
        └── HP:0000478 Abnormality of the eye
            └── HP:0000505 Visual impairment
    HP:0000057 obsolete Clitoromegaly               replaced_by HP:0001631
    HP:0000003 obsolete Multicystic kidney dysplasia consider HP:0001249, HP:0001250

Diseases (phenotype.hpoa) and genes (genes_to_phenotype.txt)::

    OMIM:100001 Epilepsy syndrome A   AD  Seizure 0.9 (HP:0040281), ID 1/2,
                                          NOT Atrial septal defect; onset congenital   GENEA
    OMIM:100002 Heart syndrome B      AR  ASD 1.0 (HP:0040280), VSD 25%               GENEB
    OMIM:100003 Myoclonic disorder C  AD;AR  Generalized myoclonic seizure (no frequency
                                          -> 1.0), ID mild 0.17 (HP:0040283),
                                          Visual impairment Excluded (HP:0040285) -> NOT  GENEC
    ORPHA:100004 Eye disease D        -   Visual impairment 3/3, Seizure 1/4 (given by
                                          its alt ID HP:0002279)                GENEC, GENED
    OMIM:999999 (only in genes_to_phenotype.txt: dropped with a warning)        GENEX

IC over the 4 diseases: Phenotypic abnormality 0, nervous system and Seizure ln(4/3),
Intellectual disability ln 2, every other annotated term ln 4.
"""

from __future__ import annotations

from pathlib import Path

OUT = Path(__file__).resolve().parent / "hpo"

TERMS = [
    # id, name, parents, extra lines
    ("HP:0000001", "All", [], []),
    ("HP:0000003", "obsolete Multicystic kidney dysplasia", [],
     ["is_obsolete: true", "consider: HP:0001249", "consider: HP:0001250"]),
    ("HP:0000005", "Mode of inheritance", ["HP:0000001"], []),
    ("HP:0000006", "Autosomal dominant inheritance", ["HP:0000005"], []),
    ("HP:0000007", "Autosomal recessive inheritance", ["HP:0000005"], []),
    ("HP:0000057", "obsolete Clitoromegaly", [], ["is_obsolete: true", "replaced_by: HP:0001631"]),
    ("HP:0000118", "Phenotypic abnormality", ["HP:0000001"], []),
    ("HP:0000478", "Abnormality of the eye", ["HP:0000118"], []),
    ("HP:0000505", "Visual impairment", ["HP:0000478"],
     ['synonym: "Impaired vision" EXACT layperson []']),
    ("HP:0000707", "Abnormality of the nervous system", ["HP:0000118"], []),
    ("HP:0001249", "Intellectual disability", ["HP:0000707"],
     ['synonym: "Mental retardation" EXACT []']),
    ("HP:0001250", "Seizure", ["HP:0000707"], ["alt_id: HP:0002279"]),
    ("HP:0001256", "Intellectual disability, mild", ["HP:0001249"], []),
    ("HP:0001626", "Abnormality of the cardiovascular system", ["HP:0000118"], []),
    ("HP:0001629", "Ventricular septal defect", ["HP:0001626"], []),
    ("HP:0001631", "Atrial septal defect", ["HP:0001626"], []),
    ("HP:0002123", "Generalized myoclonic seizure", ["HP:0001250"], []),
    ("HP:0003577", "Congenital onset", ["HP:0003674"], []),
    ("HP:0003674", "Onset", ["HP:0000001"], []),
]  # fmt: skip

NAMES = {t[0]: t[1] for t in TERMS}

HPOA_HEADER = [
    '#description: "HPO annotations for rare diseases [3: OMIM; 0: DECIPHER; 1 ORPHANET]"',
    "#version: 2025-01-16",
    "#tracker: https://github.com/obophenotype/human-phenotype-ontology/issues",
    "#hpo-version: http://purl.obolibrary.org/obo/hp/releases/2025-01-16/hp.json",
    "database_id\tdisease_name\tqualifier\thpo_id\treference\tevidence\tonset\tfrequency"
    "\tsex\tmodifier\taspect\tbiocuration",
]

ANNOTATIONS = [
    # disease, name, qualifier, hpo_id, onset, frequency, aspect
    ("OMIM:100001", "Epilepsy syndrome A", "", "HP:0001250", "HP:0003577", "HP:0040281", "P"),
    ("OMIM:100001", "Epilepsy syndrome A", "", "HP:0001249", "", "1/2", "P"),
    ("OMIM:100001", "Epilepsy syndrome A", "NOT", "HP:0001631", "", "", "P"),
    ("OMIM:100001", "Epilepsy syndrome A", "", "HP:0000006", "", "", "I"),
    ("OMIM:100001", "Epilepsy syndrome A", "", "HP:0003577", "", "", "C"),
    ("OMIM:100002", "Heart syndrome B", "", "HP:0001631", "", "HP:0040280", "P"),
    ("OMIM:100002", "Heart syndrome B", "", "HP:0001629", "", "25%", "P"),
    ("OMIM:100002", "Heart syndrome B", "", "HP:0000007", "", "", "I"),
    ("OMIM:100003", "Myoclonic disorder C", "", "HP:0002123", "", "", "P"),
    ("OMIM:100003", "Myoclonic disorder C", "", "HP:0001256", "", "HP:0040283", "P"),
    ("OMIM:100003", "Myoclonic disorder C", "", "HP:0000505", "", "HP:0040285", "P"),
    ("OMIM:100003", "Myoclonic disorder C", "", "HP:0000006", "", "", "I"),
    ("OMIM:100003", "Myoclonic disorder C", "", "HP:0000007", "", "", "I"),
    ("ORPHA:100004", "Eye disease D", "", "HP:0000505", "", "3/3", "P"),
    ("ORPHA:100004", "Eye disease D", "", "HP:0002279", "", "1/4", "P"),
]

GENES = [
    # ncbi_gene_id, gene_symbol, hpo_id, frequency, disease_id
    ("1001", "GENEA", "HP:0001250", "HP:0040281", "OMIM:100001"),
    ("1001", "GENEA", "HP:0001249", "1/2", "OMIM:100001"),
    ("1002", "GENEB", "HP:0001631", "HP:0040280", "OMIM:100002"),
    ("1003", "GENEC", "HP:0002123", "-", "OMIM:100003"),
    ("1003", "GENEC", "HP:0000505", "3/3", "ORPHA:100004"),
    ("1004", "GENED", "HP:0000505", "3/3", "ORPHA:100004"),
    ("1005", "GENEX", "HP:0001250", "-", "OMIM:999999"),
]


def obo_text() -> str:
    """The hp.obo of the test ontology."""
    lines = ["format-version: 1.2", "data-version: hp/releases/2025-01-16", "ontology: hp.obo", ""]
    for term_id, name, parents, extra in TERMS:
        lines += ["[Term]", f"id: {term_id}", f"name: {name}"]
        lines += [line for line in extra if line.startswith(("alt_id", "synonym"))]
        lines += [f"is_a: {p} ! {NAMES[p]}" for p in parents]
        lines += [line for line in extra if not line.startswith(("alt_id", "synonym"))]
        lines.append("")
    lines += ["[Typedef]", "id: part_of", "name: part of", ""]
    return "\n".join(lines)


def hpoa_text() -> str:
    """The phenotype.hpoa of the test diseases."""
    rows = [
        "\t".join([d, n, q, t, "PMID:1", "PCS", o, f, "", "", a, "HPO:test[2025-01-01]"])
        for d, n, q, t, o, f, a in ANNOTATIONS
    ]
    return "\n".join(HPOA_HEADER + rows) + "\n"


def genes_text() -> str:
    """The genes_to_phenotype.txt of the test genes."""
    head = "ncbi_gene_id\tgene_symbol\thpo_id\thpo_name\tfrequency\tdisease_id"
    rows = ["\t".join([n, g, t, NAMES.get(t, "Seizure"), f, d]) for n, g, t, f, d in GENES]
    return "\n".join([head, *rows]) + "\n"


def main() -> None:
    """Write the three files."""
    OUT.mkdir(exist_ok=True)
    (OUT / "hp.obo").write_text(obo_text(), encoding="utf-8")
    (OUT / "phenotype.hpoa").write_text(hpoa_text(), encoding="utf-8")
    (OUT / "genes_to_phenotype.txt").write_text(genes_text(), encoding="utf-8")


if __name__ == "__main__":
    main()
