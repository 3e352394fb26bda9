"""Entitlement use cases: grant, revoke, list, and issue a signed scope grant for what a caller may see."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from kernel.errors import InputError, NotFound
from kernel.scope import Scope
from runtime import grant_tokens
from runtime.grant_keys import GrantKeys
from services.scope.domain.entitlements import (
    Entitlement,
    GrantEntitlement,
    Refusal,
    RevokeEntitlement,
    audited,
    entitled_areas,
    entitled_scope,
    principal,
)
from services.scope.service_layer.ports import EntitlementRepository, RegistryRepository

log = logging.getLogger(__name__)
# One answer for "no such scope" and "not yours": which of the two is true must not leak.
NOT_FOUND = ("scope_not_found", "no such scope for this caller")


@dataclass(frozen=True)
class IssueScopeGrant:
    """For the caller's verified identity: its principal and its group principals, exactly as verified."""

    scope: Scope | None  # None: a read grant over everything the caller may see
    principal: str
    principal_groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class IssuedGrant:
    token: str
    kid: str
    expires_at: datetime
    scope: Scope | None


def _now(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).isoformat(timespec="seconds")


def grant_entitlement(order: GrantEntitlement, entitlements: EntitlementRepository, registry: RegistryRepository,
                      now: datetime | None = None) -> Entitlement:
    """Grant (or replace) an entitlement to a client and groups the registry knows, so a typo never grants nothing."""
    e = order.entitlement
    known = registry.load()
    if all(c.client_id != e.client_id for c in known.clients):
        raise InputError("unknown_client", f"no client {e.client_id!r} in the registry")
    foreign = [g for g in e.group_ids if (group := known.group(g)) is None or group.client_id != e.client_id]
    if foreign:
        raise InputError("unknown_group", f"not groups of client {e.client_id!r}: {', '.join(foreign)}")
    entry = audited("grant", e.principal, e.client_id, e.group_ids, order.operator, order.reason, _now(now))
    entitlements.grant(e, entry)
    return e


def revoke_entitlement(order: RevokeEntitlement, entitlements: EntitlementRepository, now: datetime | None = None) -> bool:
    who = principal(order.principal)
    entry = audited("revoke", who, order.client_id, (), order.operator, order.reason, _now(now))
    return entitlements.revoke(who, order.client_id, entry)


def list_entitlements(who: str | None, entitlements: EntitlementRepository) -> list[Entitlement]:
    return entitlements.list([principal(who)] if who else None)


def issue_scope_grant(order: IssueScopeGrant, entitlements: EntitlementRepository, keys: GrantKeys,
                      ttl: int = grant_tokens.DEFAULT_TTL_SECONDS, now: datetime | None = None) -> IssuedGrant:
    """A signed grant for the requested scope narrowed to the caller's entitlements, or a generic NotFound."""
    who = order.principal
    principals = [who, *order.principal_groups]
    if order.scope is None:
        token, kid, expires = grant_tokens.issue_read(entitled_areas(principals, entitlements.list(principals)), who, keys,
                                                ttl, now)
        return IssuedGrant(token, kid, expires, None)
    result = entitled_scope(principals, order.scope, entitlements.list(principals))
    if isinstance(result, Refusal):
        log.info("scope grant refused", extra={"reason": result.reason, "client_id": order.scope.client_id})
        raise NotFound(*NOT_FOUND)
    token, kid, expires = grant_tokens.issue(result, who, keys, ttl, now)
    return IssuedGrant(token, kid, expires, result)
