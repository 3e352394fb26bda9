"""The sync's writes on SQLAlchemy (the MirrorStore port): pages compared by content hash and written with their flags
and watermark in one transaction, on SQLite and PostgreSQL alike."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, Engine, and_, bindparam, delete, insert, select, update

from services.itr.adapters import tables
from services.itr.domain.objects import MirroredObject
from services.itr.domain.records import Normalized, content_hash
from services.itr.service_layer.ports import Written

CHUNK = 2000  # ids per IN list: under every engine's bound-parameter limit


def _chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class SqlMirrorStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def watermark(self, stream: str) -> str:
        with self.engine.connect() as db:
            found = db.execute(select(tables.sync_state.c.watermark).where(tables.sync_state.c.stream == stream)).first()
        return found[0] if found else ""

    def apply_page(self, obj: MirroredObject, page: Sequence[Normalized], watermark: str) -> Written:
        with self.engine.begin() as db:
            written = _apply(db, obj, page)
            if watermark:
                _raise_watermark(db, obj.stream, watermark)
        return written

    def linked_documents(self) -> set[str]:
        with self.engine.connect() as db:
            return {row[0] for row in db.execute(select(tables.links.c.document_id).distinct())}

    def unresolved_documents(self, limit: int) -> list[str]:
        t = tables.links
        query = select(t.c.document_id).where(t.c.resolved.is_(False)).distinct().order_by(t.c.document_id).limit(limit)
        with self.engine.connect() as db:
            return [row[0] for row in db.execute(query)]

    def resolve_documents(self, document_ids: Sequence[str],
                          parts: Sequence[tuple[MirroredObject, Sequence[Normalized]]]) -> Written:
        written = Written()
        with self.engine.begin() as db:
            for obj, page in parts:
                part = _apply(db, obj, page)
                written.add(part)
            db.execute(update(tables.links).where(tables.links.c.document_id.in_(list(document_ids)))
                       .values(resolved=True))
        return written

    def remove_links_except(self, seen: set[str]) -> int:
        t = tables.links
        with self.engine.begin() as db:
            stale = [row[0] for row in db.execute(select(t.c.link_id)) if row[0] not in seen]
            for chunk in _chunks(stale):
                db.execute(delete(t).where(t.c.link_id.in_(list(chunk))))
                _clear_flags(db, "links", chunk)
        return len(stale)

    def mark_deleted(self, obj: MirroredObject, record_ids: Sequence[str]) -> Written:
        table, key = tables.TABLE_OF[obj.stream], obj.columns[0][0]
        written = Written()
        with self.engine.begin() as db:
            for chunk in _chunks(list(record_ids)):
                live = [dict(r._mapping) for r in db.execute(
                    select(table).where(table.c[key].in_(list(chunk)), table.c.is_deleted.is_(False)))]
                for row in live:
                    row["is_deleted"] = True
                    row["content_sha256"] = content_hash(row)
                    db.execute(update(table).where(table.c[key] == row[key])
                               .values(is_deleted=True, content_sha256=row["content_sha256"]))
                written.rows += live
        return written


def _apply(db: Connection, obj: MirroredObject, page: Sequence[Normalized]) -> Written:
    table, key = tables.TABLE_OF[obj.stream], obj.columns[0][0]
    latest = {n.row[key]: n for n in page}  # a record listed twice in one page: its last form wins
    existing: dict[str, str] = {}
    for chunk in _chunks(list(latest)):
        existing.update((k, h) for k, h in db.execute(
            select(table.c[key], table.c.content_sha256).where(table.c[key].in_(list(chunk)))))
    new = [n for k, n in latest.items() if k not in existing]
    changed = [] if obj.append_only else [n for k, n in latest.items()
                                          if k in existing and existing[k] != n.row["content_sha256"]]
    if new:
        db.execute(insert(table), [n.row for n in new])
    if changed:
        values = {c: bindparam(f"v_{c}") for c in changed[0].row if c != key}
        if obj.stream == "links":  # a link now naming another document: that document is fetched again
            values["resolved"] = bindparam("v_resolved")
        statement = update(table).where(table.c[key] == bindparam("k")).values(values)
        db.execute(statement, [{"k": n.row[key], "v_resolved": False, **{f"v_{c}": v for c, v in n.row.items()}}
                               for n in changed])
    written = [*new, *changed]
    return Written([n.row for n in written], _write_flags(db, obj.stream, key, written))


def _clear_flags(db: Connection, stream: str, record_ids: Sequence[str]) -> None:
    f = tables.quality_flags
    for chunk in _chunks(list(record_ids)):
        db.execute(delete(f).where(and_(f.c.stream == stream, f.c.record_id.in_(list(chunk)))))


def _write_flags(db: Connection, stream: str, key: str, written: Sequence[Normalized]) -> list[dict]:
    """A written record's flags are its current ones: the old are replaced (a fixed record loses its flag)."""
    if not written:
        return []
    _clear_flags(db, stream, [n.row[key] for n in written])
    flags = [{"stream": stream, "record_id": n.row[key], "rule": f.rule, "detail": f.detail}
             for n in written for f in dict.fromkeys(n.flags)]
    if flags:
        db.execute(insert(tables.quality_flags), flags)
    return flags


def _raise_watermark(db: Connection, stream: str, watermark: str) -> None:
    s = tables.sync_state
    current = db.execute(select(s.c.watermark).where(s.c.stream == stream)).first()
    if current is None:
        db.execute(insert(s).values(stream=stream, watermark=watermark))
    elif watermark > current[0]:  # never lowered: two syncs at once cannot move it back
        db.execute(update(s).where(s.c.stream == stream).values(watermark=watermark))
