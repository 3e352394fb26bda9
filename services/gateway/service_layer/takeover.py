"""Takeover loads at the edge: the load ledger of the takeover service (docs/takeover.md), read for any verified
caller. A load names datasets, counts, hashes and reasons — no client's rows — so no scope grant is asked."""
from __future__ import annotations

from leaf.takeover.v1 import takeover_pb2
from runtime.clients import call
from services.gateway.adapters.mesh import Mesh
from services.gateway.domain.identity import Identity
from services.gateway.service_layer.entitlements import NotAnOperator

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


# --- the takeover-process registry (docs/takeover-states.md) ---------------------------------------------------
def process_to_json(process: takeover_pb2.TakeoverProcess) -> dict:
    parity = process.parity if process.HasField("parity") else None
    return {"process_id": process.process_id, "name": process.name, "owner": process.owner,
            "cards": list(process.cards), "datasets": list(process.datasets), "formulas": list(process.formulas),
            "state": process.state, "next": process.next or None,
            "proofs": {p.proof: {"ref": p.ref, "recorded_by": p.recorded_by, "recorded_at": p.recorded_at,
                                 "note": p.note} for p in process.proofs},
            "proofs_missing": list(process.proofs_missing),
            "parity": None if parity is None else {"report_id": parity.report_id, "cards": parity.cards,
                                                   "unexplained": list(parity.unexplained),
                                                   "explained": list(parity.explained)}}


async def list_processes(mesh: Mesh, identity: Identity) -> dict:
    listed = await call(mesh.takeover.ListProcesses, takeover_pb2.ListProcessesRequest(), timeout=mesh.remaining(),
                        metadata=mesh.as_caller(identity), retries=READ_RETRIES)
    return {"processes": [process_to_json(p) for p in listed.processes]}


async def advance_process(mesh: Mesh, identity: Identity, operator_group: str, process_id: str, to: str,
                          note: str) -> dict:
    """Operators only (refused here before any call, and by the takeover service from the verified identity)."""
    if not identity.is_operator(operator_group):
        raise NotAnOperator("forbidden", f"moving a takeover process needs membership of the {operator_group!r} group")
    moved = await call(mesh.takeover.AdvanceProcess,
                       takeover_pb2.AdvanceProcessRequest(process_id=process_id, to=to, note=note),
                       timeout=mesh.remaining(), metadata=mesh.as_caller(identity))  # a write: never retried
    t = moved.transition if moved.HasField("transition") else None
    return {"status": moved.status, "reasons": list(moved.reasons), "process": process_to_json(moved.process),
            "transition": None if t is None else {"process_id": t.process_id, "from": t.from_state, "to": t.to_state,
                                                  "at": t.at, "operator": t.operator, "note": t.note}}
