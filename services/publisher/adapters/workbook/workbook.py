"""The run's workbook (XLSX): Summary, one sheet per formula, Findings, Evidence, Data quality, Lineage, Extract.

Everything comes from the RunContext. The Extract sheet carries the claim rows up to a stated number
(LEAF_WORKBOOK_EXTRACT_MAX_ROWS); past it, the sheet and the Summary say how many rows there are and which
published files hold them all, and no row is shown (part of an extract could be read as all of it).
The same context gives the same bytes: the document's dates are the run's `created_at`, no author comes from
the environment, and XlsxWriter stamps every zip entry with a fixed 1980 date, never the wall clock.
"""
from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterable
from datetime import UTC
from os import PathLike
from typing import BinaryIO

from xlsxwriter.workbook import Workbook

from services.publisher.adapters.workbook.workbook_cells import Formats
from services.publisher.adapters.workbook.workbook_check import add_sheet
from services.publisher.adapters.workbook.workbook_extract import (
    ROWS_PER_SHEET,
    ExtractSheets,
    write_extract_note,
)
from services.publisher.adapters.workbook.workbook_findings import write_findings
from services.publisher.adapters.workbook.workbook_formulas import write_formula
from services.publisher.adapters.workbook.workbook_records import write_data_quality, write_evidence, write_lineage
from services.publisher.adapters.workbook.workbook_summary import write_summary
from services.publisher.domain.deliverable_files import WORKBOOK
from services.publisher.domain.extract import ExtractRow
from services.publisher.domain.extract_plan import ExtractPlan
from services.publisher.domain.presentation_contract import ContractCheck
from services.publisher.domain.run_context import RunContext
from services.publisher.domain.workbook_sheets import sheet_names
from services.publisher.domain.workbook_view import findings_note

_OPTIONS = {
    # Rows go to a temporary file as soon as the next row starts, so the extract's size never reaches memory.
    "constant_memory": True,
    # Text stays text: a drug name starting with "=" or "http" must not become a formula or a link.
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


class WorkbookWriter:
    """The workbook written in two moves, so its Extract rows can be written while calc still streams them.

    Opening adds every sheet in its place and, when the rows are to be carried, takes claim rows into the Extract
    sheet as they come (`add`). `finish` writes the rest from the run's final context (the Summary, Findings and
    Lineage need the claim findings and the narrative, known only after the last claim) and closes the file.
    Written in one go (`write_workbook`) or with the rows arriving from calc's stream in another process
    (adapters/workbook_process.py), each sheet gets the same writes in the same order: the same bytes.
    Rows go first because XlsxWriter numbers a cell format when a cell first uses it.
    """

    def __init__(self, context: RunContext, out: str | PathLike | BinaryIO, *, carry_rows: bool,
                 check: ContractCheck | None = None, extract_rows_per_sheet: int = ROWS_PER_SHEET) -> None:
        # Our own scratch directory: if writing fails, its row files go with it and `out` is never written half.
        self._scratch = tempfile.TemporaryDirectory(prefix="leaf-workbook-")
        target = out if hasattr(out, "write") else os.fspath(out)
        self._workbook = workbook = Workbook(target, {**_OPTIONS, "tmpdir": self._scratch.name})
        workbook.set_properties({
            "title": f"LeafEnterprise audit workbook {context.run_id}", "subject": context.scope_hash,
            "author": "LeafEnterprise", "company": "LeafEnterprise",
            # XlsxWriter prints this with a literal `Z`, so it must be UTC already.
            "created": context.created_at.astimezone(UTC)})
        self._formats = Formats.of(workbook)
        sheet = lambda name: add_sheet(workbook, name, check, WORKBOOK)  # noqa: E731
        self._sheets = [sheet(name) for name in sheet_names(context)]
        # The extract's rows were checked as they were produced; its sheets are plain, so each cell is checked once.
        self._extract = ExtractSheets(workbook, context, self._formats, extract_rows_per_sheet) if carry_rows else None

    @property
    def rows(self) -> int:
        return 0 if self._extract is None else self._extract.written

    def add(self, claims: Iterable[ExtractRow]) -> None:
        if self._extract is None:
            raise ValueError("this workbook carries no extract rows")
        self._extract.add(claims)

    def finish(self, context: RunContext, extract: ExtractPlan) -> None:
        """Every other sheet from the final context, then the file; `extract` must agree with how it was opened."""
        try:
            if extract.carried != (self._extract is not None):
                raise ValueError("the extract plan does not match the workbook as opened")
            formats, sheets = self._formats, iter(self._sheets)
            write_summary(next(sheets), context, formats, extract.note(), findings_note(context))
            for formula in context.formulas:
                write_formula(next(sheets), context, formula, formats)
            write_findings(next(sheets), context, formats)
            write_evidence(next(sheets), context, formats)
            write_data_quality(next(sheets), context, formats)
            write_lineage(next(sheets), context, formats)
            if self._extract is None:
                write_extract_note(self._workbook, context, formats, extract)
            else:
                self._extract.close()
            self._workbook.close()
        finally:
            self._scratch.cleanup()

    def discard(self) -> None:
        """Give up without writing the file (its temporary row files go)."""
        self._scratch.cleanup()


def write_workbook(context: RunContext, out: str | PathLike | BinaryIO, *, extract: ExtractPlan | None = None,
                   check: ContractCheck | None = None, extract_rows_per_sheet: int = ROWS_PER_SHEET) -> None:
    """Write the workbook to a path or a binary file object (tests lower extract_rows_per_sheet to see it spill).

    `extract` says how many claim rows there are, how many the workbook may carry and where the full extract is
    (default: all rows, counted here); `check` sees every text cell and sheet name as it is written.
    """
    plan = extract or ExtractPlan.every_row(context)
    writer = WorkbookWriter(context, out, carry_rows=plan.carried, check=check,
                            extract_rows_per_sheet=extract_rows_per_sheet)
    try:
        if plan.carried:
            writer.add(context.claims())
    except BaseException:
        writer.discard()
        raise
    writer.finish(context, plan)


def workbook_bytes(context: RunContext) -> bytes:
    out = io.BytesIO()
    write_workbook(context, out)
    return out.getvalue()
