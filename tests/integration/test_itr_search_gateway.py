"""GET /v1/search through the gateway and itr.Search over gRPC (issue #14 item 5): an operator's SyncRequests indexes
the mirror, a second indexes nothing, and a caller entitled to C001 finds C001's requests (with the runs made for
them) and never another client's, whatever words it asks for; no Salesforce link or token in any reply or log."""
from __future__ import annotations

import json
import logging

from demo.itr_export import build_export
from kernel.scope import Scope
from leaf.itr.v1 import itr_pb2
from leaf.tasks.v1 import tasks_pb2
from tests.integration.gateway_fixtures import gateway
from tests.integration.itr_fixtures import with_itr
from tests.integration.mesh_fixtures import as_operator, grant_for, read_grant
from tests.integration.plane_fixtures import claims_csv, plane  # noqa: F401 (fixture)

DEMO = "group:leaf-demo"  # entitled to C001 only in this plane
REQUESTS = [r for r in build_export()["IT_Request__c"] if r["Client_Id__c"] and not r["IsDeleted"]]
FORBIDDEN = ("salesforce.com", "force.com", "/services/data", "VersionData", "attributes", "!AQ")


async def test_search_answers_inside_the_callers_entitlement_with_each_requests_runs(tmp_path, claims_csv, caplog):
    caplog.set_level(logging.DEBUG)
    everyone = read_grant(*sorted({r["Client_Id__c"] for r in REQUESTS}))
    async with plane(tmp_path, claims_csv, entitled=(DEMO,)) as (addresses, stubs, _), \
            with_itr(tmp_path, addresses) as itr, gateway(addresses) as http:
        await itr.SyncRequests(itr_pb2.SyncRequestsRequest(), metadata=as_operator(everyone))
        held = await itr.Search(itr_pb2.SearchRequest(query="deliverables", page_size=100), metadata=everyone)
        assert {h.client_id for h in held.hits} == {r["Client_Id__c"] for r in REQUESTS}  # every client indexed

        mine = next(r for r in REQUESTS if r["Client_Id__c"] == "C001" and not r["Group_Ids__c"])
        scope = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31")
        await stubs["tasks"].SubmitTask(tasks_pb2.SubmitTaskRequest(
            kind="compute_run", payload_json=json.dumps({"scope": scope.canonical()}), itr_request_id=mine["Id"],
            run_id="run_for_search"), metadata=grant_for(scope))

        replies = []
        found = await http.get("/v1/search", params={"q": mine["Name"]})
        assert found.status_code == 200, found.text
        replies.append(found.text)
        hits = found.json()["hits"]
        assert sorted((h["kind"], h["lineage"]["request_id"]) for h in hits) == [("bundle", mine["Id"]),
                                                                                 ("request", mine["Id"])]
        for hit in hits:
            assert [r["run_id"] for r in hit["lineage"]["runs"]] == ["run_for_search"]
            assert hit["scope"]["client_id"] == "C001" and hit["links"]["bundle"].endswith("/bundle")

        # Every other client's request, asked for by its own name and subject: nothing comes back.
        for other in [r for r in REQUESTS if r["Client_Id__c"] != "C001"]:
            for words in (other["Name"], other["Subject__c"] or other["Name"]):
                answer = await http.get("/v1/search", params={"q": words, "page_size": 100})
                assert answer.status_code == 200 and answer.json()["hits"] == [] or \
                    {h["scope"]["client_id"] for h in answer.json()["hits"]} == {"C001"}, words
                replies.append(answer.text)
        broad = await http.get("/v1/search", params={"q": "deliverables", "page_size": 100})
        assert broad.json()["hits"] and {h["scope"]["client_id"] for h in broad.json()["hits"]} == {"C001"}
        assert (await http.get("/v1/search", params={"q": ""})).status_code == 422
        blank = await http.get("/v1/search", params={"q": "   "})
        assert (blank.status_code, blank.json()["code"]) == (400, "query_empty")

        # A second sync changes nothing, so it indexes nothing (the servicer logs the counts).
        caplog.clear()
        await itr.SyncRequests(itr_pb2.SyncRequestsRequest(), metadata=as_operator(everyone))
        assert "itr search index: 0 documents indexed, 0 removed" in [r.getMessage() for r in caplog.records]
    for text in [*replies, *(r.getMessage() for r in caplog.records)]:
        for marker in FORBIDDEN:
            assert marker not in text, (marker, text[:300])
