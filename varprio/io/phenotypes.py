"""Patient phenotype input: ``--hpo`` values, ``--hpo-file``, ``--exclude`` and Phenopackets.

IDs are returned raw (stripped); normalising them (alt and obsolete IDs) needs the ontology:
see :meth:`varprio.phenotype.ontology.Ontology.normalise`.

``--hpo-file``: one ID per line, '#' starts a comment, blank lines are skipped, anything
after the ID and a tab is ignored, e.g.::

    # proband
    HP:0001250<TAB>Seizure
    HP:0001263

GA4GH Phenopacket v2 (JSON or YAML, chosen by the .yaml/.yml extension), the fields read::

    {"id": "P1", "subject": {"id": "P1", "sex": "FEMALE"},
     "phenotypicFeatures": [{"type": {"id": "HP:0001250", "label": "Seizure"}},
                            {"type": {"id": "HP:0001263"}, "excluded": true}]}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from varprio.errors import InputError

HPO_FILE_ID = 0  # column of the ID in a tab-separated --hpo-file line
SEXES = {"MALE": "MALE", "FEMALE": "FEMALE", "UNKNOWN_SEX": None, "OTHER_SEX": None}


@dataclass
class PatientPhenotype:
    """A patient's observed and excluded HPO term IDs (raw), sex and ID."""

    observed: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    sex: str | None = None  # "MALE", "FEMALE" or None
    id: str | None = None


def parse_hpo_values(values: list[str] | tuple[str, ...]) -> list[str]:
    """IDs of a repeatable comma-separated option: ``["HP:1,HP:2", "HP:3"]`` -> 3 IDs."""
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def read_hpo_file(path: str | Path) -> list[str]:
    """IDs of an HPO term file (one per line, '#' comments, optional tab + label).

    Raises
    ------
    InputError
        The file cannot be read, or a line has no ID of the form HP:nnnnnnn.
    """
    ids = []
    try:
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                text = line.split("#", 1)[0].strip()
                if not text:
                    continue
                term = text.split("\t")[HPO_FILE_ID].strip()
                if not term.startswith("HP:"):
                    raise InputError(f"{path}:{lineno}: {term!r}: expected an HPO ID HP:nnnnnnn")
                ids.append(term)
    except OSError as err:
        raise InputError(f"{path}: cannot read: {err.strerror}") from err
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: not UTF-8 text: expected one HPO ID per line") from err
    return ids


def _load_document(path: Path) -> Any:
    """Parsed JSON or YAML (by extension) document of a phenopacket file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"{path}: cannot read: {err.strerror}") from err
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: not UTF-8 text: expected a phenopacket") from err
    if path.suffix.lower() not in (".yaml", ".yml"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as err:
            raise InputError(f"{path}:{err.lineno}: invalid JSON: {err.msg}") from err
    import yaml  # (only for YAML phenopackets: 10 ms of start-up)

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise InputError(f"{where}: invalid YAML: {getattr(err, 'problem', err)}") from err


def _expect(value: Any, kind: type | tuple[type, ...], path: Path, where: str, what: str) -> Any:
    if not isinstance(value, kind):
        raise InputError(f"{path}: {where}: expected {what}, got {type(value).__name__}")
    return value


def read_phenopacket(path: str | Path) -> PatientPhenotype:
    """Observed/excluded terms, sex and ID of a GA4GH Phenopacket v2 (JSON or YAML).

    Raises
    ------
    InputError
        Unreadable or malformed file, or a field of the wrong type; the message names the
        file and the JSON path (e.g. ``phenotypicFeatures[2].type.id``).
    """
    path = Path(path)
    doc = _expect(_load_document(path), dict, path, "$", "a phenopacket object")
    features = _expect(
        doc.get("phenotypicFeatures", []), list, path, "phenotypicFeatures", "a list"
    )
    observed: list[str] = []
    excluded: list[str] = []
    for i, feature in enumerate(features):
        where = f"phenotypicFeatures[{i}]"
        _expect(feature, dict, path, where, "an object")
        term_type = _expect(feature.get("type"), dict, path, f"{where}.type", "an object")
        term = _expect(term_type.get("id"), str, path, f"{where}.type.id", "an HPO ID string")
        if not term.startswith("HP:"):
            raise InputError(f"{path}: {where}.type.id: {term!r}: expected an HPO ID HP:nnnnnnn")
        is_excluded = _expect(
            feature.get("excluded", False), bool, path, f"{where}.excluded", "true/false"
        )
        (excluded if is_excluded else observed).append(term.strip())
    subject = _expect(doc.get("subject", {}), dict, path, "subject", "an object")
    sex = subject.get("sex")
    if sex is not None and (not isinstance(sex, str) or sex not in SEXES):
        raise InputError(f"{path}: subject.sex: {sex!r}: expected one of {sorted(SEXES)}")
    pid = subject.get("id", doc.get("id"))
    if pid is not None:
        pid = str(pid)
    return PatientPhenotype(observed, excluded, None if sex is None else SEXES[sex], pid)


def read_patient_phenotype(
    hpo: list[str] | tuple[str, ...],
    hpo_file: str | None,
    exclude: list[str] | tuple[str, ...],
    phenopacket: str | None,
) -> PatientPhenotype:
    """Combine all phenotype inputs into one patient (raw IDs, duplicates dropped).

    Raises
    ------
    InputError
        An unreadable or malformed input, a term both observed and excluded, or no observed
        term at all.
    """
    patient = read_phenopacket(phenopacket) if phenopacket else PatientPhenotype()
    observed = patient.observed + parse_hpo_values(hpo)
    if hpo_file:
        observed += read_hpo_file(hpo_file)
    excluded = patient.excluded + parse_hpo_values(exclude)
    patient.observed = list(dict.fromkeys(observed))
    patient.excluded = list(dict.fromkeys(excluded))
    both = [t for t in patient.observed if t in set(patient.excluded)]
    if both:
        raise InputError(f"{both[0]}: both observed and excluded: expected one or the other")
    if not patient.observed:
        raise InputError(
            "no observed HPO term: expected --hpo, --hpo-file or a phenopacket with "
            "non-excluded phenotypicFeatures"
        )
    return patient
