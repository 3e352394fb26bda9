"""Putting queued tasks on their lane's queue: the ledger first, the queue second, so a queue that is down loses
nothing (the task waits, undispatched, for the next sweep) and a sweep that repeats is absorbed by the queue's
duplicate detection by task id."""
from __future__ import annotations

import json
import logging

from services.tasks.domain.task_queue import TaskQueue
from services.tasks.domain.tasks import Task
from services.tasks.service_layer.ports import TaskLedger

log = logging.getLogger(__name__)


def message_body(task: Task) -> str:
    """What a worker needs before it reads the ledger: which task, of which kind, of which round (how often an
    operator had requeued it: a dead letter of an earlier round says nothing about this one). Never the payload."""
    return json.dumps({"task_id": task.task_id, "kind": task.kind, "round": task.requeues}, separators=(",", ":"))


def round_of(body: str) -> int:
    """The round a message was sent for; 0 for a body that does not say (sent before rounds were counted)."""
    try:
        found = json.loads(body or "{}").get("round", 0)
    except (ValueError, AttributeError):
        return 0
    return found if isinstance(found, int) else 0


def dispatch_pending(ledger: TaskLedger, queue: TaskQueue, now: str, limit: int = 100) -> int:
    """Enqueue up to `limit` queued tasks not yet on a queue; stops at the first queue failure (logged)."""
    sent = 0
    for task in ledger.undispatched(limit):
        try:
            queue.enqueue(task.lane, task.task_id, message_body(task), max_attempts=task.max_attempts)
        except Exception as exc:  # the broker is down: the task stays undispatched, the submission still stands
            log.warning("queue unavailable; %s stays undispatched (%s)", task.task_id, exc.__class__.__name__)
            break
        ledger.mark_dispatched(task.task_id, now)
        sent += 1
    return sent
