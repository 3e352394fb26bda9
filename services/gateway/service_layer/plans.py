"""Run plans of ITR requests at the edge (issue #14 item 4): compose a request's plan from the mesh under the caller's
identity and grants, and submit it to the task plane with the request as the run's lineage.

The itr service builds the ask from the request's fields (services/itr/domain/plan.py); here it is resolved by the
scope service as the caller may see it, and — when exact — checked for evidence sufficiency and named as a run by
calc, under an exact grant. Submitting is POST /v1/runs for that scope with the request id (runs.request_run): the
same 202/200/201 answers and the same idempotency, so request → plan → task → run → artifacts can be followed both
ways (the task and the run name the request; GET /v1/itr/requests/{id} lists the runs).
"""
from __future__ import annotations

from dataclasses import dataclass

from kernel.errors import InputError, NotFound, NotReady
from leaf.calc.v1 import calc_pb2
from leaf.evidence.v1 import evidence_pb2
from leaf.itr.v1 import itr_pb2
from leaf.scope.v1 import scope_pb2
from runtime.clients import call
from runtime.convert import EVIDENCE_KIND_NAME, READINESS_NAME
from services.gateway.domain.identity import Identity
from services.gateway.domain.plans import compose_plan
from services.gateway.service_layer.entitlements import NotAnOperator
from services.gateway.service_layer.ports import Mesh
from services.gateway.service_layer.runs import READ_RETRIES, RunAnswer, request_run, resolution_to_json


class PlanNotSubmittable(NotReady):
    """409: the plan has problems (or an unsettled scope); the body carries the plan, so the caller sees why."""

    def __init__(self, plan: dict) -> None:
        self.plan = plan
        codes = ", ".join(p["code"] for p in plan["problems"]) or "scope_not_exact"
        super().__init__("plan_not_submittable", f"the plan of request {plan['request_id']} cannot be submitted: {codes}")


@dataclass(frozen=True)
class Planned:
    plan: dict
    scope_request: scope_pb2.ResolveScopeRequest | None
    proposal_id: str


def ask_to_json(reply: itr_pb2.PlanAskResponse) -> dict:
    scope, request = reply.scope, reply.request
    chosen = {"pbm_id": scope.pbm_id, "tpa_id": scope.tpa_id, "date_from": scope.date_from, "date_to": scope.date_to,
              "proposal_id": reply.proposal_id}
    return {
        "request_id": request.request_id, "name": request.name, "status": request.status,
        "ask": {"client_id": scope.client_id, "pbm_id": scope.pbm_id,
                "tpa_id": scope.tpa_id if scope.HasField("tpa_id") else None, "group_ids": list(scope.group_ids),
                "date_from": scope.date_from, "date_to": scope.date_to, "proposal_id": reply.proposal_id or None},
        "settled": {k: {"asked": reply.asked.get(k, ""), "chosen": chosen[k]} for k in reply.settled},
        "deliverables": [{"name": d.name, "artifacts": list(d.artifacts), "formula_ids": list(d.formula_ids),
                          "needs_proposal": d.needs_proposal} for d in reply.deliverables],
        "problems": [{"code": p.code, "message": p.message} for p in reply.problems],
    }


def scope_request_of(scope: itr_pb2.PlanScope) -> scope_pb2.ResolveScopeRequest:
    request = scope_pb2.ResolveScopeRequest(client_id=scope.client_id, pbm_id=scope.pbm_id, group_ids=scope.group_ids,
                                            date_from=scope.date_from, date_to=scope.date_to)
    if scope.HasField("tpa_id"):
        request.tpa_id = scope.tpa_id
    return request


async def plan_of(mesh: Mesh, identity: Identity, request_id: str, choice: itr_pb2.PlanChoice) -> Planned:
    """The plan of a request the caller may see (another client's is request_not_found, like an unknown id)."""
    grant = await mesh.grants.for_reads(identity, mesh.remaining())
    reply = await call(mesh.itr.PlanAsk, itr_pb2.PlanAskRequest(request_id=request_id, choice=choice),
                       timeout=mesh.remaining(), metadata=mesh.as_caller(identity, grant), retries=READ_RETRIES)
    ask = ask_to_json(reply)
    if not reply.resolvable:
        return Planned(compose_plan(ask, None, [], None), None, reply.proposal_id)
    scope_request = scope_request_of(reply.scope)
    # Resolution sees only the clients the caller is entitled to, exactly as POST /v1/scopes:resolve.
    resolved = await call(mesh.scope.ResolveScope, scope_request, timeout=mesh.remaining(),
                          metadata=mesh.as_caller(identity), retries=READ_RETRIES)
    resolution = resolution_to_json(resolved)
    if resolved.state != scope_pb2.EXACT:
        return Planned(compose_plan(ask, resolution, [], None), scope_request, reply.proposal_id)
    exact_grant, scope = await mesh.grants.for_scope(identity, resolved.exact, mesh.remaining())
    as_caller = mesh.as_caller(identity, exact_grant)
    problems: list[dict] = []
    proposal_id = reply.proposal_id
    try:
        sufficiency = await _sufficiency(mesh, as_caller, scope, proposal_id)
    except (NotFound, InputError) as err:  # the named proposal is not the client's, or not for this PBM
        problems.append({"code": err.code, "message": err.message})
        proposal_id = ""
        sufficiency = await _sufficiency(mesh, as_caller, scope, "")
    formulas = [{"formula_id": f.formula_id, "version": f.version, "status": READINESS_NAME[f.status],
                 "reasons": list(f.reasons), "missing_evidence": list(f.missing_evidence)}
                for f in sufficiency.formulas]
    planned = await call(mesh.calc.PlanRun, calc_pb2.CreateRunRequest(
        scope=scope, itr_request_id=request_id, proposal_id=proposal_id), timeout=mesh.remaining(),
        metadata=as_caller, retries=READ_RETRIES)
    proposals = await _proposals(mesh, as_caller, scope) if any(d.needs_proposal for d in reply.deliverables) else []
    plan = compose_plan(ask, resolution, formulas, {"run_id": planned.run_id, "computed": planned.computed},
                        proposals, problems)
    return Planned(plan, scope_request, proposal_id)


async def _sufficiency(mesh: Mesh, as_caller, scope, proposal_id: str) -> evidence_pb2.CheckSufficiencyResponse:
    return await call(mesh.evidence.CheckSufficiency,
                      evidence_pb2.CheckSufficiencyRequest(scope=scope, proposal_id=proposal_id),
                      timeout=mesh.remaining(), metadata=as_caller, retries=READ_RETRIES)


async def _proposals(mesh: Mesh, as_caller, scope) -> list[dict]:
    """The proposals of the scope's client and PBM an operator can name for Repricing (metadata only)."""
    listed = await call(mesh.evidence.ListPackets, evidence_pb2.ListPacketsRequest(
        client_id=scope.scope.client_id, pbm_id=scope.scope.pbm_id), timeout=mesh.remaining(), metadata=as_caller,
        retries=READ_RETRIES)
    return [{"proposal_id": p.packet_id, "version": p.version, "effective_from": p.effective_from,
             "effective_to": p.effective_to, "sha256": p.sha256}
            for p in listed.packets if EVIDENCE_KIND_NAME.get(p.kind) == "proposal"]


async def submit_plan(mesh: Mesh, identity: Identity, operator_group: str, request_id: str,
                      choice: itr_pb2.PlanChoice, wait: float | None) -> RunAnswer:
    """The plan handed to the task plane as a compute_run task with the request as lineage. Settling what the
    request leaves open (a choice) is an operator's decision; an exact plan without one is anyone's who may see it."""
    if _named(choice) and not identity.is_operator(operator_group):
        raise NotAnOperator("forbidden", f"settling a plan (pbm_id, tpa_id, dates, proposal_id) needs membership "
                                         f"of the {operator_group!r} group")
    planned = await plan_of(mesh, identity, request_id, choice)
    if not planned.plan["submittable"] or planned.scope_request is None:
        raise PlanNotSubmittable(planned.plan)
    return await request_run(mesh, identity, planned.scope_request, request_id, wait, planned.proposal_id)


def _named(choice: itr_pb2.PlanChoice) -> bool:
    return any((choice.pbm_id, choice.tpa_id, choice.date_from, choice.date_to, choice.proposal_id))
