"""The plan of an ITR request composed at the edge on a fake mesh (style.md 11): the ask under the read grant, the
scope resolved as the caller may see it, sufficiency and the run named under an exact grant — each step only when
the one before allows it; a proposal the client does not have becomes a problem, not a failure; and submitting,
which only an operator may do with a choice, refuses a plan that is not submittable."""
from __future__ import annotations

import json

import pytest

from kernel.errors import NotFound
from leaf.calc.v1 import calc_pb2
from leaf.common.v1 import common_pb2
from leaf.evidence.v1 import evidence_pb2
from leaf.itr.v1 import itr_pb2
from leaf.scope.v1 import scope_pb2
from leaf.tasks.v1 import tasks_pb2
from services.gateway.service_layer.entitlements import NotAnOperator
from services.gateway.service_layer.plans import PlanNotSubmittable, plan_of, submit_plan
from tests.unit.gateway.fakes import ANA, OPERATORS, OPS, FakeMesh, FakeService, exact_grant_of, read_grant_of, scope

EXACT = scope()
REQUEST = itr_pb2.ItRequest(request_id="a0B1", name="ITR-000001", status="Triage", client_id="C001")
PDF = itr_pb2.PlannedDeliverable(name="PDF", artifacts=["report.pdf"], formula_ids=["gdr"])
REPRICING = itr_pb2.PlannedDeliverable(name="Repricing", artifacts=["run.json"], formula_ids=["repricing_savings"],
                                       needs_proposal=True)
PLAN_SCOPE = itr_pb2.PlanScope(client_id="C001", pbm_id="PBM_A", date_from="2025-01-01", date_to="2025-12-31")
SUFFICIENT = evidence_pb2.CheckSufficiencyResponse(formulas=[common_pb2.FormulaStatus(
    formula_id="gdr", version=1, status=common_pb2.FINAL)])
PROPOSAL = evidence_pb2.Packet(packet_id="P-1", kind=common_pb2.PROPOSAL, version=1, sha256="d" * 64)
CONTRACT = evidence_pb2.Packet(packet_id="CP-1", kind=common_pb2.CONTRACT_PACKET, version=1)


def ask(*deliverables: itr_pb2.PlannedDeliverable, resolvable: bool = True, proposal_id: str = "",
        problems: tuple[itr_pb2.PlanProblem, ...] = ()) -> itr_pb2.PlanAskResponse:
    return itr_pb2.PlanAskResponse(request=REQUEST, scope=PLAN_SCOPE, proposal_id=proposal_id,
                                   deliverables=list(deliverables or (PDF,)), problems=list(problems),
                                   resolvable=resolvable)


def mesh(asked: itr_pb2.PlanAskResponse, state: int = scope_pb2.EXACT, sufficiency: object = SUFFICIENT) -> FakeMesh:
    resolved = scope_pb2.ResolveScopeResponse(state=state, exact=EXACT) if state == scope_pb2.EXACT else \
        scope_pb2.ResolveScopeResponse(state=state, reasons=["ambiguous_pbm"])
    return FakeMesh(
        itr=FakeService(PlanAsk=asked), scope=FakeService(ResolveScope=resolved),
        evidence=FakeService(CheckSufficiency=sufficiency,
                             ListPackets=evidence_pb2.ListPacketsResponse(packets=[PROPOSAL, CONTRACT])),
        calc=FakeService(PlanRun=calc_pb2.RunPlan(run_id="run_1"), GetRun=calc_pb2.Run()),
        tasks=FakeService(SubmitTask=tasks_pb2.Task(task_id="t1", kind="compute_run", state=tasks_pb2.QUEUED,
                                                    payload_json="{}")))


async def test_an_exact_plan_names_its_run_under_an_exact_grant_and_is_submittable():
    m = mesh(ask())
    planned = await plan_of(m, ANA, "a0B1", itr_pb2.PlanChoice())
    assert planned.plan["submittable"] and planned.plan["run"] == {"run_id": "run_1", "computed": False}
    assert planned.scope_request == scope_pb2.ResolveScopeRequest(client_id="C001", pbm_id="PBM_A",
                                                                  date_from="2025-01-01", date_to="2025-12-31")
    assert m.called() == ["itr.PlanAsk", "scope.ResolveScope", "evidence.CheckSufficiency", "calc.PlanRun"]
    assert m.itr.metadata("PlanAsk") == [read_grant_of(ANA)]
    assert m.evidence.metadata("CheckSufficiency") == m.calc.metadata("PlanRun") == [exact_grant_of(ANA, EXACT)]
    assert m.calc.requests("PlanRun")[0].itr_request_id == "a0B1"


async def test_an_unresolvable_ask_is_shown_without_asking_the_scope_service():
    m = mesh(ask(resolvable=False, problems=(itr_pb2.PlanProblem(code="missing_client", message="no client"),)))
    planned = await plan_of(m, ANA, "a0B1", itr_pb2.PlanChoice())
    assert not planned.plan["submittable"] and planned.scope_request is None
    assert [p["code"] for p in planned.plan["problems"]] == ["missing_client"] and m.called() == ["itr.PlanAsk"]


async def test_a_scope_not_exact_is_the_plans_problem_and_no_grant_is_asked():
    m = mesh(ask(), state=scope_pb2.AMBIGUOUS)
    planned = await plan_of(m, ANA, "a0B1", itr_pb2.PlanChoice())
    assert not planned.plan["submittable"] and planned.scope_request is not None
    assert planned.plan["problems"][0]["code"] == "scope_ambiguous"
    assert m.called() == ["itr.PlanAsk", "scope.ResolveScope"] and ("scope", "ana@leaf.example") not in m.grants.asked


async def test_a_proposal_the_client_does_not_have_is_a_problem_and_sufficiency_is_asked_without_it():
    m = mesh(ask(proposal_id="P-9"), sufficiency=[NotFound("proposal_not_found", "no proposal P-9"), SUFFICIENT])
    planned = await plan_of(m, ANA, "a0B1", itr_pb2.PlanChoice(proposal_id="P-9"))
    assert planned.proposal_id == "" and not planned.plan["submittable"]
    assert {"code": "proposal_not_found", "message": "no proposal P-9"} in planned.plan["problems"]
    assert [r.proposal_id for r in m.evidence.requests("CheckSufficiency")] == ["P-9", ""]
    assert m.calc.requests("PlanRun")[0].proposal_id == ""


async def test_a_repricing_deliverable_lists_the_clients_proposals_only():
    m = mesh(ask(PDF, REPRICING))
    planned = await plan_of(m, ANA, "a0B1", itr_pb2.PlanChoice())
    assert [p["proposal_id"] for p in planned.plan["proposals"]] == ["P-1"]
    listed = m.evidence.requests("ListPackets")[0]
    assert (listed.client_id, listed.pbm_id) == ("C001", "PBM_A")
    assert "evidence.ListPackets" not in mesh(ask()).called()


async def test_settling_a_plan_with_a_choice_is_an_operators_and_refused_before_any_call():
    m = mesh(ask())
    with pytest.raises(NotAnOperator):
        await submit_plan(m, ANA, OPERATORS, "a0B1", itr_pb2.PlanChoice(pbm_id="PBM_B"), None)
    assert m.called() == []


async def test_a_plan_that_is_not_submittable_is_refused_with_the_plan():
    m = mesh(ask(), state=scope_pb2.AMBIGUOUS)
    with pytest.raises(PlanNotSubmittable) as refused:
        await submit_plan(m, OPS, OPERATORS, "a0B1", itr_pb2.PlanChoice(pbm_id="PBM_A"), None)
    assert refused.value.code == "plan_not_submittable" and "scope_ambiguous" in refused.value.message
    assert refused.value.plan["request_id"] == "a0B1" and "tasks.SubmitTask" not in m.called()


async def test_an_exact_plan_is_submitted_by_anyone_who_sees_it_as_a_run_of_the_request():
    m = mesh(ask())
    answer = await submit_plan(m, ANA, OPERATORS, "a0B1", itr_pb2.PlanChoice(), None)
    assert (answer.status, answer.task_id) == (202, "t1")
    (submitted,) = m.tasks.requests("SubmitTask")
    assert (submitted.itr_request_id, submitted.idempotency_key) == ("a0B1", "compute_run:run_1")
    assert json.loads(submitted.payload_json) == {"scope": json.loads(EXACT.canonical_json)}
