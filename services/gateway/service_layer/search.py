"""Search at the edge (docs/search.md): the itr service's hits inside the caller's read grant, each with the runs its
request produced (the task ledger's lineage, as GET /v1/itr/requests/{id} shows them)."""
from __future__ import annotations

import asyncio

from leaf.itr.v1 import itr_pb2
from leaf.tasks.v1 import tasks_pb2
from runtime.clients import call
from services.gateway.domain.identity import Identity
from services.gateway.service_layer.itr import READ_RETRIES, RUN_KINDS, run_of
from services.gateway.service_layer.ports import Mesh


def hit_to_json(hit: itr_pb2.SearchHit, runs: list[dict]) -> dict:
    request = f"/v1/itr/requests/{hit.request_id}"
    return {"id": hit.id, "kind": hit.kind, "title": hit.title, "snippet": hit.snippet, "score": hit.score,
            "updated": hit.updated or None,
            "scope": {"client_id": hit.client_id, "pbm_id": hit.pbm_id, "tpa_id": hit.tpa_id,
                      "group_ids": list(hit.group_ids)},
            "lineage": {"request_id": hit.request_id, "runs": runs},
            "links": {"request": request, "bundle": f"{request}/bundle"}}


async def search(mesh: Mesh, identity: Identity, query: str, page_size: int) -> dict:
    grant = await mesh.grants.for_reads(identity, mesh.remaining())
    metadata = mesh.as_caller(identity, grant)
    found = await call(mesh.itr.Search, itr_pb2.SearchRequest(query=query, page_size=page_size),
                       timeout=mesh.remaining(), metadata=metadata, retries=READ_RETRIES)
    requests = list(dict.fromkeys(h.request_id for h in found.hits))

    async def runs_of(request_id: str) -> list[dict]:
        tasks = await call(mesh.tasks.ListTasks, tasks_pb2.ListTasksRequest(itr_request_id=request_id),
                           timeout=mesh.remaining(), metadata=metadata, retries=READ_RETRIES)
        return [run_of(t) for t in tasks.tasks if t.kind in RUN_KINDS]

    runs = dict(zip(requests, await asyncio.gather(*(runs_of(r) for r in requests))))
    return {"query": query, "hits": [hit_to_json(h, runs[h.request_id]) for h in found.hits]}
