"""A lane worker against real services (scope, evidence, calc, publisher and tasks, each a gRPC server on port 0 with
its own SQLite): it computes and publishes a submitted run for its submitter, under the identity it signs for
that submitter and the grant the scope service issues it again — so an entitlement revoked while the task waited
stops the task, which fails for good with the scope service's refusal."""
from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time

import pytest

from demo.generator import generate_claims
from leaf.calc.v1 import calc_pb2, calc_pb2_grpc
from leaf.scope.v1 import scope_pb2, scope_pb2_grpc
from leaf.tasks.v1 import tasks_pb2, tasks_pb2_grpc
from runtime.db import make_engine
from runtime.identity_keys import local_identity_keys
from runtime.scope import Scope
from services.tasks.adapters.ledger import SqlTaskLedger
from services.tasks.adapters.mesh import GrpcWorkerMesh
from services.tasks.adapters.queues.db_queue import DbTaskQueue
from services.tasks.adapters.queues.loop_thread import LoopThread
from services.tasks.adapters.unit_of_work import SqlTaskUnitOfWork
from services.tasks.bootstrap import TasksSettings
from services.tasks.bootstrap import bootstrap as tasks_bootstrap
from services.tasks.domain.states import FINISHED
from services.tasks.service_layer.lane_worker import LaneWorker
from tests.integration.mesh_fixtures import PRINCIPAL, caller, channel_to, grant_for, publishing_mesh, read_grant, running

C001 = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31")


def operator():
    """Signed when called: the key is the test's own, under its LEAF_HOME."""
    return caller("user:ops@leaf.example", operator=True)


@pytest.fixture(scope="module")
def claims_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("claims") / "claims.csv"
    generate_claims(path, n_claims=3000, seed=11)
    return path


@contextlib.asynccontextmanager
async def plane(folder, claims_csv):
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
        await stubs["scope"].GrantEntitlement(scope_pb2.GrantEntitlementRequest(
            entitlement=scope_pb2.Entitlement(principal=PRINCIPAL, client_id="C001"), reason="the engagement"),
            metadata=operator())
        yield mesh, stubs, tasks_url


@contextlib.contextmanager
def lane_worker(addresses: dict[str, str], tasks_url: str):
    """The `runs` lane's worker as services/tasks/worker.py builds it, its loop on a thread of its own."""
    engine = make_engine(tasks_url)
    calls = LoopThread("worker-calls")

    async def open_mesh() -> GrpcWorkerMesh:
        return GrpcWorkerMesh({n: addresses[n] for n in ("scope", "calc", "publisher")}, local_identity_keys(), 60)

    mesh = calls.run(open_mesh())
    worker = LaneWorker("runs", DbTaskQueue(engine), SqlTaskLedger(engine), lambda: SqlTaskUnitOfWork(engine), mesh,
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


def submit(stubs, scope: Scope = C001):
    return stubs["tasks"].SubmitTask(tasks_pb2.SubmitTaskRequest(
        kind="compute_run", payload_json=json.dumps({"scope": scope.canonical()})), metadata=grant_for(scope))


async def test_the_worker_computes_and_publishes_the_run_for_its_submitter(tmp_path, claims_csv):
    async with plane(tmp_path, claims_csv) as (addresses, stubs, tasks_url):
        asked = await submit(stubs)
        with lane_worker(addresses, tasks_url) as ledger:
            done = await finished(ledger, asked.task_id)
        run = await stubs["calc"].GetRun(calc_pb2.GetRunRequest(run_id=done.run_id), metadata=read_grant("C001"))
        again = await stubs["tasks"].GetTask(tasks_pb2.GetTaskRequest(task_id=asked.task_id), metadata=grant_for(C001))
    assert done.state == "succeeded", done.last_error
    assert run.scope.scope_hash == C001.scope_hash and done.run_id == run.run_id
    assert {"run.json", "report.xlsx", "report.pdf"} <= {a.name for a in done.artifacts}
    assert all(len(a.sha256) == 64 and a.size_bytes > 0 for a in done.artifacts)
    assert (again.state, again.run_id, again.progress.done, again.progress.total) == (
        tasks_pb2.SUCCEEDED, run.run_id, 2, 2)
    assert [c.actor for c in again.history][1:] == ["workload:worker-runs"] * 2  # running, succeeded


async def test_an_entitlement_revoked_while_the_task_waited_stops_it_with_the_scope_services_refusal(
        tmp_path, claims_csv):
    async with plane(tmp_path, claims_csv) as (addresses, stubs, tasks_url):
        asked = await submit(stubs)
        await stubs["scope"].RevokeEntitlement(scope_pb2.RevokeEntitlementRequest(
            principal=PRINCIPAL, client_id="C001", reason="engagement over"), metadata=operator())
        with lane_worker(addresses, tasks_url) as ledger:
            done = await finished(ledger, asked.task_id)
    assert (done.state, done.attempts, done.run_id) == ("failed", 1, "")  # no retry: a refusal stays a refusal
    assert done.last_error == "permanent_failure: scope_not_found: no such scope for this caller"
