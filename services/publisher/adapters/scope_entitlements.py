"""The scope service as the publisher reads it: the entitlement table for Domo's policies, and a run's names.

Publishing is served for an analyst whose identity may list nothing, so the entitlement listing carries the
publisher's own signed identity instead of forwarding the caller's; the scope service lets that one workload (and
operators) list entitlements. The names of a run's scope are asked for as the caller (its identity is forwarded):
the scope service names only a client that caller is entitled to, so no other client's name can reach a deliverable.
"""
from __future__ import annotations

import logging

from kernel import principals
from kernel.errors import NotFound
from kernel.scope import Scope
from leaf.scope.v1 import scope_pb2
from runtime.clients import call
from runtime.identity_tokens import SignedAssertions
from services.publisher.domain.domo_plan import Entitlement
from services.publisher.domain.domo_principals import domo_entitlements
from services.publisher.domain.run_context import Names

WORKLOAD = principals.workload("publisher")
log = logging.getLogger(__name__)


class ScopeEntitlements:
    def __init__(self, scope_stub, assertions: SignedAssertions) -> None:
        self.scope = scope_stub
        self.assertions = assertions

    async def for_domo(self) -> list[Entitlement]:
        """Every entitlement Domo can carry, as (Domo principal, client_id, group_ids or None for all)."""
        reply = await call(self.scope.ListEntitlements, scope_pb2.ListEntitlementsRequest(),
                           metadata=self.assertions.metadata(WORKLOAD))
        return domo_entitlements((e.principal, e.client_id, tuple(e.group_ids) or None) for e in reply.entitlements)

    async def names_of(self, scope: Scope) -> Names:
        """The registry's names for the scope's client, PBM, TPA and groups, as the caller may see them; ids only
        (and a warning) when the caller's identity is not entitled to the client, e.g. a test's signed grant."""
        request = scope_pb2.DescribeScopeRequest(client_id=scope.client_id, pbm_id=scope.pbm_id,
                                                 group_ids=scope.group_ids, tpa_id=scope.tpa_id)
        try:
            reply = await call(self.scope.DescribeScope, request, retries=2)   # a read: idempotent
        except NotFound:
            log.warning("scope names not given to this caller: the deliverables show ids only")
            return Names()
        return Names(reply.client_name or None, reply.pbm_name or None, reply.tpa_name or None,
                     tuple((g.group_id, g.name) for g in reply.groups))
