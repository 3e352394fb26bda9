"""The Summary sheet: who and when, readiness beside each formula's status, the total owed split final / modeled.

What a CFO's analyst reads first: names beside ids, the sign convention once, the total owed with Excel's own
SUMIFS beside it (the published figure stays the calc result; the formula shows where it comes from), each
formula's status and reasons in words, the narrative when the run has one, and where the findings are.
"""
from __future__ import annotations

from xlsxwriter.utility import xl_range_abs, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from kernel.sufficiency import FINAL, MODELED
from kernel.words import SIGN_CONVENTION
from services.publisher.adapters.workbook.workbook_banner import write_heading
from services.publisher.adapters.workbook.workbook_cells import FIRST_ROW, Formats, write_value
from services.publisher.adapters.workbook.workbook_narrative import write_narrative
from services.publisher.domain.audit_summary import owed, status_line
from services.publisher.domain.run_context import RunContext
from services.publisher.domain.status_rows import SUMMARY_COLUMNS, summary_rows
from services.publisher.domain.workbook_view import blocked_guarantees, owed_guarantees, scope_facts

OWED_COLUMNS = ["total owed to the plan", "amount", "check (Excel formula)", "guarantees"]
_STATUS, _FIGURE, _VALUE = 1, 3, 4   # the formulas table's columns the owed SUMIFS read
_OWED_LINES = 4                       # final, modeled, total, blocked


def write_summary(sheet: Worksheet, context: RunContext, formats: Formats, extract_note: str | None = None,
                  findings_note: str | None = None) -> None:
    row = write_heading(sheet, context, formats)
    for label, value in scope_facts(context):
        sheet.write_string(row, 0, label, formats.label)
        sheet.write_string(row, 1, value)
        row += 1
    sheet.write_string(row, 0, "readiness", formats.label)
    sheet.write_string(row, 1, context.readiness, formats.for_status(context.readiness))
    sheet.write_string(row, 2, status_line(context.result))   # never readiness alone (calculations.md 4)
    sheet.write_string(row + 1, 0, "sign convention", formats.label)
    sheet.write_string(row + 1, 1, SIGN_CONVENTION)
    owed_top = row + 3
    table_top = owed_top + 1 + _OWED_LINES + 1    # below the owed block and a blank row
    row = _write_owed(sheet, owed_top, table_top, context, formats)
    row = _write_formulas(sheet, row + 1, context, formats)
    row = write_narrative(sheet, row + 1, context, formats)
    for label, note in (("audit findings", findings_note), ("extract", extract_note)):
        if note:
            sheet.write_string(row, 0, label, formats.label)
            sheet.write_string(row, 1, note)
            row += 1
    sheet.freeze_panes(FIRST_ROW, 0)   # the run rows and the banner stay in view
    for col, w in enumerate((28, 16, 60, 22, 16, 44, 30)):
        sheet.set_column(col, col, w)


def _write_owed(sheet: Worksheet, row: int, table_top: int, context: RunContext, formats: Formats) -> int:
    """final | modeled | total | blocked: the published Decimals, and beside each the SUMIFS over the formulas table."""
    total_owed = owed(context.result)
    rows = range(table_top + 1, table_top + 1 + len(context.formulas))
    column = {c: xl_range_abs(rows.start, c, rows.stop - 1, c) for c in (_STATUS, _FIGURE, _VALUE)}
    sheet.write_row(row, 0, OWED_COLUMNS, formats.header)
    for offset, (label, status, amount) in enumerate((("final", FINAL, total_owed.final),
                                                     ("modeled", MODELED, total_owed.modeled)), start=1):
        sheet.write_string(row + offset, 0, label, formats.label)
        write_value(sheet, row + offset, 1, "shortfall", amount, formats)
        sheet.write_formula(row + offset, 2, f'=SUMIFS({column[_VALUE]},{column[_STATUS]},"{status}",'
                            f'{column[_FIGURE]},"shortfall")', formats.money_check, amount)
        sheet.write_string(row + offset, 3, owed_guarantees(context, status))
    final_cell, modeled_cell = xl_rowcol_to_cell(row + 1, 1), xl_rowcol_to_cell(row + 2, 1)
    sheet.write_string(row + 3, 0, "total (final + modeled)", formats.label)
    write_value(sheet, row + 3, 1, "shortfall", total_owed.total, formats)
    sheet.write_formula(row + 3, 2, f"={final_cell}+{modeled_cell}", formats.money_check, total_owed.total)
    sheet.write_string(row + 4, 0, "blocked: no figure", formats.label)
    sheet.write_string(row + 4, 3, blocked_guarantees(context), formats.blocked if total_owed.blocked else formats.text)
    return row + 1 + _OWED_LINES


def _write_formulas(sheet: Worksheet, row: int, context: RunContext, formats: Formats) -> int:
    """One row per formula: its title, status, reasons in words, headline figure and its code in small print."""
    sheet.write_row(row, 0, SUMMARY_COLUMNS, formats.header)
    for i, line in enumerate(summary_rows(context), start=row + 1):
        sheet.write_string(i, 0, line.title)
        sheet.write_string(i, 1, line.status, formats.for_status(line.status))
        sheet.write_string(i, 2, line.why)
        sheet.write_string(i, 3, line.figure)
        write_value(sheet, i, 4, line.field, line.value, formats)
        if line.note:
            sheet.write_string(i, 5, line.note, formats.for_status(line.status))
        sheet.write_string(i, 6, line.code, formats.code)
    return row + len(context.formulas) + 1
