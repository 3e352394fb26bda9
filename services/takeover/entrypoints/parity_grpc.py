"""The golden comparison's RPCs (GetParity, ProposeExplanation, ApproveExplanation): translate, call the use case,
translate back. TakeoverServicer delegates here. Reading needs a verified identity and a scope grant covering the
process's scope; proposing and approving an operator's (kernel.identity.operator_of), recorded as who did it — never
a request field. Those two answer the report too, with no grant asked: operators are the people who settle parity
across clients (the gateway lets no one else call them), so their operator check is the read check."""
from __future__ import annotations

import asyncio

from kernel.identity import operator_of
from leaf.takeover.v1 import takeover_pb2
from runtime.grant_guard import current_grant
from runtime.identity_guard import current_identity
from services.takeover.domain.parity import Explanation
from services.takeover.service_layer.parity import (
    Explanations,
    ParityReports,
    ProcessDefinitions,
    approve_explanation,
    current_parity,
    parity_for_reader,
    propose_for_report,
)
from services.takeover.service_layer.processes import now


def report_to_proto(report: dict) -> takeover_pb2.ParityReport:
    worst = report.get("worst_difference")
    return takeover_pb2.ParityReport(
        report_id=report["report_id"], base_report_id=report.get("base_report_id") or "",
        process=report.get("process") or "",
        load_id=report.get("load_id") or "", cards=report["cards"], match=report["match"],
        explained=report["explained"], unexplained=report["unexplained"],
        worst_difference=None if worst is None else takeover_pb2.WorstDifference(**worst),
        packets=[packet_to_proto(p) for p in report["packets"]])


def packet_to_proto(p: dict) -> takeover_pb2.ParityPacket:
    optional = {name: p[name] for name in ("domo_value", "replayed_value", "backend_value", "difference")
                if p.get(name) is not None}
    return takeover_pb2.ParityPacket(
        process=p.get("process") or "", card_id=p["card_id"], replay_status=p.get("replay_status") or "",
        backend_formula=p.get("backend_formula") or "", tolerance=p.get("tolerance") or "0",
        classification=p.get("classification") or "", reason_code=p.get("reason_code") or "",
        approved_by=p.get("approved_by") or "", approved_at=p.get("approved_at") or "",
        proposed=p.get("proposed") or [], row_diff=row_diff_to_proto(p.get("row_diff")), **optional)


def row_diff_to_proto(summary: dict | None) -> takeover_pb2.RowDiffSummary | None:
    if not summary:
        return None
    return takeover_pb2.RowDiffSummary(
        **{k: int(summary.get(k) or 0) for k in ("domo_rows", "backend_rows", "only_domo", "only_backend", "changed")},
        columns=summary.get("columns") or [],
        rows=[takeover_pb2.RowDiffRow(claim_id=r["claim_id"], side=r["side"], domo=r.get("domo") or {},
                                      backend=r.get("backend") or {}) for r in summary.get("rows") or []])


def explanation_to_proto(process_id: str, e: Explanation) -> takeover_pb2.Explanation:
    return takeover_pb2.Explanation(process_id=process_id, card_id=e.card_id, reason_code=e.reason_code, note=e.note,
                                    proposed_by=e.proposed_by, approved_by=e.approved_by or "",
                                    approved_at=e.approved_at or "")


async def get_parity_rpc(reports: ParityReports, explanations: Explanations, processes: ProcessDefinitions,
                         request: takeover_pb2.GetParityRequest) -> takeover_pb2.ParityReport:
    """Under the caller's verified scope grant (GetParity is not grant-free): card values are a client's aggregates,
    read only by a caller whose grant covers the process's scope (service_layer/parity.parity_for_reader)."""
    identity, grant = current_identity(), current_grant()
    report = await asyncio.to_thread(parity_for_reader, reports, explanations, processes, request.process_id,
                                     request.load_id or None, grant, identity.operator)
    return report_to_proto(report)


async def propose_explanation_rpc(reports: ParityReports, explanations: Explanations,
                                  request: takeover_pb2.ProposeExplanationRequest
                                  ) -> takeover_pb2.ExplanationResponse:
    operator = operator_of(current_identity())

    def work():
        proposed = propose_for_report(reports, explanations, request.process_id, request.card_id,
                                      request.reason_code, request.note, operator)
        return proposed, current_parity(reports, explanations, request.process_id)

    proposed, report = await asyncio.to_thread(work)
    return takeover_pb2.ExplanationResponse(explanation=explanation_to_proto(request.process_id, proposed),
                                            report=report_to_proto(report))


async def approve_explanation_rpc(reports: ParityReports, explanations: Explanations,
                                  request: takeover_pb2.ApproveExplanationRequest
                                  ) -> takeover_pb2.ExplanationResponse:
    operator = operator_of(current_identity())

    def work():
        approved = approve_explanation(explanations, request.process_id, request.card_id, request.reason_code,
                                       operator, now())
        return approved, current_parity(reports, explanations, request.process_id)

    approved, report = await asyncio.to_thread(work)
    return takeover_pb2.ExplanationResponse(explanation=explanation_to_proto(request.process_id, approved),
                                            report=report_to_proto(report))
