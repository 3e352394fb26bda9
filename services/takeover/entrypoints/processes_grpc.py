"""The takeover-process registry's RPCs (ListProcesses, AdvanceProcess): translate, call the use case, translate
back. TakeoverServicer delegates here; the operator is the verified identity's (kernel.identity.operator_of)."""
from __future__ import annotations

import asyncio

from kernel.identity import operator_of
from leaf.takeover.v1 import takeover_pb2
from runtime.identity_guard import current_identity
from services.takeover.service_layer.processes import (
    ParityResults,
    ProcessRegistry,
    advance,
    list_processes,
    now,
    show_process,
)


def process_to_proto(process: dict) -> takeover_pb2.TakeoverProcess:
    parity = process.get("parity")
    return takeover_pb2.TakeoverProcess(
        process_id=process["process_id"], name=process["name"], owner=process["owner"], cards=process["cards"],
        datasets=process["datasets"], formulas=process["formulas"], state=process["state"],
        proofs=[takeover_pb2.ProcessProof(**proof) for proof in process["proofs"].values()],
        proofs_missing=process["proofs_missing"], next=process.get("next") or "",
        parity=None if parity is None else takeover_pb2.ProcessParity(**parity),
        scope={str(k): str(v) for k, v in (process.get("scope") or {}).items()})


async def list_processes_rpc(registry: ProcessRegistry, parity: ParityResults) -> takeover_pb2.ListProcessesResponse:
    current_identity()
    listed = await asyncio.to_thread(list_processes, registry, parity)
    return takeover_pb2.ListProcessesResponse(processes=[process_to_proto(p) for p in listed])


async def advance_process_rpc(registry: ProcessRegistry, parity: ParityResults,
                              request: takeover_pb2.AdvanceProcessRequest) -> takeover_pb2.AdvanceProcessResponse:
    operator = operator_of(current_identity())

    def work():
        outcome = advance(registry, parity, request.process_id, request.to, operator, now(), request.note)
        return outcome, show_process(registry, parity, request.process_id)

    outcome, process = await asyncio.to_thread(work)
    moved = outcome.transition
    return takeover_pb2.AdvanceProcessResponse(
        status="done" if outcome.done else "refused", reasons=outcome.reasons, process=process_to_proto(process),
        transition=None if moved is None else takeover_pb2.ProcessTransition(
            process_id=moved.process_id, from_state=moved.from_state, to_state=moved.to_state, at=moved.at,
            operator=moved.operator, note=moved.note))
