"""How a guarantee's variances become what is owed, printed so a reader can redo the arithmetic from the page.

AWP and fee guarantees: one row per netting group of the contract's offset rule (the result's `offset_groups`),
naming the buckets it nets, its variance and its shortfall (its variance floored at zero), then the total: the
shortfall is the sum of the groups' shortfalls, which is why it can exceed the sum of all variances. Rebates: the
variance total less the rebates received in channels with no rebate guarantee, floored at zero.
"""
from __future__ import annotations

from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.platypus import Paragraph

from kernel.words import FLOOR_RULE, FORMULA_SHORT, OFFSET_RULES, REBATE_OFFSET_RULE, bucket_title, offset_group_title
from services.publisher.adapters.pdf.report_tables import STYLES, code, figure, grid, text
from services.publisher.domain.netting_view import (
    NETTING_HEADER,
    NETTING_TOTAL,
    REBATE_LINES,
    group_buckets,
    received_other_words,
)
from services.publisher.domain.report_format import money


def netting(formula: dict, width: float) -> list:
    """The netting table and the rule in words, under a guarantee's bucket table."""
    status, offset = formula["status"], formula["offset"]
    rows = []
    for group in formula["offset_groups"]:
        members = group_buckets(group["group"], offset, formula["buckets"])
        rows.append([text(offset_group_title(group["group"]), "cell"),
                     text(" + ".join(bucket_title(b["channel"], b["brand_generic"]) for b in members), "cell"),
                     figure(money(Decimal(group["variance"])), status),
                     figure(money(Decimal(group["shortfall"])), status)])
    net = sum((Decimal(g["variance"]) for g in formula["offset_groups"]), Decimal("0.00"))
    rows.append([text(NETTING_TOTAL, "cell_bold"), text("", "cell"), figure(money(net), status, "number_bold"),
                 figure(money(Decimal(formula["shortfall"])), status, "number_bold")])
    table = grid(NETTING_HEADER, rows, status, widths=[width * 0.26, width * 0.44, width * 0.15, width * 0.15],
                 total_row=True)
    rule = Paragraph(f"<b>Offset rule of the contract.</b> {escape(OFFSET_RULES[offset])} {escape(FLOOR_RULE)} "
                     f"{code('offset ' + offset)}", STYLES["body"])
    return [Paragraph(f"How the {FORMULA_SHORT[formula['id']]} variances net to the shortfall", STYLES["h2"]),
            table, rule]


def rebate_reconciliation(formula: dict, lineage: dict, width: float) -> list:
    """variance_total - received_other = difference; shortfall = the difference floored at zero."""
    status = formula["status"]
    total, other = Decimal(formula["variance_total"]), Decimal(formula["received_other"])
    other_label = f"{REBATE_LINES[1]} ({received_other_words(lineage)})" if other else REBATE_LINES[1]
    values = (money(total), money(other), money(total - other), money(Decimal(formula["shortfall"])))
    labels = (REBATE_LINES[0], other_label, REBATE_LINES[2], REBATE_LINES[3])
    rows = [[text(label, "cell_bold" if i == 3 else "cell"), figure(value, status, "number_bold" if i == 3 else "number")]
            for i, (label, value) in enumerate(zip(labels, values, strict=True))]
    table = grid(["Rebate reconciliation", "Amount"], rows, status, widths=[width * 0.8, width * 0.2], total_row=True)
    rule = Paragraph(f"<b>Offset rule for rebates.</b> {escape(REBATE_OFFSET_RULE)} {escape(FLOOR_RULE)}",
                     STYLES["body"])
    return [Paragraph("How the rebate variances net to the shortfall", STYLES["h2"]), table, rule]
