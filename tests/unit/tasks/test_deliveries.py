"""One delivery start to finish, on fakes: effects apply once, retries follow the kind, dead letters say why."""
from __future__ import annotations

from dataclasses import replace

from services.tasks.domain.kinds import KINDS
from services.tasks.domain.states import CANCELLED, DEAD_LETTERED, FAILED, QUEUED, RUNNING, SUCCEEDED, StateChange
from services.tasks.domain.tasks import Task
from services.tasks.service_layer.deliveries import (
    Interrupted,
    Outside,
    PermanentFailure,
    handle_delivery,
    reconcile_dead_letters,
)
from services.tasks.service_layer.effects import run_once
from tests.unit.tasks.fakes import FakeQueue, FakeStore, delivery

NOW = "2026-01-01T00:00:00.000+00:00"
WORKER = "workload:worker-runs"


def queued(store: FakeStore, task_id: str = "task_1", kind: str = "compute_run") -> Task:
    task = Task(task_id, kind, KINDS[kind].lane if kind in KINDS else "runs", QUEUED, "user:ana@leaf.health", "",
                "", "", "allowed", f"kind.{kind}", "", "{}", NOW, NOW, max_attempts=3)
    return store.tasks.add(task, StateChange(task_id, "", QUEUED, 0, "admitted", "user:ana@leaf.health", NOW))


def apply(task, uow) -> str:
    uow.connection.append(task.task_id)
    return '{"rows": 1}'


def test_run_once_applies_the_effect_and_the_success_together_and_never_twice():
    store = FakeStore()
    queued(store)
    store.tasks.move(StateChange("task_1", QUEUED, RUNNING, 1, "", WORKER, NOW))
    first = run_once("task_1", 1, lambda uow: apply(store.tasks.get("task_1"), uow), store.units, WORKER, NOW)
    again = run_once("task_1", 2, lambda uow: apply(store.tasks.get("task_1"), uow), store.units, WORKER, NOW)
    assert (first.replayed, again.replayed, again.outcome_json) == (False, True, '{"rows": 1}')
    assert store.applied == ["task_1"] and store.tasks.get("task_1").state == SUCCEEDED


def test_an_effect_that_raises_leaves_no_trace():
    store = FakeStore()
    queued(store)
    store.tasks.move(StateChange("task_1", QUEUED, RUNNING, 1, "", WORKER, NOW))

    def half_done(uow):
        uow.connection.append("task_1")
        raise RuntimeError("died halfway")

    try:
        run_once("task_1", 1, half_done, store.units, WORKER, NOW)
    except RuntimeError:
        pass
    assert store.applied == [] and store.effects.outcome("task_1") is None and store.tasks.get("task_1").state == RUNNING


def test_a_delivery_runs_the_work_and_acks():
    store, queue = FakeStore(), FakeQueue()
    queued(store)
    assert handle_delivery(delivery("task_1"), queue, store.tasks, store.units, apply, WORKER) == "succeeded"
    task = store.tasks.get("task_1")
    assert (task.state, task.attempts, task.result_json) == (SUCCEEDED, 1, '{"rows": 1}')
    assert queue.settled == [("ack", "task_1", {})] and store.applied == ["task_1"]
    assert [c.to_state for c in store.tasks.history("task_1")] == [QUEUED, RUNNING, SUCCEEDED]


def test_a_redelivery_after_a_crash_applies_nothing_more():
    store, queue = FakeStore(), FakeQueue(lose_leases=True)  # the ack comes too late: the queue delivers again
    queued(store)
    handle_delivery(delivery("task_1", attempt=1), queue, store.tasks, store.units, apply, WORKER)
    assert handle_delivery(delivery("task_1", attempt=2), FakeQueue(), store.tasks, store.units, apply, WORKER) == "skipped"
    assert store.applied == ["task_1"]


def test_a_stalled_attempt_is_superseded_by_the_next_delivery():
    store = FakeStore()
    queued(store)
    store.tasks.move(StateChange("task_1", QUEUED, RUNNING, 1, "", WORKER, NOW))  # attempt 1 died holding it
    assert handle_delivery(delivery("task_1", attempt=2), FakeQueue(), store.tasks, store.units, apply, WORKER) == "succeeded"
    assert store.tasks.get("task_1").attempts == 2 and store.applied == ["task_1"]


def test_a_passing_fault_is_retried_after_the_kinds_backoff():
    store, queue = FakeStore(), FakeQueue()
    queued(store)

    def flaky(task, uow):
        raise TimeoutError("https://secret.example/?sig=abc timed out")

    assert handle_delivery(delivery("task_1", attempt=2), queue, store.tasks, store.units, flaky, WORKER) == "retrying"
    assert queue.settled == [("release", "task_1", {"delay": 20.0, "error": "error: TimeoutError"})]
    task = store.tasks.get("task_1")
    assert (task.state, task.last_error) == (QUEUED, "error: TimeoutError")  # no URL stored
    assert store.applied == []


def test_the_last_attempt_dead_letters_with_the_reason():
    store, queue = FakeStore(), FakeQueue()
    queued(store)

    def broken(task, uow):
        raise ConnectionError("no route")

    assert handle_delivery(delivery("task_1", attempt=3), queue, store.tasks, store.units, broken, WORKER) == "dead_lettered"
    how, _, details = queue.settled[0]
    assert how == "dead_letter" and details["reason"] == "max_attempts_exceeded (3 of 3): error: ConnectionError"
    task = store.tasks.get("task_1")
    assert (task.state, task.last_error, bool(task.finished_at)) == (DEAD_LETTERED, details["reason"], True)


def test_a_permanent_failure_fails_at_once_without_retries():
    store, queue = FakeStore(), FakeQueue()
    queued(store)

    def refuse(task, uow):
        raise PermanentFailure("the run does not exist")

    assert handle_delivery(delivery("task_1"), queue, store.tasks, store.units, refuse, WORKER) == "failed"
    assert queue.settled == [("ack", "task_1", {})]
    assert store.tasks.get("task_1").state == FAILED
    assert store.tasks.get("task_1").last_error == "permanent_failure: the run does not exist"


def test_a_legacy_kind_no_worker_does_fails_instead_of_looping():
    store = FakeStore()
    queued(store, kind="report")
    assert handle_delivery(delivery("task_1"), FakeQueue(), store.tasks, store.units, apply, WORKER) == "failed"


def test_dead_letters_the_queue_made_itself_reach_the_ledger():
    store = FakeStore()
    queued(store)
    store.tasks.move(StateChange("task_1", QUEUED, RUNNING, 3, "", WORKER, NOW), attempts=3)

    class DeadLetters(FakeQueue):
        def receive(self, lane, **options):
            assert options["dead_lettered"]
            dead = delivery("task_1", attempt=3)
            return [dead.__class__(**{**dead.__dict__, "dead_letter_reason": "max_attempts_exceeded (3 of 3)"})]

    queue = DeadLetters()
    assert reconcile_dead_letters(queue, "runs", store.tasks, WORKER) == 1
    assert store.tasks.get("task_1").state == DEAD_LETTERED and queue.settled == [("ack", "task_1", {})]
    assert store.tasks.get("task_1").last_error == "max_attempts_exceeded (3 of 3)"


def test_work_outside_the_transaction_runs_first_and_only_its_outcome_is_recorded_inside():
    store, queue, seen = FakeStore(), FakeQueue(), []
    queued(store)

    def perform(task):
        seen.append(("performed", store.tasks.get(task.task_id).state))  # no unit of work is open yet

        def record(task, uow):
            uow.tasks.note(task.task_id, run_id="run_9")
            return '{"run_id": "run_9"}'
        return record

    assert handle_delivery(delivery("task_1"), queue, store.tasks, store.units, Outside(perform), WORKER) == "succeeded"
    task = store.tasks.get("task_1")
    assert seen == [("performed", RUNNING)] and (task.state, task.run_id) == (SUCCEEDED, "run_9")


def test_an_interrupted_task_goes_back_at_once_and_on_its_last_attempt_is_dead_lettered_with_why():
    store, queue = FakeStore(), FakeQueue()
    queued(store)

    def stopping(task):
        raise Interrupted("the worker is stopping")

    assert handle_delivery(delivery("task_1"), queue, store.tasks, store.units, Outside(stopping), WORKER) == "released"
    assert queue.settled == [("release", "task_1", {"delay": 0.0, "error": "interrupted: the worker is stopping"})]
    assert store.tasks.get("task_1").state == QUEUED
    last = FakeQueue()
    assert handle_delivery(delivery("task_1", attempt=3), last, store.tasks, store.units, Outside(stopping),
                           WORKER) == "dead_lettered"
    assert last.settled[0][0] == "dead_letter" and store.tasks.get("task_1").state == DEAD_LETTERED


def test_a_task_cancelled_while_it_ran_keeps_the_operators_word():
    store, queue = FakeStore(), FakeQueue()
    queued(store)

    def cancelled_meanwhile(task):
        store.tasks.move(StateChange(task.task_id, RUNNING, CANCELLED, 1, "cancelled: wrong scope", "user:o@x.io", NOW))
        return apply

    assert handle_delivery(delivery("task_1"), queue, store.tasks, store.units, Outside(cancelled_meanwhile),
                           WORKER) == "skipped"
    assert store.tasks.get("task_1").state == CANCELLED and queue.settled == [("ack", "task_1", {})]
    assert store.applied == []


def test_a_dead_letter_of_an_earlier_round_leaves_a_requeued_task_alone():
    store = FakeStore()
    queued(store)
    store.tasks.tasks["task_1"] = replace(store.tasks.get("task_1"), requeues=1)

    class OldDeadLetter(FakeQueue):
        def receive(self, lane, **options):
            return [replace(delivery("task_1", attempt=3), body='{"task_id":"task_1","round":0}',
                            dead_letter_reason="max_attempts_exceeded (3 of 3)")]

    queue = OldDeadLetter()
    assert reconcile_dead_letters(queue, "runs", store.tasks, WORKER) == 0
    assert store.tasks.get("task_1").state == QUEUED and queue.settled == [("ack", "task_1", {})]
