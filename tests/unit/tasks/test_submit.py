"""Submitting: the ledger records every task with its decision; only admitted ones reach the queue."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from kernel.errors import InputError, NotFound, Refused
from kernel.grants import Area, Grant
from kernel.scope import Scope
from services.tasks.domain.policy import Submitter
from services.tasks.domain.states import BLOCKED, CANCELLED, DEAD_LETTERED, FAILED, QUEUED, StateConflict
from services.tasks.domain.tasks import SubmitTask
from services.tasks.service_layer.handlers import cancel_task, get_task, list_tasks, requeue_task, submit_task
from tests.unit.tasks.fakes import FakeLedger, FakeQueue

NOW = "2026-01-01T00:00:00.000+00:00"
SCOPE = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31")
ANALYST = Submitter("user:ana@leaf.health", groups=("group:analysts",))
OPERATOR = Submitter("user:ops@leaf.health", operator=True)
STRANGER = Submitter("user:eve@leaf.health")


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
    assert [t.task_id for t in list_tasks("", "", "", ANALYST, grant("C001"), ledger)] == [mine.task_id]
    assert get_task(mine.task_id, ANALYST, grant("C001"), ledger)[0] == mine
    with pytest.raises(NotFound):
        get_task(theirs.task_id, ANALYST, grant("C001"), ledger)


def test_a_task_about_data_is_seen_by_whoever_is_entitled_to_it_and_operators_a_task_about_none_by_its_submitter():
    ledger = FakeLedger()
    scoped = submit(SubmitTask("compute_run", json.dumps({"scope": SCOPE.canonical()})), ledger=ledger)
    unscoped = submit(SubmitTask("publish_run", json.dumps({"run_id": "run_1"})), ledger=ledger)
    assert get_task(scoped.task_id, STRANGER, grant("C001"), ledger)[0] == scoped  # entitled to its scope
    with pytest.raises(NotFound):
        get_task(scoped.task_id, ANALYST, grant("C002"), ledger)  # its submitter, no longer entitled
    assert get_task(scoped.task_id, OPERATOR, grant(), ledger)[0] == scoped
    assert get_task(unscoped.task_id, ANALYST, grant(), ledger)[0] == unscoped
    assert get_task(unscoped.task_id, OPERATOR, grant(), ledger)[0] == unscoped
    with pytest.raises(NotFound):
        get_task(unscoped.task_id, STRANGER, grant("C001"), ledger)
    assert [t.task_id for t in list_tasks("", "", "", STRANGER, grant("C001"), ledger)] == [scoped.task_id]


def test_the_submitter_and_its_granted_scope_are_recorded_for_the_worker():
    task = submit_task(SubmitTask("compute_run", json.dumps({"scope": SCOPE.canonical()})), ANALYST,
                       grant(scope=SCOPE), FakeLedger(), None, NOW, trace_id="ab" * 16, trace_parent_id="cd" * 8)
    assert (task.requested_by, task.requested_groups, task.requested_operator) == (
        ANALYST.principal, ("group:analysts",), False)
    assert (task.granted_scope_json, task.trace_parent_id) == (SCOPE.canonical_json().decode(), "cd" * 8)
    read = submit(SubmitTask("publish_run", json.dumps({"run_id": "run_1"})), who=OPERATOR)
    assert (read.granted_scope_json, read.requested_operator) == ("", True)  # a read grant, asked for again


def test_a_payload_names_only_what_its_kind_takes():
    with pytest.raises(InputError) as refused:
        submit(SubmitTask("publish_run", json.dumps({"run_id": "run_1", "scpoe": {}})))
    assert refused.value.code == "bad_input:payload" and "'scpoe'" in refused.value.message


def test_a_key_hands_back_its_task_until_that_task_gave_up_then_a_repeat_is_a_new_try():
    ledger = FakeLedger()
    order = SubmitTask("compute_run", json.dumps({"scope": SCOPE.canonical()}), idempotency_key="compute_run:run_1")
    first = submit(order, ledger=ledger)
    assert submit(order, ledger=ledger).task_id == first.task_id
    ledger.tasks[first.task_id] = replace(first, state=DEAD_LETTERED)
    second = submit(order, ledger=ledger)
    assert second.task_id != first.task_id and second.idempotency_key == f"compute_run:run_1@{first.task_id}"
    assert submit(order, ledger=ledger).task_id == second.task_id  # repeats meet on the new try


def test_operators_cancel_queued_tasks_and_requeue_failed_ones_with_a_reason_in_the_history():
    ledger, queue = FakeLedger(), FakeQueue()
    task = submit(SubmitTask("publish_run", json.dumps({"run_id": "run_1"})), ledger=ledger, queue=queue)
    with pytest.raises(Refused):
        cancel_task(task.task_id, "not mine to stop", ANALYST, ledger, NOW)
    with pytest.raises(InputError):
        cancel_task(task.task_id, " ", OPERATOR, ledger, NOW)
    with pytest.raises(StateConflict):
        requeue_task(task.task_id, "again", OPERATOR, ledger, queue, NOW)  # queued: nothing to requeue
    cancelled = cancel_task(task.task_id, "wrong run", OPERATOR, ledger, NOW)
    assert (cancelled.state, cancelled.finished_at) == (CANCELLED, NOW)
    assert ledger.history(task.task_id)[-1].actor == OPERATOR.principal
    with pytest.raises(StateConflict):
        cancel_task(task.task_id, "twice", OPERATOR, ledger, NOW)

    ledger.tasks[task.task_id] = replace(cancelled, state=FAILED)
    again = requeue_task(task.task_id, "publisher fixed", OPERATOR, ledger, queue, NOW)
    assert (again.state, again.requeues, again.dispatched_at) == (QUEUED, 1, NOW)
    assert queue.enqueued[-1] == ("publish", task.task_id, 5)
    assert ledger.history(task.task_id)[-1].reason == "requeued: publisher fixed"
    with pytest.raises(NotFound):
        requeue_task("task_nope", "why", OPERATOR, ledger, queue, NOW)
