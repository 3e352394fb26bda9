"""Publisher use cases: publish a run once (every deliverable from one context); read a publication back."""
from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from kernel.errors import Internal, NotFound
from kernel.grants import Grant
from kernel.scope import Scope
from services.publisher.domain.artifacts import StoredArtifact
from services.publisher.domain.claim_findings_pass import FindingsPass
from services.publisher.domain.dashboard import Table
from services.publisher.domain.deliverable_files import WORKBOOK
from services.publisher.domain.domo_plan import DomoTarget
from services.publisher.domain.extract import Pseudonymizer, netted_claims
from services.publisher.domain.extract_plan import WORKBOOK_EXTRACT_MAX_ROWS
from services.publisher.domain.narrative import NarrativeProvider
from services.publisher.domain.presentation_contract import ContractCheck
from services.publisher.domain.run_context import RunContext, no_claims
from services.publisher.service_layer.artifacts import open_artifact as open_verified
from services.publisher.service_layer.artifacts import store_artifacts
from services.publisher.service_layer.deliverables import deliverables
from services.publisher.service_layer.domo_publishing import publish_dashboard
from services.publisher.service_layer.narrative import narrated
from services.publisher.service_layer.ports import (
    ArtifactLedger,
    ArtifactStore,
    CalcRuns,
    Entitlements,
    Lease,
    PublicationRepository,
    Renderers,
    StartedWorkbook,
    WorkbookWorker,
)


@dataclass
class PublisherDeps:
    publications: PublicationRepository
    store: ArtifactStore
    ledger: ArtifactLedger
    calc: CalcRuns   # the run itself, its claims and rejects (adapters/calc_run.py: calc over gRPC)
    scope: Entitlements  # the entitlement table Domo's row policies come from, read as workload:publisher
    domo: DomoTarget
    pseudonym_secret: bytes
    workbook_extract_max_rows: int = WORKBOOK_EXTRACT_MAX_ROWS
    # Domo datasets are shared by every client and updated read-merge-write: one publish at a time, in this process
    # (the lock) and across replicas (the lease in the publisher database, adapters/lease.py). Required.
    domo_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    domo_lease: Lease = None  # type: ignore[assignment]
    # What turns the run into bytes (adapters/renderers.py; the service renders its PDF in a worker process,
    # adapters/pdf_process.py, so the PDF and the workbook render at once on two cores). Required: see __post_init__.
    renderers: Renderers = None  # type: ignore[assignment]
    # Where the workbook is written: None → in this process once the claims are in; the service passes a worker
    # process (adapters/workbook_process.py) that writes the Extract rows while calc streams them. It answers None
    # while another publication holds it.
    workbooks: WorkbookWorker | None = None
    # Who drafts the executive narrative: None → the template (adapters/openai_narrative.py when configured).
    narrative: NarrativeProvider | None = None

    def __post_init__(self) -> None:
        # Defaults would be concrete adapters, which the use cases do not know (style.md 11): bootstrap wires them.
        if self.renderers is None:
            raise TypeError("PublisherDeps needs its renderers (adapters/renderers.py; bootstrap wires them)")
        if self.domo_lease is None:
            raise TypeError("PublisherDeps needs its Domo lease (adapters/lease.py; bootstrap wires it)")


@dataclass(frozen=True)
class Publication:
    run_id: str
    scope_hash: str
    tables: list[Table]
    artifacts: list[StoredArtifact]


async def publish_run(run_id: str, grant: Grant, deps: PublisherDeps) -> Publication:
    """Build, check and store every deliverable, push the dashboard to Domo, then record the publication.

    Everything comes from calc, read under the caller's grant (calc answers run_not_found for a run outside
    it): the caller names the run, and nothing it sends can change a published figure.
    The publication row is written last: until it exists a retry redoes every step, and each step is
    idempotent (artifacts are content-checked, Domo merges by scope), so a failure half-way loses nothing.
    """
    published = deps.publications.scope_of(run_id)
    if published is not None and grant.covers_scope(published):
        return get_publication(run_id, grant, deps)  # publishing again changes nothing
    run = await deps.calc.read(run_id)
    scope = _scope_of(run.result)
    if not grant.covers_scope(scope):  # calc checked already; what is published is checked here again
        raise NotFound("run_not_found", f"no run {run_id!r}")
    rejects = await deps.calc.rejects(run_id)
    names = await deps.scope.names_of(scope)
    pseudonym = Pseudonymizer(deps.pseudonym_secret, scope.client_id)
    # Every artifact is rendered into scratch files (streamed, checked as produced), then streamed into the store.
    with tempfile.TemporaryDirectory(prefix="leaf-publish-") as scratch:
        check = ContractCheck()
        context = RunContext(run_id, run.result, run.lineage, rejects, no_claims, names=names)
        workbook = _start_workbook(context, Path(scratch), deps)
        try:
            # The claims are written and their findings gathered as they arrive: the one pass over them (the
            # workbook, if it is being written elsewhere, takes its rows in the same pass).
            extract = await deps.calc.spool_claims(run_id, pseudonym, Path(scratch), check, FindingsPass(run.result),
                                                   also=workbook)
            context = replace(context, claims=extract.claims, findings=extract.findings)
            # Composed before rendering: the PDF cover and the workbook Summary show it; its entry joins the lineage.
            context = await asyncio.to_thread(narrated, context, deps.narrative)
            built = await asyncio.to_thread(deliverables, context, Path(scratch), deps.renderers, check=check,
                                            extract=extract, workbook_extract_max_rows=deps.workbook_extract_max_rows,
                                            workbook=workbook)
        finally:
            if workbook is not None:
                workbook.close()
        client_id = context.client_id
        await asyncio.to_thread(store_artifacts, run_id, client_id, built.artifacts, deps.store, deps.ledger)
    entitlements = await deps.scope.for_domo()
    await publish_dashboard(deps.domo, deps.domo_lease, deps.domo_lock, run_id, client_id, built.tables, entitlements)
    deps.publications.add(run_id, scope, built.tables)
    return get_publication(run_id, grant, deps)


def _scope_of(result: dict) -> Scope:
    scope = Scope.parse(**result["scope"])
    if scope.scope_hash != result.get("scope_hash"):  # calc's own record disagrees with itself: not the caller's fault
        raise Internal("run_scope_mismatch", "the run's scope_hash does not match its scope; nothing was published")
    return scope



def _start_workbook(context: RunContext, folder: Path, deps: PublisherDeps) -> StartedWorkbook | None:
    """The workbook started before the claims arrive, when there is a worker for it and the run's netted claims
    (which the result counts) are few enough for the workbook to carry them."""
    rows = netted_claims(context.result)
    if deps.workbooks is None or rows is None or rows > deps.workbook_extract_max_rows:
        return None
    return deps.workbooks.start(context, folder / WORKBOOK)


def get_publication(run_id: str, grant: Grant, deps: PublisherDeps) -> Publication:
    _check_grant(run_id, grant, deps)
    found = deps.publications.get(run_id)
    if found is None:
        raise _not_published(run_id)
    scope_hash, tables = found
    return Publication(run_id, scope_hash, tables, deps.ledger.of_run(run_id))


def _not_published(run_id: str) -> NotFound:
    return NotFound("publication_not_found", f"run {run_id!r} has not been published")


def _check_grant(run_id: str, grant: Grant, deps: PublisherDeps) -> None:
    """A run outside the grant (or whose scope is not recorded) is answered as one never published."""
    scope = deps.publications.scope_of(run_id)
    if scope is None or not grant.covers_scope(scope):
        raise _not_published(run_id)


def dashboard_table(run_id: str, name: str, grant: Grant, deps: PublisherDeps) -> Table:
    """One dashboard table of a run the grant covers."""
    for table in get_publication(run_id, grant, deps).tables:
        if table.name == name:
            return table
    raise NotFound("table_not_found", f"run {run_id!r} has no dashboard table {name!r}")


def list_artifacts(run_id: str, grant: Grant, deps: PublisherDeps) -> list[StoredArtifact]:
    _check_grant(run_id, grant, deps)
    return deps.ledger.of_run(run_id)


def open_artifact(run_id: str, name: str, grant: Grant,
                  deps: PublisherDeps) -> tuple[StoredArtifact, Iterator[bytes]]:
    """The artifact's record and its verified bytes as a stream (see service_layer/artifacts.py)."""
    _check_grant(run_id, grant, deps)
    return open_verified(run_id, name, deps.store, deps.ledger)
