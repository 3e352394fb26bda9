"""Every service's migrations and repositories on SQLite and a real PostgreSQL; SQL Server proven to compile."""
from __future__ import annotations

import importlib
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import event, inspect
from sqlalchemy.dialects import mssql

from demo import ONEDRIVE_DIR, load_registry
from kernel.scope import Scope
from runtime.db import make_engine, migrate, migration_sql
from services.calc.adapters.run_repository import SqlRunRepository
from services.calc.domain.run import RunRecord
from services.evidence.adapters.folder_source import ContractsFolder
from services.evidence.adapters.repository import SqlPacketRepository
from services.evidence.service_layer.handlers import sync_documents
from services.publisher.adapters.repository import SqlPublicationRepository
from services.publisher.domain.dashboard import Table
from services.scope.adapters.repository import SqlRegistryRepository
from services.tasks.adapters.ledger import SqlTaskLedger
from services.tasks.domain.policy import Submitter
from services.tasks.domain.tasks import SubmitTask
from services.tasks.service_layer.handlers import submit_task
from tests.integration.mesh_fixtures import grant_of, read_grant

SERVICES = ("scope", "calc", "evidence", "itr", "publisher", "tasks")


def migrations_of(service: str) -> Path:
    return Path(importlib.import_module(f"services.{service}").__file__).parent / "migrations"


def tables_of(service: str) -> set[str]:
    metadata = importlib.import_module(f"services.{service}.adapters.tables").metadata
    return set(metadata.tables)


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_create_the_model_and_are_idempotent(service, db_url):
    engine = make_engine(db_url)
    migrate(engine, service, migrations_of(service))
    migrate(engine, service, migrations_of(service))
    present = set(inspect(engine).get_table_names())
    assert tables_of(service) <= present
    assert f"alembic_version_{service}" in present
    engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_compile_for_sql_server(service):
    ddl = migration_sql("mssql+pyodbc://", service, migrations_of(service))
    for table in tables_of(service):
        assert f"CREATE TABLE {table}" in ddl or f"CREATE TABLE [{table}]" in ddl


@pytest.fixture
def mssql_checked(db_url):
    """An engine on db_url, and a way to demand that every statement a repository runs compiles for SQL Server."""
    engine = make_engine(db_url)
    compiled: list[str] = []

    def watch(*services: str) -> None:
        for service in services:  # migrations first: the dialect's own inspection queries are not ours
            migrate(engine, service, migrations_of(service))

        def compile_for_mssql(conn, clause, multiparams, params, execution_options):
            if hasattr(clause, "compile"):
                compiled.append(str(clause.compile(dialect=mssql.pyodbc.dialect())))

        event.listen(engine, "before_execute", compile_for_mssql)

    yield engine, compiled, watch
    engine.dispose()


def test_scope_registry_round_trip(mssql_checked):
    engine, compiled, watch = mssql_checked
    watch("scope")
    registry = SqlRegistryRepository(engine)
    registry.replace(load_registry())
    registry.replace(load_registry())  # replacing is whole and repeatable
    loaded = registry.load()
    assert {c.client_id for c in loaded.clients} == {c["client_id"] for c in load_registry()["clients"]}
    assert any(p.pbm_id == "PBM_B" and p.valid_from == date(2025, 7, 1) for p in loaded.plans)
    assert compiled


def test_evidence_packets_are_versioned_never_overwritten(mssql_checked, tmp_path):
    engine, compiled, watch = mssql_checked
    watch("evidence")
    packets = SqlPacketRepository(engine)
    first = sync_documents(ContractsFolder(ONEDRIVE_DIR).documents(), packets)
    again = sync_documents(ContractsFolder(ONEDRIVE_DIR).documents(), packets)
    assert first.added and not first.refused and again.unchanged == len(first.added) and not again.added

    changed_tree = tmp_path / "Clients" / "C001" / "PBM_A"
    changed_tree.mkdir(parents=True)
    original = (ONEDRIVE_DIR / "Clients/C001/PBM_A/contract-2025.packet.json").read_text()
    (changed_tree / "contract-2025.packet.json").write_text(original + "\n")  # same packet id, new bytes
    (changed_tree / "broken-2025.packet.json").write_text('{"packet_id": "CP-BROKEN"}')
    report = sync_documents(ContractsFolder(tmp_path).documents(), packets)
    assert report.added == ["CP-C001-PBMA-2025@2"]
    assert report.refused and report.refused[0][0].endswith("broken-2025.packet.json")
    versions = [p.version for p in packets.in_force(client_id="C001") if p.packet_id == "CP-C001-PBMA-2025"]
    assert versions == [2]
    assert compiled


def test_runs_are_written_once(mssql_checked):
    engine, compiled, watch = mssql_checked
    watch("calc")
    runs = SqlRunRepository(engine)
    record = RunRecord("run_1", "h" * 64, "C001", "final", "{}", b'{"a":1}\n', {"created_at": "2026-01-01T00:00:00+00:00"})
    assert runs.add(record) == record
    assert runs.add(RunRecord("run_1", "h" * 64, "C001", "modeled", "{}", b"other", record.lineage)).result_json == b'{"a":1}\n'
    assert runs.get("missing") is None
    assert compiled


def test_publications_and_task_ledger(mssql_checked):
    engine, compiled, watch = mssql_checked
    watch("publisher", "tasks")
    publications = SqlPublicationRepository(engine)
    scope = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31")
    publications.add("run_1", scope, [Table("readiness", ("run_id",), ({"run_id": "run_1"},))])
    publications.add("run_1", scope, [])
    assert publications.get("run_1")[1][0].rows == ({"run_id": "run_1"},)
    assert publications.scope_of("run_1") == scope and publications.scope_of("missing") is None
    ledger, grant, alice = SqlTaskLedger(engine), grant_of(read_grant("C001")), Submitter("user:alice@leaf.health")
    now = "2026-01-01T00:00:00.000+00:00"
    first = submit_task(SubmitTask("publish_run", '{"run_id": "run_1"}', "key-1"), alice, grant, ledger, None, now)
    assert submit_task(SubmitTask("publish_run", "{}", "key-1"), alice, grant, ledger, None, now).task_id == first.task_id
    assert [t.task_id for t in ledger.list(lane="publish")] == [first.task_id]
    assert [(c.from_state, c.to_state) for c in ledger.history(first.task_id)] == [("", "queued")]
    assert compiled
