"""The run's PDF report: ReportLab platypus pages and matplotlib charts, the same bytes for the same context.

Determinism: the canvas runs in invariant mode (a fixed document id, no timestamps of its own), its
CreationDate and ModDate are the run's created_at, title, author and subject come from the run (never
the environment's user; domain/report_document.py), only the 14 standard PDF fonts are used (no font file, so no path, is
embedded), and the charts are PNGs rendered without metadata.

Order: the cover (status of each formula, total owed, executive summary), one section per formula, the audit
findings, then evidence and lineage. Sections follow each other on the page; see report_formulas.
"""
from __future__ import annotations

import functools
import io
import os
from os import PathLike
from typing import BinaryIO

from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

from services.publisher.adapters.pdf.report_cover import cover
from services.publisher.adapters.pdf.report_findings import findings
from services.publisher.adapters.pdf.report_formulas import formula_sections
from services.publisher.adapters.pdf.report_pages import MARGIN, PAGE_SIZE, TOP_MARGIN, PageFrame, ReportCanvas, decorate
from services.publisher.adapters.pdf.report_sections import closing
from services.publisher.domain.report_document import report_document
from services.publisher.domain.run_context import RunContext


def pdf_bytes(context: RunContext) -> bytes:
    """Render the report; the same context always gives the same bytes."""
    out = io.BytesIO()
    write_pdf(context, out)
    return out.getvalue()


def write_pdf(context: RunContext, out: str | PathLike | BinaryIO) -> None:
    """Render the report to a path or a binary file object."""
    target = out if hasattr(out, "write") else os.fspath(out)
    about = report_document(context)
    document = BaseDocTemplate(
        target, pagesize=PAGE_SIZE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=TOP_MARGIN,
        bottomMargin=MARGIN, title=about.title, author=about.author, subject=about.subject, creator=about.author,
        invariant=1)
    frame = Frame(MARGIN, MARGIN, PAGE_SIZE[0] - 2 * MARGIN, PAGE_SIZE[1] - MARGIN - TOP_MARGIN, id="body")
    header = decorate(PageFrame(about.page_title, context.run_id, context.scope_hash, about.band, about.band_status))
    document.addPageTemplates([PageTemplate("report", [frame], onPage=header, pagesize=PAGE_SIZE)])
    story = [*cover(context), *formula_sections(context), *findings(context), *closing(context)]
    document.build(story, canvasmaker=functools.partial(ReportCanvas, created_at=context.created_at))
