"""Task use cases: submit through the policy gate, read the ledger."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from runtime.errors import NotFound
from services.tasks.adapters.ledger import SqlTaskLedger
from services.tasks.domain.lanes import QUEUED, SubmitTask, admit


def submit_task(order: SubmitTask, ledger: SqlTaskLedger, trace_id: str = "") -> dict:
    admit(order)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return ledger.add({"task_id": f"task_{uuid.uuid4().hex[:20]}", "lane": order.lane, "state": QUEUED,
                       "payload_json": order.payload_json or "{}", "result_json": "", "error": "",
                       "idempotency_key": order.idempotency_key or None, "trace_id": trace_id,
                       "created_at": now, "updated_at": now})


def get_task(task_id: str, ledger: SqlTaskLedger) -> dict:
    task = ledger.get(task_id)
    if task is None:
        raise NotFound("task_not_found", f"no task {task_id!r}")
    return task
