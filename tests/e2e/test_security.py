"""The gateway tried as an attacker would, against the live mesh: every refusal is a 401 or a 404 that leaks nothing."""
from __future__ import annotations

import json
import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from services.gateway.adapters.dev_keys import DEV_EMAIL, public_jwk
from tests.e2e.conftest import CORS_ORIGIN, DEMO_GROUP, leaf, run_reply

pytestmark = pytest.mark.e2e
C001 = {"client_id": "C001", "pbm_id": "PBM_A", "date_from": "2025-01-01", "date_to": "2025-12-31"}
C002 = {"client_id": "C002", "pbm_id": "PBM_C", "date_from": "2025-01-01", "date_to": "2025-12-31"}


@pytest.fixture(scope="module")
def published(mesh):
    """A C001 run published by the demo analyst, and what a C002-only analyst is entitled to."""
    run = run_reply(mesh["http"], C001)
    assert run.status_code in (200, 201), run.text
    leaf(mesh["home"], "entitlements", "grant", "group:c002-team", "--client", "C002", "--reason", "e2e")
    return run.json()


def forged(claims: dict, key=None, kid: str = "forged", algorithm: str = "RS256") -> str:
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid})


def _claims(**changes) -> dict:
    now = int(time.time())
    return {"aud": ["leaf-dev"], "iss": "https://leaf-dev.cloudflareaccess.com", "iat": now, "nbf": now,
            "exp": now + 600, "email": "mallory@evil.example", "sub": "x", "custom": {"groups": [DEMO_GROUP]}, **changes}


def dev_key_token(home, **changes) -> str:
    """Signed by the mesh's real dev key, with claims of our choosing (wrong audience, expired, …)."""
    key = serialization.load_pem_private_key((home / "keys" / "dev_access_key.pem").read_bytes(), password=None)
    return forged(_claims(**changes), key, public_jwk(key)["kid"])


def refused_401(mesh, headers: dict) -> None:
    reply = httpx.get(f"{mesh['base']}/v1/registry/formulas", headers=headers, timeout=30)
    assert reply.status_code == 401, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    body = reply.json()
    assert body["code"] == "unauthenticated" and body["detail"] in {"missing credentials", "invalid credentials"}
    for value in headers.values():
        assert value[-20:] not in reply.text


def test_no_token_expired_foreign_key_wrong_audience_and_wrong_issuer_are_401(mesh):
    home = mesh["home"]
    refused_401(mesh, {})
    refused_401(mesh, {"Cf-Access-Jwt-Assertion": "not-a-token"})
    refused_401(mesh, {"Cf-Access-Jwt-Assertion": dev_key_token(home, exp=int(time.time()) - 3600,
                                                                  iat=int(time.time()) - 7200)})
    refused_401(mesh, {"Cf-Access-Jwt-Assertion": forged(_claims())})  # another key
    refused_401(mesh, {"Cf-Access-Jwt-Assertion": dev_key_token(home, aud=["another-app"])})
    refused_401(mesh, {"Cf-Access-Jwt-Assertion": dev_key_token(home, iss="https://evil.cloudflareaccess.com")})
    refused_401(mesh, {"Cf-Access-Jwt-Assertion": jwt.encode(_claims(), "s" * 32, algorithm="HS256")})
    with mesh["signed_in"]("--expired") as expired:
        assert expired.get("/v1/registry/formulas").status_code == 401


def test_an_entitled_user_cannot_reach_another_clients_run_artifacts_or_tables(mesh, published):
    run_id = published["run_id"]
    with mesh["signed_in"]("--email", "carol@c002.example", "--group", "c002-team") as carol:
        for path in (f"/v1/runs/{run_id}", f"/v1/runs/{run_id}/artifacts", f"/v1/runs/{run_id}/artifacts/report.pdf",
                     f"/v1/dashboard/readiness?run_id={run_id}", "/v1/evidence/packets?client_id=C001",
                     "/v1/evidence/packets/CP-C001-PBMA-2025?client_id=C001"):
            reply = carol.get(path)
            assert reply.status_code == 404, (path, reply.text)
            # Nothing of C001 comes back but what the caller typed itself.
            assert ("C001" not in reply.text or "C001" in path) and published["scope_hash"] not in reply.text
        assert carol.post("/v1/runs", json=C001).status_code == 409  # C001 does not exist for carol
        assert carol.post("/v1/scopes:resolve", json=C001).json()["state"] == "unknown"
        assert carol.post("/v1/scopes:resolve", json={**C001, "client_id": "Harbor Foods"}).json()["candidates"] == []
        own = run_reply(carol, C002)
        assert own.status_code in (200, 201) and own.json()["scope"]["client_id"] == "C002"
        assert carol.get(f"/v1/runs/{own.json()['run_id']}").status_code == 200


def test_a_group_limited_entitlement_narrows_the_run_to_its_groups(mesh, published):
    leaf(mesh["home"], "entitlements", "grant", "user:dave@c001.example", "--client", "C001", "--group", "C001-G01",
         "--reason", "e2e")
    with mesh["signed_in"]("--email", "dave@c001.example") as dave:
        narrowed = run_reply(dave, C001)
        assert narrowed.status_code in (200, 201), narrowed.text
        assert narrowed.json()["scope"]["group_ids"] == ["C001-G01"]
        assert dave.get(f"/v1/runs/{published['run_id']}").status_code == 404  # the all-groups run is not his


def test_services_inside_the_mesh_refuse_a_caller_they_cannot_verify(mesh, published):
    """Direct calls as any process on the network can make them: no identity, or one signed by a key of its own
    (claiming an operator in the demo group): every service refuses before it looks at anything else."""
    import secrets

    import grpc

    from leaf.calc.v1 import calc_pb2, calc_pb2_grpc
    from leaf.evidence.v1 import evidence_pb2, evidence_pb2_grpc
    from leaf.publisher.v1 import publisher_pb2, publisher_pb2_grpc
    from leaf.scope.v1 import scope_pb2, scope_pb2_grpc
    from runtime import identity_tokens
    from runtime.identity_keys import IdentityKeys
    forged, _ = identity_tokens.sign("user:mallory@evil.example", ("group:leaf-demo",), True,
                              IdentityKeys(("local", secrets.token_bytes(32))))
    run_id = published["run_id"]
    calls = {
        "calc": lambda c, md: calc_pb2_grpc.CalcServiceStub(c).GetRun(
            calc_pb2.GetRunRequest(run_id=run_id), metadata=md, timeout=10),
        "publisher": lambda c, md: publisher_pb2_grpc.PublisherServiceStub(c).GetPublication(
            publisher_pb2.GetPublicationRequest(run_id=run_id), metadata=md, timeout=10),
        "scope": lambda c, md: scope_pb2_grpc.ScopeServiceStub(c).IssueScopeGrant(
            scope_pb2.IssueScopeGrantRequest(), metadata=md, timeout=10),
        "evidence": lambda c, md: evidence_pb2_grpc.EvidenceServiceStub(c).ListPackets(
            evidence_pb2.ListPacketsRequest(client_id="C001"), metadata=md, timeout=10),
    }
    for service, call in calls.items():
        with grpc.insecure_channel(mesh["addresses"][service]) as channel:
            for metadata in ((), ((identity_tokens.METADATA_KEY, forged),)):
                with pytest.raises(grpc.RpcError) as refused:
                    call(channel, metadata)
                assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED, (service, metadata)


def test_names_that_only_look_alike_inherit_nothing(mesh, published):
    """A service token named like the demo group, the group with a space in front, a group named like an entitled
    user's email: each is another principal, and sees nothing of what the look-alike may see."""
    leaf(mesh["home"], "entitlements", "grant", "user:frank@c003.example", "--client", "C003", "--reason", "e2e")
    c003 = {"client_id": "C003", "pbm_id": "PBM_A", "date_from": "2025-01-01", "date_to": "2025-06-30"}
    for args in (("--service", DEMO_GROUP), ("--group", f" {DEMO_GROUP}"), ("--group", f"{DEMO_GROUP} "),
                 ("--group", "frank@c003.example")):
        with mesh["signed_in"](*args) as mallory:
            assert mallory.get(f"/v1/runs/{published['run_id']}").status_code == 404, args
            assert mallory.post("/v1/scopes:resolve", json=c003).json()["state"] == "unknown", args
    with mesh["signed_in"]("--email", "frank@c003.example") as frank:
        assert frank.post("/v1/scopes:resolve", json=c003).json()["state"] == "exact"


def test_operators_alone_manage_entitlements(mesh):
    grant = {"principal": "user:erin@c003.example", "client_id": "C003", "reason": "e2e"}
    assert mesh["http"].post("/v1/entitlements", json=grant).status_code == 403
    with mesh["signed_in"]("--group", "leaf-operators") as operator:
        assert operator.post("/v1/entitlements", json={**grant, "principal": "erin@c003.example"}).status_code == 422
        assert operator.post("/v1/entitlements", json=grant).status_code == 201
        listed = operator.get("/v1/entitlements", params={"principal": "user:erin@c003.example"}).json()
        assert listed["entitlements"] == [{"principal": "user:erin@c003.example", "client_id": "C003", "group_ids": []}]
        revoked = operator.delete("/v1/entitlements/user:erin@c003.example/C003", params={"reason": "e2e done"})
        assert revoked.json() == {"revoked": True}
    # The scope service recorded the operator from the verified identity the gateway sent.
    audit = json.loads(leaf(mesh["home"], "entitlements", "audit", "user:erin@c003.example"))
    assert [(a["action"], a["operator"]) for a in audit] == [("grant", f"user:{DEV_EMAIL}"),
                                                             ("revoke", f"user:{DEV_EMAIL}")]


def test_security_headers_cors_and_body_limits(mesh):
    reply = mesh["http"].get("/v1/registry/formulas")
    for header in ("x-content-type-options", "referrer-policy", "x-frame-options", "content-security-policy",
                   "strict-transport-security"):
        assert header in reply.headers
    assert reply.headers["cache-control"] == "no-store"
    preflight = mesh["anonymous"].options("/v1/runs", headers={
        "Origin": CORS_ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "cf-access-jwt-assertion,content-type"})
    assert preflight.headers.get("access-control-allow-origin") == CORS_ORIGIN
    stranger = mesh["anonymous"].options("/v1/runs", headers={"Origin": "https://evil.example",
                                                               "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in stranger.headers
    huge = mesh["http"].post("/v1/runs", content=json.dumps({**C001, "pad": "x" * 100_000}),
                             headers={"content-type": "application/json"})
    assert huge.status_code == 413 and huge.json()["code"] == "request_too_large"


def audit_lines(mesh) -> list[dict]:
    return [json.loads(line) for line in (mesh["home"] / "logs" / "gateway.log").read_text().splitlines()
            if '"leaf.audit"' in line]


def test_every_request_leaves_one_audit_line_without_tokens(mesh, published):
    before = len(audit_lines(mesh))
    mesh["http"].get(f"/v1/runs/{published['run_id']}")
    # The edge writes its line after the answer has gone out: wait (bounded) for it rather than read too early.
    deadline = time.monotonic() + 10
    while len(lines := audit_lines(mesh)) <= before and time.monotonic() < deadline:
        time.sleep(0.05)
    mine = [line for line in lines[before:] if line.get("run_id") == published["run_id"] and line["method"] == "GET"]
    assert mine and mine[-1]["who"] == "developer@leaf.local" and mine[-1]["status"] == 200
    assert mine[-1]["client_id"] == "C001" and mine[-1]["route"] == "/v1/runs/{run_id}"
    assert not any("eyJ" in json.dumps(line) for line in lines)
