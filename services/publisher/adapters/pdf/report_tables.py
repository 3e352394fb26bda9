"""The report's styles and the building blocks every section uses: a figure cell that cannot hide its status, tables.

A modeled figure is never shown alone: its cell carries the word MODELED and a shaded background. A blocked
formula never reaches a figure cell at all (report_formulas shows its reasons instead). Codes (formula ids,
reason codes) are printed only in small grey type beside the words a reader is meant to read.
"""
from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.platypus import Paragraph, Table, TableStyle

from services.publisher.adapters.pdf.report_pages import BLOCKED_SHADE, MODELED_SHADE, STATUS_COLORS
from services.publisher.domain.report_format import field_text
from services.publisher.domain.table_view import LABEL, MONO, NUMBER, TEXT, TOTAL, Cell, TableView

_BASE = getSampleStyleSheet()
CODE_GREY = "#6b7680"
STYLES = {
    "title": ParagraphStyle("title", _BASE["Title"], fontSize=22, leading=26, alignment=0, spaceAfter=2),
    "subtitle": ParagraphStyle("subtitle", _BASE["BodyText"], fontSize=11, leading=14, spaceAfter=2),
    # Headings keep with what follows them: a heading never ends a page without its table.
    "h1": ParagraphStyle("h1", _BASE["Heading1"], fontSize=14, leading=17, spaceBefore=10, spaceAfter=3,
                         keepWithNext=1),
    "h2": ParagraphStyle("h2", _BASE["Heading2"], fontSize=10.5, leading=13, spaceBefore=6, spaceAfter=3,
                         keepWithNext=1),
    "body": ParagraphStyle("body", _BASE["BodyText"], fontSize=9, leading=11.5, spaceBefore=3, spaceAfter=3),
    "lead": ParagraphStyle("lead", _BASE["BodyText"], fontSize=10.5, leading=14, spaceAfter=4),
    "cell": ParagraphStyle("cell", _BASE["BodyText"], fontSize=7.5, leading=9),
    "cell_bold": ParagraphStyle("cell_bold", _BASE["BodyText"], fontName="Helvetica-Bold", fontSize=7.5, leading=9),
    "number": ParagraphStyle("number", _BASE["BodyText"], fontSize=7.5, leading=9, alignment=TA_RIGHT),
    "number_bold": ParagraphStyle("number_bold", _BASE["BodyText"], fontName="Helvetica-Bold", fontSize=7.5,
                                  leading=9, alignment=TA_RIGHT),
    "big_number": ParagraphStyle("big_number", _BASE["BodyText"], fontName="Helvetica-Bold", fontSize=15,
                                 leading=18),
    "small": ParagraphStyle("small", _BASE["BodyText"], fontSize=6.5, leading=8, textColor=colors.HexColor(CODE_GREY)),
    "mono": ParagraphStyle("mono", _BASE["BodyText"], fontName="Courier", fontSize=6, leading=7.5),
    "mono_large": ParagraphStyle("mono_large", _BASE["BodyText"], fontName="Courier", fontSize=7, leading=9),
}
_GRID = [("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#c0c6cc")),
         ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ecf0")),
         ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
         ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
         ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4)]
SHADE = {"modeled": MODELED_SHADE, "blocked": BLOCKED_SHADE}


def text(value: str, style: str = "body") -> Paragraph:
    return Paragraph(escape(value), STYLES[style])


def code(value: str) -> str:
    """Markup: a machine code in small grey type, for the reader who needs to find it in the data."""
    return f'<font size="6.5" color="{CODE_GREY}">{escape(value)}</font>'


def status_word(status: str) -> str:
    """Markup: the status in capitals and its colour, as every section writes it."""
    return f'<font color="{STATUS_COLORS[status].hexval()}"><b>{status.upper()}</b></font>'


def figure(shown: str, status: str, style: str = "number") -> Paragraph:
    """A number as the reader sees it; a modeled one carries its label in the same cell, right beside it."""
    label = f' <font name="Helvetica-Bold" size="5.5" color="{STATUS_COLORS["modeled"].hexval()}">MODELED</font>'
    return Paragraph(escape(shown) + (label if status == "modeled" else ""), STYLES[style])


def field_cell(field: str, value: object, status: str) -> Paragraph:
    return figure(field_text(field, value), status)


def grid(header: list[str], rows: list[list], status: str = "final", widths: list[float] | None = None,
         shaded_rows: dict[int, str] | None = None, total_row: bool = False) -> Table:
    """A header row and body rows; a modeled table is shaded throughout, single rows by `shaded_rows`.

    `total_row`: the last row sums the others, so it is set off by a rule above it.
    """
    table = Table([[text(h, "cell_bold") for h in header], *rows], colWidths=widths, repeatRows=1, hAlign="LEFT")
    style = list(_GRID)
    if status in SHADE and rows:
        style.append(("BACKGROUND", (0, 1), (-1, -1), SHADE[status]))
    for row, row_status in (shaded_rows or {}).items():
        if row_status in SHADE:
            style.append(("BACKGROUND", (0, row + 1), (-1, row + 1), SHADE[row_status]))
    if total_row and rows:
        style.append(("LINEABOVE", (0, -1), (-1, -1), 1.0, colors.black))
    table.setStyle(TableStyle(style))
    return table


# A cell's style tag (domain/table_view.py) -> the paragraph style that draws it.
_CELL_STYLES = {TEXT: "cell", LABEL: "cell_bold", MONO: "mono", NUMBER: "number", TOTAL: "number_bold"}


def cell(value: Cell, status: str) -> Paragraph:
    """A view-model cell as a paragraph: a figure keeps its status label, words keep their code beside them."""
    style = _CELL_STYLES[value.style]
    if value.style in (NUMBER, TOTAL):
        return figure(value.value, status, style)
    if value.code:
        return Paragraph(f"{escape(value.value)} {code(value.code)}", STYLES[style])
    return text(value.value, style)


def table(view: TableView, widths: list[float]) -> Table:
    """A domain table laid out: the renderer chooses only the column widths."""
    rows = [[cell(value, view.status) for value in row] for row in view.rows]
    return grid(list(view.header), rows, view.status, widths=widths, shaded_rows=dict(view.shaded_rows),
                total_row=view.total_row)


def pairs(rows: list[tuple[str, str]], widths: tuple[float, float] = (150, 420), align: str = "LEFT",
          large: bool = False) -> Table:
    """A two-column key/value table (identifiers in a fixed-width font, so hashes line up); `large` for reading."""
    value_style = "mono_large" if large else "mono"
    body = [[text(name, "small"), text(value, value_style)] for name, value in rows]
    table = Table(body, colWidths=list(widths), hAlign=align)
    padding = [("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 5)] if large else []
    table.setStyle(TableStyle(_GRID[:1] + _GRID[2:] + padding))
    return table


def side_by_side(left: list, right: list, widths: tuple[float, float]) -> Table:
    """Two columns of flowables on one band of the page (a table beside its chart)."""
    table = Table([[left, right]], colWidths=list(widths), hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (0, -1), 12)]))
    return table
