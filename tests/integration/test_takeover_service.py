"""The takeover service over gRPC and through the gateway: IngestExport needs an operator's verified identity (and
records it as who promoted), every RPC needs a verified identity, and GET /v1/takeover/loads[/{load_id}] answer
from the load ledger."""
from __future__ import annotations

import grpc
import pytest

from leaf.takeover.v1 import takeover_pb2, takeover_pb2_grpc
from services.takeover.bootstrap import TakeoverSettings, bootstrap
from tests.integration.gateway_fixtures import gateway
from tests.integration.mesh_fixtures import OPERATOR, caller, channel_to, running
from tests.takeover_fixtures import base_export


async def test_ingest_over_grpc_is_an_operators_and_the_gateway_lists_the_loads(tmp_path):
    settings = TakeoverSettings(LEAF_TAKEOVER_DB_URL=f"sqlite:///{tmp_path / 'takeover.sqlite'}",
                                LEAF_TAKEOVER_LAKE_DIR=str(tmp_path / "lake"))
    base_export(tmp_path / "ex", load_id="LD-0001")
    base_export(tmp_path / "bad", load_id="LD-0002")
    (tmp_path / "bad" / "datasets" / "ds-members.csv").unlink()
    async with running(bootstrap(settings)) as address, channel_to(address) as channel:
        stub = takeover_pb2_grpc.TakeoverServiceStub(channel)
        ingest = takeover_pb2.IngestExportRequest(path=str(tmp_path / "ex"))
        with pytest.raises(grpc.aio.AioRpcError) as anonymous:
            await stub.ListLoads(takeover_pb2.ListLoadsRequest())
        assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.aio.AioRpcError) as analyst:
            await stub.IngestExport(ingest, metadata=caller())
        assert analyst.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.aio.AioRpcError) as nowhere:
            await stub.IngestExport(takeover_pb2.IngestExportRequest(path=str(tmp_path / "nope")),
                                    metadata=caller(OPERATOR, operator=True))
        assert nowhere.value.code() == grpc.StatusCode.INVALID_ARGUMENT

        promoted = await stub.IngestExport(ingest, metadata=caller(OPERATOR, operator=True))
        assert (promoted.status, promoted.load_id, promoted.promoted_by) == ("promoted", "LD-0001", OPERATOR)
        again = await stub.IngestExport(ingest, metadata=caller(OPERATOR, operator=True))
        assert again.status == "unchanged"
        quarantined = await stub.IngestExport(takeover_pb2.IngestExportRequest(path=str(tmp_path / "bad")),
                                              metadata=caller(OPERATOR, operator=True))
        assert list(quarantined.reasons) == ["file_missing:datasets/ds-members.csv"]

        async with gateway({"takeover": address}) as http:
            listed = await http.get("/v1/takeover/loads")
            assert listed.status_code == 200, listed.text
            assert [(x["load_id"], x["status"]) for x in listed.json()["loads"]] == [
                ("LD-0001", "promoted"), ("LD-0001", "unchanged"), ("LD-0002", "quarantined")]
            one = await http.get("/v1/takeover/loads/LD-0001")
            assert one.status_code == 200, one.text
            body = one.json()
            assert body["load"]["status"] == "promoted" and body["load"]["promoted_by"] == OPERATOR
            assert [x["status"] for x in body["ingests"]] == ["unchanged", "promoted"]
            assert body["load"]["datasets"] == [{"dataset_id": "ds-claims", "rows": 120},
                                                {"dataset_id": "ds-members", "rows": 30}]
            missing = await http.get("/v1/takeover/loads/LD-9999")
            assert (missing.status_code, missing.json()["code"]) == (404, "load_not_found")
            assert (await http.get("/v1/takeover/loads/..%2Fx")).status_code in (404, 422)
