"""PED (pedigree) files and the family of one proband.

The standard 6-column PED format (PLINK/peddy/slivar), whitespace-separated, ``#`` comments::

    #family  individual  father  mother  sex  phenotype
    fam1     kid         dad     mum     1    2
    fam1     dad         0       0       1    1
    fam1     mum         0       0       2    1

Sex: 1 male, 2 female, anything else unknown.  Phenotype: 2 affected, 1 unaffected, 0 or -9
unknown.  A parent ID of ``0`` means unknown; a parent that has no line of its own is allowed
(it simply has no genotypes).  Columns after the sixth are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from varprio.errors import InputError, UsageError

_SEX = {"1": "MALE", "2": "FEMALE"}
_AFFECTED = {"2": True, "1": False, "0": None, "-9": None}
UNKNOWN_PARENT = ("0", "", ".")
#: Words for an affected status, in messages and reports.
STATUS = {True: "affected", False: "unaffected", None: "status unknown"}


@dataclass(frozen=True)
class Individual:
    """One PED line."""

    family: str
    id: str
    father: str | None
    mother: str | None
    sex: str | None  # "MALE", "FEMALE" or None
    affected: bool | None


@dataclass(frozen=True)
class Relative:
    """A genotyped family member of the proband, as the inheritance checks see them."""

    id: str
    role: str  # "father", "mother", "sibling" (shares a parent) or "relative"
    sex: str | None
    affected: bool | None


@dataclass(frozen=True)
class Family:
    """The proband (affected, genotyped) and their genotyped relatives, in VCF column order."""

    id: str
    proband: str
    sex: str | None
    relatives: tuple[Relative, ...]

    @property
    def samples(self) -> list[str]:
        """VCF sample names of the relatives (the proband excluded)."""
        return [r.id for r in self.relatives]

    def index(self, role: str) -> int | None:
        """Position of the father or mother among the relatives, or None."""
        return next((i for i, r in enumerate(self.relatives) if r.role == role), None)


def read_ped(path: str | Path) -> dict[str, Individual]:
    """Individuals of a PED file by ID (file order).

    Raises
    ------
    InputError
        A line with fewer than 6 columns, a duplicate individual, a parent that is the
        individual itself, or a father recorded as female (a mother as male).
    """
    people: dict[str, Individual] = {}
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InputError(f"{path}: cannot read the PED file ({reason})") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cols = line.split()
        where = f"{path}: line {n}"
        if len(cols) < 6:
            raise InputError(
                f"{where}: {len(cols)} columns; expected 6 (family, individual, father, "
                "mother, sex, phenotype)"
            )
        fam, iid, father, mother, sex, pheno = cols[:6]
        if iid in people:
            raise InputError(f"{where}: individual {iid} appears twice; expected unique IDs")
        if iid in (father, mother):
            raise InputError(f"{where}: individual {iid} is their own parent")
        people[iid] = Individual(
            fam,
            iid,
            None if father in UNKNOWN_PARENT else father,
            None if mother in UNKNOWN_PARENT else mother,
            _SEX.get(sex),
            _AFFECTED.get(pheno),
        )
    if not people:
        raise InputError(f"{path}: no individuals; expected 6-column PED lines")
    for person in people.values():
        for parent, wrong in ((person.father, "FEMALE"), (person.mother, "MALE")):
            if parent in people and people[parent].sex == wrong:
                role = "father" if parent == person.father else "mother"
                raise InputError(
                    f"{path}: {parent} is {person.id}'s {role} but has sex {wrong.lower()}"
                )
    return people


def _role(person: Individual, proband: Individual) -> str:
    if person.id == proband.father:
        return "father"
    if person.id == proband.mother:
        return "mother"
    shared = {proband.father, proband.mother} - {None}
    return "sibling" if shared & {person.father, person.mother} else "relative"


def choose_proband(
    people: dict[str, Individual], samples: list[str], ped: str, sample: str | None = None
) -> Individual:
    """The proband: ``sample`` when given, else the one affected genotyped member (preferring
    one whose parents are genotyped); refuses when several families have affected members."""
    if sample is not None:
        if sample not in people:
            raise InputError(f"{ped}: sample {sample} has no line in the PED file")
        return people[sample]
    affected = [p for p in people.values() if p.affected and p.id in samples]
    if not affected:
        raise InputError(
            f"{ped}: no affected individual (phenotype 2) among the VCF samples; "
            "choose the proband with --sample"
        )
    families = sorted({p.family for p in affected})
    if len(families) > 1:
        raise UsageError(
            f"{ped}: affected individuals in {len(families)} families ({', '.join(families)}); "
            "choose the proband with --sample, or run each family with varprio batch"
        )

    def genotyped_parents(p: Individual) -> int:
        return sum(q in samples for q in (p.father, p.mother) if q)

    return max(affected, key=genotyped_parents)  # first in file order among equals


def family_of(
    people: dict[str, Individual], samples: list[str], ped: str, sample: str | None = None
) -> Family:
    """The proband's family: members of the proband's PED family present in the VCF."""
    proband = choose_proband(people, samples, ped, sample)
    if proband.id not in samples:
        raise InputError(f"{ped}: proband {proband.id} is not a sample of the VCF")
    relatives = tuple(
        Relative(s, _role(people[s], proband), people[s].sex, people[s].affected)
        for s in samples
        if s != proband.id and s in people and people[s].family == proband.family
    )
    return Family(proband.family, proband.id, proband.sex, relatives)
