"""The PDF rendered in the publisher's worker process is the PDF rendered in-process, byte for byte, and it is
rendered while the workbook is written (deliverables waits for it before checking what rendering added)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from services.publisher.adapters import pdf_process
from services.publisher.adapters.pdf.report_pdf import write_pdf
from services.publisher.adapters.renderers import renderers
from services.publisher.service_layer.deliverables import deliverables
from tests.publisher_fixtures import sample_context

CHECKOUT = Path(__file__).resolve().parents[2]


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


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError):
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the processes through /proc")
def test_a_publisher_killed_with_sigkill_takes_its_worker_and_fork_server_with_it():
    """The worker waits on a queue it holds both ends of, and holds the fork server alive: it must follow the
    process that started it, not its parent pid (the fork server)."""
    publisher = subprocess.Popen(
        [sys.executable, "-c", "import os, sys, time\nfrom services.publisher.adapters import pdf_process\n"
                               "print(pdf_process._worker().submit(os.getpid).result(), flush=True)\ntime.sleep(120)"],
        cwd=CHECKOUT, env={**os.environ, "PYTHONPATH": str(CHECKOUT)}, stdout=subprocess.PIPE, text=True)
    try:
        worker = int(publisher.stdout.readline())
        fork_server = int(Path(f"/proc/{worker}/stat").read_text().rsplit(")", 1)[1].split()[1])
        assert fork_server != publisher.pid
        publisher.kill()
        publisher.wait(10)
        deadline = time.monotonic() + 15
        while not (_gone(worker) and _gone(fork_server)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _gone(worker) and _gone(fork_server)
    finally:
        publisher.kill()
