"""The report's styles and the building blocks every section uses: a figure cell that cannot hide its status, tables.

A modeled figure is never shown alone: its cell carries the word MODELED and a shaded background. A blocked
formula never reaches a figure cell at all (report_formulas shows its reasons instead).
"""
from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.platypus import Paragraph, Table, TableStyle

from services.publisher.domain.report_format import TEXT_FIELDS, field_text
from services.publisher.domain.report_pages import BLOCKED_SHADE, MODELED_SHADE, STATUS_COLORS

_BASE = getSampleStyleSheet()
STYLES = {
    "title": ParagraphStyle("title", _BASE["Title"], fontSize=26, leading=32),
    "subtitle": ParagraphStyle("subtitle", _BASE["Heading2"], fontSize=13, leading=16, alignment=1),
    "h1": ParagraphStyle("h1", _BASE["Heading1"], fontSize=16, leading=20, spaceAfter=6),
    "h2": ParagraphStyle("h2", _BASE["Heading2"], fontSize=12, leading=15, spaceBefore=8, spaceAfter=4),
    "body": ParagraphStyle("body", _BASE["BodyText"], fontSize=9, leading=12),
    "cell": ParagraphStyle("cell", _BASE["BodyText"], fontSize=7.5, leading=9),
    "number": ParagraphStyle("number", _BASE["BodyText"], fontSize=7.5, leading=9, alignment=TA_RIGHT),
    "mono": ParagraphStyle("mono", _BASE["BodyText"], fontName="Courier", fontSize=7.5, leading=9),
    "readiness": ParagraphStyle("readiness", _BASE["Title"], fontSize=40, leading=48),
}
_GRID = [("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#c0c6cc")),
         ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ecf0")),
         ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
         ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
SHADE = {"modeled": MODELED_SHADE, "blocked": BLOCKED_SHADE}


def text(value: str, style: str = "body") -> Paragraph:
    return Paragraph(escape(value), STYLES[style])


def status_word(status: str) -> str:
    """Markup: the status in capitals and its colour, as every section writes it."""
    return f'<font color="{STATUS_COLORS[status].hexval()}"><b>{status.upper()}</b></font>'


def figure(shown: str, status: str) -> Paragraph:
    """A number as the reader sees it; a modeled one carries its label in the same cell, right beside it."""
    label = f' <font name="Helvetica-Bold" size="5.5" color="{STATUS_COLORS["modeled"].hexval()}">MODELED</font>'
    return Paragraph(escape(shown) + (label if status == "modeled" else ""), STYLES["number"])


def field_cell(field: str, value: object, status: str) -> Paragraph:
    if field in TEXT_FIELDS:
        return text(field_text(field, value), "cell")
    return figure(field_text(field, value), status)


def grid(header: list[str], rows: list[list], status: str = "final", widths: list[float] | None = None,
         shaded_rows: dict[int, str] | None = None) -> Table:
    """A header row and body rows; a modeled table is shaded throughout, single rows by `shaded_rows`."""
    table = Table([[text(h, "cell") for h in header], *rows], colWidths=widths, repeatRows=1, hAlign="LEFT")
    style = list(_GRID)
    if status in SHADE and rows:
        style.append(("BACKGROUND", (0, 1), (-1, -1), SHADE[status]))
    for row, row_status in (shaded_rows or {}).items():
        if row_status in SHADE:
            style.append(("BACKGROUND", (0, row + 1), (-1, row + 1), SHADE[row_status]))
    table.setStyle(TableStyle(style))
    return table


def pairs(rows: list[tuple[str, str]], widths: tuple[float, float] = (150, 420), align: str = "LEFT") -> Table:
    """A two-column key/value table (identifiers in a fixed-width font, so hashes line up)."""
    body = [[text(key, "cell"), text(value, "mono")] for key, value in rows]
    table = Table(body, colWidths=list(widths), hAlign=align)
    table.setStyle(TableStyle(_GRID[:1] + _GRID[2:]))
    return table
