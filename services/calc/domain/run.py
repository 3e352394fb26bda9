"""A run: exact scope + registry version + claims snapshot + evidence; its id is derived from exactly those."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from kernel.packets import ContractPacket, RebateEvidence
from kernel.scope import Scope
from services.calc.domain.amounts import money_text
from services.calc.domain.formulas import rebate_guarantee as rebate

# The evidence a blocked reason asks for, so a reader sees what would lift the block.
MISSING_EVIDENCE = {"contract_evidence_missing": "contract_packet", "rebate_evidence_missing": "rebate_evidence"}


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    scope_hash: str
    client_id: str
    readiness: str
    canonical_scope: str
    result_json: bytes  # calculations.md section 5, canonical bytes
    lineage: dict

    @property
    def scope(self) -> Scope:
        return Scope.parse(**json.loads(self.canonical_scope))


def run_id_for(scope_hash: str, registry_version: str, claims_sha256: str, evidence_shas: list[str], itr_request_id: str) -> str:
    """Same inputs → same run id, so asking for the same run twice returns the run already computed."""
    material = json.dumps([scope_hash, registry_version, claims_sha256, sorted(evidence_shas), itr_request_id])
    return "run_" + hashlib.sha256(material.encode()).hexdigest()[:24]


def missing_evidence(reasons: list[str]) -> list[str]:
    return sorted({MISSING_EVIDENCE[r] for r in reasons if r in MISSING_EVIDENCE})


def rebates_received_other(contract: ContractPacket | None, rebates: RebateEvidence | None) -> list[dict]:
    """The lineage's `rebates_received_other`: each channel whose rebates received the rebate formula sums into
    `received_other` (no rebate term in the contract), with its amount; empty when the run has no rebate formula."""
    if contract is None or not rebate.rebate_rates(contract):
        return []
    return [{"channel": channel, "amount": money_text(amount)}
            for channel, amount in rebate.received_other_by_channel(contract, rebates)]
