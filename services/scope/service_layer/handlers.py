"""Scope use cases: each takes a command and the repositories, and returns a domain result."""
from __future__ import annotations

from collections.abc import Sequence

from services.scope.domain.entitlements import entitled_areas, entitled_groups
from services.scope.domain.names import DescribeScope, ScopeNames, describe
from services.scope.domain.registry import Client, Registry
from services.scope.domain.resolution import Resolution, ResolveScope, resolve
from services.scope.service_layer.ports import EntitlementRepository, RegistryRepository


def visible_registry(registry: RegistryRepository, entitlements: EntitlementRepository,
                     principals: Sequence[str]) -> Registry:
    """Only the clients the caller's principals (its verified identity and groups) are entitled to; a caller
    entitled to nothing — a mesh workload, say — sees an empty registry, never the whole one.

    A client outside the entitlement then resolves exactly like one that does not exist (`unknown`), so
    neither its existence nor its name leaks through resolution or candidates.
    """
    named = list(principals)
    return registry.load().only(frozenset(a.client_id for a in entitled_areas(named, entitlements.list(named))))


def resolve_scope(order: ResolveScope, registry: RegistryRepository, entitlements: EntitlementRepository,
                  principals: Sequence[str]) -> Resolution:
    return resolve(order, visible_registry(registry, entitlements, principals))


def list_clients(registry: RegistryRepository, entitlements: EntitlementRepository,
                 principals: Sequence[str]) -> tuple[Client, ...]:
    return visible_registry(registry, entitlements, principals).clients


def describe_scope(order: DescribeScope, registry: RegistryRepository, entitlements: EntitlementRepository,
                   principals: Sequence[str]) -> ScopeNames:
    """The names of a scope's ids, for a client the caller's principals are entitled to (else scope_not_found)."""
    named = list(principals)
    return describe(order, registry.load(), entitled_groups(named, order.client_id, entitlements.list(named)))
