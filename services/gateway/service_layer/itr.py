"""ITR requests at the edge: one request with the runs it produced, its evidence bundle, the caller's requests.

Read under the caller's read grant: another client's request is not found, exactly like one never mirrored. A
request's runs come from the task ledger's lineage (each run made through the plane records the ITR request it
answers), as far as the caller may see those tasks.
"""
from __future__ import annotations

import json

from leaf.itr.v1 import itr_pb2
from leaf.tasks.v1 import tasks_pb2
from runtime.clients import call
from services.gateway.domain.identity import Identity
from services.gateway.service_layer.ports import Mesh

READ_RETRIES = 2
RUN_KINDS = ("compute_run", "publish_run")


def request_to_json(request: itr_pb2.ItRequest) -> dict:
    return {"request_id": request.request_id, "name": request.name, "subject": request.subject,
            "status": request.status, "priority": request.priority, "client_id": request.client_id,
            "pbm_id": request.pbm_id, "tpa_id": request.tpa_id, "group_ids": list(request.group_ids),
            "period_start": request.period_start, "period_end": request.period_end,
            "deliverables": list(request.deliverables), "last_modified": request.last_modified,
            "links": {"self": f"/v1/itr/requests/{request.request_id}",
                      "bundle": f"/v1/itr/requests/{request.request_id}/bundle"}}


def run_of(task: tasks_pb2.Task) -> dict:
    made = task.state == tasks_pb2.SUCCEEDED and task.run_id
    return {"run_id": task.run_id or None, "task_id": task.task_id, "kind": task.kind,
            "state": tasks_pb2.TaskState.Name(task.state).lower(), "created_at": task.created_at,
            "links": {"task": f"/v1/tasks/{task.task_id}", **({"run": f"/v1/runs/{task.run_id}"} if made else {})}}


async def get_request(mesh: Mesh, identity: Identity, request_id: str) -> dict:
    grant = await mesh.grants.for_reads(identity, mesh.remaining())
    metadata = mesh.as_caller(identity, grant)
    request = await call(mesh.itr.GetRequest, itr_pb2.GetRequestRequest(request_id=request_id),
                         timeout=mesh.remaining(), metadata=metadata, retries=READ_RETRIES)
    tasks = await call(mesh.tasks.ListTasks, tasks_pb2.ListTasksRequest(itr_request_id=request_id),
                       timeout=mesh.remaining(), metadata=metadata, retries=READ_RETRIES)
    return {"request": request_to_json(request), "runs": [run_of(t) for t in tasks.tasks if t.kind in RUN_KINDS]}


async def get_bundle(mesh: Mesh, identity: Identity, request_id: str) -> tuple[itr_pb2.ItRequest, dict]:
    grant = await mesh.grants.for_reads(identity, mesh.remaining())
    bundle = await call(mesh.itr.GetBundle, itr_pb2.GetBundleRequest(request_id=request_id),
                        timeout=mesh.remaining(), metadata=mesh.as_caller(identity, grant), retries=READ_RETRIES)
    return bundle.request, json.loads(bundle.bundle_json)


async def list_requests(mesh: Mesh, identity: Identity, client_id: str, status: str) -> dict:
    grant = await mesh.grants.for_reads(identity, mesh.remaining())
    listed = await call(mesh.itr.ListRequests, itr_pb2.ListRequestsRequest(client_id=client_id, status=status),
                        timeout=mesh.remaining(), metadata=mesh.as_caller(identity, grant), retries=READ_RETRIES)
    return {"requests": [request_to_json(r) for r in listed.requests]}
