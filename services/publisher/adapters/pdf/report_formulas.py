"""One section per formula, following each other: heading with its status, buckets, netting, charts, exclusions.

A blocked formula shows why and what evidence would complete it, and no number: not its aggregates, never a 0.00.
Sections flow one after another (a new page only when too little of the page is left for a heading and its table),
so no page is left mostly empty.
"""
from __future__ import annotations

import io
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.platypus import CondPageBreak, Image, Paragraph

from kernel.sufficiency import AWP, BLOCKED, FEE, GDR, REBATE, REPRICING
from kernel.words import PROJECTION, bucket_title, formula_title, reason_sentence
from services.publisher.adapters.pdf import report_charts
from services.publisher.adapters.pdf.report_charts import SIZE_POINTS
from services.publisher.adapters.pdf.report_netting import netting, rebate_reconciliation
from services.publisher.adapters.pdf.report_tables import STYLES, code, side_by_side, status_word, table, text
from services.publisher.domain.bucket_rows import bucket_rows, exclusion_rows, generic_rate_rows, missing_words
from services.publisher.domain.formula_labels import chart_title
from services.publisher.domain.report_format import percent
from services.publisher.domain.run_context import RunContext

WIDTH = 720.0                      # the body's width on a landscape letter page
CHART_COLUMN = SIZE_POINTS[0] + 4
TABLE_COLUMN = WIDTH - CHART_COLUMN
HOW = {AWP: "Per channel and drug type: guaranteed cost = AWP x (1 - guaranteed discount); variance = ingredient "
            "cost paid - guaranteed cost. A positive variance means the plan paid more than the contract allows.",
       FEE: "Per channel and drug type: guaranteed fees = claims x guaranteed fee per claim; variance = fees paid - "
            "guaranteed fees. A positive variance means the plan paid more than the contract allows.",
       REBATE: "Per channel: guaranteed rebates = brand claims x guaranteed rebate per claim; variance = guaranteed - "
               "received. A positive variance means the plan received less than the contract guarantees.",
       GDR: "The share of netted claims filled with a generic drug (no claim is excluded).",
       REPRICING: PROJECTION}
CHART_TITLES = {AWP: "AWP variance by channel and drug type ($; above 0 = owed to the plan)",
                FEE: "Dispensing fee variance by channel and drug type ($; above 0 = owed to the plan)",
                REBATE: "Rebate variance by channel ($; above 0 = owed to the plan)"}
DISCOUNT_TITLE = "Discount off AWP by channel and drug type: actual vs guaranteed (%)"


def formula_sections(context: RunContext) -> list:
    flow: list = []
    for formula in context.formulas:
        # A new page only when the rest of this one cannot hold the heading and the section's first table or notice.
        flow += [CondPageBreak(70 if formula["status"] == BLOCKED else 150), *heading(formula)]
        if formula["status"] == BLOCKED:
            flow += blocked(formula)
        elif formula["id"] in (AWP, FEE):
            flow += guarantee(formula)
        elif formula["id"] == REBATE:
            flow += rebate(formula, context.lineage)
        elif formula["id"] == GDR:
            flow += generic_rate(formula)
        else:
            flow += repricing(formula, context.result["inputs"].get("proposal_id"))
    return flow


def heading(formula: dict) -> list:
    title = escape(formula_title(formula["id"]))
    projection = " (a projection, not an audit finding)" if formula["id"] == REPRICING else ""
    flow = [Paragraph(f"{title} &mdash; {status_word(formula['status'])}{projection} "
                      f"{code(formula['id'] + ' version ' + str(formula['version']))}", STYLES["h1"])]
    if formula["reasons"]:
        why = "; ".join(reason_sentence(r) for r in formula["reasons"])
        flow.append(Paragraph(f"<b>Why {formula['status'].upper()}:</b> {escape(why)}. "
                              f"{code(', '.join(formula['reasons']))}", STYLES["body"]))
    if formula["status"] != BLOCKED:
        flow.append(text(HOW[formula["id"]], "body"))
    return flow


def bucket_table(formula: dict, total: str | None = None) -> list:
    """One row per bucket (domain/bucket_rows.py); `total`: the result field summed in the last row."""
    view = bucket_rows(formula, total)
    first = 112.0
    rest = (WIDTH - first) / (len(view.header) - 1)
    return [table(view, widths=[first, *([rest] * (len(view.header) - 1))])]


def chart(formula: dict, title: str, draw) -> list:
    return [Paragraph(f"<b>{escape(chart_title(title, formula['status']))}</b>", STYLES["cell"]),
            Image(io.BytesIO(draw(formula)), *SIZE_POINTS, kind="proportional")]


def exclusions(formula: dict, width: float = WIDTH / 2) -> list:
    """The claims the formula left out, by reason, in words (unguaranteed ones are listed under Audit findings)."""
    heading = Paragraph(f"Claims left out: {escape(formula_title(formula['id']))}", STYLES["h2"])
    view = exclusion_rows(formula)
    if not view.rows:
        return [heading, text("No claim was left out of this formula.")]
    return [heading, table(view, widths=[width * 0.8, width * 0.2])]


def guarantee(formula: dict) -> list:
    """Buckets, then how they net to the shortfall (full width, right under them), then charts and exclusions."""
    variance = chart(formula, CHART_TITLES[formula["id"]], report_charts.variance_chart)
    flow = [*bucket_table(formula), *netting(formula, WIDTH)]
    if formula["id"] == AWP:
        discount = chart(formula, DISCOUNT_TITLE, report_charts.discount_chart)
        return flow + [side_by_side(variance, discount, (WIDTH / 2, WIDTH / 2)), *exclusions(formula)]
    return flow + [side_by_side(exclusions(formula, TABLE_COLUMN - 12), variance, (TABLE_COLUMN, CHART_COLUMN))]


def rebate(formula: dict, lineage: dict) -> list:
    return [*bucket_table(formula), *rebate_reconciliation(formula, lineage, WIDTH),
            side_by_side(exclusions(formula, TABLE_COLUMN - 12),
                         chart(formula, CHART_TITLES[REBATE], report_charts.variance_chart),
                         (TABLE_COLUMN, CHART_COLUMN))]


def generic_rate(formula: dict) -> list:
    rates = table(generic_rate_rows(formula), widths=[(TABLE_COLUMN - 12) / 3] * 3)
    rate = "" if formula["gdr"] is None else f" (generic dispensing rate {percent(Decimal(formula['gdr']))})"
    return [side_by_side([rates], chart(formula, f"Generic vs brand claims{rate}", report_charts.gdr_chart),
                         (TABLE_COLUMN, CHART_COLUMN))]


def repricing(formula: dict, proposal_id: str | None) -> list:
    flow = [text(f"Proposal {proposal_id}.", "body"), *bucket_table(formula, total="total_savings")]
    if formula.get("unpriced_buckets"):
        unpriced = ", ".join(bucket_title(b["channel"], b["brand_generic"]) for b in formula["unpriced_buckets"])
        flow.append(text(f"Not priced (the proposal has no term for them): {unpriced}.", "body"))
    return flow + exclusions(formula)


def blocked(formula: dict) -> list:
    flow = [text("No figure is shown for this formula, not even its aggregates: the evidence does not support one.")]
    missing = missing_words(formula)
    if missing:
        flow.append(text(f"What would complete it: {'; '.join(missing)}.", "body"))
    return flow
