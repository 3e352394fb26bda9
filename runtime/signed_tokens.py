"""Short-lived HS256 JWTs under a signing-key ring: how scope grants and caller identities are signed, checked and
carried in gRPC metadata (runtime/grant_tokens.py, runtime/identity_tokens.py say what each one holds)."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import jwt

from runtime.signing_keys import SigningKeys

ALGORITHM = "HS256"
CLOCK_SKEW = timedelta(seconds=30)  # tolerated for iat only; exp is never stretched


def sign(claims: dict, keys: SigningKeys, ttl: int, now: datetime | None = None) -> tuple[str, str, datetime]:
    """`claims` with iat and exp added, signed with the current key: (token, kid, expires_at)."""
    issued = (now or datetime.now(UTC)).replace(microsecond=0)
    expires = issued + timedelta(seconds=ttl)
    kid, secret = keys.current
    body = {**claims, "iat": int(issued.timestamp()), "exp": int(expires.timestamp())}
    return jwt.encode(body, secret, algorithm=ALGORITHM, headers={"kid": kid}), kid, expires


def decode(token: str, keys: SigningKeys, *, what: str, required: Sequence[str], issuer: str,
           invalid: Callable[[str], Exception], audience: str | None = None) -> tuple[dict, str]:
    """The claims of a token signed by a key of `keys`, and that key's id; else `invalid(message)`, a message that
    names `what` and never echoes the token. Times are the caller's to check (check_times), against its clock."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        secret = keys.secret_for(kid) if isinstance(kid, str) else None
        if not isinstance(kid, str) or secret is None:
            raise invalid(f"{what} is signed by an unknown key")
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=issuer, audience=audience,
                            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False,
                                     "require": list(required)})
    except jwt.InvalidTokenError:
        raise invalid(f"{what} is malformed or its signature does not match") from None
    return claims, kid


def check_times(issued_at: datetime, expires_at: datetime, now: datetime | None, *, what: str, expired: Exception,
                invalid: Callable[[str], Exception]) -> None:
    """`expired` once the token's life is over; `invalid` when it claims to be issued in the future."""
    now = now or datetime.now(UTC)
    if expires_at <= now:
        raise expired
    if issued_at > now + CLOCK_SKEW:
        raise invalid(f"{what} is issued in the future")


def with_token(metadata: Sequence[tuple[str, str]] | None, key: str, token: str) -> tuple[tuple[str, str], ...]:
    """Outgoing call metadata carrying `token` under `key`, replacing any token already there."""
    kept = tuple((k, v) for k, v in (metadata or ()) if k != key)
    return (*kept, (key, token))
