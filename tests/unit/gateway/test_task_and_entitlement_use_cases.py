"""The edge's task and entitlement use cases on a fake mesh (style.md 11): operators' actions refused to anyone else
before any call, every call made for the verified caller (with the read grant where it touches client data), a
changed entitlement dropping the kept read grants of its principal, and a wait that follows a task until it ends."""
from __future__ import annotations

import json

import pytest

from kernel.errors import InputError
from leaf.calc.v1 import calc_pb2
from leaf.scope.v1 import scope_pb2
from leaf.tasks.v1 import tasks_pb2
from services.gateway.service_layer import entitlements, tasks
from services.gateway.service_layer.entitlements import NotAnOperator
from services.gateway.service_layer.registry import list_formulas
from tests.unit.gateway.fakes import ANA, OPERATORS, OPS, FakeMesh, FakeService, identity_only, read_grant_of

ENTITLEMENT = scope_pb2.Entitlement(principal="user:bo@leaf.example", client_id="C001", group_ids=["C001-G01"])


def task(state: int, task_id: str = "t1") -> tasks_pb2.Task:
    return tasks_pb2.Task(task_id=task_id, kind="publish_run", state=state, run_id="run_1", payload_json="{}")


async def test_a_task_is_submitted_under_the_read_grant_with_its_params_as_the_payload():
    m = FakeMesh(tasks=FakeService(SubmitTask=task(tasks_pb2.QUEUED)))
    made = await tasks.submit_task(m, ANA, "publish_run", {"run_id": "run_1", "b": 1}, operator_intent=False)
    assert made.task_id == "t1"
    (request,) = m.tasks.requests("SubmitTask")
    assert (request.kind, request.run_id, request.operator_intent) == ("publish_run", "run_1", False)
    assert request.payload_json == json.dumps({"b": 1, "run_id": "run_1"}, sort_keys=True)
    assert m.tasks.metadata("SubmitTask") == [read_grant_of(ANA)]


async def test_a_task_is_read_under_the_read_grant_or_the_grant_given():
    m = FakeMesh(tasks=FakeService(GetTask=task(tasks_pb2.RUNNING)))
    await tasks.get_task(m, ANA, "t1")
    await tasks.get_task(m, ANA, "t1", grant=(("x-leaf-scope-grant", "exact:h"),))
    assert m.tasks.metadata("GetTask") == [read_grant_of(ANA), (*identity_only(ANA), ("x-leaf-scope-grant", "exact:h"))]
    assert m.grants.asked == [("reads", "ana@leaf.example")]  # a grant given is not asked for again


async def test_a_wait_follows_the_task_until_it_finishes_and_no_further():
    m = FakeMesh(tasks=FakeService(GetTask=[task(tasks_pb2.RUNNING), task(tasks_pb2.SUCCEEDED),
                                            task(tasks_pb2.RUNNING)]))
    done = await tasks.wait_until_finished(m, ANA, task(tasks_pb2.QUEUED), 5.0, ())
    assert done.state == tasks_pb2.SUCCEEDED and len(m.tasks.requests("GetTask")) == 2
    finished = FakeMesh()
    assert (await tasks.wait_until_finished(finished, ANA, task(tasks_pb2.FAILED), 5.0, ())).state == tasks_pb2.FAILED
    assert finished.called() == []  # a finished task is not asked for again


async def test_a_wait_ends_at_its_seconds_with_the_task_as_it_stands():
    m = FakeMesh(tasks=FakeService(GetTask=task(tasks_pb2.RUNNING)))
    stands = await tasks.wait_until_finished(m, ANA, task(tasks_pb2.QUEUED), 0.25, ())
    assert stands.state == tasks_pb2.RUNNING and 1 <= len(m.tasks.requests("GetTask")) <= 3  # each 0.1 s at most


@pytest.mark.parametrize("action", [tasks.cancel, tasks.requeue])
async def test_cancel_and_requeue_are_operators_and_carry_the_reason(action):
    method = "CancelTask" if action is tasks.cancel else "RequeueTask"
    m = FakeMesh(tasks=FakeService(**{method: task(tasks_pb2.CANCELLED)}))
    with pytest.raises(NotAnOperator) as refused:
        await action(m, ANA, OPERATORS, "t1", "stuck")
    assert refused.value.code == "forbidden" and m.called() == [] and m.grants.asked == []
    await action(m, OPS, OPERATORS, "t1", "stuck")
    (request,) = m.tasks.requests(method)
    assert (request.task_id, request.reason) == ("t1", "stuck") and m.tasks.metadata(method) == [read_grant_of(OPS)]


async def test_entitlements_are_listed_for_operators_only_and_without_a_grant():
    m = FakeMesh(scope=FakeService(ListEntitlements=scope_pb2.ListEntitlementsResponse(entitlements=[ENTITLEMENT])))
    with pytest.raises(NotAnOperator):
        await entitlements.list_entitlements(m, ANA, OPERATORS, "user:bo@leaf.example")
    assert m.called() == []
    listed = await entitlements.list_entitlements(m, OPS, OPERATORS, "user:bo@leaf.example")
    assert listed == {"entitlements": [{"principal": "user:bo@leaf.example", "client_id": "C001",
                                        "group_ids": ["C001-G01"]}]}
    assert m.scope.metadata("ListEntitlements") == [identity_only(OPS)]


async def test_granting_drops_the_kept_read_grants_of_the_principal_granted():
    m = FakeMesh(scope=FakeService(GrantEntitlement=ENTITLEMENT))
    with pytest.raises(NotAnOperator):
        await entitlements.grant(m, ANA, OPERATORS, "user:bo@leaf.example", "C001", ["C001-G01"], "audit")
    assert m.called() == [] and m.grants.forgotten == []
    granted = await entitlements.grant(m, OPS, OPERATORS, "user:bo@leaf.example", "C001", ["C001-G01"], "audit")
    assert granted["client_id"] == "C001" and m.grants.forgotten == ["user:bo@leaf.example"]
    (request,) = m.scope.requests("GrantEntitlement")
    assert (request.entitlement.principal, list(request.entitlement.group_ids), request.reason) == (
        "user:bo@leaf.example", ["C001-G01"], "audit")


async def test_revoking_drops_the_kept_read_grants_of_the_principal_as_the_mesh_names_it():
    m = FakeMesh(scope=FakeService(RevokeEntitlement=scope_pb2.RevokeEntitlementResponse(revoked=True)))
    with pytest.raises(NotAnOperator):
        await entitlements.revoke(m, ANA, OPERATORS, "user:bo@leaf.example", "C001", "left")
    assert await entitlements.revoke(m, OPS, OPERATORS, "user:bo@leaf.example", "C001", "left") == {"revoked": True}
    assert m.grants.forgotten == ["user:bo@leaf.example"]
    assert m.scope.requests("RevokeEntitlement")[0].reason == "left"


async def test_a_revocation_the_scope_service_refuses_forgets_nothing():
    m = FakeMesh(scope=FakeService(RevokeEntitlement=InputError("bad_input:principal", "not a principal")))
    with pytest.raises(InputError):
        await entitlements.revoke(m, OPS, OPERATORS, "bo", "C001", "left")
    assert m.grants.forgotten == []


async def test_the_registry_is_the_calc_services_document_read_without_a_grant():
    document = {"registry_version": "7", "formulas": [{"id": "gdr", "version": 1}]}
    m = FakeMesh(calc=FakeService(ListFormulas=calc_pb2.ListFormulasResponse(registry_json=json.dumps(document))))
    assert await list_formulas(m, ANA) == document
    assert m.calc.metadata("ListFormulas") == [identity_only(ANA)] and m.grants.asked == []
