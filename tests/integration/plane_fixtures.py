"""The task plane over real services for tests: scope, evidence, calc and publisher (each a gRPC server on port 0 with
its own SQLite), the tasks service, and a lane worker built as services/tasks/worker.py builds it."""
from __future__ import annotations

import asyncio
import contextlib
import threading
import time

import pytest

from demo.generator import generate_claims
from leaf.calc.v1 import calc_pb2_grpc
from leaf.scope.v1 import scope_pb2, scope_pb2_grpc
from leaf.tasks.v1 import tasks_pb2_grpc
from runtime.db import make_engine
from runtime.identity_keys import local_identity_keys
from runtime.topology import CALLS, WORKER
from services.tasks.adapters.ledger import SqlTaskLedger
from services.tasks.adapters.mesh import GrpcWorkerMesh
from services.tasks.adapters.queues.db_queue import DbTaskQueue
from services.tasks.adapters.queues.loop_thread import LoopThread
from services.tasks.adapters.unit_of_work import SqlTaskUnitOfWork
from services.tasks.bootstrap import TasksSettings
from services.tasks.bootstrap import bootstrap as tasks_bootstrap
from services.tasks.domain.states import FINISHED
from services.tasks.service_layer.lane_worker import LaneWorker
from tests.integration.mesh_fixtures import PRINCIPAL, caller, channel_to, publishing_mesh, running


def operator():
    """Signed when called: the key is the test's own, under its LEAF_HOME."""
    return caller("user:ops@leaf.example", operator=True)


@pytest.fixture(scope="module")
def claims_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("claims") / "claims.csv"
    generate_claims(path, n_claims=3000, seed=11)
    return path


@contextlib.asynccontextmanager
async def plane(folder, claims_csv, entitled: tuple[str, ...] = (PRINCIPAL,)):
    """The services, the tasks service on `folder`'s tasks database, and stubs for the test."""
    from cli.commands.claims import load_claims

    load_claims(claims_csv)
    tasks_url = f"sqlite:///{folder / 'tasks.sqlite'}"
    async with contextlib.AsyncExitStack() as stack:
        mesh = await stack.enter_async_context(publishing_mesh(folder))
        mesh["tasks"] = await stack.enter_async_context(running(tasks_bootstrap(TasksSettings(
            LEAF_TASKS_DB_URL=tasks_url))))
        stubs = {name: stub(await stack.enter_async_context(channel_to(mesh[name]))) for name, stub in (
            ("scope", scope_pb2_grpc.ScopeServiceStub), ("calc", calc_pb2_grpc.CalcServiceStub),
            ("tasks", tasks_pb2_grpc.TasksServiceStub))}
        for principal in entitled:
            await stubs["scope"].GrantEntitlement(scope_pb2.GrantEntitlementRequest(
                entitlement=scope_pb2.Entitlement(principal=principal, client_id="C001"), reason="the engagement"),
                metadata=operator())
        yield mesh, stubs, tasks_url


@contextlib.contextmanager
def lane_worker(addresses: dict[str, str], tasks_url: str, lane: str = "runs"):
    """A lane's worker as services/tasks/worker.py builds it, looping on a thread of its own; stopped on exit."""
    engine = make_engine(tasks_url)
    calls = LoopThread("worker-calls")

    async def open_mesh() -> GrpcWorkerMesh:
        # The worker's callees (runtime/topology.py) that this test started: itr only where a test runs it.
        return GrpcWorkerMesh({n: addresses[n] for n in CALLS[WORKER] if n in addresses}, local_identity_keys(), 60)

    mesh = calls.run(open_mesh())
    worker = LaneWorker(lane, DbTaskQueue(engine), SqlTaskLedger(engine), lambda: SqlTaskUnitOfWork(engine), mesh,
                        calls.loop, lease_seconds=30)
    looping = threading.Thread(target=worker.run)
    looping.start()
    try:
        yield SqlTaskLedger(engine)
    finally:
        worker.stop()
        looping.join(timeout=60)
        calls.run(mesh.close())
        calls.stop()
        engine.dispose()


async def finished(ledger: SqlTaskLedger, task_id: str, within: float = 120.0):
    """Waits without blocking the test's loop, where the services answer the worker."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        task = ledger.get(task_id)
        if task.state in FINISHED:
            return task
        await asyncio.sleep(0.1)
    pytest.fail(f"{task_id} is still {ledger.get(task_id).state} after {within:.0f} s")
