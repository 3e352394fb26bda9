"""The Extract sheet: the run's claim-level rows, streamed (constant_memory) so a million claims do not grow memory.

A sheet holds at most 1,048,576 rows; past that the rows continue on `Extract 2`, `Extract 3`, … each with its
own header, so no claim is ever cut off.
"""
from __future__ import annotations

from collections.abc import Iterable
from operator import attrgetter

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from services.publisher.adapters.workbook.workbook_banner import write_heading
from services.publisher.adapters.workbook.workbook_cells import FIRST_ROW, Formats, width, write_value
from services.publisher.domain.extract import EXTRACT_COLUMNS, ExtractRow
from services.publisher.domain.extract_plan import ExtractPlan
from services.publisher.domain.run_context import RunContext

EXTRACT_SHEET = "Extract"
EXCEL_MAX_ROWS = 1_048_576
ROWS_PER_SHEET = EXCEL_MAX_ROWS - FIRST_ROW - 1  # below the run rows, the blank row and the header
_values = attrgetter(*EXTRACT_COLUMNS)
_WIDTHS = {"run_id": 30, "claim_id": 16, "member_key": 30, "drug_name": 36, "ndc": 13, "fill_date": 12}


class ExtractSheets:
    """The Extract sheet(s), taking claim rows as they come: `Extract`, then `Extract 2`, … each full sheet followed
    by the next only when another row arrives (so a full sheet is never followed by an empty one).

    Rows can arrive before the rest of the workbook is written (while calc still streams them); `close` sets
    each sheet's filter once its rows are known.
    """

    def __init__(self, workbook: Workbook, context: RunContext, formats: Formats,
                 rows_per_sheet: int = ROWS_PER_SHEET) -> None:
        self._workbook, self._context, self._formats, self._per_sheet = workbook, context, formats, rows_per_sheet
        self.written = 0
        self._sheet, self._top, self._count, self._number = self._new_sheet(1)

    def add(self, claims: Iterable[ExtractRow]) -> None:
        sheet, top, formats = self._sheet, self._top, self._formats
        for claim in claims:
            if self._count == self._per_sheet:
                self._filter()
                sheet, top, self._count, self._number = self._new_sheet(self._number + 1)
                self._sheet, self._top = sheet, top
            self._count += 1
            row = top + self._count
            for col, (field, value) in enumerate(zip(EXTRACT_COLUMNS, _values(claim))):
                write_value(sheet, row, col, field, value, formats)
        self.written = (self._number - 1) * self._per_sheet + self._count

    def close(self) -> int:
        """The last sheet's filter; returns the number of rows written."""
        self._filter()
        return self.written

    def _new_sheet(self, number: int) -> tuple[Worksheet, int, int, int]:
        sheet = self._workbook.add_worksheet(EXTRACT_SHEET if number == 1 else f"{EXTRACT_SHEET} {number}")
        top = write_heading(sheet, self._context, self._formats)
        sheet.write_row(top, 0, EXTRACT_COLUMNS, self._formats.header)
        sheet.freeze_panes(top + 1, 0)
        for col, field in enumerate(EXTRACT_COLUMNS):
            sheet.set_column(col, col, _WIDTHS.get(field, width(field)))
        return sheet, top, 0, number

    def _filter(self) -> None:
        self._sheet.autofilter(self._top, 0, self._top + max(self._count, 1), len(EXTRACT_COLUMNS) - 1)


def write_extract_note(workbook: Workbook, context: RunContext, formats: Formats, plan: ExtractPlan) -> None:
    """The one Extract sheet of a run whose rows are more than the workbook carries: where they are instead."""
    sheet = workbook.add_worksheet(EXTRACT_SHEET)
    top = write_heading(sheet, context, formats)
    sheet.write_string(top, 0, "extract", formats.label)
    sheet.write_string(top, 1, plan.note() or "")
    sheet.set_column(0, 0, 14)
    sheet.set_column(1, 1, 120)
