"""Signed scope grants: the scope service issues them, every service verifies them (dual enforcement).

What a grant allows is the kernel's (kernel/grants.py: Area, Grant); this is how it travels. A grant is a
short-lived JWT (HS256, see runtime/grant_keys.py) carried in gRPC metadata under `x-leaf-scope-grant`. An
exact grant names one scope (to compute or check it); a read grant names the caller's areas (clients,
optionally narrowed to groups) for data asked for by id. A service answers only for data inside the grant it
was given.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import jwt

from kernel.grants import Area, Grant, GrantRefused
from kernel.scope import Scope
from runtime import signed_tokens
from runtime.grant_keys import GrantKeys

METADATA_KEY = "x-leaf-scope-grant"
ISSUER = "leaf.scope"
WHAT = "the scope grant"
DEFAULT_TTL_SECONDS = 300
REQUIRED_CLAIMS = ("principal", "areas", "iat", "exp")


def issue(scope: Scope, principal: str, keys: GrantKeys, ttl: int = DEFAULT_TTL_SECONDS,
          now: datetime | None = None) -> tuple[str, str, datetime]:
    """A token for one exact `scope`, signed with the current key: (token, kid, expires_at)."""
    scoped = {**scope.canonical(), "scope_hash": scope.scope_hash}
    return _sign({"scope": scoped, "areas": [[scope.client_id, list(scope.group_ids)]]}, principal, keys, ttl, now)


def issue_read(areas: Sequence[Area], principal: str, keys: GrantKeys, ttl: int = DEFAULT_TTL_SECONDS,
               now: datetime | None = None) -> tuple[str, str, datetime]:
    """A read grant over the caller's areas (for data asked for by id: a run, its artifacts, a packet)."""
    listed = [[a.client_id, sorted(a.group_ids)] for a in sorted(areas, key=lambda a: a.client_id)]
    return _sign({"areas": listed}, principal, keys, ttl, now)


def _sign(body: dict, principal: str, keys: GrantKeys, ttl: int, now: datetime | None) -> tuple[str, str, datetime]:
    return signed_tokens.sign({**body, "principal": principal, "iss": ISSUER}, keys, ttl, now)


def verify(token: str | None, keys: GrantKeys, now: datetime | None = None) -> Grant:
    """The grant a token carries, or GrantRefused; the message never echoes the token."""
    if not token:
        raise GrantRefused("scope_grant_missing", f"this call needs a scope grant in the {METADATA_KEY} metadata")
    # Time is checked against `now`, so tests and replays control the clock.
    claims, kid = signed_tokens.decode(token, keys, what=WHAT, required=[*REQUIRED_CLAIMS, "iss"], issuer=ISSUER,
                                       invalid=_invalid)
    grant = _grant(claims, kid)
    signed_tokens.check_times(grant.issued_at, grant.expires_at, now, what=WHAT, invalid=_invalid, expired=GrantRefused(
        "scope_grant_expired", "the scope grant has expired; ask the scope service for a new one"))
    return grant


def read_unverified(token: str) -> Grant:
    """The grant a token carries, its signature and times NOT checked: only for the holder that was just handed the
    token by the scope service (the gateway deciding what its cache of published runs may answer, with the grant it
    would otherwise send). A token that does not parse is a grant over nothing."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        return _grant(jwt.decode(token, options={"verify_signature": False}), kid if isinstance(kid, str) else "")
    except (jwt.InvalidTokenError, GrantRefused, KeyError):
        epoch = datetime.fromtimestamp(0, UTC)
        return Grant(None, (), "", epoch, epoch, "")


def _grant(claims: dict, kid: str) -> Grant:
    try:
        scoped = claims.get("scope")
        scope = None
        if scoped is not None:
            scope = Scope.parse(scoped["client_id"], scoped["pbm_id"], scoped["date_from"], scoped["date_to"],
                                scoped.get("tpa_id"), tuple(scoped["group_ids"]))
        areas = tuple(Area(str(client), tuple(str(g) for g in groups)) for client, groups in claims["areas"])
        issued = datetime.fromtimestamp(int(claims["iat"]), UTC)
        expires = datetime.fromtimestamp(int(claims["exp"]), UTC)
    except Exception:  # a signed but ill-formed grant is as good as none
        raise _invalid("the scope grant's scope is malformed") from None
    if (scope is not None and scope.scope_hash != (scoped or {}).get("scope_hash")) or not isinstance(claims["principal"], str):
        raise _invalid("the scope grant's scope_hash does not match its scope")
    return Grant(scope, areas, claims["principal"], issued, expires, kid)


def _invalid(message: str) -> GrantRefused:
    return GrantRefused("scope_grant_invalid", message)


def grant_from_context(context, keys: GrantKeys, now: datetime | None = None) -> Grant:
    """The verified grant of an incoming grpc.aio call (its invocation metadata)."""
    metadata = context.invocation_metadata() or ()
    token = next((value for key, value in metadata if key == METADATA_KEY), None)
    return verify(token, keys, now)


def with_grant(metadata: Sequence[tuple[str, str]] | None, token: str) -> tuple[tuple[str, str], ...]:
    """Outgoing call metadata carrying `token` (replacing any grant already there)."""
    return signed_tokens.with_token(metadata, METADATA_KEY, token)
