"""One transaction over the ledger and the effect records (and whatever the effect itself writes there)."""
from __future__ import annotations

from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import IntegrityError

from services.tasks.adapters import tables
from services.tasks.adapters.ledger import SqlTaskLedger
from services.tasks.service_layer.ports import EffectAlreadyApplied

E = tables.task_effects


class SqlEffectLog:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def outcome(self, task_id: str) -> str | None:
        return self.connection.execute(select(E.c.outcome_json).where(E.c.task_id == task_id)).scalar()

    def record(self, task_id: str, outcome_json: str, at: str) -> None:
        try:
            self.connection.execute(insert(E).values(task_id=task_id, outcome_json=outcome_json, applied_at=at))
        except IntegrityError:  # the unit of work rolls back: nothing this delivery wrote survives
            raise EffectAlreadyApplied(task_id) from None


class SqlTaskUnitOfWork:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> SqlTaskUnitOfWork:
        self.connection = self.engine.connect()
        if self.engine.dialect.name == "sqlite":
            self.connection.exec_driver_sql("BEGIN IMMEDIATE")  # see adapters/writes.py
        self.tasks = SqlTaskLedger(self.engine, self.connection)
        self.effects = SqlEffectLog(self.connection)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.connection.rollback()  # a no-op after commit
        self.connection.close()

    def commit(self) -> None:
        self.connection.commit()
