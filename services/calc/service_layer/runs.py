"""Run use cases: compute a run for an exact scope from the claims store and the evidence that covers it (and, when
the run names one, a proposal to reprice with)."""
from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from kernel.errors import InputError, NotFound
from kernel.grants import Grant
from kernel.packets import ContractPacket, Proposal, RebateEvidence
from kernel.scope import Scope
from services.calc.domain.calculate import calculate_from_aggregates, check_evidence_scope, render
from services.calc.domain.registry import REGISTRY_VERSION
from services.calc.domain.run import RunRecord, rebates_received_other, run_id_for
from services.calc.service_layer.ports import (
    ClaimsStore,
    Evidence,
    EvidenceSource,
    RunRepository,
    ScopeEvidence,
    no_claims_loaded,
)


@dataclass(frozen=True)
class CreateRun:
    scope: Scope
    itr_request_id: str = ""
    trace_id: str = ""
    proposal_id: str = ""  # a reference the evidence service resolves within the grant's scope; never scope itself


@dataclass
class CalcDeps:
    claims: ClaimsStore
    evidence: EvidenceSource
    runs: RunRepository
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)


@dataclass(frozen=True)
class RunPlan:
    """The run CreateRun would make now: its id, and whether it is stored already."""

    run_id: str
    computed: bool


async def _evidence_for(order: CreateRun, grant: Grant, deps: CalcDeps) -> ScopeEvidence:
    """The scope's contract and rebate evidence (and the named proposal), once the grant covers the scope and the
    evidence matches it."""
    scope = order.scope
    if not grant.covers_scope(scope):
        # The scope service's own answer for "no such scope" and "not yours" alike.
        raise NotFound("scope_not_found", "no such scope for this caller")
    found = await deps.evidence.for_scope(scope, order.proposal_id)
    check_evidence_scope(scope, *_values(found)[:2])
    _check_proposal(order, found.proposal)
    return found


def _values(found: ScopeEvidence) -> tuple[ContractPacket | None, RebateEvidence | None, Proposal | None]:
    """The parsed contract, rebate evidence and proposal (each None when there is none)."""
    return (found.contract.value if found.contract else None, found.rebates.value if found.rebates else None,
            found.proposal.value if found.proposal else None)


def _check_proposal(order: CreateRun, proposal: Evidence | None) -> None:
    """Exactly the proposal asked for, of the scope's client and PBM (the evidence service checked; so does calc)."""
    if not order.proposal_id:
        return
    if proposal is None or proposal.packet_id != order.proposal_id:
        raise NotFound("proposal_not_found", f"no proposal {order.proposal_id!r} for client {order.scope.client_id!r}")
    if (proposal.client_id, proposal.pbm_id) != (order.scope.client_id, order.scope.pbm_id):
        raise InputError("scope_evidence_mismatch", f"the proposal is for {proposal.client_id}/{proposal.pbm_id}, "
                                                    f"the scope for {order.scope.client_id}/{order.scope.pbm_id}")


def _run_id(order: CreateRun, claims_sha256: str, evidence: list[Evidence]) -> str:
    """The proposal is evidence here: its sha256 makes a repriced run another run than the one without it."""
    return run_id_for(order.scope.scope_hash, REGISTRY_VERSION, claims_sha256, [e.sha256 for e in evidence],
                      order.itr_request_id)


async def plan_run(order: CreateRun, grant: Grant, deps: CalcDeps) -> RunPlan:
    """The id `create_run` would give these inputs now (the active claims snapshot, the evidence in force), and
    whether that run is stored; nothing is computed. Refuses what `create_run` would refuse before computing."""
    found = await _evidence_for(order, grant, deps)
    snapshot = await asyncio.to_thread(deps.claims.snapshot)
    if snapshot is None:
        raise no_claims_loaded()
    run_id = _run_id(order, snapshot.claims_sha256, found.used())
    return RunPlan(run_id, await asyncio.to_thread(deps.runs.get, run_id) is not None)


async def create_run(order: CreateRun, grant: Grant, deps: CalcDeps) -> RunRecord:
    """Compute (or find again) the run of `order.scope`, which the caller's grant must cover."""
    scope = order.scope
    found = await _evidence_for(order, grant, deps)
    packet, rebate_evidence, proposal = _values(found)
    # The store sums the scope's claims itself; only the aggregates and the few rejects come back.
    snapshot, facts = await asyncio.to_thread(deps.claims.aggregates_for, scope, packet, proposal)
    result = await asyncio.to_thread(calculate_from_aggregates, facts, scope, packet, rebate_evidence, proposal)
    evidence = found.used()
    run_id = _run_id(order, facts.claims_sha256, evidence)
    lineage = {
        "run_id": run_id,
        "scope_hash": scope.scope_hash,
        "registry_version": REGISTRY_VERSION,
        "formulas": [{"formula_id": f["id"], "version": f["version"]} for f in result["formulas"]],
        "input_hashes": {"claims_sha256": facts.claims_sha256, **{f"{e.kind}_sha256": e.sha256 for e in evidence}},
        "evidence": [_reference(e) for e in evidence],
        "trace_id": order.trace_id,
        "itr_request_id": order.itr_request_id,
        "claims_snapshot_id": snapshot.snapshot_id,
        "created_at": deps.clock().isoformat(timespec="seconds"),
        "rebates_received_other": rebates_received_other(packet, rebate_evidence),
    }
    record = RunRecord(run_id, scope.scope_hash, scope.client_id, result["readiness"], scope.canonical_json().decode(),
                       render(result), lineage)
    return await asyncio.to_thread(deps.runs.add, record)


async def get_run(run_id: str, grant: Grant, deps: CalcDeps) -> RunRecord:
    """A stored run whose scope the grant covers; any other run is as absent as one never computed."""
    record = await asyncio.to_thread(deps.runs.get, run_id)
    if record is None or not grant.covers_scope(record.scope):
        raise NotFound("run_not_found", f"no run {run_id!r}")
    return record


def _reference(evidence: Evidence) -> dict:
    return {"evidence_id": evidence.packet_id, "kind": evidence.kind, "governance": evidence.governance,
            "sha256": evidence.sha256, "version": evidence.version}


def result_of(record: RunRecord) -> dict:
    return json.loads(record.result_json)
