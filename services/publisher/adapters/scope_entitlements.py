"""The scope service's entitlement table, read by the publisher as itself (`workload:publisher`) for Domo's policies.

Publishing is served for an analyst whose identity may list nothing, so this call carries the publisher's
own signed identity instead of forwarding the caller's; the scope service lets that one workload (and
operators) list entitlements.
"""
from __future__ import annotations

from leaf.scope.v1 import scope_pb2
from runtime import principals
from runtime.clients import call
from runtime.identity import SignedAssertions
from services.publisher.domain.domo_plan import Entitlement
from services.publisher.domain.domo_principals import domo_entitlements

WORKLOAD = principals.workload("publisher")


class ScopeEntitlements:
    def __init__(self, scope_stub, assertions: SignedAssertions) -> None:
        self.scope = scope_stub
        self.assertions = assertions

    async def for_domo(self) -> list[Entitlement]:
        """Every entitlement Domo can carry, as (Domo principal, client_id, group_ids or None for all)."""
        reply = await call(self.scope.ListEntitlements, scope_pb2.ListEntitlementsRequest(),
                           metadata=self.assertions.metadata(WORKLOAD))
        return domo_entitlements((e.principal, e.client_id, tuple(e.group_ids) or None) for e in reply.entitlements)
