"""TakeoverService over gRPC: translate, call the use case, translate back. Every method runs under a verified
identity (runtime/identity_guard.py); ingesting mutates curated, so it is an operator's, recorded as who promoted."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from kernel.errors import InputError, NotFound, Unimplemented
from kernel.identity import operator_of
from leaf.takeover.v1 import takeover_pb2, takeover_pb2_grpc
from runtime.identity_guard import current_identity
from services.takeover.domain.loads import PROMOTED, LoadReport
from services.takeover.entrypoints.compare_grpc import CompareDeps, compare_parity_rpc, parity_workbook_rpc
from services.takeover.entrypoints.parity_grpc import (
    approve_explanation_rpc,
    get_parity_rpc,
    propose_explanation_rpc,
)
from services.takeover.entrypoints.processes_grpc import advance_process_rpc, list_processes_rpc
from services.takeover.service_layer.parity import Explanations, ParityReports
from services.takeover.service_layer.ports import Curated
from services.takeover.service_layer.processes import ParityResults, ProcessRegistry


def load_to_proto(report: LoadReport) -> takeover_pb2.Load:
    return takeover_pb2.Load(
        ingest_id=report.ingest_id, load_id=report.load_id or "", status=report.status, reasons=report.reasons,
        datasets=[takeover_pb2.DatasetRows(dataset_id=d.dataset_id, rows=d.rows) for d in report.datasets],
        export_id=report.export_id or "", content_sha256=report.content_sha256, ingested_at=report.ingested_at,
        ingested_by=report.ingested_by, promoted_at=report.promoted_at or "", promoted_by=report.promoted_by or "",
        files=[takeover_pb2.BronzeFile(path=f["path"], sha256=f["sha256"], bytes=f["bytes"]) for f in report.files],
        rejected=[takeover_pb2.RejectedRows(dataset_id=d, count=r["count"],
                                            rows=[takeover_pb2.RejectedRow(**row) for row in r["rows"]])
                  for d, r in sorted(report.rejected.items())],
        source=report.source)


class TakeoverServicer(takeover_pb2_grpc.TakeoverServiceServicer):
    def __init__(self, ingest: Callable[[str, str], LoadReport], curated: Curated,
                 processes: ProcessRegistry | None = None, parity: ParityResults | None = None,
                 reports: ParityReports | None = None, explanations: Explanations | None = None,
                 compare: CompareDeps | None = None) -> None:
        self.ingest, self.curated = ingest, curated
        self.compare = compare  # CompareParity: replay, calc over the mesh, the row diff (entrypoints/compare_grpc.py)
        self.processes, self.parity = processes, parity  # the takeover-process registry (docs/takeover-states.md)
        self.reports, self.explanations = reports, explanations  # kept parity reports, persisted explanations
        self.ingesting = asyncio.Lock()  # one ingest at a time per replica: each is CPU- and memory-bound

    async def IngestExport(self, request, context):
        operator = operator_of(current_identity())
        if not request.path or not Path(request.path).exists():
            raise InputError("export_unreadable", "the export path does not exist on the takeover service")
        async with self.ingesting:
            report = await asyncio.to_thread(self.ingest, request.path, operator)
        return load_to_proto(report)

    async def ListLoads(self, request, context):
        current_identity()
        loads = await asyncio.to_thread(self.curated.loads)
        return takeover_pb2.ListLoadsResponse(loads=[load_to_proto(r) for r in loads])

    async def GetLoad(self, request, context):
        current_identity()
        ingests = await asyncio.to_thread(self.curated.load, request.load_id)
        if not ingests:
            raise NotFound("load_not_found", f"no load {request.load_id!r}")
        current = next((r for r in ingests if r.status == PROMOTED), ingests[0])
        return takeover_pb2.GetLoadResponse(load=load_to_proto(current), ingests=[load_to_proto(r) for r in ingests])

    async def ListProcesses(self, request, context):
        return await list_processes_rpc(*self._registry())

    async def AdvanceProcess(self, request, context):
        return await advance_process_rpc(*self._registry(), request)

    async def GetParity(self, request, context):
        return await get_parity_rpc(*self._parity(), self._registry()[0], request)

    async def ProposeExplanation(self, request, context):
        return await propose_explanation_rpc(*self._parity(), request)

    async def ApproveExplanation(self, request, context):
        return await approve_explanation_rpc(*self._parity(), request)

    async def CompareParity(self, request, context):
        if self.compare is None:
            raise Unimplemented("unimplemented", "this takeover service has no golden comparison wired")
        return await compare_parity_rpc(self.compare, request, context)

    async def GetParityWorkbook(self, request, context):
        # GetParity's own answer (and so its read rules), rendered
        return await parity_workbook_rpc(await self.GetParity(request, context))

    def _parity(self) -> tuple[ParityReports, Explanations]:
        if self.reports is None or self.explanations is None:
            raise Unimplemented("unimplemented", "this takeover service has no parity reports wired")
        return self.reports, self.explanations

    def _registry(self) -> tuple[ProcessRegistry, ParityResults]:
        if self.processes is None or self.parity is None:
            raise Unimplemented("unimplemented", "this takeover service has no process registry wired")
        return self.processes, self.parity
