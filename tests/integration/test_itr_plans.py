"""Run plans of ITR requests and their handoff (issue #14 item 4), over HTTP against the gateway and real services:
request → plan → task → run → artifacts and back (the task and the run name the request; the request lists the
run); an ambiguous scope shown with its candidates and settled by an operator's choice; Repricing waiting for a
proposal; another client's request answered exactly like an unknown one."""
from __future__ import annotations

import asyncio

from demo.itr_export import build_export
from leaf.itr.v1 import itr_pb2
from leaf.scope.v1 import scope_pb2
from services.gateway.adapters.dev_keys import mint_dev_token
from tests.integration.gateway_fixtures import gateway
from tests.integration.itr_fixtures import with_itr
from tests.integration.mesh_fixtures import as_operator, read_grant
from tests.integration.plane_fixtures import claims_csv, finished, lane_worker, operator, plane  # noqa: F401

DEMO = "group:leaf-demo"  # entitled to C001 in this plane; the test adds C003 and C005
REQUESTS = [r for r in build_export()["IT_Request__c"]]
LIVE = [r for r in REQUESTS if not r["IsDeleted"] and r["Client_Id__c"]]
EXACT = next(r for r in LIVE if r["Client_Id__c"] == "C001" and not r["Group_Ids__c"]
             and r["Deliverables__c"] == "Workbook;PDF" and r["Period_Start__c"] == "2025-01-01")
AMBIGUOUS = next(r for r in LIVE if r["Client_Id__c"] == "C003" and not r["PBM_Id__c"])
REPRICING = next(r for r in LIVE if r["Client_Id__c"] == "C005" and "Repricing" in r["Deliverables__c"])
FOREIGN = next(r for r in LIVE if r["Client_Id__c"] == "C002")
DELETED = next(r for r in REQUESTS if r["IsDeleted"])


def as_operators() -> dict:
    """Minted when called: the dev key is the test's own, under its LEAF_HOME."""
    return {"Cf-Access-Jwt-Assertion": mint_dev_token(email="ops@leaf.example", groups=("leaf-operators",))}


async def follow(http, location: str, within: float = 120.0) -> dict:
    for _ in range(int(within * 10)):
        task = (await http.get(location)).json()
        if task["state"] not in ("queued", "running"):
            return task
        await asyncio.sleep(0.1)
    raise AssertionError(f"{location} did not finish")


async def mirrored(itr) -> None:
    everyone = read_grant(*sorted({r["Client_Id__c"] for r in LIVE}))
    await itr.SyncRequests(itr_pb2.SyncRequestsRequest(), metadata=as_operator(everyone))


async def entitle(stubs, principal: str, *clients: str) -> None:
    for client in clients:
        await stubs["scope"].GrantEntitlement(scope_pb2.GrantEntitlementRequest(
            entitlement=scope_pb2.Entitlement(principal=principal, client_id=client), reason="the ITR plan tests"),
            metadata=operator())


async def test_a_request_is_planned_handed_to_the_plane_and_followed_to_its_artifacts_and_back(tmp_path, claims_csv):
    request_id = EXACT["Id"]
    path = f"/v1/itr/requests/{request_id}"
    async with plane(tmp_path, claims_csv, entitled=(DEMO,)) as (addresses, _, tasks_url), \
            with_itr(tmp_path, addresses) as itr, gateway(addresses) as http:
        await mirrored(itr)
        shown = await http.get(f"{path}/plan")
        assert shown.status_code == 200, shown.text
        plan = shown.json()
        assert (plan["request_id"], plan["name"], plan["problems"], plan["submittable"]) == (
            request_id, EXACT["Name"], [], True)
        assert plan["scope"]["state"] == "exact" and plan["scope"]["scope"]["client_id"] == "C001"
        assert (plan["ask"]["pbm_id"], plan["ask"]["date_from"], plan["ask"]["date_to"]) == (
            "PBM_A", "2025-01-01", "2025-12-31")
        assert {f["formula_id"] for f in plan["formulas"]} >= {"awp_discount_guarantee", "rebate_guarantee"}
        assert all(f["status"] in ("final", "modeled", "blocked") for f in plan["formulas"])
        assert [(d["name"], d["artifacts"]) for d in plan["deliverables"]] == [("Workbook", ["report.xlsx"]),
                                                                              ("PDF", ["report.pdf"])]
        worst = max((f["status"] for f in plan["formulas"] if f["formula_id"] != "repricing_savings"),
                    key=["final", "modeled", "blocked"].index)
        assert all(d["status"] == worst for d in plan["deliverables"])
        run_id = plan["run"]["run_id"]
        assert run_id.startswith("run_") and plan["run"]["computed"] is False
        assert plan["links"]["submit"] == f"{path}/plan"

        submitted = await http.post(f"{path}/plan")
        assert submitted.status_code == 202, submitted.text
        task = submitted.json()
        assert submitted.headers["location"] == f"/v1/tasks/{task['task_id']}"
        assert (task["kind"], task["lineage"]) == ("compute_run", {"run_id": run_id, "itr_request_id": request_id})
        again = await http.post(f"{path}/plan")  # nothing made yet: the same task
        assert (again.status_code, again.json()["task_id"]) == (202, task["task_id"])
        listed = (await http.get(path)).json()["runs"]
        assert [(r["task_id"], r["run_id"], r["state"]) for r in listed] == [(task["task_id"], run_id, "queued")]

        with lane_worker(addresses, tasks_url):
            done = await follow(http, submitted.headers["location"])
        assert done["state"] == "succeeded", done["error"]
        assert done["lineage"] == {"run_id": run_id, "itr_request_id": request_id}
        run = (await http.get(done["links"]["run"])).json()
        assert (run["run_id"], run["lineage"]["itr_request_id"]) == (run_id, request_id)  # the run names its request
        names = {a["name"] for a in (await http.get(done["links"]["artifacts"])).json()["artifacts"]}
        assert {"report.xlsx", "report.pdf"} <= names
        pdf = next(a for a in run["artifacts"] if a["name"] == "report.pdf")
        assert (await http.get(pdf["href"])).content.startswith(b"%PDF")

        # …and back: the request lists the run, with links to its task and the run itself.
        back = (await http.get(path)).json()["runs"]
        assert [(r["run_id"], r["state"], r["links"]) for r in back] == [
            (run_id, "succeeded", {"task": f"/v1/tasks/{task['task_id']}", "run": f"/v1/runs/{run_id}"})]
        made = await http.post(f"{path}/plan")  # made: the run itself, as GET /v1/runs answers it
        assert made.status_code == 200 and made.json() == run
        assert (await http.get(f"{path}/plan")).json()["run"] == {"run_id": run_id, "computed": True}

        for text in (shown.text, submitted.text, made.text):  # the plan carries no way back into Salesforce
            assert not any(m in text for m in ("salesforce.com", "force.com", "/services/data", "attributes"))

        # Another client's request, a deleted one and an unknown id: one and the same answer, plan or submit.
        unknown = await http.get("/v1/itr/requests/a0B5g0000NOSUCHAAA/plan")
        assert (unknown.status_code, unknown.json()["code"]) == (404, "request_not_found")
        for other in (FOREIGN, DELETED):
            for answer in (await http.get(f"/v1/itr/requests/{other['Id']}/plan"),
                           await http.post(f"/v1/itr/requests/{other['Id']}/plan")):
                assert (answer.status_code, answer.json()["code"], answer.json()["detail"].replace(other["Id"], "x")) \
                    == (404, "request_not_found", unknown.json()["detail"].replace("a0B5g0000NOSUCHAAA", "x"))


async def test_an_ambiguous_plan_waits_for_an_operators_choice_and_repricing_for_a_proposal(tmp_path, claims_csv):
    path = f"/v1/itr/requests/{AMBIGUOUS['Id']}/plan"
    async with plane(tmp_path, claims_csv, entitled=(DEMO,)) as (addresses, stubs, _), \
            with_itr(tmp_path, addresses) as itr, gateway(addresses) as http:
        await mirrored(itr)
        await entitle(stubs, DEMO, "C003", "C005")
        await entitle(stubs, "group:leaf-operators", "C003")
        plan = (await http.get(path)).json()
        assert plan["scope"]["state"] == "ambiguous" and plan["scope"]["reasons"] == ["ambiguous_pbm"]
        assert sorted((c["pbm_id"], c["valid_from"], c["valid_to"]) for c in plan["scope"]["candidates"]) == [
            ("PBM_A", "2024-01-01", "2025-06-30"), ("PBM_B", "2025-07-01", "2025-12-31")]
        assert [p["code"] for p in plan["problems"]] == ["scope_ambiguous"] and not plan["submittable"]
        assert plan["run"] is None and plan["formulas"] == [] and "submit" not in plan["links"]

        refused = await http.post(path)
        assert (refused.status_code, refused.json()["code"]) == (409, "plan_not_submittable")
        assert refused.json()["plan"]["scope"]["candidates"] == plan["scope"]["candidates"]
        choice = {"pbm_id": "PBM_B", "date_from": "2025-07-01"}
        assert (await http.post(path, json=choice)).status_code == 403  # settling is an operator's decision
        assert (await http.get(path, params={"pbm": "PBM_B"})).status_code == 422  # a misspelt choice is refused

        preview = (await http.get(path, params=choice)).json()
        assert preview["scope"]["state"] == "exact" and preview["submittable"], preview["problems"]
        assert preview["settled"] == {"date_from": {"asked": "2025-01-01", "chosen": "2025-07-01"},
                                      "pbm_id": {"asked": "", "chosen": "PBM_B"}}
        wider = (await http.get(path, params={"pbm_id": "PBM_B", "date_from": "2024-07-01"})).json()
        assert "choice_outside_period" in [p["code"] for p in wider["problems"]] and not wider["submittable"]

        settled = await http.post(path, json=choice, headers=as_operators())
        assert settled.status_code == 202, settled.text
        task = settled.json()
        assert task["lineage"] == {"run_id": preview["run"]["run_id"], "itr_request_id": AMBIGUOUS["Id"]}
        assert (task["params"]["scope"]["pbm_id"], task["params"]["scope"]["date_from"]) == ("PBM_B", "2025-07-01")
        listed = (await http.get(f"/v1/itr/requests/{AMBIGUOUS['Id']}")).json()["runs"]
        assert [r["task_id"] for r in listed] == [task["task_id"]]

        # Repricing needs a proposal: the plan says so, lists the client's (none for C005 in the demo), and refuses
        # another client's proposal as the evidence service does.
        repricing = (await http.get(f"/v1/itr/requests/{REPRICING['Id']}/plan")).json()
        assert "proposal_not_chosen" in [p["code"] for p in repricing["problems"]] and not repricing["submittable"]
        assert repricing["proposals"] == [] and repricing["scope"]["state"] == "exact"
        assert next(d for d in repricing["deliverables"] if d["name"] == "Repricing")["needs_proposal"]
        foreign = (await http.get(f"/v1/itr/requests/{REPRICING['Id']}/plan",
                                  params={"proposal_id": "PR-C001-PBMA-2026"})).json()
        assert "proposal_not_found" in [p["code"] for p in foreign["problems"]] and not foreign["submittable"]
