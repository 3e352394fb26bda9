"""A run plan as the operator sees it (issue #14 item 4): the itr service's ask of one request, the scope service's
resolution of it, the evidence's sufficiency of each formula and the run it would be — composed into one JSON
document, with whether it can be submitted and, if not, why. Rules only: the calls are in service_layer/plans.py."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from kernel.sufficiency import BLOCKED, FINAL, MODELED, readiness

SEVERITY = {FINAL: 0, MODELED: 1, BLOCKED: 2}
SETTLE_HINT = {
    "ambiguous": "an operator settles it by naming one candidate (pbm_id, tpa_id and, if it covers less, the dates)",
    "out_of_coverage": "the registry does not cover the whole period: an operator may narrow the window",
    "unknown": "the registry does not know an id the request names",
    "conflicting": "the request's ids do not belong together in the registry",
}


def scope_problem(resolution: Mapping) -> dict | None:
    """Nothing when the scope is exact; otherwise the problem that keeps the plan from being submitted."""
    state = resolution["state"]
    if state == "exact":
        return None
    reasons = ", ".join(resolution["reasons"]) or state
    hint = SETTLE_HINT.get(state, "")
    return {"code": f"scope_{state}", "message": f"the scope is {state} ({reasons}){': ' + hint if hint else ''}"}


def deliverable_view(deliverable: Mapping, formulas: Sequence[Mapping]) -> dict:
    """A deliverable with the worst status of the formulas it shows, and why each of those is not final.
    Without an exact scope (or, for Repricing, a proposal) there is nothing to judge: status is null."""
    shown = [f for f in formulas if f["formula_id"] in deliverable["formula_ids"]]
    status = max((f["status"] for f in shown), key=SEVERITY.__getitem__) if shown else None
    because = [f"{f['formula_id']}: {', '.join(f['reasons'])}" for f in shown if f["status"] != FINAL and f["reasons"]]
    return {**deliverable, "status": status, "reasons": because}


def compose_plan(ask: Mapping, resolution: Mapping | None, formulas: Sequence[Mapping], run: Mapping | None,
                 proposals: Sequence[Mapping] = (), extra_problems: Sequence[Mapping] = ()) -> dict:
    """`ask`: the itr ask as JSON (request, ask, settled, deliverables, problems); `resolution`: the scope service's
    answer (None when the ask could not be put to it); `formulas`: sufficiency per formula, for an exact scope;
    `run`: {run_id, computed} the plan would make; `proposals`: the client's proposals Repricing can use."""
    problems = [*ask["problems"], *extra_problems]
    found = scope_problem(resolution) if resolution is not None else None
    if found:
        problems.append(found)
    statuses = {f["formula_id"]: f["status"] for f in formulas}
    request_id = ask["request_id"]
    path = f"/v1/itr/requests/{request_id}"
    exact = resolution is not None and resolution["state"] == "exact"
    submittable = exact and not problems and run is not None
    return {
        "request_id": request_id, "name": ask["name"], "status": ask["status"],
        "ask": ask["ask"], "settled": ask["settled"],
        "scope": resolution if resolution is not None else {"state": "not_resolved", "scope": None,
                                                            "scope_hash": None, "partial": None, "reasons": [],
                                                            "candidates": []},
        "formulas": list(formulas),
        "readiness": readiness(statuses) if statuses else None,
        "deliverables": [deliverable_view(d, formulas) for d in ask["deliverables"]],
        "proposals": list(proposals),
        "run": dict(run) if run is not None else None,
        "problems": problems,
        "submittable": submittable,
        "links": {"self": f"{path}/plan", "request": path, "bundle": f"{path}/bundle",
                  **({"submit": f"{path}/plan"} if submittable else {})},
    }
