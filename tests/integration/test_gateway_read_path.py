"""The gateway's fast read path, over HTTP against real services: a published run is answered from the rendered bytes
the gateway keeps, yet only to a caller whose current read grant covers the run's scope (the same 404, byte for
byte, as calc's answer before anything was kept, and at once after an entitlement is revoked); a verified token is
kept, yet refused once it expires, as any expired token is."""
from __future__ import annotations

import asyncio
import time

from services.gateway.adapters.access_jwt import LEEWAY_SECONDS
from services.gateway.adapters.dev_keys import mint_dev_token
from tests.integration.gateway_fixtures import gateway
from tests.integration.plane_fixtures import claims_csv, lane_worker, plane  # noqa: F401 (fixture)

C001 = {"client_id": "C001", "pbm_id": "PBM_A", "date_from": "2025-01-01", "date_to": "2025-12-31"}
DEMO = "group:leaf-demo"
ANA = "user:ana@leaf.example"


def as_(*groups: str, email: str) -> dict:
    return {"Cf-Access-Jwt-Assertion": mint_dev_token(email=email, groups=groups)}


async def test_a_kept_run_is_answered_only_to_whoever_may_see_it_now(tmp_path, claims_csv):
    async with plane(tmp_path, claims_csv, entitled=(DEMO,)) as (addresses, _, tasks_url), \
            gateway(addresses) as http:
        with lane_worker(addresses, tasks_url):
            made = await http.post("/v1/runs", json=C001, headers={"Prefer": "wait=50"})
        assert made.status_code == 201, made.text
        path = f"/v1/runs/{made.json()['run_id']}"
        eve = as_("others", email="eve@leaf.example")  # entitled to nothing
        ana = as_(email="ana@leaf.example")
        ops = as_("leaf-operators", email="ops@leaf.example")

        # Before any GET of this run the gateway keeps nothing: calc answers for it, run_not_found.
        before = await http.get(path, headers=eve)
        assert (before.status_code, before.json()["code"]) == (404, "run_not_found")
        granted = await http.post("/v1/entitlements", headers=ops, json={"principal": ANA, "client_id": "C001",
                                                                        "reason": "the engagement"})
        assert granted.status_code == 201, granted.text

        first = await http.get(path)  # the run is read from calc and the publisher, rendered and kept
        assert first.status_code == 200 and first.json() == made.json()
        assert first.headers["content-type"] == "application/json" and first.headers["cache-control"] == "no-store"
        kept = await http.get(path, headers=ana)
        assert kept.status_code == 200 and kept.content == first.content

        # Kept or not, a caller whose grant does not cover the run's scope gets calc's own answer, byte for byte.
        after = await http.get(path, headers=eve)
        assert (after.status_code, after.content) == (404, before.content)
        nobody = await http.get(path, headers=as_(email="zed@leaf.example"))
        assert (nobody.status_code, nobody.content) == (404, before.content)

        # Revoked on this gateway: the next read is refused although the run's bytes are still kept.
        revoked = await http.delete(f"/v1/entitlements/{ANA}/C001", headers=ops, params={"reason": "engagement over"})
        assert revoked.status_code == 200, revoked.text
        gone = await http.get(path, headers=ana)
        assert (gone.status_code, gone.content) == (404, before.content)
        assert (await http.get(path)).content == first.content  # the group's entitlement stands


async def test_a_kept_token_is_refused_once_it_expires(tmp_path, claims_csv):
    async with plane(tmp_path, claims_csv, entitled=(DEMO,)) as (addresses, _, _), gateway(addresses) as http:
        lasts = 6  # seconds the token has left, PyJWT's leeway after `exp` included
        now = int(time.time())
        token = mint_dev_token(groups=("leaf-demo",), issued_at=now - 600, ttl=600 - LEEWAY_SECONDS + lasts)
        signed = {"Cf-Access-Jwt-Assertion": token}
        missing = "/v1/runs/run_nobody_made"
        # Verified in full, then answered from the kept identity: the caller is authenticated (calc: not found).
        for _ in range(3):
            answer = await http.get(missing, headers=signed)
            assert (answer.status_code, answer.json()["code"]) == (404, "run_not_found"), answer.text
        await asyncio.sleep(max(now + lasts - time.time(), 0) + 1)
        expired = await http.get(missing, headers=signed)
        never_seen = mint_dev_token(groups=("leaf-demo",), issued_at=now - 600, ttl=60)
        refused = await http.get(missing, headers={"Cf-Access-Jwt-Assertion": never_seen})
        assert expired.status_code == 401 and (expired.status_code, expired.content) == (401, refused.content)
