"""Task use cases: submit through the policy gate, read the ledger and a task's history, and the operators' cancel
and requeue."""
from __future__ import annotations

import uuid
from dataclasses import replace

from kernel.errors import InputError, NotFound
from kernel.grants import Grant
from kernel.identity import OperatorRequired
from services.tasks.domain.access import granted_scope_json, may_see, scope_hash_of, stored_task_in_grant, task_in_grant
from services.tasks.domain.kinds import check_params, kind_named
from services.tasks.domain.policy import Submitter, decide
from services.tasks.domain.states import (
    BLOCKED,
    CANCELLABLE,
    CANCELLED,
    GAVE_UP,
    QUEUED,
    REQUEUEABLE,
    StateChange,
    StateConflict,
)
from services.tasks.domain.task_queue import TaskQueue
from services.tasks.domain.tasks import SubmitTask, Task, payload_of
from services.tasks.service_layer.dispatch import dispatch_pending
from services.tasks.service_layer.ports import TaskLedger

MAX_KEY_LENGTH = 100  # the column holds 128: room for the "@<task id>" of a retried key


def submit_task(order: SubmitTask, submitter: Submitter, grant: Grant, ledger: TaskLedger, queue: TaskQueue | None,
                now: str, trace_id: str = "", trace_parent_id: str = "") -> Task:
    """Record the task with the policy gate's decision: queued (and put on its lane) or blocked by a named rule.

    The verified submitter (principal, groups, operator flag) and the exact scope it was granted are recorded, so a
    worker can act for it later. A used idempotency key hands back its task while that task may still succeed;
    once it gave up, the repeat is a new try under the key `<key>@<task that gave up>` (so concurrent repeats still
    meet on one task)."""
    kind = kind_named(order.kind)
    if order.lane and order.lane != kind.lane:
        raise InputError("bad_input:lane", f"{kind.name} runs on lane {kind.lane}; leave lane empty or name that one")
    if len(order.idempotency_key) > MAX_KEY_LENGTH:
        raise InputError("bad_input:idempotency_key", f"an idempotency key has at most {MAX_KEY_LENGTH} characters")
    payload = payload_of(order)
    check_params(kind, payload)
    if not task_in_grant(grant, payload):
        raise NotFound("scope_not_found", "no such scope for this caller")  # the scope service's own answer
    decision = decide(kind, submitter, order.operator_intent)
    state = QUEUED if decision.allowed else BLOCKED
    task = Task(task_id=_new_id(), kind=kind.name, lane=kind.lane, state=state,
                requested_by=submitter.principal, scope_hash=scope_hash_of(grant, payload),
                itr_request_id=order.itr_request_id, run_id=order.run_id, policy_outcome=decision.outcome,
                policy_rule=decision.rule, policy_reason=decision.reason, payload_json=order.payload_json or "{}",
                created_at=now, updated_at=now, operator_intent=order.operator_intent,
                idempotency_key=order.idempotency_key or None, trace_id=trace_id,
                max_attempts=kind.retry.max_attempts, finished_at=now if state == BLOCKED else "",
                requested_groups=submitter.groups, requested_operator=submitter.operator,
                granted_scope_json=granted_scope_json(grant, payload), trace_parent_id=trace_parent_id)
    stored = _add(ledger, task, decision.reason, submitter.principal, now)
    # A reused key hands back the earlier task: never one outside this caller's grant.
    if not stored_task_in_grant(grant, stored.payload_json):
        raise InputError("bad_input:idempotency_key", "this idempotency key names another task; use a fresh key")
    if queue is not None and stored.state == QUEUED:
        dispatch_pending(ledger, queue, now)
        stored = ledger.get(stored.task_id) or stored
    return stored


def _new_id() -> str:
    return f"task_{uuid.uuid4().hex[:20]}"


def _add(ledger: TaskLedger, task: Task, reason: str, actor: str, now: str) -> Task:
    key = task.idempotency_key
    while True:
        stored = ledger.add(task, StateChange(task.task_id, "", task.state, 0, reason, actor, now))
        if stored.task_id == task.task_id or stored.state not in GAVE_UP or key is None:
            return stored
        task = replace(task, task_id=_new_id(), idempotency_key=f"{key}@{stored.task_id}")


def get_task(task_id: str, viewer: Submitter, grant: Grant, ledger: TaskLedger) -> tuple[Task, list[StateChange]]:
    """A task the caller may not see is answered exactly as one that does not exist."""
    task = ledger.get(task_id)
    if task is None or not may_see(task, viewer, grant):
        raise NotFound("task_not_found", f"no task {task_id!r}")
    return task, ledger.history(task_id)


def list_tasks(lane: str, state: str, kind: str, viewer: Submitter, grant: Grant, ledger: TaskLedger,
               itr_request_id: str = "") -> list[Task]:
    return [t for t in ledger.list(lane=lane, state=state, kind=kind, itr_request_id=itr_request_id)
            if may_see(t, viewer, grant)]


def cancel_task(task_id: str, reason: str, operator: Submitter, ledger: TaskLedger, now: str) -> Task:
    """Operators: a queued task is never run; a running one is stopped when its worker next looks at the ledger, and
    what it finishes afterwards is not recorded."""
    task = _operators_task(task_id, reason, operator, ledger)
    if task.state not in CANCELLABLE:
        raise StateConflict("task_state_conflict", f"task {task_id} is {task.state}: only a queued or running task "
                                                   "can be cancelled")
    return ledger.move(StateChange(task_id, task.state, CANCELLED, task.attempts, f"cancelled: {reason}",
                                   operator.principal, now), finished_at=now, last_error=f"cancelled: {reason}")


def requeue_task(task_id: str, reason: str, operator: Submitter, ledger: TaskLedger, queue: TaskQueue | None,
                 now: str) -> Task:
    """Operators: a failed or dead-lettered task goes back on its lane as a new message with its full attempts."""
    task = _operators_task(task_id, reason, operator, ledger)
    if task.state not in REQUEUEABLE:
        raise StateConflict("task_state_conflict", f"task {task_id} is {task.state}: only a failed or dead-lettered "
                                                   "task can be requeued")
    moved = ledger.move(StateChange(task_id, task.state, QUEUED, task.attempts, f"requeued: {reason}",
                                    operator.principal, now),
                        dispatched_at="", finished_at="", requeues=task.requeues + 1)
    if queue is not None:
        dispatch_pending(ledger, queue, now)
    return ledger.get(task_id) or moved


def _operators_task(task_id: str, reason: str, operator: Submitter, ledger: TaskLedger) -> Task:
    if not operator.operator:
        raise OperatorRequired("operator_required", "this action needs an operator's identity")
    if not reason.strip():
        raise InputError("bad_input:reason", "say why: the reason goes into the task's history")
    task = ledger.get(task_id)
    if task is None:
        raise NotFound("task_not_found", f"no task {task_id!r}")
    return task

