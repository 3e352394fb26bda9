"""The report's formula pages: executive summary, charts and one page per formula, each saying its status first.

A blocked formula shows why and what evidence is missing, and no number: not its aggregates, never a 0.00.
"""
from __future__ import annotations

import io
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.platypus import Image, PageBreak, Paragraph, Spacer, Table, TableStyle

from runtime.sufficiency import EFFECT, EVIDENCE_RULES
from services.publisher.domain import report_charts
from services.publisher.domain.report_charts import chart_title
from services.publisher.domain.report_format import HEADLINE, count, percent
from services.publisher.domain.report_pages import StatusMark
from services.publisher.domain.report_tables import SHADE, STYLES, field_cell, figure, grid, status_word, text
from services.publisher.domain.run_context import RunContext

WHEN = {reason: when for reason, _, _, when in EVIDENCE_RULES}
# What would lift each blocking reason: the evidence (or data) the run is missing.
MISSING = {"no_claims_in_scope": "netted claims in the scope",
           "contract_evidence_missing": "a contract_packet for the scope",
           "contract_period_gap": "a contract_packet whose effective window covers the scope window",
           "rebate_evidence_missing": "rebate_evidence for the scope window",
           "rebate_evidence_period_mismatch": "rebate_evidence for exactly the scope window",
           "rebate_scope_partial": "a whole-client scope (rebates received are client-wide)"}
SUMMARY_FIELDS = ("claims", "generic_claims", "gdr", "received_other", "shortfall", "total_savings")
CHART_SIZE = (350, 217)


def heading(formula: dict) -> Paragraph:
    return Paragraph(f"Formula: {formula['id']} (version {formula['version']}) - {status_word(formula['status'])}",
                     STYLES["h1"])


def reasons_text(formula: dict) -> str:
    return ", ".join(formula["reasons"]) or "none"


def missing_evidence(formula: dict) -> list[str]:
    return [MISSING[r] for r in formula["reasons"] if EFFECT.get(r) == "blocked" and r in MISSING]


def summary(formulas: list[dict]) -> list:
    """One row per formula: its status, reasons and headline figure (no figure when blocked)."""
    rows, shades = [], {}
    for index, formula in enumerate(formulas):
        field = HEADLINE[formula["id"]]
        shown = (text("no figure: blocked", "cell") if formula["status"] == "blocked"
                 else field_cell(field, formula.get(field), formula["status"]))
        rows.append([text(formula["id"], "cell"), text(str(formula["version"]), "cell"),
                     Paragraph(status_word(formula["status"]), STYLES["cell"]), text(reasons_text(formula), "cell"),
                     text(field, "cell"), shown])
        shades[index] = formula["status"]
    table = grid(["formula", "version", "status", "reasons", "headline", "figure"], rows,
                 widths=[130, 45, 60, 250, 80, 120], shaded_rows=shades)
    legend = Paragraph("A MODELED figure is an estimate on evidence that does not settle a guarantee; a BLOCKED "
                       "formula lacks the evidence for any figure. Each formula's page gives its reasons.",
                       STYLES["body"])
    return [*(StatusMark(f["status"]) for f in formulas), Paragraph("Executive summary", STYLES["h1"]), table,
            Spacer(0, 8), legend]


def charts(context: RunContext) -> list:
    """Four charts in a 2 x 2 grid; a blocked formula's chart is replaced by a notice saying why."""
    awp, fee, gdr = (context.formula(i) for i in
                     ("awp_discount_guarantee", "dispensing_fee_guarantee", "generic_dispensing_rate"))
    gdr_title = "Generic dispensing rate"
    if gdr is not None and gdr["gdr"] is not None:
        gdr_title += f" {percent(Decimal(gdr['gdr']))}"
    cells = [_chart(awp, "Actual vs guaranteed AWP discount by bucket", report_charts.discount_chart),
             _chart(awp, "AWP variance by channel (above 0: plan overpaid)", report_charts.variance_chart),
             _chart(fee, "Dispensing fee variance by channel (above 0: overpaid)", report_charts.variance_chart),
             _chart(gdr, gdr_title, report_charts.gdr_chart)]
    table = Table([cells[:2], cells[2:]], colWidths=[CHART_SIZE[0] + 10] * 2)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ALIGN", (0, 0), (-1, -1), "CENTER")]))
    marks = [StatusMark(f["status"]) for f in (awp, fee, gdr) if f is not None]
    return [*marks, Paragraph("Charts", STYLES["h1"]), table]


def _chart(formula: dict | None, title: str, draw):
    if formula is None:
        return text(f"{title}: not computed in this run", "cell")
    if formula["status"] == "blocked":
        notice = Table([[Paragraph(f"<b>{escape(title)}</b>: {escape(formula['id'])} is {status_word('blocked')}: "
                                   f"{escape(reasons_text(formula))}. No chart is drawn.", STYLES["body"])]],
                       colWidths=[CHART_SIZE[0]], rowHeights=[CHART_SIZE[1]])
        notice.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), SHADE["blocked"]),
                                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
        return notice
    caption = Paragraph(f"<b>{escape(chart_title(title, formula['status']))}</b>", STYLES["body"])
    return [caption, Image(io.BytesIO(draw(formula)), *CHART_SIZE)]


def formula_page(formula: dict) -> list:
    status = formula["status"]
    flow = [StatusMark(status, watermark=True), heading(formula)]
    if status == "blocked":
        return flow + _blocked(formula)
    if formula["reasons"]:
        flow.append(Paragraph(f"Reasons: {escape(reasons_text(formula))}", STYLES["body"]))
    if "excluded" in formula:
        flow += [Paragraph("Claims excluded, by reason", STYLES["h2"]),
                 grid(list(formula["excluded"]), [[figure(count(n), status) for n in formula["excluded"].values()]],
                      status)]
    if formula.get("buckets"):
        columns = list(dict.fromkeys(k for b in formula["buckets"] for k in b))
        rows = [[field_cell(c, b.get(c), status) for c in columns] for b in formula["buckets"]]
        flow += [Paragraph("Buckets", STYLES["h2"]), grid(columns, rows, status)]
    totals = [f for f in SUMMARY_FIELDS if f in formula]
    if totals:
        flow += [Paragraph("Totals", STYLES["h2"]),
                 grid(totals, [[field_cell(f, formula[f], status) for f in totals]], status)]
    if formula.get("unpriced_buckets"):
        unpriced = ", ".join(f"{b['channel']} {b['brand_generic']}" for b in formula["unpriced_buckets"])
        flow.append(Paragraph(f"unpriced_buckets (no proposal term): {escape(unpriced)}", STYLES["body"]))
    return flow


def _blocked(formula: dict) -> list:
    flow = [Paragraph(f"This formula is {status_word('blocked')}: no figure is shown.", STYLES["body"]),
            Spacer(0, 6), Paragraph("Reasons", STYLES["h2"])]
    flow += [Paragraph(f"<b>{escape(r)}</b>: {escape(WHEN.get(r, ''))}", STYLES["body"]) for r in formula["reasons"]]
    missing = missing_evidence(formula)
    if missing:
        flow += [Paragraph("Missing evidence", STYLES["h2"]), *(text(m) for m in missing)]
    return flow


def formula_pages(formulas: list[dict]) -> list:
    flow = []
    for formula in formulas:
        flow += [PageBreak(), *formula_page(formula)]
    return flow
