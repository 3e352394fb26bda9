"""The PDF rendered in a process of its own while the workbook is written in this one.

ReportLab and XlsxWriter are pure Python: in one process they take turns on one core (about 1 s and 1.4 s for
the demo's 15k-claim run), while the machine has two. One warm worker process per publisher process, started
on first use with its renderers already imported, renders the PDF from the run context (without its claims:
the PDF shows none) to the path it is given. Same code, same inputs, so the same bytes as rendering in-process.
`forkserver`, not `fork`: the publisher runs gRPC's threads, which a forked child must not inherit.
"""
from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

from runtime.lifeline import follow_spawning_process
from services.publisher.domain.run_context import RunContext, no_claims

_pool: ProcessPoolExecutor | None = None
_lock = threading.Lock()


def _start() -> None:
    """The worker's first step: it stops when the publisher is gone (however it went), then loads its renderers."""
    follow_spawning_process()
    _warm()


def _warm() -> None:
    import services.publisher.adapters.pdf.report_pdf  # noqa: F401 - ReportLab and matplotlib load once per worker


def _render(context: RunContext, path: str) -> None:
    from services.publisher.adapters.pdf.report_pdf import write_pdf

    write_pdf(context, path)



def _worker() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("forkserver"),
                                        initializer=_start)
        return _pool


def start_pdf(context: RunContext, path: Path) -> Callable[[], None]:
    """Start rendering the report to `path`; the returned call waits for it (and raises what the render raised)."""
    future = _worker().submit(_render, replace(context, claims=no_claims), str(path))
    return lambda: future.result()


def warm() -> None:
    """Start the worker now and import its renderers, so the first publication does not wait for them."""
    _worker().submit(_warm)


class PdfProcess:
    """The PdfRenderer port (service_layer/ports.py) on this process's worker."""

    def start(self, context: RunContext, path: Path) -> Callable[[], None]:
        return start_pdf(context, path)

    def warm(self) -> None:
        warm()
