"""One contract, every backend: SQLite and PostgreSQL tables, RabbitMQ, Azure Service Bus (when configured).

At-least-once delivery with leases, attempts counted per delivery, scheduled retry, dead letters with their
reason, duplicate detection by task id, exclusive holding under concurrency, survival of a killed consumer.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from services.tasks.domain.task_queue import MAX_ATTEMPTS_EXCEEDED, LeaseLost
from tests.integration.queue_backends import BACKENDS, Lanes, amqp_server, spec_for  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parents[2]
SETTLE = 0.3  # how long a "nothing is there" check waits: long enough for a broker to have pushed a message


@pytest.fixture(params=BACKENDS)
def lanes(request, tmp_path):
    held = Lanes(spec_for(request, request.param, tmp_path))
    yield held
    held.close()


def wait_for(queue, lane: str, seconds: float, **options):
    """The first delivery within `seconds` (receiving in short waits, so lease timers on the backend run)."""
    give_up = time.monotonic() + seconds
    while time.monotonic() < give_up:
        got = queue.receive(lane, wait_seconds=0.2, **options)
        if got:
            return got
    return []


def test_a_message_is_delivered_once_and_an_ack_removes_it(lanes):
    queue, lane = lanes.consumer(), lanes.lane()
    queue.enqueue(lane, "task_a", '{"kind": "compute_run"}', max_attempts=3)
    [delivery] = wait_for(queue, lane, 10, lease_seconds=30)
    assert (delivery.task_id, delivery.body, delivery.attempt, delivery.max_attempts) == (
        "task_a", '{"kind": "compute_run"}', 1, 3)
    assert queue.receive(lane, wait_seconds=SETTLE) == []  # leased: invisible
    queue.ack(delivery)
    assert wait_for(queue, lane, 1.0) == []
    with pytest.raises(LeaseLost):
        queue.ack(delivery)


def test_a_lease_that_runs_out_redelivers_with_the_next_attempt(lanes):
    first, second, lane = lanes.consumer(), lanes.consumer(), lanes.lane()
    lease = lanes.spec.lease
    first.enqueue(lane, "task_a", max_attempts=3)
    [held] = wait_for(first, lane, 10, lease_seconds=lease)
    assert second.receive(lane, wait_seconds=SETTLE, lease_seconds=lease) == []
    [again] = wait_for(second, lane, lease + 10, lease_seconds=30)
    assert (again.task_id, again.attempt) == ("task_a", 2)
    with pytest.raises(LeaseLost):  # the first consumer was too late
        first.ack(held)
    second.ack(again)


def test_a_renewed_lease_keeps_the_message(lanes):
    first, second, lane = lanes.consumer(), lanes.consumer(), lanes.lane()
    # Renewed at half its life: a half-second lease left a quarter second of margin, which a loaded 2-core
    # machine can eat between two renewals (one CI run saw the message redelivered); two seconds leave one.
    lease = max(lanes.spec.lease, 2.0)
    first.enqueue(lane, "task_a", max_attempts=3)
    [held] = wait_for(first, lane, 10, lease_seconds=lease)
    for _ in range(3):
        time.sleep(lease / 2)
        held = first.renew(held, lease)
    assert second.receive(lane, wait_seconds=SETTLE) == []
    first.ack(held)


def test_release_with_a_delay_is_a_scheduled_retry(lanes):
    queue, lane = lanes.consumer(), lanes.lane()
    queue.enqueue(lane, "task_a", max_attempts=3)
    [delivery] = wait_for(queue, lane, 10, lease_seconds=30)
    released_at = time.monotonic()
    queue.release(delivery, delay=1.5, error="error: TimeoutError")
    assert queue.receive(lane, wait_seconds=0.5) == []
    [again] = wait_for(queue, lane, 15, lease_seconds=30)
    assert time.monotonic() - released_at >= 1.4
    assert (again.task_id, again.attempt) == ("task_a", 2)
    queue.ack(again)


def test_the_last_release_dead_letters_with_the_reason(lanes):
    queue, lane = lanes.consumer(), lanes.lane()
    queue.enqueue(lane, "task_a", max_attempts=2)
    for attempt in (1, 2):
        [delivery] = wait_for(queue, lane, 10, lease_seconds=30)
        assert delivery.attempt == attempt
        queue.release(delivery, error="error: ConnectionError")
    assert wait_for(queue, lane, 1.0) == []
    [dead] = wait_for(queue, lane, 10, dead_lettered=True)
    assert dead.task_id == "task_a" and dead.attempt == 2
    assert dead.dead_letter_reason == f"{MAX_ATTEMPTS_EXCEEDED} (2 of 2): error: ConnectionError"
    queue.ack(dead)
    assert wait_for(queue, lane, 1.0, dead_lettered=True) == []


def test_leases_that_keep_running_out_end_in_the_dead_letters(lanes):
    queue, lane = lanes.consumer(), lanes.lane()
    lease = lanes.spec.lease
    queue.enqueue(lane, "task_a", max_attempts=2)
    for attempt in (1, 2):
        [delivery] = wait_for(queue, lane, lease + 10, lease_seconds=lease)
        assert delivery.attempt == attempt  # and never settled: its consumer "stalled"
    assert wait_for(queue, lane, lease + 1.0, lease_seconds=lease) == []
    [dead] = wait_for(queue, lane, 10, dead_lettered=True)
    assert dead.dead_letter_reason.startswith(f"{MAX_ATTEMPTS_EXCEEDED} (2 of 2)")
    queue.ack(dead)


def test_a_consumer_may_dead_letter_at_once_with_its_own_reason(lanes):
    queue, lane = lanes.consumer(), lanes.lane()
    queue.enqueue(lane, "task_a", max_attempts=5)
    [delivery] = wait_for(queue, lane, 10, lease_seconds=30)
    queue.dead_letter(delivery, "permanent_failure: the run does not exist")
    [dead] = wait_for(queue, lane, 10, dead_lettered=True)
    assert (dead.task_id, dead.dead_letter_reason) == ("task_a", "permanent_failure: the run does not exist")
    queue.ack(dead)


def test_a_task_id_enqueued_again_while_pending_is_delivered_once(lanes):
    queue, lane = lanes.consumer(), lanes.lane()
    queue.enqueue(lane, "task_a", "first", max_attempts=3)
    queue.enqueue(lane, "task_a", "second", max_attempts=3)
    queue.enqueue_many(lane, [("task_a", "third"), ("task_b", "b")], max_attempts=3)
    got = []
    give_up = time.monotonic() + 5
    while time.monotonic() < give_up:
        got += queue.receive(lane, max_messages=10, wait_seconds=0.3, lease_seconds=30)
    assert sorted((d.task_id, d.body) for d in got) == [("task_a", "first"), ("task_b", "b")]
    for delivery in got:
        queue.ack(delivery)


def test_concurrent_consumers_never_hold_the_same_message(lanes):
    lane, count, consumers = lanes.lane(), 300, 4
    producer = lanes.consumer()
    producer.enqueue_many(lane, [(f"task_{i:04d}", "") for i in range(count)], max_attempts=3)
    queues = [lanes.consumer() for _ in range(consumers)]
    held: dict[str, int] = {}
    clashes: list[str] = []
    guard = threading.Lock()

    def consume(queue) -> None:
        quiet_until = time.monotonic() + 3
        while time.monotonic() < quiet_until:
            got = queue.receive(lane, max_messages=5, wait_seconds=0.2, lease_seconds=60)
            if got:
                quiet_until = time.monotonic() + 3
            for delivery in got:
                with guard:
                    if delivery.task_id in held:
                        clashes.append(delivery.task_id)
                    held[delivery.task_id] = held.get(delivery.task_id, 0) + 1
                time.sleep(0.001)  # hold it a moment, as work would
                queue.ack(delivery)

    threads = [threading.Thread(target=consume, args=(q,)) for q in queues]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert clashes == [] and len(held) == count


def test_a_message_survives_its_consumer_being_killed(lanes):
    queue, lane = lanes.consumer(), lanes.lane()
    lease = lanes.spec.lease
    queue.enqueue(lane, "task_a", max_attempts=3)
    consumer = subprocess.Popen([sys.executable, "-m", "tests.integration.queue_consumer", lanes.spec.dumps(), lane,
                                 str(lease)], stdout=subprocess.PIPE, text=True, cwd=ROOT,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        line = consumer.stdout.readline().split()
        assert line == ["HELD", "task_a", "1"]
        assert queue.receive(lane, wait_seconds=SETTLE) == []
    finally:
        consumer.send_signal(signal.SIGKILL)
        consumer.wait(timeout=30)
        consumer.stdout.close()
    [again] = wait_for(queue, lane, lease + 15, lease_seconds=30)
    assert (again.task_id, again.attempt) == ("task_a", 2)
    queue.ack(again)
