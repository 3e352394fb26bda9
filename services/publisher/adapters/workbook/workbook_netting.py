"""The AWP and fee guarantees as an analyst reconciles them: buckets, the netting table, shortfall = Σ group shortfalls.

Each bucket row names its netting group; the netting table (the result's `offset_groups`) shows each group's
variance and shortfall as published, and beside them the Excel formulas that re-derive them from the buckets
(SUMIF, MAX(0, …), SUM), so the arithmetic is visible. The published cells stay the calc result's Decimals.
"""
from __future__ import annotations

from xlsxwriter.utility import xl_range_abs, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from kernel.words import FLOOR_RULE, OFFSET_RULES, offset_group_title
from services.publisher.adapters.workbook.workbook_cells import Formats, width, write_table, write_value
from services.publisher.domain.netting_view import GROUP, grouped_buckets

NETTING_COLUMNS = ["netting group", "variance", "shortfall", "check: Σ bucket variances", "check: max(0, variance)",
                   GROUP]
SHORTFALL_LABEL = "shortfall = Σ group shortfalls"


def write_netted(sheet: Worksheet, row: int, formula: dict, formats: Formats, note: str) -> int:
    """Buckets, the offset rule in words, the netting table and the shortfall; returns the row after a blank one."""
    buckets = grouped_buckets(formula)
    columns = list(dict.fromkeys(k for bucket in buckets for k in bucket if k != GROUP)) + [GROUP]
    top = row
    row = write_table(sheet, top, columns, buckets, formats, main=True) + 1
    first, last = top + 1, top + max(len(buckets), 1)
    group_range = xl_range_abs(first, columns.index(GROUP), last, columns.index(GROUP))
    variance_range = xl_range_abs(first, columns.index("variance"), last, columns.index("variance"))
    for col, field in enumerate(columns[2:], start=2):
        sheet.set_column(col, col, max(width(field), 24 if col in (3, 4) else 16))
    row = write_offset_rule(sheet, row, OFFSET_RULES[formula["offset"]], f"offset: {formula['offset']}", formats)
    sheet.write_row(row, 0, NETTING_COLUMNS, formats.header)
    groups = formula["offset_groups"]
    for i, group in enumerate(groups, start=row + 1):
        sheet.write_string(i, 0, offset_group_title(group["group"]))
        write_value(sheet, i, 1, "variance", group["variance"], formats)
        write_value(sheet, i, 2, "shortfall", group["shortfall"], formats)
        sheet.write_formula(i, 3, f"=SUMIF({group_range},{xl_rowcol_to_cell(i, 5)},{variance_range})",
                            formats.money_check, group["variance"])
        sheet.write_formula(i, 4, f"=MAX(0,{xl_rowcol_to_cell(i, 1)})", formats.money_check, group["shortfall"])
        sheet.write_string(i, 5, group["group"], formats.code)   # the code the buckets' group column matches
    total = row + len(groups) + 1
    sheet.write_string(total, 0, SHORTFALL_LABEL, formats.label)
    write_value(sheet, total, 2, "shortfall", formula["shortfall"], formats)
    sheet.write_formula(total, 4, f"=SUM({xl_range_abs(row + 1, 2, total - 1, 2)})", formats.money_check,
                        formula["shortfall"])
    if note:
        sheet.write_string(total, 5, note, formats.modeled)
    return total + 2


def write_offset_rule(sheet: Worksheet, row: int, rule: str, code: str, formats: Formats) -> int:
    """The netting rule in words, the floor, and the contract's code in small print; returns the next row."""
    sheet.write_string(row, 0, "how the variances net", formats.label)
    sheet.write_string(row, 1, rule)
    sheet.write_string(row + 1, 1, FLOOR_RULE)
    sheet.write_string(row + 2, 1, code, formats.code)
    return row + 3
