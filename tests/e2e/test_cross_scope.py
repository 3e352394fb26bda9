"""Cross-scope leakage, property-based: random callers (any mix of entitlements) ask for random things of every
client through every read endpoint; nothing another client owns — its id, name, scope_hash or run — ever comes back.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from demo import load_registry
from tests.e2e.conftest import leaf, run_reply

pytestmark = pytest.mark.e2e
SCOPES = {
    "C001": {"client_id": "C001", "pbm_id": "PBM_A", "date_from": "2025-01-01", "date_to": "2025-12-31"},
    "C002": {"client_id": "C002", "pbm_id": "PBM_C", "date_from": "2025-01-01", "date_to": "2025-12-31"},
    "C006": {"client_id": "C006", "pbm_id": "PBM_B", "date_from": "2025-01-01", "date_to": "2025-12-31"},
}
GROUPS = {"x-c001": ("C001", ()), "x-c002": ("C002", ()), "x-c006": ("C006", ()), "x-c001-g01": ("C001", ("C001-G01",))}
ENDPOINTS = ("run", "artifacts", "artifact", "dashboard", "packets", "packet", "resolve")


@pytest.fixture(scope="module")
def world(mesh):
    """One published run per client (by the demo analyst) and four groups, each entitled to one client."""
    for group, (client, groups) in GROUPS.items():
        leaf(mesh["home"], "entitlements", "grant", f"group:{group}", "--client", client,
             *(arg for g in groups for arg in ("--group", g)), "--reason", "cross-scope test")
    runs = {}
    for client, scope in SCOPES.items():
        reply = run_reply(mesh["http"], scope)
        assert reply.status_code in (200, 201), reply.text
        runs[client] = reply.json()
    names = {c["client_id"]: c["name"] for c in load_registry()["clients"]}
    return {"runs": runs, "names": names}


def visible_clients(groups: list[str]) -> set[str]:
    """What a caller in these groups may see as a whole client (a group-limited area does not cover all-groups runs)."""
    return {GROUPS[g][0] for g in groups if not GROUPS[g][1]}


def request(client, endpoint: str, target: str, world: dict):
    run = world["runs"][target]
    run_id = run["run_id"]
    if endpoint == "run":
        return client.get(f"/v1/runs/{run_id}")
    if endpoint == "artifacts":
        return client.get(f"/v1/runs/{run_id}/artifacts")
    if endpoint == "artifact":
        return client.get(f"/v1/runs/{run_id}/artifacts/run.json")
    if endpoint == "dashboard":
        return client.get("/v1/dashboard/readiness", params={"run_id": run_id})
    if endpoint == "packets":
        return client.get("/v1/evidence/packets", params={"client_id": target})
    if endpoint == "packet":
        packet = run["lineage"]["evidence"][0]["evidence_id"]
        return client.get(f"/v1/evidence/packets/{packet}", params={"client_id": target})
    return client.post("/v1/scopes:resolve", json=SCOPES[target])


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(groups=st.lists(st.sampled_from(sorted(GROUPS)), unique=True, max_size=3),
       endpoint=st.sampled_from(ENDPOINTS), target=st.sampled_from(sorted(SCOPES)),
       user=st.from_regex(r"[a-z]{3,8}", fullmatch=True))
def test_no_answer_ever_carries_another_clients_data(mesh, world, groups, endpoint, target, user):
    args = ["--email", f"{user}@random.example", *(a for g in groups for a in ("--group", g))]
    with mesh["signed_in"](*args) as caller:
        reply = request(caller, endpoint, target, world)
    mine = visible_clients(groups)
    mine_any = {GROUPS[g][0] for g in groups}
    text = reply.text
    if endpoint == "resolve":
        state = reply.json()["state"]
        assert state == ("exact" if target in mine_any else "unknown"), (groups, target, text)
    elif endpoint in ("packets", "packet"):  # client-level evidence: any entitlement to the client covers it
        assert reply.status_code == (200 if target in mine_any else 404), (groups, target, text)
    else:
        assert reply.status_code == (200 if target in mine else 404), (groups, endpoint, target, text)
    for other, run in world["runs"].items():
        if other in mine_any:
            continue
        assert run["scope_hash"] not in text
        assert f'"{other}"' not in text and f"{other}," not in text and f",{other}" not in text
        name = world["names"].get(other)
        if name:
            assert name not in text
        if other != target:
            assert run["run_id"] not in text
