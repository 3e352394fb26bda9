"""The rebate guarantee reconciled: variance_total − received_other = shortfall, with received_other named by channel.

Rebates always offset across channels (calculations.md 3), and rebates received in channels the contract gives
no rebate guarantee (`received_other`) reduce what is owed; so the channels they came from are listed
(the lineage's `rebates_received_other`), not left as one unexplained number.
"""
from __future__ import annotations

from decimal import Decimal

from xlsxwriter.utility import xl_range_abs, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from kernel.words import REBATE_OFFSET_RULE
from services.publisher.adapters.workbook.workbook_cells import Formats, width, write_table, write_value
from services.publisher.adapters.workbook.workbook_netting import write_offset_rule
from services.publisher.domain.netting_view import REBATE_DIFFERENCE, rebate_lines, received_other_channels
from services.publisher.domain.run_context import RunContext

RECONCILIATION_COLUMNS = ["reconciliation", "amount", "check (Excel formula)", "what"]
OTHER_COLUMNS = ["channel", "received_other"]


def write_rebates(sheet: Worksheet, row: int, formula: dict, context: RunContext, formats: Formats, note: str) -> int:
    buckets = formula.get("buckets") or []
    columns = list(dict.fromkeys(k for bucket in buckets for k in bucket))
    top = row
    row = write_table(sheet, top, columns, buckets, formats, main=True) + 1
    for col, field in enumerate(columns[2:], start=2):
        sheet.set_column(col, col, max(width(field), 22))
    variances = xl_range_abs(top + 1, columns.index("variance"), top + max(len(buckets), 1), columns.index("variance"))
    row = write_offset_rule(sheet, row, REBATE_OFFSET_RULE, f"shortfall = max(0, {REBATE_DIFFERENCE})", formats)
    others = received_other_channels(context)
    sheet.write_row(row, 0, RECONCILIATION_COLUMNS, formats.header)
    total, other, difference, shortfall = row + 1, row + 2, row + 3, row + 4
    others_top = shortfall + 3    # after a blank row and the table's label
    write_value(sheet, total, 1, "variance_total", formula["variance_total"], formats)
    lines = rebate_lines(formula, others)
    _label(sheet, total, *lines[0], formats)
    sheet.write_formula(total, 2, f"=SUM({variances})", formats.money_check, formula["variance_total"])
    write_value(sheet, other, 1, "received_other", formula["received_other"], formats)
    _label(sheet, other, *lines[1], formats)
    if others:
        sheet.write_formula(other, 2, f"=SUM({xl_range_abs(others_top + 1, 1, others_top + len(others), 1)})",
                            formats.money_check, formula["received_other"])
    _label(sheet, difference, *lines[2], formats)
    sheet.write_formula(difference, 2, f"={xl_rowcol_to_cell(total, 1)}-{xl_rowcol_to_cell(other, 1)}",
                        formats.money_check, Decimal(formula["variance_total"]) - Decimal(formula["received_other"]))
    write_value(sheet, shortfall, 1, "shortfall", formula["shortfall"], formats)
    _label(sheet, shortfall, *lines[3], formats)
    sheet.write_formula(shortfall, 2, f"=MAX(0,{xl_rowcol_to_cell(difference, 2)})", formats.money_check,
                        formula["shortfall"])
    if note:
        sheet.write_string(shortfall, 4, note, formats.modeled)
    if not others:
        return shortfall + 2
    sheet.write_string(others_top - 1, 0, "received_other by channel", formats.label)
    return write_table(sheet, others_top, OTHER_COLUMNS, others, formats) + 1


def _label(sheet: Worksheet, row: int, code: str, words: str, formats: Formats) -> None:
    sheet.write_string(row, 0, code, formats.label)
    sheet.write_string(row, 3, words)
