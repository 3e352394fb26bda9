"""What heads every sheet of a run that is not final: MODELED or BLOCKED, with each formula's status beside it.

A modeled run says MODELED on every sheet (calculations.md 4: nothing modeled reads as a final guarantee claim),
and readiness never shows alone: the banner carries audit_summary.status_line.
"""
from __future__ import annotations

from xlsxwriter.worksheet import Worksheet

from runtime.sufficiency import BLOCKED, MODELED
from services.publisher.adapters.workbook.workbook_cells import Formats, write_run_rows
from services.publisher.domain.audit_summary import audit_formulas, status_line
from services.publisher.domain.run_context import RunContext


def run_banner(context: RunContext) -> tuple[str, str] | None:
    """("MODELED, not final guarantee claims — 0 of 4 final; …", "modeled"), or None when every audit formula is final."""
    statuses = {f["status"] for f in audit_formulas(context.result)}
    heads = [status.upper() for status in (BLOCKED, MODELED) if status in statuses]
    if not heads:
        return None
    head = " and ".join(heads) + (", not final guarantee claims" if heads == [MODELED.upper()] else "")
    return f"{head} — {status_line(context.result)}", (BLOCKED if BLOCKED in statuses else MODELED)


def write_heading(sheet: Worksheet, context: RunContext, formats: Formats) -> int:
    """run_id, scope_hash and the banner; returns the first free row."""
    return write_run_rows(sheet, context.run_id, context.scope_hash, formats, run_banner(context))
