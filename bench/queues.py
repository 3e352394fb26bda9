"""Tasks per second through each local queue backend: enqueue, receive, ack (targets: SQLite ≥ 500/s,
RabbitMQ ≥ 2,000/s).

One producer enqueues in batches of 500 (as the ledger's dispatch sweep does); one consumer receives batches
of 100 and acks each message on its own (as a worker settles each task). A backend whose server does not
answer is reported and skipped. Usage: python -m bench.queues [--tasks N]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from runtime.db import make_engine, migrate
from services.tasks.adapters.queues.settings import LOCAL_AMQP_URL

MIGRATIONS = Path(__file__).resolve().parents[1] / "services" / "tasks" / "migrations"
PG_URL = os.environ.get("LEAF_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
AMQP_URL = os.environ.get("LEAF_AMQP_URL", LOCAL_AMQP_URL)
TARGETS = {"sqlite": 500, "rabbitmq": 2000}
LANE = "bench"


@contextmanager
def sqlite_db(folder: Path) -> Iterator[str]:
    yield f"sqlite:///{folder / 'tasks.sqlite'}"


@contextmanager
def postgres_db() -> Iterator[str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as db:
        db.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
    finally:
        with admin.begin() as db:
            db.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def open_queue(backend: str, url: str):
    engine = make_engine(url)
    migrate(engine, "tasks", MIGRATIONS)
    if backend == "rabbitmq":
        from services.tasks.adapters.queues.rabbitmq_queue import RabbitTaskQueue

        return RabbitTaskQueue(AMQP_URL, engine, namespace=f"bench{uuid.uuid4().hex[:8]}", prefetch=100)
    from services.tasks.adapters.queues.db_queue import DbTaskQueue

    return DbTaskQueue(engine)


def measure(queue, n: int) -> tuple[float, float]:
    """Seconds to enqueue all n, then seconds to receive and ack all n."""
    ids = [f"task_{i:08d}" for i in range(n)]
    started = time.perf_counter()
    for first in range(0, n, 500):
        queue.enqueue_many(LANE, [(t, '{"kind":"bench"}') for t in ids[first:first + 500]], max_attempts=3)
    enqueued = time.perf_counter()
    done = 0
    while done < n:
        for delivery in queue.receive(LANE, max_messages=100, lease_seconds=60, wait_seconds=1):
            queue.ack(delivery)
            done += 1
    return enqueued - started, time.perf_counter() - enqueued


def run(backend: str, n: int, folder: Path) -> None:
    database = postgres_db() if backend == "postgresql" else sqlite_db(folder)
    try:
        with database as url:
            queue = open_queue(backend, url)
            try:
                enqueue_s, consume_s = measure(queue, n)
            finally:
                if hasattr(queue, "delete_lane"):
                    queue.delete_lane(LANE)
                queue.close()
    except Exception as exc:  # a server that is not there: say so, measure the others
        print(f"{backend:<11} skipped: not reachable ({type(exc).__name__})")
        return
    total = n / (enqueue_s + consume_s)
    target = TARGETS.get(backend)
    verdict = f"  target ≥ {target:,}/s: {'met' if total >= target else 'NOT met'}" if target else ""
    print(f"{backend:<11} {n / enqueue_s:9,.0f}/s enqueue  {n / consume_s:9,.0f}/s receive+ack  "
          f"{total:9,.0f} tasks/s end to end{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=10_000)
    n = parser.parse_args().tasks
    print(f"tasks: {n:,} per backend (enqueue in batches of 500, receive batches of 100, one ack per task)")
    with tempfile.TemporaryDirectory(prefix="leaf-bench-") as tmp:
        for backend in ("sqlite", "postgresql", "rabbitmq"):
            run(backend, n, Path(tmp))


if __name__ == "__main__":
    main()
