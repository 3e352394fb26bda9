"""Resolve what a person asked for into an exact scope, or an explicit ambiguity state with reasons."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from kernel.scope import Scope
from services.scope.domain.registry import Client, Plan, Registry, covers


class State(str, Enum):  # noqa: UP042 - str() of a member is part of what callers print
    EXACT = "exact"
    AMBIGUOUS = "ambiguous"
    UNKNOWN = "unknown"
    CONFLICTING = "conflicting"
    OUT_OF_COVERAGE = "out_of_coverage"


@dataclass(frozen=True)
class ResolveScope:
    """The order: a client (id or display name), a PBM (may be empty), optional TPA and groups, a window."""

    client_id: str  # an id, or a client's display name
    pbm_id: str
    date_from: str
    date_to: str
    tpa_id: str | None = None
    group_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resolution:
    state: State
    scope: Scope | None = None
    reasons: tuple[str, ...] = ()
    candidates: tuple[tuple[Client, Plan], ...] = field(default_factory=tuple)


def resolve(order: ResolveScope, registry: Registry) -> Resolution:
    # Dates are checked first: a malformed window is the caller's input error, not a state.
    window = Scope.parse("-", "-", order.date_from, order.date_to)
    start, end = window.date_from, window.date_to
    clients = _matching_clients(order.client_id, registry)
    unknown = _unknown_ids(order, registry, clients)
    if unknown:
        return Resolution(State.UNKNOWN, reasons=unknown)
    if len(clients) > 1:
        return Resolution(State.AMBIGUOUS, reasons=("ambiguous_client",), candidates=_candidates(clients, registry, start, end))
    client = clients[0]
    conflicts = _conflicts(order, client, registry)
    if conflicts:
        return Resolution(State.CONFLICTING, reasons=conflicts)
    plans = [p for p in registry.plans if p.client_id == client.client_id and (not order.tpa_id or p.tpa_id == order.tpa_id)]
    pbm_ids = {p.pbm_id for p in plans if p.overlaps(start, end)} if not order.pbm_id else {order.pbm_id}
    if not pbm_ids:
        return Resolution(State.OUT_OF_COVERAGE, reasons=("no_plan_in_window",))
    if len(pbm_ids) > 1:
        candidates = tuple((client, p) for p in plans if p.overlaps(start, end))
        return Resolution(State.AMBIGUOUS, reasons=("ambiguous_pbm",), candidates=candidates)
    pbm_id = pbm_ids.pop()
    gaps = _coverage_gaps(order, [p for p in plans if p.pbm_id == pbm_id], registry, start, end)
    if gaps:
        return Resolution(State.OUT_OF_COVERAGE, reasons=gaps)
    scope = Scope.parse(client.client_id, pbm_id, order.date_from, order.date_to, order.tpa_id, order.group_ids)
    return Resolution(State.EXACT, scope=scope)


def _matching_clients(asked: str, registry: Registry) -> list[Client]:
    by_id = [c for c in registry.clients if c.client_id == asked]
    if by_id:
        return by_id
    folded = asked.strip().casefold()
    return [c for c in registry.clients if folded and c.name.casefold() == folded]


def _unknown_ids(order: ResolveScope, registry: Registry, clients: list[Client]) -> tuple[str, ...]:
    reasons = []
    if not clients:
        reasons.append("unknown_client")
    if order.pbm_id and order.pbm_id not in registry.pbm_ids:
        reasons.append("unknown_pbm")
    if order.tpa_id and order.tpa_id not in registry.tpa_ids:
        reasons.append("unknown_tpa")
    if any(registry.group(g) is None for g in order.group_ids):
        reasons.append("unknown_group")
    return tuple(reasons)


def _conflicts(order: ResolveScope, client: Client, registry: Registry) -> tuple[str, ...]:
    plans = [p for p in registry.plans if p.client_id == client.client_id]
    reasons = []
    if order.pbm_id and all(p.pbm_id != order.pbm_id for p in plans):
        reasons.append("pbm_not_contracted_by_client")
    if order.tpa_id and all(p.tpa_id != order.tpa_id for p in plans):
        reasons.append("tpa_not_serving_client")
    groups = [g for g in map(registry.group, order.group_ids) if g is not None]  # unknown ones are reported before
    if any(g.client_id != client.client_id for g in groups):
        reasons.append("group_of_another_client")
    if order.tpa_id and any(g.tpa_id != order.tpa_id for g in groups if g.client_id == client.client_id):
        reasons.append("group_not_under_tpa")
    return tuple(reasons)


def _coverage_gaps(order, plans: list[Plan], registry: Registry, start, end) -> tuple[str, ...]:
    reasons = []
    if not covers([(p.valid_from, p.valid_to) for p in plans], start, end):
        reasons.append("window_outside_plan")
    groups = [g for g in map(registry.group, order.group_ids) if g is not None]
    if any(not covers([(g.valid_from, g.valid_to)], start, end) for g in groups):
        reasons.append("window_outside_group")
    return tuple(reasons)


def _candidates(clients: list[Client], registry: Registry, start, end) -> tuple[tuple[Client, Plan], ...]:
    return tuple((c, p) for c in clients for p in registry.plans if p.client_id == c.client_id and p.overlaps(start, end))
