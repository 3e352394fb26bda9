"""Packet repository: append-only versions, newest version of each packet is the one in force."""
from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import Engine, func, insert, select

from services.evidence.adapters import tables
from services.evidence.domain.documents import Document
from services.evidence.domain.governance import AuditEntry
from services.evidence.domain.packets import StoredPacket


class SqlPacketRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, packet: StoredPacket, audit: AuditEntry) -> None:
        """The packet version and its audit entry land together or not at all."""
        with self.engine.begin() as db:
            db.execute(insert(tables.packets).values(**asdict(packet)))
            db.execute(insert(tables.packet_audit).values(**asdict(audit)))

    def add_document(self, document: Document) -> None:
        """Content-addressed: a document already stored under its sha256 is not stored again."""
        with self.engine.begin() as db:
            if db.scalar(select(func.count()).where(tables.documents.c.sha256 == document.sha256)) == 0:
                db.execute(insert(tables.documents).values(**asdict(document)))

    def document(self, sha256: str) -> Document | None:
        with self.engine.connect() as db:
            row = db.execute(select(tables.documents).where(tables.documents.c.sha256 == sha256)).first()
        return Document(**{**row._mapping, "data": bytes(row.data)}) if row else None

    def audit_of(self, packet_id: str) -> list[AuditEntry]:
        t = tables.packet_audit
        with self.engine.connect() as db:
            rows = db.execute(select(t).where(t.c.packet_id == packet_id).order_by(t.c.audit_id))
            return [AuditEntry(**{k: v for k, v in row._mapping.items() if k != "audit_id"}) for row in rows]

    def has_sha(self, sha256: str) -> bool:
        with self.engine.connect() as db:
            return db.scalar(select(func.count()).where(tables.packets.c.sha256 == sha256)) > 0

    def next_version(self, packet_id: str) -> int:
        with self.engine.connect() as db:
            current = db.scalar(select(func.max(tables.packets.c.version)).where(tables.packets.c.packet_id == packet_id))
        return (current or 0) + 1

    def version_of(self, packet_id: str, version: int) -> StoredPacket | None:
        """Exactly that version, in force or not: versions are appended, never removed."""
        t = tables.packets
        with self.engine.connect() as db:
            row = db.execute(select(t).where((t.c.packet_id == packet_id) & (t.c.version == version))).first()
        return StoredPacket(**row._mapping) if row else None

    def in_force(self, kind: str | None = None, client_id: str | None = None, pbm_id: str | None = None) -> list[StoredPacket]:
        """The newest version of every packet matching the filters, ordered by packet id."""
        t = tables.packets
        newest = select(t.c.packet_id, func.max(t.c.version).label("version")).group_by(t.c.packet_id).subquery()
        query = select(t).join(newest, (t.c.packet_id == newest.c.packet_id) & (t.c.version == newest.c.version))
        for column, value in ((t.c.kind, kind), (t.c.client_id, client_id), (t.c.pbm_id, pbm_id)):
            if value:
                query = query.where(column == value)
        with self.engine.connect() as db:
            return [StoredPacket(**row._mapping) for row in db.execute(query.order_by(t.c.packet_id))]
