"""Chaos on the task plane: 2,000 tasks, several worker processes, workers SIGKILLed at random moments and
restarted. In the end every task has succeeded or is dead-lettered with its reason, none is lost, and no
effect happened twice — on SQLite, PostgreSQL and RabbitMQ."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from runtime.db import make_engine
from services.tasks.adapters import tables
from services.tasks.adapters.ledger import SqlTaskLedger
from services.tasks.domain.states import DEAD_LETTERED, FINISHED, QUEUED, SUCCEEDED, StateChange
from services.tasks.domain.task_queue import MAX_ATTEMPTS_EXCEEDED
from services.tasks.domain.tasks import Task
from services.tasks.service_layer.deliveries import reconcile_dead_letters
from tests.integration.chaos_worker import KIND, effects, poisoned
from tests.integration.queue_backends import Lanes, amqp_server, spec_for  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parents[2]
TASKS, WORKERS, LANE = 2000, 4, "chaos"
NOW = "2026-01-01T00:00:00.000+00:00"


def start_worker(spec, name: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.integration.chaos_worker", spec.dumps(), LANE, name],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def submit_all(spec, queue) -> list[str]:
    engine = make_engine(spec.db_url)
    effects.create(engine)
    ledger = SqlTaskLedger(engine)
    ids = [f"task_{i:05d}" for i in range(TASKS)]
    for task_id in ids:
        ledger.add(Task(task_id, "chaos", LANE, QUEUED, "user:chaos@leaf.example", "", "", "", "allowed",
                        "kind.chaos", "", "{}", NOW, NOW, max_attempts=KIND.retry.max_attempts),
                   StateChange(task_id, "", QUEUED, 0, "admitted", "user:chaos@leaf.example", NOW))
    for start in range(0, TASKS, 500):
        queue.enqueue_many(LANE, [(t, "{}") for t in ids[start:start + 500]], max_attempts=KIND.retry.max_attempts)
    engine.dispose()
    return ids


def unfinished(engine) -> int:
    with engine.connect() as db:
        return db.execute(select(func.count()).select_from(tables.tasks)
                          .where(tables.tasks.c.state.not_in(FINISHED))).scalar_one()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "rabbitmq"])
def test_killed_workers_lose_nothing_and_repeat_nothing(backend, request, tmp_path):
    lanes = Lanes(spec_for(request, backend, tmp_path, prefetch=4))
    queue = lanes.consumer()
    lanes.lane(LANE)
    ids = submit_all(lanes.spec, queue)
    engine = make_engine(lanes.spec.db_url)
    rng = random.Random(11)
    workers = {f"w{i}": start_worker(lanes.spec, f"w{i}") for i in range(WORKERS)}
    kills, started = 0, time.monotonic()
    try:
        while unfinished(engine) and time.monotonic() - started < 120:
            time.sleep(rng.uniform(0.1, 0.5))
            if time.monotonic() - started < 25:  # the storm; then the survivors finish the work
                name = rng.choice(sorted(workers))
                workers[name].send_signal(signal.SIGKILL)
                workers[name].wait()
                kills += 1
                workers[name] = start_worker(lanes.spec, name)
        reconcile_dead_letters(queue, LANE, SqlTaskLedger(engine), "workload:test")
    finally:
        for worker in workers.values():
            worker.send_signal(signal.SIGKILL)
            worker.wait()
        lanes.close()

    ledger = SqlTaskLedger(engine)
    states = {t.task_id: t for t in ledger.list(lane=LANE)}
    with engine.connect() as db:
        applied = db.execute(select(effects.c.task_id, func.count()).group_by(effects.c.task_id)).all()
    engine.dispose()
    dead = {t: task for t, task in states.items() if task.state == DEAD_LETTERED}
    print(f"\n{backend}: {TASKS} tasks, {WORKERS} workers, {kills} kills, {len(dead)} dead-lettered, "
          f"{time.monotonic() - started:.1f} s")
    assert kills >= 10 and sorted(states) == ids  # none lost
    assert {t.state for t in states.values()} <= {SUCCEEDED, DEAD_LETTERED}, \
        {t.task_id: t.state for t in states.values() if t.state not in (SUCCEEDED, DEAD_LETTERED)}
    assert all(count == 1 for _, count in applied), [row for row in applied if row[1] != 1]  # never twice
    assert {task_id for task_id, _ in applied} == {t for t, task in states.items() if task.state == SUCCEEDED}
    assert {t for t in ids if poisoned(t)} <= set(dead)
    assert all(task.last_error.startswith(MAX_ATTEMPTS_EXCEEDED) for task in dead.values())
    assert len(dead) < TASKS * 0.05  # the poisoned ones, and at most a few that the kills caught five times
