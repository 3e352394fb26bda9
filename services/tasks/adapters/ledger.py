"""The task ledger on SQLAlchemy Core: tasks, their append-only state history, dispatch marks."""
from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from services.tasks.adapters import tables
from services.tasks.adapters.writes import write_transaction
from services.tasks.domain.states import QUEUED, StateChange, StateConflict, check_move
from services.tasks.domain.tasks import Artifact, Task

T, H = tables.tasks, tables.task_state_changes
RENAMED = {"last_error": "error", "artifacts": "artifacts_json", "requested_groups": "requested_groups_json"}


def _columns(fields: dict[str, Any]) -> dict[str, Any]:
    """Task attributes → column values."""
    values = {RENAMED.get(k, k): v for k, v in fields.items()}
    if "artifacts_json" in values:
        values["artifacts_json"] = json.dumps([a.__dict__ for a in values["artifacts_json"]])
    if "requested_groups_json" in values:
        values["requested_groups_json"] = json.dumps(list(values["requested_groups_json"]))
    return values


def _task(row) -> Task:
    m = dict(row._mapping)
    m["last_error"], m["artifacts"] = m.pop("error"), tuple(Artifact(**a) for a in json.loads(m.pop("artifacts_json")))
    m["requested_groups"] = tuple(json.loads(m.pop("requested_groups_json")))
    m["operator_intent"], m["requested_operator"] = bool(m["operator_intent"]), bool(m["requested_operator"])
    return Task(**m)


def _change(row) -> StateChange:
    m = dict(row._mapping)
    m.pop("change_id")
    return StateChange(**m)


class SqlTaskLedger:
    """Standalone, each call is its own transaction; inside a unit of work (`connection` given) it joins that one."""

    def __init__(self, engine: Engine, connection: Connection | None = None) -> None:
        self.engine = engine
        self.connection = connection

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        if self.connection is not None:
            yield self.connection
        else:
            with write_transaction(self.engine) as db:
                yield db

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        if self.connection is not None:
            yield self.connection
        else:
            with self.engine.connect() as db:
                yield db

    def add(self, task: Task, first: StateChange) -> Task:
        check_move(task.task_id, first.from_state, first.to_state)
        row = _columns({k: v for k, v in task.__dict__.items()})
        try:
            with self._writing() as db:
                db.execute(insert(T).values(**row))
                db.execute(insert(H).values(**first.__dict__))
        except IntegrityError:
            if task.idempotency_key is None:
                raise
            with self._reading() as db:
                earlier = db.execute(select(T).where(T.c.idempotency_key == task.idempotency_key)).first()
            return _task(earlier)
        return task

    def get(self, task_id: str) -> Task | None:
        with self._reading() as db:
            row = db.execute(select(T).where(T.c.task_id == task_id)).first()
        return _task(row) if row else None

    def list(self, *, lane: str = "", state: str = "", kind: str = "", itr_request_id: str = "") -> list[Task]:
        query = select(T).order_by(T.c.created_at, T.c.task_id)
        for column, wanted in ((T.c.lane, lane), (T.c.state, state), (T.c.kind, kind),
                               (T.c.itr_request_id, itr_request_id)):
            if wanted:
                query = query.where(column == wanted)
        with self._reading() as db:
            return [_task(r) for r in db.execute(query)]

    def history(self, task_id: str) -> list[StateChange]:
        with self._reading() as db:
            rows = db.execute(select(H).where(H.c.task_id == task_id).order_by(H.c.change_id))
            return [_change(r) for r in rows]

    def move(self, change: StateChange, **fields: Any) -> Task:
        check_move(change.task_id, change.from_state, change.to_state)
        values = {**_columns(fields), "state": change.to_state, "updated_at": change.at}
        with self._writing() as db:
            # The WHERE on the old state makes the move atomic: of two racing moves, one finds nothing to update.
            moved = db.execute(update(T).where(T.c.task_id == change.task_id, T.c.state == change.from_state)
                               .values(**values)).rowcount
            if moved != 1:
                raise StateConflict("task_state_conflict", f"task {change.task_id} is no longer {change.from_state}")
            db.execute(insert(H).values(**change.__dict__))
            row = db.execute(select(T).where(T.c.task_id == change.task_id)).first()
        return _task(row)

    def note(self, task_id: str, **fields: Any) -> None:
        """Set fields that are no state (progress, lineage, artifacts): no history line, whatever the state."""
        with self._writing() as db:
            db.execute(update(T).where(T.c.task_id == task_id).values(**_columns(fields)))

    def mark_dispatched(self, task_id: str, at: str) -> None:
        with self._writing() as db:
            db.execute(update(T).where(T.c.task_id == task_id).values(dispatched_at=at))

    def undispatched(self, limit: int) -> list[Task]:
        query = (select(T).where(T.c.state == QUEUED, T.c.dispatched_at == "")
                 .order_by(T.c.created_at, T.c.task_id).limit(limit))
        with self._reading() as db:
            return [_task(r) for r in db.execute(query)]
