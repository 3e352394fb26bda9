"""Takeover loads at the edge: the load ledger of the takeover service (docs/takeover.md), read for any verified
caller. A load names datasets, counts, hashes and reasons — no client's rows — so no scope grant is asked."""
from __future__ import annotations

import json

from kernel.errors import InputError, NotFound
from kernel.scope import Scope
from leaf.takeover.v1 import takeover_pb2
from leaf.tasks.v1 import tasks_pb2
from runtime.clients import call
from runtime.convert import scope_to_proto
from services.gateway.domain.identity import Identity
from services.gateway.service_layer.entitlements import NotAnOperator
from services.gateway.service_layer.ports import Mesh

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
            "state": process.state, "next": process.next or None, "scope": dict(process.scope),
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


# --- golden comparison packets and their explanations (docs/takeover.md) ----------------------------------------
def report_to_json(report: takeover_pb2.ParityReport) -> dict:
    worst = report.worst_difference if report.HasField("worst_difference") else None
    return {"report_id": report.report_id, "base_report_id": report.base_report_id or None,
            "process": report.process, "load_id": report.load_id or None, "cards": report.cards,
            "match": report.match, "explained": report.explained, "unexplained": report.unexplained,
            "worst_difference": None if worst is None else {"card_id": worst.card_id, "difference": worst.difference},
            "packets": [packet_to_json(p) for p in report.packets]}


def packet_to_json(p: takeover_pb2.ParityPacket) -> dict:
    def value(name: str) -> str | None:
        return getattr(p, name) if p.HasField(name) else None

    return {"card_id": p.card_id, "domo_value": value("domo_value"), "replayed_value": value("replayed_value"),
            "replay_status": p.replay_status, "backend_formula": p.backend_formula,
            "backend_value": value("backend_value"), "difference": value("difference"), "tolerance": p.tolerance,
            "classification": p.classification, "reason_code": p.reason_code or None,
            "approved_by": p.approved_by or None, "approved_at": p.approved_at or None, "proposed": list(p.proposed),
            "row_diff": row_diff_to_json(p.row_diff) if p.HasField("row_diff") else None}


def row_diff_to_json(d: takeover_pb2.RowDiffSummary) -> dict:
    return {"domo_rows": d.domo_rows, "backend_rows": d.backend_rows, "only_domo": d.only_domo,
            "only_backend": d.only_backend, "changed": d.changed, "columns": list(d.columns),
            "rows": [{"claim_id": r.claim_id, "side": r.side, "domo": dict(r.domo), "backend": dict(r.backend)}
                     for r in d.rows]}


def explanation_to_json(e: takeover_pb2.Explanation) -> dict:
    return {"process_id": e.process_id, "card_id": e.card_id, "reason_code": e.reason_code, "note": e.note,
            "proposed_by": e.proposed_by, "approved_by": e.approved_by or None, "approved_at": e.approved_at or None}


async def get_parity(mesh: Mesh, identity: Identity, process_id: str, load_id: str | None) -> dict:
    """Under the caller's read grant: card values are a client's aggregates, answered only when the grant covers the
    process's scope (a 404 otherwise, as for a process with no report)."""
    grant = await mesh.grants.for_reads(identity, mesh.remaining())
    report = await call(mesh.takeover.GetParity,
                        takeover_pb2.GetParityRequest(process_id=process_id, load_id=load_id or ""),
                        timeout=mesh.remaining(), metadata=mesh.as_caller(identity, grant), retries=READ_RETRIES)
    return report_to_json(report)


def _operators_only(identity: Identity, operator_group: str, what: str) -> None:
    if not identity.is_operator(operator_group):
        raise NotAnOperator("forbidden", f"{what} needs membership of the {operator_group!r} group")


async def propose_explanation(mesh: Mesh, identity: Identity, operator_group: str, process_id: str, card_id: str,
                              reason_code: str, note: str) -> dict:
    """Operators only; the proposer is the verified caller (refused here first, and by the takeover service)."""
    _operators_only(identity, operator_group, "proposing an explanation")
    answer = await call(mesh.takeover.ProposeExplanation, takeover_pb2.ProposeExplanationRequest(
        process_id=process_id, card_id=card_id, reason_code=reason_code, note=note),
        timeout=mesh.remaining(), metadata=mesh.as_caller(identity))  # a write: never retried
    return {"explanation": explanation_to_json(answer.explanation), "report": report_to_json(answer.report)}


async def approve_explanation(mesh: Mesh, identity: Identity, operator_group: str, process_id: str, card_id: str,
                              reason_code: str) -> dict:
    """Operators only, four eyes (the takeover service refuses the proposer); the approver is the verified caller."""
    _operators_only(identity, operator_group, "approving an explanation")
    answer = await call(mesh.takeover.ApproveExplanation, takeover_pb2.ApproveExplanationRequest(
        process_id=process_id, card_id=card_id, reason_code=reason_code),
        timeout=mesh.remaining(), metadata=mesh.as_caller(identity))  # a write: never retried
    return {"explanation": explanation_to_json(answer.explanation), "report": report_to_json(answer.report)}


# --- a golden comparison made now, and the report as a workbook (docs/takeover.md) ------------------------------
def process_scope(process: takeover_pb2.TakeoverProcess) -> Scope:
    """The process's backend scope (group_ids comma-separated) as an exact scope; InputError when it has none."""
    fields = dict(process.scope)
    if not fields:
        raise InputError("process_without_scope", f"{process.process_id} has no backend scope to compare for")
    try:
        return Scope.from_fields(fields)
    except InputError as bad:
        if bad.code != "bad_input:scope":
            raise
        raise InputError("process_without_scope", f"the scope of {process.process_id}: {bad.message}") from None


async def request_parity(mesh: Mesh, identity: Identity, operator_group: str, process_id: str,
                         load_id: str) -> tasks_pb2.Task:
    """Operators: a takeover_parity task for the process on the load, under an exact grant of the process's own
    scope (the scope service narrows a scope to the caller's entitlement: anything narrower is refused here, as
    the takeover service would refuse it). The worker compares for the caller; the caller follows the task."""
    _operators_only(identity, operator_group, "comparing a takeover process")
    listed = await call(mesh.takeover.ListProcesses, takeover_pb2.ListProcessesRequest(), timeout=mesh.remaining(),
                        metadata=mesh.as_caller(identity), retries=READ_RETRIES)
    process = next((p for p in listed.processes if p.process_id == process_id), None)
    if process is None:
        raise NotFound("process_not_found", f"no takeover process {process_id!r}")
    wanted = process_scope(process)
    grant, granted = await mesh.grants.for_scope(identity, scope_to_proto(wanted), mesh.remaining())
    if granted.scope_hash != wanted.scope_hash:
        raise NotFound("scope_not_found", "no such scope for this caller")  # the scope service's own answer
    payload = {"process_id": process_id, "load_id": load_id, "scope": json.loads(granted.canonical_json)}
    return await call(mesh.tasks.SubmitTask, tasks_pb2.SubmitTaskRequest(
        kind="takeover_parity", payload_json=json.dumps(payload, sort_keys=True)),
        timeout=mesh.remaining(), metadata=mesh.as_caller(identity, grant))  # a write: never retried


async def parity_workbook(mesh: Mesh, identity: Identity, process_id: str,
                          load_id: str | None) -> takeover_pb2.ParityWorkbook:
    """GetParity's report as .xlsx bytes, under the caller's read grant (GetParity's own read rules)."""
    grant = await mesh.grants.for_reads(identity, mesh.remaining())
    return await call(mesh.takeover.GetParityWorkbook,
                      takeover_pb2.GetParityRequest(process_id=process_id, load_id=load_id or ""),
                      timeout=mesh.remaining(), metadata=mesh.as_caller(identity, grant), retries=READ_RETRIES)
