"""Runs, stored once and never changed: the result bytes and lineage exactly as computed."""
from __future__ import annotations

import json

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from services.calc.adapters import tables
from services.calc.domain.run import RunRecord


class SqlRunRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, run: RunRecord) -> RunRecord:
        """Store the run; a run with the same id (same inputs) already stored wins, so POST is idempotent."""
        try:
            with self.engine.begin() as db:
                db.execute(insert(tables.runs).values(
                    run_id=run.run_id, scope_hash=run.scope_hash, client_id=run.client_id, readiness=run.readiness,
                    canonical_scope=run.canonical_scope, result_json=run.result_json,
                    lineage_json=json.dumps(run.lineage, sort_keys=True), created_at=run.lineage["created_at"]))
        except IntegrityError:
            pass
        return self.get(run.run_id)

    def get(self, run_id: str) -> RunRecord | None:
        with self.engine.connect() as db:
            row = db.execute(select(tables.runs).where(tables.runs.c.run_id == run_id)).first()
        if row is None:
            return None
        return RunRecord(row.run_id, row.scope_hash, row.client_id, row.readiness, row.canonical_scope,
                         bytes(row.result_json), json.loads(row.lineage_json))
