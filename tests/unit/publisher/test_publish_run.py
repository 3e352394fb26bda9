"""The publishing use cases (service_layer/handlers.py, deliverables.py) on fakes of every port: no database, no
gRPC peer, no Domo and no renderer library (tests/unit/publisher/fakes.py)."""
from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest

from kernel.errors import Internal, NotFound
from kernel.grants import Area, Grant
from kernel.scope import Scope
from services.publisher.domain.extract import Pseudonymizer
from services.publisher.domain.presentation_contract import PresentationRefused
from services.publisher.service_layer.deliverables import deliverables
from services.publisher.service_layer.handlers import (
    PublisherDeps,
    dashboard_table,
    get_publication,
    list_artifacts,
    open_artifact,
    publish_run,
)
from tests.publisher_fixtures import sample_context
from tests.unit.publisher.fakes import (
    FakeCalcRuns,
    FakeDomo,
    FakeEntitlements,
    FakeLease,
    FakeLedger,
    FakePublications,
    FakeStore,
    FakeWorkbookWorker,
    Rendered,
    fake_renderers,
)

NOW = datetime(2026, 11, 2, tzinfo=UTC)
SECRET = b"fake-pseudonym-secret-0123456789abcdef"
FILES = ["dashboard/", "extract.csv", "extract.json", "extract.parquet", "report.pdf", "report.xlsx", "run.json"]


@pytest.fixture(scope="module")
def context():
    return sample_context()


def grant_for(client_id: str) -> Grant:
    return Grant(None, (Area(client_id),), "user:ana@leaf.example", NOW, NOW, "k1")


def deps_for(context, seen: Rendered, **overrides) -> PublisherDeps:
    parts = {"calc": FakeCalcRuns(context), "renderers": fake_renderers(seen), **overrides}
    return PublisherDeps(FakePublications(), FakeStore(), FakeLedger(), parts.pop("calc"), FakeEntitlements(),
                         FakeDomo(), SECRET, domo_lease=FakeLease(), **parts)


def kinds(names: list[str]) -> list[str]:
    return sorted({n if not n.startswith("dashboard/") else "dashboard/" for n in names})


async def test_a_run_is_published_whole_stored_recorded_and_pushed_to_domo(context):
    seen = Rendered()
    deps = deps_for(context, seen)
    published = await publish_run(context.run_id, grant_for("C001"), deps)
    names = [a.name for a in published.artifacts]
    assert kinds(names) == FILES
    assert sorted(name for _, name in deps.store.files) == names  # every recorded artifact is stored, and no other
    assert {n for n, _ in seen.checked} == set(names)  # the contract's last look saw every file
    assert deps.store.files[(context.run_id, "report.pdf")][0] == b"%PDF fake"
    assert published.scope_hash == context.scope_hash and published.tables
    assert deps.publications.scope_of(context.run_id) == Scope.parse(**context.result["scope"])
    [(run_id, client_id, tables, entitlements)] = deps.domo.published
    assert (run_id, client_id, tables) == (context.run_id, "C001", published.tables)
    assert entitlements == deps.scope.domo and (deps.domo_lease.holds, deps.domo_lease.fenced) == (1, 1)
    # The renderers drew from the final context: the claim findings of the one pass, and the narrative.
    for rendered in seen.contexts.values():
        assert rendered.findings is not None and rendered.narrative is not None
    # Members are pseudonymized under the run's client.
    assert deps.calc.pseudonymizers[0]("M1") == Pseudonymizer(SECRET, "C001")("M1")


async def test_publishing_again_reads_nothing_and_answers_the_same_publication(context):
    deps = deps_for(context, Rendered())
    first = await publish_run(context.run_id, grant_for("C001"), deps)
    again = await publish_run(context.run_id, grant_for("C001"), deps)
    assert again == first and deps.calc.reads == 1 and len(deps.domo.published) == 1


async def test_a_run_outside_the_grant_is_not_found_and_nothing_is_published(context):
    deps = deps_for(context, Rendered())
    with pytest.raises(NotFound) as refused:
        await publish_run(context.run_id, grant_for("C002"), deps)
    assert refused.value.code == "run_not_found"
    assert not deps.store.files and not deps.domo.published and deps.publications.get(context.run_id) is None


async def test_a_run_whose_scope_hash_disagrees_with_its_scope_is_refused(context):
    deps = deps_for(context, Rendered(), calc=FakeCalcRuns(context, scope_hash="0" * 64))
    with pytest.raises(Internal) as refused:
        await publish_run(context.run_id, grant_for("C001"), deps)
    assert refused.value.code == "run_scope_mismatch" and not deps.store.files


async def test_a_refused_rendering_stores_nothing_and_pushes_nothing(context):
    seen = Rendered()
    deps = deps_for(context, seen, renderers=fake_renderers(seen, refuse="report.pdf"))
    with pytest.raises(PresentationRefused) as refused:
        await publish_run(context.run_id, grant_for("C001"), deps)
    assert refused.value.violations[0].artifact == "report.pdf"
    assert not deps.store.files and not deps.ledger.rows and not deps.domo.published
    assert deps.publications.get(context.run_id) is None


async def test_the_workbook_worker_takes_the_rows_as_they_stream_and_finishes_from_the_final_context(context):
    seen, worker = Rendered(), FakeWorkbookWorker()
    deps = deps_for(context, seen, workbooks=worker)
    published = await publish_run(context.run_id, grant_for("C001"), deps)
    [job] = worker.started
    assert len(job.rows) == sum(1 for _ in context.claims()) and job.finished is not None and job.finished.carried
    assert job.closed  # closed after finishing too (a no-op then): never left holding the worker
    assert "workbook" not in [call for call, _ in seen.calls]  # the in-process renderer was not asked
    assert deps.store.files[(context.run_id, "report.xlsx")][0] == b"xlsx from the worker"
    assert "report.xlsx" in [a.name for a in published.artifacts]


async def test_a_run_with_more_rows_than_the_workbook_carries_is_written_here_with_a_note(context):
    seen, worker = Rendered(), FakeWorkbookWorker()
    deps = deps_for(context, seen, workbooks=worker, workbook_extract_max_rows=10)
    await publish_run(context.run_id, grant_for("C001"), deps)
    assert not worker.started
    [plan] = seen.plans
    assert not plan.carried and plan.max_rows == 10 and plan.full_extract == ("extract.csv", "extract.parquet")
    assert "extract.csv and extract.parquet" in (plan.note() or "")


async def test_reading_a_publication_back_is_bounded_by_the_grant(context):
    deps = deps_for(context, Rendered())
    published = await publish_run(context.run_id, grant_for("C001"), deps)
    assert get_publication(context.run_id, grant_for("C001"), deps) == published
    assert list_artifacts(context.run_id, grant_for("C001"), deps) == published.artifacts
    table = published.tables[0]
    assert dashboard_table(context.run_id, table.name, grant_for("C001"), deps) == table
    record, chunks = open_artifact(context.run_id, "report.pdf", grant_for("C001"), deps)
    assert record.name == "report.pdf" and b"".join(chunks) == b"%PDF fake"
    for read in (lambda: get_publication(context.run_id, grant_for("C002"), deps),
                 lambda: list_artifacts(context.run_id, grant_for("C002"), deps),
                 lambda: open_artifact(context.run_id, "report.pdf", grant_for("C002"), deps)):
        with pytest.raises(NotFound) as hidden:
            read()
        assert hidden.value.code == "publication_not_found"
    with pytest.raises(NotFound) as missing:
        dashboard_table(context.run_id, "no_such_table", grant_for("C001"), deps)
    assert missing.value.code == "table_not_found"


def test_deps_without_renderers_or_lease_are_refused_at_wiring(context):
    with pytest.raises(TypeError, match="renderers"):
        PublisherDeps(FakePublications(), FakeStore(), FakeLedger(), FakeCalcRuns(context), FakeEntitlements(),
                      FakeDomo(), SECRET, domo_lease=FakeLease())
    with pytest.raises(TypeError, match="lease"):
        PublisherDeps(FakePublications(), FakeStore(), FakeLedger(), FakeCalcRuns(context), FakeEntitlements(),
                      FakeDomo(), SECRET, renderers=fake_renderers(Rendered()))


def test_deliverables_start_the_pdf_before_the_workbook_and_wait_for_it_after(context, tmp_path):
    seen = Rendered()
    built = deliverables(context, tmp_path, fake_renderers(seen))
    calls = [call for call, _ in seen.calls]
    # the one pass over the claims (extract.csv, through the port) comes first
    assert calls == ["extract csv", "extract files", "pdf start", "workbook", "pdf done"]
    assert seen.calls[1][1] == f"extract.csv:{sum(1 for _ in context.claims())}"
    assert kinds([a.name for a in built.artifacts]) == FILES and built.tables
    assert [a.name for a in built.artifacts] == [name for name, _ in seen.checked]


def test_deliverables_wait_for_the_pdf_even_when_the_workbook_fails(context, tmp_path):
    seen = Rendered()
    with pytest.raises(RuntimeError, match="workbook"):
        deliverables(context, tmp_path, fake_renderers(seen, workbook_fails=True))
    assert [call for call, _ in seen.calls][-2:] == ["workbook", "pdf done"]


def test_the_use_cases_import_no_renderer_library():
    """The service layer reaches ReportLab, matplotlib, XlsxWriter, DuckDB and pypdf only through its ports."""
    probe = ("import sys, services.publisher.service_layer.handlers, services.publisher.service_layer.deliverables; "
             "print(sorted(m for m in ('reportlab', 'matplotlib', 'xlsxwriter', 'duckdb', 'pypdf') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
