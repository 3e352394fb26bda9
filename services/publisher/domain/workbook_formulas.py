"""The Summary sheet and one sheet per formula: statuses, reasons and figures exactly as the run's result has them.

A blocked formula shows its reasons and no figure at all; a modeled one carries MODELED_LABEL beside every figure
block, so nothing modeled reads as a final guarantee claim (calculations.md 4).
"""
from __future__ import annotations

from xlsxwriter.worksheet import Worksheet

from services.publisher.domain.report_format import HEADLINE
from services.publisher.domain.run_context import RunContext
from services.publisher.domain.workbook_cells import RUN_ROWS, Formats, width, write_run_rows, write_table, write_value

MODELED_LABEL = "MODELED — not a final guarantee claim"
BLOCKED_LABEL = "BLOCKED — no figure is shown; see the reasons"
_NOT_TOTALS = frozenset({"id", "version", "status", "reasons", "excluded", "buckets", "unpriced_buckets"})
SUMMARY_COLUMNS = ["formula", "status", "reasons", "headline", "value", "note"]


def formula_name(formula: dict) -> str:
    """`id@version`, as the registry names a formula (calculations.md 3)."""
    return f"{formula['id']}@{formula['version']}"


def headline_of(formula: dict) -> str:
    return HEADLINE.get(formula["id"]) or next((k for k in ("shortfall", "total_savings", "gdr") if k in formula), "")


def note_of(formula: dict) -> str:
    return {"blocked": BLOCKED_LABEL, "modeled": MODELED_LABEL}.get(formula["status"], "")


def write_summary(sheet: Worksheet, context: RunContext, formats: Formats, extract_note: str | None = None) -> None:
    row = write_run_rows(sheet, context.run_id, context.scope_hash, formats)
    scope = context.scope
    facts = [("client_id", scope["client_id"]), ("pbm_id", scope["pbm_id"]), ("tpa_id", scope["tpa_id"] or "all"),
             ("group_ids", "; ".join(scope["group_ids"]) or "all"), ("date_from", scope["date_from"]),
             ("date_to", scope["date_to"]), ("readiness", context.readiness)]
    for label, value in facts:
        sheet.write_string(row, 0, label, formats.label)
        sheet.write_string(row, 1, value, formats.for_status(value))
        row += 1
    row += 1
    sheet.write_row(row, 0, SUMMARY_COLUMNS, formats.header)
    for i, formula in enumerate(context.formulas, start=row + 1):
        headline = headline_of(formula)
        sheet.write_string(i, 0, formula_name(formula))
        sheet.write_string(i, 1, formula["status"])
        sheet.write_string(i, 2, "; ".join(formula["reasons"]))
        sheet.write_string(i, 3, headline)
        if formula["status"] != "blocked":
            write_value(sheet, i, 4, headline, formula.get(headline), formats)
        _write_note(sheet, i, 5, formula, formats)
    sheet.autofilter(row, 0, row + len(context.formulas), len(SUMMARY_COLUMNS) - 1)
    sheet.freeze_panes(row + 1, 0)
    if extract_note:  # the claim rows are too many for the Extract sheet: say where they are
        sheet.write_string(row + len(context.formulas) + 2, 0, "extract", formats.label)
        sheet.write_string(row + len(context.formulas) + 2, 1, extract_note)
    for col, w in enumerate((28, 68, 40, 14, 16, 46)):
        sheet.set_column(col, col, w)


def write_formula(sheet: Worksheet, context: RunContext, formula: dict, formats: Formats) -> None:
    """Its identity and status; unless blocked, its buckets, totals, excluded counts and unpriced buckets."""
    row = write_run_rows(sheet, context.run_id, context.scope_hash, formats)
    for label, value in (("formula", formula_name(formula)), ("status", formula["status"]),
                         ("reasons", "; ".join(formula["reasons"]))):
        sheet.write_string(row, 0, label, formats.label)
        sheet.write_string(row, 1, value)
        row += 1
    _write_note(sheet, row, 0, formula, formats)
    sheet.set_column(0, 1, 24)
    sheet.freeze_panes(RUN_ROWS, 0)  # the buckets table, when there is one, freezes its own header instead
    if formula["status"] != "blocked":
        _write_figures(sheet, row + 2, formula, formats)


def _write_figures(sheet: Worksheet, row: int, formula: dict, formats: Formats) -> None:
    buckets = formula.get("buckets") or []
    if buckets:
        columns = list(dict.fromkeys(k for bucket in buckets for k in bucket))
        row = write_table(sheet, row, columns, buckets, formats, main=True) + 1
        for col, field in enumerate(columns[2:], start=2):
            sheet.set_column(col, col, width(field))
    totals = [(k, v) for k, v in formula.items() if k not in _NOT_TOTALS]
    row = _write_totals(sheet, row, totals, formula, formats)
    if "excluded" in formula:
        excluded = [{"excluded": k, "claims": v} for k, v in formula["excluded"].items()]
        row = write_table(sheet, row, ["excluded", "claims"], excluded, formats) + 1
    if "unpriced_buckets" in formula:
        sheet.write_string(row, 0, "unpriced_buckets", formats.label)
        write_table(sheet, row + 1, ["channel", "brand_generic"], formula["unpriced_buckets"], formats)


def _write_totals(sheet: Worksheet, row: int, totals: list[tuple[str, object]], formula: dict,
                  formats: Formats) -> int:
    """total | value | note rows, each value formatted as its own field (money, a ratio or a count).

    The note repeats the modeled label beside each total, so a total copied on its own keeps its caveat.
    """
    sheet.write_row(row, 0, ["total", "value", "note"], formats.header)
    for i, (field, value) in enumerate(totals, start=row + 1):
        sheet.write_string(i, 0, field, formats.label)
        write_value(sheet, i, 1, field, value, formats)
        _write_note(sheet, i, 2, formula, formats)
    return row + len(totals) + 2


def _write_note(sheet: Worksheet, row: int, col: int, formula: dict, formats: Formats) -> None:
    note = note_of(formula)
    if note:
        sheet.write_string(row, col, note, formats.for_status(formula["status"]))
