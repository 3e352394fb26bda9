"""Publisher use cases: publish a run once (every deliverable from one context); read a publication back."""
from __future__ import annotations

import asyncio
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from leaf.scope.v1 import scope_pb2

from runtime.clients import call
from runtime.errors import NotFound
from services.publisher.adapters.artifact_ledger import SqlArtifactLedger
from services.publisher.adapters.artifact_store import ArtifactStore
from services.publisher.adapters.calc_claims import run_rejects, spool_run_claims
from services.publisher.adapters.repository import SqlPublicationRepository
from services.publisher.domain.artifacts import StoredArtifact
from services.publisher.domain.dashboard import Table
from services.publisher.domain.domo_plan import DomoTarget, Entitlement
from services.publisher.domain.extract import Pseudonymizer
from services.publisher.domain.run_context import RunContext
from services.publisher.service_layer.artifacts import get_artifact as read_verified, store_artifacts


@dataclass
class PublisherDeps:
    publications: SqlPublicationRepository
    store: ArtifactStore
    ledger: SqlArtifactLedger
    calc: object     # CalcServiceStub: the run's claims and rejects
    scope: object    # ScopeServiceStub: the entitlement table Domo's row policies come from
    domo: DomoTarget
    pseudonym_secret: bytes
    # Domo datasets are shared by every client and updated read-merge-write: one publish at a time.
    domo_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass(frozen=True)
class Publication:
    run_id: str
    scope_hash: str
    tables: list[Table]
    artifacts: list[StoredArtifact]


async def publish_run(run_id: str, result_json: bytes, lineage: dict, deps: PublisherDeps) -> Publication:
    """Build, check and store every deliverable, push the dashboard to Domo, then record the publication.

    The publication row is written last: until it exists a retry redoes every step, and each step is
    idempotent (artifacts are content-checked, Domo merges by scope), so a failure half-way loses nothing.
    """
    if deps.publications.get(run_id) is not None:
        return get_publication(run_id, deps)
    result = json.loads(result_json)
    rejects = await run_rejects(deps.calc, run_id)
    pseudonym = Pseudonymizer(deps.pseudonym_secret, result["scope"]["client_id"])
    with tempfile.TemporaryDirectory(prefix="leaf-publish-") as scratch:
        claims = await spool_run_claims(deps.calc, run_id, pseudonym, Path(scratch) / "claims.csv")
        context = RunContext(run_id, result, lineage, rejects, claims)
        built = await asyncio.to_thread(_deliverables, context)
    client_id = context.client_id
    await asyncio.to_thread(store_artifacts, run_id, client_id, built.artifacts, deps.store, deps.ledger)
    entitlements = await _entitlements(deps.scope)
    async with deps.domo_lock:
        await asyncio.to_thread(deps.domo.publish, run_id, client_id, built.tables, entitlements)
    deps.publications.add(run_id, context.scope_hash, client_id, built.tables)
    return get_publication(run_id, deps)


def _deliverables(context: RunContext):
    # Imported on first publish: ReportLab and matplotlib load slowly and only publishing needs them.
    from services.publisher.domain.deliverables import deliverables

    return deliverables(context)


async def _entitlements(scope_stub) -> list[Entitlement]:
    reply = await call(scope_stub.ListEntitlements, scope_pb2.ListEntitlementsRequest())
    return [(e.principal, e.client_id, tuple(e.group_ids) or None) for e in reply.entitlements]


def get_publication(run_id: str, deps: PublisherDeps) -> Publication:
    found = deps.publications.get(run_id)
    if found is None:
        raise NotFound("publication_not_found", f"run {run_id!r} has not been published")
    scope_hash, tables = found
    return Publication(run_id, scope_hash, tables, deps.ledger.of_run(run_id))


def _check_client(run_id: str, client_id: str, deps: PublisherDeps) -> None:
    """Another client's run is not found: its existence is never confirmed."""
    if not client_id or deps.publications.client_of(run_id) != client_id:
        raise NotFound("publication_not_found", f"no published run {run_id!r} for client {client_id!r}")


def dashboard_table(run_id: str, name: str, client_id: str, deps: PublisherDeps) -> Table:
    """One dashboard table of a run, only for the run's own client."""
    _check_client(run_id, client_id, deps)
    for table in get_publication(run_id, deps).tables:
        if table.name == name:
            return table
    raise NotFound("table_not_found", f"run {run_id!r} has no dashboard table {name!r}")


def list_artifacts(run_id: str, client_id: str, deps: PublisherDeps) -> list[StoredArtifact]:
    _check_client(run_id, client_id, deps)
    return deps.ledger.of_run(run_id)


def get_artifact(run_id: str, name: str, client_id: str, deps: PublisherDeps) -> tuple[StoredArtifact, bytes]:
    _check_client(run_id, client_id, deps)
    return read_verified(run_id, name, deps.store, deps.ledger)
