"""Patient phenotype inputs: --hpo values, --hpo-file, --exclude, Phenopacket JSON and YAML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from varprio.errors import InputError
from varprio.io.phenotypes import (
    PatientPhenotype,
    parse_hpo_values,
    read_hpo_file,
    read_patient_phenotype,
    read_phenopacket,
)

PACKET = {
    "id": "packet-1",
    "subject": {"id": "P1", "sex": "FEMALE"},
    "phenotypicFeatures": [
        {"type": {"id": "HP:0001250", "label": "Seizure"}},
        {"type": {"id": "HP:0001631"}, "excluded": True},
        {"type": {"id": "HP:0001249"}, "excluded": False},
    ],
}


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_hpo_values() -> None:
    assert parse_hpo_values(["HP:0000001, HP:0000002", "HP:0000003", ""]) == [
        "HP:0000001", "HP:0000002", "HP:0000003",
    ]  # fmt: skip


def test_hpo_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "p.txt", "# proband\nHP:0001250\tSeizure\n\n HP:0001249  # ID\n")
    assert read_hpo_file(path) == ["HP:0001250", "HP:0001249"]


def test_hpo_file_bad_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "p.txt", "HP:0001250\nSeizure\n")
    with pytest.raises(InputError, match=r"p.txt:2: 'Seizure': expected an HPO ID"):
        read_hpo_file(path)


def test_hpo_file_missing(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nope.txt: cannot read"):
        read_hpo_file(tmp_path / "nope.txt")


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_phenopacket(tmp_path: Path, suffix: str) -> None:
    import yaml

    text = json.dumps(PACKET) if suffix == ".json" else yaml.safe_dump(PACKET)
    patient = read_phenopacket(_write(tmp_path, "p" + suffix, text))
    assert patient == PatientPhenotype(["HP:0001250", "HP:0001249"], ["HP:0001631"], "FEMALE", "P1")


@pytest.mark.parametrize(
    ("packet", "message"),
    [
        ({"phenotypicFeatures": {"type": "x"}}, r"phenotypicFeatures: expected a list, got dict"),
        (
            {"phenotypicFeatures": [{"type": {"label": "x"}}]},
            r"phenotypicFeatures\[0\]\.type\.id: expected",
        ),
        (
            {"phenotypicFeatures": [{"type": "HP:1"}]},
            r"phenotypicFeatures\[0\]\.type: expected an object",
        ),
        (
            {"phenotypicFeatures": [{"type": {"id": "OMIM:1"}}]},
            r"phenotypicFeatures\[0\]\.type\.id: 'OMIM:1': expected an HPO ID",
        ),
        (
            {"phenotypicFeatures": [{"type": {"id": "HP:0000001"}, "excluded": "yes"}]},
            r"phenotypicFeatures\[0\]\.excluded: expected true/false",
        ),
        ({"subject": {"sex": "F"}}, r"subject.sex: 'F': expected one of"),
        ([1, 2], r"\$: expected a phenopacket object, got list"),
    ],
)
def test_phenopacket_wrong_schema(tmp_path: Path, packet: object, message: str) -> None:
    path = _write(tmp_path, "bad.json", json.dumps(packet))
    with pytest.raises(InputError, match=r"bad.json: " + message):
        read_phenopacket(path)


def test_phenopacket_malformed_json_and_yaml(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"bad.json:2: invalid JSON"):
        read_phenopacket(_write(tmp_path, "bad.json", '{"id": 1,\n "x": }'))
    with pytest.raises(InputError, match=r"bad.yml:\d+: invalid YAML"):
        read_phenopacket(_write(tmp_path, "bad.yml", "subject: [a\nb: {"))


def test_unknown_sex_is_none(tmp_path: Path) -> None:
    path = _write(tmp_path, "p.json", json.dumps({"subject": {"sex": "UNKNOWN_SEX"}}))
    assert read_phenopacket(path).sex is None


def test_combined_inputs(tmp_path: Path) -> None:
    hpo_file = _write(tmp_path, "p.txt", "HP:0000707\nHP:0001250\n")
    packet = _write(tmp_path, "p.json", json.dumps(PACKET))
    patient = read_patient_phenotype(["HP:0001250,HP:0002123"], hpo_file, ["HP:0000505"], packet)
    assert patient.observed == ["HP:0001250", "HP:0001249", "HP:0002123", "HP:0000707"]
    assert patient.excluded == ["HP:0001631", "HP:0000505"]
    assert patient.sex == "FEMALE" and patient.id == "P1"


def test_no_observed_term(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no observed HPO term"):
        read_patient_phenotype([], None, ["HP:0000505"], None)
    only_excluded = {"phenotypicFeatures": [{"type": {"id": "HP:0001631"}, "excluded": True}]}
    packet = _write(tmp_path, "p.json", json.dumps(only_excluded))
    with pytest.raises(InputError, match="no observed HPO term"):
        read_patient_phenotype([], None, [], packet)


def test_term_both_observed_and_excluded(tmp_path: Path) -> None:
    packet = _write(tmp_path, "p.json", json.dumps(PACKET))
    with pytest.raises(InputError, match="^HP:0001631: both observed and excluded"):
        read_patient_phenotype(["HP:0001631"], None, [], packet)
