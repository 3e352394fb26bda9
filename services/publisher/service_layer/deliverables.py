"""Every deliverable of a run, produced from its one context: the same code for the service and `leaf report`.

Each file is written to a scratch folder as it is rendered, streamed (no artifact is held whole in memory),
and every value meets the presentation contract where it is produced; after rendering, the contract looks
once at what only rendering adds (workbook and PDF metadata, the PDF's text). One violation anywhere refuses
the whole set: nothing of the run is stored (the caller stores the folder's files only after this returns).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from services.publisher.domain.claim_findings_pass import FindingsPass, gathered_from
from services.publisher.domain.dashboard import Table, dashboard_tables, to_csv
from services.publisher.domain.deliverable_files import (
    EXTRACT_JSON,
    EXTRACT_PARQUET,
    PARQUET,
    PDF,
    RUN_JSON,
    WORKBOOK,
    XLSX,
    check_table,
    table_json,
)
from services.publisher.domain.extract import EXTRACT_CSV, WrittenExtract
from services.publisher.domain.extract_plan import WORKBOOK_EXTRACT_MAX_ROWS, ExtractPlan
from services.publisher.domain.presentation_contract import ContractCheck
from services.publisher.domain.run_context import RunContext, no_claims, run_document, run_json
from services.publisher.domain.suppression import suppress_tables
from services.publisher.service_layer.ports import Renderers, StartedWorkbook


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


def deliverables(context: RunContext, folder: Path, renderers: Renderers, *, check: ContractCheck | None = None,
                 extract: WrittenExtract | None = None,
                 workbook_extract_max_rows: int = WORKBOOK_EXTRACT_MAX_ROWS,
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
    extract = extract or renderers.extract_files.write_csv(context.claims(), folder / EXTRACT_CSV, check,
                                                           FindingsPass(context.result))
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
    renderers.extract_files.write(extract.path, extract.rows, add(EXTRACT_JSON, "application/json"),
                                  add(EXTRACT_PARQUET, PARQUET))
    plan = ExtractPlan(extract.rows, workbook_extract_max_rows, (EXTRACT_CSV, EXTRACT_PARQUET))
    # The workbook reads the rows back from extract.csv (exactly the rows published and checked), or was given them
    # as they were written (`workbook`: the publisher's, in another process). The PDF may render elsewhere (the
    # publisher's renderer: another process) while the workbook is written.
    pdf_done = renderers.pdf.start(context, add(PDF, "application/pdf"))
    try:
        path = add(WORKBOOK, XLSX)
        if workbook is None:
            renderers.workbook.write(replace(context, claims=extract.claims), path, plan, check)
        else:  # its rows are written already; the rest needs no claim
            check.absorb(workbook.finish(replace(context, claims=no_claims), plan))
        progress("workbook", f"{WORKBOOK} written")
    finally:
        pdf_done()  # never leave a render writing into a folder its caller is about to remove
    for artifact in files:
        renderers.rendered.check(check, artifact.name, artifact.content_type, artifact.path)
    check.enforce()
    return Deliverables(tables, files)

