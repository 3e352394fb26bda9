"""Every deliverable of a run, produced from its one context: the same code for the service and `leaf report`.

Each file is written to a scratch folder as it is rendered, streamed (no artifact is held whole in memory),
and every value meets the presentation contract where it is produced; after rendering, the contract looks
once at what only rendering adds (workbook and PDF metadata, the PDF's text). One violation anywhere refuses
the whole set: nothing of the run is stored (the caller stores the folder's files only after this returns).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO, Protocol

from services.publisher.domain.claim_findings_pass import FindingsPass, gathered_from
from services.publisher.domain.dashboard import Table, dashboard_tables, to_csv
from services.publisher.domain.extract import EXTRACT_CSV, WrittenExtract, write_extract
from services.publisher.domain.extract_files import write_json_and_parquet
from services.publisher.domain.presentation_contract import ContractCheck
from services.publisher.domain.presentation_rendered import XLSX, check_rendered
from services.publisher.domain.report_pdf import write_pdf
from services.publisher.domain.run_context import RunContext, no_claims, run_document, run_json
from services.publisher.domain.suppression import suppress_tables
from services.publisher.domain.workbook import WORKBOOK, write_workbook
from services.publisher.domain.workbook_extract import WORKBOOK_EXTRACT_MAX_ROWS, ExtractPlan

RUN_JSON, EXTRACT_JSON, EXTRACT_PARQUET, PDF = "run.json", "extract.json", "extract.parquet", "report.pdf"
PARQUET = "application/vnd.apache.parquet"


@dataclass(frozen=True)
class ArtifactFile:
    """A rendered artifact waiting in the scratch folder, streamed from there into the store."""

    name: str
    content_type: str
    path: Path

    def open(self) -> BinaryIO:
        return self.path.open("rb")


@dataclass(frozen=True)
class Deliverables:
    tables: list[Table]               # the dashboard-safe tables, suppressed
    artifacts: list[ArtifactFile]     # every file, as it will be stored and served


class StartedWorkbook(Protocol):
    """The workbook already being written to `folder`/report.xlsx elsewhere, its Extract rows taken as calc streamed
    them (adapters/workbook_process.py); `finish` writes the rest from the final context and returns what the
    presentation contract found in it."""

    def finish(self, context: RunContext, extract: ExtractPlan) -> ContractCheck: ...



def table_json(table: Table) -> bytes:
    return json.dumps(list(table.rows), ensure_ascii=False).encode("utf-8")


def check_table(check: ContractCheck, artifact: str, table: Table) -> None:
    """A dashboard table as its CSV shows it; its JSON twin holds exactly these names and values."""
    check.header(artifact, table.columns)
    for number, row in enumerate(table.rows, start=1):
        check.row(artifact, number, table.columns, ("" if row.get(c) is None else str(row[c]) for c in table.columns))


def render_pdf_here(context: RunContext, path: Path) -> Callable[[], None]:
    write_pdf(context, path)
    return lambda: None


def deliverables(context: RunContext, folder: Path, *, check: ContractCheck | None = None,
                 extract: WrittenExtract | None = None,
                 workbook_extract_max_rows: int = WORKBOOK_EXTRACT_MAX_ROWS,
                 start_pdf: Callable[[RunContext, Path], Callable[[], None]] = render_pdf_here,
                 workbook: StartedWorkbook | None = None,
                 progress: Callable[[str, str], None] = lambda step, summary: None) -> Deliverables:
    """Render every artifact of the run into `folder`; raises PresentationRefused if the contract refuses any.

    `extract`: the run's extract.csv if it was already written (and checked) while the claims arrived, with
    `check` the contract that saw it; else it is written here from the context's claims. Either way every renderer
    gets the context with the claim findings gathered in that pass (`RunContext.findings`). `progress(step, summary)`
    hears of each step as it finishes (`leaf report` prints them).
    """
    check = check or ContractCheck()
    files: list[ArtifactFile] = []

    def add(name: str, content_type: str) -> Path:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        files.append(ArtifactFile(name, content_type, path))
        return path

    # The one pass over the claims comes first: it writes extract.csv and gathers the claim findings (unguaranteed
    # buckets, suspect claims, eligible members) the dashboard tables, the PDF and the workbook all show.
    extract = extract or write_extract(context.claims(), folder / EXTRACT_CSV, check, FindingsPass(context.result))
    context = replace(context, findings=extract.findings or gathered_from(extract.claims(), context.result))
    progress("extract", f"{extract.rows:,} claim rows written to {EXTRACT_CSV}")
    check.document(RUN_JSON, run_document(context))
    add(RUN_JSON, "application/json").write_bytes(run_json(context))
    # Suppression looks at every table at once: a bucket hidden in one must be hidden in all.
    tables = suppress_tables(dashboard_tables(context))
    for table in tables:
        check_table(check, f"dashboard/{table.name}.csv", table)
        add(f"dashboard/{table.name}.csv", "text/csv").write_bytes(to_csv(table))
        add(f"dashboard/{table.name}.json", "application/json").write_bytes(table_json(table))
    progress("dashboard", f"{len(tables)} tables")
    files.append(ArtifactFile(EXTRACT_CSV, "text/csv", extract.path))
    write_json_and_parquet(extract.path, extract.rows, add(EXTRACT_JSON, "application/json"),
                           add(EXTRACT_PARQUET, PARQUET))
    plan = ExtractPlan(extract.rows, workbook_extract_max_rows, (EXTRACT_CSV, EXTRACT_PARQUET))
    # The workbook reads the rows back from extract.csv (exactly the rows published and checked), or was given them
    # as they were written (`workbook`: the publisher's, in another process). `start_pdf` may render elsewhere (the
    # publisher: another process) while the workbook is written.
    pdf_done = start_pdf(context, add(PDF, "application/pdf"))
    try:
        path = add(WORKBOOK, XLSX)
        if workbook is None:
            write_workbook(replace(context, claims=extract.claims), path, extract=plan, check=check)
        else:  # its rows are written already; the rest needs no claim
            check.absorb(workbook.finish(replace(context, claims=no_claims), plan))
        progress("workbook", f"{WORKBOOK} written")
    finally:
        pdf_done()  # never leave a render writing into a folder its caller is about to remove
    for artifact in files:
        check_rendered(check, artifact.name, artifact.content_type, artifact.path)
    check.enforce()
    return Deliverables(tables, files)

