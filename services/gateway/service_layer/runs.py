"""Run use cases at the edge: resolve the scope as the caller may see it, get a grant, have the run made through the
task plane (or find it made), read it back.

Every call into the mesh carries the caller's signed identity, and a scope grant (dual enforcement) when it
touches client data: an exact grant to plan and submit a run, a read grant to fetch by id. Reads are retried when
the service was unreachable; submitting is not (the caller can repeat the request: a repeat meets the same task).
"""
from __future__ import annotations

import asyncio
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kernel.errors import NotFound, NotReady
from kernel.scope import Scope
from leaf.calc.v1 import calc_pb2
from leaf.publisher.v1 import publisher_pb2
from leaf.scope.v1 import scope_pb2
from leaf.tasks.v1 import tasks_pb2
from runtime.clients import call
from runtime.convert import READINESS_NAME, lineage_to_dict
from services.gateway.domain.identity import Identity
from services.gateway.service_layer import tasks
from services.gateway.service_layer.ports import Mesh

READ_RETRIES = 2
PUBLISHED_RUNS_BYTES = 64 * 1024 * 1024  # of rendered run JSON kept per gateway process
FETCH_RESERVE_SECONDS = 2.0  # of the request's budget, kept for reading the run once the wait ends


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


@dataclass(frozen=True)
class RunAnswer:
    """200 with the run already published, 201 with the run made while the caller waited, or 202 with its task."""

    status: int
    body: dict
    task_id: str = ""            # 202: where to follow it
    waited: float | None = None  # the wait honoured (RFC 7240), when one was asked for


async def request_run(mesh: Mesh, identity: Identity, request: scope_pb2.ResolveScopeRequest,
                      itr_request_id: str = "", wait: float | None = None, proposal_id: str = "") -> RunAnswer:
    """The run of the exact scope, from the plane: computed and published by a `runs` lane worker acting for the
    caller (a compute_run task), unless it exists already. Runs are idempotent by their inputs: calc names the run
    before computing it, and the task's idempotency key is that run, so a repeat while it is being made meets
    the same task. A proposal_id travels as a reference: calc resolves it (already in PlanRun, so an unknown one
    is refused at once) within the grant of the exact scope, and the run id includes the proposal."""
    grant, scope = await exact_scope(mesh, identity, request)
    as_caller = mesh.as_caller(identity, grant)
    order = calc_pb2.CreateRunRequest(scope=scope, itr_request_id=itr_request_id, proposal_id=proposal_id)
    plan = await call(mesh.calc.PlanRun, order, timeout=mesh.remaining(), metadata=as_caller, retries=READ_RETRIES)
    if plan.computed:
        published = await _published(mesh, as_caller, plan.run_id)
        if published is not None:
            return RunAnswer(200, published)
    task = await call(mesh.tasks.SubmitTask, tasks_pb2.SubmitTaskRequest(
        kind="compute_run", payload_json=json.dumps(_run_payload(scope, proposal_id)),
        run_id=plan.run_id, itr_request_id=itr_request_id, idempotency_key=f"compute_run:{plan.run_id}"),
        timeout=mesh.remaining(), metadata=as_caller)
    if wait is None:
        return RunAnswer(202, tasks.task_to_json(task), task.task_id)
    # What is left of the request's budget after fetching the run bounds the wait (never more than asked).
    waited = max(min(wait, mesh.remaining() - FETCH_RESERVE_SECONDS), 0.0)
    task = await tasks.wait_until_finished(mesh, identity, task, waited, grant)
    if task.state == tasks_pb2.SUCCEEDED:
        made = await _published(mesh, as_caller, task.run_id)
        if made is not None:
            return RunAnswer(201, made, waited=waited)
    return RunAnswer(202, tasks.task_to_json(task), task.task_id, waited)


def _run_payload(scope, proposal_id: str) -> dict:
    """What the worker needs beyond the grant: the exact scope, and the proposal to reprice with when one is named."""
    payload: dict = {"scope": json.loads(scope.canonical_json)}
    if proposal_id:
        payload["proposal_id"] = proposal_id
    return payload


async def _published(mesh: Mesh, as_caller, run_id: str) -> dict | None:
    """The run as GET /v1/runs/{id} answers it, or None while it is not published."""
    answers: tuple[Any, Any] = await asyncio.gather(
        call(mesh.calc.GetRun, calc_pb2.GetRunRequest(run_id=run_id), timeout=mesh.remaining(), metadata=as_caller,
             retries=READ_RETRIES),
        call(mesh.publisher.GetPublication, publisher_pb2.GetPublicationRequest(run_id=run_id),
             timeout=mesh.remaining(), metadata=as_caller, retries=READ_RETRIES),
        return_exceptions=True)
    run, publication = answers
    if isinstance(run, BaseException):
        raise run
    if isinstance(publication, NotFound):
        return None
    if isinstance(publication, BaseException):
        raise publication
    return run_to_json(run, publication)


@dataclass(frozen=True)
class PublishedRun:
    """A published run as GET /v1/runs/{id} answers it, rendered once, and the scope a caller's grant must cover."""

    run_id: str
    scope: Scope
    scope_hash: str
    body: bytes


class PublishedRuns:
    """Published runs never change: their rendered JSON, kept by run id (least recently used out beyond `capacity`
    bytes). What is kept is the answer only; whether a caller may have it is decided on every request."""

    def __init__(self, render: Callable[[dict], bytes], capacity: int = PUBLISHED_RUNS_BYTES) -> None:
        self.render = render
        self.capacity = capacity
        self._runs: OrderedDict[str, PublishedRun] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, run_id: str) -> PublishedRun | None:
        with self._lock:
            found = self._runs.get(run_id)
            if found is not None:
                self._runs.move_to_end(run_id)
            return found

    def keep(self, run: dict) -> PublishedRun:
        published = PublishedRun(run["run_id"], Scope.parse(**run["scope"]), run["scope_hash"], self.render(run))
        if len(published.body) > self.capacity:
            return published
        with self._lock:
            replaced = self._runs.pop(published.run_id, None)
            self._size += len(published.body) - (len(replaced.body) if replaced else 0)
            self._runs[published.run_id] = published
            while self._size > self.capacity:
                _, dropped = self._runs.popitem(last=False)
                self._size -= len(dropped.body)
        return published


async def get_run(mesh: Mesh, identity: Identity, run_id: str, published: PublishedRuns) -> PublishedRun:
    """The published run, if the caller's read grant covers its scope; any other is not found, as calc answers it.
    A run kept in `published` is checked against the grant here, exactly as calc and the publisher check it."""
    grant, granted = await mesh.grants.read_grant(identity, mesh.remaining())
    kept = published.get(run_id)
    if kept is not None:
        if not granted.covers_scope(kept.scope):
            raise NotFound("run_not_found", f"no run {run_id!r}")
        return kept
    # Both halves at once: each service checks the grant itself, so neither call needs the other's answer.
    answers: tuple[Any, Any] = await asyncio.gather(
        call(mesh.calc.GetRun, calc_pb2.GetRunRequest(run_id=run_id), timeout=mesh.remaining(),
             metadata=mesh.as_caller(identity, grant), retries=READ_RETRIES),
        call(mesh.publisher.GetPublication, publisher_pb2.GetPublicationRequest(run_id=run_id),
             timeout=mesh.remaining(), metadata=mesh.as_caller(identity, grant), retries=READ_RETRIES),
        return_exceptions=True)
    run, publication = answers
    for answer in (run, publication):  # the run's own error first, whichever call finished first
        if isinstance(answer, BaseException):
            raise answer
    return published.keep(run_to_json(run, publication))


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
