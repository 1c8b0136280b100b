"""Plain-language wording of varprio's codes, for readers who are not bioinformaticians."""

from __future__ import annotations

from varprio.inheritance import MODE_NAMES

#: Sequence Ontology consequence -> (short name, what it means).
CONSEQUENCE: dict[str, tuple[str, str]] = {
    "transcript_ablation": ("gene deleted", "removes the whole gene"),
    "frameshift_variant": ("frameshift", "shifts the reading frame: the protein is cut short"),
    "stop_gained": ("stop gained", "creates an early stop: the protein is cut short"),
    "splice_acceptor_variant": ("splice acceptor", "breaks the splice site before an exon"),
    "splice_donor_variant": ("splice donor", "breaks the splice site after an exon"),
    "start_lost": ("start lost", "removes the start of the protein"),
    "stop_lost": ("stop lost", "removes the stop: the protein runs on"),
    "inframe_deletion": ("in-frame deletion", "removes amino acids without a frameshift"),
    "inframe_insertion": ("in-frame insertion", "adds amino acids without a frameshift"),
    "missense_variant": ("missense", "changes one amino acid"),
    "protein_altering_variant": ("protein altering", "changes the protein sequence"),
    "coding_sequence_variant": (
        "coding change",
        "changes a base in the protein-coding sequence (amino-acid effect not predicted)",
    ),
    "splice_region_variant": ("splice region", "near a splice site: may affect splicing"),
    "synonymous_variant": ("synonymous", "does not change the amino acid"),
    "5_prime_UTR_variant": ("5' UTR", "in the untranslated start of the transcript"),
    "3_prime_UTR_variant": ("3' UTR", "in the untranslated end of the transcript"),
    "non_coding_transcript_exon_variant": ("non-coding exon", "in an exon of a non-coding RNA"),
    "intron_variant": ("intronic", "inside an intron, away from splice sites"),
    "upstream_gene_variant": ("upstream", "just before the gene"),
    "downstream_gene_variant": ("downstream", "just after the gene"),
    "intergenic_variant": ("intergenic", "between genes"),
}

MODES = MODE_NAMES

#: Inheritance-fit label -> sentence.
FIT = {
    "compatible": "the genotype fits how the gene's diseases are inherited",
    "unknown_mode": "how the gene's diseases are inherited is not recorded",
    "possible_compound_het": (
        "two or more rare variants in a recessive gene: possibly one on each copy "
        "(compound heterozygous; phase not known)"
    ),
    "het_in_recessive_gene": (
        "one variant in a gene known for recessive disease, which needs both copies "
        "affected: a second variant may have been missed"
    ),
    "hom_in_dominant_gene": "homozygous in a gene known only for dominant disease",
    "het_female_x_recessive": "heterozygous female, X-linked recessive gene (usually a carrier)",
    "compound_het": "two variants in a recessive gene, one on each copy (in trans: shown by "
    "the parents' genotypes or by phasing)",
    "de_novo": "new in the patient: absent from both parents",
    "segregation_conflict": "the family's genotypes do not fit any way the gene's diseases are "
    "inherited (e.g. an unaffected parent carries it)",
}

#: Match kind of a patient feature against a disease -> sentence.
KIND = {
    "exact": "a listed feature of the disease",
    "implied": "the disease lists a more specific form of it",
    "ancestor": "the disease lists a broader form of it",
    "partial": "only a related feature is listed",
    "none": "not a feature of the disease",
    "not": "the disease is recorded as NOT having it",
    "present": "stated absent, but a feature of the disease: argues against it",
    "absent": "stated absent, and not a feature of the disease",
}

ZYGOSITY = {"heterozygous": "one copy", "homozygous": "both copies", "hemizygous": "one copy (X/Y)"}


def consequence(term: str | None) -> tuple[str, str]:
    """(short name, explanation) of a consequence term."""
    if not term:
        return ("unknown", "consequence not predicted")
    return CONSEQUENCE.get(term, (term.replace("_", " "), term.replace("_", " ")))


def modes(codes: str | None) -> str:
    """``AD;AR`` -> ``autosomal dominant or autosomal recessive``."""
    names = [MODES.get(c, c) for c in (codes or "").split(";") if c]
    return " or ".join(names) if names else "not recorded"


def prior(value: float) -> str:
    """How damaging a consequence prior is, in words."""
    if value >= 0.9:
        return "very likely to disrupt the gene"
    if value >= 0.6:
        return "may change the protein"
    if value >= 0.3:
        return "may affect splicing"
    return "unlikely to affect the protein"


def frequency(af: float | None, source: str | None, factor: float) -> str:
    """The population frequency (``source``: where it is highest) and its effect on the score."""
    if af is None:
        seen = "not found in the knowledge base's population data"
    else:
        seen = f"{af * 100:.2g}% of alleles in {source or 'the most frequent population'}"
    if factor >= 1.0:
        return f"{seen}: rare enough for a rare disease"
    if factor <= 0.0:
        return f"{seen}: too common to cause a rare disease"
    return f"{seen}: fairly common, so the score is reduced"


def clinvar(significance: str | None, stars: int | None) -> str:
    """``likely_pathogenic``, 2 -> ``ClinVar: likely pathogenic (2-star review)``."""
    text = (significance or "not in ClinVar").replace("_", " ")
    return f"ClinVar: {text}" + (f" ({stars}-star review)" if stars is not None else "")


def sex(value: str | None) -> str:
    """``MALE`` -> ``male``; None -> ``not given``."""
    return value.lower() if value else "not given"


#: Inheritance-fit label -> a few words for the candidates table.
FIT_SHORT = {
    "compatible": "fits",
    "unknown_mode": "mode unknown",
    "possible_compound_het": "2+ hits, recessive",
    "het_in_recessive_gene": "1 hit, recessive",
    "hom_in_dominant_gene": "homozygous, dominant",
    "het_female_x_recessive": "carrier? (X-linked)",
    "compound_het": "2 hits in trans",
    "de_novo": "de novo",
    "segregation_conflict": "family conflict",
}


def ordinal(n: int) -> str:
    """1 -> ``1st``, 22 -> ``22nd``, 1234 -> ``1,234th``."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix}"
