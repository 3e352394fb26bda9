"""The report's closing block: the evidence the run rests on and its lineage, for whoever must trace a figure.

Identifiers and hashes are printed whole (a reader matches them against the evidence service), in small type.
"""
from __future__ import annotations

from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from services.publisher.adapters.pdf.report_tables import STYLES, pairs, side_by_side, table, text
from services.publisher.domain.evidence_rows import evidence_rows
from services.publisher.domain.lineage_rows import lineage_pairs
from services.publisher.domain.run_context import RunContext


class ClosingBlock(Flowable):
    """The last block of the report, never split, in one of two layouts: the lineage in one column (tall, more
    than half a page) or in two (compact, less than half a page).

    Tall where it fits; compact where only that fits; else it starts a page, tall. So the page it ends is more
    than half full whichever it is: moved, the page it left already was (compact did not fit), and placed compact,
    the page holds more than tall's height minus compact's. No page of the report is left mostly empty by it.
    """

    def __init__(self, tall: list, compact: list) -> None:
        super().__init__()
        self._tall, self._compact = _column(tall), _column(compact)
        self._chosen: Table = self._tall
        self._moved = False

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        width, tall = self._tall.wrap(avail_width, avail_height)
        if tall <= avail_height or self._moved:
            self._chosen = self._tall
            return width, tall
        width, compact = self._compact.wrap(avail_width, avail_height)
        if compact <= avail_height:
            self._chosen = self._compact
            return width, compact
        self._moved, self._chosen = True, self._tall   # does not fit here: it starts the next page, tall
        return width, tall

    def split(self, avail_width: float, avail_height: float) -> list:
        return []   # never split: it moves whole

    def draw(self) -> None:
        self._chosen.drawOn(self.canv, 0, 0)


def _column(flowables: list) -> Table:
    table = Table([[f] for f in flowables], hAlign="LEFT")
    table.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                               ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
    return table


def closing(context: RunContext) -> list:
    def block(columns: int) -> list:
        return [Spacer(0, 10), Paragraph("Evidence and lineage", STYLES["h1"]), *evidence(context),
                *lineage(context, columns)]
    return [ClosingBlock(block(columns=1), block(columns=2))]


def evidence(context: RunContext) -> list:
    """The evidence the run rests on; a candidate document's row is shaded as modeled."""
    view = evidence_rows(context)
    shown = table(view, widths=[90, 140, 130, 45, 315]) if view.rows else text("No evidence was recorded.")
    return [Spacer(0, 4), Paragraph("Evidence", STYLES["h2"]), shown, Spacer(0, 6)]


def lineage(context: RunContext, columns: int) -> list:
    rows = lineage_pairs(context)
    if columns == 1:
        return [Paragraph("Lineage", STYLES["h2"]), pairs(rows, widths=(170, 340), large=True)]
    half = (len(rows) + 1) // 2
    return [Paragraph("Lineage", STYLES["h2"]),
            side_by_side([pairs(rows[:half], widths=(112, 242))], [pairs(rows[half:], widths=(112, 242))],
                         (360, 360))]
