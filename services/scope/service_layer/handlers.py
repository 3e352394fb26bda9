"""Scope use cases: each takes a command and the repositories, and returns a domain result."""
from __future__ import annotations

from typing import Sequence

from services.scope.adapters.entitlements import SqlEntitlementRepository
from services.scope.adapters.repository import SqlRegistryRepository
from services.scope.domain.entitlements import caller_principals, entitled_areas
from services.scope.domain.registry import Client, Registry
from services.scope.domain.resolution import Resolution, ResolveScope, resolve


def visible_registry(registry: SqlRegistryRepository, entitlements: SqlEntitlementRepository,
                     principals: Sequence[str]) -> Registry:
    """The whole registry for mesh-internal callers (no principal); else only the clients the caller is entitled to.

    A client outside the entitlement then resolves exactly like one that does not exist (`unknown`), so
    neither its existence nor its name leaks through resolution or candidates.
    """
    whole = registry.load()
    if not principals:
        return whole
    named = caller_principals(principals)
    return whole.only(frozenset(a.client_id for a in entitled_areas(named, entitlements.list(named))))


def resolve_scope(order: ResolveScope, registry: SqlRegistryRepository, entitlements: SqlEntitlementRepository,
                  principals: Sequence[str] = ()) -> Resolution:
    return resolve(order, visible_registry(registry, entitlements, principals))


def list_clients(registry: SqlRegistryRepository, entitlements: SqlEntitlementRepository,
                 principals: Sequence[str] = ()) -> tuple[Client, ...]:
    return visible_registry(registry, entitlements, principals).clients
