"""The task ledger on SQLAlchemy."""
from __future__ import annotations

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from services.tasks.adapters import tables


class SqlTaskLedger:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, task: dict) -> dict:
        """Record a task; with an idempotency key already used, the earlier task is returned instead."""
        try:
            with self.engine.begin() as db:
                db.execute(insert(tables.tasks).values(**task))
        except IntegrityError:
            with self.engine.connect() as db:
                row = db.execute(select(tables.tasks).where(tables.tasks.c.idempotency_key == task["idempotency_key"])).first()
            return dict(row._mapping)
        return task

    def get(self, task_id: str) -> dict | None:
        with self.engine.connect() as db:
            row = db.execute(select(tables.tasks).where(tables.tasks.c.task_id == task_id)).first()
        return dict(row._mapping) if row else None

    def list(self, lane: str = "", state: str = "") -> list[dict]:
        query = select(tables.tasks).order_by(tables.tasks.c.created_at, tables.tasks.c.task_id)
        if lane:
            query = query.where(tables.tasks.c.lane == lane)
        if state:
            query = query.where(tables.tasks.c.state == state)
        with self.engine.connect() as db:
            return [dict(r._mapping) for r in db.execute(query)]
