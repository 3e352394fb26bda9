"""The workbook's sheets, in order: Summary, one per formula (named by its title), Findings, Evidence, Data quality,
Lineage; the Extract sheet(s) follow (adapters/workbook/workbook_extract.py). The workbook renderer adds them in
this order and the tests find a formula's sheet by the same name."""
from __future__ import annotations

from kernel.words import formula_title
from services.publisher.domain.run_context import RunContext

SUMMARY, FINDINGS, EVIDENCE, DATA_QUALITY, LINEAGE = "Summary", "Findings", "Evidence", "Data quality", "Lineage"
SHEET_NAME_LENGTH = 31  # Excel's limit for a sheet name


def sheet_name(formula_id: str) -> str:
    """A formula's sheet is named by its title ("AWP discount guarantee"); its code is on the sheet, in small print."""
    return formula_title(formula_id)[:SHEET_NAME_LENGTH]


def sheet_names(context: RunContext) -> list[str]:
    """Every sheet before the Extract, in order."""
    return [SUMMARY, *(sheet_name(f["id"]) for f in context.formulas), FINDINGS, EVIDENCE, DATA_QUALITY, LINEAGE]
