"""Cloudflare Access JWTs: RS256 against the team's JWKS, then audience, issuer and time checks → an Identity."""
from __future__ import annotations

import logging
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

import jwt

from kernel.errors import Unauthenticated, Unavailable
from services.gateway.domain.identity import Identity

log = logging.getLogger(__name__)

# Cloudflare signs with RS256 only. Naming the one algorithm is what refuses `alg: none` and an HS256
# token whose HMAC secret is our public key (algorithm confusion).
ALGORITHMS = ["RS256"]
LEEWAY_SECONDS = 30
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud"]
# The longest a token may live (exp - iat). An Access application token lives as long as the application's session
# duration: 24 h by Cloudflare's default, though it may be set up to 730 h. A longer-lived token is refused, so the
# application must keep 24 h or less, and a token copied out of a browser is worth at most a day.
MAX_LIFETIME_SECONDS = 24 * 3600
JWKS_LIFESPAN_SECONDS = 300
# At most one forced JWKS fetch per cooldown however many unknown kids arrive (PyJWT >= 2.14);
# the price is that a key rotated in within the cooldown waits for it.
JWKS_REFRESH_COOLDOWN_SECONDS = 30.0
JWKS_TIMEOUT_SECONDS = 5.0
# Far above any real Access token; stops a huge header from reaching base64 and JSON parsing.
MAX_TOKEN_CHARS = 16_384

# A verified token's identity is kept (by the token itself) until the token expires as PyJWT judges it (exp plus the
# leeway), and never longer than the JWKS is cached: a key withdrawn from the JWKS stops its tokens as before.
VERIFIED_TOKENS = 4096
VERIFIED_SECONDS = JWKS_LIFESPAN_SECONDS
SIGNING_KEYS = 16  # kids kept, each as long as the JWKS is cached

MISSING = "missing credentials"
INVALID = "invalid credentials"


class SigningKeys(Protocol):
    """Finds the public key a token names by its `kid` (PyJWKClient is one)."""

    def get_signing_key_from_jwt(self, token: str) -> jwt.PyJWK: ...


def issuer_of(team_domain: str) -> str:
    return f"https://{team_domain}"


def certs_url_of(team_domain: str) -> str:
    return f"https://{team_domain}/cdn-cgi/access/certs"


def team_keys(jwks_url: str, *, cooldown_seconds: float = JWKS_REFRESH_COOLDOWN_SECONDS,
              ssl_context: ssl.SSLContext | None = None) -> jwt.PyJWKClient:
    """The team's JWKS, cached; an unknown kid refetches it once, then not again until the cooldown has passed."""
    return jwt.PyJWKClient(jwks_url, cache_jwk_set=True, lifespan=JWKS_LIFESPAN_SECONDS, timeout=JWKS_TIMEOUT_SECONDS,
                           ssl_context=ssl_context, cooldown_duration=cooldown_seconds)


def refused(reason: str, detail: str = INVALID) -> Unauthenticated:
    """One code and a generic detail for the caller; the specific reason only in the server's log."""
    log.info("caller not authenticated: %s", reason)
    return Unauthenticated("unauthenticated", detail)


class AccessVerifier:
    """Verifies one Cloudflare Access application token; every failure is Unauthenticated, with one code."""

    def __init__(self, keys: SigningKeys, audience: str, issuer: str, leeway: int = LEEWAY_SECONDS,
                 clock: Callable[[], float] = time.time) -> None:
        self.keys = keys
        self.audience = audience
        self.issuer = issuer
        self.leeway = leeway
        self.clock = clock
        self._verified: OrderedDict[str, tuple[float, Identity]] = OrderedDict()
        self._signing: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def verify(self, token: str) -> Identity:
        known = self.cached(token)
        if known is not None:
            return known
        claims = self.claims(token)
        identity = identity_of(claims)
        now = self.clock()
        until = min(float(claims["exp"]) + self.leeway, now + VERIFIED_SECONDS)
        with self._lock:
            self._verified[token] = (until, identity)
            self._verified.move_to_end(token)
            while len(self._verified) > VERIFIED_TOKENS:
                self._verified.popitem(last=False)
        return identity

    def cached(self, token: str) -> Identity | None:
        """The identity of a token verified before and not yet expired (as PyJWT judges exp, with the leeway);
        None means: verify it in full (an expired one is then refused as any expired token is)."""
        with self._lock:
            found = self._verified.get(token)
            if found is None:
                return None
            if self.clock() >= found[0]:
                del self._verified[token]
                return None
            self._verified.move_to_end(token)
            return found[1]

    def _signing_key(self, token: str):
        """The key of the token's kid, kept as long as the JWKS is (PyJWKClient re-parses its JWKS on every call)."""
        kid = jwt.get_unverified_header(token).get("kid")
        now = self.clock()
        found = self._signing.get(kid) if isinstance(kid, str) else None
        if found is not None and found[0] > now:
            return found[1]
        key = self.keys.get_signing_key_from_jwt(token)
        if isinstance(kid, str):
            with self._lock:
                if len(self._signing) >= SIGNING_KEYS:
                    self._signing.clear()
                self._signing[kid] = (now + JWKS_LIFESPAN_SECONDS, key)
        return key

    def claims(self, token: str) -> dict[str, Any]:
        if len(token) > MAX_TOKEN_CHARS:
            raise refused(f"token longer than {MAX_TOKEN_CHARS} characters")
        try:
            key = self._signing_key(token)
            claims = jwt.decode(token, key, algorithms=ALGORITHMS, audience=self.audience, issuer=self.issuer,
                                leeway=self.leeway, options={"require": REQUIRED_CLAIMS})
        except jwt.PyJWKClientConnectionError as exc:
            # Our fault, not the caller's: their token may be fine, so say "retry" rather than "invalid".
            log.warning("access JWKS unreachable: %s", exc)
            raise Unavailable("authentication_unavailable", "the sign-in keys could not be fetched; retry") from None
        except jwt.PyJWTError as exc:
            raise refused(f"{type(exc).__name__}: {exc}") from None
        lifetime = int(claims["exp"]) - int(claims["iat"])  # PyJWT took both as int() too ("1700000000" passes)
        if lifetime > MAX_LIFETIME_SECONDS:
            raise refused(f"token lives {lifetime} s, more than {MAX_LIFETIME_SECONDS} s")
        return claims


def identity_of(claims: dict[str, Any]) -> Identity:
    """A user has an email; a service token (Domo connectors) has a common_name and no email."""
    email, common_name = claims.get("email"), claims.get("common_name")
    subject = claims.get("sub") if isinstance(claims.get("sub"), str) else ""
    if isinstance(email, str) and email:
        return Identity.user(email, subject or email, _groups(claims))
    if isinstance(common_name, str) and common_name:
        return Identity.service(common_name, subject)
    raise refused("token names neither an email nor a service common_name")


def _groups(claims: dict[str, Any]) -> tuple[str, ...]:
    # Cloudflare puts custom OIDC/SAML claims under `custom`; a top-level `groups` is accepted too.
    custom = claims.get("custom")
    groups = custom["groups"] if isinstance(custom, dict) and "groups" in custom else claims.get("groups", [])
    if isinstance(groups, str):  # a single-valued SAML attribute arrives as a string
        groups = [groups]
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        # Groups decide entitlements: a shape we do not understand is refused, not guessed at.
        raise refused("groups claim is not a list of strings")
    return tuple(groups)
