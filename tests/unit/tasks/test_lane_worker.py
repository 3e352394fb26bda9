"""A lane worker on fakes: it does a kind's work for the submitter, records run and artifacts on success, turns a
refusal into a permanent failure, enforces the kind's time limit, gives the task in hand back when it must stop,
and keeps an operator's cancel."""
from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import replace

import pytest

from kernel.errors import NotFound, Unavailable
from services.tasks.adapters.queues.loop_thread import LoopThread
from services.tasks.domain.kinds import KINDS
from services.tasks.domain.states import CANCELLED, FAILED, QUEUED, RUNNING, SUCCEEDED, StateChange
from services.tasks.domain.tasks import Artifact, Task
from services.tasks.service_layer.lane_worker import LaneWorker
from services.tasks.service_layer.ports import RunMade
from tests.unit.tasks.fakes import FakeQueue, FakeStore, delivery

NOW = "2026-01-01T00:00:00.000+00:00"
SCOPE_JSON = '{"client_id":"C001","date_from":"2025-01-01","date_to":"2025-12-31","group_ids":[],"pbm_id":"PBM_A",' \
             '"tpa_id":null}'
PDF = Artifact("report.pdf", "ab" * 32, 1234)


class FakeMesh:
    """Answers like the services would; `refuse` is what the scope service says instead of a grant."""

    def __init__(self, refuse: Exception | None = None, computing: float = 0.0) -> None:
        self.refuse, self.computing = refuse, computing
        self.calls: list[tuple] = []

    async def acting_for(self, task: Task, timeout: float):
        self.calls.append(("acting_for", task.requested_by, task.granted_scope_json))
        if self.refuse:
            raise self.refuse
        return "acting"

    async def create_run(self, acting, scope_json: str, itr_request_id: str, timeout: float,
                         proposal_id: str = "") -> RunMade:
        self.calls.append(("create_run", scope_json, itr_request_id, *([proposal_id] if proposal_id else [])))
        await asyncio.sleep(self.computing)
        return RunMade("run_1", "final")

    async def publish_run(self, acting, run_id: str, timeout: float) -> tuple[Artifact, ...]:
        self.calls.append(("publish_run", run_id))
        return (PDF,)

    async def sync_requests(self, acting, timeout: float) -> dict:
        self.calls.append(("sync_requests", acting))
        return {"requests_upserted": 23, "history_added": 128, "watermark": "2025-01-18T09:12:13.000+0000"}

    async def ingest_export(self, acting, path: str, timeout: float) -> dict:
        self.calls.append(("ingest_export", path))
        return {"load_id": "LD-1", "status": "quarantined", "reasons": ["manifest_incomplete"], "datasets": []}

    async def compare_parity(self, acting, process_id: str, load_id: str, timeout: float) -> dict:
        self.calls.append(("compare_parity", acting, process_id, load_id))
        return {"report_id": "PR-1", "process_id": process_id, "load_id": load_id, "cards": 2, "match": 1,
                "explained": 0, "unexplained": 1, "worst_difference": {"card_id": "CARD-1", "difference": "0.5"}}


@pytest.fixture
def calls():
    thread = LoopThread("test-calls")
    yield thread.loop
    thread.stop()


def queued(store: FakeStore, kind: str = "compute_run", payload_json: str = "{}", **fields) -> Task:
    task = Task("task_1", kind, KINDS[kind].lane, QUEUED, "user:ana@leaf.health", "", "a0B1", "", "allowed",
                f"kind.{kind}", "", payload_json, NOW, NOW, max_attempts=3, granted_scope_json=SCOPE_JSON,
                requested_groups=("group:analysts",), **fields)
    return store.tasks.add(task, StateChange(task.task_id, "", QUEUED, 0, "admitted", task.requested_by, NOW))


def worker(store, queue, mesh, loop, **options) -> LaneWorker:
    return LaneWorker("runs", queue, store.tasks, store.units, mesh, loop, **options)


def test_compute_run_computes_then_publishes_for_the_submitter_and_records_the_run_and_artifacts(calls):
    store, queue, mesh = FakeStore(), FakeQueue(), FakeMesh()
    queued(store)
    assert worker(store, queue, mesh, calls).handle(delivery("task_1")) == "succeeded"
    task = store.tasks.get("task_1")
    assert (task.state, task.run_id, task.artifacts) == (SUCCEEDED, "run_1", (PDF,))
    assert json.loads(task.result_json) == {"run_id": "run_1", "readiness": "final", "artifacts": 1}
    assert (task.progress_done, task.progress_total, task.progress_note) == (2, 2, "published")
    # A fresh grant for the recorded scope before each call that needs one.
    assert [c[0] for c in mesh.calls] == ["acting_for", "create_run", "acting_for", "publish_run"]
    assert mesh.calls[0] == ("acting_for", "user:ana@leaf.health", SCOPE_JSON)
    assert mesh.calls[1] == ("create_run", SCOPE_JSON, "a0B1") and queue.settled == [("ack", "task_1", {})]


def test_compute_run_hands_the_payloads_proposal_id_to_calc_as_a_reference_beside_the_recorded_scope(calls):
    store, queue, mesh = FakeStore(), FakeQueue(), FakeMesh()
    queued(store, payload_json=json.dumps({"scope": json.loads(SCOPE_JSON), "proposal_id": "PR-C001-PBMA-2026"}))
    assert worker(store, queue, mesh, calls).handle(delivery("task_1")) == "succeeded"
    # The scope is the one the submission was granted, never something the proposal says.
    assert mesh.calls[1] == ("create_run", SCOPE_JSON, "a0B1", "PR-C001-PBMA-2026")


def test_a_refused_grant_fails_the_task_for_good_with_the_scope_services_reason(calls):
    store, queue = FakeStore(), FakeQueue()
    queued(store)
    mesh = FakeMesh(refuse=NotFound("scope_not_found", "no such scope for this caller"))
    assert worker(store, queue, mesh, calls).handle(delivery("task_1")) == "failed"
    task = store.tasks.get("task_1")
    assert (task.state, task.last_error) == (FAILED, "permanent_failure: scope_not_found: no such scope for this caller")
    assert [c[0] for c in mesh.calls] == ["acting_for"] and queue.settled == [("ack", "task_1", {})]


def test_a_service_that_is_down_is_a_passing_fault(calls):
    store, queue = FakeStore(), FakeQueue()
    queued(store)
    assert worker(store, queue, FakeMesh(refuse=Unavailable("unavailable", "scope is down")),
                  calls).handle(delivery("task_1")) == "retrying"
    assert store.tasks.get("task_1").state == QUEUED and queue.settled[0][0] == "release"


def test_the_kinds_time_limit_stops_the_work_and_the_retry_policy_decides(calls):
    store, queue = FakeStore(), FakeQueue()
    queued(store)
    brief = {"compute_run": replace(KINDS["compute_run"], time_limit_seconds=1)}
    started = time.monotonic()
    outcome = worker(store, queue, FakeMesh(computing=30), calls, kinds=brief).handle(delivery("task_1"))
    assert outcome == "retrying" and time.monotonic() - started < 10
    task = store.tasks.get("task_1")
    assert task.state == QUEUED and task.last_error.startswith("time_limit_exceeded: ")
    assert queue.settled == [("release", "task_1", {"delay": 10.0, "error": task.last_error})]


def test_a_stopping_worker_gives_the_task_in_hand_back_after_its_grace(calls):
    store, queue = FakeStore(), FakeQueue()
    queued(store)
    lane = worker(store, queue, FakeMesh(computing=30), calls, grace_seconds=0.3)
    threading.Timer(0.3, lane.stop).start()
    started = time.monotonic()
    assert lane.handle(delivery("task_1")) == "released" and time.monotonic() - started < 5
    assert store.tasks.get("task_1").state == QUEUED
    how, _, details = queue.settled[0]
    assert how == "release" and details["delay"] == 0.0 and details["error"].startswith("interrupted: ")


def test_a_stopping_worker_finishes_what_fits_in_its_grace(calls):
    store, queue = FakeStore(), FakeQueue()
    queued(store)
    lane = worker(store, queue, FakeMesh(computing=0.5), calls, grace_seconds=10)
    threading.Timer(0.1, lane.stop).start()
    assert lane.handle(delivery("task_1")) == "succeeded"


def test_an_operators_cancel_stops_the_work_and_stands(calls):
    store, queue = FakeStore(), FakeQueue()
    queued(store)
    lane = worker(store, queue, FakeMesh(computing=30), calls, lease_seconds=0.3)

    def cancel() -> None:
        store.tasks.move(StateChange("task_1", RUNNING, CANCELLED, 1, "cancelled: wrong scope", "user:o@x.io", NOW))

    threading.Timer(0.3, cancel).start()
    started = time.monotonic()
    assert lane.handle(delivery("task_1")) == "skipped" and time.monotonic() - started < 5  # stopped, not waited out
    assert store.tasks.get("task_1").state == CANCELLED and store.tasks.get("task_1").run_id == ""


def test_takeover_ingest_without_a_path_fails_at_once_saying_what_is_missing(calls):
    store, mesh = FakeStore(), FakeMesh()
    queued(store, kind="takeover_ingest")
    assert worker(store, FakeQueue(), mesh, calls).handle(delivery("task_1", lane="takeover")) == "failed"
    assert "needs a `path`" in store.tasks.get("task_1").last_error and mesh.calls == []


def test_takeover_ingest_ingests_for_the_operator_and_a_quarantine_is_its_result_not_a_failure(calls):
    store, mesh = FakeStore(), FakeMesh()
    queued(store, kind="takeover_ingest", payload_json='{"path": "/exports/leafiq.zip"}')
    assert worker(store, FakeQueue(), mesh, calls).handle(delivery("task_1", lane="takeover")) == "succeeded"
    task = store.tasks.get("task_1")
    assert json.loads(task.result_json)["reasons"] == ["manifest_incomplete"] and task.progress_note == "quarantined"
    assert [c[0] for c in mesh.calls] == ["acting_for", "ingest_export"] and mesh.calls[1][1] == "/exports/leafiq.zip"


def test_itr_sync_syncs_the_mirror_for_the_operator_and_records_its_summary(calls):
    store, mesh = FakeStore(), FakeMesh()
    queued(store, kind="itr_sync")
    assert worker(store, FakeQueue(), mesh, calls).handle(delivery("task_1", lane="itr")) == "succeeded"
    task = store.tasks.get("task_1")
    assert json.loads(task.result_json)["requests_upserted"] == 23 and task.progress_note == "synced"
    assert [c[0] for c in mesh.calls] == ["acting_for", "sync_requests"]


def test_takeover_parity_compares_for_the_operator_under_the_recorded_scope_and_records_the_counts(calls):
    store, mesh = FakeStore(), FakeMesh()
    queued(store, kind="takeover_parity", payload_json='{"process_id": "gdr", "load_id": "LD-1"}')
    assert worker(store, FakeQueue(), mesh, calls).handle(delivery("task_1", lane="takeover")) == "succeeded"
    task = store.tasks.get("task_1")
    summary = json.loads(task.result_json)
    assert (summary["report_id"], summary["match"], summary["unexplained"]) == ("PR-1", 1, 1)
    assert task.progress_note == "1 unexplained"
    assert mesh.calls == [("acting_for", "user:ana@leaf.health", SCOPE_JSON), ("compare_parity", "acting", "gdr", "LD-1")]


@pytest.mark.parametrize(("payload", "scope", "said"), [
    ('{"load_id": "LD-1"}', SCOPE_JSON, "needs a `process_id` and a `load_id`"),
    ('{"process_id": "gdr"}', SCOPE_JSON, "needs a `process_id` and a `load_id`"),
    ('{"process_id": "gdr", "load_id": "LD-1"}', "", "needs the exact scope"),
])
def test_takeover_parity_without_its_process_load_or_granted_scope_fails_at_once(calls, payload, scope, said):
    store, mesh = FakeStore(), FakeMesh()
    queued(store, kind="takeover_parity", payload_json=payload)
    store.tasks.note("task_1", granted_scope_json=scope)
    assert worker(store, FakeQueue(), mesh, calls).handle(delivery("task_1", lane="takeover")) == "failed"
    assert said in store.tasks.get("task_1").last_error and mesh.calls == []
