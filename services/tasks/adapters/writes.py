"""Write transactions that start as writes: SQLite takes its one write lock at BEGIN IMMEDIATE, so a transaction
that reads and then writes never meets another writer halfway (a deferred one would fail with `database is
locked` instead of waiting); other databases lock rows as they go."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection inside one transaction, committed on success and rolled back on any exception."""
    with engine.connect() as db:
        if engine.dialect.name == "sqlite":
            db.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.rollback()
            raise
        db.commit()
