"""The task ledger on SQLite and PostgreSQL: submissions over gRPC with the verified caller and the policy
decision, the queue fed from the ledger, an append-only history, migration 0002 over old rows, and effects
applied once even when two deliveries race."""
from __future__ import annotations

import json
import threading
import time
from dataclasses import replace

import grpc
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text
from sqlalchemy.exc import DBAPIError

from kernel.scope import Scope
from leaf.tasks.v1 import tasks_pb2, tasks_pb2_grpc
from runtime.db import make_engine, migrate
from services.tasks.adapters.ledger import SqlTaskLedger
from services.tasks.adapters.queues.db_queue import DbTaskQueue
from services.tasks.adapters.unit_of_work import SqlTaskUnitOfWork
from services.tasks.bootstrap import MIGRATIONS, TasksSettings, bootstrap
from services.tasks.domain.kinds import KINDS, RetryPolicy
from services.tasks.domain.states import DEAD_LETTERED, QUEUED, RUNNING, SUCCEEDED, StateChange
from services.tasks.domain.tasks import Task
from services.tasks.service_layer.deliveries import handle_delivery, reconcile_dead_letters
from services.tasks.service_layer.effects import run_once
from tests.integration.mesh_fixtures import OPERATOR, PRINCIPAL, as_operator, caller, channel_to, grant_for, running

C001 = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31")
NOW = "2026-01-01T00:00:00.000+00:00"


async def test_submissions_record_the_verified_caller_the_decision_and_the_history(db_url):
    async with running(bootstrap(TasksSettings(LEAF_TASKS_DB_URL=db_url))) as address, channel_to(address) as channel:
        tasks = tasks_pb2_grpc.TasksServiceStub(channel)
        asked = await tasks.SubmitTask(tasks_pb2.SubmitTaskRequest(
            kind="publish_run", payload_json=json.dumps({"scope": C001.canonical()}), run_id="run_1",
            itr_request_id="a0B000000000001"), metadata=grant_for(C001))
        assert (asked.state, asked.lane, asked.requested_by, asked.scope_hash) == (
            tasks_pb2.QUEUED, "publish", PRINCIPAL, C001.scope_hash)
        assert (asked.run_id, asked.itr_request_id, asked.max_attempts) == ("run_1", "a0B000000000001", 5)
        assert (asked.policy.outcome, asked.policy.rule) == ("allowed", "kind.publish_run")

        blocked = await tasks.SubmitTask(tasks_pb2.SubmitTaskRequest(kind="takeover_ingest"),
                                         metadata=as_operator(grant_for(C001)))
        assert (blocked.state, blocked.policy.rule, blocked.requested_by) == (
            tasks_pb2.BLOCKED, "kind.takeover_ingest.mutates_curated", OPERATOR)
        analyst = await tasks.SubmitTask(tasks_pb2.SubmitTaskRequest(kind="itr_sync"), metadata=grant_for(C001))
        assert (analyst.state, analyst.policy.rule) == (tasks_pb2.BLOCKED, "kind.itr_sync.operator_only")
        intended = await tasks.SubmitTask(tasks_pb2.SubmitTaskRequest(kind="takeover_ingest", operator_intent=True),
                                          metadata=as_operator(grant_for(C001)))
        assert intended.state == tasks_pb2.QUEUED and intended.operator_intent

        read = await tasks.GetTask(tasks_pb2.GetTaskRequest(task_id=blocked.task_id),
                                   metadata=as_operator(grant_for(C001)))
        assert [(c.from_state, c.to_state, c.actor) for c in read.history] == [("", "blocked", OPERATOR)]
        listed = await tasks.ListTasks(tasks_pb2.ListTasksRequest(state=tasks_pb2.BLOCKED),
                                       metadata=as_operator(grant_for(C001)))
        assert {t.task_id for t in listed.tasks} == {blocked.task_id, analyst.task_id}
        # A task about no client is its submitter's and the operators' only.
        own = await tasks.ListTasks(tasks_pb2.ListTasksRequest(state=tasks_pb2.BLOCKED), metadata=grant_for(C001))
        assert {t.task_id for t in own.tasks} == {analyst.task_id}

    queue = DbTaskQueue(make_engine(db_url))  # only admitted tasks reached their lanes
    assert [d.task_id for d in queue.receive("publish", max_messages=5)] == [asked.task_id]
    assert [d.task_id for d in queue.receive("takeover", max_messages=5)] == [intended.task_id]
    assert queue.receive("itr", max_messages=5) == []


async def test_operators_cancel_and_requeue_over_grpc_and_the_submitter_is_recorded_for_its_worker(db_url):
    engine = make_engine(db_url)
    async with running(bootstrap(TasksSettings(LEAF_TASKS_DB_URL=db_url))) as address, channel_to(address) as channel:
        tasks = tasks_pb2_grpc.TasksServiceStub(channel)
        metadata = (*caller(PRINCIPAL, groups=("group:analysts",)), *grant_for(C001)[1:])
        asked = await tasks.SubmitTask(tasks_pb2.SubmitTaskRequest(
            kind="compute_run", payload_json=json.dumps({"scope": C001.canonical()})), metadata=metadata)
        recorded = SqlTaskLedger(engine).get(asked.task_id)
        assert (recorded.requested_by, recorded.requested_groups, recorded.requested_operator) == (
            PRINCIPAL, ("group:analysts",), False)
        assert recorded.granted_scope_json == C001.canonical_json().decode() and len(recorded.trace_parent_id) in (0, 16)

        request = tasks_pb2.CancelTaskRequest(task_id=asked.task_id, reason="wrong window")
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await tasks.CancelTask(request, metadata=grant_for(C001))
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        cancelled = await tasks.CancelTask(request, metadata=as_operator(grant_for(C001)))
        assert cancelled.state == tasks_pb2.CANCELLED
        assert (cancelled.history[-1].actor, cancelled.history[-1].reason) == (OPERATOR, "cancelled: wrong window")
        with pytest.raises(grpc.aio.AioRpcError) as twice:
            await tasks.RequeueTask(tasks_pb2.RequeueTaskRequest(task_id=asked.task_id, reason="again"),
                                    metadata=as_operator(grant_for(C001)))
        assert twice.value.code() == grpc.StatusCode.ALREADY_EXISTS  # cancelled is not requeueable

        # A task its worker dead-lettered goes back on its lane as a new round; the old dead letter stays stale.
        second = await tasks.SubmitTask(tasks_pb2.SubmitTaskRequest(
            kind="compute_run", payload_json=json.dumps({"scope": C001.canonical()})), metadata=metadata)
        queue, ledger = DbTaskQueue(engine), SqlTaskLedger(engine)
        once = {"compute_run": replace(KINDS["compute_run"], retry=RetryPolicy(1, 0))}
        outcomes = {d.task_id: handle_delivery(d, queue, ledger, lambda: SqlTaskUnitOfWork(engine), broken,
                                               "workload:worker", once) for d in queue.receive("runs", max_messages=5)}
        assert outcomes == {asked.task_id: "skipped", second.task_id: "dead_lettered"}  # the cancelled one never ran
        assert ledger.get(second.task_id).state == DEAD_LETTERED
        requeued = await tasks.RequeueTask(tasks_pb2.RequeueTaskRequest(task_id=second.task_id, reason="fixed"),
                                           metadata=as_operator(grant_for(C001)))
        assert (requeued.state, requeued.history[-1].reason) == (tasks_pb2.QUEUED, "requeued: fixed")
        assert reconcile_dead_letters(queue, "runs", ledger, "workload:worker") == 0
        assert ledger.get(second.task_id).state == QUEUED
        (again,) = queue.receive("runs", max_messages=5)
        assert (again.task_id, again.attempt, json.loads(again.body)["round"]) == (second.task_id, 1, 1)
    engine.dispose()


def broken(task, uow) -> str:
    raise ConnectionError("calc is down")


def test_the_state_history_is_append_only(db_url):
    engine = make_engine(db_url)
    migrate(engine, "tasks", MIGRATIONS)
    ledger = SqlTaskLedger(engine)
    ledger.add(task("task_1"), StateChange("task_1", "", QUEUED, 0, "admitted", PRINCIPAL, NOW))
    for statement in ("UPDATE task_state_changes SET reason = 'rewritten'", "DELETE FROM task_state_changes"):
        with pytest.raises(DBAPIError, match="append-only"):
            with engine.begin() as db:
                db.execute(text(statement))
    assert [c.reason for c in ledger.history("task_1")] == ["admitted"]
    engine.dispose()


def test_migration_0002_keeps_the_tasks_recorded_before_it(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'tasks.sqlite'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("version_table", "alembic_version_tasks")
    with engine.begin() as db:
        config.attributes["connection"] = db
        command.upgrade(config, "0001")
        for task_id, lane in (("task_old_publish", "publish"), ("task_old_sync", "itr_sync"), ("task_old_r", "report")):
            db.execute(text("INSERT INTO tasks (task_id, lane, state, payload_json, created_at, updated_at) "
                            f"VALUES ('{task_id}', '{lane}', 'queued', '{{}}', '{NOW}', '{NOW}')"))
    migrate(engine, "tasks", MIGRATIONS)
    ledger = SqlTaskLedger(engine)
    found = {t.task_id: (t.kind, t.lane, t.policy_outcome) for t in ledger.list()}
    assert found == {"task_old_publish": ("publish_run", "publish", "allowed"),
                     "task_old_sync": ("itr_sync", "itr", "allowed"), "task_old_r": ("report", "report", "allowed")}
    assert [(c.from_state, c.to_state) for c in ledger.history("task_old_sync")] == [("", QUEUED)]
    engine.dispose()


def task(task_id: str) -> Task:
    return Task(task_id, "compute_run", "runs", QUEUED, PRINCIPAL, "", "", "", "allowed", "kind.compute_run", "",
                "{}", NOW, NOW, max_attempts=3)


def test_racing_deliveries_apply_an_effect_once(db_url):
    engine = make_engine(db_url)
    migrate(engine, "tasks", MIGRATIONS)
    results = Table("effect_results", MetaData(), Column("id", Integer, primary_key=True, autoincrement=True),
                    Column("task_id", String(64), nullable=False))  # no unique key: a second effect would show
    results.create(engine)
    ledger = SqlTaskLedger(engine)
    ledger.add(task("task_1"), StateChange("task_1", "", QUEUED, 0, "admitted", PRINCIPAL, NOW))
    ledger.move(StateChange("task_1", QUEUED, RUNNING, 1, "delivered", "workload:worker", NOW))
    outcomes, started = [], threading.Barrier(2)

    def effect(uow) -> str:
        uow.connection.execute(insert(results).values(task_id="task_1"))
        time.sleep(0.3)  # both deliveries are inside their effect at once (where the database lets them)
        return '{"rows": 1}'

    def deliver(attempt: int) -> None:
        started.wait()
        outcomes.append(run_once("task_1", attempt, effect, lambda: SqlTaskUnitOfWork(engine), "workload:w", NOW))

    threads = [threading.Thread(target=deliver, args=(a,)) for a in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(o.replayed for o in outcomes) == [False, True]
    with engine.connect() as db:
        assert db.execute(select(results.c.task_id)).scalars().all() == ["task_1"]
    assert ledger.get("task_1").state == SUCCEEDED and ledger.get("task_1").result_json == '{"rows": 1}'
    engine.dispose()
