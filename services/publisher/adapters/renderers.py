"""The renderer ports (service_layer/ports.py) on this process's libraries: ReportLab and matplotlib for the PDF
(pdf/), XlsxWriter for the workbook (workbook/), DuckDB for extract.json and extract.parquet (extract_files.py), pypdf
for the contract's last look (presentation_rendered.py).

Each library is imported on first use, not with this module: ReportLab and matplotlib take about a second to load,
and every importer of the composition root (the `leaf` command among them) would pay for them; the service warms
them at start instead (`warm`).
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from pathlib import Path

from services.publisher.domain.extract import ExtractRow, FindingsSink, WrittenExtract
from services.publisher.domain.extract_plan import ExtractPlan
from services.publisher.domain.presentation_contract import ContractCheck
from services.publisher.domain.run_context import RunContext
from services.publisher.service_layer.ports import PdfRenderer, Renderers

_MODULES = ("services.publisher.adapters.pdf.report_pdf", "services.publisher.adapters.workbook.workbook",
            "services.publisher.adapters.extract_files", "services.publisher.adapters.presentation_rendered")


class PdfHere:
    """The PDF rendered in this process, done when `start` returns."""

    def start(self, context: RunContext, path: Path) -> Callable[[], None]:
        from services.publisher.adapters.pdf.report_pdf import write_pdf

        write_pdf(context, path)
        return lambda: None


class WorkbookHere:
    def write(self, context: RunContext, path: Path, extract: ExtractPlan, check: ContractCheck) -> None:
        from services.publisher.adapters.workbook.workbook import write_workbook

        write_workbook(context, path, extract=extract, check=check)


class DuckDbExtractFiles:
    def write(self, extract_csv: Path, rows: int, json_path: Path, parquet_path: Path) -> None:
        from services.publisher.adapters.extract_files import write_json_and_parquet

        write_json_and_parquet(extract_csv, rows, json_path, parquet_path)

    def write_csv(self, rows: Iterable[ExtractRow], path: Path, check: ContractCheck,
                  gather: FindingsSink | None = None) -> WrittenExtract:
        from services.publisher.adapters.extract_csv import write_extract

        return write_extract(rows, path, check, gather)


class RenderedParts:
    def check(self, check: ContractCheck, artifact: str, content_type: str, path: Path) -> None:
        from services.publisher.adapters.presentation_rendered import check_rendered

        check_rendered(check, artifact, content_type, path)


def renderers(pdf: PdfRenderer | None = None) -> Renderers:
    """Every renderer in this process; `pdf` replaces the PDF's (the service: its worker process)."""
    return Renderers(pdf or PdfHere(), WorkbookHere(), DuckDbExtractFiles(), RenderedParts())


def warm() -> None:
    """Import every renderer's library now (the service, in a thread while it starts)."""
    for module in _MODULES:
        importlib.import_module(module)
