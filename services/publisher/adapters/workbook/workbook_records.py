"""The Evidence, Data quality and Lineage sheets: what the run stood on, what counted against it, how to replay it.

The records come from the domain (evidence_rows, findings_rows, lineage_rows); this lays them out and sizes columns.
"""
from __future__ import annotations

from xlsxwriter.worksheet import Worksheet

from services.publisher.adapters.workbook.workbook_banner import write_heading
from services.publisher.adapters.workbook.workbook_cells import FIRST_ROW, Formats, width, write_table
from services.publisher.domain.evidence_rows import EVIDENCE_COLUMNS, MISSING_COLUMNS, evidence_records, missing_evidence
from services.publisher.domain.findings_rows import rejected_records, scope_count_records
from services.publisher.domain.lineage_rows import formula_versions, lineage_facts
from services.publisher.domain.run_context import RunContext


def write_evidence(sheet: Worksheet, context: RunContext, formats: Formats) -> None:
    row = write_heading(sheet, context, formats)
    row = write_table(sheet, row, EVIDENCE_COLUMNS, evidence_records(context), formats, main=True) + 1
    sheet.write_string(row, 0, "missing_evidence", formats.label)
    write_table(sheet, row + 1, MISSING_COLUMNS, missing_evidence(context), formats)
    for col, w in enumerate((26, 26, 52, 10, 68, 60)):
        sheet.set_column(col, col, w)


def write_data_quality(sheet: Worksheet, context: RunContext, formats: Formats) -> None:
    """The scope's row counts, then each in-scope rejected row with its input row number and reason."""
    row = write_heading(sheet, context, formats)
    row = write_table(sheet, row, ["measure", "rows"], scope_count_records(context), formats) + 1
    write_table(sheet, row, ["row", "reason"], rejected_records(context), formats, main=True)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 68)


def write_lineage(sheet: Worksheet, context: RunContext, formats: Formats) -> None:
    """Everything needed to replay the run: ids, versions, input hashes and the run's own timestamp."""
    row = write_heading(sheet, context, formats)
    sheet.freeze_panes(FIRST_ROW, 0)  # a short key/value list: keeping the run rows in view is enough
    row = write_table(sheet, row, ["field", "value"], lineage_facts(context), formats) + 1
    write_table(sheet, row, ["formula_id", "version"], formula_versions(context), formats)
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 1, width("sha256"))
