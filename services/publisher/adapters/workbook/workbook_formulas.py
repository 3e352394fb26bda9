"""One sheet per formula: its title in words (code in small print), status, reasons as sentences, then its figures.

A blocked formula shows its reasons and no figure at all; a modeled one carries MODELED_LABEL beside every figure
block, so nothing modeled reads as a final guarantee claim (calculations.md 4); repricing is labelled a projection.
"""
from __future__ import annotations

from xlsxwriter.worksheet import Worksheet

from kernel.sufficiency import AWP, BLOCKED, FEE, GDR, REBATE, REPRICING
from kernel.words import formula_title
from services.publisher.adapters.workbook.workbook_banner import write_heading
from services.publisher.adapters.workbook.workbook_cells import FIRST_ROW, Formats, write_table
from services.publisher.adapters.workbook.workbook_netting import write_netted
from services.publisher.adapters.workbook.workbook_other_formulas import write_gdr, write_repricing
from services.publisher.adapters.workbook.workbook_rebates import write_rebates
from services.publisher.domain.bucket_rows import EXCLUDED_COLUMNS, excluded_records, plain_totals
from services.publisher.domain.formula_labels import formula_name, note_of, reasons_text
from services.publisher.domain.run_context import RunContext


def write_formula(sheet: Worksheet, context: RunContext, formula: dict, formats: Formats) -> None:
    """Title, code, status, reasons and the caveat; unless blocked, the formula's own figures and its exclusions."""
    row = write_heading(sheet, context, formats)
    sheet.write_string(row, 0, formula_title(formula["id"]), formats.title)
    sheet.write_string(row + 1, 0, formula_name(formula), formats.code)
    sheet.write_string(row + 2, 0, "status", formats.label)
    sheet.write_string(row + 2, 1, formula["status"], formats.for_status(formula["status"]))
    sheet.write_string(row + 3, 0, "why", formats.label)
    sheet.write_string(row + 3, 1, reasons_text(formula))
    if formula["reasons"]:
        sheet.write_string(row + 4, 1, "; ".join(formula["reasons"]), formats.code)
    write_note(sheet, row + 5, 0, formula, formats)
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 1, 24)
    sheet.freeze_panes(FIRST_ROW, 0)  # the buckets table, when there is one, freezes its own header instead
    if formula["status"] == BLOCKED:
        return
    row = _write_figures(sheet, row + 7, context, formula, formats)
    if "excluded" in formula:
        write_table(sheet, row, EXCLUDED_COLUMNS, excluded_records(formula), formats)


def _write_figures(sheet: Worksheet, row: int, context: RunContext, formula: dict, formats: Formats) -> int:
    if formula["id"] in (AWP, FEE):
        return write_netted(sheet, row, formula, formats, note_of(formula))
    if formula["id"] == REBATE:
        return write_rebates(sheet, row, formula, context, formats, note_of(formula))
    if formula["id"] == GDR:
        return write_gdr(sheet, row, formula, formats, note_of(formula))
    if formula["id"] == REPRICING:
        return write_repricing(sheet, row, formula, formats, note_of(formula))
    return _write_plain(sheet, row, formula, formats)


def _write_plain(sheet: Worksheet, row: int, formula: dict, formats: Formats) -> int:
    """A formula this workbook has no layout for yet: its totals as field | value, nothing left out."""
    return write_table(sheet, row, ["field", "value"], plain_totals(formula), formats) + 1


def write_note(sheet: Worksheet, row: int, col: int, formula: dict, formats: Formats) -> None:
    note = note_of(formula)
    if note:
        sheet.write_string(row, col, note, formats.for_status(formula["status"]))

