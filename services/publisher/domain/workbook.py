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
from datetime import UTC
from os import PathLike
from typing import BinaryIO

from xlsxwriter.workbook import Workbook

from runtime.words import formula_title
from services.publisher.domain.presentation_contract import ContractCheck
from services.publisher.domain.run_context import RunContext
from services.publisher.domain.workbook_cells import Formats
from services.publisher.domain.workbook_check import add_sheet
from services.publisher.domain.workbook_extract import ROWS_PER_SHEET, ExtractPlan, write_extract
from services.publisher.domain.workbook_findings import findings_note, write_findings
from services.publisher.domain.workbook_formulas import write_formula
from services.publisher.domain.workbook_records import write_data_quality, write_evidence, write_lineage
from services.publisher.domain.workbook_summary import write_summary

SUMMARY, FINDINGS, EVIDENCE, DATA_QUALITY, LINEAGE = "Summary", "Findings", "Evidence", "Data quality", "Lineage"
WORKBOOK = "report.xlsx"
_OPTIONS = {
    # Rows go to a temporary file as soon as the next row starts, so the extract's size never reaches memory.
    "constant_memory": True,
    # Text stays text: a drug name starting with "=" or "http" must not become a formula or a link.
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def write_workbook(context: RunContext, out: str | PathLike | BinaryIO, *, extract: ExtractPlan | None = None,
                   check: ContractCheck | None = None, extract_rows_per_sheet: int = ROWS_PER_SHEET) -> None:
    """Write the workbook to a path or a binary file object (tests lower extract_rows_per_sheet to see it spill).

    `extract` says how many claim rows there are, how many the workbook may carry and where the full extract is
    (default: all rows, counted here); `check` sees every text cell and sheet name as it is written.
    """
    # Our own scratch directory: if writing fails, its row files go with it and `out` is never written half.
    with tempfile.TemporaryDirectory(prefix="leaf-workbook-") as scratch:
        target = out if hasattr(out, "write") else os.fspath(out)
        workbook = Workbook(target, {**_OPTIONS, "tmpdir": scratch})
        workbook.set_properties({
            "title": f"LeafEnterprise audit workbook {context.run_id}", "subject": context.scope_hash,
            "author": "LeafEnterprise", "company": "LeafEnterprise",
            # XlsxWriter prints this with a literal `Z`, so it must be UTC already.
            "created": context.created_at.astimezone(UTC)})
        plan = extract or ExtractPlan.every_row(context)
        _write_sheets(workbook, context, plan, check, extract_rows_per_sheet)
        workbook.close()


def _write_sheets(workbook: Workbook, context: RunContext, extract: ExtractPlan, check: ContractCheck | None,
                  extract_rows_per_sheet: int) -> None:
    formats = Formats.of(workbook)
    sheet = lambda name: add_sheet(workbook, name, check, WORKBOOK)  # noqa: E731
    write_summary(sheet(SUMMARY), context, formats, extract.note(), findings_note(context))
    for formula in context.formulas:
        write_formula(sheet(sheet_name(formula["id"])), context, formula, formats)
    write_findings(sheet(FINDINGS), context, formats)
    write_evidence(sheet(EVIDENCE), context, formats)
    write_data_quality(sheet(DATA_QUALITY), context, formats)
    write_lineage(sheet(LINEAGE), context, formats)
    # The extract's rows were checked as they were produced; its sheets are plain, so each cell is checked once.
    write_extract(workbook, context, formats, extract, extract_rows_per_sheet)


def sheet_name(formula_id: str) -> str:
    """A formula's sheet is named by its title ("AWP discount guarantee"); its code is on the sheet, in small print."""
    return formula_title(formula_id)[:31]   # Excel's limit for a sheet name


def workbook_bytes(context: RunContext) -> bytes:
    out = io.BytesIO()
    write_workbook(context, out)
    return out.getvalue()
