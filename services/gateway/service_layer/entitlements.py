"""Entitlement administration at the edge: operators only, each change recorded by the scope service with who and why.

The gateway refuses a non-operator before any call (403 naming no client); the scope service checks again,
from the signed identity the call carries, and records that identity as the operator. A change drops this
gateway's cached read grants of the principal concerned, so its next read already sees the change.
"""
from __future__ import annotations

from kernel import principals
from kernel.errors import Refused
from leaf.scope.v1 import scope_pb2
from runtime.clients import call
from services.gateway.domain.identity import Identity
from services.gateway.service_layer.ports import Mesh


class NotAnOperator(Refused):
    """Managing entitlements needs the operator group; the answer names no client, so 403 leaks nothing."""


def require_operator(identity: Identity, operator_group: str) -> None:
    if not identity.is_operator(operator_group):
        raise NotAnOperator("forbidden", f"managing entitlements needs membership of the {operator_group!r} group")


def entitlement_to_json(e: scope_pb2.Entitlement) -> dict:
    return {"principal": e.principal, "client_id": e.client_id, "group_ids": list(e.group_ids)}


async def list_entitlements(mesh: Mesh, identity: Identity, operator_group: str, principal: str) -> dict:
    require_operator(identity, operator_group)
    reply = await call(mesh.scope.ListEntitlements, scope_pb2.ListEntitlementsRequest(principal=principal),
                       timeout=mesh.remaining(), metadata=mesh.as_caller(identity), retries=2)
    return {"entitlements": [entitlement_to_json(e) for e in reply.entitlements]}


async def grant(mesh: Mesh, identity: Identity, operator_group: str, principal: str, client_id: str,
                group_ids: list[str], reason: str) -> dict:
    require_operator(identity, operator_group)
    request = scope_pb2.GrantEntitlementRequest(
        entitlement=scope_pb2.Entitlement(principal=principal, client_id=client_id, group_ids=group_ids), reason=reason)
    granted = await call(mesh.scope.GrantEntitlement, request, timeout=mesh.remaining(),
                         metadata=mesh.as_caller(identity))
    mesh.grants.forget(granted.principal)
    return entitlement_to_json(granted)


async def revoke(mesh: Mesh, identity: Identity, operator_group: str, principal: str, client_id: str,
                 reason: str) -> dict:
    require_operator(identity, operator_group)
    request = scope_pb2.RevokeEntitlementRequest(principal=principal, client_id=client_id, reason=reason)
    reply = await call(mesh.scope.RevokeEntitlement, request, timeout=mesh.remaining(),
                       metadata=mesh.as_caller(identity))
    mesh.grants.forget(principals.principal(principal))  # the scope service accepted it, so it is one
    return {"revoked": reply.revoked}
