"""ScopeService over gRPC: translate proto → command → handler → proto, nothing more."""
from __future__ import annotations

import asyncio

from leaf.scope.v1 import scope_pb2, scope_pb2_grpc

from runtime.convert import scope_to_proto
from services.scope.adapters.repository import SqlRegistryRepository
from services.scope.domain.resolution import ResolveScope
from services.scope.service_layer import handlers

STATE = {
    "exact": scope_pb2.EXACT, "ambiguous": scope_pb2.AMBIGUOUS, "unknown": scope_pb2.UNKNOWN,
    "conflicting": scope_pb2.CONFLICTING, "out_of_coverage": scope_pb2.OUT_OF_COVERAGE,
}


class ScopeServicer(scope_pb2_grpc.ScopeServiceServicer):
    def __init__(self, registry: SqlRegistryRepository) -> None:
        self.registry = registry

    async def ResolveScope(self, request, context):
        order = ResolveScope(client=request.client, pbm=request.pbm, date_from=request.date_from, date_to=request.date_to,
                             tpa=request.tpa if request.HasField("tpa") else None, group_ids=tuple(request.group_ids))
        result = await asyncio.to_thread(handlers.resolve_scope, order, self.registry)
        reply = scope_pb2.ResolveScopeResponse(state=STATE[result.state.value], reasons=result.reasons)
        if result.scope is not None:
            reply.exact.CopyFrom(scope_to_proto(result.scope))
        for client, plan in result.candidates:
            reply.candidates.add(client_id=client.client_id, client_name=client.name, pbm_id=plan.pbm_id, tpa_id=plan.tpa_id,
                                 valid_from=plan.valid_from.isoformat(), valid_to=plan.valid_to.isoformat())
        return reply

    async def ListClients(self, request, context):
        clients = await asyncio.to_thread(handlers.list_clients, self.registry)
        return scope_pb2.ListClientsResponse(
            clients=[scope_pb2.Client(client_id=c.client_id, name=c.name, region=c.region) for c in clients]
        )
