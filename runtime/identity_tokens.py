"""A verified caller identity on every internal call: who is calling, their groups, and whether they are an operator.

The identity as a value is the kernel's (kernel/identity.py: CallerIdentity, operator_of); this is how it travels.

The gateway (for the person or service token it authenticated) and a service acting for itself (a
`workload:` principal) sign a short-lived assertion — an HS256 JWT under LEAF_IDENTITY_KEYS, iss
"leaf.identity", aud "leaf.mesh" — and send it in gRPC metadata under `x-leaf-identity`, next to any scope
grant. Every service verifies it on every method but health and reflection (runtime/identity_guard.py), so
no service believes a name a request message carries: the scope service issues grants for this identity
only, and operator actions record this identity as the operator.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime

from kernel import principals
from kernel.errors import InputError
from kernel.identity import CALLER_KINDS, CallerIdentity, IdentityRefused
from runtime import signed_tokens
from runtime.identity_keys import DEFAULT_TTL_SECONDS, IdentityKeys

METADATA_KEY = "x-leaf-identity"
ISSUER = "leaf.identity"
AUDIENCE = "leaf.mesh"
WHAT = "the caller identity"
REQUIRED_CLAIMS = ("principal", "groups", "operator", "iat", "exp", "iss", "aud")


def sign(principal: str, groups: Sequence[str], operator: bool, keys: IdentityKeys, ttl: int = DEFAULT_TTL_SECONDS,
         now: datetime | None = None) -> tuple[str, datetime]:
    """An assertion for the caller, signed with the current key: (token, expires_at). Bad names are InputError."""
    caller = _checked(principal, groups, operator)
    claims = {"principal": caller[0], "groups": list(caller[1]), "operator": operator, "iss": ISSUER, "aud": AUDIENCE}
    token, _, expires = signed_tokens.sign(claims, keys, ttl, now)
    return token, expires


def _checked(principal: str, groups: Sequence[str], operator: bool) -> tuple[str, tuple[str, ...]]:
    who = principals.principal(principal, CALLER_KINDS)
    if operator and not who.startswith(f"{principals.USER}:"):
        raise InputError("bad_input:principal", "only a user: principal can be an operator")
    return who, tuple(principals.principal(g, {principals.GROUP}) for g in groups)


def verify(token: str | None, keys: IdentityKeys, now: datetime | None = None) -> CallerIdentity:
    """The identity a token asserts, or IdentityRefused; the message never echoes the token."""
    if not token:
        raise IdentityRefused("identity_missing", f"this call needs a caller identity in the {METADATA_KEY} metadata")
    # Time is checked against `now`, so tests control the clock.
    claims, kid = signed_tokens.decode(token, keys, what=WHAT, required=REQUIRED_CLAIMS, issuer=ISSUER,
                                       audience=AUDIENCE, invalid=_invalid)
    identity = _identity(claims, kid)
    signed_tokens.check_times(identity.issued_at, identity.expires_at, now, what=WHAT, invalid=_invalid,
                              expired=IdentityRefused("identity_expired", "the caller identity has expired"))
    return identity


def _identity(claims: dict, kid: str) -> CallerIdentity:
    try:
        if not isinstance(claims["operator"], bool) or not isinstance(claims["groups"], list):
            raise ValueError("ill-typed claims")
        who, groups = _checked(claims["principal"], claims["groups"], claims["operator"])
        issued = datetime.fromtimestamp(int(claims["iat"]), UTC)
        expires = datetime.fromtimestamp(int(claims["exp"]), UTC)
    except Exception:  # a signed but ill-formed identity is as good as none
        raise _invalid("the caller identity's claims are malformed") from None
    return CallerIdentity(who, groups, claims["operator"], issued, expires, kid)


def _invalid(message: str) -> IdentityRefused:
    return IdentityRefused("identity_invalid", message)


def with_identity(metadata: Sequence[tuple[str, str]] | None, token: str) -> tuple[tuple[str, str], ...]:
    """Outgoing call metadata carrying `token` (replacing any identity already there)."""
    return signed_tokens.with_token(metadata, METADATA_KEY, token)


class SignedAssertions:
    """Signs assertions and reuses each for half its life, so a burst of calls for one caller costs one HMAC and a
    reused assertion still has at least half its life left for the calls it is forwarded on to."""

    MAX_CACHED = 10_000  # callers seen within half a life; past it the expired ones go, then all

    def __init__(self, keys: IdentityKeys, ttl: int = DEFAULT_TTL_SECONDS) -> None:
        self.keys = keys
        self.ttl = ttl
        self._cached: dict[tuple[str, tuple[str, ...], bool], tuple[float, str]] = {}

    def token(self, principal: str, groups: Sequence[str] = (), operator: bool = False) -> str:
        key = (principal, tuple(groups), operator)
        cached = self._cached.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        token, _ = sign(principal, groups, operator, self.keys, self.ttl)
        if len(self._cached) >= self.MAX_CACHED:
            now = time.monotonic()
            self._cached = {k: v for k, v in self._cached.items() if v[0] > now}
            if len(self._cached) >= self.MAX_CACHED:
                self._cached.clear()
        self._cached[key] = (time.monotonic() + self.ttl / 2, token)
        return token

    def metadata(self, principal: str, groups: Sequence[str] = (), operator: bool = False) -> tuple[tuple[str, str]]:
        return ((METADATA_KEY, self.token(principal, groups, operator)),)
