"""Where each remote source's incremental sync left off (the `source_cursors` table)."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select, update

from services.evidence.adapters import tables


class SqlCursorRepository:
    """One opaque cursor per source; the caller stores a token, never a URL that could carry a credential."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, source: str) -> str | None:
        t = tables.source_cursors
        with self.engine.connect() as db:
            return db.scalar(select(t.c.cursor).where(t.c.source == source))

    def put(self, source: str, cursor: str) -> None:
        t = tables.source_cursors
        values = {"cursor": cursor, "updated_at": datetime.now(UTC).isoformat(timespec="seconds")}
        with self.engine.begin() as db:
            if db.execute(update(t).where(t.c.source == source).values(**values)).rowcount == 0:
                db.execute(insert(t).values(source=source, **values))
