"""Task use cases: submit through the policy gate, read the ledger and a task's history."""
from __future__ import annotations

import uuid

from runtime.errors import InputError, NotFound
from runtime.grants import Grant
from services.tasks.domain.access import scope_hash_of, stored_task_in_grant, task_in_grant
from services.tasks.domain.kinds import kind_named
from services.tasks.domain.policy import Submitter, decide
from services.tasks.domain.queue import TaskQueue
from services.tasks.domain.states import BLOCKED, QUEUED, StateChange
from services.tasks.domain.tasks import SubmitTask, Task, payload_of
from services.tasks.service_layer.dispatch import dispatch_pending
from services.tasks.service_layer.ports import TaskLedger


def submit_task(order: SubmitTask, submitter: Submitter, grant: Grant, ledger: TaskLedger, queue: TaskQueue | None,
                now: str, trace_id: str = "") -> Task:
    """Record the task with the policy gate's decision: queued (and put on its lane) or blocked by a named rule."""
    kind = kind_named(order.kind)
    if order.lane and order.lane != kind.lane:
        raise InputError("bad_input:lane", f"{kind.name} runs on lane {kind.lane}; leave lane empty or name that one")
    payload = payload_of(order)
    if not task_in_grant(grant, payload):
        raise NotFound("scope_not_found", "no such scope for this caller")  # the scope service's own answer
    decision = decide(kind, submitter, order.operator_intent)
    state = QUEUED if decision.allowed else BLOCKED
    task = Task(task_id=f"task_{uuid.uuid4().hex[:20]}", kind=kind.name, lane=kind.lane, state=state,
                requested_by=submitter.principal, scope_hash=scope_hash_of(grant, payload),
                itr_request_id=order.itr_request_id, run_id=order.run_id, policy_outcome=decision.outcome,
                policy_rule=decision.rule, policy_reason=decision.reason, payload_json=order.payload_json or "{}",
                created_at=now, updated_at=now, operator_intent=order.operator_intent,
                idempotency_key=order.idempotency_key or None, trace_id=trace_id,
                max_attempts=kind.retry.max_attempts, finished_at=now if state == BLOCKED else "")
    stored = ledger.add(task, StateChange(task.task_id, "", state, 0, decision.reason, submitter.principal, now))
    # A reused key hands back the earlier task: never one outside this caller's grant.
    if not stored_task_in_grant(grant, stored.payload_json):
        raise InputError("bad_input:idempotency_key", "this idempotency key names another task; use a fresh key")
    if queue is not None and stored.state == QUEUED:
        dispatch_pending(ledger, queue, now)
        stored = ledger.get(stored.task_id) or stored
    return stored


def get_task(task_id: str, grant: Grant, ledger: TaskLedger) -> tuple[Task, list[StateChange]]:
    """A task about data outside the grant is answered exactly as one that does not exist."""
    task = ledger.get(task_id)
    if task is None or not stored_task_in_grant(grant, task.payload_json):
        raise NotFound("task_not_found", f"no task {task_id!r}")
    return task, ledger.history(task_id)


def list_tasks(lane: str, state: str, kind: str, grant: Grant, ledger: TaskLedger) -> list[Task]:
    return [t for t in ledger.list(lane=lane, state=state, kind=kind) if stored_task_in_grant(grant, t.payload_json)]
