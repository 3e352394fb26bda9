"""The report's first page: who was audited, each formula's status beside readiness, the total owed, the summary.

calculations.md 4: readiness is never shown alone. The cover says it beside the status line (audit_summary) and a
row per formula, so "3 of 4 final" cannot be misread as a blocked audit; the band on every page repeats it.
"""
from __future__ import annotations

from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from runtime.sufficiency import BLOCKED, GDR, GUARANTEES, REPRICING
from runtime.words import FORMULA_SHORT, PROJECTION, SIGN_CONVENTION, bucket_title, formula_title, reason_sentence
from services.publisher.adapters.pdf.report_tables import STYLES, code, figure, grid, status_word, text
from services.publisher.domain.audit_summary import owed, status_line
from services.publisher.domain.narrative import narrative_label
from services.publisher.domain.report_format import count, money, percent
from services.publisher.domain.run_context import Names, RunContext

STATUS_MEANING = ("FINAL: the figure rests on governed evidence and settles the guarantee. MODELED: an estimate on "
                  "evidence that does not settle it, never a conclusion. BLOCKED: the evidence is insufficient, so "
                  "no figure is shown.")


def scope_words(context: RunContext) -> str:
    """"whole client", or the partial scope by its TPA's and groups' names."""
    scope, names = context.scope, context.names
    parts = []
    if scope["tpa_id"] is not None:
        parts.append(f"TPA {Names.label(names.tpa, scope['tpa_id'])}")
    if scope["group_ids"]:
        known = dict(names.groups)
        groups = ", ".join(Names.label(known.get(g), g) for g in scope["group_ids"])
        parts.append(f"group{'s' if len(scope['group_ids']) > 1 else ''} {groups}")
    return "partial scope: " + "; ".join(parts) if parts else "whole client"


def cover(context: RunContext) -> list:
    """The executive summary (status line beside readiness, total owed, narrative), each formula's status, findings."""
    scope = context.scope
    readiness = Paragraph(f"Audit readiness: {status_word(context.readiness)} &mdash; "
                          f"{escape(status_line(context.result))}", STYLES["lead"])
    sign = SIGN_CONVENTION.replace("Sign convention: ", "Sign convention used throughout: ")
    return [Paragraph("Pharmacy benefit audit", STYLES["title"]),
            text(f"{context.client_label}, audited against {context.pbm_label}; audit period {scope['date_from']} "
                 f"to {scope['date_to']} ({scope_words(context)})", "subtitle"),
            text(f"Prepared from run {context.run_id}, computed {context.created_at.date().isoformat()}.", "small"),
            Paragraph("Executive summary", STYLES["h2"]), readiness, owed_box(context.result), text(sign, "body"),
            Spacer(0, 3), *executive_summary(context),
            Paragraph("Status of each formula", STYLES["h2"]), status_table(context.result),
            Paragraph(STATUS_MEANING, STYLES["small"]),
            Paragraph("Findings at a glance", STYLES["h2"]), *(text(f"- {line}") for line in at_a_glance(context))]


def at_a_glance(context: RunContext) -> list[str]:
    """One line per finding the Audit findings section details."""
    quality = context.result["data_quality"]
    found = context.findings.unguaranteed if context.findings else ()
    lines = []
    if found:
        claims = sum(b.claims for b in found)
        spend = sum((b.spend for b in found), Decimal("0.00"))
        where = ", ".join(bucket_title(b.channel, b.brand_generic) for b in found)
        lines.append(f"{count(claims)} claims ({money(spend)} spend) fall where the contract gives no guarantee: "
                     f"{where}.")
    left_out = [f"{FORMULA_SHORT[f['id']]} {count(f['excluded']['no_term'])}" for f in context.formulas
                if f.get("excluded", {}).get("no_term")]
    if left_out:
        lines.append(f"Claims left out of a formula for want of a guarantee term: {', '.join(left_out)}.")
    elif not found:
        lines.append("Every claim falls in a channel and drug type the contract guarantees.")
    lines.append(f"{count(quality['suspect_channel'])} retail 30-day claims carry 84 or more days' supply "
                 "(listed for review; no figure is changed).")
    lines.append(f"Data quality: {count(quality['rejected_in_scope'])} rows of this scope rejected, "
                 f"{count(quality['orphan_reversals'])} reversals matching no paid claim, "
                 f"{count(quality['reversed_pairs'])} paid claims cancelled by their reversal.")
    return lines


def measured_guarantees(result: dict) -> list[dict]:
    blocked = owed(result).blocked
    return [f for f in result["formulas"] if f["id"] in GUARANTEES and f["id"] not in blocked]


def owed_box(result: dict) -> Table:
    """Total owed to the plan, split into final and modeled, and what no figure could be given for."""
    split = owed(result)
    if not measured_guarantees(result):
        note = text("No amount owed can be stated: every guarantee is blocked (see its section).", "lead")
        return Table([[note]], colWidths=[720], hAlign="LEFT")
    cells = [[text("Owed to the plan, final", "cell"), text("Owed to the plan, modeled", "cell"),
              text("Total owed to the plan", "cell"), text("Not included (no figure)", "cell")],
             [figure(money(split.final), "final", "big_number"),
              figure(money(split.modeled), "modeled" if split.modeled else "final", "big_number"),
              figure(money(split.total), "modeled" if split.modeled else "final", "big_number"),
              text(", ".join(f"{formula_title(f)} (blocked)" for f in split.blocked)
                   or "None: every guarantee has a figure", "body")]]
    table = Table(cells, colWidths=[170, 170, 170, 210], hAlign="LEFT")
    table.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.8, "#9aa5b1"), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BACKGROUND", (0, 0), (-1, -1), "#f4f6f8"), ("TOPPADDING", (0, 0), (-1, -1), 4)]))
    return table


def headline(formula: dict) -> tuple[str, str | None]:
    """(what the formula concludes, its figure as written), or no figure for a blocked formula."""
    if formula["id"] in GUARANTEES:
        label, field, write = "Shortfall owed", "shortfall", money
    elif formula["id"] == GDR:
        label, field, write = "Generic dispensing rate", "gdr", percent
    else:
        label, field, write = "Projected savings", "total_savings", money
    value = formula.get(field)
    if formula["status"] == BLOCKED or value is None:
        return label, None
    return label, write(Decimal(value))


def status_table(result: dict) -> Table:
    rows, shades = [], {}
    for index, formula in enumerate(result["formulas"]):
        label, shown = headline(formula)
        why = "; ".join(reason_sentence(r) for r in formula["reasons"])
        if formula["id"] == REPRICING:
            why = PROJECTION
        reasons = f"{escape(why or 'Rests on governed evidence.')}<br/>{code(', '.join(formula['reasons']))}"
        rows.append([Paragraph(f"<b>{escape(formula_title(formula['id']))}</b><br/>{code(formula['id'])}",
                               STYLES["cell"]),
                     Paragraph(status_word(formula["status"]), STYLES["cell"]), Paragraph(reasons, STYLES["cell"]),
                     text(label, "cell"),
                     text("no figure", "cell") if shown is None else figure(shown, formula["status"], "number_bold")])
        shades[index] = formula["status"]
    return grid(["Formula", "Status", "Why", "Measure", "Figure"], rows, widths=[170, 62, 290, 100, 98],
                shaded_rows=shades)


def executive_summary(context: RunContext) -> list:
    """The run's narrative when it has one (labelled as its source requires), else the status line and owed figures."""
    narrative = context.narrative
    if narrative is not None:
        flow = [text(paragraph, "body") for paragraph in narrative.text.split("\n\n") if paragraph.strip()]
        label = narrative_label(narrative)
        return flow + ([text(label, "small")] if label else [])
    return [text(sentence, "body") for sentence in summary_sentences(context.result)]


def summary_sentences(result: dict) -> list[str]:
    """What the owed box and the status line say, as sentences (the status line itself is printed just above)."""
    split = owed(result)
    measured = measured_guarantees(result)
    sentences = []
    if measured:
        parts = ", ".join(f"{FORMULA_SHORT[f['id']]} {money(Decimal(f['shortfall']))}" for f in measured)
        sentences.append(f"The plan is owed {money(split.total)} ({parts}): {money(split.final)} on final figures "
                         f"and {money(split.modeled)} on modeled estimates.")
    if split.blocked:
        titles = [formula_title(f) for f in split.blocked]
        named = titles[0] if len(titles) == 1 else f"{', '.join(titles[:-1])} and {titles[-1]}"
        sentences.append(f"No figure is given for the {named}: what {'it' if len(titles) == 1 else 'they'} may owe "
                         "is not included.")
    repricing = next((f for f in result["formulas"] if f["id"] == REPRICING), None)
    if repricing is not None and repricing.get("total_savings") is not None:
        sentences.append(f"A proposed contract ({result['inputs']['proposal_id']}) would have saved "
                         f"{money(Decimal(repricing['total_savings']))} on the "
                         f"{count(sum(b['claims'] for b in repricing['buckets']))} claims its terms price: a projection, "
                         "MODELED, which changes neither the audit's status nor the amount owed.")
    return sentences
