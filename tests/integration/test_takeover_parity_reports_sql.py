"""Kept parity reports in the takeover database (SQLite and PostgreSQL): the latest is the last written whatever its
id, writing the latest again adds nothing, a bad id is refused; and the registry's history tables and the reports
refuse UPDATE and DELETE in the database itself (migration 0004's triggers)."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DBAPIError

from kernel.errors import InputError
from services.takeover.adapters.parity_reports_sql import SqlParityReports, takeover_parity_reports
from services.takeover.adapters.plane import open_takeover_db
from services.takeover.adapters.process_registry import (
    SqlProcessRegistry,
    takeover_process_proofs,
    takeover_process_refusals,
    takeover_process_transitions,
)
from services.takeover.domain.processes import Process, Refusal, Transition
from services.takeover.service_layer.processes import record_proof

AT = "2026-11-02T09:00:00Z"
UNEXPLAINED = {"report_id": "PR-ffff", "process": "gdr", "load_id": "LD-1", "cards": 1, "unexplained": 1,
               "packets": [{"card_id": "CARD-105", "classification": "unexplained"}]}
CLEAN = {"report_id": "PR-0000", "process": "gdr", "load_id": "LD-2", "cards": 1, "match": 1,
         "packets": [{"card_id": "CARD-105", "classification": "match"}]}


@pytest.fixture
def engine(db_url):
    engine = open_takeover_db(db_url)
    yield engine
    engine.dispose()


def rows(engine) -> int:
    with engine.connect() as db:
        return db.execute(select(func.count()).select_from(takeover_parity_reports)).scalar_one()


def test_the_latest_report_is_the_last_written(engine) -> None:
    reports = SqlParityReports(engine)
    assert reports.latest("gdr") is None and reports.latest_report("gdr") is None
    assert reports.write("gdr", UNEXPLAINED) == "PR-ffff"
    assert reports.write("gdr", CLEAN, made_by="user:ops@leaf.example", made_at=AT) == "PR-0000"
    latest = reports.latest("gdr")
    assert latest is not None and (latest.report_id, latest.unexplained) == ("PR-0000", ())  # ids do not sort by time
    assert reports.latest_report("gdr") == CLEAN
    assert reports.latest_report("awp") is None  # per process
    assert reports.write("gdr", CLEAN) == "PR-0000" and rows(engine) == 2  # the latest again: nothing added
    assert reports.write("gdr", UNEXPLAINED) == "PR-ffff" and rows(engine) == 3  # an older one again: latest again
    latest = reports.latest("gdr")
    assert latest is not None and latest.unexplained == ("CARD-105",)
    assert reports.write("gdr", {**CLEAN, "made_by": "user:ops2@leaf.example"}, "PR-given") == "PR-given"
    assert reports.latest_report("gdr") == {**CLEAN, "made_by": "user:ops2@leaf.example", "report_id": "PR-given"}
    with engine.connect() as db:
        kept = db.execute(select(takeover_parity_reports.c.load_id, takeover_parity_reports.c.made_by)
                          .order_by(takeover_parity_reports.c.id)).all()
    assert [tuple(r) for r in kept] == [("LD-1", ""), ("LD-2", "user:ops@leaf.example"), ("LD-1", ""),
                                        ("LD-2", "user:ops2@leaf.example")]
    for bad in ("../escape", "", "PR 1"):
        with pytest.raises(InputError):
            reports.write("gdr", {**CLEAN, "report_id": bad})
    assert rows(engine) == 4


def test_history_and_reports_refuse_update_and_delete_in_the_database(engine) -> None:
    registry = SqlProcessRegistry(engine)
    registry.define(Process("gdr", "GDR", "user:o@leaf.example"), AT)
    record_proof(registry, "gdr", "source_lineage", "LD-1", "user:ops@leaf.example", AT)
    registry.transition(Transition("gdr", "legacy_reference", "candidate_evidence", AT, "user:ops@leaf.example"))
    registry.refuse(Refusal("gdr", "candidate_evidence", "retired_backend_dependency", AT, "user:ops@leaf.example",
                            ("not_adjacent:candidate_evidence->retired_backend_dependency",)))
    SqlParityReports(engine).write("gdr", CLEAN)
    tables = {takeover_process_proofs: takeover_process_proofs.c.note,
              takeover_process_transitions: takeover_process_transitions.c.note,
              takeover_process_refusals: takeover_process_refusals.c.note,
              takeover_parity_reports: takeover_parity_reports.c.made_by}
    for table, column in tables.items():
        for statement in (update(table).values({column: "rewritten"}), delete(table)):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as db:
                db.execute(statement)
        with engine.connect() as db:
            assert db.execute(select(func.count()).select_from(table)).scalar_one() == 1, table.name
    assert registry.history("gdr")[0].note == "" and registry.proofs("gdr")[0].note == ""
    record = registry.get("gdr")
    assert record is not None and record.state == "candidate_evidence"  # the state itself still moves


def test_azure_sql_gets_the_triggers_and_inserts_without_output() -> None:
    """SQL Server: migration 0004 compiles with a trigger per append-only table and the filtered unique index, and
    an insert into a table with a trigger carries no OUTPUT clause (SQL Server refuses OUTPUT there)."""
    from sqlalchemy import insert
    from sqlalchemy.dialects import mssql

    from runtime.db import migration_sql
    from services.takeover.adapters.explanations_sql import takeover_parity_explanations
    from services.takeover.adapters.plane import MIGRATIONS

    ddl = migration_sql("mssql+pyodbc://", "takeover", MIGRATIONS)
    tables = (takeover_parity_reports, takeover_process_proofs, takeover_process_transitions,
              takeover_process_refusals, takeover_parity_explanations)
    for table in tables:
        assert f"CREATE TRIGGER {table.name}_append_only ON {table.name} INSTEAD OF UPDATE, DELETE" in ddl
        compiled = str(insert(table).values(process_id="gdr").compile(dialect=mssql.pyodbc.dialect()))
        assert "OUTPUT" not in compiled, table.name
    assert "(proposal_id) WHERE proposal_id IS NOT NULL" in ddl
