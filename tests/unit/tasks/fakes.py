"""In-memory stand-ins for the tasks ports (style.md 11): a ledger, a unit of work with real rollback, a queue
that records how each delivery was settled."""
from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from services.tasks.domain.states import QUEUED, StateChange, StateConflict, check_move
from services.tasks.domain.task_queue import Delivery, LeaseLost
from services.tasks.domain.tasks import Task
from services.tasks.service_layer.ports import EffectAlreadyApplied


class FakeLedger:
    def __init__(self) -> None:
        self.tasks: dict[str, Task] = {}
        self.changes: list[StateChange] = []

    def add(self, task: Task, first: StateChange) -> Task:
        check_move(task.task_id, first.from_state, first.to_state)
        earlier = next((t for t in self.tasks.values()
                        if task.idempotency_key and t.idempotency_key == task.idempotency_key), None)
        if earlier:
            return earlier
        self.tasks[task.task_id] = task
        self.changes.append(first)
        return task

    def get(self, task_id: str) -> Task | None:
        return self.tasks.get(task_id)

    def list(self, *, lane: str = "", state: str = "", kind: str = "", itr_request_id: str = "") -> list[Task]:
        return [t for t in self.tasks.values()
                if (not lane or t.lane == lane) and (not state or t.state == state) and (not kind or t.kind == kind)
                and (not itr_request_id or t.itr_request_id == itr_request_id)]

    def history(self, task_id: str) -> list[StateChange]:
        return [c for c in self.changes if c.task_id == task_id]

    def move(self, change: StateChange, **fields: Any) -> Task:
        check_move(change.task_id, change.from_state, change.to_state)
        task = self.tasks[change.task_id]
        if task.state != change.from_state:
            raise StateConflict("task_state_conflict", f"task {change.task_id} is {task.state}")
        self.tasks[change.task_id] = moved = replace(task, state=change.to_state, updated_at=change.at, **fields)
        self.changes.append(change)
        return moved

    def note(self, task_id: str, **fields: Any) -> None:
        self.tasks[task_id] = replace(self.tasks[task_id], **fields)

    def mark_dispatched(self, task_id: str, at: str) -> None:
        self.tasks[task_id] = replace(self.tasks[task_id], dispatched_at=at)

    def undispatched(self, limit: int) -> list[Task]:
        return [t for t in self.tasks.values() if t.state == QUEUED and not t.dispatched_at][:limit]


class FakeEffectLog:
    def __init__(self) -> None:
        self.outcomes: dict[str, str] = {}

    def outcome(self, task_id: str) -> str | None:
        return self.outcomes.get(task_id)

    def record(self, task_id: str, outcome_json: str, at: str) -> None:
        if task_id in self.outcomes:
            raise EffectAlreadyApplied(task_id)
        self.outcomes[task_id] = outcome_json


class FakeStore:
    """What the database holds: the ledger, the effect log, and the effects' own writes (`applied`)."""

    def __init__(self) -> None:
        self.tasks = FakeLedger()
        self.effects = FakeEffectLog()
        self.applied: list[str] = []

    def units(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)


class FakeUnitOfWork:
    """Works on a copy of the store; only commit() makes the copy the store's, so an exception undoes everything."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.committed = False

    def __enter__(self) -> FakeUnitOfWork:
        self.tasks = copy.deepcopy(self.store.tasks)
        self.effects = copy.deepcopy(self.store.effects)
        self.connection = list(self.store.applied)  # an effect's own writes go here
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass  # uncommitted copies are simply dropped

    def commit(self) -> None:
        self.store.tasks, self.store.effects, self.store.applied = self.tasks, self.effects, self.connection
        self.committed = True


class FakeQueue:
    """Delivers what it was given in order; records every enqueue and every settlement."""

    def __init__(self, lose_leases: bool = False, down: bool = False) -> None:
        self.enqueued: list[tuple[str, str, int]] = []
        self.settled: list[tuple[str, str, dict]] = []  # (how, task_id, details)
        self.lose_leases = lose_leases
        self.down = down

    def enqueue(self, lane: str, task_id: str, body: str = "", *, max_attempts: int, delay: float = 0.0) -> None:
        if self.down:
            raise ConnectionError("broker down")
        self.enqueued.append((lane, task_id, max_attempts))

    def enqueue_many(self, lane: str, messages, *, max_attempts: int, delay: float = 0.0) -> None:
        for task_id, body in messages:
            self.enqueue(lane, task_id, body, max_attempts=max_attempts, delay=delay)

    def receive(self, lane, *, max_messages=1, lease_seconds=60.0, wait_seconds=0.0, dead_lettered=False):
        return []

    def _settle(self, how: str, delivery: Delivery, **details) -> None:
        if self.lose_leases:
            raise LeaseLost(delivery.task_id)
        self.settled.append((how, delivery.task_id, details))

    def ack(self, delivery: Delivery) -> None:
        self._settle("ack", delivery)

    def release(self, delivery: Delivery, *, delay: float = 0.0, error: str = "") -> None:
        self._settle("release", delivery, delay=delay, error=error)

    def dead_letter(self, delivery: Delivery, reason: str) -> None:
        self._settle("dead_letter", delivery, reason=reason)

    def renew(self, delivery: Delivery, lease_seconds: float) -> Delivery:
        return delivery

    def depth(self, lane: str) -> int:
        return 0

    def close(self) -> None:
        pass


def delivery(task_id: str, attempt: int = 1, max_attempts: int = 3, lane: str = "runs") -> Delivery:
    return Delivery(lane, task_id, "{}", attempt, max_attempts, "lease", 0.0)
