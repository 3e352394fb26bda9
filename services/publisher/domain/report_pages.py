"""What every page of the run report carries: run_id and scope_hash, page X of Y, and a status watermark or banner.

The body never draws these: the page template's callbacks do, so no page can leave them out.
"""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from reportlab.lib import colors
from reportlab.lib.pagesizes import landscape, letter
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable

PAGE_SIZE = landscape(letter)  # bucket tables have up to ten columns, each may carry a MODELED label
MARGIN = 36
STATUS_COLORS = {"final": colors.HexColor("#1b7f3b"), "modeled": colors.HexColor("#b26a00"),
                 "blocked": colors.HexColor("#b3261e")}
MODELED_SHADE = colors.HexColor("#fff1d6")
BLOCKED_SHADE = colors.HexColor("#fbe1df")


class StatusMark(Flowable):
    """Invisible: tells the page it sits on that it shows a modeled or blocked formula.

    `watermark` asks for the diagonal word (a page given to one formula); otherwise the page gets a banner,
    since a diagonal MODELED across a page that also shows final figures would blur which is which.
    """

    def __init__(self, status: str, watermark: bool = False) -> None:
        super().__init__()
        self.status, self.watermark = status, watermark
        self.width = self.height = 0

    def draw(self) -> None:
        if self.status != "final":
            self.canv.leaf_marks.append((self.status, self.watermark))


class ReportCanvas(Canvas):
    """Holds every page until the end, so each footer can say "page X of Y"; dates pinned to the run's own time."""

    def __init__(self, *args, created_at: datetime, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        stamp = created_at.astimezone(UTC).strftime("D:%Y%m%d%H%M%S+00'00'")
        self.setDateFormatter(lambda *_: stamp)  # CreationDate and ModDate: the run's time, not the clock's
        # ReportLab seeds the document /ID with its own clock (SOURCE_DATE_EPOCH if set, else a fixed epoch when
        # invariant), before any page exists; reseeding it with the run's time leaves the run as its only input.
        self._doc.signature = hashlib.md5(b"a reportlab document " + stamp.encode(), usedforsecurity=False)
        self.leaf_marks: list[tuple[str, bool]] = []
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


def decorate(run_id: str, scope_hash: str, title: str):
    """The onPage callback: a header naming the run and its scope on every page."""
    def on_page(canvas: Canvas, doc) -> None:
        width, height = PAGE_SIZE
        canvas.saveState()
        canvas.setFont("Helvetica-Bold", 8)
        canvas.drawString(MARGIN, height - MARGIN / 2 - 4, title)
        canvas.setFont("Helvetica", 8)
        canvas.drawRightString(width - MARGIN, height - MARGIN / 2 - 4, f"run_id {run_id}")
        canvas.drawString(MARGIN, MARGIN / 2, f"scope_hash {scope_hash}")
        canvas.setStrokeColor(colors.grey)
        canvas.line(MARGIN, height - MARGIN + 6, width - MARGIN, height - MARGIN + 6)
        canvas.restoreState()
    return on_page


def mark_statuses(canvas: Canvas, doc) -> None:
    """The onPageEnd callback: watermark or banner for the statuses the page's StatusMarks reported."""
    marks, canvas.leaf_marks = canvas.leaf_marks, []
    statuses = sorted({status for status, _ in marks}, key=("blocked", "modeled").index)
    if not statuses:
        return
    canvas.saveState()
    if any(watermark for _, watermark in marks) and len(statuses) == 1:
        _watermark(canvas, statuses[0])
    else:
        _banner(canvas, statuses)
    canvas.restoreState()


def _watermark(canvas: Canvas, status: str) -> None:
    width, height = PAGE_SIZE
    canvas.setFillColor(STATUS_COLORS[status], alpha=0.10)
    canvas.setFont("Helvetica-Bold", 110)
    canvas.translate(width / 2, height / 2)
    canvas.rotate(30)
    canvas.drawCentredString(0, -40, status.upper())


def _banner(canvas: Canvas, statuses: list[str]) -> None:
    width, height = PAGE_SIZE
    words = {"modeled": "MODELED figures (labelled) are not final", "blocked": "BLOCKED formulas show no figure"}
    canvas.setFillColor(STATUS_COLORS[statuses[0]])
    canvas.setFont("Helvetica-Bold", 8)
    canvas.drawCentredString(width / 2, height - MARGIN / 2 - 4, "  |  ".join(words[s] for s in statuses))
