"""The local dev signing key (LEAF_HOME/keys/dev_access_key.pem) and its JWKS: Cloudflare Access on one machine.

Dev tokens go through the same AccessVerifier as Cloudflare's, with a dev issuer and audience;
production settings refuse this key, so a dev token never opens a production gateway.
"""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from runtime.keys import local_key_file
from services.gateway.adapters.access_jwt import AccessVerifier, certs_url_of, issuer_of

DEV_TEAM_DOMAIN = "leaf-dev.cloudflareaccess.com"
DEV_ISSUER = issuer_of(DEV_TEAM_DOMAIN)
DEV_AUDIENCE = "leaf-dev"
DEV_EMAIL = "developer@leaf.local"
KEY_FILE = "dev_access_key.pem"


def _new_private_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def dev_private_key() -> rsa.RSAPrivateKey:
    """The dev key, made on first use and kept (mode 0600) so tokens stay valid across restarts."""
    return serialization.load_pem_private_key(local_key_file(KEY_FILE, _new_private_pem), password=None)


def public_jwk(private_key: rsa.RSAPrivateKey) -> dict[str, Any]:
    """The public half as a JWK whose kid is its RFC 7638 thumbprint: a regenerated key gets a new kid."""
    jwk = RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True)
    kid = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


class InProcessJWKS(jwt.PyJWKClient):
    """A PyJWKClient whose endpoint is a JWKS held in memory, so dev keys take the same kid lookup as Cloudflare's.

    PyJWT supports overriding `fetch_data`; the URL is never requested.
    """

    def __init__(self, jwks: dict[str, Any]) -> None:
        super().__init__(certs_url_of(DEV_TEAM_DOMAIN), cooldown_duration=0)
        self.jwks = jwks

    def fetch_data(self) -> dict[str, Any]:
        return self.jwks


def dev_verifier() -> AccessVerifier:
    jwks = {"keys": [public_jwk(dev_private_key())]}
    return AccessVerifier(InProcessJWKS(jwks), audience=DEV_AUDIENCE, issuer=DEV_ISSUER)


def mint_dev_token(*, email: str = DEV_EMAIL, groups: tuple[str, ...] = (), service: str | None = None,
                   ttl: int = 3600, issued_at: int | None = None) -> str:
    """A token shaped like Cloudflare's: a user (email, groups) or, with `service`, a service token (common_name, no email)."""
    private_key = dev_private_key()
    now = int(time.time()) if issued_at is None else issued_at
    claims: dict[str, Any] = {"aud": [DEV_AUDIENCE], "iss": DEV_ISSUER, "iat": now, "nbf": now, "exp": now + ttl,
                              "type": "app"}
    if service:
        claims.update(common_name=service, sub="")
    else:
        # Cloudflare's sub is a stable per-user UUID; derive one from the email so it stays stable here too.
        claims.update(email=email, sub=str(uuid.uuid5(uuid.NAMESPACE_URL, f"mailto:{email}")),
                      identity_nonce=secrets.token_urlsafe(12), custom={"groups": list(groups)})
    return jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": public_jwk(private_key)["kid"]})
