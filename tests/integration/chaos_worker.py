"""A lane worker for the chaos test, in a process of its own to be killed at any moment:
`python -m tests.integration.chaos_worker SPEC LANE NAME`. It runs the real delivery step
(services/tasks/service_layer/deliveries.py) with a trivial effect: one row in `chaos_effects` per task,
written in the effect's transaction. Tasks whose number is a multiple of POISON always fail."""
from __future__ import annotations

import sys
import time

from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from runtime.db import make_engine
from services.tasks.adapters.ledger import SqlTaskLedger
from services.tasks.adapters.unit_of_work import SqlTaskUnitOfWork
from services.tasks.domain.kinds import PEOPLE_AND_SERVICES, RetryPolicy, TaskKind
from services.tasks.service_layer.deliveries import handle_delivery, reconcile_dead_letters
from tests.integration.queue_backends import QueueSpec

POISON = 97
LEASE_SECONDS = 1.5
KIND = TaskKind("chaos", "chaos", PEOPLE_AND_SERVICES, operator_only=False, mutates_curated=False,
                time_limit_seconds=30, retry=RetryPolicy(max_attempts=5, backoff_seconds=0.2, max_backoff_seconds=1.0))
effects = Table("chaos_effects", MetaData(), Column("id", Integer, primary_key=True, autoincrement=True),
                Column("task_id", String(64), nullable=False), Column("worker", String(32), nullable=False))


def poisoned(task_id: str) -> bool:
    return int(task_id.rsplit("_", 1)[1]) % POISON == 0


def main(spec_json: str, lane: str, name: str) -> None:
    spec = QueueSpec.loads(spec_json)
    queue, engine = spec.open(), make_engine(spec.db_url)
    ledger, actor = SqlTaskLedger(engine), f"workload:{name}"

    def work(task, uow) -> str:
        uow.connection.execute(insert(effects).values(task_id=task.task_id, worker=name))
        if poisoned(task.task_id):
            raise RuntimeError("poisoned")  # after the write: the rollback must take it back
        return "{}"

    reconciled = 0.0
    while True:
        for delivery in queue.receive(lane, max_messages=4, lease_seconds=LEASE_SECONDS, wait_seconds=0.3):
            handle_delivery(delivery, queue, ledger, lambda: SqlTaskUnitOfWork(engine), work, actor, {"chaos": KIND})
        if time.monotonic() - reconciled > 1.0:
            reconcile_dead_letters(queue, lane, ledger, actor)
            reconciled = time.monotonic()


if __name__ == "__main__":
    main(*sys.argv[1:])
