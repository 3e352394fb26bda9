"""The PDF rendered in the publisher's worker process is the PDF rendered in-process, byte for byte, and it is
rendered while the workbook is written (deliverables waits for it before checking what rendering added)."""
from __future__ import annotations

from services.publisher.adapters import pdf_process
from services.publisher.adapters.pdf.report_pdf import write_pdf
from services.publisher.adapters.renderers import renderers
from services.publisher.service_layer.deliverables import deliverables
from tests.publisher_fixtures import sample_context


def test_the_worker_process_renders_the_same_bytes(tmp_path):
    context = sample_context()
    here, elsewhere = tmp_path / "here.pdf", tmp_path / "elsewhere.pdf"
    write_pdf(context, here)
    pdf_process.start_pdf(context, elsewhere)()
    assert here.read_bytes() == elsewhere.read_bytes() and here.stat().st_size > 10_000


def test_deliverables_with_the_pdf_elsewhere_equal_those_rendered_here(tmp_path):
    context = sample_context()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    here = deliverables(context, tmp_path / "a", renderers())
    elsewhere = deliverables(context, tmp_path / "b", renderers(pdf=pdf_process.PdfProcess()))
    assert [f.name for f in here.artifacts] == [f.name for f in elsewhere.artifacts]
    for a, b in zip(here.artifacts, elsewhere.artifacts):
        assert a.path.read_bytes() == b.path.read_bytes(), a.name
