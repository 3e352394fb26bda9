"""The single writer of the shared Domo datasets across publisher replicas: a lease in the publisher database
(SQLite and PostgreSQL), and two replicas on one PostgreSQL publishing at once to the Domo stand-in."""
from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import select

from kernel.errors import Unavailable
from runtime.db import open_database
from services.publisher.adapters import tables
from services.publisher.adapters.domo import DomoPublisher
from services.publisher.adapters.lease import LeaseLost, SqlLease
from services.publisher.bootstrap import MIGRATIONS
from services.publisher.service_layer.domo_publishing import publish_dashboard
from tests.integration.domo_standin import CLIENT_ID, CLIENT_SECRET, domo_standin  # noqa: F401 (a fixture)
from tests.integration.test_domo_publishing import ENTITLED, run_tables


@pytest.fixture
def engine(db_url):
    engine = open_database(db_url, "publisher", MIGRATIONS)
    yield engine
    engine.dispose()


def test_one_holder_at_a_time_and_each_acquisition_raises_the_fencing_token(engine):
    lease = SqlLease(engine, ttl_seconds=30)
    first = lease.try_acquire("replica-a")
    assert first is not None and lease.try_acquire("replica-b") is None and lease.try_acquire("replica-a") is None
    lease.renew("replica-a", first)
    lease.release("replica-a", first)
    second = lease.try_acquire("replica-b")
    assert second == first + 1
    with pytest.raises(LeaseLost):  # released, then taken: the old holder's writes are fenced off
        lease.renew("replica-a", first)
    with engine.connect() as db:
        assert db.execute(select(tables.leases.c.holder, tables.leases.c.fencing_token)).one() == ("replica-b", second)


def test_an_expired_lease_passes_on_and_its_old_holder_is_fenced(engine):
    lease = SqlLease(engine, ttl_seconds=0.5)
    stalled = lease.try_acquire("replica-a")
    time.sleep(0.7)   # replica-a stalls (a long pause) past its expiry, by the database's clock
    taken = lease.try_acquire("replica-b")
    assert taken == stalled + 1
    with pytest.raises(LeaseLost) as lost:
        lease.renew("replica-a", stalled)
    assert lost.value.code == "domo_lease_lost"
    lease.renew("replica-b", taken)


async def test_a_second_publisher_waits_for_the_lease_then_gives_up_with_a_retryable_error(engine):
    holder = SqlLease(engine, ttl_seconds=30)
    waiter = SqlLease(engine, ttl_seconds=30, wait_seconds=0.5, poll_seconds=0.05)
    async with holder.held():
        with pytest.raises(Unavailable) as busy:
            async with waiter.held():
                pass
    assert busy.value.code == "domo_busy"
    async with waiter.held() as fence:   # released on exit: the next publisher goes at once
        fence()


@pytest.mark.postgres
async def test_two_replicas_on_one_postgresql_publishing_at_once_both_keep_their_rows(pg_url, domo_standin):
    """Each replica: its own engine, Domo client, in-process lock and lease holder, as two pods are. Without the
    lease, each replica's read–merge–write puts back the rows it read and the other's run is lost."""
    replicas = [(open_database(pg_url, "publisher", MIGRATIONS),
                 DomoPublisher(domo_standin.host, CLIENT_ID, CLIENT_SECRET, backoff_seconds=0.01),
                 asyncio.Lock()) for _ in range(2)]
    runs = [(f"run_{i}", f"C00{1 + i % 2}", f"scope{i}") for i in range(8)]

    async def publish(replica, run):
        engine, domo, lock = replica
        run_id, client, scope = run
        await publish_dashboard(domo, SqlLease(engine, poll_seconds=0.01), lock, run_id, client,
                                run_tables(run_id, client, scope), ENTITLED)

    try:
        await asyncio.gather(*(publish(replicas[i % 2], run) for i, run in enumerate(runs)))
    finally:
        for engine, _, _ in replicas:
            engine.dispose()
    kept = {r["scope_hash"] for r in domo_standin.rows("leaf_awp_discount_guarantee")}
    assert kept == {scope for _, _, scope in runs}
    assert {r["run_id"] for r in domo_standin.rows("leaf_readiness")} == {run_id for run_id, _, _ in runs}
