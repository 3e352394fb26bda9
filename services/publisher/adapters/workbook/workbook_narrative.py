"""The executive narrative on the Summary, when the run has one, under the narrative's own label (AI text says so)."""
from __future__ import annotations

from xlsxwriter.worksheet import Worksheet

from services.publisher.adapters.workbook.workbook_cells import Formats
from services.publisher.domain.narrative import narrative_label
from services.publisher.domain.run_context import RunContext

_CHARS_PER_LINE = 130     # what the Summary's B:F span shows of a wrapped paragraph, for its row height
_LINE_HEIGHT = 15


def write_narrative(sheet: Worksheet, row: int, context: RunContext, formats: Formats) -> int:
    """The label, then one wrapped row per paragraph; returns the row after it and a blank one (or `row`)."""
    narrative = context.narrative
    if narrative is None or not narrative.text.strip():
        return row
    sheet.write_string(row, 0, "narrative", formats.label)
    label = narrative_label(narrative)
    if label:
        sheet.write_string(row, 1, label, formats.code)
    paragraphs = [p.strip() for p in narrative.text.split("\n\n") if p.strip()]
    for at, paragraph in enumerate(paragraphs, start=row + 1):
        sheet.set_row(at, _LINE_HEIGHT * (1 + len(paragraph) // _CHARS_PER_LINE))
        sheet.merge_range(at, 1, at, 5, paragraph, formats.wrap)
    return row + len(paragraphs) + 2
