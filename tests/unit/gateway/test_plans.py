"""The plan as composed at the edge: submittable only with an exact scope, no problem and a run; an ambiguous scope is
shown with its candidates as the problem an operator settles; each deliverable judged by the formulas it shows."""
from __future__ import annotations

from services.gateway.domain.plans import compose_plan, deliverable_view

AUDIT = ["awp_discount_guarantee", "dispensing_fee_guarantee", "rebate_guarantee", "generic_dispensing_rate"]
ASK = {"request_id": "a0B5g0000000001EAA", "name": "ITR-000001", "status": "Triage",
       "ask": {"client_id": "C001", "pbm_id": "PBM_A"}, "settled": {},
       "deliverables": [{"name": "PDF", "artifacts": ["report.pdf"], "formula_ids": AUDIT, "needs_proposal": False},
                        {"name": "Repricing", "artifacts": ["run.json"], "formula_ids": ["repricing_savings"],
                         "needs_proposal": True}],
       "problems": []}
EXACT = {"state": "exact", "scope": {"client_id": "C001"}, "scope_hash": "h", "partial": False, "reasons": [],
         "candidates": []}
AMBIGUOUS = {"state": "ambiguous", "scope": None, "scope_hash": None, "partial": None, "reasons": ["ambiguous_pbm"],
             "candidates": [{"pbm_id": "PBM_A"}, {"pbm_id": "PBM_B"}]}


def formula(formula_id: str, status: str = "final", *reasons: str) -> dict:
    return {"formula_id": formula_id, "version": 1, "status": status, "reasons": list(reasons), "missing_evidence": []}


FORMULAS = [formula("awp_discount_guarantee"), formula("dispensing_fee_guarantee"),
            formula("rebate_guarantee", "blocked", "rebate_evidence_missing"), formula("generic_dispensing_rate")]
RUN = {"run_id": "run_1", "computed": False}


def test_an_exact_plan_without_problems_is_submittable_and_shows_each_deliverables_sufficiency():
    plan = compose_plan(ASK, EXACT, FORMULAS, RUN)
    assert plan["submittable"] and plan["links"]["submit"] == "/v1/itr/requests/a0B5g0000000001EAA/plan"
    assert plan["readiness"] == "blocked" and plan["run"] == RUN
    pdf, repricing = plan["deliverables"]
    assert (pdf["status"], pdf["reasons"]) == ("blocked", ["rebate_guarantee: rebate_evidence_missing"])
    assert (repricing["status"], repricing["reasons"]) == (None, [])  # no proposal: not judged


def test_an_ambiguous_scope_keeps_its_candidates_and_is_not_submittable():
    plan = compose_plan(ASK, AMBIGUOUS, [], None)
    assert not plan["submittable"] and "submit" not in plan["links"]
    assert plan["scope"]["candidates"] == AMBIGUOUS["candidates"]
    assert plan["problems"][0]["code"] == "scope_ambiguous" and "pbm_id" in plan["problems"][0]["message"]
    assert plan["readiness"] is None and all(d["status"] is None for d in plan["deliverables"])


def test_any_problem_or_an_unresolved_scope_keeps_it_from_being_submitted():
    closed = {**ASK, "problems": [{"code": "request_done", "message": "the request is Done"}]}
    assert not compose_plan(closed, EXACT, FORMULAS, RUN)["submittable"]
    assert not compose_plan(ASK, EXACT, FORMULAS, RUN, extra_problems=[{"code": "proposal_not_found",
                                                                        "message": "no proposal"}])["submittable"]
    unresolved = compose_plan(ASK, None, [], None)
    assert unresolved["scope"]["state"] == "not_resolved" and not unresolved["submittable"]


def test_a_deliverable_is_as_good_as_the_worst_formula_it_shows():
    modeled = [formula("repricing_savings", "modeled", "proposal_is_modeled")]
    view = deliverable_view(ASK["deliverables"][1], [*FORMULAS, *modeled])
    assert (view["status"], view["reasons"]) == ("modeled", ["repricing_savings: proposal_is_modeled"])
