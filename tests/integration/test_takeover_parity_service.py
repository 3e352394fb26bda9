"""Golden comparison packets through the mesh: GetParity over gRPC and GET /v1/takeover/processes/{id}/parity
through the gateway; explanations proposed and approved by operators only (the verified identity recorded, never a
body field), four eyes, kept append-only in the takeover database — and an approval lets the process advance."""
from __future__ import annotations

from decimal import Decimal

import grpc
import pytest

from leaf.takeover.v1 import takeover_pb2, takeover_pb2_grpc
from services.gateway.adapters.dev_keys import mint_dev_token
from services.takeover.adapters.explanations_sql import SqlExplanations
from services.takeover.adapters.parity_reports_sql import SqlParityReports
from services.takeover.adapters.plane import open_takeover_db
from services.takeover.adapters.process_registry import SqlProcessRegistry
from services.takeover.bootstrap import TakeoverSettings, bootstrap
from services.takeover.domain.parity import BackendValue, packet, parity_report
from services.takeover.domain.processes import PROOFS, Process
from services.takeover.service_layer.processes import advance, record_proof
from tests.integration.gateway_fixtures import gateway
from tests.integration.mesh_fixtures import OPERATOR, caller, channel_to, read_grant, running
from tests.integration.test_takeover_parity_access import SCOPE, scope_service

AT = "2026-11-02T09:00:00Z"


def demo_like_report() -> dict:
    """Three cards: one matches, one double-counts reversals, one carries float noise (decimal strings throughout)."""
    cards = [("CARD-105", "0.8125", "generic_dispensing_rate.gdr", "0.8125"),
             ("CARD-102", "1520.40", "repricing_savings.savings", "1410.15"),
             ("CARD-109", "0.33333333333333331", "generic_dispensing_rate.gdr", "0.3333")]
    packets = [packet("gdr", {"card_id": card, "recorded_value": domo, "replayed_value": domo, "status": "match"},
                      BackendValue(formula, "1", backend)) for card, domo, formula, backend in cards]
    return {**parity_report("gdr", packets), "load_id": "LD-2026-11-01-C001"}


async def test_parity_and_explanations_through_the_gateway(tmp_path):
    url = f"sqlite:///{tmp_path / 'takeover.sqlite'}"
    settings = TakeoverSettings(LEAF_TAKEOVER_DB_URL=url, LEAF_TAKEOVER_LAKE_DIR=str(tmp_path / "lake"))
    engine = open_takeover_db(url)
    registry = SqlProcessRegistry(engine)
    registry.define(Process("gdr", "GDR", "user:o@leaf.example", ("CARD-105", "CARD-102", "CARD-109"), scope=SCOPE),
                    AT)
    kept = demo_like_report()
    SqlParityReports(engine).write("gdr", kept)
    for proof in PROOFS:
        record_proof(registry, "gdr", proof, f"ref-{proof}", OPERATOR, AT)
    async with running(bootstrap(settings)) as address, channel_to(address) as channel, \
            scope_service(tmp_path, {"group:leaf-demo": "C001"}) as scope:
        stub = takeover_pb2_grpc.TakeoverServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as anonymous:
            await stub.GetParity(takeover_pb2.GetParityRequest(process_id="gdr"))
        assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
        over_grpc = await stub.GetParity(takeover_pb2.GetParityRequest(process_id="gdr"),
                                         metadata=read_grant("C001"))  # the process's client: see test_takeover_parity_access
        assert (over_grpc.match, over_grpc.explained, over_grpc.unexplained) == (1, 0, 2)
        assert over_grpc.base_report_id == kept["report_id"] and over_grpc.load_id == "LD-2026-11-01-C001"
        propose = takeover_pb2.ProposeExplanationRequest(process_id="gdr", card_id="CARD-102",
                                                         reason_code="domo_includes_reversals")
        with pytest.raises(grpc.aio.AioRpcError) as analyst:
            await stub.ProposeExplanation(propose, metadata=caller())
        assert analyst.value.code() == grpc.StatusCode.PERMISSION_DENIED

        async with gateway({"takeover": address, "scope": scope}) as http:
            def token(email: str, groups: tuple[str, ...] = ("leaf-operators",)) -> dict:
                return {"Cf-Access-Jwt-Assertion": mint_dev_token(email=email, groups=groups)}

            ops, ops2 = token("ops@leaf.example"), token("ops2@leaf.example")
            parity = await http.get("/v1/takeover/processes/gdr/parity")
            assert parity.status_code == 200, parity.text
            body = parity.json()
            assert (body["cards"], body["match"], body["explained"], body["unexplained"]) == (3, 1, 0, 2)
            assert body["worst_difference"] == {"card_id": "CARD-102", "difference": "110.25"}
            by_card = {p["card_id"]: p for p in body["packets"]}
            assert by_card["CARD-109"]["proposed"] == ["domo_float_rounding"]
            assert by_card["CARD-109"]["difference"] == "0.00003333333333331"
            assert Decimal(by_card["CARD-102"]["domo_value"]) - Decimal(by_card["CARD-102"]["backend_value"]) == \
                Decimal("110.25")
            assert by_card["CARD-105"]["backend_formula"] == "generic_dispensing_rate.gdr@1"
            assert (await http.get("/v1/takeover/processes/gdr/parity", params={"load_id": "LD-OTHER"})
                    ).status_code == 404
            missing = await http.get("/v1/takeover/processes/awp/parity")
            assert missing.status_code == 404 and missing.json()["code"] == "parity_not_found"

            path = "/v1/takeover/processes/gdr/explanations"
            proposal = {"card_id": "CARD-102", "reason_code": "domo_includes_reversals", "note": "sums REVERSAL rows"}
            forbidden = await http.post(path, json=proposal)  # the dev token is no operator
            assert (forbidden.status_code, forbidden.json()["code"]) == (403, "forbidden")
            named = await http.post(path, json={**proposal, "proposed_by": "user:x@y.z"}, headers=ops)
            assert named.status_code in (400, 422)  # who proposes is never a body field
            bad_code = await http.post(path, json={**proposal, "reason_code": "domo_is_wrong"}, headers=ops)
            assert bad_code.status_code in (400, 422)
            unknown_card = await http.post(path, json={**proposal, "card_id": "CARD-999"}, headers=ops)
            assert unknown_card.status_code == 404
            proposed = await http.post(path, json=proposal, headers=ops)
            assert proposed.status_code == 201, proposed.text
            assert proposed.json()["explanation"]["proposed_by"] == "user:ops@leaf.example"
            assert proposed.json()["explanation"]["approved_by"] is None
            assert proposed.json()["report"]["unexplained"] == 2  # a proposal explains nothing

            # the gate still holds: an unexplained difference remains
            results = _results(tmp_path, engine)
            for state in ("candidate_evidence", "golden_comparison"):
                assert advance(registry, results, "gdr", state, OPERATOR, AT, "").done
            held = advance(registry, results, "gdr", "presentation_consumer", OPERATOR, AT, "")
            assert held.reasons == ("unexplained_difference:CARD-102", "unexplained_difference:CARD-109")

            approval = f"{path}/CARD-102/domo_includes_reversals/approval"
            assert (await http.post(approval, headers=token("analyst@leaf.example", ()))).status_code == 403
            own = await http.post(approval, headers=ops)
            assert (own.status_code, own.json()["code"]) == (403, "four_eyes")
            sneaky = await http.post(approval, json={"approved_by": "user:ops2@leaf.example"}, headers=ops)
            assert sneaky.status_code in (400, 422)
            approved = await http.post(approval, headers=ops2)
            assert approved.status_code == 201, approved.text
            assert approved.json()["explanation"]["approved_by"] == "user:ops2@leaf.example"
            report = approved.json()["report"]
            assert (report["match"], report["explained"], report["unexplained"]) == (1, 1, 1)
            again = await http.post(approval, headers=ops2)
            assert (again.status_code, again.json()["code"]) == (409, "already_approved")
            assert (await http.post(f"{path}/CARD-109/domo_float_rounding/approval", headers=ops2)).status_code == 404

            # the second card: proposed by ops2, approved by ops → nothing unexplained; the process may leave
            # golden_comparison (its gate reads the kept report with the approved explanations applied)
            assert (await http.post(path, json={"card_id": "CARD-109", "reason_code": "domo_float_rounding"},
                                    headers=ops2)).status_code == 201
            assert (await http.post(f"{path}/CARD-109/domo_float_rounding/approval", headers=ops)).status_code == 201
            final = (await http.get("/v1/takeover/processes/gdr/parity")).json()
            assert (final["match"], final["explained"], final["unexplained"]) == (1, 2, 0)
            listed = (await http.get("/v1/takeover/processes")).json()["processes"][0]
            assert listed["parity"]["unexplained"] == [] and listed["parity"]["explained"] == ["CARD-102", "CARD-109"]
            moved = await http.post("/v1/takeover/processes/gdr/transitions", json={"to": "presentation_consumer"},
                                    headers=ops)
            assert moved.status_code == 201, moved.text
    history = SqlExplanations(engine).all("gdr")
    assert [(e.card_id, e.proposed_by, e.approved_by) for e in history] == [
        ("CARD-102", "user:ops@leaf.example", None), ("CARD-102", "user:ops@leaf.example", "user:ops2@leaf.example"),
        ("CARD-109", "user:ops2@leaf.example", None), ("CARD-109", "user:ops2@leaf.example", "user:ops@leaf.example")]
    engine.dispose()


def _results(tmp_path, engine):
    from services.takeover.service_layer.parity import ExplainedParityResults

    return ExplainedParityResults(SqlParityReports(engine), SqlExplanations(engine))
