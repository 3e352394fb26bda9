"""Submitting: the ledger records every task with its decision; only admitted ones reach the queue."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from runtime.errors import InputError, NotFound
from runtime.grants import Area, Grant
from runtime.scope import Scope
from services.tasks.domain.policy import Submitter
from services.tasks.domain.states import BLOCKED, QUEUED
from services.tasks.domain.tasks import SubmitTask
from services.tasks.service_layer.handlers import get_task, list_tasks, submit_task
from tests.unit.tasks.fakes import FakeLedger, FakeQueue

NOW = "2026-01-01T00:00:00.000+00:00"
SCOPE = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31")
ANALYST = Submitter("user:ana@leaf.health")
OPERATOR = Submitter("user:ops@leaf.health", operator=True)


def grant(*clients: str, scope: Scope | None = None) -> Grant:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    areas = (Area(scope.client_id),) if scope else tuple(Area(c) for c in clients)
    return Grant(scope, areas, "user:ana@leaf.health", at, at, "k1")


def submit(order, who=ANALYST, held=None, ledger=None, queue=None):
    return submit_task(order, who, held or grant("C001"), ledger if ledger is not None else FakeLedger(),
                       queue, NOW, trace_id="ab" * 16)


def test_an_admitted_task_is_recorded_with_its_lineage_and_put_on_its_lane():
    ledger, queue = FakeLedger(), FakeQueue()
    order = SubmitTask("publish_run", json.dumps({"scope": SCOPE.canonical()}), itr_request_id="a0B1",
                       run_id="run_7")
    task = submit(order, ledger=ledger, queue=queue)
    assert (task.state, task.kind, task.lane, task.requested_by) == (QUEUED, "publish_run", "publish", ANALYST.principal)
    assert (task.itr_request_id, task.run_id, task.scope_hash, task.trace_id) == ("a0B1", "run_7", SCOPE.scope_hash,
                                                                                  "ab" * 16)
    assert (task.policy_outcome, task.policy_rule, task.max_attempts) == ("allowed", "kind.publish_run", 5)
    assert queue.enqueued == [("publish", task.task_id, 5)] and task.dispatched_at == NOW
    assert [(c.from_state, c.to_state, c.actor) for c in ledger.history(task.task_id)] == [("", QUEUED, ANALYST.principal)]


def test_the_exact_grants_scope_is_the_tasks_scope_when_the_payload_names_none():
    assert submit(SubmitTask("compute_run"), held=grant(scope=SCOPE)).scope_hash == SCOPE.scope_hash


def test_a_denied_task_is_recorded_blocked_with_the_rule_and_never_queued():
    ledger, queue = FakeLedger(), FakeQueue()
    task = submit(SubmitTask("takeover_ingest", operator_intent=False), who=OPERATOR, ledger=ledger, queue=queue)
    assert (task.state, task.policy_outcome, task.policy_rule) == (BLOCKED, "denied", "kind.takeover_ingest.mutates_curated")
    assert task.finished_at == NOW and queue.enqueued == []
    assert ledger.history(task.task_id)[0].reason == task.policy_reason
    assert submit(SubmitTask("takeover_ingest", operator_intent=True), who=OPERATOR, queue=queue).state == QUEUED


def test_a_queue_that_is_down_leaves_the_task_queued_for_the_next_sweep():
    ledger = FakeLedger()
    task = submit(SubmitTask("compute_run"), ledger=ledger, queue=FakeQueue(down=True))
    assert task.state == QUEUED and not task.dispatched_at and ledger.undispatched(10) == [task]
    up = FakeQueue()
    submit(SubmitTask("compute_run"), ledger=ledger, queue=up)  # the next submission sweeps the earlier one too
    assert [t for _, t, _ in up.enqueued][0] == task.task_id and not ledger.undispatched(10)


def test_malformed_orders_are_input_errors():
    for order, code in ((SubmitTask("report"), "unknown_kind"), (SubmitTask("publish_run", lane="runs"), "bad_input:lane"),
                        (SubmitTask("publish_run", "[1]"), "bad_input:payload")):
        with pytest.raises(InputError) as refused:
            submit(order)
        assert refused.value.code == code


def test_a_task_outside_the_grant_is_not_found_and_not_recorded():
    ledger = FakeLedger()
    with pytest.raises(NotFound):
        submit(SubmitTask("compute_run", json.dumps({"client_id": "C002"})), ledger=ledger)
    assert ledger.tasks == {}


def test_reads_hide_tasks_outside_the_grant():
    ledger = FakeLedger()
    mine = submit(SubmitTask("compute_run", json.dumps({"client_id": "C001"})), ledger=ledger)
    theirs = submit(SubmitTask("compute_run", json.dumps({"client_id": "C002"})), held=grant("C002"), ledger=ledger)
    assert [t.task_id for t in list_tasks("", "", "", grant("C001"), ledger)] == [mine.task_id]
    assert get_task(mine.task_id, grant("C001"), ledger)[0] == mine
    with pytest.raises(NotFound):
        get_task(theirs.task_id, grant("C001"), ledger)
