"""The request mirror on SQLAlchemy."""
from __future__ import annotations

from sqlalchemy import Engine, select

from services.itr.adapters import tables


class SqlRequestMirror:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def list(self, client_id: str = "", status: str = "") -> list[dict]:
        t = tables.requests
        query = select(t).where(t.c.is_deleted.is_(False)).order_by(t.c.name)
        if client_id:
            query = query.where(t.c.client_id == client_id)
        if status:
            query = query.where(t.c.status == status)
        with self.engine.connect() as db:
            return [dict(r._mapping) for r in db.execute(query)]

    def get(self, request_id: str) -> dict | None:
        t = tables.requests
        with self.engine.connect() as db:
            row = db.execute(select(t).where(t.c.request_id == request_id, t.c.is_deleted.is_(False))).first()
        return dict(row._mapping) if row else None
