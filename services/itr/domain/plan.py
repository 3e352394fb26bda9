"""The ask of a run plan, from one IT request's fields (issue #14 item 4): the scope to resolve, the deliverables asked
for and what each is made of, and the problems that keep the plan from being submitted — each a stable code and a
sentence. Pure: the scope's resolution, the evidence's sufficiency and the run's id are added where the mesh is
reachable under the caller's identity and grant (the gateway, services/gateway/domain/plans.py).

An operator settles what the request leaves open (several PBMs in the window, a proposal for repricing) with a
`Choice`: the fields it names replace the request's, and the plan says which were settled that way. A choice may
narrow the request's period, never widen it.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from kernel.sufficiency import AWP, FEE, GDR, REBATE, REPRICING

# What the publisher makes for every run (services/publisher/service_layer/deliverables.py), by the name an ITR asks for it.
AUDIT = (AWP, FEE, REBATE, GDR)  # the formulas whose statuses an audit deliverable shows beside its readiness


@dataclass(frozen=True)
class Deliverable:
    name: str                      # as Deliverables__c spells it
    artifacts: tuple[str, ...]     # the run's published files that carry it
    formula_ids: tuple[str, ...]   # the formulas whose sufficiency decides how far it can be trusted
    needs_proposal: bool = False


DELIVERABLES: dict[str, Deliverable] = {d.name: d for d in (
    Deliverable("Workbook", ("report.xlsx",), AUDIT),
    Deliverable("PDF", ("report.pdf",), AUDIT),
    Deliverable("Dashboard", ("dashboard/<table>.csv", "dashboard/<table>.json"), AUDIT),
    Deliverable("Extract", ("extract.csv", "extract.json", "extract.parquet"), AUDIT),
    # A projection on a proposal's terms (docs/proposals.md): the run is another run, with the proposal in its id.
    Deliverable("Repricing", ("run.json", "report.xlsx", "report.pdf"), (REPRICING,), needs_proposal=True),
)}
CLOSED = {"Cancelled": "request_cancelled", "Done": "request_done"}
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


@dataclass(frozen=True)
class Problem:
    code: str
    message: str


@dataclass(frozen=True)
class Choice:
    """An operator's settlement of what the request leaves open; empty fields keep the request's."""

    pbm_id: str = ""
    tpa_id: str = ""
    date_from: str = ""
    date_to: str = ""
    proposal_id: str = ""

    def named(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}


@dataclass(frozen=True)
class ScopeAsk:
    """What ResolveScope is asked: the request's client, PBM, TPA (None: any), groups and period as the window."""

    client_id: str
    pbm_id: str
    tpa_id: str | None
    group_ids: tuple[str, ...]
    date_from: str
    date_to: str


@dataclass(frozen=True)
class PlanAsk:
    request_id: str
    name: str
    status: str
    scope: ScopeAsk
    deliverables: tuple[Deliverable, ...]
    problems: tuple[Problem, ...]
    proposal_id: str = ""
    settled: tuple[str, ...] = ()  # the scope fields (and proposal_id) an operator's choice set
    asked: Mapping[str, object] = field(default_factory=dict)  # the request's own values of those fields

    @property
    def resolvable(self) -> bool:
        """Whether the scope can be put to the scope service: a client and a well-formed window."""
        return not any(p.code in UNRESOLVABLE for p in self.problems)


UNRESOLVABLE = frozenset({"missing_client", "missing_period", "bad_period", "period_reversed", "bad_choice"})


def _text(fields: Mapping[str, object], name: str) -> str:
    value = fields.get(name)
    return value.strip() if isinstance(value, str) else ""


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None


def _period(start: str, end: str, choice: Choice) -> list[Problem]:
    if not start or not end:
        missing = " and ".join(f for f, v in (("Period_Start__c", start), ("Period_End__c", end)) if not v)
        return [Problem("missing_period", f"the request has no {missing}: the run's window is its period")]
    first, last = _day(start), _day(end)
    if first is None or last is None:
        return [Problem("bad_period", f"the period {start}..{end} is not two dates (YYYY-MM-DD)")]
    if last < first:
        return [Problem("period_reversed", f"the period ends ({end}) before it starts ({start})")]
    found = []
    narrowed_from, narrowed_to = _day(choice.date_from or start), _day(choice.date_to or end)
    if narrowed_from is None or narrowed_to is None or narrowed_to < narrowed_from:
        found.append(Problem("bad_choice", f"the chosen window {choice.date_from or start}..{choice.date_to or end} "
                                           "is not two dates in order (YYYY-MM-DD)"))
    elif narrowed_from < first or narrowed_to > last:
        found.append(Problem("choice_outside_period", f"the chosen window {narrowed_from}..{narrowed_to} reaches "
                                                      f"outside the request's period {start}..{end}"))
    return found


def _deliverables(raw: str, choice: Choice) -> tuple[tuple[Deliverable, ...], list[Problem]]:
    names = list(dict.fromkeys(n.strip() for n in raw.split(";") if n.strip()))
    found = []
    if not names:
        found.append(Problem("no_deliverables", "the request asks for no deliverable (Deliverables__c is empty)"))
    unknown = [n for n in names if n not in DELIVERABLES]
    if unknown:
        found.append(Problem("unknown_deliverable", f"no deliverable is called {', '.join(map(repr, unknown))}; "
                                                    f"known: {', '.join(DELIVERABLES)}"))
    chosen = tuple(DELIVERABLES[n] for n in names if n in DELIVERABLES)
    if any(d.needs_proposal for d in chosen) and not choice.proposal_id:
        found.append(Problem("proposal_not_chosen", "Repricing needs a proposal: name one of the client's "
                                                    "proposals (proposal_id) to settle the plan"))
    if choice.proposal_id and not any(d.needs_proposal for d in chosen):
        found.append(Problem("proposal_not_asked", "a proposal was named, but the request does not ask for "
                                                   "Repricing"))
    return chosen, found


def plan_ask(fields: Mapping[str, object], choice: Choice = Choice()) -> PlanAsk:
    """The plan's ask from a request's fields by API name (as the mirror keeps them) and an operator's choice."""
    problems: list[Problem] = []
    bad = [f"{k}={v!r}" for k, v in choice.named().items() if not _ID.match(v) and k != "date_from" and k != "date_to"]
    if bad:
        problems.append(Problem("bad_choice", f"the choice names what cannot be an id: {', '.join(bad)}"))
    if fields.get("IsDeleted"):
        problems.append(Problem("request_deleted", "the request was deleted in Salesforce"))
    status = _text(fields, "Status__c")
    if status in CLOSED:
        problems.append(Problem(CLOSED[status], f"the request is {status}: nothing more is to be made for it"))
    client = _text(fields, "Client_Id__c")
    if not client:
        problems.append(Problem("missing_client", "the request names no client (Client_Id__c is empty)"))
    start, end = _text(fields, "Period_Start__c"), _text(fields, "Period_End__c")
    problems += _period(start, end, choice)
    deliverables, found = _deliverables(_text(fields, "Deliverables__c"), choice)
    problems += found
    asked = {"pbm_id": _text(fields, "PBM_Id__c"), "tpa_id": _text(fields, "TPA_Id__c"), "date_from": start,
             "date_to": end}
    settled = {k: v for k, v in choice.named().items() if k != "proposal_id" and v != asked[k]}
    values = {**asked, **settled}
    scope = ScopeAsk(client, values["pbm_id"], values["tpa_id"] or None,
                     tuple(sorted({g.strip() for g in _text(fields, "Group_Ids__c").split(";") if g.strip()})),
                     values["date_from"], values["date_to"])
    return PlanAsk(_text(fields, "Id"), _text(fields, "Name"), status, scope, deliverables, tuple(problems),
                   choice.proposal_id, tuple(sorted(settled) + (["proposal_id"] if choice.proposal_id else [])),
                   {k: asked[k] for k in settled})


def ask_to_json(ask: PlanAsk) -> dict:
    """The ask as the plan JSON spells it (the gateway adds scope resolution, sufficiency and the run)."""
    return {
        "request_id": ask.request_id, "name": ask.name, "status": ask.status,
        "ask": {"client_id": ask.scope.client_id, "pbm_id": ask.scope.pbm_id, "tpa_id": ask.scope.tpa_id,
                "group_ids": list(ask.scope.group_ids), "date_from": ask.scope.date_from,
                "date_to": ask.scope.date_to, "proposal_id": ask.proposal_id or None},
        "settled": {k: {"asked": ask.asked.get(k, ""), "chosen": v} for k, v in _chosen(ask).items()},
        "deliverables": [{"name": d.name, "artifacts": list(d.artifacts), "formula_ids": list(d.formula_ids),
                          "needs_proposal": d.needs_proposal} for d in ask.deliverables],
        "problems": [{"code": p.code, "message": p.message} for p in ask.problems],
    }


def _chosen(ask: PlanAsk) -> dict[str, str]:
    values = {"pbm_id": ask.scope.pbm_id, "tpa_id": ask.scope.tpa_id or "", "date_from": ask.scope.date_from,
              "date_to": ask.scope.date_to, "proposal_id": ask.proposal_id}
    return {k: values[k] for k in ask.settled}
