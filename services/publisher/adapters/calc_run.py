"""A run as the publisher reads it from calc: the result and lineage exactly as calc computed and stored them.

The caller of PublishRun names a run and nothing else, so no figure it could send reaches a deliverable. The
call to calc carries the caller's grant on (runtime/grant_guard.py): a run outside it is as absent as one
never computed. A run message lists only the first rejected rows; the rest are paged back here, so run.json
holds the whole result, as calc stored it and as `leaf report` writes it.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from kernel.errors import Internal
from leaf.calc.v1 import calc_pb2
from runtime.clients import call
from runtime.convert import lineage_to_dict
from services.publisher.adapters.calc_claims import READ_RETRIES, paged_rejects, run_rejects, spool_run_claims
from services.publisher.domain.extract import FindingsSink, WrittenExtract
from services.publisher.domain.presentation_contract import ContractCheck
from services.publisher.domain.run_context import RejectedRow
from services.publisher.service_layer.ports import CalcRun


async def read_run(calc_stub, run_id: str) -> CalcRun:
    """The stored run `run_id`; calc's run_not_found (unknown, or outside the grant) comes back as it was."""
    run = await call(calc_stub.GetRun, calc_pb2.GetRunRequest(run_id=run_id), retries=READ_RETRIES)
    result = json.loads(run.result_json)
    if run.rejected_rows_omitted:
        listed = result["data_quality"]["rejected_rows"]
        every = [{"row": r.row, "reason": r.reason} async for r in paged_rejects(calc_stub, run_id, whole_input=True)]
        if len(every) != len(listed) + run.rejected_rows_omitted or every[:len(listed)] != listed:
            raise Internal("run_rejects_mismatch", "calc's rejected rows disagree with its run; nothing was published")
        result["data_quality"]["rejected_rows"] = every
    return CalcRun(run.run_id, result, lineage_to_dict(run.lineage))


class GrpcCalcRuns:
    """The CalcRuns port (service_layer/ports.py) on calc's gRPC stub."""

    def __init__(self, calc_stub) -> None:
        self.stub = calc_stub

    async def read(self, run_id: str) -> CalcRun:
        return await read_run(self.stub, run_id)

    async def rejects(self, run_id: str) -> tuple[RejectedRow, ...]:
        return await run_rejects(self.stub, run_id)

    async def spool_claims(self, run_id: str, pseudonymize: Callable[[str], str], folder: Path, check: ContractCheck,
                           gather: FindingsSink, also: Callable[[list[str]], None] | None = None) -> WrittenExtract:
        return await spool_run_claims(self.stub, run_id, pseudonymize, folder, check, gather, also)
