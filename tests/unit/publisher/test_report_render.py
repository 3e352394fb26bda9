"""The PDF as a person sees it: every page rasterized with pdfium into tests/.cache/rendered/ for a look.

Asserts what a renderer can tell without a human: no page is blank, and a page of charts has colour on it.
"""
from __future__ import annotations

from pathlib import Path

import numpy
import pypdfium2 as pdfium
import pytest
from PIL import Image

from services.publisher.domain.report_pdf import pdf_bytes
from tests.publisher_fixtures import sample_context

RENDERED = Path(__file__).parents[2] / ".cache" / "rendered"
VARIANTS = {"final": {}, "modeled": {"governance": "candidate"}, "blocked": {"contract": False}}


def render(name: str, pdf: bytes) -> tuple[list[Path], list[str]]:
    """Each page as a PNG (paths returned with each page's text, read by pdfium too)."""
    folder = RENDERED / name
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("page-*.png"):
        old.unlink()
    document = pdfium.PdfDocument(pdf)
    paths, texts = [], []
    try:
        for index in range(len(document)):
            page = document[index]
            path = folder / f"page-{index + 1:02d}.png"
            page.render(scale=1.5).to_pil().convert("RGB").save(path)
            paths.append(path)
            texts.append(page.get_textpage().get_text_range())
    finally:
        document.close()
    (folder / "report.pdf").write_bytes(pdf)
    return paths, texts


def inked(image: Image.Image) -> int:
    """Pixels that are not (near) white."""
    return int((numpy.asarray(image.convert("L")) < 240).sum())


def coloured(image: Image.Image) -> int:
    """Strongly saturated pixels: chart bars, never the black and grey of text and rules."""
    hsv = numpy.asarray(image.convert("HSV"))
    return int(((hsv[..., 1] > 100) & (hsv[..., 2] > 60)).sum())


def body(image: Image.Image) -> Image.Image:
    # Header and footer are on every page; a page is blank when nothing lies between them.
    width, height = image.size
    return image.crop((0, int(height * 0.09), width, int(height * 0.91)))


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_page_renders_with_content_and_a_chart_page_has_colour(variant):
    paths, texts = render(variant, pdf_bytes(sample_context(**VARIANTS[variant])))
    print(f"\n{variant}: {len(paths)} pages rendered:\n" + "\n".join(f"  {p}" for p in paths))
    assert len(paths) >= 8
    for path in paths:
        with Image.open(path) as image:
            assert inked(body(image)) > 2_000, f"{path} is blank"
    chart_pages = [path for path, text in zip(paths, texts) if "Charts" in (line.strip() for line in text.splitlines())]
    assert len(chart_pages) == 1, "no page of charts"
    with Image.open(chart_pages[0]) as charts:
        share = coloured(body(charts)) / (charts.width * charts.height)
    assert share > 0.03, f"{chart_pages[0]}: no chart colour ({share:.3%})"
