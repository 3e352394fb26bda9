"""Run use cases at the edge: resolve the scope as the caller may see it, get a grant, compute, publish, read back.

Every call into the mesh carries the caller's signed identity, and a scope grant (dual enforcement) when it
touches client data: an exact grant to compute, a read grant to fetch by id. Reads are retried when the
service was unreachable; computing is not (it is costly, and the caller can repeat the request: runs are
idempotent by their inputs).
"""
from __future__ import annotations

import asyncio
import json

from leaf.calc.v1 import calc_pb2
from leaf.publisher.v1 import publisher_pb2
from leaf.scope.v1 import scope_pb2
from runtime.clients import call
from runtime.convert import READINESS_NAME, lineage_to_dict
from runtime.errors import NotReady
from services.gateway.adapters.mesh import Mesh
from services.gateway.domain.identity import Identity

READ_RETRIES = 2


class ScopeNotExact(NotReady):
    """The scope could not be resolved exactly; the caller gets the state, reasons and candidates."""

    def __init__(self, resolution: dict) -> None:
        self.resolution = resolution
        super().__init__("scope_not_exact", f"the scope is {resolution['state']}: {', '.join(resolution['reasons'])}")


async def resolve_scope(mesh: Mesh, identity: Identity, request: scope_pb2.ResolveScopeRequest) -> dict:
    # Resolution sees only the clients the caller's identity is entitled to: another client resolves as unknown.
    reply = await call(mesh.scope.ResolveScope, request, timeout=mesh.remaining(), metadata=mesh.as_caller(identity),
                       retries=READ_RETRIES)
    return resolution_to_json(reply)


async def exact_scope(mesh: Mesh, identity: Identity, request: scope_pb2.ResolveScopeRequest):
    """The resolved scope narrowed to the caller's entitlement, and the grant for it (ScopeNotExact otherwise)."""
    resolution = await call(mesh.scope.ResolveScope, request, timeout=mesh.remaining(),
                            metadata=mesh.as_caller(identity), retries=READ_RETRIES)
    if resolution.state != scope_pb2.EXACT:
        raise ScopeNotExact(resolution_to_json(resolution))
    return await mesh.grants.for_scope(identity, resolution.exact, mesh.remaining())


async def create_run(mesh: Mesh, identity: Identity, request: scope_pb2.ResolveScopeRequest,
                     itr_request_id: str = "") -> dict:
    grant, scope = await exact_scope(mesh, identity, request)
    run = await call(mesh.calc.CreateRun, calc_pb2.CreateRunRequest(scope=scope, itr_request_id=itr_request_id),
                     timeout=mesh.remaining(), metadata=mesh.as_caller(identity, grant))
    # The publisher reads the run from calc itself: the gateway names it and cannot change what is published.
    publication = await call(mesh.publisher.PublishRun, publisher_pb2.PublishRunRequest(run_id=run.run_id),
                             timeout=mesh.remaining(), metadata=mesh.as_caller(identity, grant))
    return run_to_json(run, publication)


async def get_run(mesh: Mesh, identity: Identity, run_id: str) -> dict:
    grant = await mesh.grants.for_reads(identity, mesh.remaining())
    # Both halves at once: each service checks the grant itself, so neither call needs the other's answer.
    run, publication = await asyncio.gather(
        call(mesh.calc.GetRun, calc_pb2.GetRunRequest(run_id=run_id), timeout=mesh.remaining(),
             metadata=mesh.as_caller(identity, grant), retries=READ_RETRIES),
        call(mesh.publisher.GetPublication, publisher_pb2.GetPublicationRequest(run_id=run_id),
             timeout=mesh.remaining(), metadata=mesh.as_caller(identity, grant), retries=READ_RETRIES),
        return_exceptions=True)
    for answer in (run, publication):  # the run's own error first, whichever call finished first
        if isinstance(answer, BaseException):
            raise answer
    return run_to_json(run, publication)


async def dashboard_table(mesh: Mesh, identity: Identity, table: str, run_id: str) -> publisher_pb2.DashboardTable:
    grant = await mesh.grants.for_reads(identity, mesh.remaining())
    return await call(mesh.publisher.GetDashboardTable,
                      publisher_pb2.GetDashboardTableRequest(table=table, run_id=run_id), timeout=mesh.remaining(),
                      metadata=mesh.as_caller(identity, grant), retries=READ_RETRIES)


def resolution_to_json(reply: scope_pb2.ResolveScopeResponse) -> dict:
    exact = reply.exact if reply.state == scope_pb2.EXACT else None
    return {
        "state": scope_pb2.ResolutionState.Name(reply.state).lower(),
        "scope": json.loads(exact.canonical_json) if exact else None,
        "scope_hash": exact.scope_hash if exact else None,
        "partial": exact.partial if exact else None,
        "reasons": list(reply.reasons),
        "candidates": [{"client_id": c.client_id, "client_name": c.client_name, "pbm_id": c.pbm_id, "tpa_id": c.tpa_id,
                        "valid_from": c.valid_from, "valid_to": c.valid_to} for c in reply.candidates],
    }


def artifact_to_json(artifact: publisher_pb2.Artifact) -> dict:
    return {"artifact_id": artifact.artifact_id, "name": artifact.name, "content_type": artifact.content_type,
            "sha256": artifact.sha256, "size": artifact.size,
            "href": f"/v1/runs/{artifact.run_id}/artifacts/{artifact.name}"}


def run_to_json(run: calc_pb2.Run, publication: publisher_pb2.Publication) -> dict:
    return {
        "run_id": run.run_id,
        "scope": json.loads(run.scope.canonical_json),
        "scope_hash": run.scope.scope_hash,
        "readiness": READINESS_NAME[run.readiness],
        "formulas": [{"formula_id": f.formula_id, "version": f.version, "status": READINESS_NAME[f.status],
                      "reasons": list(f.reasons), "missing_evidence": list(f.missing_evidence)} for f in run.formulas],
        "result": json.loads(run.result_json),
        "rejected_rows_omitted": run.rejected_rows_omitted,
        "lineage": lineage_to_dict(run.lineage),
        "dashboard": {"tables": [{"name": t.name, "columns": list(t.columns), "rows": json.loads(t.rows_json)}
                                 for t in publication.tables]},
        "artifacts": [artifact_to_json(a) for a in publication.artifacts],
    }
