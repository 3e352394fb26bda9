"""Entitlements: which principals (`user:<email>`, `group:<name>`, `service:<common_name>`) may see which clients,
and the scope a caller may have.

Out of entitlement is answered as *not found*, never *forbidden*: a 403 would confirm that another
client's scope (and so its runs) exists. The refusal reason stays in the service's log and audit only.
Principals match exactly in their one spelling (kernel/principals.py): a caller is entitled through its
verified identity's principal and group principals, never through a name that merely looks alike.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from kernel import principals as names
from kernel.errors import InputError
from kernel.grants import Area
from kernel.identity import CallerIdentity, OperatorRequired
from kernel.scope import Scope

# Mesh workloads that read the entitlement table for themselves: the publisher, for Domo's row policies.
ENTITLEMENT_READERS = frozenset({names.workload("publisher")})


def principal(text: str) -> str:
    """An entitled principal in its one spelling, or InputError `bad_input:principal`."""
    return names.principal(text, names.ENTITLED)


def may_read_entitlements(identity: CallerIdentity) -> None:
    """The access matrix is for operators, and for the workloads that publish it (Domo's row policies)."""
    if not identity.operator and identity.principal not in ENTITLEMENT_READERS:
        raise OperatorRequired("operator_required", "listing entitlements needs an operator's identity")


@dataclass(frozen=True)
class Entitlement:
    """`principal` may see `client_id`: every group when `group_ids` is empty, else only those groups."""

    principal: str
    client_id: str
    group_ids: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not self.client_id or any(not g for g in self.group_ids):
            raise InputError("bad_input:entitlement", "client_id is required and group ids may not be empty")
        object.__setattr__(self, "principal", principal(self.principal))
        object.__setattr__(self, "group_ids", tuple(sorted(set(self.group_ids))))


@dataclass(frozen=True)
class GrantEntitlement:
    entitlement: Entitlement
    operator: str
    reason: str


@dataclass(frozen=True)
class RevokeEntitlement:
    principal: str
    client_id: str
    operator: str
    reason: str


@dataclass(frozen=True)
class AuditEntry:
    action: str  # "grant" | "revoke"
    principal: str
    client_id: str
    group_ids: tuple[str, ...]
    operator: str
    reason: str
    recorded_at: str


@dataclass(frozen=True)
class Refusal:
    """Why a scope was not granted (for the log and tests; callers see only a generic not-found)."""

    reason: str  # "client_not_entitled" | "group_not_entitled"


def audited(action: str, principal_: str, client_id: str, group_ids: tuple[str, ...], operator: str, reason: str,
            now: str) -> AuditEntry:
    """The audit entry of a change: who decided (a verified operator, or the OS account at the database) and why
    are required, never defaulted."""
    if not reason.strip():
        raise InputError("bad_input:reason", f"a {action} needs a reason")
    return AuditEntry(action, principal_, client_id, group_ids, names.principal(operator, names.OPERATORS),
                      reason.strip(), now)


def entitled_groups(principals: Iterable[str], client_id: str, entitlements: Iterable[Entitlement]) -> frozenset[str] | None:
    """The groups of `client_id` the principals (exact, as verified) may see together: None = none at all, empty =
    every group."""
    mine = set(principals)
    granted = [e for e in entitlements if e.principal in mine and e.client_id == client_id]
    if not granted:
        return None
    if any(not e.group_ids for e in granted):
        return frozenset()
    return frozenset(g for e in granted for g in e.group_ids)


def entitled_scope(principals: Iterable[str], requested: Scope, entitlements: Iterable[Entitlement]) -> Scope | Refusal:
    """The requested scope intersected with what the principals may see, or why nothing of it may be seen."""
    groups = entitled_groups(principals, requested.client_id, entitlements)
    if groups is None:
        return Refusal("client_not_entitled")
    if not groups:
        return requested
    if not requested.group_ids:
        # An all-groups request from a partially entitled caller is narrowed, not refused: it asked for
        # "everything I may see", and that is exactly the entitled groups.
        return replace(requested, group_ids=tuple(groups))
    if not set(requested.group_ids) <= groups:
        return Refusal("group_not_entitled")
    return requested


def entitled_areas(principals: Iterable[str], entitlements: Iterable[Entitlement]) -> list[Area]:
    """Every client the principals may see together, each with its groups (empty = every group)."""
    entitlements = list(entitlements)
    clients = sorted({e.client_id for e in entitlements})
    found = ((client, entitled_groups(principals, client, entitlements)) for client in clients)
    return [Area(client, tuple(sorted(groups))) for client, groups in found if groups is not None]
