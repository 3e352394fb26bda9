"""Evidence bundles and requests through the gateway and over gRPC (issue #14 item 3): the caller's own client's
request with the runs made for it; another client's answered exactly like one never mirrored; and no Salesforce URL,
body URL, instance host or token in any bundle, reply or log line."""
from __future__ import annotations

import json
import logging

import grpc
import pytest

from demo.itr_export import build_export
from kernel.scope import Scope
from leaf.itr.v1 import itr_pb2
from leaf.tasks.v1 import tasks_pb2
from tests.integration.gateway_fixtures import gateway
from tests.integration.itr_fixtures import with_itr
from tests.integration.mesh_fixtures import as_operator, grant_for, read_grant
from tests.integration.plane_fixtures import claims_csv, plane  # noqa: F401 (fixture)

DEMO = "group:leaf-demo"  # entitled to C001 only in this plane
RECORDS = build_export()
REQUESTS = RECORDS["IT_Request__c"]
C001 = [r for r in REQUESTS if r["Client_Id__c"] == "C001" and not r["IsDeleted"] and not r["Group_Ids__c"]]
OTHERS = [r for r in REQUESTS if r["Client_Id__c"] not in ("C001", None)]
SESSION_ID = "00D5g000000StAnD!AQsecretsessionvalue1234567890"
FORBIDDEN = ("salesforce.com", "force.com", "/services/data", "VersionData", "attributes", SESSION_ID, "AQsecret",
             "sf.leaf.example")


def clean(text: str) -> None:
    for marker in FORBIDDEN:
        assert marker not in text, (marker, text[:300])


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


async def test_requests_and_bundles_stay_inside_the_callers_clients_and_carry_no_salesforce_link(
        tmp_path, claims_csv, logs):
    async with plane(tmp_path, claims_csv, entitled=(DEMO,)) as (addresses, stubs, _), \
            with_itr(tmp_path, addresses, LEAF_SALESFORCE_INSTANCE_URL="https://sf.leaf.example",
                     LEAF_SALESFORCE_SESSION_ID=SESSION_ID) as itr, \
            gateway(addresses) as http:
        # The service was configured for Salesforce, but this sync reads the local export on purpose (operators'
        # call): the instance host must still never appear, and the export's pasted record link is scrubbed.
        from services.itr.adapters.export_source import ExportSource
        from services.itr.adapters.mirror_store import SqlMirrorStore
        from services.itr.bootstrap import open_mirror
        from services.itr.service_layer.sync import sync_requests
        sync_requests(ExportSource(tmp_path / "itr_export", "IT_Request__c"),
                      SqlMirrorStore(open_mirror(f"sqlite:///{tmp_path / 'itr.sqlite'}")))
        mine = C001[0]["Id"]
        scope = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31")
        await stubs["tasks"].SubmitTask(tasks_pb2.SubmitTaskRequest(
            kind="compute_run", payload_json=json.dumps({"scope": scope.canonical()}), itr_request_id=mine,
            run_id="run_for_itr"), metadata=grant_for(scope))

        shown = await http.get(f"/v1/itr/requests/{mine}")
        assert shown.status_code == 200, shown.text
        body = shown.json()
        assert body["request"]["client_id"] == "C001" and body["request"]["name"] == C001[0]["Name"]
        assert [(r["run_id"], r["kind"], r["state"]) for r in body["runs"]] == [("run_for_itr", "compute_run", "queued")]
        bundle = await http.get(f"/v1/itr/requests/{mine}/bundle")
        assert bundle.status_code == 200
        got = bundle.json()
        assert got["request"]["Id"] == mine and got["lineage"]["request_id"] == mine
        assert len(got["history"]) == sum(h["ParentId"] == mine for h in RECORDS["IT_Request__History"])
        assert all(len(f["checksum"]) == 32 for f in got["files"])
        listed = await http.get("/v1/itr/requests")
        assert {r["client_id"] for r in listed.json()["requests"]} == {"C001"}

        unknown = await http.get("/v1/itr/requests/a0B5g0000NOSUCHAAA")
        for other in OTHERS[:5]:
            for path in (f"/v1/itr/requests/{other['Id']}", f"/v1/itr/requests/{other['Id']}/bundle"):
                foreign = await http.get(path)
                assert (foreign.status_code, foreign.json()["code"]) == (unknown.status_code, unknown.json()["code"]) \
                    == (404, "request_not_found")

        # Every bundle of every client, over gRPC with a grant over all of them: nothing leads back to Salesforce.
        everyone = read_grant(*sorted({r["Client_Id__c"] for r in REQUESTS if r["Client_Id__c"]}))
        replies = [shown.text, bundle.text, listed.text, unknown.text]
        for request in REQUESTS:
            if request["IsDeleted"] or not request["Client_Id__c"] or request["Group_Ids__c"]:
                continue
            reply = await itr.GetBundle(itr_pb2.GetBundleRequest(request_id=request["Id"]), metadata=everyone)
            replies.append(reply.bundle_json)
            replies.append(str(reply.request))
        pasted = next(r for r in REQUESTS if "salesforce.com" in (r["Description__c"] or ""))
        assert any("[salesforce link removed]" in text and pasted["Id"] in text for text in replies)
        # The configured instance does not resolve here: the refusal names the failure, never the host.
        with pytest.raises(grpc.aio.AioRpcError) as unreachable:
            await itr.SyncRequests(itr_pb2.SyncRequestsRequest(), metadata=as_operator(everyone))
        assert unreachable.value.code() == grpc.StatusCode.UNAVAILABLE
        replies.append(unreachable.value.details() or "")
        replies.append(str(unreachable.value.trailing_metadata()))
    for text in [*replies, *(r.getMessage() for r in logs.records)]:
        clean(text)
