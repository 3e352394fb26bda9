"""The load id's promotion lock across replicas: held in the shared database (PostgreSQL's advisory lock), so a
second replica promoting the same load id waits until the first has decided, then sees its promotion."""
from __future__ import annotations

import threading
import time

from services.takeover.adapters.curated_sql import SqlCurated
from services.takeover.adapters.plane import open_takeover_db


def test_a_second_replica_waits_for_the_load_ids_lock(pg_url) -> None:
    first, second = SqlCurated(open_takeover_db(pg_url)), SqlCurated(open_takeover_db(pg_url))  # two replicas
    events: list[str] = []
    holding = threading.Event()

    def replica_a() -> None:
        with first.promoting("LD-1"):
            events.append("a holds")
            holding.set()
            time.sleep(0.5)
            events.append("a releases")

    def replica_b() -> None:
        holding.wait(5)
        with second.promoting("LD-1"):
            events.append("b holds")

    threads = [threading.Thread(target=replica_a), threading.Thread(target=replica_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert events == ["a holds", "a releases", "b holds"]
    with second.promoting("LD-2"), first.promoting("LD-3"):  # other load ids do not wait on each other
        events.append("both")
    assert events[-1] == "both"
    first.engine.dispose()
    second.engine.dispose()


def test_on_sqlite_the_lake_lock_serves(tmp_path) -> None:
    curated = SqlCurated(open_takeover_db(f"sqlite:///{tmp_path / 'takeover.sqlite'}"))
    with curated.promoting("LD-1"), curated.promoting("LD-1"):  # no database lock: one machine's file
        pass
    curated.engine.dispose()
