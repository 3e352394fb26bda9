"""The mirror's text for search documents, read in bulk (a handful of queries for every request, not six per request:
a sync of 20,000 requests re-reads them all to find what changed)."""
from __future__ import annotations

from sqlalchemy import Engine, select

from services.itr.adapters import tables
from services.itr.domain.search_documents import RequestText


class SqlSearchSource:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def texts(self) -> list[RequestText]:
        """Every live request with its feed (comments under their item), notes and latest file versions."""
        r, f, c, ln = tables.requests, tables.feed_items, tables.comments, tables.links
        v, n = tables.versions, tables.notes
        with self.engine.connect() as db:
            found = {row.request_id: RequestText(dict(row._mapping))
                     for row in db.execute(select(r).where(r.c.is_deleted.is_(False)).order_by(r.c.request_id))}
            replies: dict[str, list[tuple[str, str]]] = {}
            for reply in db.execute(select(c.c.feed_item_id, c.c.body, c.c.created_date, c.c.comment_id)
                                    .where(c.c.is_deleted.is_(False)).order_by(c.c.created_date, c.c.comment_id)):
                replies.setdefault(reply.feed_item_id, []).append((reply.body, reply.created_date))
            for item in db.execute(select(f.c.request_id, f.c.feed_item_id, f.c.body, f.c.system_modstamp)
                                   .where(f.c.is_deleted.is_(False)).order_by(f.c.created_date, f.c.feed_item_id)):
                text = found.get(item.request_id)
                if text is not None:
                    comments = replies.get(item.feed_item_id, [])
                    text.feed += [item.body, *(body for body, _ in comments)]
                    text.stamps += [item.system_modstamp, *(stamp for _, stamp in comments)]
            documents: dict[str, list[str]] = {}
            for link in db.execute(select(ln.c.request_id, ln.c.document_id).order_by(ln.c.link_id)):
                documents.setdefault(link.document_id, []).append(link.request_id)
            for row in db.execute(select(v.c.document_id, v.c.title, v.c.file_extension, v.c.system_modstamp)
                                  .where(v.c.is_latest.is_(True)).order_by(v.c.document_id, v.c.version_id)):
                for request_id in documents.get(row.document_id, []):
                    if request_id in found:
                        name = f"{row.title}.{row.file_extension}" if row.file_extension else row.title
                        found[request_id].files.append(name)
                        found[request_id].stamps.append(row.system_modstamp)
            for row in db.execute(select(n.c.note_id, n.c.title, n.c.text_preview, n.c.last_modified_date)
                                  .order_by(n.c.created_date, n.c.note_id)):
                for request_id in documents.get(row.note_id, []):
                    if request_id in found:
                        found[request_id].notes += [row.title, row.text_preview]
                        found[request_id].stamps.append(row.last_modified_date)
        return list(found.values())
