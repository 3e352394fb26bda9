"""CompareParity and GetParityWorkbook: translate, call the use case, translate back. TakeoverServicer delegates
here. Comparing is an operator's (kernel.identity.operator_of, recorded as who made the report) under an exact
grant of the process's own scope (service_layer/compare.require_exact_grant); the workbook is GetParity's report
under GetParity's own read rules, rendered (adapters/parity_xlsx.py)."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO

from kernel.errors import NotFound
from kernel.identity import operator_of
from leaf.takeover.v1 import takeover_pb2
from runtime.grant_guard import current_grant
from runtime.identity_guard import current_identity
from services.takeover.adapters.parity_xlsx import render_parity_xlsx
from services.takeover.entrypoints.parity_grpc import report_to_proto
from services.takeover.service_layer.compare import (
    BackendRun,
    CalcRuns,
    compare_parity,
    process_cards,
    require_exact_grant,
)
from services.takeover.service_layer.parity import Explanations, ParityReports, RowDiffs
from services.takeover.service_layer.processes import ProcessRegistry
from services.takeover.service_layer.replay import ExportObjects, SilverDatasets

DEFAULT_BUDGET_SECONDS = 600.0  # a call without a deadline still ends (calc's run and the claims stream)


@dataclass(frozen=True)
class CompareDeps:
    processes: ProcessRegistry
    exports: ExportObjects
    silver: SilverDatasets
    calc: CalcRuns
    row_diffs: Callable[[BackendRun], RowDiffs]
    reports: ParityReports
    explanations: Explanations
    # One comparison at a time per replica, like an ingest: each runs DuckDB under LEAF_TAKEOVER_DUCKDB_MEMORY and
    # holds a run's claims on the scratch disk; a second one waits its turn instead of doubling both.
    comparing: asyncio.Lock = field(default_factory=asyncio.Lock)


async def compare_parity_rpc(deps: CompareDeps, request: takeover_pb2.CompareParityRequest,
                             context) -> takeover_pb2.ParityReport:
    operator = operator_of(current_identity())
    record = await asyncio.to_thread(deps.processes.get, request.process_id)
    if record is None:
        raise NotFound("process_not_found", f"no takeover process {request.process_id!r}")
    cards = process_cards(record.process)
    require_exact_grant(current_grant(), cards.scope)
    async with deps.comparing:
        budget = context.time_remaining() if context is not None else None
        report = await compare_parity(cards, request.load_id, deps.exports, deps.silver, deps.calc, deps.row_diffs,
                                      deps.reports, deps.explanations, operator, budget or DEFAULT_BUDGET_SECONDS)
    return report_to_proto(report)


def workbook_of(report: takeover_pb2.ParityReport) -> takeover_pb2.ParityWorkbook:
    """The report as the workbook shows it: every value the report's own decimal string."""
    worst = report.worst_difference if report.HasField("worst_difference") else None
    document = {"process": report.process, "load_id": report.load_id, "report_id": report.report_id,
                "base_report_id": report.base_report_id, "cards": report.cards, "match": report.match,
                "explained": report.explained, "unexplained": report.unexplained,
                "worst_difference": None if worst is None else {"card_id": worst.card_id,
                                                                "difference": worst.difference},
                "packets": [packet_of(p) for p in report.packets]}
    target = BytesIO()
    render_parity_xlsx(document, target)
    return takeover_pb2.ParityWorkbook(report_id=report.report_id, xlsx=target.getvalue(),
                                       filename=f"parity-{report.process}-{report.report_id}.xlsx")


def packet_of(p: takeover_pb2.ParityPacket) -> dict:
    def value(name: str) -> str | None:
        return getattr(p, name) if p.HasField(name) else None

    return {"card_id": p.card_id, "classification": p.classification, "domo_value": value("domo_value"),
            "replayed_value": value("replayed_value"), "replay_status": p.replay_status,
            "backend_formula": p.backend_formula, "backend_value": value("backend_value"),
            "difference": value("difference"), "tolerance": p.tolerance, "reason_code": p.reason_code or None,
            "approved_by": p.approved_by or None, "approved_at": p.approved_at or None, "proposed": list(p.proposed)}


async def parity_workbook_rpc(report: takeover_pb2.ParityReport) -> takeover_pb2.ParityWorkbook:
    """`report`: what GetParity answered this caller (its checks already passed)."""
    return await asyncio.to_thread(workbook_of, report)
