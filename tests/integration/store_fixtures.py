"""Claims stores for integration tests: a loaded DuckDB file and a loaded PostgreSQL schema, per module."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.calc.adapters.claims_store import DuckDbClaimsStore
from services.calc.adapters.sql_claims_store import SqlClaimsStore


@contextmanager
def pg_store(server_url: str) -> Iterator[SqlClaimsStore]:
    """A PostgreSQL claims store in a throwaway schema (module-scoped fixtures cannot use `pg_url`)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url)
    with admin.begin() as db:
        db.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(make_url(server_url).update_query_dict({"options": f"-csearch_path={schema}"}))
    try:
        yield SqlClaimsStore(engine, writable=True)
    finally:
        engine.dispose()
        with admin.begin() as db:
            db.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def duckdb_store(folder: Path) -> DuckDbClaimsStore:
    return DuckDbClaimsStore(folder / f"claims-{uuid.uuid4().hex[:8]}.duckdb")
