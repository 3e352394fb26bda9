"""The artifact ledger: one row per stored artifact, written only after its bytes are stored."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from services.publisher.adapters import tables
from services.publisher.domain.artifacts import StoredArtifact
from services.publisher.service_layer.ports import LedgerRace

_RECORD = (tables.artifacts.c.artifact_id, tables.artifacts.c.run_id, tables.artifacts.c.name,
           tables.artifacts.c.content_type, tables.artifacts.c.sha256, tables.artifacts.c.size)


class SqlArtifactLedger:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, client_id: str, artifacts: list[StoredArtifact]) -> None:
        """All rows in one transaction: a publication is listed whole or not at all."""
        if not artifacts:
            return
        stored_at = datetime.now(UTC).isoformat(timespec="seconds")
        rows = [{"artifact_id": a.artifact_id, "run_id": a.run_id, "client_id": client_id, "name": a.name,
                 "content_type": a.content_type, "sha256": a.sha256, "size": a.size, "stored_at": stored_at}
                for a in artifacts]
        try:
            with self.engine.begin() as db:
                db.execute(insert(tables.artifacts), rows)
        except IntegrityError as exc:
            raise LedgerRace(artifacts[0].run_id) from exc

    def of_run(self, run_id: str) -> list[StoredArtifact]:
        with self.engine.connect() as db:
            rows = db.execute(select(*_RECORD).where(tables.artifacts.c.run_id == run_id)
                              .order_by(tables.artifacts.c.name)).all()
        return [StoredArtifact(*row) for row in rows]

    def client_of(self, run_id: str) -> str | None:
        with self.engine.connect() as db:
            return db.scalar(select(tables.artifacts.c.client_id).where(tables.artifacts.c.run_id == run_id).limit(1))
