"""Task use cases at the edge: submit a kind, follow a task, and the operators' cancel and requeue.

A task is shown only to whom the tasks service shows it (operators; anyone whose grant covers the data it is
about; else its submitter) and is otherwise not found. Cancel and requeue are refused here to a non-operator
before any call, and again by the tasks service from the signed identity, which it records in the history.
"""
from __future__ import annotations

import asyncio
import json
import time

from leaf.tasks.v1 import tasks_pb2
from runtime.clients import call
from services.gateway.domain.identity import Identity
from services.gateway.service_layer.entitlements import NotAnOperator
from services.gateway.service_layer.ports import Mesh

READ_RETRIES = 2
FINISHED = frozenset({tasks_pb2.SUCCEEDED, tasks_pb2.FAILED, tasks_pb2.BLOCKED, tasks_pb2.DEAD_LETTERED,
                      tasks_pb2.CANCELLED})
# A waiting client sees its task finish within a tenth of a second for the first QUICK_SECONDS (a GetTask costs a
# few milliseconds, and most runs a person waits for finish in that time); a longer task costs a call per half second.
QUICK_POLL_SECONDS, QUICK_SECONDS, SLOW_POLL_SECONDS = 0.1, 15.0, 0.5


def location_of(task_id: str) -> str:
    return f"/v1/tasks/{task_id}"


def task_to_json(task: tasks_pb2.Task) -> dict:
    run_id, finished = task.run_id, task.state == tasks_pb2.SUCCEEDED
    links = {"self": location_of(task.task_id)}
    if run_id and finished:
        links |= {"run": f"/v1/runs/{run_id}", "artifacts": f"/v1/runs/{run_id}/artifacts"}
    return {
        "task_id": task.task_id, "kind": task.kind, "lane": task.lane,
        "state": tasks_pb2.TaskState.Name(task.state).lower(),
        "requested_by": task.requested_by, "scope_hash": task.scope_hash,
        "params": json.loads(task.payload_json or "{}"),
        "policy": {"outcome": task.policy.outcome, "rule": task.policy.rule, "reason": task.policy.reason},
        "attempts": task.attempts, "max_attempts": task.max_attempts,
        "progress": {"done": task.progress.done, "total": task.progress.total, "note": task.progress.note},
        "lineage": {"run_id": run_id, "itr_request_id": task.itr_request_id},
        "artifacts": [{"name": a.name, "sha256": a.sha256, "size": a.size_bytes,
                       "href": f"/v1/runs/{run_id}/artifacts/{a.name}"} for a in task.artifacts],
        "links": links, "trace_id": task.trace_id, "error": task.error,
        "created_at": task.created_at, "updated_at": task.updated_at, "started_at": task.started_at,
        "finished_at": task.finished_at,
        "history": [{"from_state": c.from_state, "to_state": c.to_state, "attempt": c.attempt, "reason": c.reason,
                     "actor": c.actor, "at": c.at} for c in task.history],
    }


async def get_task(mesh: Mesh, identity: Identity, task_id: str, grant=None) -> tasks_pb2.Task:
    grant = grant if grant is not None else await mesh.grants.for_reads(identity, mesh.remaining())
    return await call(mesh.tasks.GetTask, tasks_pb2.GetTaskRequest(task_id=task_id), timeout=mesh.remaining(),
                      metadata=mesh.as_caller(identity, grant), retries=READ_RETRIES)


async def wait_until_finished(mesh: Mesh, identity: Identity, task: tasks_pb2.Task, seconds: float,
                              grant) -> tasks_pb2.Task:
    """The task once finished, or as it stands after `seconds` (RFC 7240 `wait`)."""
    started = time.monotonic()
    give_up = started + seconds
    while task.state not in FINISHED and (left := give_up - time.monotonic()) > 0:
        quick = time.monotonic() - started < QUICK_SECONDS
        await asyncio.sleep(min(QUICK_POLL_SECONDS if quick else SLOW_POLL_SECONDS, left))
        task = await get_task(mesh, identity, task.task_id, grant)
    return task


async def submit_task(mesh: Mesh, identity: Identity, kind: str, params: dict, operator_intent: bool) -> tasks_pb2.Task:
    """Under the caller's read grant: a task about a client the caller may not see is not found."""
    grant = await mesh.grants.for_reads(identity, mesh.remaining())
    request = tasks_pb2.SubmitTaskRequest(kind=kind, payload_json=json.dumps(params, sort_keys=True),
                                          run_id=str(params.get("run_id") or ""), operator_intent=operator_intent)
    return await call(mesh.tasks.SubmitTask, request, timeout=mesh.remaining(),
                      metadata=mesh.as_caller(identity, grant))


def require_operator(identity: Identity, operator_group: str) -> None:
    if not identity.is_operator(operator_group):
        raise NotAnOperator("forbidden", f"cancelling and requeueing tasks needs membership of the {operator_group!r} "
                                         "group")


async def cancel(mesh: Mesh, identity: Identity, operator_group: str, task_id: str, reason: str) -> tasks_pb2.Task:
    require_operator(identity, operator_group)
    grant = await mesh.grants.for_reads(identity, mesh.remaining())
    return await call(mesh.tasks.CancelTask, tasks_pb2.CancelTaskRequest(task_id=task_id, reason=reason),
                      timeout=mesh.remaining(), metadata=mesh.as_caller(identity, grant))


async def requeue(mesh: Mesh, identity: Identity, operator_group: str, task_id: str, reason: str) -> tasks_pb2.Task:
    require_operator(identity, operator_group)
    grant = await mesh.grants.for_reads(identity, mesh.remaining())
    return await call(mesh.tasks.RequeueTask, tasks_pb2.RequeueTaskRequest(task_id=task_id, reason=reason),
                      timeout=mesh.remaining(), metadata=mesh.as_caller(identity, grant))
