"""The Extract sheet: the run's claim-level rows, streamed (constant_memory) so a million claims do not grow memory.

A sheet holds at most 1,048,576 rows; past that the rows continue on `Extract 2`, `Extract 3`, … each with its
own header, so no claim is ever cut off.
"""
from __future__ import annotations

from collections.abc import Iterable
from itertools import chain, islice
from operator import attrgetter

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from services.publisher.domain.extract import EXTRACT_COLUMNS, ExtractRow
from services.publisher.domain.run_context import RunContext
from services.publisher.domain.workbook_cells import FIRST_ROW, Formats, width, write_run_rows, write_value

EXTRACT_SHEET = "Extract"
EXCEL_MAX_ROWS = 1_048_576
ROWS_PER_SHEET = EXCEL_MAX_ROWS - FIRST_ROW - 1  # below the run rows, the blank row and the header
_values = attrgetter(*EXTRACT_COLUMNS)
_WIDTHS = {"run_id": 30, "claim_id": 16, "member_key": 30, "drug_name": 36, "ndc": 13, "fill_date": 12}


def write_extract(workbook: Workbook, context: RunContext, formats: Formats,
                  rows_per_sheet: int = ROWS_PER_SHEET) -> int:
    """Every claim row in order, onto as many Extract sheets as they need; returns the number of rows written."""
    claims = iter(context.claims())
    first = next(claims, None)  # looked at in advance, so a full sheet is never followed by an empty one
    written, number = 0, 1
    while True:
        sheet = workbook.add_worksheet(EXTRACT_SHEET if number == 1 else f"{EXTRACT_SHEET} {number}")
        chunk = () if first is None else chain((first,), islice(claims, rows_per_sheet - 1))
        written += _fill(sheet, context, chunk, formats)
        first = next(claims, None)
        if first is None:
            return written
        number += 1


def _fill(sheet: Worksheet, context: RunContext, claims: Iterable[ExtractRow], formats: Formats) -> int:
    top = write_run_rows(sheet, context.run_id, context.scope_hash, formats)
    sheet.write_row(top, 0, EXTRACT_COLUMNS, formats.header)
    sheet.freeze_panes(top + 1, 0)
    for col, field in enumerate(EXTRACT_COLUMNS):
        sheet.set_column(col, col, _WIDTHS.get(field, width(field)))
    count = 0
    for count, claim in enumerate(claims, start=1):
        for col, (field, value) in enumerate(zip(EXTRACT_COLUMNS, _values(claim))):
            write_value(sheet, top + count, col, field, value, formats)
    sheet.autofilter(top, 0, top + max(count, 1), len(EXTRACT_COLUMNS) - 1)
    return count
