"""POST /v1/runs through the task plane, over HTTP against the gateway and real services: 202 with the task and its
Location while a `runs` worker makes it (a repeat meets the same task), 200 with the run once it exists, 201 when the
caller waited for it (Prefer: wait=N); GET /v1/tasks/{id} for whoever may see it; POST /v1/tasks; operators' cancel
and requeue."""
from __future__ import annotations

import asyncio
import hashlib
import json

from demo import ONEDRIVE_DIR
from services.gateway.adapters.dev_keys import mint_dev_token
from tests.integration.gateway_fixtures import gateway
from tests.integration.plane_fixtures import claims_csv, finished, lane_worker, plane  # noqa: F401 (fixture)

C001 = {"client_id": "C001", "pbm_id": "PBM_A", "date_from": "2025-01-01", "date_to": "2025-12-31"}
DEMO, OTHERS = "group:leaf-demo", "group:others"


def as_(*groups: str, email: str = "ana@leaf.example") -> dict:
    return {"Cf-Access-Jwt-Assertion": mint_dev_token(email=email, groups=groups)}


async def follow(http, location: str, within: float = 120.0) -> dict:
    for _ in range(int(within * 10)):
        task = (await http.get(location)).json()
        if task["state"] not in ("queued", "running"):
            return task
        await asyncio.sleep(0.1)
    raise AssertionError(f"{location} did not finish")


async def test_a_run_is_made_by_a_worker_and_followed_from_its_task_to_its_artifacts(tmp_path, claims_csv):
    async with plane(tmp_path, claims_csv, entitled=(DEMO,)) as (addresses, _, tasks_url), \
            gateway(addresses) as http:
        asked = await http.post("/v1/runs", json=C001)
        assert asked.status_code == 202, asked.text
        task = asked.json()
        assert asked.headers["location"] == f"/v1/tasks/{task['task_id']}" == task["links"]["self"]
        assert (task["kind"], task["state"], task["params"]["scope"]["client_id"]) == ("compute_run", "queued", "C001")
        planned = task["lineage"]["run_id"]
        assert planned.startswith("run_") and "run" not in task["links"]
        again = await http.post("/v1/runs", json=C001)  # nothing made it yet: the same task
        assert (again.status_code, again.json()["task_id"]) == (202, task["task_id"])

        with lane_worker(addresses, tasks_url):
            done = await follow(http, asked.headers["location"])
        assert done["state"] == "succeeded", done["error"]
        assert (done["lineage"]["run_id"], done["progress"]["done"], done["attempts"]) == (planned, 2, 1)
        assert [c["to_state"] for c in done["history"]] == ["queued", "running", "succeeded"]
        run = (await http.get(done["links"]["run"])).json()
        assert run["run_id"] == planned and run["scope"]["client_id"] == "C001"
        listed = (await http.get(done["links"]["artifacts"])).json()["artifacts"]
        assert {a["name"]: a["sha256"] for a in listed} == {a["name"]: a["sha256"] for a in done["artifacts"]}
        pdf = next(a for a in done["artifacts"] if a["name"] == "report.pdf")
        assert (await http.get(pdf["href"])).content.startswith(b"%PDF")

        repeat = await http.post("/v1/runs", json=C001)  # made: the run itself, as GET answers it
        assert repeat.status_code == 200 and repeat.json() == run

        # Someone not entitled to C001 does not see the task; an operator does.
        assert (await http.get(asked.headers["location"], headers=as_(OTHERS, email="eve@leaf.example"))
                ).status_code == 404
        assert (await http.get(asked.headers["location"], headers=as_("leaf-operators", email="ops@leaf.example"))
                ).status_code == 200


async def test_a_caller_who_waits_gets_the_run_it_waited_for(tmp_path, claims_csv):
    async with plane(tmp_path, claims_csv, entitled=(DEMO,)) as (addresses, _, tasks_url), \
            gateway(addresses) as http:
        with lane_worker(addresses, tasks_url):
            waited = await http.post("/v1/runs", json=C001, headers={"Prefer": "respond-async, wait=25"})
        assert waited.status_code == 201, waited.text
        assert waited.headers["preference-applied"] == "wait=25"
        assert waited.json()["scope"]["client_id"] == "C001" and waited.json()["artifacts"]
        # No worker now, and a run nobody made: the wait runs out and the task is the answer.
        short = await http.post("/v1/runs", json={**C001, "date_to": "2025-06-30"}, headers={"Prefer": "wait=1"})
        assert (short.status_code, short.headers["preference-applied"], short.json()["state"]) == (202, "wait=1",
                                                                                                   "queued")


async def test_other_kinds_and_the_operators_moves(tmp_path, claims_csv):
    async with plane(tmp_path, claims_csv, entitled=(DEMO,)) as (addresses, _, tasks_url), \
            gateway(addresses) as http:
        blocked = await http.post("/v1/tasks", json={"kind": "itr_sync"})
        assert blocked.status_code == 200 and blocked.json()["state"] == "blocked"
        assert blocked.json()["policy"]["rule"] == "kind.itr_sync.operator_only"
        misspelt = await http.post("/v1/tasks", json={"kind": "publish_run", "params": {"runid": "run_1"}})
        assert misspelt.status_code == 400 and misspelt.json()["code"] == "bad_input:payload"
        assert (await http.post("/v1/tasks", json={"kind": "compute_run"})).status_code == 422  # POST /v1/runs

        queued = await http.post("/v1/tasks", json={"kind": "publish_run", "params": {"run_id": "run_nothing"}})
        assert queued.status_code == 202 and queued.headers["location"].endswith(queued.json()["task_id"])
        cancel = f"/v1/tasks/{queued.json()['task_id']}:cancel"
        refused = await http.post(cancel, json={"reason": "not mine"})
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
        operator = as_("leaf-operators", email="ops@leaf.example")
        cancelled = await http.post(cancel, json={"reason": "wrong run"}, headers=operator)
        assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
        assert cancelled.json()["history"][-1] == {**cancelled.json()["history"][-1], "actor": "user:ops@leaf.example",
                                                   "reason": "cancelled: wrong run"}
        assert (await http.post(cancel, json={"reason": "again"}, headers=operator)).status_code == 409
        assert (await http.post(cancel.replace(":cancel", ":requeue"), json={"reason": "x"},
                                headers=operator)).status_code == 409  # only failed or dead-lettered tasks

        # A run nobody may see fails for good, with the publisher's answer; an operator may requeue it.
        missing = (await http.post("/v1/tasks", json={"kind": "publish_run", "params": {"run_id": "run_none"}})).json()
        with lane_worker(addresses, tasks_url, lane="publish"):
            failed = await follow(http, missing["links"]["self"])
        assert (failed["state"], failed["error"].split(":")[:2]) == ("failed", ["permanent_failure", " run_not_found"])
        requeued = await http.post(f"/v1/tasks/{missing['task_id']}:requeue", json={"reason": "retry"}, headers=operator)
        assert requeued.status_code == 200 and requeued.json()["state"] == "queued"
        assert (await http.get("/v1/tasks/task_nope")).status_code == 404


async def test_a_run_with_a_proposal_goes_through_the_plane_as_another_run(tmp_path, claims_csv):
    """POST /v1/runs with proposal_id: the id rides the compute_run task as a reference, the worker's run reprices
    on the proposal the evidence service holds for the granted scope, and it is another run than the audit alone."""
    offer = {**C001, "proposal_id": "PR-C001-PBMA-2026"}
    async with plane(tmp_path, claims_csv, entitled=(DEMO,)) as (addresses, _, tasks_url), \
            gateway(addresses) as http:
        plain = (await http.post("/v1/runs", json=C001)).json()
        asked = await http.post("/v1/runs", json=offer)
        assert asked.status_code == 202, asked.text
        task = asked.json()
        assert task["params"]["proposal_id"] == "PR-C001-PBMA-2026" and task["params"]["scope"]["client_id"] == "C001"
        assert task["lineage"]["run_id"] != plain["lineage"]["run_id"]

        with lane_worker(addresses, tasks_url, lane="runs"):
            done = await follow(http, asked.headers["location"])
        assert done["state"] == "succeeded", done["error"]
        run = (await http.get(done["links"]["run"])).json()
        assert run["run_id"] == task["lineage"]["run_id"]
        repricing = run["result"]["formulas"][-1]
        assert (repricing["id"], repricing["status"], repricing["reasons"]) == ("repricing_savings", "modeled",
                                                                                ["proposal_is_modeled"])
        assert repricing["unpriced_buckets"] == [{"channel": "SPECIALTY", "brand_generic": "G"}]
        assert run["result"]["inputs"]["proposal_id"] == "PR-C001-PBMA-2026"
        # Readiness is the audit's: the formulas other than repricing decide it.
        audit = {f["status"] for f in run["formulas"] if f["formula_id"] != "repricing_savings"}
        assert run["readiness"] == ("blocked" if "blocked" in audit else "final" if audit == {"final"} else "modeled")
        sha = hashlib.sha256((ONEDRIVE_DIR / "Clients/C001/PBM_A/proposal-2026.proposal.json").read_bytes()).hexdigest()
        assert {"evidence_id": "PR-C001-PBMA-2026", "kind": "proposal", "governance": "proposed", "sha256": sha,
                "version": 1} in run["lineage"]["evidence"]
        assert run["lineage"]["input_hashes"]["proposal_sha256"] == sha
        published = json.loads((await http.get(f"/v1/runs/{run['run_id']}/artifacts/run.json")).content)
        assert published["result"]["inputs"]["proposal_id"] == "PR-C001-PBMA-2026"
        assert (await http.post("/v1/runs", json=offer)).json() == run  # made: the run itself (200)

        checked = (await http.post("/v1/evidence:sufficiency", json=offer)).json()
        assert {"evidence_id": "PR-C001-PBMA-2026", "kind": "proposal", "governance": "proposed", "sha256": sha,
                "version": 1} in checked["evidence"]
        # Another client's proposal never enters a C001 run: refused at once, no task; a misspelt key is refused.
        foreign = await http.post("/v1/runs", json={**C001, "proposal_id": "PR-C002-PBMC-2026"})
        assert (foreign.status_code, foreign.json()["code"]) == (404, "proposal_not_found")
        assert (await http.post("/v1/runs", json={**C001, "proposalid": "PR-C001-PBMA-2026"})).status_code == 422
        listed = (await http.get("/v1/evidence/packets", params={"client_id": "C001"})).json()["packets"]
        assert {(p["packet_id"], p["kind"], p["governance"], p["effective_from"]) for p in listed
                if p["kind"] == "proposal"} == {("PR-C001-PBMA-2026", "proposal", "proposed", "2026-01-01")}
