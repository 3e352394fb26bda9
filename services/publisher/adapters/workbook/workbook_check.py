"""Workbook text checked by the presentation contract as it is written: `Sheet!A1`, the place a reader finds it."""
from __future__ import annotations

from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from services.publisher.domain.presentation_contract import ContractCheck


class CheckedSheet:
    """A worksheet whose text cells meet the contract on the way in; everything else passes straight through.

    Numbers, dates and formats need no check (no rule can fire on a number); what XlsxWriter adds around the
    cells (properties, names, links, comments) is checked once the file is written (presentation_rendered.py).
    """

    def __init__(self, sheet: Worksheet, check: ContractCheck, artifact: str) -> None:
        self.sheet, self._check, self._artifact = sheet, check, artifact

    def write_string(self, row: int, col: int, text: str, *args):
        self._check.cell(self._artifact, f"{self.sheet.name}!{xl_rowcol_to_cell(row, col)}", text)
        return self.sheet.write_string(row, col, text, *args)

    def write_row(self, row: int, col: int, values, *args):
        for offset, value in enumerate(values):
            if isinstance(value, str):
                self._check.cell(self._artifact, f"{self.sheet.name}!{xl_rowcol_to_cell(row, col + offset)}", value)
        return self.sheet.write_row(row, col, values, *args)

    def merge_range(self, first_row: int, first_col: int, last_row: int, last_col: int, text: str, *args):
        self._check.cell(self._artifact, f"{self.sheet.name}!{xl_rowcol_to_cell(first_row, first_col)}", text)
        return self.sheet.merge_range(first_row, first_col, last_row, last_col, text, *args)

    def __getattr__(self, name: str):
        return getattr(self.sheet, name)


def add_sheet(workbook: Workbook, name: str, check: ContractCheck | None, artifact: str) -> Worksheet:
    """A new sheet; with a check, its name is checked as a field name and its text cells as they are written."""
    sheet = workbook.add_worksheet(name)
    if check is None:
        return sheet
    check.name(artifact, f"sheet name {name!r}", name)
    return CheckedSheet(sheet, check, artifact)  # type: ignore[return-value]  # a Worksheet to every writer
