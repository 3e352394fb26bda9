"""The Findings sheet: what the audit found beyond the formulas' figures, each explained in words.

- every unguaranteed bucket (`no_term`): claims the contract gives no guarantee for, with their claims and spend;
- the suspect_channel claims (retail 30-day billed with 90-day supplies), explained and listed;
- the claims each formula excluded, per reason, with the reason in words.
Nothing here changes a figure of the result; it explains and lists (claim_findings.py); the records come from
domain/findings_rows.py.
"""
from __future__ import annotations

from xlsxwriter.worksheet import Worksheet

from kernel.words import SUSPECT_CHANNEL, UNGUARANTEED_BUCKET, UNGUARANTEED_REBATE
from services.publisher.adapters.workbook.workbook_banner import write_heading
from services.publisher.adapters.workbook.workbook_cells import FIRST_ROW, Formats, write_table
from services.publisher.domain.findings_rows import (
    SUSPECT_COLUMNS,
    UNGUARANTEED_COLUMNS,
    bucket_records,
    excluded_table,
    suspect_note,
    suspect_records,
)
from services.publisher.domain.run_context import RunContext

NOT_GATHERED = "not gathered for this run: the formulas' excluded counts below give the no_term claims"


def write_findings(sheet: Worksheet, context: RunContext, formats: Formats) -> None:
    row = write_heading(sheet, context, formats)
    sheet.write_string(row, 0, "Audit findings", formats.title)
    row = _unguaranteed(sheet, row + 2, context, formats)
    row = _unguaranteed_rebate(sheet, row, context, formats)
    row = _suspect(sheet, row, context, formats)
    _excluded(sheet, row, context, formats)
    sheet.freeze_panes(FIRST_ROW, 0)
    for col, w in enumerate((26, 18, 14, 12, 12, 18, 18, 16, 18)):
        sheet.set_column(col, col, w)


def _section(sheet: Worksheet, row: int, title: str, words: str, code: str, formats: Formats) -> int:
    sheet.write_string(row, 0, title, formats.label)
    sheet.write_string(row, 1, words)
    sheet.write_string(row + 1, 1, code, formats.code)
    return row + 2


def _unguaranteed(sheet: Worksheet, row: int, context: RunContext, formats: Formats) -> int:
    row = _section(sheet, row, "unguaranteed buckets", UNGUARANTEED_BUCKET, "no_term", formats)
    if context.findings is None:
        sheet.write_string(row, 1, NOT_GATHERED)
        return row + 2
    buckets = bucket_records(context.findings.unguaranteed)
    if not buckets:
        sheet.write_string(row, 1, "none: the contract has a pricing term for every channel and drug type in the scope")
        return row + 2
    return write_table(sheet, row, UNGUARANTEED_COLUMNS, buckets, formats) + 1


def _unguaranteed_rebate(sheet: Worksheet, row: int, context: RunContext, formats: Formats) -> int:
    if context.findings is None or context.formula("rebate_guarantee") is None:
        return row
    row = _section(sheet, row, "no rebate guarantee", UNGUARANTEED_REBATE, "rebate_guarantee: no_term", formats)
    buckets = bucket_records(context.findings.unguaranteed_rebate)
    if not buckets:
        sheet.write_string(row, 1, "none: every channel with brand claims has a rebate term")
        return row + 2
    return write_table(sheet, row, UNGUARANTEED_COLUMNS, buckets, formats) + 1


def _suspect(sheet: Worksheet, row: int, context: RunContext, formats: Formats) -> int:
    row = _section(sheet, row, "suspect channel", SUSPECT_CHANNEL, "suspect_channel", formats)
    listed = context.findings.suspect_channel if context.findings is not None else ()
    sheet.write_string(row, 1, suspect_note(context))
    if not listed:
        return row + 2
    return write_table(sheet, row + 1, SUSPECT_COLUMNS, suspect_records(listed), formats) + 1


def _excluded(sheet: Worksheet, row: int, context: RunContext, formats: Formats) -> int:
    """reason | claims per formula | why: every formula that excludes claims, side by side."""
    sheet.write_string(row, 0, "excluded claims", formats.label)
    sheet.write_string(row, 1, "claims each formula leaves out, by reason")
    columns, rows = excluded_table(context)
    return write_table(sheet, row + 1, columns, rows, formats) + 1
