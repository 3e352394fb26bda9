"""CalcService over gRPC: translate proto → command → use case → proto."""
from __future__ import annotations

import asyncio
import json

from kernel.errors import NotReady
from leaf.calc.v1 import calc_pb2, calc_pb2_grpc
from leaf.common.v1 import common_pb2
from runtime.convert import EVIDENCE_KIND, GOVERNANCE, READINESS, scope_from_proto, scope_to_proto
from runtime.grant_guard import current_grant
from runtime.message_size import require_fits
from runtime.telemetry import current_trace_id
from services.calc.domain.claim_eligibility import ClaimReasons
from services.calc.domain.claim_lines import ClaimLine
from services.calc.domain.registry import REGISTRY_VERSION, registry
from services.calc.domain.rejected_rows import capped_for_message
from services.calc.domain.run import RunRecord, missing_evidence
from services.calc.service_layer.run_claims import ListRunRejects, list_run_rejects, stream_run_claims
from services.calc.service_layer.runs import CalcDeps, CreateRun, create_run, get_run, plan_run, result_of


def run_to_proto(record: RunRecord) -> calc_pb2.Run:
    """The run as it travels: the result's rejected_rows cut to the first few and the cut counted."""
    result, lineage = result_of(record), record.lineage
    result_json, omitted = capped_for_message(record.result_json)
    return calc_pb2.Run(
        run_id=record.run_id,
        scope=scope_to_proto(record.scope),
        readiness=READINESS[record.readiness],
        formulas=[common_pb2.FormulaStatus(formula_id=f["id"], version=f["version"], status=READINESS[f["status"]],
                                           reasons=f["reasons"], missing_evidence=missing_evidence(f["reasons"]))
                  for f in result["formulas"]],
        result_json=result_json,
        rejected_rows_omitted=omitted,
        lineage=common_pb2.RunLineage(
            run_id=record.run_id, scope_hash=record.scope_hash, registry_version=lineage["registry_version"],
            formulas=[common_pb2.FormulaVersion(**f) for f in lineage["formulas"]],
            input_hashes=lineage["input_hashes"],
            evidence=[common_pb2.EvidenceRef(evidence_id=e["evidence_id"], kind=EVIDENCE_KIND[e["kind"]],
                                             governance=GOVERNANCE[e["governance"]],
                                             sha256=e["sha256"], version=e["version"]) for e in lineage["evidence"]],
            trace_id=lineage["trace_id"], itr_request_id=lineage["itr_request_id"],
            claims_snapshot_id=lineage["claims_snapshot_id"], created_at=lineage["created_at"],
            rebates_received_other=[common_pb2.ChannelAmount(**r) for r in lineage.get("rebates_received_other", ())]),
    )


def claim_to_proto(line: ClaimLine, reasons: ClaimReasons) -> calc_pb2.NettedClaim:
    """Decimals travel as strings at their column's places (the store already padded them)."""
    awp, fee, rebate, repricing = reasons
    return calc_pb2.NettedClaim(
        row=line.row, claim_id=line.claim_id, member_id=line.member_id, tpa_id=line.tpa_id, group_id=line.group_id,
        fill_date=line.fill_date.isoformat(), ndc=line.ndc, drug_name=line.drug_name, channel=line.channel,
        brand_generic=line.brand_generic, basis_of_cost=line.basis_of_cost, compound=line.compound,
        days_supply=line.days_supply, quantity=str(line.quantity), awp_unit_price=str(line.awp_unit_price),
        awp_ext=str(line.awp_ext), ingredient_cost_paid=str(line.ingredient_cost_paid),
        dispensing_fee_paid=str(line.dispensing_fee_paid), awp_discount_excluded=awp, dispensing_fee_excluded=fee,
        rebate_excluded=rebate, repricing_excluded=repricing)


class CalcServicer(calc_pb2_grpc.CalcServiceServicer):
    def __init__(self, deps: CalcDeps, max_message_bytes: int) -> None:
        self.deps = deps
        self.max_message_bytes = max_message_bytes

    def _sendable(self, run: calc_pb2.Run) -> calc_pb2.Run:
        # A computed run stays stored even when its reply is refused: `leaf calc` or a larger limit can read it.
        return require_fits(run, self.max_message_bytes, f"run {run.run_id}")

    async def CreateRun(self, request, context):
        order = CreateRun(scope_from_proto(request.scope), request.itr_request_id, current_trace_id(),
                          request.proposal_id)
        return self._sendable(run_to_proto(await create_run(order, current_grant(), self.deps)))

    async def PlanRun(self, request, context):
        order = CreateRun(scope_from_proto(request.scope), request.itr_request_id, proposal_id=request.proposal_id)
        plan = await plan_run(order, current_grant(), self.deps)
        return calc_pb2.RunPlan(run_id=plan.run_id, computed=plan.computed)

    async def GetRun(self, request, context):
        return self._sendable(run_to_proto(await get_run(request.run_id, current_grant(), self.deps)))

    async def ListFormulas(self, request, context):
        document = registry()
        return calc_pb2.ListFormulasResponse(
            registry_version=REGISTRY_VERSION,
            formulas=[calc_pb2.Formula(formula_id=f["id"], version=f["version"], description=f["description"],
                                       definition_json=json.dumps(f, ensure_ascii=False)) for f in document["formulas"]],
            registry_json=json.dumps(document, ensure_ascii=False),
        )

    async def GetClaimsSnapshot(self, request, context):
        snap = await asyncio.to_thread(self.deps.claims.snapshot)
        if snap is None:
            raise NotReady("no_claims_loaded", "no claims are loaded: run `leaf claims load FILE` (or `leaf demo`)")
        return calc_pb2.ClaimsSnapshot(snapshot_id=snap.snapshot_id, claims_sha256=snap.claims_sha256, rows_read=snap.rows_read,
                                       rows_valid=snap.rows_valid, rows_rejected=snap.rows_rejected, loaded_at=snap.loaded_at,
                                       source=self.deps.claims.kind)

    async def StreamRunClaims(self, request, context):
        async for lines in stream_run_claims(request.run_id, current_grant(), self.deps):
            yield calc_pb2.NettedClaimBatch(claims=[claim_to_proto(line, reasons) for line, reasons in lines])

    async def ListRunRejects(self, request, context):
        order = ListRunRejects(request.run_id, request.whole_input, request.page_size, request.page_token)
        page = await list_run_rejects(order, current_grant(), self.deps)
        return require_fits(calc_pb2.ListRunRejectsResponse(
            rejects=[calc_pb2.RejectedRow(row=r.row, reason=r.reason) for r in page.rejects],
            next_page_token=page.next_page_token), self.max_message_bytes, "a page of rejects (ask for fewer)")
