"""Curated and the load ledger in the service database (SQLite, PostgreSQL, Azure SQL: one SQLAlchemy URL)."""
from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping, Sequence

from sqlalchemy import Engine, insert, select, text

from services.takeover.adapters.tables import curated_datasets, curated_loads, load_ledger
from services.takeover.domain.loads import CuratedDataset, LoadReport


class SqlCurated:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextlib.contextmanager
    def promoting(self, load_id: str) -> Iterator[None]:
        """The load id's lock across every replica that shares this database, held on a connection of its own for
        the block (check, share, promote): of two replicas promoting one load id, the second sees the first's
        promotion and uploads nothing. PostgreSQL: a session advisory lock; Azure SQL: sp_getapplock with the
        session as owner; SQLite is one machine's file, where the lake's own lock (flock) serves. A lock a crashed
        replica held goes with its session."""
        dialect = self.engine.dialect.name
        if dialect not in ("postgresql", "mssql"):
            yield
            return
        resource = f"leaf.takeover.load:{load_id}"
        with self.engine.connect() as db:
            if dialect == "postgresql":
                db.execute(text("SELECT pg_advisory_lock(hashtextextended(:r, 0))"), {"r": resource})
                db.commit()
                try:
                    yield
                finally:
                    db.execute(text("SELECT pg_advisory_unlock(hashtextextended(:r, 0))"), {"r": resource})
                    db.commit()
            else:
                db.execute(text("EXEC sp_getapplock @Resource = :r, @LockMode = 'Exclusive', "
                                "@LockOwner = 'Session', @LockTimeout = -1"), {"r": resource})
                db.commit()
                try:
                    yield
                finally:
                    db.execute(text("EXEC sp_releaseapplock @Resource = :r, @LockOwner = 'Session'"),
                               {"r": resource})
                    db.commit()

    def promoted_content(self, load_id: str) -> str | None:
        with self.engine.connect() as db:
            return db.execute(select(curated_loads.c.content_sha256)
                              .where(curated_loads.c.load_id == load_id)).scalar_one_or_none()

    def last_schemas(self, dataset_ids: Sequence[str]) -> Mapping[str, Mapping[str, str]]:
        out: dict[str, dict[str, str]] = {}
        if not dataset_ids:
            return out
        query = (select(curated_datasets.c.dataset_id, curated_datasets.c.columns)
                 .where(curated_datasets.c.dataset_id.in_(list(dataset_ids)))
                 .order_by(curated_datasets.c.promoted_at, curated_datasets.c.load_id))
        with self.engine.connect() as db:
            for dataset_id, columns in db.execute(query):  # the newest promotion wins
                out[dataset_id] = {c["name"]: c["domo_type"] for c in json.loads(columns)}
        return out

    def promote(self, report: LoadReport, datasets: Sequence[CuratedDataset]) -> None:
        assert report.load_id and report.promoted_at and report.promoted_by
        with self.engine.begin() as db:  # ONE transaction: the load, its datasets and its ledger entry
            db.execute(insert(curated_loads).values(
                load_id=report.load_id, export_id=report.export_id or "", content_sha256=report.content_sha256,
                dataset_ids=json.dumps(sorted(d.dataset_id for d in datasets)), promoted_at=report.promoted_at,
                promoted_by=report.promoted_by, ingest_id=report.ingest_id))
            if datasets:
                db.execute(insert(curated_datasets), [
                    {"load_id": report.load_id, "dataset_id": d.dataset_id, "rows": d.rows,
                     "parquet_path": d.parquet_path, "parquet_sha256": d.parquet_sha256,
                     "bronze_sha256": d.bronze_sha256, "columns": json.dumps(d.columns, ensure_ascii=False),
                     "promoted_at": report.promoted_at} for d in datasets])
            db.execute(insert(load_ledger).values(**self._row(report)))

    def record(self, report: LoadReport) -> None:
        with self.engine.begin() as db:
            db.execute(insert(load_ledger).values(**self._row(report)))

    @staticmethod
    def _row(report: LoadReport) -> dict:
        return {"ingest_id": report.ingest_id, "load_id": report.load_id, "status": report.status,
                "ingested_at": report.ingested_at, "report": json.dumps(report.as_json(), ensure_ascii=False)}

    def loads(self) -> list[LoadReport]:
        with self.engine.connect() as db:
            rows = db.execute(select(load_ledger.c.report)
                              .order_by(load_ledger.c.ingested_at, load_ledger.c.ingest_id)).scalars()
            return [LoadReport.from_json(json.loads(r)) for r in rows]

    def load(self, load_id: str) -> list[LoadReport]:
        with self.engine.connect() as db:
            rows = db.execute(select(load_ledger.c.report).where(load_ledger.c.load_id == load_id)
                              .order_by(load_ledger.c.ingested_at.desc(), load_ledger.c.ingest_id.desc())).scalars()
            return [LoadReport.from_json(json.loads(r)) for r in rows]

    def curated_datasets(self, load_id: str) -> list[CuratedDataset]:
        with self.engine.connect() as db:
            rows = db.execute(select(curated_datasets).where(curated_datasets.c.load_id == load_id)
                              .order_by(curated_datasets.c.dataset_id)).mappings()
            return [CuratedDataset(r["dataset_id"], r["rows"], r["parquet_path"], r["parquet_sha256"],
                                   r["bronze_sha256"], json.loads(r["columns"])) for r in rows]
