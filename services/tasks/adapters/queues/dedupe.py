"""Duplicate detection for a broker that has none (RabbitMQ): a record per task id pending on a lane.

Enqueueing skips task ids that have a live record, publishes the rest, and records them once the broker
confirmed them; acking or dead-lettering forgets the record, and a record outlives no window (24 h by
default). Recording after the confirm means a publisher that dies in between leaves no record, so the task
can be enqueued again — at worst one duplicate delivery, never a task hidden by a record of a message that
was never sent. Two enqueues of one task id racing each other can likewise both publish: duplicate detection
is exact for the usual case (the ledger's dispatch sweep repeating itself), and effects are idempotent for
the rest. The records tolerate losing their last writes in a power cut for the same reason, so their commits
skip the fsync: SQLite at synchronous=NORMAL on a connection of its own, PostgreSQL with synchronous_commit off.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from sqlalchemy import Engine, delete, event, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from runtime.db import make_engine
from services.tasks.adapters.tables import queue_dedupe as D

FORGET_BATCH, FORGET_SECONDS = 200, 0.1
WINDOW_SECONDS = 24 * 3600.0  # a pending task id older than a day is forgotten: its message is long delivered


def _relaxed_sqlite(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class DedupeRecords:
    def __init__(self, engine: Engine, window_seconds: float = WINDOW_SECONDS) -> None:
        self.window_seconds = window_seconds
        self.sqlite = engine.dialect.name == "sqlite"
        self.engine = make_engine(engine.url.render_as_string(hide_password=False))
        if self.sqlite:
            event.listen(self.engine, "connect", _relaxed_sqlite)
        self._insert = (sqlite if self.sqlite else postgresql).insert
        # One connection kept for the adapter's life: a checkout per call cost more than the write itself.
        self._lock = threading.Lock()
        self._db = self.engine.connect()
        self._forgettable: list[tuple[str, str]] = []
        self._oldest = 0.0

    def pending(self, lane: str, task_ids: Iterable[str]) -> set[str]:
        """Which of `task_ids` have a live record on the lane."""
        with self._lock:
            rows = self._db.execute(select(D.c.task_id).where(D.c.lane == lane, D.c.task_id.in_(list(task_ids)),
                                                              D.c.expires_at > time.time())).all()
            self._db.commit()  # ends the read, so SQLite's WAL can be checkpointed past it
        return {r.task_id for r in rows}

    def record(self, lane: str, task_ids: Iterable[str]) -> None:
        expires = time.time() + self.window_seconds
        rows = [{"lane": lane, "task_id": t, "expires_at": expires} for t in task_ids]
        if rows:
            statement = self._insert(D).values(rows)
            self._write(statement.on_conflict_do_update(index_elements=["lane", "task_id"],
                                                        set_={"expires_at": statement.excluded.expires_at}))

    def forget(self, lane: str, task_id: str) -> None:
        self._write(delete(D).where(D.c.lane == lane, D.c.task_id == task_id))

    def forget_soon(self, lane: str, task_id: str) -> None:
        """Forget after an ack, in batches: at most FORGET_BATCH ids or FORGET_SECONDS later (`flush_due`). Only a
        task that succeeded or failed for good is acked, and an operator's requeue of a failed task comes
        seconds later at the earliest, so the short delay never hides a requeue; it saves a write per ack."""
        with self._lock:
            if not self._forgettable:
                self._oldest = time.monotonic()
            self._forgettable.append((lane, task_id))
            full = len(self._forgettable) >= FORGET_BATCH
        if full:
            self.flush()

    def flush_due(self) -> None:
        if self._forgettable and time.monotonic() - self._oldest >= FORGET_SECONDS:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            batch, self._forgettable = self._forgettable, []
        if batch:
            self._write(delete(D).where(tuple_(D.c.lane, D.c.task_id).in_(batch)))

    def _write(self, statement) -> None:
        with self._lock:
            try:
                if not self.sqlite:
                    self._db.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
                self._db.execute(statement)
                self._db.commit()
            except BaseException:
                self._db.rollback()
                raise

    def close(self) -> None:
        self.flush()
        with self._lock:
            self._db.close()
        self.engine.dispose()
