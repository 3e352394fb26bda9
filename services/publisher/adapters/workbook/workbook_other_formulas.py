"""The generic dispensing rate and the repricing projection: their figures with the Excel arithmetic beside them."""
from __future__ import annotations

from xlsxwriter.utility import xl_range_abs, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from services.publisher.adapters.workbook.workbook_cells import Formats, width, write_table, write_value

TOTAL_COLUMNS = ["total", "value", "check (Excel formula)", "note"]


def write_gdr(sheet: Worksheet, row: int, formula: dict, formats: Formats, note: str) -> int:
    """claims, generic_claims, and gdr = ROUND(generic_claims / claims, 4) beside the published ratio."""
    sheet.write_row(row, 0, TOTAL_COLUMNS, formats.header)
    claims, generic, rate = row + 1, row + 2, row + 3
    for i, field in zip((claims, generic, rate), ("claims", "generic_claims", "gdr")):
        sheet.write_string(i, 0, field, formats.label)
        write_value(sheet, i, 1, field, formula.get(field), formats)
        if note:
            sheet.write_string(i, 3, note, formats.modeled)
        if field == "gdr" and formula.get("gdr") is not None:
            sheet.write_formula(i, 2, f"=ROUND({xl_rowcol_to_cell(generic, 1)}/{xl_rowcol_to_cell(claims, 1)},4)",
                                formats.ratio_check, formula["gdr"])
    sheet.set_column(2, 2, 22)
    return rate + 2


def write_repricing(sheet: Worksheet, row: int, formula: dict, formats: Formats, note: str) -> int:
    """The proposal's buckets, total_savings = Σ savings, and the buckets the proposal has no term for."""
    buckets = formula.get("buckets") or []
    columns = list(dict.fromkeys(k for bucket in buckets for k in bucket))
    top = row
    row = write_table(sheet, top, columns, buckets, formats, main=True) + 1
    for col, field in enumerate(columns[2:], start=2):
        sheet.set_column(col, col, max(width(field), 22))
    sheet.write_row(row, 0, TOTAL_COLUMNS, formats.header)
    sheet.write_string(row + 1, 0, "total_savings", formats.label)
    write_value(sheet, row + 1, 1, "total_savings", formula.get("total_savings"), formats)
    if buckets and formula.get("total_savings") is not None:
        savings = xl_range_abs(top + 1, columns.index("savings"), top + len(buckets), columns.index("savings"))
        sheet.write_formula(row + 1, 2, f"=SUM({savings})", formats.money_check, formula["total_savings"])
    if note:
        sheet.write_string(row + 1, 3, note, formats.modeled)
    row += 3
    if formula.get("unpriced_buckets"):
        sheet.write_string(row, 0, "unpriced_buckets", formats.label)
        sheet.write_string(row, 1, "claims in these buckets have no proposal term, so no proposed cost")
        row = write_table(sheet, row + 1, ["channel", "brand_generic"], formula["unpriced_buckets"], formats) + 1
    return row
