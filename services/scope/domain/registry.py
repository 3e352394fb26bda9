"""The scope registry: clients, PBMs, TPAs, the plans that tie them together and employer groups."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date


@dataclass(frozen=True)
class Client:
    client_id: str
    name: str
    region: str = ""


@dataclass(frozen=True)
class Plan:
    """A client's relationship with a PBM, administered by a TPA, over a validity window (inclusive)."""

    client_id: str
    pbm_id: str
    tpa_id: str
    valid_from: date
    valid_to: date

    def overlaps(self, start: date, end: date) -> bool:
        return self.valid_from <= end and start <= self.valid_to


@dataclass(frozen=True)
class Group:
    group_id: str
    client_id: str
    tpa_id: str
    name: str
    valid_from: date
    valid_to: date


@dataclass(frozen=True)
class Registry:
    clients: tuple[Client, ...] = ()
    pbm_ids: frozenset[str] = field(default_factory=frozenset)
    tpa_ids: frozenset[str] = field(default_factory=frozenset)
    plans: tuple[Plan, ...] = ()
    groups: tuple[Group, ...] = ()
    pbm_names: dict[str, str] = field(default_factory=dict)   # pbm_id → display name
    tpa_names: dict[str, str] = field(default_factory=dict)

    def group(self, group_id: str) -> Group | None:
        return next((g for g in self.groups if g.group_id == group_id), None)

    def only(self, client_ids: frozenset[str]) -> Registry:
        """The registry as a caller entitled to `client_ids` may see it: other clients do not exist for them."""
        return replace(self, clients=tuple(c for c in self.clients if c.client_id in client_ids),
                       plans=tuple(p for p in self.plans if p.client_id in client_ids),
                       groups=tuple(g for g in self.groups if g.client_id in client_ids))


def covers(windows: list[tuple[date, date]], start: date, end: date) -> bool:
    """Whether the union of inclusive windows covers [start, end] without a gap (adjacent windows join).

    Counted in day numbers, not dates: a plan open to 9999-12-31 has no date after it."""
    reached = start.toordinal() - 1
    for valid_from, valid_to in sorted(windows):
        if valid_from.toordinal() > reached + 1:
            break
        reached = max(reached, valid_to.toordinal())
        if reached >= end.toordinal():
            return True
    return reached >= end.toordinal()


def registry_from_document(document: dict) -> Registry:
    """A registry from its JSON document (the shape of demo/registry.json)."""
    day = date.fromisoformat
    return Registry(
        clients=tuple(Client(c["client_id"], c["name"], c.get("region", "")) for c in document["clients"]),
        pbm_ids=frozenset(p["pbm_id"] for p in document["pbms"]),
        tpa_ids=frozenset(t["tpa_id"] for t in document["tpas"]),
        plans=tuple(Plan(p["client_id"], p["pbm_id"], p["tpa_id"], day(p["valid_from"]), day(p["valid_to"]))
                    for p in document["plans"]),
        groups=tuple(Group(g["group_id"], g["client_id"], g["tpa_id"], g["name"], day(g["valid_from"]), day(g["valid_to"]))
                     for g in document["groups"]),
        pbm_names={p["pbm_id"]: p["name"] for p in document["pbms"] if p.get("name")},
        tpa_names={t["tpa_id"]: t["name"] for t in document["tpas"] if t.get("name")},
    )
