"""Takeover loads at the edge: the load ledger of the takeover service (docs/takeover.md), read for any verified
caller. A load names datasets, counts, hashes and reasons — no client's rows — so no scope grant is asked."""
from __future__ import annotations

from leaf.takeover.v1 import takeover_pb2
from runtime.clients import call
from services.gateway.adapters.mesh import Mesh
from services.gateway.domain.identity import Identity

READ_RETRIES = 2


def load_to_json(load: takeover_pb2.Load) -> dict:
    return {"ingest_id": load.ingest_id, "load_id": load.load_id or None, "status": load.status,
            "reasons": list(load.reasons),
            "datasets": [{"dataset_id": d.dataset_id, "rows": d.rows} for d in load.datasets],
            "export_id": load.export_id or None, "content_sha256": load.content_sha256,
            "ingested_at": load.ingested_at, "ingested_by": load.ingested_by,
            "promoted_at": load.promoted_at or None, "promoted_by": load.promoted_by or None,
            "source": load.source,
            "files": [{"path": f.path, "sha256": f.sha256, "bytes": f.bytes} for f in load.files],
            "rejected": {r.dataset_id: {"count": r.count, "rows": [{"row": x.row, "column": x.column,
                                                                      "domo_type": x.domo_type} for x in r.rows]}
                         for r in load.rejected},
            "links": {"load": f"/v1/takeover/loads/{load.load_id}"} if load.load_id else {}}


async def list_loads(mesh: Mesh, identity: Identity) -> dict:
    listed = await call(mesh.takeover.ListLoads, takeover_pb2.ListLoadsRequest(), timeout=mesh.remaining(),
                        metadata=mesh.as_caller(identity), retries=READ_RETRIES)
    return {"loads": [load_to_json(load) for load in listed.loads]}


async def get_load(mesh: Mesh, identity: Identity, load_id: str) -> dict:
    found = await call(mesh.takeover.GetLoad, takeover_pb2.GetLoadRequest(load_id=load_id), timeout=mesh.remaining(),
                       metadata=mesh.as_caller(identity), retries=READ_RETRIES)
    return {"load": load_to_json(found.load), "ingests": [load_to_json(load) for load in found.ingests]}
