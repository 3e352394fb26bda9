"""How a guarantee's variances become what is owed, printed so a reader can redo the arithmetic from the page.

AWP and fee guarantees: one row per netting group of the contract's offset rule (the result's `offset_groups`),
naming the buckets it nets, its variance and its shortfall (its variance floored at zero), then the total: the
shortfall is the sum of the groups' shortfalls, which is why it can exceed the sum of all variances. Rebates: the
variance total less the rebates received in channels with no rebate guarantee, floored at zero.
"""
from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.platypus import Paragraph

from kernel.words import FLOOR_RULE, FORMULA_SHORT, OFFSET_RULES, REBATE_OFFSET_RULE
from services.publisher.adapters.pdf.report_tables import STYLES, code, table
from services.publisher.domain.netting_view import netting_rows, rebate_rows


def netting(formula: dict, width: float) -> list:
    """The netting table and the rule in words, under a guarantee's bucket table."""
    offset = formula["offset"]
    groups = table(netting_rows(formula), widths=[width * 0.26, width * 0.44, width * 0.15, width * 0.15])
    rule = Paragraph(f"<b>Offset rule of the contract.</b> {escape(OFFSET_RULES[offset])} {escape(FLOOR_RULE)} "
                     f"{code('offset ' + offset)}", STYLES["body"])
    return [Paragraph(f"How the {FORMULA_SHORT[formula['id']]} variances net to the shortfall", STYLES["h2"]),
            groups, rule]


def rebate_reconciliation(formula: dict, lineage: dict, width: float) -> list:
    """variance_total - received_other = difference; shortfall = the difference floored at zero."""
    lines = table(rebate_rows(formula, lineage), widths=[width * 0.8, width * 0.2])
    rule = Paragraph(f"<b>Offset rule for rebates.</b> {escape(REBATE_OFFSET_RULE)} {escape(FLOOR_RULE)}",
                     STYLES["body"])
    return [Paragraph("How the rebate variances net to the shortfall", STYLES["h2"]), lines, rule]
