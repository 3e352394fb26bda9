"""Cloudflare Access authentication with real RSA keys and a real local HTTPS JWKS server (no fakes)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import ssl
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from jwt.algorithms import RSAAlgorithm
from pydantic import ValidationError

from kernel.errors import DomainError, Unauthenticated, Unavailable
from services.gateway.adapters.access_jwt import (
    LEEWAY_SECONDS,
    MAX_LIFETIME_SECONDS,
    VERIFIED_SECONDS,
    AccessVerifier,
    team_keys,
)
from services.gateway.adapters.dev_keys import DEV_EMAIL, dev_verifier, mint_dev_token
from services.gateway.domain.identity import Identity
from services.gateway.entrypoints import problems
from services.gateway.entrypoints.auth import authenticate, build_authenticator
from services.gateway.settings import AccessSettings

TEAM = "leaf-test.cloudflareaccess.com"
ISSUER = f"https://{TEAM}"
AUD = "32eafc7626e974616deaf0dc3ce63d7bcbed58a2731e84d06bc3cdf1b53c4228"
SUB = "7335d417-61da-459d-899c-0a01c76a2f94"
APIM_SECRET = "apim-secret-0123456789abcdef"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(key: rsa.RSAPrivateKey, kid: str) -> dict:
    return {**RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid, "alg": "RS256", "use": "sig"}


def claims(**overrides) -> dict:
    now = int(time.time())
    base = {"aud": [AUD], "iss": ISSUER, "sub": SUB, "email": "ana@leaf.health", "iat": now, "nbf": now,
            "exp": now + 300, "type": "app", "identity_nonce": "6ei69kawdKzMIAPF", "custom": {"groups": ["auditors"]}}
    return {k: v for k, v in {**base, **overrides}.items() if v is not None}


def sign(key: rsa.RSAPrivateKey, kid: str, **overrides) -> str:
    return jwt.encode(claims(**overrides), key, algorithm="RS256", headers={"kid": kid})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class JwksServer:
    """A JWKS endpoint over real TLS (a throwaway CA the client trusts) that counts the fetches it answers."""

    def __init__(self, keys: list[dict], server_tls: ssl.SSLContext, client_tls: ssl.SSLContext) -> None:
        self.keys = keys
        self.requests = 0
        self.client_tls = client_tls
        jwks = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                jwks.requests += 1
                body = json.dumps({"keys": jwks.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.socket = server_tls.wrap_socket(self.httpd.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.httpd.server_address[1]}/cdn-cgi/access/certs"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def client(self, **options):
        return team_keys(self.url, ssl_context=self.client_tls, **options)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return new_key()


@pytest.fixture(scope="module")
def tls() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A throwaway CA: the server's certificate for 127.0.0.1, and a client context that trusts only it."""
    ca = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_tls)
    client_tls = ssl.create_default_context()
    ca.configure_trust(client_tls)
    return server_tls, client_tls


@pytest.fixture
def jwks(key, tls):
    server = JwksServer([jwk(key, "kid-1")], *tls)
    yield server
    server.stop()


@pytest.fixture
def verifier(jwks) -> AccessVerifier:
    return AccessVerifier(jwks.client(), audience=AUD, issuer=ISSUER)


def refused(verifier: AccessVerifier, token: str) -> Unauthenticated:
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(token)
    assert caught.value.code == "unauthenticated"
    return caught.value


def test_a_valid_token_is_the_callers_identity(verifier, key):
    assert verifier.verify(sign(key, "kid-1")) == Identity("user", "ana@leaf.health", SUB, "ana@leaf.health", ("auditors",))


def test_a_service_token_is_a_service_identity(verifier, key):
    identity = verifier.verify(sign(key, "kid-1", email=None, custom=None, identity_nonce=None, sub="",
                                    common_name="88bf3b6d86161464f6509f7219099e57.access"))
    assert identity == Identity("service", "88bf3b6d86161464f6509f7219099e57.access", "88bf3b6d86161464f6509f7219099e57.access")
    assert identity.email is None and identity.groups == ()


def test_time_checks_allow_30_seconds_of_clock_skew_and_no_more(verifier, key):
    now = int(time.time())
    assert verifier.verify(sign(key, "kid-1", exp=now - 10)).email == "ana@leaf.health"
    refused(verifier, sign(key, "kid-1", iat=now - 400, nbf=now - 400, exp=now - 60))
    refused(verifier, sign(key, "kid-1", nbf=now + 120))
    refused(verifier, sign(key, "kid-1", iat=now + 120))  # issued in the future: a broken or forged clock


def test_a_token_living_longer_than_a_day_is_refused_however_its_times_are_written(verifier, key):
    now = int(time.time())
    assert verifier.verify(sign(key, "kid-1", iat=now, exp=now + MAX_LIFETIME_SECONDS)).email == "ana@leaf.health"
    refused(verifier, sign(key, "kid-1", iat=now, exp=now + MAX_LIFETIME_SECONDS + 1))
    refused(verifier, sign(key, "kid-1", iat=now - 60, nbf=now - 60, exp=now + 30 * 24 * 3600))  # a month-long session
    refused(verifier, sign(key, "kid-1", iat=str(now), exp=str(now + 2 * MAX_LIFETIME_SECONDS)))  # PyJWT takes strings
    assert MAX_LIFETIME_SECONDS == 24 * 3600


def test_a_dev_token_is_held_to_the_same_lifetime():
    dev = dev_verifier()
    assert dev.verify(mint_dev_token(ttl=MAX_LIFETIME_SECONDS)).email == DEV_EMAIL
    with pytest.raises(Unauthenticated) as caught:
        dev.verify(mint_dev_token(ttl=MAX_LIFETIME_SECONDS + 1))
    assert (caught.value.code, caught.value.message) == ("unauthenticated", "invalid credentials")


@pytest.mark.parametrize("broken", [
    {"aud": ["another-application"]},
    {"aud": None},
    {"iss": "https://evil.cloudflareaccess.com"},
    {"iss": f"{ISSUER}/"},
    {"exp": None},
    {"iat": None},
    {"email": None, "common_name": None},  # names nobody
    {"custom": {"groups": "a,b".split(",") + [7]}},  # groups decide entitlements: a strange shape is refused
], ids=["wrong-aud", "no-aud", "wrong-iss", "iss-not-exact", "no-exp", "no-iat", "nobody", "bad-groups"])
def test_a_token_failing_any_claim_check_is_refused(verifier, key, broken):
    refused(verifier, sign(key, "kid-1", **broken))


def test_an_audience_list_containing_ours_is_accepted(verifier, key):
    assert verifier.verify(sign(key, "kid-1", aud=["other", AUD])).email == "ana@leaf.health"


def test_a_token_signed_by_another_key_under_our_kid_is_refused(verifier):
    refused(verifier, sign(new_key(), "kid-1"))


def test_alg_none_is_refused(verifier):
    unsigned = jwt.encode(claims(), None, algorithm="none", headers={"kid": "kid-1"})
    refused(verifier, unsigned)
    refused(verifier, unsigned + "c2lnbmF0dXJl")


def test_hs256_signed_with_our_public_key_is_refused(verifier, key, jwks):
    # Algorithm confusion: an attacker who knows the public key uses it as an HMAC secret.
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    header = b64(json.dumps({'alg': 'HS256', 'kid': 'kid-1', 'typ': 'JWT'}).encode())
    signing_input = f"{header}.{b64(json.dumps(claims()).encode())}"
    for secret in (public_pem, json.dumps(jwks.keys[0]).encode()):
        forged = f"{signing_input}.{b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"
        refused(verifier, forged)


@pytest.mark.parametrize("garbage", ["", "not-a-jwt", "a.b", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30.", "é.é.é",
                                     "x" * 20_000, f"{b64(b'[]')}.{b64(b'{}')}.sig"], ids=range(8))
def test_garbage_is_refused_not_a_server_error(verifier, garbage):
    refused(verifier, garbage)


def test_an_oversized_token_is_refused_before_any_key_lookup(verifier, key, jwks):
    padded = sign(key, "kid-1", padding="x" * 20_000)
    refused(verifier, padded)
    assert jwks.requests == 0


def test_an_unknown_kid_refetches_once_and_a_rotated_key_then_verifies(key, jwks):
    verifier = AccessVerifier(jwks.client(cooldown_seconds=0.5), audience=AUD, issuer=ISSUER)
    assert verifier.verify(sign(key, "kid-1")) and jwks.requests == 1
    assert verifier.verify(sign(key, "kid-1")) and jwks.requests == 1  # cached
    rotated = new_key()
    jwks.keys = [jwk(key, "kid-1"), jwk(rotated, "kid-2")]
    time.sleep(0.6)  # past the refresh cooldown that the first fetch started
    assert verifier.verify(sign(rotated, "kid-2")).email == "ana@leaf.health"
    assert jwks.requests == 2
    for _ in range(50):  # a flood of random kids inside the cooldown costs no fetch
        refused(verifier, sign(rotated, uuid.uuid4().hex))
    assert jwks.requests == 2
    time.sleep(0.6)
    refused(verifier, sign(rotated, "kid-never-published"))
    assert jwks.requests == 3  # one refetch for the unknown kid, no retry loop


def test_with_production_settings_a_flood_of_unknown_kids_costs_one_fetch(key, jwks):
    verifier = AccessVerifier(jwks.client(), audience=AUD, issuer=ISSUER)
    for _ in range(100):
        refused(verifier, sign(key, uuid.uuid4().hex))
    assert jwks.requests == 1  # the initial fill; the 30 s cooldown covers every forced refresh after it


def test_an_unreachable_jwks_is_unavailable_not_the_callers_fault(key, jwks):
    verifier = AccessVerifier(jwks.client(), audience=AUD, issuer=ISSUER)
    jwks.stop()
    with pytest.raises(Unavailable) as caught:
        verifier.verify(sign(key, "kid-1"))
    assert caught.value.code == "authentication_unavailable"


# --- through HTTP: the dependency as the gateway wires it ---------------------------------------------

def prod_settings(**overrides) -> AccessSettings:
    return AccessSettings(**{"LEAF_ENV": "prod", "LEAF_CF_ACCESS_TEAM_DOMAIN": TEAM, "LEAF_CF_ACCESS_AUD": AUD,
                             "LEAF_APIM_SECRET": APIM_SECRET, **overrides})


def http_client(settings: AccessSettings, jwks: JwksServer | None = None) -> TestClient:
    app = FastAPI()
    app.state.authenticator = build_authenticator(settings, jwks.client() if jwks else None)
    app.add_exception_handler(DomainError, problems.domain_error)

    @app.get("/whoami")
    def whoami(identity: Identity = Depends(authenticate)) -> dict:
        return asdict(identity)

    return TestClient(app)


def test_missing_credentials_are_401_problem_json():
    reply = http_client(AccessSettings()).get("/whoami")
    assert reply.status_code == 401
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json() == {"type": "https://leaf.health/problems/unauthenticated", "title": "Unauthorized", "status": 401,
                            "code": "unauthenticated", "detail": "missing credentials"}


def test_every_bad_token_gets_the_same_body_without_the_token_and_the_reason_is_logged(jwks, key, caplog):
    client = http_client(prod_settings(), jwks)
    now = int(time.time())
    bad = [sign(key, "kid-1", aud=["other"]), sign(key, "kid-1", exp=now - 120, iat=now - 500, nbf=now - 500),
           sign(new_key(), "kid-1"), sign(key, "kid-1", iss="https://evil.example")]
    bodies = []
    with caplog.at_level(logging.INFO, logger="services.gateway.adapters.access_jwt"):
        for token in bad:
            reply = client.get("/whoami", headers={"X-Leaf-Apim-Key": APIM_SECRET, "Cf-Access-Jwt-Assertion": token})
            assert reply.status_code == 401
            assert token not in reply.text and token.split(".")[1] not in reply.text
            bodies.append(reply.json())
    assert all(body == bodies[0] for body in bodies) and bodies[0]["detail"] == "invalid credentials"
    reasons = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert len(reasons) == len(bad) and len(set(reasons)) == len(bad)  # the specific reason, server-side only
    assert not any(token.split(".")[1] in line for token in bad for line in reasons)


def test_prod_accepts_only_requests_that_came_through_apim(jwks, key):
    client = http_client(prod_settings(), jwks)
    token = sign(key, "kid-1")
    assert client.get("/whoami", headers={"Cf-Access-Jwt-Assertion": token}).status_code == 401
    wrong = client.get("/whoami", headers={"X-Leaf-Apim-Key": APIM_SECRET[:-1] + "x", "Cf-Access-Jwt-Assertion": token})
    assert wrong.status_code == 401 and wrong.json()["code"] == "unauthenticated"
    assert client.get("/whoami", headers={"X-Leaf-Apim-Key": "", "Cf-Access-Jwt-Assertion": token}).status_code == 401
    ok = client.get("/whoami", headers={"X-Leaf-Apim-Key": APIM_SECRET, "Cf-Access-Jwt-Assertion": token})
    assert ok.status_code == 200 and ok.json()["principal"] == "ana@leaf.health"


def test_the_cf_authorization_cookie_is_accepted_like_the_header(jwks, key):
    client = http_client(prod_settings(LEAF_APIM_HEADER="X-Apim"), jwks)
    client.cookies.set("CF_Authorization", sign(key, "kid-1"))
    reply = client.get("/whoami", headers={"X-Apim": APIM_SECRET})
    assert reply.status_code == 200 and reply.json()["groups"] == ["auditors"]


def test_dev_mode_verifies_dev_tokens_without_apim():
    client = http_client(AccessSettings())
    reply = client.get("/whoami", headers={"Cf-Access-Jwt-Assertion": mint_dev_token(email="dev@leaf.local", groups=("g",))})
    assert reply.status_code == 200 and reply.json()["email"] == "dev@leaf.local" and reply.json()["groups"] == ["g"]


def test_a_dev_token_does_not_open_a_cloudflare_configured_gateway(jwks):
    reply = http_client(prod_settings(), jwks).get(
        "/whoami", headers={"X-Leaf-Apim-Key": APIM_SECRET, "Cf-Access-Jwt-Assertion": mint_dev_token()})
    assert reply.status_code == 401


# --- settings: the gateway refuses to start half-configured or on the dev key in prod -------------------

def test_prod_refuses_the_dev_key_naming_what_to_set():
    with pytest.raises(ValidationError) as caught:
        AccessSettings(LEAF_ENV="prod", LEAF_APIM_SECRET=APIM_SECRET)
    assert "LEAF_CF_ACCESS_TEAM_DOMAIN, LEAF_CF_ACCESS_AUD" in str(caught.value)


def test_prod_refuses_to_run_without_the_apim_secret():
    with pytest.raises(ValidationError) as caught:
        AccessSettings(LEAF_ENV="prod", LEAF_CF_ACCESS_TEAM_DOMAIN=TEAM, LEAF_CF_ACCESS_AUD=AUD)
    assert "LEAF_APIM_SECRET" in str(caught.value)


@pytest.mark.parametrize("half", [{"LEAF_CF_ACCESS_TEAM_DOMAIN": TEAM}, {"LEAF_CF_ACCESS_AUD": AUD},
                                  {"LEAF_CF_ACCESS_JWKS_URL": "https://example.com/certs"}])
def test_half_configured_cloudflare_is_refused_even_in_dev(half):
    with pytest.raises(ValidationError, match="half-configured"):
        AccessSettings(**half)


def test_the_team_domain_may_be_pasted_as_a_url_and_the_jwks_url_defaults_to_cloudflares():
    settings = AccessSettings(LEAF_CF_ACCESS_TEAM_DOMAIN=f"https://{TEAM}/", LEAF_CF_ACCESS_AUD=AUD)
    verifier = build_authenticator(settings).verifier  # builds the client only; nothing is fetched yet
    assert verifier.keys.uri == f"https://{TEAM}/cdn-cgi/access/certs" and verifier.issuer == ISSUER
    assert not settings.uses_dev_key
    with pytest.raises(ValidationError):
        AccessSettings(LEAF_CF_ACCESS_TEAM_DOMAIN=TEAM, LEAF_CF_ACCESS_AUD=AUD, LEAF_CF_ACCESS_JWKS_URL="http://plain/certs")


def test_the_gateway_process_in_prod_on_the_dev_key_exits_2_naming_the_variables():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEAF_CF_ACCESS_", "LEAF_APIM_"))}
    env.update({f"{name}_ADDR": "127.0.0.1:1" for name in ("SCOPE", "CALC", "EVIDENCE", "ITR", "PUBLISHER", "TASKS",
                                                                "TAKEOVER")},
               LEAF_ENV="prod", LEAF_IDENTITY_KEYS="i1:" + "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")  # only Access unset
    done = subprocess.run([sys.executable, "-m", "services.gateway"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "LEAF_CF_ACCESS_TEAM_DOMAIN, LEAF_CF_ACCESS_AUD, LEAF_APIM_SECRET" in done.stderr


def test_a_verified_identity_is_kept_until_the_token_expires_and_never_longer_than_the_keys(jwks, key):
    started = time.time()
    clock = [started]
    verifier = AccessVerifier(jwks.client(), audience=AUD, issuer=ISSUER, clock=lambda: clock[0])
    token = sign(key, "kid-1", exp=int(started) + 60)
    identity = verifier.verify(token)
    assert verifier.cached(token) == identity and jwks.requests == 1
    clock[0] = int(started) + 60 + LEEWAY_SECONDS - 1  # PyJWT still accepts it (exp plus its leeway)
    assert verifier.cached(token) == identity
    clock[0] += 1
    assert verifier.cached(token) is None  # expired: verified in full again, as any token never seen
    long_lived = sign(key, "kid-1", exp=int(started) + 3600)
    verifier.verify(long_lived)
    clock[0] += VERIFIED_SECONDS
    assert verifier.cached(long_lived) is None  # kept no longer than the JWKS that verified it
    refused(verifier, sign(key, "kid-1", aud="someone-else"))
    assert verifier.cached(sign(key, "kid-1", aud="someone-else")) is None  # a refused token is never kept
