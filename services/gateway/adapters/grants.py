"""Scope grants for the gateway's callers, from the scope service: exact grants per request, read grants cached.

The scope service issues a grant for the verified identity a call carries (never for a name in the request),
so every IssueScopeGrant goes out with the caller's signed identity.
A read grant (everything the caller may see, for data asked for by id) is reused until half its life is
gone, so a burst of GETs costs one IssueScopeGrant; a revoked entitlement therefore stops reads within
half a grant's lifetime (150 s by default) — at once on the gateway replica that made the change, which
drops the cached grants of that principal. A grant over no areas is never cached, so an entitlement
granted a moment later is seen on the next request. Concurrent misses for one caller share one call;
callers never wait on each other's. Exact grants (to compute or check a scope) are never cached.
"""
from __future__ import annotations

import asyncio
import functools
import time
from datetime import UTC, datetime

import jwt

from kernel.grants import Grant
from leaf.common.v1 import common_pb2
from leaf.scope.v1 import scope_pb2
from runtime.clients import call
from runtime.grant_tokens import METADATA_KEY, read_unverified
from services.gateway.adapters.callers import CallerAssertions, mesh_names
from services.gateway.domain.identity import Identity

Metadata = tuple[tuple[str, str], ...]
Key = tuple[str, tuple[str, ...]]  # the caller's principal and group principals: what a read grant depends on


def grant_request(scope: common_pb2.ExactScope | None = None) -> scope_pb2.IssueScopeGrantRequest:
    request = scope_pb2.IssueScopeGrantRequest()
    if scope is not None:
        request.scope.CopyFrom(scope)
    return request


def has_areas(token: str) -> bool:
    """Whether a grant names any area. Not verified: the gateway just got it from the scope service, and only
    decides here whether it is worth keeping; every service verifies it when it is used."""
    try:
        areas = jwt.decode(token, options={"verify_signature": False}).get("areas")
    except jwt.InvalidTokenError:
        return False
    return bool(areas)


@functools.lru_cache(maxsize=1024)
def _parsed(token: str) -> Grant:
    return read_unverified(token)


class Grants:
    def __init__(self, scope_stub, callers: CallerAssertions, timeout: float) -> None:
        self.scope = scope_stub
        self.callers = callers
        self.timeout = timeout
        self._reads: dict[Key, tuple[float, Metadata]] = {}
        self._pending: dict[Key, asyncio.Task] = {}
        self._epoch = 0  # bumped by forget(): a fetch begun before a change must not cache what it got

    async def for_scope(self, identity: Identity, scope: common_pb2.ExactScope,
                        timeout: float | None = None) -> tuple[Metadata, common_pb2.ExactScope]:
        """A grant for the scope narrowed to the caller's entitlement, and that granted scope (NotFound if none)."""
        grant = await call(self.scope.IssueScopeGrant, grant_request(scope), timeout=timeout or self.timeout,
                           metadata=self.callers.metadata(identity), retries=2)
        return ((METADATA_KEY, grant.token),), grant.scope

    async def for_reads(self, identity: Identity, timeout: float | None = None) -> Metadata:
        key = mesh_names(identity)
        cached = self._reads.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        fetching = self._pending.get(key)
        if fetching is None:
            fetching = asyncio.ensure_future(self._fetch(key, identity, timeout or self.timeout))
            self._pending[key] = fetching
            fetching.add_done_callback(lambda done: self._pending.pop(key, None) if self._pending.get(key) is done
                                       else None)
        # Shielded: one caller giving up (a closed connection) must not cancel the call the others wait for.
        return await asyncio.shield(fetching)

    async def read_grant(self, identity: Identity, timeout: float | None = None) -> tuple[Metadata, Grant]:
        """The caller's read grant (as `for_reads`) and what it grants, parsed once per token: the gateway checks a
        cached published run against it exactly as calc and the publisher would."""
        metadata = await self.for_reads(identity, timeout)
        return metadata, _parsed(dict(metadata)[METADATA_KEY])

    async def _fetch(self, key: Key, identity: Identity, timeout: float) -> Metadata:
        epoch = self._epoch
        grant = await call(self.scope.IssueScopeGrant, grant_request(), timeout=timeout,
                           metadata=self.callers.metadata(identity), retries=2)
        metadata = ((METADATA_KEY, grant.token),)
        if epoch == self._epoch and has_areas(grant.token):
            expires = datetime.fromisoformat(grant.expires_at)
            half_life = max((expires - datetime.now(UTC)).total_seconds() / 2, 0)
            self._reads[key] = (time.monotonic() + half_life, metadata)
        return metadata

    def forget(self, principal: str) -> None:
        """Drop the cached read grants of every caller that is, or is a member of, `principal` (its entitlements
        just changed here)."""
        self._epoch += 1
        concerned = lambda key: key[0] == principal or principal in key[1]  # noqa: E731
        for key in [k for k in self._reads if concerned(k)]:
            del self._reads[key]
        for key in [k for k in self._pending if concerned(k)]:
            del self._pending[key]  # a call begun before the change finishes for its waiters, and is shared no more
