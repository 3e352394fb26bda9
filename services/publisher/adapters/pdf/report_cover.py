"""The report's first page: who was audited, each formula's status beside readiness, the total owed, the summary.

calculations.md 4: readiness is never shown alone. The cover says it beside the status line (audit_summary) and a
row per formula, so "3 of 4 final" cannot be misread as a blocked audit; the band on every page repeats it.
"""
from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from kernel.words import SIGN_CONVENTION
from services.publisher.adapters.pdf.report_tables import STYLES, code, figure, grid, status_word, text
from services.publisher.domain.audit_summary import owed, status_line
from services.publisher.domain.cover_view import (
    STATUS_MEANING,
    at_a_glance,
    measured_guarantees,
    not_included,
    scope_words,
    summary_sentences,
)
from services.publisher.domain.narrative import narrative_label
from services.publisher.domain.report_format import money
from services.publisher.domain.run_context import RunContext
from services.publisher.domain.status_rows import cover_status


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
              text(not_included(result), "body")]]
    table = Table(cells, colWidths=[170, 170, 170, 210], hAlign="LEFT")
    table.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.8, "#9aa5b1"), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BACKGROUND", (0, 0), (-1, -1), "#f4f6f8"), ("TOPPADDING", (0, 0), (-1, -1), 4)]))
    return table


def status_table(result: dict) -> Table:
    """Each formula's row (domain/status_rows.py): title and code, status, why, measure and figure, shaded by status."""
    status = cover_status(result)
    rows = [[Paragraph(f"<b>{escape(r.title)}</b><br/>{code(r.formula_id)}", STYLES["cell"]),
             Paragraph(status_word(r.status), STYLES["cell"]),
             Paragraph(f"{escape(r.why)}<br/>{code(r.codes)}", STYLES["cell"]), text(r.measure, "cell"),
             text("no figure", "cell") if r.figure is None else figure(r.figure, r.status, "number_bold")]
            for r in status]
    return grid(["Formula", "Status", "Why", "Measure", "Figure"], rows, widths=[170, 62, 290, 100, 98],
                shaded_rows={i: r.status for i, r in enumerate(status)})


def executive_summary(context: RunContext) -> list:
    """The run's narrative when it has one (labelled as its source requires), else the status line and owed figures."""
    narrative = context.narrative
    if narrative is not None:
        flow = [text(paragraph, "body") for paragraph in narrative.text.split("\n\n") if paragraph.strip()]
        label = narrative_label(narrative)
        return flow + ([text(label, "small")] if label else [])
    return [text(sentence, "body") for sentence in summary_sentences(context.result)]
