"""Every deliverable of a run, produced from its one context: the same code for the service and `leaf report`.

Order matters only for reading: the presentation contract checks the whole set before anything is stored,
so one refused artifact means no artifact of the run is published.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from services.publisher.domain import extract
from services.publisher.domain.dashboard import Table, dashboard_tables, to_csv
from services.publisher.domain.presentation_contract import Artifact, enforce
from services.publisher.domain.presentation_extract import XLSX
from services.publisher.domain.report_pdf import pdf_bytes
from services.publisher.domain.run_context import RunContext, run_json
from services.publisher.domain.suppression import suppress_tables
from services.publisher.domain.workbook import workbook_bytes

RUN_JSON, EXTRACT_CSV, EXTRACT_JSON, WORKBOOK, PDF = "run.json", "extract.csv", "extract.json", "report.xlsx", "report.pdf"


@dataclass(frozen=True)
class Deliverables:
    tables: list[Table]           # the dashboard-safe tables, suppressed
    artifacts: list[Artifact]     # every file, as it will be stored and served


def table_json(table: Table) -> bytes:
    return json.dumps(list(table.rows), ensure_ascii=False).encode("utf-8")


def dashboard_artifacts(tables: list[Table]) -> list[Artifact]:
    """Every table exactly as it will be served: CSV and JSON."""
    artifacts = []
    for table in tables:
        artifacts.append(Artifact(f"dashboard/{table.name}.csv", "text/csv", to_csv(table)))
        artifacts.append(Artifact(f"dashboard/{table.name}.json", "application/json", table_json(table)))
    return artifacts


def deliverables(context: RunContext) -> Deliverables:
    """Build every artifact of the run and enforce the presentation contract on the whole set (raises if refused)."""
    # Suppression looks at every table at once: a bucket hidden in one must be hidden in all.
    tables = suppress_tables(dashboard_tables(context.run_id, context.result))
    artifacts = [
        Artifact(RUN_JSON, "application/json", run_json(context)),
        *dashboard_artifacts(tables),
        Artifact(EXTRACT_CSV, "text/csv", extract.to_csv(context.claims())),
        Artifact(EXTRACT_JSON, "application/json", extract.to_json(context.claims())),
        Artifact(WORKBOOK, XLSX, workbook_bytes(context)),
        Artifact(PDF, "application/pdf", pdf_bytes(context)),
    ]
    enforce(artifacts)
    return Deliverables(tables, artifacts)
