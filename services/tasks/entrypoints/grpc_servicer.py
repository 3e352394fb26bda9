"""TasksService over gRPC: translate, call the handler, translate back."""
from __future__ import annotations

import asyncio

from leaf.tasks.v1 import tasks_pb2, tasks_pb2_grpc

from runtime.grant_guard import current_grant
from runtime.telemetry import current_trace_id
from services.tasks.adapters.ledger import SqlTaskLedger
from services.tasks.domain.lanes import SubmitTask
from services.tasks.service_layer import handlers

FIELDS = ("task_id", "lane", "payload_json", "result_json", "error", "created_at", "updated_at", "trace_id")


def task_to_proto(task: dict) -> tasks_pb2.Task:
    return tasks_pb2.Task(state=tasks_pb2.TaskState.Value(task["state"].upper()), **{k: task[k] for k in FIELDS})


class TasksServicer(tasks_pb2_grpc.TasksServiceServicer):
    def __init__(self, ledger: SqlTaskLedger) -> None:
        self.ledger = ledger

    async def SubmitTask(self, request, context):
        order = SubmitTask(request.lane, request.payload_json, request.idempotency_key)
        return task_to_proto(await asyncio.to_thread(handlers.submit_task, order, current_grant(), self.ledger,
                                                       current_trace_id()))

    async def GetTask(self, request, context):
        return task_to_proto(await asyncio.to_thread(handlers.get_task, request.task_id, current_grant(),
                                                       self.ledger))

    async def ListTasks(self, request, context):
        state = tasks_pb2.TaskState.Name(request.state).lower() if request.state else ""
        found = await asyncio.to_thread(handlers.list_tasks, request.lane, state, current_grant(), self.ledger)
        return tasks_pb2.ListTasksResponse(tasks=[task_to_proto(t) for t in found])
