"""The request mirror's reads on SQLAlchemy: requests by client and status, one request, and a bundle's parts."""
from __future__ import annotations

from sqlalchemy import Engine, and_, or_, select

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

    def get(self, request_id: str, include_deleted: bool = False) -> dict | None:
        t = tables.requests
        query = select(t).where(t.c.request_id == request_id)
        if not include_deleted:
            query = query.where(t.c.is_deleted.is_(False))
        with self.engine.connect() as db:
            row = db.execute(query).first()
        return dict(row._mapping) if row else None

    def bundle_parts(self, request_id: str) -> dict[str, list[dict]]:
        """History, files (every version of each linked document), notes, feed, comments and the flags of them all."""
        h, ln, v, n = tables.history, tables.links, tables.versions, tables.notes
        f, c, q = tables.feed_items, tables.comments, tables.quality_flags
        linked = select(ln.c.document_id).where(ln.c.request_id == request_id)
        with self.engine.connect() as db:
            def rows(query) -> list[dict]:
                return [dict(r._mapping) for r in db.execute(query)]
            parts = {
                "history": rows(select(h).where(h.c.request_id == request_id)),
                "files": rows(select(v).where(v.c.document_id.in_(linked))),
                "notes": rows(select(n).where(n.c.note_id.in_(linked))),
                "feed": rows(select(f).where(f.c.request_id == request_id)),
                "comments": rows(select(c).where(c.c.request_id == request_id)),
            }
            ids = {"requests": [request_id], "versions": [r["version_id"] for r in parts["files"]],
                   "notes": [r["note_id"] for r in parts["notes"]], "history": [r["history_id"] for r in parts["history"]],
                   "feed_items": [r["feed_item_id"] for r in parts["feed"]],
                   "comments": [r["comment_id"] for r in parts["comments"]]}
            wanted = [and_(q.c.stream == stream, q.c.record_id.in_(chosen)) for stream, chosen in ids.items() if chosen]
            parts["flags"] = rows(select(q).where(or_(*wanted)))
        return parts
