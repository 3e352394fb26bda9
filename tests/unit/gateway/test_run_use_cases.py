"""The edge's run use cases on a fake mesh (style.md 11): a scope resolved as the caller may see it, a run asked of the
task plane under an exact grant (200 when already published, 202 with its task, 201 when it was made while the
caller waited, the wait bounded by the request's deadline), and a published run read under the read grant — a kept
one checked against that grant on every request."""
from __future__ import annotations

import json

import pytest

from kernel.errors import NotFound, Unavailable
from kernel.grants import Area
from leaf.calc.v1 import calc_pb2
from leaf.common.v1 import common_pb2
from leaf.publisher.v1 import publisher_pb2
from leaf.scope.v1 import scope_pb2
from leaf.tasks.v1 import tasks_pb2
from services.gateway.service_layer.runs import (
    FETCH_RESERVE_SECONDS,
    PublishedRuns,
    ScopeNotExact,
    dashboard_table,
    exact_scope,
    get_run,
    request_run,
    resolve_scope,
)
from tests.unit.gateway.fakes import (
    ANA,
    FakeGrants,
    FakeMesh,
    FakeService,
    exact_grant_of,
    identity_only,
    read_grant_of,
    scope,
)

ASKED = scope_pb2.ResolveScopeRequest(client_id="C001", pbm_id="PBM_A", date_from="2025-01-01", date_to="2025-12-31")
WHOLE, NARROWED = scope(), scope(group_ids=("C001-G01",))
EXACT = scope_pb2.ResolveScopeResponse(state=scope_pb2.EXACT, exact=WHOLE)
AMBIGUOUS = scope_pb2.ResolveScopeResponse(state=scope_pb2.AMBIGUOUS, reasons=["ambiguous_pbm"], candidates=[
    scope_pb2.Candidate(client_id="C001", pbm_id="PBM_A"), scope_pb2.Candidate(client_id="C001", pbm_id="PBM_B")])


def run(run_id: str = "run_1", exact: common_pb2.ExactScope = NARROWED) -> calc_pb2.Run:
    return calc_pb2.Run(run_id=run_id, scope=exact, readiness=common_pb2.FINAL, result_json=b'{"total": "1.00"}',
                        formulas=[common_pb2.FormulaStatus(formula_id="gdr", version=1, status=common_pb2.FINAL)])


PUBLICATION = publisher_pb2.Publication(run_id="run_1", artifacts=[publisher_pb2.Artifact(
    run_id="run_1", name="report.pdf", content_type="application/pdf", sha256="a" * 64, size=9)])


def task(state: int, run_id: str = "run_1") -> tasks_pb2.Task:
    return tasks_pb2.Task(task_id="t1", kind="compute_run", state=state, run_id=run_id, payload_json="{}")


def mesh(computed: bool = False, published: object = PUBLICATION, tasks: list | None = None, left: float = 30.0,
         resolved: scope_pb2.ResolveScopeResponse = EXACT) -> FakeMesh:
    return FakeMesh(
        grants=FakeGrants(narrowed_to=NARROWED), left=left,
        scope=FakeService(ResolveScope=resolved),
        calc=FakeService(PlanRun=calc_pb2.RunPlan(run_id="run_1", computed=computed), GetRun=run()),
        publisher=FakeService(GetPublication=published),
        tasks=FakeService(SubmitTask=task(tasks_pb2.QUEUED), GetTask=tasks or [task(tasks_pb2.RUNNING)]))


async def test_a_scope_is_resolved_under_the_callers_identity_alone():
    m = mesh(resolved=AMBIGUOUS)
    resolution = await resolve_scope(m, ANA, ASKED)
    assert resolution["state"] == "ambiguous" and resolution["scope"] is None
    assert [c["pbm_id"] for c in resolution["candidates"]] == ["PBM_A", "PBM_B"]
    assert m.scope.metadata("ResolveScope") == [identity_only(ANA)] and m.grants.asked == []


async def test_a_scope_not_exact_is_refused_with_its_resolution_before_any_grant():
    m = mesh(resolved=AMBIGUOUS)
    with pytest.raises(ScopeNotExact) as refused:
        await request_run(m, ANA, ASKED)
    assert refused.value.resolution["reasons"] == ["ambiguous_pbm"] and refused.value.code == "scope_not_exact"
    assert m.called() == ["scope.ResolveScope"] and m.grants.asked == []


async def test_the_exact_scope_is_the_one_granted_narrowed_to_the_callers_entitlement():
    grant, granted = await exact_scope(mesh(), ANA, ASKED)
    assert granted == NARROWED and grant == exact_grant_of(ANA, NARROWED)[1:]


async def test_a_run_already_published_is_answered_200_and_no_task_is_made():
    m = mesh(computed=True)
    answer = await request_run(m, ANA, ASKED)
    assert answer.status == 200 and answer.body["run_id"] == "run_1" and answer.task_id == ""
    assert answer.body["artifacts"][0]["href"] == "/v1/runs/run_1/artifacts/report.pdf"
    assert m.calc.requests("PlanRun")[0].scope == NARROWED  # the run of the granted scope, not the one asked
    assert set(m.called()) == {"scope.ResolveScope", "calc.PlanRun", "calc.GetRun", "publisher.GetPublication"}
    assert m.calc.metadata("GetRun") == [exact_grant_of(ANA, NARROWED)]


async def test_a_run_not_yet_made_is_a_compute_run_task_keyed_by_the_run_and_answered_202():
    m = mesh(computed=True, published=NotFound("publication_not_found", "not published"))
    answer = await request_run(m, ANA, ASKED, itr_request_id="a0B1", proposal_id="P-1")
    assert (answer.status, answer.task_id, answer.waited) == (202, "t1", None)
    assert answer.body["links"]["self"] == "/v1/tasks/t1"
    submitted = m.tasks.requests("SubmitTask")[0]
    assert (submitted.kind, submitted.run_id, submitted.itr_request_id, submitted.idempotency_key) == (
        "compute_run", "run_1", "a0B1", "compute_run:run_1")
    assert json.loads(submitted.payload_json) == {"scope": json.loads(NARROWED.canonical_json), "proposal_id": "P-1"}
    assert m.tasks.metadata("SubmitTask") == [exact_grant_of(ANA, NARROWED)]
    assert m.calc.requests("PlanRun")[0].proposal_id == "P-1"


async def test_a_run_made_while_the_caller_waits_is_answered_201():
    m = mesh(tasks=[task(tasks_pb2.RUNNING), task(tasks_pb2.SUCCEEDED)])
    answer = await request_run(m, ANA, ASKED, wait=5)
    assert (answer.status, answer.body["run_id"], answer.waited) == (201, "run_1", 5)
    assert len(m.tasks.requests("GetTask")) == 2 and "calc.GetRun" in m.called()


async def test_the_wait_is_bounded_by_what_the_request_has_left_and_a_task_still_running_is_202():
    m = mesh(left=FETCH_RESERVE_SECONDS + 0.15)
    answer = await request_run(m, ANA, ASKED, wait=60)
    assert answer.status == 202 and answer.waited == pytest.approx(0.15)
    assert answer.body["state"] == "running"
    short = mesh(left=1.0)
    answer = await request_run(short, ANA, ASKED, wait=60)
    assert (answer.status, answer.waited) == (202, 0.0) and short.tasks.requests("GetTask") == []


async def test_a_published_run_is_read_under_the_read_grant_and_kept():
    m = mesh()
    kept = PublishedRuns(lambda body: json.dumps(body).encode())
    found = await get_run(m, ANA, "run_1", kept)
    assert (found.run_id, found.scope_hash) == ("run_1", NARROWED.scope_hash)
    assert json.loads(found.body)["result"] == {"total": "1.00"} and kept.get("run_1") == found
    assert m.calc.metadata("GetRun") == m.publisher.metadata("GetPublication") == [read_grant_of(ANA)]


async def test_a_kept_run_is_answered_only_to_a_caller_whose_grant_covers_it_and_without_a_call():
    kept = PublishedRuns(lambda body: json.dumps(body).encode())
    await get_run(mesh(), ANA, "run_1", kept)
    again = mesh()
    assert (await get_run(again, ANA, "run_1", kept)).run_id == "run_1" and again.called() == []
    for areas in ((Area("C002"),), (Area("C001", ("C001-G02",)),)):
        other = FakeMesh(grants=FakeGrants(areas=areas))
        with pytest.raises(NotFound) as refused:
            await get_run(other, ANA, "run_1", kept)
        assert refused.value.code == "run_not_found" and other.called() == []


async def test_the_runs_own_refusal_comes_first_whichever_call_failed():
    m = mesh()
    m.calc.answers["GetRun"] = NotFound("run_not_found", "no run 'run_9'")
    m.publisher.answers["GetPublication"] = Unavailable("publisher_unavailable", "down")
    kept = PublishedRuns(lambda body: b"{}")
    with pytest.raises(NotFound) as refused:
        await get_run(m, ANA, "run_9", kept)
    assert refused.value.code == "run_not_found" and kept.get("run_9") is None


async def test_a_dashboard_table_is_read_under_the_read_grant():
    table = publisher_pb2.DashboardTable(name="readiness", columns=["formula"], rows_json=b"[]")
    m = FakeMesh(publisher=FakeService(GetDashboardTable=table))
    assert await dashboard_table(m, ANA, "readiness", "run_1") == table
    (request,) = m.publisher.requests("GetDashboardTable")
    assert (request.table, request.run_id) == ("readiness", "run_1")
    assert m.publisher.metadata("GetDashboardTable") == [read_grant_of(ANA)]
