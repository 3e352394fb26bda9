"""Migration 0003: publications published before it get their scope back only when their own rows prove it."""
import json

from alembic import command
from sqlalchemy import LargeBinary, String, column, insert, table

from kernel.scope import Scope
from runtime.db import _alembic_config, make_engine, migrate
from services.publisher.adapters.repository import SqlPublicationRepository
from services.publisher.bootstrap import MIGRATIONS
from services.publisher.domain.dashboard import dashboard_tables
from services.publisher.domain.run_context import RunContext

SCOPE = Scope.parse("C005", "PBM_C", "2025-01-01", "2025-06-30", tpa_id="TPA_3", group_ids=("C005-G03", "C005-G01"))
OLD = table("publications", column("run_id", String), column("scope_hash", String), column("client_id", String),
            column("tables_json", LargeBinary), column("published_at", String))


def _tables_json(run_id: str, scope: Scope) -> bytes:
    result = {"scope": scope.canonical(), "scope_hash": scope.scope_hash, "readiness": "final",
              "data_quality": {"suspect_channel": 0},
              "formulas": [{"id": "f", "version": "1", "status": "final", "reasons": []}]}
    tables = dashboard_tables(RunContext(run_id, result, {}, (), lambda: iter(())))
    return json.dumps([{"name": t.name, "columns": list(t.columns), "rows": list(t.rows)} for t in tables]).encode()


def test_old_publications_are_backfilled_only_when_their_rows_hash_to_their_scope(db_url):
    engine = make_engine(db_url)
    config = _alembic_config("publisher", MIGRATIONS, engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
    rows = [("run_proven", SCOPE.scope_hash, _tables_json("run_proven", SCOPE)),
            ("run_doctored", "0" * 64, _tables_json("run_doctored", SCOPE)),   # rows disagree with the hash
            ("run_empty", SCOPE.scope_hash, b"[]")]                           # nothing to prove it from
    with engine.begin() as db:
        db.execute(insert(OLD), [{"run_id": r, "scope_hash": h, "client_id": "C005", "tables_json": t,
                                  "published_at": "2026-01-01T00:00:00+00:00"} for r, h, t in rows])
    migrate(engine, "publisher", MIGRATIONS)
    publications = SqlPublicationRepository(engine)
    assert publications.scope_of("run_proven") == SCOPE
    assert publications.scope_of("run_doctored") is None and publications.scope_of("run_empty") is None
    engine.dispose()
