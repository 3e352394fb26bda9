"""End to end: `leaf run` as a user starts it, driven over HTTP; every hop a real gRPC call."""
from __future__ import annotations

import json
import os
import subprocess
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from runtime.topology import CALLS, GATEWAY
from tests.e2e.conftest import LEAF, run_reply

pytestmark = pytest.mark.e2e
C001_2025 = {"client_id": "C001", "pbm_id": "PBM_A", "date_from": "2025-01-01", "date_to": "2025-12-31"}


def test_the_printed_request_returns_a_computed_run(mesh):
    assert "curl -s -X POST" in mesh["printed"] and "/docs" in mesh["printed"] and "dev-token" in mesh["printed"]
    samples = [line.split()[-1] for line in mesh["printed"].splitlines() if line.startswith("Sample ")]
    assert [Path(p).suffix for p in samples] == [".xlsx", ".pdf"] and all(Path(p).stat().st_size > 1000 for p in samples)
    # `leaf run` published this run through a worker at start: asking again is the stored run, 200 not 201.
    reply = mesh["http"].post("/v1/runs", json=C001_2025)
    assert reply.status_code == 200, reply.text
    run = reply.json()
    assert run["readiness"] in {"final", "modeled", "blocked"}
    assert run["result"]["data_quality"]["rows_read"] >= 100_000
    assert mesh["http"].get(f"/v1/runs/{run['run_id']}").json() == run


def test_the_numbers_follow_calculations_md(mesh):
    run = run_reply(mesh["http"], C001_2025).json()
    awp = run["result"]["formulas"][0]
    assert awp["id"] == "awp_discount_guarantee" and awp["buckets"]
    cent, basis = Decimal("0.01"), Decimal("0.0001")
    positive = Decimal(0)
    for bucket in awp["buckets"]:
        total, cost = Decimal(bucket["awp"]), Decimal(bucket["ingredient_cost"])
        guaranteed = (total * (1 - Decimal(bucket["guaranteed_discount"]))).quantize(cent, ROUND_HALF_UP)
        assert Decimal(bucket["guaranteed_cost"]) == guaranteed
        assert Decimal(bucket["variance"]) == cost - guaranteed
        if total:
            assert Decimal(bucket["actual_discount"]) == (1 - cost / total).quantize(basis, ROUND_HALF_UP)
        positive += max(Decimal(0), Decimal(bucket["variance"]))
    packet = Path(__file__).parents[2] / "demo/onedrive/Clients/C001/PBM_A/contract-2025.packet.json"
    offset = json.loads(packet.read_text())["offset"]
    if offset == "none":
        assert Decimal(awp["shortfall"]) == positive


def test_leaf_calc_offline_matches_the_gateway_byte_for_byte(mesh):
    run = run_reply(mesh["http"], C001_2025).json()
    folder = Path(__file__).parents[2] / "demo/onedrive/Clients/C001/PBM_A"
    offline = subprocess.run(
        [str(LEAF), "calc", "--claims", str(mesh["home"] / "demo" / "claims.csv"),
         "--contract", str(folder / "contract-2025.packet.json"), "--rebates", str(folder / "rebates-2025.rebates.json"),
         "--client", "C001", "--pbm", "PBM_A", "--from", "2025-01-01", "--to", "2025-12-31"],
        capture_output=True, check=True)
    assert json.loads(offline.stdout)["formulas"] == run["result"]["formulas"]
    assert json.loads(offline.stdout) == run["result"]


@pytest.mark.parametrize("body, state", [
    ({"client_id": "C003", "date_from": "2025-01-01", "date_to": "2025-12-31"}, "ambiguous"),
    ({"client_id": "Harbor Foods", "date_from": "2025-01-01", "date_to": "2025-12-31"}, "ambiguous"),
    ({"client_id": "C003", "pbm_id": "PBM_B", "date_from": "2025-01-01", "date_to": "2025-12-31"}, "out_of_coverage"),
    ({"client_id": "C999", "date_from": "2025-01-01", "date_to": "2025-12-31"}, "unknown"),
    ({"client_id": "C001", "pbm_id": "PBM_C", "date_from": "2025-01-01", "date_to": "2025-12-31"}, "conflicting"),
])
def test_a_scope_that_is_not_exact_is_never_computed(mesh, body, state):
    resolved = mesh["http"].post("/v1/scopes:resolve", json=body)
    assert resolved.status_code == 200 and resolved.json()["state"] == state
    refused = mesh["http"].post("/v1/runs", json=body)
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "scope_not_exact" and refused.json()["resolution"]["state"] == state


def test_errors_are_problem_json(mesh):
    missing = mesh["http"].get("/v1/runs/run_does_not_exist")
    assert missing.status_code == 404 and missing.json()["code"] == "run_not_found"
    backwards = mesh["http"].post("/v1/runs", json={**C001_2025, "date_from": "2026-01-01"})
    assert backwards.status_code == 400 and backwards.json()["code"] == "bad_input:scope"
    malformed = mesh["http"].post("/v1/runs", json={"client_id": "C001"})
    assert malformed.status_code == 422 and malformed.json()["code"] == "bad_request"


@pytest.mark.parametrize("route", ["/v1/scopes:resolve", "/v1/runs", "/v1/evidence:sufficiency"])
@pytest.mark.parametrize("window, field", [(("0001-01-01", "9999-12-31"), "date_from"),
                                           (("2025-01-01", "9999-12-31"), "date_to"),
                                           (("2025-02-30", "2025-12-31"), "date_from")])
def test_a_malformed_window_is_400_naming_the_day_on_every_route_that_takes_one(mesh, route, window, field):
    """0001-01-01 to 9999-12-31 once overflowed date arithmetic in the scope service and came back as 409."""
    reply = mesh["http"].post(route, json={**C001_2025, "date_from": window[0], "date_to": window[1]})
    assert reply.status_code == 400 and reply.headers["content-type"] == "application/problem+json", reply.text
    assert reply.json()["code"] == f"bad_input:{field}" and reply.json()["detail"].startswith(field)


def test_health_readiness_and_openapi(mesh):
    assert mesh["anonymous"].get("/healthz").json() == {"status": "ok", "services": {}}
    ready = mesh["http"].get("/readyz").json()
    # Exactly the services the gateway calls: one it never calls cannot take it out of the load balancer.
    assert ready["status"] == "ready" and set(ready["services"]) == set(CALLS[GATEWAY])
    paths = mesh["http"].get("/openapi.json").json()["paths"]
    assert {"/v1/runs", "/v1/runs/{run_id}", "/v1/scopes:resolve", "/healthz", "/readyz"} <= set(paths)


def test_a_stock_grpc_client_lists_and_checks_every_service(mesh):
    assert set(mesh["addresses"]) == {"scope", "calc", "evidence", "itr", "publisher", "tasks", "takeover"}
    for name, address in mesh["addresses"].items():
        with grpc.insecure_channel(address) as channel:
            reply = next(reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
                iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10))
            names = {s.name for s in reply.list_services_response.service}
            assert any(n.startswith(f"leaf.{name}.v1.") for n in names), names
            health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
            assert health.status == health_pb2.HealthCheckResponse.SERVING


def test_one_trace_spans_the_gateway_and_every_service_it_touched(mesh):
    run = run_reply(mesh["http"], {**C001_2025, "date_to": "2025-06-30"}).json()
    trace_id = run["lineage"]["trace_id"]
    assert len(trace_id) == 32
    # The request that submitted the run, the tasks service that queued it, and the worker that made it.
    touched = {"gateway", "scope", "calc", "evidence", "publisher", "tasks", "worker-runs"}
    services: set[str] = set()
    for _ in range(100):  # spans are exported in batches (every 0.5 s), so the last ones may come a moment later
        lines = [line for path in (mesh["home"] / "traces").glob("*.jsonl")
                 for line in path.read_text().splitlines() if trace_id in line]
        services = {json.loads(line)["service"] for line in lines}
        if touched <= services and any("SubmitTask" in line for line in lines) \
                and any("compute_run" in line for line in lines):
            break
        time.sleep(0.1)
    assert touched <= services
    shown = subprocess.run([str(LEAF), "trace", trace_id], env={**os.environ, "LEAF_HOME": str(mesh["home"])},
                           capture_output=True, text=True, check=True).stdout
    assert "CalcService/CreateRun" in shown and "EvidenceService/CheckSufficiency" in shown
    assert "TasksService/SubmitTask" in shown and "task compute_run" in shown


def test_a_user_follows_a_task_to_its_run_its_artifacts_and_its_trace(mesh):
    """From the HTTP API alone: the run's task (202, Location), its state until it succeeds, the run it made, the
    files published for it, and the trace that ties the request to the worker that did the work."""
    http, body = mesh["http"], {**C001_2025, "date_from": "2025-04-01", "date_to": "2025-09-30"}
    asked = http.post("/v1/runs", json=body)
    assert asked.status_code == 202 and asked.json()["kind"] == "compute_run", asked.text
    task = asked.json()
    while task["state"] in ("queued", "running"):
        time.sleep(0.5)
        task = http.get(asked.headers["location"]).json()
    assert task["state"] == "succeeded" and task["requested_by"] == "user:developer@leaf.local", task
    assert [c["to_state"] for c in task["history"]] == ["queued", "running", "succeeded"]
    assert task["history"][-1]["actor"] == "workload:worker-runs"
    run = http.get(task["links"]["run"]).json()
    assert run["run_id"] == task["lineage"]["run_id"] and run["scope"]["date_from"] == "2025-04-01"
    assert run["lineage"]["trace_id"] == task["trace_id"]  # the run's trace is the request's that submitted it
    artifacts = http.get(task["links"]["artifacts"]).json()["artifacts"]
    assert {a["name"] for a in artifacts} == {a["name"] for a in task["artifacts"]} >= {"report.pdf", "report.xlsx"}
    workbook = next(a for a in task["artifacts"] if a["name"] == "report.xlsx")
    assert http.get(workbook["href"]).headers["etag"] == f'"{workbook["sha256"]}"'
    shown, wanted = "", ("POST /v1/runs", "TasksService/SubmitTask", "task compute_run", "CalcService/CreateRun",
                         "PublisherService/PublishRun")
    deadline = time.monotonic() + 60  # every service exports its spans in batches; a loaded machine delays them
    while time.monotonic() < deadline:
        shown = subprocess.run([str(LEAF), "trace", task["trace_id"]], env={**os.environ, "LEAF_HOME": str(mesh["home"])},
                               capture_output=True, text=True).stdout
        if all(span in shown for span in wanted):
            break
        time.sleep(0.25)
    for span in wanted:
        assert span in shown, (span, shown)
    assert http.post("/v1/runs", json=body).status_code == 200  # made: asking again is the run


def test_logs_are_json_with_trace_ids_and_no_member_ids(mesh):
    run_reply(mesh["http"], C001_2025)
    for path in (mesh["home"] / "logs").glob("*.log"):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            assert "member_id" not in record
            assert not any(token in line for token in ('"M0', "Bearer "))


def test_the_registry_is_served_machine_readable(mesh):
    document = mesh["http"].get("/v1/registry/formulas").json()
    assert document["registry_version"] == "1"
    ids = [f["id"] for f in document["formulas"]]
    assert ids == ["awp_discount_guarantee", "dispensing_fee_guarantee", "rebate_guarantee", "generic_dispensing_rate",
                   "repricing_savings"]
    assert all({"version", "inputs", "rounding", "exclusions", "evidence_reasons"} <= set(f) for f in document["formulas"])
    assert any(rule["reason"] == "contract_period_gap" for rule in document["evidence_rules"])


def test_evidence_over_http_stays_inside_the_client(mesh):
    listed = mesh["http"].get("/v1/evidence/packets", params={"client_id": "C001"}).json()["packets"]
    assert listed and all(p["client_id"] == "C001" for p in listed)
    one = mesh["http"].get(f"/v1/evidence/packets/{listed[0]['packet_id']}", params={"client_id": "C001"})
    assert one.status_code == 200 and one.json()["body"]["client_id"] == "C001"
    foreign = mesh["http"].get(f"/v1/evidence/packets/{listed[0]['packet_id']}", params={"client_id": "C002"})
    assert foreign.status_code == 404 and foreign.json()["code"] == "packet_not_found"
    text = json.dumps(listed)
    assert not any(leak in text for leak in ("http://", "https://", str(mesh["home"]), "/work/"))


def test_sufficiency_agrees_with_the_run(mesh):
    body = {"client_id": "C006", "pbm_id": "PBM_B", "date_from": "2025-01-01", "date_to": "2025-12-31"}
    answer = mesh["http"].post("/v1/evidence:sufficiency", json=body).json()
    rebate = next(f for f in answer["formulas"] if f["formula_id"] == "rebate_guarantee")
    assert rebate["status"] == "blocked" and rebate["missing_evidence"] == ["rebate_evidence"]
    run = run_reply(mesh["http"], body).json()
    by_formula = {f["formula_id"]: f for f in run["formulas"]}
    for formula in answer["formulas"]:
        if formula["formula_id"] in by_formula:
            assert set(formula["reasons"]) <= set(by_formula[formula["formula_id"]]["reasons"])


def test_a_source_document_downloads_through_the_gateway_only_for_its_client(mesh):
    path = "/v1/evidence/packets/CP-C001-PBMA-2025/document"
    pdf = mesh["http"].get(path, params={"client_id": "C001"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and 'filename="2025 contract.pdf"' in pdf.headers["content-disposition"]
    assert mesh["http"].get(path, params={"client_id": "C002"}).status_code == 404


def test_dashboard_tables_for_domo_connectors_only_for_entitled_callers(mesh):
    run = run_reply(mesh["http"], C001_2025).json()
    params = {"run_id": run["run_id"]}
    table = mesh["http"].get("/v1/dashboard/awp_discount_guarantee", params=params).json()
    assert table["rows"] == next(t for t in run["dashboard"]["tables"] if t["name"] == "awp_discount_guarantee")["rows"]
    as_csv = mesh["http"].get("/v1/dashboard/readiness", params={**params, "format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.text.splitlines()[0].startswith("run_id,client_id,pbm_id")
    assert mesh["http"].get("/v1/dashboard/no_such_table", params=params).status_code == 404
    with mesh["signed_in"]("--email", "someone@other.example") as stranger:
        assert stranger.get("/v1/dashboard/readiness", params=params).status_code == 404


def test_small_cells_are_suppressed_in_the_published_dashboard(mesh):
    body = {"client_id": "C005", "pbm_id": "PBM_C", "tpa_id": "TPA_3", "group_ids": ["C005-G04"],
            "date_from": "2025-12-01", "date_to": "2025-12-31"}
    run = run_reply(mesh["http"], body).json()
    for table in run["dashboard"]["tables"]:
        for row in table["rows"]:
            if isinstance(row.get("members"), int) and 1 <= row["members"] <= 10:
                pytest.fail(f"{table['name']} publishes a cell of {row['members']} members")
            if row.get("suppressed"):
                assert row["suppression_reason"] in {"small_cell", "complementary"} and row.get("claims") is None
    awp = next(t for t in run["dashboard"]["tables"] if t["name"] == "awp_discount_guarantee")
    assert any(row["suppressed"] for row in awp["rows"])
