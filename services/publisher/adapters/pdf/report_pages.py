"""What every page of the run report carries: who and what was audited, the run's status band, page X of Y.

The body never draws these: the page template's callback does, so no page can leave them out. The status band
is the run's, on every page: a reader who opens page 7 of a modeled report still reads MODELED before any figure.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from reportlab.lib import colors
from reportlab.lib.pagesizes import landscape, letter
from reportlab.pdfgen.canvas import Canvas

PAGE_SIZE = landscape(letter)  # bucket tables have up to ten columns, each may carry a MODELED label
MARGIN = 36
TOP_MARGIN = 58                # room for the header line and the status band above the body
STATUS_COLORS = {"final": colors.HexColor("#1b7f3b"), "modeled": colors.HexColor("#b26a00"),
                 "blocked": colors.HexColor("#b3261e")}
MODELED_SHADE = colors.HexColor("#fff1d6")
BLOCKED_SHADE = colors.HexColor("#fbe1df")
FINAL_SHADE = colors.HexColor("#e3f1e7")
BAND_SHADE = {"final": FINAL_SHADE, "modeled": MODELED_SHADE, "blocked": BLOCKED_SHADE}


@dataclass(frozen=True)
class PageFrame:
    """The words around every page's body."""

    title: str        # "Pharmacy benefit audit - Acme Manufacturing (C001) / Meridian Rx Solutions (PBM_A) - …"
    run_id: str
    scope_hash: str
    band: str         # the run's status in one line, e.g. "MODELED REPORT - figures marked MODELED are estimates …"
    band_status: str  # final | modeled | blocked: the band's colour


class ReportCanvas(Canvas):
    """Holds every page until the end, so each footer can say "page X of Y"; dates pinned to the run's own time."""

    def __init__(self, *args, created_at: datetime, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        stamp = created_at.astimezone(UTC).strftime("D:%Y%m%d%H%M%S+00'00'")
        self.setDateFormatter(lambda *_: stamp)  # CreationDate and ModDate: the run's time, not the clock's
        # ReportLab seeds the document /ID with its own clock (SOURCE_DATE_EPOCH if set, else a fixed epoch when
        # invariant), before any page exists; reseeding it with the run's time leaves the run as its only input.
        self._doc.signature = hashlib.md5(b"a reportlab document " + stamp.encode(), usedforsecurity=False)
        self._pages: list[dict] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        for number, page in enumerate(self._pages, start=1):
            self.__dict__.update(page)
            self._page_number_footer(number, len(self._pages))
            Canvas.showPage(self)
        Canvas.save(self)

    def _page_number_footer(self, number: int, total: int) -> None:
        self.setFont("Helvetica", 8)
        self.setFillColor(colors.black)
        self.drawRightString(PAGE_SIZE[0] - MARGIN, MARGIN / 2, f"Page {number} of {total}")


def decorate(frame: PageFrame):
    """The onPage callback: header, status band and footer on every page."""
    def on_page(canvas: Canvas, doc) -> None:
        width, height = PAGE_SIZE
        canvas.saveState()
        canvas.setFont("Helvetica-Bold", 8)
        canvas.drawString(MARGIN, height - 22, frame.title)
        canvas.setFont("Helvetica", 7)
        canvas.drawRightString(width - MARGIN, height - 22, f"run {frame.run_id}")
        _band(canvas, frame)
        canvas.setFont("Helvetica", 6.5)
        canvas.setFillColor(colors.HexColor("#5f6b76"))
        canvas.drawString(MARGIN, MARGIN / 2, f"scope hash {frame.scope_hash}")
        canvas.restoreState()
    return on_page


def _band(canvas: Canvas, frame: PageFrame) -> None:
    width, height = PAGE_SIZE
    canvas.setFillColor(BAND_SHADE[frame.band_status])
    canvas.rect(MARGIN, height - 44, width - 2 * MARGIN, 15, stroke=0, fill=1)
    canvas.setFillColor(STATUS_COLORS[frame.band_status])
    canvas.setFont("Helvetica-Bold", 8.5)
    canvas.drawString(MARGIN + 6, height - 39.5, frame.band)
