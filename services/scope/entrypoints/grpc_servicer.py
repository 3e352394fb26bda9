"""ScopeService over gRPC: translate proto → command → handler → proto, nothing more."""
from __future__ import annotations

import asyncio

from kernel.identity import operator_of
from leaf.scope.v1 import scope_pb2, scope_pb2_grpc
from runtime.convert import scope_from_proto, scope_to_proto
from runtime.grant_keys import GrantKeys
from runtime.identity_guard import current_identity
from services.scope.adapters.entitlements import SqlEntitlementRepository
from services.scope.adapters.repository import SqlRegistryRepository
from services.scope.domain.entitlements import Entitlement, GrantEntitlement, RevokeEntitlement, may_read_entitlements
from services.scope.domain.names import DescribeScope
from services.scope.domain.resolution import ResolveScope
from services.scope.service_layer import entitlements as rights
from services.scope.service_layer import handlers

STATE = {
    "exact": scope_pb2.EXACT, "ambiguous": scope_pb2.AMBIGUOUS, "unknown": scope_pb2.UNKNOWN,
    "conflicting": scope_pb2.CONFLICTING, "out_of_coverage": scope_pb2.OUT_OF_COVERAGE,
}


def entitlement_to_proto(e: Entitlement) -> scope_pb2.Entitlement:
    return scope_pb2.Entitlement(principal=e.principal, client_id=e.client_id, group_ids=e.group_ids)


def order_of(request: scope_pb2.ResolveScopeRequest) -> ResolveScope:
    """The order in the contract's spelling (client_id, pbm_id, tpa_id); the deprecated client, pbm and tpa fields
    count only when the new one is empty (a caller built against the old contract)."""
    tpa_id = (request.tpa_id if request.HasField("tpa_id") else
              request.tpa if request.HasField("tpa") else None)
    return ResolveScope(client_id=request.client_id or request.client, pbm_id=request.pbm_id or request.pbm,
                        date_from=request.date_from, date_to=request.date_to, tpa_id=tpa_id,
                        group_ids=tuple(request.group_ids))


class ScopeServicer(scope_pb2_grpc.ScopeServiceServicer):
    def __init__(self, registry: SqlRegistryRepository, entitlements: SqlEntitlementRepository, keys: GrantKeys,
                 grant_ttl: int) -> None:
        self.registry = registry
        self.entitlements = entitlements
        self.keys = keys
        self.grant_ttl = grant_ttl

    async def ResolveScope(self, request, context):
        order = order_of(request)
        result = await asyncio.to_thread(handlers.resolve_scope, order, self.registry, self.entitlements,
                                         current_identity().principals)
        reply = scope_pb2.ResolveScopeResponse(state=STATE[result.state.value], reasons=result.reasons)
        if result.scope is not None:
            reply.exact.CopyFrom(scope_to_proto(result.scope))
        for client, plan in result.candidates:
            reply.candidates.add(client_id=client.client_id, client_name=client.name, pbm_id=plan.pbm_id, tpa_id=plan.tpa_id,
                                 valid_from=plan.valid_from.isoformat(), valid_to=plan.valid_to.isoformat())
        return reply

    async def ListClients(self, request, context):
        clients = await asyncio.to_thread(handlers.list_clients, self.registry, self.entitlements,
                                          current_identity().principals)
        return scope_pb2.ListClientsResponse(
            clients=[scope_pb2.Client(client_id=c.client_id, name=c.name, region=c.region) for c in clients]
        )

    # Who decides is the verified operator identity of the call; the audit log records exactly that principal.
    async def GrantEntitlement(self, request, context):
        operator = operator_of(current_identity())
        e = request.entitlement
        order = GrantEntitlement(Entitlement(e.principal, e.client_id, tuple(e.group_ids)), operator, request.reason)
        granted = await asyncio.to_thread(rights.grant_entitlement, order, self.entitlements, self.registry)
        return entitlement_to_proto(granted)

    async def RevokeEntitlement(self, request, context):
        operator = operator_of(current_identity())
        order = RevokeEntitlement(request.principal, request.client_id, operator, request.reason)
        revoked = await asyncio.to_thread(rights.revoke_entitlement, order, self.entitlements)
        return scope_pb2.RevokeEntitlementResponse(revoked=revoked)

    async def ListEntitlements(self, request, context):
        may_read_entitlements(current_identity())
        found = await asyncio.to_thread(rights.list_entitlements, request.principal or None, self.entitlements)
        return scope_pb2.ListEntitlementsResponse(entitlements=[entitlement_to_proto(e) for e in found])

    async def IssueScopeGrant(self, request, context):
        scope = scope_from_proto(request.scope) if request.HasField("scope") else None
        caller = current_identity()  # the grant is for the verified caller only
        order = rights.IssueScopeGrant(scope, caller.principal, caller.groups)
        issued = await asyncio.to_thread(rights.issue_scope_grant, order, self.entitlements, self.keys, self.grant_ttl)
        return scope_pb2.ScopeGrant(token=issued.token, key_id=issued.kid, expires_at=issued.expires_at.isoformat(),
                                    scope=scope_to_proto(issued.scope) if issued.scope else None)

    async def DescribeScope(self, request, context):
        order = DescribeScope(request.client_id, request.pbm_id, request.tpa_id if request.HasField("tpa_id") else None,
                              tuple(request.group_ids))
        names = await asyncio.to_thread(handlers.describe_scope, order, self.registry, self.entitlements,
                                        current_identity().principals)
        return scope_pb2.ScopeNames(client_name=names.client or "", pbm_name=names.pbm or "", tpa_name=names.tpa or "",
                                    groups=[scope_pb2.GroupName(group_id=g, name=n) for g, n in names.groups])
