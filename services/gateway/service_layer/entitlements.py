"""Entitlement administration at the edge: operators only, each change recorded by the scope service with who and why."""
from __future__ import annotations

from leaf.scope.v1 import scope_pb2

from runtime.clients import call
from runtime.errors import Refused
from services.gateway.adapters.mesh import Mesh
from services.gateway.domain.identity import Identity


class NotAnOperator(Refused):
    """Managing entitlements needs the operator group; the answer names no client, so 403 leaks nothing."""


def require_operator(identity: Identity, operator_group: str) -> None:
    if identity.kind != "user" or operator_group not in identity.groups:
        raise NotAnOperator("forbidden", f"managing entitlements needs membership of the {operator_group!r} group")


def entitlement_to_json(e: scope_pb2.Entitlement) -> dict:
    return {"principal": e.principal, "client_id": e.client_id, "group_ids": list(e.group_ids)}


async def list_entitlements(mesh: Mesh, identity: Identity, operator_group: str, principal: str) -> dict:
    require_operator(identity, operator_group)
    reply = await call(mesh.scope.ListEntitlements, scope_pb2.ListEntitlementsRequest(principal=principal),
                       timeout=mesh.remaining(), retries=2)
    return {"entitlements": [entitlement_to_json(e) for e in reply.entitlements]}


async def grant(mesh: Mesh, identity: Identity, operator_group: str, principal: str, client_id: str,
                group_ids: list[str], reason: str) -> dict:
    require_operator(identity, operator_group)
    request = scope_pb2.GrantEntitlementRequest(
        entitlement=scope_pb2.Entitlement(principal=principal, client_id=client_id, group_ids=group_ids),
        reason=reason, operator=identity.principal)
    return entitlement_to_json(await call(mesh.scope.GrantEntitlement, request, timeout=mesh.remaining()))


async def revoke(mesh: Mesh, identity: Identity, operator_group: str, principal: str, client_id: str,
                 reason: str) -> dict:
    require_operator(identity, operator_group)
    request = scope_pb2.RevokeEntitlementRequest(principal=principal, client_id=client_id, reason=reason,
                                                 operator=identity.principal)
    reply = await call(mesh.scope.RevokeEntitlement, request, timeout=mesh.remaining())
    return {"revoked": reply.revoked}
