"""The PDF as a person sees it: every page rasterized with pdfium into tests/.cache/rendered/ for a look.

Asserts what a renderer can tell without a human: no page is mostly empty, and the charts put colour on the page.

The measure of "mostly empty": a page's reach, how far down its body (between the status band and the footer)
the last inked pixel row lies, as a fraction of the body's height. A page that ends before half of it is mostly
empty. Reach, not ink: text covers a small share of even a full page, and a page is empty below where it ends.
"""
from __future__ import annotations

from pathlib import Path

import numpy
import pypdfium2 as pdfium
import pytest
from PIL import Image

from services.publisher.adapters.pdf.report_pages import MARGIN, PAGE_SIZE, TOP_MARGIN
from services.publisher.adapters.pdf.report_pdf import pdf_bytes
from tests.unit.publisher.pdf_text import pages_of
from tests.unit.publisher.test_report_pdf import RUNS, demo_run

RENDERED = Path(__file__).parents[2] / ".cache" / "rendered"
LEAST_REACH = 0.5


def render(name: str, pdf: bytes) -> list[Path]:
    """Each page as a PNG in tests/.cache/rendered/<name>/, beside the PDF itself."""
    folder = RENDERED / name
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("page-*.png"):
        old.unlink()
    document = pdfium.PdfDocument(pdf)
    paths = []
    try:
        for index in range(len(document)):
            path = folder / f"page-{index + 1:02d}.png"
            document[index].render(scale=1.5).to_pil().convert("RGB").save(path)
            paths.append(path)
    finally:
        document.close()
    (folder / "report.pdf").write_bytes(pdf)
    return paths


def body(image: Image.Image) -> Image.Image:
    """The page between the header and status band above and the footer below (drawn on every page)."""
    width, height = image.size
    scale = height / PAGE_SIZE[1]
    return image.crop((0, round(TOP_MARGIN * scale), width, height - round(MARGIN * scale)))


def reach(image: Image.Image) -> float:
    inked_rows = numpy.nonzero((numpy.asarray(body(image).convert("L")) < 240).any(axis=1))[0]
    return 0.0 if not len(inked_rows) else (inked_rows[-1] + 1) / body(image).height


def coloured(image: Image.Image) -> int:
    """Strongly saturated pixels: chart bars, never the black and grey of text and rules."""
    hsv = numpy.asarray(image.convert("HSV"))
    return int(((hsv[..., 1] > 100) & (hsv[..., 2] > 60)).sum())


@pytest.mark.parametrize("variant", sorted(RUNS))
def test_no_page_is_mostly_empty_and_the_charts_have_colour(variant):
    pdf = pdf_bytes(demo_run(**RUNS[variant]))
    paths = render(variant, pdf)
    print(f"\n{variant}: {len(paths)} pages rendered:\n" + "\n".join(f"  {p}" for p in paths))
    reaches = []
    for path in paths:
        with Image.open(path) as image:
            reaches.append(round(float(reach(image)), 2))
    print(f"{variant}: reach of each page {reaches}")
    assert min(reaches) >= LEAST_REACH, f"{variant}: a page ends before half of its body: {reaches}"
    assert len(paths) <= 7, f"{variant}: {len(paths)} pages for one run"
    chart_page = next(path for path, page in zip(paths, pages_of(pdf), strict=True)
                      if "AWP variance by channel and drug type" in page)
    with Image.open(chart_page) as image:
        share = coloured(body(image)) / (image.width * image.height)
    assert share > 0.01, f"{chart_page}: no chart colour ({share:.3%})"
