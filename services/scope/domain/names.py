"""The registry's names for a scope's ids, for people reading a deliverable: "Acme Manufacturing (C001)".

Names are described only for a client the caller is entitled to; any other is answered as not found, exactly
as a client that does not exist, so a name never tells anyone that another client exists or what it is called.
Within the client, only its own groups the caller may see are named.
"""
from __future__ import annotations

from dataclasses import dataclass

from kernel.errors import NotFound
from services.scope.domain.registry import Registry


@dataclass(frozen=True)
class DescribeScope:
    client_id: str
    pbm_id: str
    tpa_id: str | None = None
    group_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScopeNames:
    """None where the registry has no name; groups as (group_id, name), in group_id order."""

    client: str | None
    pbm: str | None
    tpa: str | None
    groups: tuple[tuple[str, str], ...] = ()


def describe(order: DescribeScope, registry: Registry, entitled_groups: frozenset[str] | None) -> ScopeNames:
    """`entitled_groups`: the client's groups the caller may see (empty = every group, None = not the client)."""
    client = next((c for c in registry.clients if c.client_id == order.client_id), None)
    if entitled_groups is None or client is None:
        raise NotFound("scope_not_found", "no such scope for this caller")   # the one answer for both
    groups = []
    for group_id in sorted(set(order.group_ids)):
        group = registry.group(group_id)
        if group is not None and group.client_id == client.client_id and group.name \
                and (not entitled_groups or group_id in entitled_groups):
            groups.append((group_id, group.name))
    return ScopeNames(client.name or None, registry.pbm_names.get(order.pbm_id) or None,
                      registry.tpa_names.get(order.tpa_id or "") or None, tuple(groups))
