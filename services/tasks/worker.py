"""Run one lane's worker: `python -m services.tasks.worker --lane NAME` (what `leaf worker` and each lane's Deployment
run), until SIGTERM — then the task in hand finishes within LEAF_WORKER_GRACE_SECONDS or goes back on its queue.

A worker is the tasks service's own code: it reads the tasks database and queue directly (the tasks service
migrates that database; a worker waits for it) and serves nothing. It calls scope, calc and publisher for each
task's submitter (runtime/topology.py: WORKER).
"""
from __future__ import annotations

import argparse
import signal
import sys

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from runtime.db import make_engine
from runtime.home import sqlite_url
from runtime.identity_keys import IdentitySettings
from runtime.lifeline import follow_parent
from runtime.logs import configure_logging
from runtime.settings import LeafSettings, load_settings
from runtime.telemetry import setup_tracing
from runtime.topology import WORKER, peer_address_settings
from services.tasks.adapters.ledger import SqlTaskLedger
from services.tasks.adapters.mesh import GrpcWorkerMesh
from services.tasks.adapters.queues.factory import open_queue
from services.tasks.adapters.queues.loop_thread import LoopThread
from services.tasks.adapters.queues.settings import QueueSettings
from services.tasks.adapters.unit_of_work import SqlTaskUnitOfWork
from services.tasks.domain.kinds import LANES
from services.tasks.service_layer.lane_worker import LaneWorker


class WorkerSettings(IdentitySettings, QueueSettings, peer_address_settings(WORKER)):
    """The tasks database and queue, the addresses it calls, and the identity keys it signs submitters' identities
    with (trusted like the gateway: it asserts who a task is for)."""

    model_config = SettingsConfigDict(**LeafSettings.model_config, hide_input_in_errors=True)  # a secret in input
    embedded_defaults = ("LEAF_TASKS_DB_URL", "LEAF_IDENTITY_KEYS")
    LEAF_TASKS_DB_URL: str = Field(default_factory=lambda: sqlite_url("tasks"))
    # How long a received task stays invisible to other workers without a renewal (renewed every third of it).
    LEAF_WORKER_LEASE_SECONDS: float = Field(60.0, ge=5, le=3600)
    # After SIGTERM: how long the task in hand may still run before it is stopped and put back on its queue.
    LEAF_WORKER_GRACE_SECONDS: float = Field(30.0, ge=0, le=3600)


def run_lane(lane: str) -> int:
    follow_parent()
    name = f"worker-{lane}"
    configure_logging(name)
    setup_tracing(name)
    if lane not in LANES:
        print(f"leaf worker: no lane {lane!r}; lanes are {', '.join(LANES)}", file=sys.stderr)
        return 2
    settings = load_settings(WorkerSettings)
    engine = make_engine(settings.LEAF_TASKS_DB_URL)
    queue = open_queue(settings, engine)
    calls = LoopThread(f"{name}-calls")

    async def open_mesh() -> GrpcWorkerMesh:
        return GrpcWorkerMesh(settings.peer_addresses(), settings.identity_keys(), settings.LEAF_IDENTITY_TTL_SECONDS)

    mesh = calls.run(open_mesh())
    worker = LaneWorker(lane, queue, SqlTaskLedger(engine), lambda: SqlTaskUnitOfWork(engine), mesh, calls.loop,
                        lease_seconds=settings.LEAF_WORKER_LEASE_SECONDS,
                        grace_seconds=settings.LEAF_WORKER_GRACE_SECONDS)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: worker.stop())
    try:
        worker.run()
    finally:
        calls.run(mesh.close())
        calls.stop()
        queue.close()
        engine.dispose()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.tasks.worker", description="Run one lane's worker.")
    parser.add_argument("--lane", required=True, help=f"one of {', '.join(LANES)}")
    return run_lane(parser.parse_args(argv).lane)


if __name__ == "__main__":
    sys.exit(main())
