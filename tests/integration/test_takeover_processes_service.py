"""The takeover-process registry over gRPC and through the gateway: any verified identity lists, only an operator
moves a process (the verified identity recorded, never a request field), a refusal is a 409 naming every reason."""
from __future__ import annotations

import grpc
import pytest

from leaf.takeover.v1 import takeover_pb2, takeover_pb2_grpc
from services.gateway.adapters.dev_keys import mint_dev_token
from services.takeover.adapters.parity_reports_sql import SqlParityReports
from services.takeover.adapters.plane import open_takeover_db
from services.takeover.adapters.process_registry import SqlProcessRegistry
from services.takeover.bootstrap import TakeoverSettings, bootstrap
from services.takeover.domain.processes import PROOFS, Process
from services.takeover.service_layer.processes import record_proof
from tests.integration.gateway_fixtures import gateway
from tests.integration.mesh_fixtures import OPERATOR, caller, channel_to, running

AT = "2026-11-02T09:00:00Z"
CLEAN = {"report_id": "PR-1", "process": "gdr", "cards": 1, "match": 1, "explained": 0, "unexplained": 0,
         "packets": [{"card_id": "CARD-105", "classification": "match"}]}


async def test_list_and_advance_over_grpc_and_the_gateway(tmp_path):
    url = f"sqlite:///{tmp_path / 'takeover.sqlite'}"
    settings = TakeoverSettings(LEAF_TAKEOVER_DB_URL=url, LEAF_TAKEOVER_LAKE_DIR=str(tmp_path / "lake"))
    engine = open_takeover_db(url)
    registry = SqlProcessRegistry(engine)
    for process_id in ("gdr", "awp"):
        registry.define(Process(process_id, process_id.upper(), "user:o@leaf.example", ("CARD-105",)), AT)
    SqlParityReports(engine).write("gdr", CLEAN)
    async with running(bootstrap(settings)) as address, channel_to(address) as channel:
        stub = takeover_pb2_grpc.TakeoverServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as anonymous:
            await stub.ListProcesses(takeover_pb2.ListProcessesRequest())
        assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
        listed = await stub.ListProcesses(takeover_pb2.ListProcessesRequest(), metadata=caller())
        assert [(p.process_id, p.state) for p in listed.processes] == [("awp", "legacy_reference"),
                                                                      ("gdr", "legacy_reference")]
        move = takeover_pb2.AdvanceProcessRequest(process_id="gdr", to="candidate_evidence", note="start")
        with pytest.raises(grpc.aio.AioRpcError) as analyst:
            await stub.AdvanceProcess(move, metadata=caller())
        assert analyst.value.code() == grpc.StatusCode.PERMISSION_DENIED
        moved = await stub.AdvanceProcess(move, metadata=caller(OPERATOR, operator=True))
        assert (moved.status, moved.transition.operator, moved.process.state) == ("done", OPERATOR,
                                                                                  "candidate_evidence")
        with pytest.raises(grpc.aio.AioRpcError) as unknown:
            await stub.AdvanceProcess(takeover_pb2.AdvanceProcessRequest(process_id="nope", to="candidate_evidence"),
                                      metadata=caller(OPERATOR, operator=True))
        assert unknown.value.code() == grpc.StatusCode.NOT_FOUND

        async with gateway({"takeover": address}) as http:
            ops = {"Cf-Access-Jwt-Assertion": mint_dev_token(email="ops@leaf.example", groups=("leaf-operators",))}
            listed_http = await http.get("/v1/takeover/processes")
            assert listed_http.status_code == 200, listed_http.text
            body = {p["process_id"]: p for p in listed_http.json()["processes"]}
            assert body["gdr"]["state"] == "candidate_evidence" and body["gdr"]["proofs_missing"] == list(PROOFS)
            assert body["gdr"]["parity"] == {"report_id": "PR-1", "cards": 1, "unexplained": [], "explained": []}
            assert body["awp"]["parity"] is None

            path = "/v1/takeover/processes/gdr/transitions"
            forbidden = await http.post(path, json={"to": "golden_comparison"})  # the dev token is no operator
            assert (forbidden.status_code, forbidden.json()["code"]) == (403, "forbidden")
            named = await http.post(path, json={"to": "golden_comparison", "operator": "user:x@y.z"}, headers=ops)
            assert named.status_code in (400, 422)  # who moves it is never a request field
            to_golden = await http.post(path, json={"to": "golden_comparison"}, headers=ops)
            assert to_golden.status_code == 201, to_golden.text
            assert to_golden.json()["transition"]["operator"] == "user:ops@leaf.example"
            assert to_golden.json()["transition"]["from"] == "candidate_evidence"

            refused = await http.post(path, json={"to": "presentation_consumer"}, headers=ops)
            assert refused.status_code == 409, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert refused.json()["code"] == "transition_refused"
            assert refused.json()["reasons"] == [f"proof_missing:{p}" for p in PROOFS]
            assert refused.json()["process"]["state"] == "golden_comparison"

            for proof in PROOFS:
                record_proof(registry, "gdr", proof, f"ref-{proof}", OPERATOR, AT)
            done = await http.post(path, json={"to": "presentation_consumer", "note": "parity exact"}, headers=ops)
            assert done.status_code == 201, done.text
            assert done.json()["process"]["state"] == "presentation_consumer"
            bad = await http.post(path, json={"to": "live"}, headers=ops)
            assert bad.status_code in (400, 422)
            skipped = await http.post("/v1/takeover/processes/awp/transitions", json={"to": "golden_comparison"},
                                      headers=ops)
            assert skipped.status_code == 409
            assert skipped.json()["reasons"] == ["not_adjacent:legacy_reference->golden_comparison"]
    assert [t.to_state for t in registry.history("gdr")] == ["candidate_evidence", "golden_comparison",
                                                             "presentation_consumer"]
    assert [r.reasons[0] for r in registry.refusals("gdr")] == ["proof_missing:source_lineage"]
    engine.dispose()
