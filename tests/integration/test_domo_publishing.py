"""Domo publishing with the real pydomo SDK against a local HTTPS Domo stand-in, and the embedded outbox."""
from __future__ import annotations

import base64
import json
import logging
import time

import pytest
from pydantic import ValidationError

from kernel.errors import NotReady, Unavailable
from services.publisher.adapters.domo import DomoPublisher, DomoSettings, domo_publisher
from services.publisher.adapters.domo_outbox import DomoOutbox
from services.publisher.domain.dashboard import SCOPE_COLUMNS, Table, dashboard_tables, to_csv
from services.publisher.domain.suppression import suppress_tables
from tests.integration.domo_standin import CLIENT_ID, CLIENT_SECRET, DomoStandIn, domo_standin  # noqa: F401
from tests.unit.publisher.dashboard_fixtures import dashboard_context

COLUMNS = (*SCOPE_COLUMNS, "formula_id", "formula_version", "status", "channel", "members", "variance", "suppressed")
ENTITLED = [("C001 Analysts", "C001", None), ("C002 Analysts", "C002", None), ("Leaf Ops", "C001", None),
            ("Leaf Ops", "C002", None), ("pat@c001.example", "C001", ("G1",))]


def run_tables(run_id: str, client: str, scope: str, groups: str = "", n: int = 2, variance: str = "12.50") -> list[Table]:
    base = {"run_id": run_id, "client_id": client, "pbm_id": "PBM_A", "tpa_id": None, "group_ids": groups,
            "date_from": "2025-01-01", "date_to": "2025-12-31", "scope_hash": scope, "formula_id": "awp_discount_guarantee",
            "formula_version": 1, "status": "final"}
    buckets = tuple({**base, "channel": f"CH{i:03d}", "members": 20 + i, "variance": variance, "suppressed": False}
                    for i in range(n))
    readiness = Table("readiness", (*SCOPE_COLUMNS, "formula_id", "formula_version", "status"), ({**base},))
    return [readiness, Table("awp_discount_guarantee", COLUMNS, buckets)]


def publisher(standin: DomoStandIn, secret: str = CLIENT_SECRET, **options) -> DomoPublisher:
    return DomoPublisher(standin.host, CLIENT_ID, secret, backoff_seconds=0.01, **options)


def visible(standin: DomoStandIn, dataset: str, member: int, kind: str = "groups") -> set[tuple[str, str]]:
    """What Domo's PDP shows a member: rows matching every filter of any policy naming it (union over policies)."""
    seen = set()
    for policy in standin.policies_of(dataset).values():
        if member in policy[kind]:
            seen |= {(r["client_id"], r["group_ids"]) for r in standin.rows(dataset)
                     if all(r[f["column"]] in f["values"] for f in policy["filters"])}
    return seen


def test_first_publish_creates_datasets_with_schema_imports_the_csv_and_enables_pdp(domo_standin):
    tables = run_tables("run_1", "C001", "h1")
    summary = publisher(domo_standin).publish("run_1", "C001", tables, ENTITLED)
    creates = [json.loads(r["body"]) for r in domo_standin.requests if r["method"] == "POST" and r["path"] == "/v1/streams"]
    assert [c["dataSet"]["name"] for c in creates] == ["leaf_readiness", "leaf_awp_discount_guarantee"]
    assert all(c["updateMethod"] == "REPLACE" for c in creates)
    columns = {c["name"]: c["type"] for c in creates[1]["dataSet"]["schema"]["columns"]}
    typed = (columns["members"], columns["variance"], columns["date_from"], columns["client_id"])
    assert typed == ("LONG", "DECIMAL", "DATE", "STRING")
    imports = [r for r in domo_standin.requests if r["method"] == "PUT" and r["path"].endswith("/data")]
    assert [r["body"] for r in imports] == [to_csv(t).split(b"\r\n", 1)[1] for t in tables]   # header-less, like Domo
    assert all(d["pdpEnabled"] for d in domo_standin.datasets.values())
    assert [d.upload for d in summary.datasets] == ["import", "import"] and all(d.created for d in summary.datasets)
    assert summary.unresolved_principals == ()


def test_each_principal_sees_exactly_its_entitled_clients(domo_standin):
    target = publisher(domo_standin)
    target.publish("run_1", "C001", run_tables("run_1", "C001", "h1"), ENTITLED)
    target.publish("run_2", "C001", run_tables("run_2", "C001", "h2", groups="G1"), ENTITLED)
    target.publish("run_3", "C002", run_tables("run_3", "C002", "h3"), ENTITLED)
    for name in ("leaf_readiness", "leaf_awp_discount_guarantee"):
        policies = domo_standin.policies_of(name)
        assert set(policies) == {"All Rows", "leaf:C001 Analysts", "leaf:C002 Analysts", "leaf:Leaf Ops",
                                 "leaf:pat@c001.example:C001"}
        assert policies["leaf:Leaf Ops"]["filters"] == [{"column": "client_id", "values": ["C001", "C002"],
                                                         "operator": "EQUALS", "not": False}]
        assert {c for c, _ in visible(domo_standin, name, 101)} == {"C001"}
        assert {c for c, _ in visible(domo_standin, name, 102)} == {"C002"}
        assert {c for c, _ in visible(domo_standin, name, 103)} == {"C001", "C002"}
        assert visible(domo_standin, name, 27, "users") == {("C001", "G1")}   # narrowed: not the client-wide rows
    assert {r["client_id"] for r in domo_standin.rows("leaf_readiness")} == {"C001", "C002"}


def test_republishing_a_run_writes_nothing_and_leaves_domo_identical(domo_standin):
    target = publisher(domo_standin)
    target.publish("run_1", "C001", run_tables("run_1", "C001", "h1"), ENTITLED)
    target.publish("run_3", "C002", run_tables("run_3", "C002", "h3"), ENTITLED)
    before, writes = domo_standin.state(), len(domo_standin.writes())
    again = publisher(domo_standin).publish("run_3", "C002", run_tables("run_3", "C002", "h3"), ENTITLED)
    assert domo_standin.writes()[writes:] == []
    assert domo_standin.state() == before
    assert all(not d.created and d.upload == "none" and not d.policies_created for d in again.datasets)


def test_a_new_run_replaces_its_scope_and_keeps_other_clients(domo_standin):
    target = publisher(domo_standin)
    target.publish("run_1", "C001", run_tables("run_1", "C001", "h1"), ENTITLED)
    target.publish("run_3", "C002", run_tables("run_3", "C002", "h3"), ENTITLED)
    target.publish("run_4", "C001", run_tables("run_4", "C001", "h1", variance="9.99"), ENTITLED)
    rows = domo_standin.rows("leaf_awp_discount_guarantee")
    assert [(r["run_id"], r["variance"]) for r in rows] == [("run_4", "9.99")] * 2 + [("run_3", "12.50")] * 2


def test_a_revoked_entitlement_removes_its_policy_and_foreign_policies_stay(domo_standin):
    target = publisher(domo_standin)
    target.publish("run_1", "C001", run_tables("run_1", "C001", "h1"), ENTITLED)
    domo_standin.add_foreign_policy("Finance review")
    revoked = [e for e in ENTITLED if e[0] != "C001 Analysts"] + [("ghost@nowhere.example", "C001", None)]
    summary = target.publish("run_1", "C001", run_tables("run_1", "C001", "h1"), revoked)
    policies = domo_standin.policies_of("leaf_readiness")
    assert "leaf:C001 Analysts" not in policies and {"All Rows", "Finance review", "leaf:Leaf Ops"} <= set(policies)
    assert summary.datasets[0].policies_deleted == ("leaf:C001 Analysts",)
    assert summary.unresolved_principals == ("ghost@nowhere.example",)
    assert visible(domo_standin, "leaf_readiness", 101) == set()


def test_a_large_table_goes_through_a_stream_execution_in_parts(domo_standin):
    tables = run_tables("run_1", "C001", "h1", n=10)
    summary = publisher(domo_standin, stream_threshold_rows=5, part_rows=4).publish("run_1", "C001", tables, ENTITLED)
    assert [d.upload for d in summary.datasets] == ["import", "stream"]
    stream_writes = [w for w in domo_standin.writes() if w.startswith("PUT /v1/streams") or w.endswith("/executions")]
    assert stream_writes == ["POST /v1/streams/2/executions", *[f"PUT /v1/streams/2/executions/1/part/{i}" for i in (1, 2, 3)],
                             "PUT /v1/streams/2/executions/1/commit"]
    assert [r["channel"] for r in domo_standin.rows("leaf_awp_discount_guarantee")] == [f"CH{i:03d}" for i in range(10)]
    republished = publisher(domo_standin, stream_threshold_rows=5, part_rows=4).publish(
        "run_4", "C001", run_tables("run_4", "C001", "h1", n=10, variance="1.00"), ENTITLED)
    assert republished.datasets[1].upload == "stream"      # an existing dataset's stream is found by search
    assert {r["variance"] for r in domo_standin.rows("leaf_awp_discount_guarantee")} == {"1.00"}


def test_throttling_honours_retry_after_and_a_5xx_is_retried(domo_standin):
    domo_standin.fail_next("PUT /v1/datasets/", 429, {"Retry-After": "1"})
    domo_standin.fail_next("GET /v1/users", 503)
    started = time.monotonic()
    publisher(domo_standin).publish("run_1", "C001", run_tables("run_1", "C001", "h1"), ENTITLED)
    assert time.monotonic() - started >= 1.0
    statuses = lambda prefix: [r["status"] for r in domo_standin.requests  # noqa: E731
                               if f"{r['method']} {r['path']}".startswith(prefix)]
    assert statuses("PUT /v1/datasets/")[:2] == [429, 200]
    assert statuses("GET /v1/users") == [503, 200]
    assert {r["client_id"] for r in domo_standin.rows("leaf_readiness")} == {"C001"}


def test_a_persistent_5xx_fails_clearly_after_the_bounded_attempts(domo_standin):
    for _ in range(3):
        domo_standin.fail_next("GET /v1/groups", 502)
    with pytest.raises(Unavailable) as failed:
        publisher(domo_standin, max_attempts=3).publish("run_1", "C001", run_tables("run_1", "C001", "h1"), ENTITLED)
    assert failed.value.code == "domo_unavailable" and "list groups" in str(failed.value) and "3 attempts" in str(failed.value)
    assert [r["status"] for r in domo_standin.requests if r["path"] == "/v1/groups"] == [502, 502, 502]


def test_a_create_that_may_have_happened_is_not_repeated_and_the_next_publish_heals(domo_standin):
    domo_standin.fail_next("POST /v1/streams", 500)
    with pytest.raises(Unavailable, match="create stream still failing"):
        publisher(domo_standin).publish("run_1", "C001", run_tables("run_1", "C001", "h1"), ENTITLED)
    assert [r["status"] for r in domo_standin.requests if r["path"] == "/v1/streams"] == [500]
    publisher(domo_standin).publish("run_1", "C001", run_tables("run_1", "C001", "h1"), ENTITLED)
    assert sorted(d["name"] for d in domo_standin.datasets.values()) == ["leaf_awp_discount_guarantee", "leaf_readiness"]


def test_a_refusal_is_not_retried_and_no_secret_reaches_errors_or_logs(domo_standin, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("pydomo", "urllib3"):
        caplog.set_level(logging.DEBUG, logger=name)
    domo_standin.fail_next("POST /v1/streams", 403)
    with pytest.raises(NotReady) as refused:
        publisher(domo_standin).publish("run_1", "C001", run_tables("run_1", "C001", "h1"), ENTITLED)
    assert refused.value.code == "domo_rejected" and "create stream (403)" in str(refused.value)
    assert [r["status"] for r in domo_standin.requests if r["path"] == "/v1/streams"] == [403]
    with pytest.raises(Unavailable) as bad_secret:
        publisher(domo_standin, secret="wrong-secret-value").publish("run_1", "C001", run_tables("run_1", "C001", "h1"), ENTITLED)
    assert bad_secret.value.code == "domo_token"
    domo_standin.fail_next("GET /v1/datasets", 429, {"Retry-After": "0"})
    publisher(domo_standin).publish("run_1", "C001", run_tables("run_1", "C001", "h1"), ENTITLED)
    texts = [str(refused.value), str(bad_secret.value)] + [r.getMessage() for r in caplog.records]
    assert any("retry" in t for t in texts) and domo_standin.tokens
    basic = [base64.b64encode(f"{CLIENT_ID}:{s}".encode()).decode() for s in (CLIENT_SECRET, "wrong-secret-value")]
    for text in texts:
        for secret in (CLIENT_SECRET, "wrong-secret-value", "bearer", *basic, *domo_standin.tokens):
            assert secret not in text, text


def test_the_outbox_writes_the_same_plan_atomically_and_idempotently(tmp_path):
    outbox = DomoOutbox(tmp_path / "domo_outbox")
    outbox.publish("run_1", "C001", run_tables("run_1", "C001", "h1"), ENTITLED)
    outbox.publish("run_3", "C002", run_tables("run_3", "C002", "h3"), ENTITLED)
    folder = tmp_path / "domo_outbox" / "leaf_awp_discount_guarantee"
    files = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}
    assert set(files) == {"data.csv", "schema.json", "pdp.json"}          # no temporary file left behind
    again = outbox.publish("run_3", "C002", run_tables("run_3", "C002", "h3"), ENTITLED)
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()} == files
    assert all(d.upload == "none" and not d.created for d in again.datasets)
    assert files["data.csv"][0].splitlines()[0].startswith(b"run_id,client_id")
    assert {line.split(b",")[1] for line in files["data.csv"][0].splitlines()[1:]} == {b"C001", b"C002"}
    pdp = {p["name"]: p for p in json.loads(files["pdp.json"][0])}
    assert pdp["leaf:Leaf Ops"]["filters"][0]["values"] == ["C001", "C002"] and pdp["leaf:Leaf Ops"]["principal"] == "Leaf Ops"
    assert json.loads(files["schema.json"][0])["schema"]["columns"][5] == {"name": "date_from", "type": "DATE"}


def test_the_factory_picks_domo_only_when_every_setting_is_given(leaf_home, monkeypatch):
    assert isinstance(domo_publisher(DomoSettings()), DomoOutbox)
    assert domo_publisher(DomoSettings()).root == leaf_home / "domo_outbox"
    monkeypatch.setenv("LEAF_DOMO_API_HOST", "api.domo.com")
    with pytest.raises(ValidationError, match="LEAF_DOMO_CLIENT_ID, LEAF_DOMO_CLIENT_SECRET"):
        DomoSettings()
    monkeypatch.setenv("LEAF_DOMO_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("LEAF_DOMO_CLIENT_SECRET", CLIENT_SECRET)
    assert isinstance(domo_publisher(DomoSettings()), DomoPublisher)   # no network until the first publish
    monkeypatch.setenv("LEAF_DOMO_API_HOST", "http://api.domo.com")
    with pytest.raises(ValidationError, match="HTTPS only"):
        DomoSettings()
    for name in ("LEAF_DOMO_API_HOST", "LEAF_DOMO_CLIENT_ID", "LEAF_DOMO_CLIENT_SECRET"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("LEAF_ENV", "prod")
    with pytest.raises(ValidationError, match="refuses embedded defaults; set LEAF_DOMO_API_HOST"):
        DomoSettings()


def test_only_the_test_process_trusts_the_stand_in(domo_standin, monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    with pytest.raises(Unavailable) as untrusted:
        publisher(domo_standin).publish("run_1", "C001", run_tables("run_1", "C001", "h1"), ENTITLED)
    assert untrusted.value.code == "domo_token" and domo_standin.requests == []


def test_per_client_datasets_hold_one_clients_rows_and_only_its_principals_policies(domo_standin):
    target = publisher(domo_standin, per_client=True)
    target.publish("run_1", "C001", run_tables("run_1", "C001", "h1"), ENTITLED)
    target.publish("run_3", "C002", run_tables("run_3", "C002", "h3"), ENTITLED)
    assert {r["client_id"] for r in domo_standin.rows("leaf_C001_readiness")} == {"C001"}
    assert {r["client_id"] for r in domo_standin.rows("leaf_C002_readiness")} == {"C002"}
    c002 = domo_standin.policies_of("leaf_C002_awp_discount_guarantee")
    assert "leaf:C001 Analysts" not in c002 and "leaf:C002 Analysts" in c002
    assert c002["leaf:Leaf Ops"]["filters"][0]["values"] == ["C002"]
    assert visible(domo_standin, "leaf_C002_awp_discount_guarantee", 101) == set()


def test_a_runs_whole_dashboard_publishes_typed_and_republishing_it_writes_nothing(domo_standin, tmp_path):
    runs = [dashboard_context(client_id=c, lineage={"rebates_received_other": []}) for c in ("C001", "C002")]
    published = [(r.run_id, r.client_id, suppress_tables(dashboard_tables(r))) for r in runs]
    for run_id, client, tables in published:
        publisher(domo_standin).publish(run_id, client, tables, ENTITLED)
    creates = {c["dataSet"]["name"]: {col["name"]: col["type"] for col in c["dataSet"]["schema"]["columns"]}
               for c in (json.loads(r["body"]) for r in domo_standin.requests
                         if r["method"] == "POST" and r["path"] == "/v1/streams")}
    assert set(creates) == {f"leaf_{t.name}" for t in published[0][2]}
    assert (creates["leaf_offset_groups"]["group"], creates["leaf_offset_groups"]["shortfall"]) == ("STRING", "DECIMAL")
    assert (creates["leaf_generic_dispensing_rate"]["generic_claims"], creates["leaf_run_summary"]["total_owed"],
            creates["leaf_rebate_guarantee"]["members"]) == ("LONG", "DECIMAL", "LONG")
    flags = {r["suppressed"] for r in domo_standin.rows("leaf_awp_discount_guarantee")}
    assert flags == {"true", "false"}
    assert {r["client_name"] for r in domo_standin.rows("leaf_run_summary")} == {"Acme Manufacturing"}
    before, writes = domo_standin.state(), len(domo_standin.writes())
    for run_id, client, tables in published:
        again = publisher(domo_standin).publish(run_id, client, tables, ENTITLED)
        assert all(not d.created and d.upload == "none" and not d.policies_created for d in again.datasets)
    assert domo_standin.writes()[writes:] == [] and domo_standin.state() == before
    outbox = DomoOutbox(tmp_path / "domo_outbox")
    for run_id, client, tables in published:
        outbox.publish(run_id, client, tables, ENTITLED)
    assert all(d.upload == "none" for run_id, client, tables in published
               for d in outbox.publish(run_id, client, tables, ENTITLED).datasets)
