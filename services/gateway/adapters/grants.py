"""Scope grants for the gateway's callers, from the scope service: exact grants per request, read grants cached.

A read grant (everything the caller may see, for data asked for by id) is reused until half its life is
gone, so a burst of GETs costs one IssueScopeGrant; a revoked entitlement therefore stops reads within
half a grant's lifetime (150 s by default). Exact grants (to compute or check a scope) are never cached.
"""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone

from leaf.common.v1 import common_pb2
from leaf.scope.v1 import scope_pb2

from runtime.clients import call
from runtime.grants import METADATA_KEY
from services.gateway.domain.identity import Identity

Metadata = tuple[tuple[str, str], ...]


def grant_request(identity: Identity, scope: common_pb2.ExactScope | None = None) -> scope_pb2.IssueScopeGrantRequest:
    request = scope_pb2.IssueScopeGrantRequest(principal=identity.principal, principal_groups=identity.groups)
    if scope is not None:
        request.scope.CopyFrom(scope)
    return request


class Grants:
    def __init__(self, scope_stub, timeout: float) -> None:
        self.scope = scope_stub
        self.timeout = timeout
        self._reads: dict[tuple[str, tuple[str, ...]], tuple[float, Metadata]] = {}
        self._lock = asyncio.Lock()

    async def for_scope(self, identity: Identity, scope: common_pb2.ExactScope,
                        timeout: float | None = None) -> tuple[Metadata, common_pb2.ExactScope]:
        """A grant for the scope narrowed to the caller's entitlement, and that granted scope (NotFound if none)."""
        grant = await call(self.scope.IssueScopeGrant, grant_request(identity, scope), timeout=timeout or self.timeout,
                           retries=2)
        return ((METADATA_KEY, grant.token),), grant.scope

    async def for_reads(self, identity: Identity, timeout: float | None = None) -> Metadata:
        key = (identity.principal, identity.groups)
        cached = self._reads.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        async with self._lock:
            grant = await call(self.scope.IssueScopeGrant, grant_request(identity), timeout=timeout or self.timeout,
                               retries=2)
        expires = datetime.fromisoformat(grant.expires_at)
        half_life = max((expires - datetime.now(timezone.utc)).total_seconds() / 2, 0)
        metadata = ((METADATA_KEY, grant.token),)
        self._reads[key] = (time.monotonic() + half_life, metadata)
        return metadata
