"""The edge's takeover use cases on a fake mesh (style.md 11): the load ledger read for any verified caller without a
grant; parity read under the read grant; every change (advance, propose, approve, compare) an operator's, refused
here before any call and never retried; and a comparison asked only under an exact grant of the process's own
scope, never of a narrower one the scope service would hand out."""
from __future__ import annotations

import json

import pytest

from kernel.errors import InputError, NotFound, Unavailable
from kernel.scope import Scope
from leaf.takeover.v1 import takeover_pb2
from leaf.tasks.v1 import tasks_pb2
from runtime.convert import scope_to_proto
from services.gateway.service_layer import takeover
from services.gateway.service_layer.entitlements import NotAnOperator
from tests.unit.gateway.fakes import (
    ANA,
    OPERATORS,
    OPS,
    FakeGrants,
    FakeMesh,
    FakeService,
    exact_grant_of,
    identity_only,
    read_grant_of,
    rpc_failure,
)

SCOPE = {"client_id": "C001", "pbm_id": "PBM_A", "date_from": "2025-01-01", "date_to": "2025-01-31",
         "group_ids": "C001-G01, C001-G02"}
PROCESS = takeover_pb2.TakeoverProcess(process_id="plan_paid", name="Plan paid", owner="ops", state="golden_comparison",
                                       scope=SCOPE, proofs_missing=["consumer_signoff"])
WANTED = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-01-31", None, ("C001-G01", "C001-G02"))
PROMOTED = takeover_pb2.Load(ingest_id="i2", load_id="LD-1", status="promoted", promoted_by="local:ops",
                             datasets=[takeover_pb2.DatasetRows(dataset_id="ds", rows=4)])
QUARANTINED = takeover_pb2.Load(ingest_id="i1", status="quarantined", reasons=["manifest_invalid"])
REPORT = takeover_pb2.ParityReport(report_id="PR-1", process="plan_paid", load_id="LD-1", cards=1, unexplained=1,
                                   packets=[takeover_pb2.ParityPacket(card_id="R", domo_value="12",
                                                                      backend_value="10", difference="2",
                                                                      classification="unexplained")])
EXPLANATION = takeover_pb2.ExplanationResponse(
    explanation=takeover_pb2.Explanation(process_id="plan_paid", card_id="R", reason_code="domo_includes_reversals",
                                         proposed_by="user:ops@leaf.example"), report=REPORT)


async def test_the_load_ledger_is_read_without_a_grant_and_names_no_load_it_lacks():
    m = FakeMesh(takeover=FakeService(ListLoads=takeover_pb2.ListLoadsResponse(loads=[PROMOTED, QUARANTINED]),
                                      GetLoad=takeover_pb2.GetLoadResponse(load=PROMOTED, ingests=[PROMOTED])))
    loads = (await takeover.list_loads(m, ANA))["loads"]
    assert [(x["load_id"], x["status"], x["links"]) for x in loads] == [
        ("LD-1", "promoted", {"load": "/v1/takeover/loads/LD-1"}), (None, "quarantined", {})]
    assert loads[0]["promoted_by"] == "local:ops" and loads[1]["promoted_at"] is None
    found = await takeover.get_load(m, ANA, "LD-1")
    assert found["load"]["datasets"] == [{"dataset_id": "ds", "rows": 4}] and len(found["ingests"]) == 1
    assert m.takeover.requests("GetLoad")[0].load_id == "LD-1" and m.grants.asked == []
    assert set(m.takeover.metadata("ListLoads") + m.takeover.metadata("GetLoad")) == {identity_only(ANA)}


async def test_processes_are_listed_as_the_registry_holds_them():
    m = FakeMesh(takeover=FakeService(ListProcesses=takeover_pb2.ListProcessesResponse(processes=[PROCESS])))
    (process,) = (await takeover.list_processes(m, ANA))["processes"]
    assert (process["state"], process["next"], process["parity"], process["scope"]) == (
        "golden_comparison", None, None, SCOPE)
    assert process["proofs_missing"] == ["consumer_signoff"]


async def test_a_process_is_advanced_by_an_operator_only_and_never_retried():
    moved = takeover_pb2.AdvanceProcessResponse(status="done", process=PROCESS, transition=takeover_pb2.ProcessTransition(
        process_id="plan_paid", from_state="candidate_evidence", to_state="golden_comparison", operator="user:ops"))
    m = FakeMesh(takeover=FakeService(AdvanceProcess=moved))
    with pytest.raises(NotAnOperator):
        await takeover.advance_process(m, ANA, OPERATORS, "plan_paid", "golden_comparison", "")
    assert m.called() == []
    done = await takeover.advance_process(m, OPS, OPERATORS, "plan_paid", "golden_comparison", "ready")
    assert done["status"] == "done" and done["transition"]["from"] == "candidate_evidence"
    assert m.takeover.requests("AdvanceProcess")[0].note == "ready"
    flaky = FakeMesh(takeover=FakeService(AdvanceProcess=[rpc_failure(Unavailable("unavailable", "restarting")),
                                                          moved]))
    with pytest.raises(Unavailable):
        await takeover.advance_process(flaky, OPS, OPERATORS, "plan_paid", "golden_comparison", "")
    assert len(flaky.takeover.requests("AdvanceProcess")) == 1  # a write is never repeated behind the caller's back


async def test_a_refused_move_is_answered_with_its_reasons_and_no_transition():
    refused = takeover_pb2.AdvanceProcessResponse(status="refused", reasons=["proof_missing:consumer_signoff"],
                                                  process=PROCESS)
    m = FakeMesh(takeover=FakeService(AdvanceProcess=refused))
    answer = await takeover.advance_process(m, OPS, OPERATORS, "plan_paid", "presentation_consumer", "")
    assert (answer["status"], answer["reasons"], answer["transition"]) == (
        "refused", ["proof_missing:consumer_signoff"], None)


async def test_parity_and_its_workbook_are_read_under_the_read_grant():
    workbook = takeover_pb2.ParityWorkbook(report_id="PR-1", filename="parity-plan_paid-PR-1.xlsx", xlsx=b"PK")
    m = FakeMesh(takeover=FakeService(GetParity=REPORT, GetParityWorkbook=workbook))
    report = await takeover.get_parity(m, ANA, "plan_paid", None)
    (packet,) = report["packets"]
    assert (packet["domo_value"], packet["replayed_value"], packet["row_diff"], packet["reason_code"]) == (
        "12", None, None, None)
    assert report["worst_difference"] is None and report["base_report_id"] is None
    assert await takeover.parity_workbook(m, ANA, "plan_paid", "LD-1") == workbook
    assert [(r.process_id, r.load_id) for r in m.takeover.requests("GetParity") +
            m.takeover.requests("GetParityWorkbook")] == [("plan_paid", ""), ("plan_paid", "LD-1")]
    assert set(m.takeover.metadata("GetParity") + m.takeover.metadata("GetParityWorkbook")) == {read_grant_of(ANA)}


@pytest.mark.parametrize("action", ["propose", "approve"])
async def test_explanations_are_proposed_and_approved_by_operators_only(action):
    method = "ProposeExplanation" if action == "propose" else "ApproveExplanation"
    m = FakeMesh(takeover=FakeService(**{method: EXPLANATION}))

    async def act(identity):
        if action == "propose":
            return await takeover.propose_explanation(m, identity, OPERATORS, "plan_paid", "R",
                                                      "domo_includes_reversals", "nets")
        return await takeover.approve_explanation(m, identity, OPERATORS, "plan_paid", "R", "domo_includes_reversals")

    with pytest.raises(NotAnOperator):
        await act(ANA)
    assert m.called() == []
    answer = await act(OPS)
    assert answer["explanation"]["approved_by"] is None and answer["report"]["report_id"] == "PR-1"
    (request,) = m.takeover.requests(method)
    assert (request.process_id, request.card_id, request.reason_code) == ("plan_paid", "R", "domo_includes_reversals")
    assert m.takeover.metadata(method) == [identity_only(OPS)]


def test_a_processs_scope_is_its_exact_scope_and_one_without_a_scope_is_refused():
    assert takeover.process_scope(PROCESS) == WANTED
    for fields, says in (({}, "no backend scope"), ({"client_id": "C001"}, "needs pbm_id")):
        with pytest.raises(InputError) as refused:
            takeover.process_scope(takeover_pb2.TakeoverProcess(process_id="p", scope=fields))
        assert refused.value.code == "process_without_scope" and says in refused.value.message


def comparing(grants: FakeGrants) -> FakeMesh:
    return FakeMesh(grants=grants,
                    takeover=FakeService(ListProcesses=takeover_pb2.ListProcessesResponse(processes=[PROCESS])),
                    tasks=FakeService(SubmitTask=tasks_pb2.Task(task_id="t1", kind="takeover_parity")))


async def test_a_comparison_is_an_operators_task_under_an_exact_grant_of_the_processs_own_scope():
    m = comparing(FakeGrants())
    with pytest.raises(NotAnOperator):
        await takeover.request_parity(m, ANA, OPERATORS, "plan_paid", "LD-1")
    assert m.called() == []
    assert (await takeover.request_parity(m, OPS, OPERATORS, "plan_paid", "LD-1")).task_id == "t1"
    (submitted,) = m.tasks.requests("SubmitTask")
    assert submitted.kind == "takeover_parity" and json.loads(submitted.payload_json) == {
        "process_id": "plan_paid", "load_id": "LD-1", "scope": json.loads(WANTED.canonical_json())}
    assert m.tasks.metadata("SubmitTask") == [exact_grant_of(OPS, scope_to_proto(WANTED))]


async def test_a_comparison_is_refused_for_an_unknown_process_or_a_scope_granted_narrower():
    m = comparing(FakeGrants())
    with pytest.raises(NotFound) as unknown:
        await takeover.request_parity(m, OPS, OPERATORS, "nope", "LD-1")
    assert unknown.value.code == "process_not_found" and m.grants.asked == []
    narrower = scope_to_proto(Scope.parse("C001", "PBM_A", "2025-01-01", "2025-01-31", None, ("C001-G01",)))
    narrowed = comparing(FakeGrants(narrowed_to=narrower))
    with pytest.raises(NotFound) as refused:
        await takeover.request_parity(narrowed, OPS, OPERATORS, "plan_paid", "LD-1")
    assert refused.value.code == "scope_not_found" and "tasks.SubmitTask" not in narrowed.called()
