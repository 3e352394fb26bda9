"""Task use cases: submit through the policy gate, read the ledger."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from runtime.errors import InputError, NotFound
from runtime.grants import Grant
from services.tasks.adapters.ledger import SqlTaskLedger
from services.tasks.domain.access import stored_task_in_grant, task_in_grant
from services.tasks.domain.lanes import QUEUED, SubmitTask, admit


def submit_task(order: SubmitTask, grant: Grant, ledger: SqlTaskLedger, trace_id: str = "") -> dict:
    """Queue a task the policy gate admits and whose payload lies inside the caller's grant."""
    if not task_in_grant(grant, admit(order)):
        raise NotFound("scope_not_found", "no such scope for this caller")  # the scope service's own answer
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    task = ledger.add({"task_id": f"task_{uuid.uuid4().hex[:20]}", "lane": order.lane, "state": QUEUED,
                       "payload_json": order.payload_json or "{}", "result_json": "", "error": "",
                       "idempotency_key": order.idempotency_key or None, "trace_id": trace_id,
                       "created_at": now, "updated_at": now})
    # A reused key hands back the earlier task: never one outside this caller's grant.
    if not stored_task_in_grant(grant, task["payload_json"]):
        raise InputError("bad_input:idempotency_key", "this idempotency key names another task; use a fresh key")
    return task


def get_task(task_id: str, grant: Grant, ledger: SqlTaskLedger) -> dict:
    """A task about data outside the grant is answered exactly as one that does not exist."""
    task = ledger.get(task_id)
    if task is None or not stored_task_in_grant(grant, task["payload_json"]):
        raise NotFound("task_not_found", f"no task {task_id!r}")
    return task


def list_tasks(lane: str, state: str, grant: Grant, ledger: SqlTaskLedger) -> list[dict]:
    return [t for t in ledger.list(lane, state) if stored_task_in_grant(grant, t["payload_json"])]
