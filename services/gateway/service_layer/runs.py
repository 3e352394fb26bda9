"""Run use cases at the edge: resolve the scope, compute the run, publish it — each a real gRPC call."""
from __future__ import annotations

import json
from leaf.calc.v1 import calc_pb2
from leaf.publisher.v1 import publisher_pb2
from leaf.scope.v1 import scope_pb2

from runtime.clients import call
from runtime.convert import READINESS_NAME, lineage_to_dict
from runtime.errors import NotReady
from services.gateway.adapters.mesh import Mesh


class ScopeNotExact(NotReady):
    """The scope could not be resolved exactly; the caller gets the state, reasons and candidates."""

    def __init__(self, resolution: dict) -> None:
        self.resolution = resolution
        super().__init__("scope_not_exact", f"the scope is {resolution['state']}: {', '.join(resolution['reasons'])}")


async def resolve_scope(mesh: Mesh, request: scope_pb2.ResolveScopeRequest) -> dict:
    reply = await call(mesh.scope.ResolveScope, request, timeout=mesh.timeout)
    return resolution_to_json(reply)


async def create_run(mesh: Mesh, request: scope_pb2.ResolveScopeRequest, itr_request_id: str = "") -> dict:
    resolution = await call(mesh.scope.ResolveScope, request, timeout=mesh.timeout)
    if resolution.state != scope_pb2.EXACT:
        raise ScopeNotExact(resolution_to_json(resolution))
    run = await call(mesh.calc.CreateRun, calc_pb2.CreateRunRequest(scope=resolution.exact, itr_request_id=itr_request_id),
                     timeout=mesh.timeout)
    publication = await call(mesh.publisher.PublishRun, publisher_pb2.PublishRunRequest(run=run), timeout=mesh.timeout)
    return run_to_json(run, publication)


async def get_run(mesh: Mesh, run_id: str) -> dict:
    run = await call(mesh.calc.GetRun, calc_pb2.GetRunRequest(run_id=run_id), timeout=mesh.timeout)
    publication = await call(mesh.publisher.GetPublication, publisher_pb2.GetPublicationRequest(run_id=run_id),
                             timeout=mesh.timeout)
    return run_to_json(run, publication)


async def dashboard_table(mesh: Mesh, table: str, run_id: str, client_id: str) -> publisher_pb2.DashboardTable:
    request = publisher_pb2.GetDashboardTableRequest(table=table, run_id=run_id, client_id=client_id)
    return await call(mesh.publisher.GetDashboardTable, request, timeout=mesh.timeout)


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


def run_to_json(run: calc_pb2.Run, publication: publisher_pb2.Publication) -> dict:
    return {
        "run_id": run.run_id,
        "scope": json.loads(run.scope.canonical_json),
        "scope_hash": run.scope.scope_hash,
        "readiness": READINESS_NAME[run.readiness],
        "formulas": [{"formula_id": f.formula_id, "version": f.version, "status": READINESS_NAME[f.status],
                      "reasons": list(f.reasons), "missing_evidence": list(f.missing_evidence)} for f in run.formulas],
        "result": json.loads(run.result_json),
        "lineage": lineage_to_dict(run.lineage),
        "dashboard": {"tables": [{"name": t.name, "columns": list(t.columns), "rows": json.loads(t.rows_json)}
                                 for t in publication.tables]},
    }

