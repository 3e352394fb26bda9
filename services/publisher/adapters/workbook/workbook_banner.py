"""What heads every sheet of a run that is not final: MODELED or BLOCKED, with each formula's status beside it.

A modeled run says MODELED on every sheet (calculations.md 4: nothing modeled reads as a final guarantee claim),
and readiness never shows alone: the banner carries audit_summary.status_line.
"""
from __future__ import annotations

from xlsxwriter.worksheet import Worksheet

from services.publisher.adapters.workbook.workbook_cells import Formats, write_run_rows
from services.publisher.domain.run_context import RunContext
from services.publisher.domain.workbook_view import run_banner


def write_heading(sheet: Worksheet, context: RunContext, formats: Formats) -> int:
    """run_id, scope_hash and the banner; returns the first free row."""
    return write_run_rows(sheet, context.run_id, context.scope_hash, formats, run_banner(context))
