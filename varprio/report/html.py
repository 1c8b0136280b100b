"""``PREFIX.html``: one self-contained page for a genetic counsellor.

The case, the top candidates as a sortable, filterable table, and for each of the best ones
its evidence in plain words: the variant, the score's four factors and every patient feature
against the gene's best disease as LIRICAL-style bars (log10 likelihood ratio per feature).
No external request of any kind (inline CSS and JS, system fonts); print CSS for A4.  Every
string that comes from the input or the knowledge base is HTML-escaped here.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import pyarrow.compute as pc

from varprio import __version__, model
from varprio.io.ped import STATUS, Family
from varprio.report import words
from varprio.report.explain import CaseReport, GeneEvidence, TermEvidence, fit_factor
from varprio.report.html_assets import CSS, JS

Row = dict[str, Any]
#: Genes in the candidates table, and genes with an evidence card.
TABLE_TOP, CARDS_TOP = 30, 10
MAX_VARIANTS_PER_CARD = 5


def e(value: object) -> str:
    """HTML-escaped text of ``value`` (None: empty)."""
    return "" if value is None else escape(str(value), quote=True)


def _num(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}g}"


def _allele(seq: str) -> str:
    return seq if len(seq) <= 10 else f"{seq[:7]}…({len(seq)} bp)"


def _family(family: Family | None) -> str:
    """The Patient section's family line (empty without a PED)."""
    if family is None:
        return ""
    members = ", ".join(f"{r.id} ({r.role}, {STATUS[r.affected]})" for r in family.relatives)
    return f"<dt>Family</dt><dd>{e(family.id)}: {e(members or 'no relative genotyped')}</dd>\n"


def _variant(row: dict[str, Any]) -> str:
    return f"{row['chrom']}:{row['pos']:,} {_allele(row['ref'])}>{_allele(row['alt'])}"


def _from_gene(gene: Row) -> Row:
    """A stand-in for a gene's best variant cut off by ``--top``: what the gene row says."""
    chrom, pos, ref, alt = gene["top_variant"].rsplit("-", 3)
    return {
        "chrom": chrom, "pos": int(pos), "ref": ref, "alt": alt, "cut": True,
        "consequence": gene["top_consequence"], "genotype": gene["top_genotype"],
        "zygosity": None, "kgp_af_grpmax": None, "genotype_fit": gene["genotype_fit"],
    }  # fmt: skip


#: Population frequency columns and how to name the population whose frequency is highest.
_SOURCES = (
    ("gnomad_grpmax_af", "gnomad_grpmax", "gnomAD"),
    ("gnomad_faf95_max", None, "gnomAD (filtering AF)"),
    ("kgp_af_grpmax", "kgp_grpmax", "1000 Genomes"),
)


def frequency(v: Row) -> tuple[float | None, str | None]:
    """The frequency the score used (``max_pop_af``, else ``kgp_af_grpmax``) and its source."""
    af = v.get("max_pop_af") if "max_pop_af" in v else v.get("kgp_af_grpmax")
    if af is None:
        return None, None
    for col, pop, name in _SOURCES:
        x = v.get(col)
        if x is not None and abs(x - af) <= 1e-6 * max(abs(af), 1e-12):
            return af, f"{name} {v.get(pop) or ''}".rstrip() if pop else name
    return af, None


def _top_rows(report: CaseReport, n: int) -> tuple[list[Row], dict[str, list[Row]]]:
    """The n best genes, and the variants of each (best first)."""
    genes = report.genes.slice(0, n).to_pylist()
    variants = report.result.variants
    top = report.genes["gene"].slice(0, n).combine_chunks()
    by_gene: dict[str, list[Row]] = {}
    for row in variants.filter(pc.is_in(variants["gene"], value_set=top)).to_pylist():
        by_gene.setdefault(row["gene"], []).append(row)
    for gene in genes:  # --top cuts variants and genes separately
        by_gene.setdefault(gene["gene"], [_from_gene(gene)])
    return genes, by_gene


def _terms_list(terms: list[str], report: CaseReport) -> str:
    if not terms:
        return "<p>none given</p>"
    items = "".join(
        f'<li>{e(report.label(t) or "unknown term")} <span class="id">{e(t)}</span></li>'
        for t in terms
    )
    return f'<ul class="terms">{items}</ul>'


def _case(report: CaseReport) -> str:
    res, patient = report.result, report.result.patient
    return f"""<section class="case"><div><h2>Patient</h2><dl>
<dt>Sample</dt><dd>{e(patient.sample)}</dd>
{f"<dt>Case</dt><dd>{e(report.case_id)}</dd>" if report.case_id else ""}
<dt>Sex</dt><dd>{e(words.sex(patient.sex))}</dd>
{_family(patient.family)}<dt>Ranked</dt>
<dd>{res.variants.num_rows:,} variant rows in {res.genes.num_rows:,} genes</dd>
</dl></div>
<div><h2>Features (HPO terms)</h2><h4>Observed</h4>{_terms_list(patient.observed, report)}
<h4>Stated absent</h4>{_terms_list(patient.excluded, report)}</div></section>"""


_INTRO = """<div class="note"><b>How to read this report.</b><ul>
<li>Each gene is ranked by its best variant. The score multiplies four factors: the
variant's likely effect on the gene, how rare it is, whether the genotype fits how the gene's
diseases are inherited, and how well the gene's diseases match the patient's features.</li>
<li>The evidence below shows, feature by feature, why a gene's disease matches or not.</li>
<li>This is a research aid that suggests where to look first. It is not a diagnosis:
candidates need review by a clinical scientist and confirmation.</li></ul></div>"""


def _matched_cell(ev: GeneEvidence | None) -> tuple[str, str]:
    if ev is None:
        return "–", "-1"
    observed = [t for t in ev.terms if t.status == "observed"]
    n = sum(t.matched for t in observed)
    return f"{n} of {len(observed)}", f"{n}"


def _probability_cell(gene: Row) -> str:
    p = gene.get("probability")
    text = "–" if p is None else f"{p * 100:.2g}%"
    return f'<td class="num" data-sort="{-1 if p is None else p}">{text}</td>'


def _hgvs(variant: Row) -> str:
    """The variant's HGVS c./p. under it (knowledge base with a FASTA, or the VCF's VEP/SnpEff
    annotation), or nothing."""
    names = [variant.get("hgvs_c"), variant.get("hgvs_p")]
    text = " ".join(str(n) for n in names if n)
    return f'<br><span class="id">{e(text)}</span>' if text else ""


def _candidate_row(
    gene: Row, variant: Row, report: CaseReport, card: bool, probability: bool
) -> str:
    ev = report.evidence.get(gene["gene"])
    name = e(gene["gene"])
    link = f'<a href="#g{gene["rank"]}">{name}</a>' if card else name
    short, long = words.consequence(variant["consequence"])
    af, _ = frequency(variant)
    freq = "–" if variant.get("cut") else "not seen" if af is None else f"{af * 100:.2g}%"
    matched, matched_sort = _matched_cell(ev)
    disease = gene["best_disease_name"] or ""
    fit = variant["genotype_fit"] or ""
    return (
        f'<tr><td class="num">{gene["rank"]}</td><td>{link}</td>'
        f"<td><code>{e(_variant(variant))}</code>{_hgvs(variant)}</td>"
        f"<td>{e(variant['zygosity'])}</td>"
        f'<td title="{e(long)}">{e(short)}</td>'
        f'<td class="num" data-sort="{-1 if af is None else af}">{e(freq)}</td>'
        f'<td title="{e(words.FIT.get(fit, fit))}">{e(words.FIT_SHORT.get(fit, fit))}</td>'
        f'<td>{e(disease)} <span class="id">{e(gene["best_disease"] or "none known")}</span></td>'
        f'<td class="num" data-sort="{matched_sort}">{matched}</td>'
        f'<td class="num" data-sort="{gene["score"]}">{_num(gene["score"])}</td>'
        f"{_probability_cell(gene) if probability else ''}</tr>"
    )


def _candidates(report: CaseReport, genes: list[Row], by_gene: dict[str, list[Row]]) -> str:
    heads = [("Rank", "num"), ("Gene", ""), ("Variant", ""), ("Zygosity", ""),
             ("Consequence", ""), ("Frequency", "num"), ("Inheritance", ""),
             ("Best-matching disease", ""), ("Features", "num"), ("Score", "num")]  # fmt: skip
    probability = any(g.get("probability") is not None for g in genes)
    if probability:
        heads.append(("Probability", "num"))
    th = "".join(f'<th data-type="{t}" scope="col">{h}</th>' for h, t in heads)
    rows = "".join(
        _candidate_row(g, by_gene[g["gene"]][0], report, i < CARDS_TOP, probability)
        for i, g in enumerate(genes)
    )
    return f"""<section><h2>Top candidates</h2>
<p>The {len(genes)} best-ranked genes, each with its best variant. <i>Features</i>: how many of
the patient's features the gene's best-matching disease has. Click a column to sort; the gene
name leads to its evidence.</p>
<div class="toolbar"><input id="filter" type="search" aria-label="Filter the table"
placeholder="Filter: gene, disease, consequence…"><span id="shown"></span></div>
<div class="scroll"><table id="candidates"><thead><tr>{th}</tr></thead><tbody>{rows}</tbody>
</table></div></section>"""


def _variants_table(rows: list[Row]) -> str:
    body = "".join(
        f"<tr><td><code>{e(_variant(v))}</code>{_hgvs(v)}</td><td>{e(v['genotype'])} "
        f"({e(words.ZYGOSITY.get(v['zygosity'], v['zygosity']))})</td>"
        f"<td>{e(words.consequence(v['consequence'])[0])}</td>"
        f"<td>{e(v['transcript_id'])} exon {e(v['exon'] or '–')}</td>"
        f'<td class="num">{e(v["dp"] if v["dp"] is not None else "–")}</td>'
        f'<td class="num">{_num(v["score"])}</td></tr>'
        for v in rows[:MAX_VARIANTS_PER_CARD]
    )
    more = len(rows) - MAX_VARIANTS_PER_CARD
    extra = f"<p>and {more} more variant(s) in this gene.</p>" if more > 0 else ""
    return (
        "<table><thead><tr><th>Variant</th><th>Genotype</th><th>Consequence</th>"
        "<th>Transcript</th><th>Read depth</th><th>Score</th></tr></thead>"
        f"<tbody>{body}</tbody></table>{extra}"
    )


def _phenotype_factor(gene: Row, ev: GeneEvidence | None, report: CaseReport) -> tuple[str, str]:
    if ev is not None:
        return (
            f"its disease ranks {words.ordinal(ev.phenotype_rank)} of "
            f"{report.n_phenotype_genes:,} genes with a known disease for how well it matches "
            "the patient's features",
            f"× {ev.phenotype_weight:.2g}",
        )
    if not gene["best_disease"]:
        text = "no disease is linked to this gene in the knowledge base: the score is cut"
        return text, f"× {model.NO_PHENOTYPE_WEIGHT:.2g}"
    return "phenotype match not explained for genes this far down", "–"


def _factors(gene: Row, top: Row, ev: GeneEvidence | None, report: CaseReport) -> str:
    short, long = words.consequence(top["consequence"])
    prior, freq = top["consequence_prior"], top["frequency_factor"]
    effect = f"{short}: {long}"
    if (top.get("clinvar_prior") or 0.0) > prior:
        prior = top["clinvar_prior"]
        effect = (
            f"{words.clinvar(top.get('clinvar_significance'), top.get('clinvar_stars'))}; {short}"
        )
    fit = top["genotype_fit"] or ""
    family = f" ({top['inheritance']})" if report.result.patient.family else ""
    pheno_text, pheno_factor = _phenotype_factor(gene, ev, report)
    zyg = words.ZYGOSITY.get(top["zygosity"], top["zygosity"])
    rows = [
        ("Effect on the gene", f"{effect}; {words.prior(prior)}", f"× {prior:.2g}"),
        ("Rarity", words.frequency(*frequency(top), freq), f"× {freq:.2g}"),
        ("Inheritance", f"{zyg}; the gene's diseases are {words.modes(top['gene_modes'])}: "
         f"{words.FIT.get(fit, fit)}{family}", f"× {fit_factor(fit):.2g}"),
        ("Phenotype", pheno_text, pheno_factor),
    ]  # fmt: skip
    body = "".join(
        f'<tr><td>{e(a)}</td><td>{e(b)}</td><td class="num">{e(c)}</td></tr>' for a, b, c in rows
    )
    product = top.get("transparent_score", top["score"])
    total = (
        '<tr class="total"><td>Transparent score</td><td>the product of the four factors</td>'
        f'<td class="num">{_num(product)}</td></tr>'
    )
    why = ""
    if top.get("reasons"):
        why = f"<p><b>Main reasons of the ranking model:</b> {e(top['reasons'])}</p>"
    return f'{why}<table class="factors"><tbody>{body}{total}</tbody></table>'


def _bar(t: TermEvidence, scale: float) -> str:
    width = min(abs(t.lr_log10) / scale, 1.0) * 50
    left = 50 if t.lr_log10 >= 0 else 50 - width
    side = "pos" if t.lr_log10 >= 0 else "neg"
    via = ""
    if t.disease_term and t.disease_term != t.term and t.kind in ("implied", "ancestor"):
        via = f" (disease: {t.disease_term_label})"
    return (
        f'<div class="lr-row{" excluded" if t.status == "excluded" else ""}">'
        f'<div class="lr-term">{e(t.label)} <span class="id">{e(t.term)}</span></div>'
        f'<div class="lr-track"><span class="lr-bar {side}" '
        f'style="left:{left:.1f}%;width:{width:.1f}%"></span></div>'
        f'<div class="lr-val">{t.lr_log10:+.2f}</div>'
        f'<div class="lr-kind">{e(words.KIND.get(t.kind, t.kind) + via)}</div></div>'
    )


def _bars(ev: GeneEvidence) -> str:
    scale = max([1.0, *(abs(t.lr_log10) for t in ev.terms)])
    rows = "".join(_bar(t, scale) for t in ev.terms)
    return f"""<h4>The patient's features against {e(ev.disease_name)}
<span class="id">{e(ev.disease_id)}</span></h4>
<div class="lr-row lr-head"><div>Feature</div><div>against &larr; &rarr; for this disease</div>
<div>log10 LR</div><div>How it matched</div></div>{rows}
<p class="lr-kind">Each bar is the log10 likelihood ratio of the feature: +1 means the feature
is 10 times more likely with this disease than in patients in general, &minus;1 ten times
less likely. Green supports the disease, red argues against it.</p>"""


def _variant_evidence(gene: Row, rows: list[Row], ev: GeneEvidence | None, r: CaseReport) -> str:
    if rows[0].get("cut"):
        return (
            f"<p>Best variant <code>{e(_variant(rows[0]))}</code>: its details are below the "
            "<code>--top</code> cut-off of the variant table.</p>"
        )
    return (
        f"<h4>Variants</h4>{_variants_table(rows)}"
        f"<h4>Why this score</h4>{_factors(gene, rows[0], ev, r)}"
    )


def _card(gene: Row, rows: list[Row], report: CaseReport) -> str:
    ev = report.evidence.get(gene["gene"])
    diseases = [d for d in (gene["diseases"] or "").split(";") if d]
    other = ", ".join(e(d) for d in diseases if d != gene["best_disease"])
    best = (
        f"<p>Best-matching disease: <b>{e(gene['best_disease_name'])}</b> "
        f'<span class="id">{e(gene["best_disease"])}</span></p>'
        if gene["best_disease"]
        else "<p>No disease is linked to this gene in the knowledge base.</p>"
    )
    return f"""<article class="card" id="g{gene["rank"]}">
<h3>{gene["rank"]}. {e(gene["gene"])} <span class="id">{e(gene["hgnc_id"] or "")}</span></h3>
{best}{_variant_evidence(gene, rows, ev, report)}
{_bars(ev) if ev is not None else ""}
{f"<p>Other diseases linked to {e(gene['gene'])}: {other}</p>" if other else ""}
</article>"""


def _footer(report: CaseReport) -> str:
    prov = report.provenance
    return f"""<footer><p>Made by varprio {e(__version__)} (model {e(prov.model)}) with the
knowledge base {e(prov.kb)}.</p><p>Command: <code>{e(prov.command)}</code></p>
<p>varprio works offline: nothing in this page loads anything from the network.</p></footer>"""


def render_html(report: CaseReport) -> str:
    """The whole page as text."""
    genes, by_gene = _top_rows(report, TABLE_TOP)
    sample = report.result.patient.sample
    cards = "".join(_card(g, by_gene[g["gene"]], report) for g in genes[:CARDS_TOP])
    lead = (
        f"varprio ranked the variants of sample {e(sample)} by how likely each is to explain "
        "the patient's features."
    )
    empty = "<p>No variant in a known gene was found.</p>" if not genes else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>varprio report: {e(sample)}</title><style>{CSS}</style></head>
<body><header><h1>Candidate variants for {e(sample)}</h1><p class="lead">{lead}</p></header>
{_INTRO}{_case(report)}{empty}{_candidates(report, genes, by_gene) if genes else ""}
{"<section><h2>Evidence for the top candidates</h2>" + cards + "</section>" if cards else ""}
{_footer(report)}<script>{JS}</script></body></html>
"""


def write_html(report: CaseReport, dest: Path) -> None:
    """Write the page to ``dest`` (a temporary path of an atomic group)."""
    with open(dest, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(render_html(report))
