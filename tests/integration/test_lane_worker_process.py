"""`python -m services.tasks.worker --lane runs` as its own process, stopped with SIGTERM in the middle of a task: it
waits out its grace (LEAF_WORKER_GRACE_SECONDS), puts the task back on its queue at once and exits cleanly — the task
is queued again with the reason in its history, and the next worker receives it. The service it was waiting on is a
real gRPC server on port 0 that never answers in time."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

from kernel.grants import Area, Grant
from kernel.scope import Scope
from leaf.scope.v1 import scope_pb2_grpc
from runtime.db import open_database
from services.tasks.adapters.ledger import SqlTaskLedger
from services.tasks.adapters.queues.db_queue import DbTaskQueue
from services.tasks.bootstrap import MIGRATIONS
from services.tasks.domain.policy import Submitter
from services.tasks.domain.states import QUEUED, RUNNING
from services.tasks.domain.tasks import SubmitTask
from services.tasks.service_layer.handlers import submit_task
from tests.integration.gateway_fixtures import grpc_server

C001 = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31")
GRACE = 1.0


class SlowScope(scope_pb2_grpc.ScopeServiceServicer):
    """Takes the worker's call and answers nothing for a minute: the task stays in hand."""

    def __init__(self) -> None:
        self.asked = asyncio.Event()

    async def IssueScopeGrant(self, request, context):
        self.asked.set()
        await asyncio.sleep(60)


async def until(condition, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.05)


async def test_sigterm_gives_the_task_in_hand_back_after_the_grace_and_the_worker_exits(tmp_path, leaf_home):
    url = f"sqlite:///{tmp_path / 'tasks.sqlite'}"
    engine = open_database(url, "tasks", MIGRATIONS)
    ledger, queue = SqlTaskLedger(engine), DbTaskQueue(engine)
    at = datetime.now(UTC)
    grant = Grant(C001, (Area("C001"),), "user:ana@leaf.example", at, at, "k")
    task = submit_task(SubmitTask("compute_run", json.dumps({"scope": C001.canonical()})),
                       Submitter("user:ana@leaf.example"), grant, ledger, queue, "2026-01-01T00:00:00.000+00:00")
    scope = SlowScope()
    async with grpc_server((scope_pb2_grpc.add_ScopeServiceServicer_to_server, scope)) as address:
        env = {**os.environ, "LEAF_HOME": str(leaf_home), "LEAF_TASKS_DB_URL": url, "SCOPE_ADDR": address,
               "CALC_ADDR": "127.0.0.1:9", "PUBLISHER_ADDR": "127.0.0.1:9", "ITR_ADDR": "127.0.0.1:9",
                   "TAKEOVER_ADDR": "127.0.0.1:9",
               "LEAF_WORKER_GRACE_SECONDS": str(GRACE)}
        log = (tmp_path / "worker.log").open("w")
        worker = subprocess.Popen([sys.executable, "-m", "services.tasks.worker", "--lane", "runs"], env=env,
                                  stdout=log, stderr=subprocess.STDOUT)
        try:
            try:
                await asyncio.wait_for(scope.asked.wait(), 60)  # the task is in hand, its call outstanding
            except TimeoutError:
                raise AssertionError((tmp_path / "worker.log").read_text()) from None
            assert ledger.get(task.task_id).state == RUNNING
            stopped_at = time.monotonic()
            worker.send_signal(signal.SIGTERM)
            await until(lambda: worker.poll() is not None, 30, "the worker exiting")
        finally:
            if worker.poll() is None:
                worker.kill()
    assert worker.returncode == 0, (tmp_path / "worker.log").read_text()
    assert GRACE <= time.monotonic() - stopped_at < 15  # the grace was given, then it stopped
    again = ledger.get(task.task_id)
    assert again.state == QUEUED and again.attempts == 1
    assert ledger.history(task.task_id)[-1].reason.startswith("released: interrupted: the worker stopped")
    (redelivered,) = queue.receive("runs")
    assert (redelivered.task_id, redelivered.attempt) == (task.task_id, 2)
    engine.dispose()
