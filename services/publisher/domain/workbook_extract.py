"""The Extract sheet: the run's claim-level rows, streamed (constant_memory) so a million claims do not grow memory.

A sheet holds at most 1,048,576 rows; past that the rows continue on `Extract 2`, `Extract 3`, … each with its
own header, so no claim is ever cut off.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain, islice
from operator import attrgetter

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from services.publisher.domain.extract import EXTRACT_COLUMNS, ExtractRow
from services.publisher.domain.run_context import RunContext
from services.publisher.domain.workbook_banner import write_heading
from services.publisher.domain.workbook_cells import FIRST_ROW, Formats, width, write_value

EXTRACT_SHEET = "Extract"
# The Extract sheet carries at most this many claim rows (LEAF_WORKBOOK_EXTRACT_MAX_ROWS): Excel opens 100,000
# rows comfortably and they take seconds to write; past it, the CSV and Parquet are the extract (a million rows
# of cells take minutes to write and most machines minutes to open).
WORKBOOK_EXTRACT_MAX_ROWS = 100_000
EXCEL_MAX_ROWS = 1_048_576
ROWS_PER_SHEET = EXCEL_MAX_ROWS - FIRST_ROW - 1  # below the run rows, the blank row and the header
_values = attrgetter(*EXTRACT_COLUMNS)
_WIDTHS = {"run_id": 30, "claim_id": 16, "member_key": 30, "drug_name": 36, "ndc": 13, "fill_date": 12}


@dataclass(frozen=True)
class ExtractPlan:
    """How many claim rows the run has, how many the workbook may carry, and the files that hold them all."""

    rows: int
    max_rows: int
    full_extract: tuple[str, ...] = ()

    @classmethod
    def every_row(cls, context: RunContext) -> ExtractPlan:
        rows = sum(1 for _ in context.claims())
        return cls(rows, rows)

    @property
    def carried(self) -> bool:
        return self.rows <= self.max_rows

    def note(self) -> str | None:
        """What the Extract sheet and the Summary say when the rows are elsewhere; None when they are carried."""
        if self.carried:
            return None
        return (f"{self.rows:,} claim rows: more than this workbook carries ({self.max_rows:,}, "
                f"LEAF_WORKBOOK_EXTRACT_MAX_ROWS). The full extract is published with this run as "
                f"{' and '.join(self.full_extract)}.")


def write_extract(workbook: Workbook, context: RunContext, formats: Formats, plan: ExtractPlan | None = None,
                  rows_per_sheet: int = ROWS_PER_SHEET) -> int:
    """Every claim row in order, onto as many Extract sheets as they need; returns the number of rows written.

    Past the plan's row limit, one Extract sheet says where the rows are instead, and none is written.
    """
    if plan is not None and not plan.carried:
        sheet = workbook.add_worksheet(EXTRACT_SHEET)
        top = write_heading(sheet, context, formats)
        sheet.write_string(top, 0, "extract", formats.label)
        sheet.write_string(top, 1, plan.note() or "")
        sheet.set_column(0, 0, 14)
        sheet.set_column(1, 1, 120)
        return 0
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
    top = write_heading(sheet, context, formats)
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
