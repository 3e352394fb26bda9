"""Who is calling: the APIM gate, then the Cloudflare Access token → Identity, as a FastAPI dependency."""
from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from services.gateway.adapters import dev_keys
from services.gateway.adapters.access_jwt import MISSING, AccessVerifier, SigningKeys, certs_url_of, issuer_of, refused, team_keys
from services.gateway.domain.identity import Identity
from services.gateway.settings import AccessSettings

log = logging.getLogger(__name__)

TOKEN_HEADER = "Cf-Access-Jwt-Assertion"
TOKEN_COOKIE = "CF_Authorization"  # what Cloudflare sets for browsers; it carries the same application token


class Authenticator:
    """Checks a request's credentials; `apim_secret` None means APIM is not in front (dev) and is not checked."""

    def __init__(self, verifier: AccessVerifier, apim_header: str, apim_secret: str | None) -> None:
        self.verifier = verifier
        self.apim_header = apim_header
        self.apim_secret = apim_secret.encode() if apim_secret is not None else None

    def authenticate(self, headers: Mapping[str, str], cookies: Mapping[str, str]) -> Identity:
        return self.verifier.verify(self._token(headers, cookies))

    def already_verified(self, headers: Mapping[str, str], cookies: Mapping[str, str]) -> Identity | None:
        """The caller's Identity when its token was verified before and has not expired, without any I/O; None: call
        `authenticate` (which may fetch the JWKS)."""
        return self.verifier.cached(self._token(headers, cookies))

    def _token(self, headers: Mapping[str, str], cookies: Mapping[str, str]) -> str:
        self._came_through_apim(headers)
        token = headers.get(TOKEN_HEADER) or cookies.get(TOKEN_COOKIE)
        if not token:
            raise refused(f"no {TOKEN_HEADER} header and no {TOKEN_COOKIE} cookie", MISSING)
        return token

    def _came_through_apim(self, headers: Mapping[str, str]) -> None:
        if self.apim_secret is None:
            return
        presented = headers.get(self.apim_header)
        if presented is None:
            raise refused(f"no {self.apim_header} header: the request did not come through APIM", MISSING)
        # Constant time: the comparison must not tell a caller how much of the secret it guessed.
        if not hmac.compare_digest(presented.encode(), self.apim_secret):
            raise refused(f"wrong {self.apim_header} value: the request did not come through APIM")


def build_authenticator(settings: AccessSettings, keys: SigningKeys | None = None) -> Authenticator:
    """Cloudflare's JWKS when configured, else the dev key; `keys` replaces the JWKS client (tests: a local server)."""
    secret = settings.LEAF_APIM_SECRET.get_secret_value() if settings.LEAF_APIM_SECRET else None
    if settings.uses_dev_key:
        verifier = dev_keys.dev_verifier()
    else:
        domain = settings.LEAF_CF_ACCESS_TEAM_DOMAIN
        keys = keys or team_keys(settings.LEAF_CF_ACCESS_JWKS_URL or certs_url_of(domain))
        verifier = AccessVerifier(keys, audience=settings.LEAF_CF_ACCESS_AUD, issuer=issuer_of(domain))
    log.info("gateway authentication: %s", "dev signing key" if settings.uses_dev_key else "Cloudflare Access",
             extra={"apim_checked": secret is not None})
    return Authenticator(verifier, settings.LEAF_APIM_HEADER, secret)


async def authenticate(request: Request) -> Identity:
    """FastAPI dependency: the caller's Identity, or Unauthenticated (401 problem+json).

    A token verified before (and not expired) is answered at once; any other is verified in the threadpool, since
    a JWKS fetch blocks on the network.
    """
    authenticator: Authenticator = request.app.state.authenticator
    identity = authenticator.already_verified(request.headers, request.cookies)
    if identity is None:
        identity = await run_in_threadpool(authenticator.authenticate, request.headers, request.cookies)
    request.state.identity = identity
    return identity
