"""The embedded queue (LEAF_QUEUE=db): a table in the tasks database, leased by a clock column.

A message is a row; receiving claims rows whose `visible_at` has passed by moving `visible_at` to the end of
the lease under a fresh lease token, so a lease that runs out needs no sweeper: the row is simply visible
again. Claims are short write transactions: on SQLite one BEGIN IMMEDIATE (the single writer), on PostgreSQL
`SELECT … FOR UPDATE SKIP LOCKED`, so concurrent consumers skip each other's rows instead of waiting. Every
time is the database's clock, so consumers on different machines agree on when a lease ends.
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Engine, Float, delete, func, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite

from services.tasks.adapters.tables import queue_messages as Q
from services.tasks.adapters.writes import write_transaction
from services.tasks.domain.task_queue import Delivery, LeaseLost, dead_letter_reason

CLOCKS = {
    "sqlite": "((julianday('now') - 2440587.5) * 86400.0)",  # millisecond resolution
    "postgresql": "EXTRACT(EPOCH FROM clock_timestamp())::float8",
}
RETURNED = (Q.c.task_id, Q.c.body, Q.c.attempts, Q.c.max_attempts, Q.c.lease_token, Q.c.visible_at,
            Q.c.last_error, Q.c.dead_letter_reason)


def dead_letter_lane(lane: str) -> str:
    return f"{lane}.dead"


class DbTaskQueue:
    def __init__(self, engine: Engine, poll_seconds: float = 0.05) -> None:
        if engine.dialect.name not in CLOCKS:
            raise ValueError(f"the database queue runs on SQLite or PostgreSQL, not {engine.dialect.name}")
        self.engine = engine
        self.poll_seconds = poll_seconds
        self.now: ColumnElement[float] = literal_column(CLOCKS[engine.dialect.name], Float)
        self._insert = (sqlite if engine.dialect.name == "sqlite" else postgresql).insert

    def enqueue(self, lane: str, task_id: str, body: str = "", *, max_attempts: int, delay: float = 0.0) -> None:
        self.enqueue_many(lane, [(task_id, body)], max_attempts=max_attempts, delay=delay)

    def enqueue_many(self, lane: str, messages: Sequence[tuple[str, str]], *, max_attempts: int,
                     delay: float = 0.0) -> None:
        if not messages:
            return
        rows = [{"lane": lane, "task_id": task_id, "body": body, "attempts": 0, "max_attempts": max_attempts,
                 "lease_token": None, "last_error": "", "dead_letter_reason": "", "visible_at": self.now + delay,
                 "enqueued_at": self.now} for task_id, body in messages]
        statement = self._insert(Q).values(rows)
        with write_transaction(self.engine) as db:
            db.execute(statement.on_conflict_do_nothing(index_elements=["lane", "task_id"]))  # pending: one delivery

    def receive(self, lane: str, *, max_messages: int = 1, lease_seconds: float = 60.0, wait_seconds: float = 0.0,
                dead_lettered: bool = False) -> list[Delivery]:
        source = dead_letter_lane(lane) if dead_lettered else lane
        give_up = time.monotonic() + wait_seconds
        while True:
            if self._any_visible(source):
                got = self._claim(lane, source, max_messages, lease_seconds, dead_lettered)
                if got:
                    return got
            left = give_up - time.monotonic()
            if left <= 0:
                return []
            time.sleep(min(self.poll_seconds, left))

    def _any_visible(self, source: str) -> bool:
        """A read first, so an idle poll never takes SQLite's write lock."""
        with self.engine.connect() as db:
            return db.execute(select(Q.c.task_id).where(Q.c.lane == source, Q.c.visible_at <= self.now)
                              .limit(1)).first() is not None

    def _claim(self, lane: str, source: str, limit: int, lease_seconds: float, dead_lettered: bool) -> list[Delivery]:
        token = uuid.uuid4().hex
        pick = (select(Q.c.task_id).where(Q.c.lane == source, Q.c.visible_at <= self.now)
                .order_by(Q.c.visible_at).limit(limit).with_for_update(skip_locked=True))
        with write_transaction(self.engine) as db:
            rows = db.execute(update(Q).where(Q.c.lane == source, Q.c.task_id.in_(pick.scalar_subquery()))
                              .values(attempts=Q.c.attempts + (0 if dead_lettered else 1), lease_token=token,
                                      visible_at=self.now + lease_seconds)
                              .returning(*RETURNED)).all()
            spent = [] if dead_lettered else [r for r in rows if r.attempts > r.max_attempts]
            for row in spent:  # delivered max_attempts times and never settled: its consumers kept dying
                self._to_dead_letters(db, lane, row.task_id, token, dead_letter_reason(
                    row.attempts - 1, row.max_attempts, row.last_error), attempts=row.attempts - 1)
        return [Delivery(lane, r.task_id, r.body, r.attempts, r.max_attempts, token, r.visible_at,
                         r.dead_letter_reason) for r in rows if r not in spent]

    def ack(self, delivery: Delivery) -> None:
        with write_transaction(self.engine) as db:
            if db.execute(delete(Q).where(*self._held(delivery))).rowcount != 1:
                raise LeaseLost(delivery.task_id)

    def release(self, delivery: Delivery, *, delay: float = 0.0, error: str = "") -> None:
        if delivery.last_attempt and not delivery.dead_letter_reason:
            return self.dead_letter(delivery, dead_letter_reason(delivery.attempt, delivery.max_attempts, error))
        with write_transaction(self.engine) as db:
            moved = db.execute(update(Q).where(*self._held(delivery))
                               .values(visible_at=self.now + delay, lease_token=None, last_error=error)).rowcount
        if moved != 1:
            raise LeaseLost(delivery.task_id)

    def dead_letter(self, delivery: Delivery, reason: str) -> None:
        with write_transaction(self.engine) as db:
            if db.execute(select(Q.c.task_id).where(*self._held(delivery))).first() is None:
                raise LeaseLost(delivery.task_id)
            self._to_dead_letters(db, delivery.lane, delivery.task_id, delivery.lease_token, reason,
                                  attempts=delivery.attempt)

    def _to_dead_letters(self, db, lane: str, task_id: str, token: str, reason: str, attempts: int) -> None:
        dead = dead_letter_lane(lane)
        db.execute(delete(Q).where(Q.c.lane == dead, Q.c.task_id == task_id))  # the newest reason wins
        db.execute(update(Q).where(Q.c.lane == lane, Q.c.task_id == task_id, Q.c.lease_token == token)
                   .values(lane=dead, dead_letter_reason=reason, attempts=attempts, lease_token=None,
                           visible_at=self.now))

    def renew(self, delivery: Delivery, lease_seconds: float) -> Delivery:
        with write_transaction(self.engine) as db:
            until = db.execute(update(Q).where(*self._held(delivery)).values(visible_at=self.now + lease_seconds)
                               .returning(Q.c.visible_at)).scalar()
        if until is None:
            raise LeaseLost(delivery.task_id)
        return Delivery(**{**delivery.__dict__, "lease_expires_at": until})

    def _held(self, delivery: Delivery) -> tuple:
        """The row this delivery leased, while its lease lasts."""
        lane = dead_letter_lane(delivery.lane) if delivery.dead_letter_reason else delivery.lane
        return (Q.c.lane == lane, Q.c.task_id == delivery.task_id, Q.c.lease_token == delivery.lease_token,
                Q.c.visible_at > self.now)

    def depth(self, lane: str) -> int:
        with self.engine.connect() as db:
            return db.execute(select(func.count()).select_from(Q).where(Q.c.lane == lane)).scalar_one()

    def close(self) -> None:
        """Nothing held between calls: a lease lives in its row, not in a connection."""
