"""Queue backends for the contract and chaos suites: SQLite, PostgreSQL and RabbitMQ always (CI fails when a
server is missing), Azure Service Bus only when LEAF_SERVICEBUS_CONNECTION names one (none runs here).

A `QueueSpec` is plain data, so a consumer in another process (tests/integration/queue_consumer.py) opens the
very same queue; each test gets its own database, RabbitMQ namespace or Service Bus prefix, removed after it.
"""
from __future__ import annotations

import json
import os
import uuid
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from runtime.db import make_engine, migrate
from services.tasks.adapters.queues.settings import LOCAL_AMQP_URL
from tests.conftest import IN_CI

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "tasks" / "migrations"
AMQP_URL = os.environ.get("LEAF_AMQP_URL", LOCAL_AMQP_URL)
SERVICEBUS = os.environ.get("LEAF_SERVICEBUS_CONNECTION", "")
BACKENDS = ("sqlite", "postgresql", "rabbitmq", "servicebus")


@dataclass(frozen=True)
class QueueSpec:
    kind: str
    db_url: str              # the tasks database (the db queue's table, RabbitMQ's duplicate records)
    namespace: str = ""      # RabbitMQ / Service Bus: queue names are `<namespace>.<lane>`
    lease: float = 0.5       # the shortest lease a test asks for; Service Bus cannot go below its lock duration
    prefetch: int = 10
    extra: dict = field(default_factory=dict)

    def open(self):
        """A new consumer (its own connections) on the same queue."""
        engine = make_engine(self.db_url)
        if self.kind == "rabbitmq":
            from services.tasks.adapters.queues.rabbitmq_queue import RabbitTaskQueue

            return RabbitTaskQueue(AMQP_URL, engine, namespace=self.namespace, prefetch=self.prefetch)
        if self.kind == "servicebus":
            from services.tasks.adapters.queues.servicebus_queue import ServiceBusTaskQueue

            return ServiceBusTaskQueue.connect(SERVICEBUS, None, namespace=self.namespace, prefetch=self.prefetch,
                                               lock_duration=timedelta(seconds=self.lease))
        from services.tasks.adapters.queues.db_queue import DbTaskQueue

        return DbTaskQueue(engine, poll_seconds=0.02)

    def dumps(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def loads(cls, text: str) -> QueueSpec:
        return cls(**json.loads(text))


def missing_broker(what: str) -> None:
    """As tests/conftest.py does for PostgreSQL: fail in CI, skip loudly on a laptop."""
    message = f"{what} is not reachable — set LEAF_AMQP_URL to point the tests at one"
    if IN_CI:
        pytest.fail(f"CI=true: {message}", pytrace=False)
    print(f"\n*** SKIPPING: {message} ***")
    pytest.skip(message)


@pytest.fixture(scope="session")
def amqp_server() -> str:
    import asyncio

    import aio_pika

    async def probe() -> None:
        await (await aio_pika.connect(AMQP_URL, timeout=5)).close()

    try:
        asyncio.run(probe())
    except Exception as exc:  # any failure to connect means: no broker here
        missing_broker(f"RabbitMQ ({exc.__class__.__name__})")
    return AMQP_URL


def migrated(url: str) -> str:
    engine = make_engine(url)
    migrate(engine, "tasks", MIGRATIONS)
    engine.dispose()
    return url


def spec_for(request, kind: str, folder: Path, **options) -> QueueSpec:
    """The backend's spec on a fresh database (and namespace); deletes the broker's queues after the test."""
    sqlite_url = f"sqlite:///{folder / f'tasks-{uuid.uuid4().hex[:6]}.sqlite'}"
    namespace = f"t{uuid.uuid4().hex[:10]}"
    if kind == "sqlite":
        return QueueSpec(kind, migrated(sqlite_url), **options)
    if kind == "postgresql":
        return QueueSpec(kind, migrated(request.getfixturevalue("pg_url")), **options)
    if kind == "rabbitmq":
        request.getfixturevalue("amqp_server")
        return QueueSpec(kind, migrated(sqlite_url), namespace, **options)
    if not SERVICEBUS:
        pytest.skip("no Azure Service Bus here: set LEAF_SERVICEBUS_CONNECTION to run the contract against one "
                    "(CI has none either, so this backend is not checked in CI)")
    return QueueSpec(kind, migrated(sqlite_url), namespace, **{"lease": 5.0, **options})


class Lanes:
    """Opens consumers on one spec and removes every lane they used when the test ends."""

    def __init__(self, spec: QueueSpec) -> None:
        self.spec = spec
        self.opened: list = []
        self.used: set[str] = set()

    def consumer(self):
        queue = self.spec.open()
        self.opened.append(queue)
        return queue

    def lane(self, name: str = "work") -> str:
        self.used.add(name)
        return name

    def close(self) -> None:
        for queue in self.opened:
            try:
                if hasattr(queue, "delete_lane"):
                    for lane in self.used:  # each consumer drops the queues it declared (delay rooms included)
                        queue.delete_lane(lane)
            finally:
                queue.close()
