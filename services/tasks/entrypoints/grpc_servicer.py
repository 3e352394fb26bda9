"""TasksService over gRPC: translate, call the handler, translate back."""
from __future__ import annotations

import asyncio

from leaf.tasks.v1 import tasks_pb2, tasks_pb2_grpc
from runtime.grant_guard import current_grant
from runtime.identity_guard import current_identity
from runtime.telemetry import current_span_id, current_trace_id
from services.tasks.domain.policy import Submitter
from services.tasks.domain.states import StateChange
from services.tasks.domain.task_queue import TaskQueue
from services.tasks.domain.tasks import SubmitTask, Task
from services.tasks.service_layer import handlers
from services.tasks.service_layer.clock import utc_now
from services.tasks.service_layer.ports import TaskLedger

FIELDS = ("task_id", "lane", "kind", "payload_json", "result_json", "created_at", "updated_at", "trace_id",
          "requested_by", "scope_hash", "itr_request_id", "run_id", "attempts", "max_attempts", "started_at",
          "finished_at", "operator_intent")


def task_to_proto(task: Task, history: list[StateChange] = ()) -> tasks_pb2.Task:
    return tasks_pb2.Task(
        state=tasks_pb2.TaskState.Value(task.state.upper()), error=task.last_error,
        policy=tasks_pb2.PolicyDecision(outcome=task.policy_outcome, rule=task.policy_rule, reason=task.policy_reason),
        progress=tasks_pb2.TaskProgress(done=task.progress_done, total=task.progress_total, note=task.progress_note),
        artifacts=[tasks_pb2.TaskArtifact(name=a.name, sha256=a.sha256, size_bytes=a.size_bytes)
                   for a in task.artifacts],
        history=[tasks_pb2.StateChange(from_state=c.from_state, to_state=c.to_state, attempt=c.attempt,
                                       reason=c.reason, actor=c.actor, at=c.at) for c in history],
        **{k: getattr(task, k) for k in FIELDS})


def submitter() -> Submitter:
    """The verified caller of this call (runtime/identity_guard.py), never a name the request carries."""
    identity = current_identity()
    return Submitter(identity.principal, identity.operator, identity.groups)


class TasksServicer(tasks_pb2_grpc.TasksServiceServicer):
    def __init__(self, ledger: TaskLedger, queue: TaskQueue | None = None) -> None:
        self.ledger = ledger
        self.queue = queue

    async def SubmitTask(self, request, context):
        order = SubmitTask(request.kind, request.payload_json, request.idempotency_key, request.itr_request_id,
                           request.run_id, request.operator_intent, request.lane)
        task = await asyncio.to_thread(handlers.submit_task, order, submitter(), current_grant(), self.ledger,
                                       self.queue, utc_now(), current_trace_id(), current_span_id())
        return task_to_proto(task)

    async def GetTask(self, request, context):
        task, history = await asyncio.to_thread(handlers.get_task, request.task_id, submitter(), current_grant(),
                                                self.ledger)
        return task_to_proto(task, history)

    async def ListTasks(self, request, context):
        state = tasks_pb2.TaskState.Name(request.state).lower() if request.state else ""
        found = await asyncio.to_thread(handlers.list_tasks, request.lane, state, request.kind, submitter(),
                                        current_grant(), self.ledger, request.itr_request_id)
        return tasks_pb2.ListTasksResponse(tasks=[task_to_proto(t) for t in found])

    async def CancelTask(self, request, context):
        operator = submitter()

        def cancel() -> tasks_pb2.Task:
            task = handlers.cancel_task(request.task_id, request.reason, operator, self.ledger, utc_now())
            return task_to_proto(task, self.ledger.history(task.task_id))
        return await asyncio.to_thread(cancel)

    async def RequeueTask(self, request, context):
        operator = submitter()

        def requeue() -> tasks_pb2.Task:
            task = handlers.requeue_task(request.task_id, request.reason, operator, self.ledger, self.queue, utc_now())
            return task_to_proto(task, self.ledger.history(task.task_id))
        return await asyncio.to_thread(requeue)
