"""Publications, written once per run: publishing the same run again returns what was published."""
from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from kernel.scope import Scope
from services.publisher.adapters import tables
from services.publisher.domain.dashboard import Table


class SqlPublicationRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, run_id: str, scope: Scope, published: list[Table]) -> None:
        document = [{"name": t.name, "columns": list(t.columns), "rows": list(t.rows)} for t in published]
        try:
            with self.engine.begin() as db:
                db.execute(insert(tables.publications).values(
                    run_id=run_id, scope_hash=scope.scope_hash, client_id=scope.client_id,
                    canonical_scope=scope.canonical_json().decode(),
                    tables_json=json.dumps(document, ensure_ascii=False).encode(),
                    published_at=datetime.now(UTC).isoformat(timespec="seconds")))
        except IntegrityError:
            pass  # already published: a run's publication never changes

    def get(self, run_id: str) -> tuple[str, list[Table]] | None:
        with self.engine.connect() as db:
            row = db.execute(select(tables.publications).where(tables.publications.c.run_id == run_id)).first()
        if row is None:
            return None
        return row.scope_hash, [Table(t["name"], tuple(t["columns"]), tuple(t["rows"])) for t in json.loads(row.tables_json)]

    def scope_of(self, run_id: str) -> Scope | None:
        """The published run's scope; None when it was never published or its scope is not recorded."""
        with self.engine.connect() as db:
            canonical = db.scalar(select(tables.publications.c.canonical_scope)
                                  .where(tables.publications.c.run_id == run_id))
        return None if canonical is None else Scope.parse(**json.loads(canonical))
